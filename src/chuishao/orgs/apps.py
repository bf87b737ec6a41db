from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "chuishao.orgs"
    verbose_name = "Organisations and people"
