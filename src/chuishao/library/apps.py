from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "chuishao.library"
    verbose_name = "Exemplary-case library"
