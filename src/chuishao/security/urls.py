from django.urls import path

from chuishao.security import views

app_name = "security"
urlpatterns = [
    path("login/code/", views.totp_login, name="totp_login"),
    path("second-factor/", views.totp_setup, name="totp_setup"),
    path("second-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("second-factors/", views.totp_people, name="totp_people"),
    path("second-factors/<int:pk>/reset/", views.totp_reset, name="totp_reset"),
]
