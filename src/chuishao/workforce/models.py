"""Models of chuishao.workforce."""

from django.db import models  # noqa: F401
