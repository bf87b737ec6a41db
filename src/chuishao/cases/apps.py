from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "chuishao.cases"
    verbose_name = "Cases"
