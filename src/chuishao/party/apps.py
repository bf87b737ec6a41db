from django.apps import AppConfig


class PartyConfig(AppConfig):
    name = "chuishao.party"
    verbose_name = "Party organisations and red property"
