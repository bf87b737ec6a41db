from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chuishao.web"
    verbose_name = "Web pages"
