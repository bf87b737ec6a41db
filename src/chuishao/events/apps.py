from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "chuishao.events"
    verbose_name = "Event log and audit chain"
