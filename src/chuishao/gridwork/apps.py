from django.apps import AppConfig


class GridworkConfig(AppConfig):
    name = "chuishao.gridwork"
    verbose_name = "Grid work"
