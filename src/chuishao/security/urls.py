from django.urls import path

from chuishao.security import views

app_name = "security"
urlpatterns = [
    path("login/code/", views.totp_login, name="totp_login"),
    path("second-factor/", views.totp_setup, name="totp_setup"),
]
