from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "chuishao.security"
    label = "security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the sign-in receiver that starts the session clocks, before any first request.
        from chuishao.security import middleware  # noqa: F401
