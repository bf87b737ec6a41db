from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "chuishao.notify"
    verbose_name = "Notifications"
