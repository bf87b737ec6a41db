from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "chuishao.evaluation"
    verbose_name = "Evaluation"
