"""Accounts' protection: login lock-out (django-axes), idle sessions, the Content-Security-Policy and
the optional second factor (TOTP) of staff."""
