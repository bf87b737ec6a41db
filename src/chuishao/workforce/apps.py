from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "chuishao.workforce"
    verbose_name = "Community workers and workload"
