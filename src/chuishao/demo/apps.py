from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "chuishao.demo"
    verbose_name = "Demo city"
