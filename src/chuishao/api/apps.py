from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "chuishao.api"
    verbose_name = "APIs (REST and Open311)"
