from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "chuishao.privacy"
    verbose_name = "Personal data"
