from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "chuishao.catalog"
    verbose_name = "Catalogue and work calendar"
