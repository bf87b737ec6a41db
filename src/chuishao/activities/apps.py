from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "chuishao.activities"
    verbose_name = "Party-building activities"
