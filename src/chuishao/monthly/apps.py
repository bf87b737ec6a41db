from django.apps import AppConfig


class MonthlyConfig(AppConfig):
    name = "chuishao.monthly"
    verbose_name = "One problem a month"
