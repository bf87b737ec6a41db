from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "chuishao.campaigns"
    verbose_name = "Selection campaigns"
