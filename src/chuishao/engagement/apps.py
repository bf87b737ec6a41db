from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "chuishao.engagement"
    verbose_name = "Dual reporting"
