from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "chuishao.geo"
    verbose_name = "Jurisdictions and geometry"
