from django.apps import AppConfig


class DemonstrationConfig(AppConfig):
    name = "chuishao.demonstration"
    verbose_name = "Demonstration programme"
