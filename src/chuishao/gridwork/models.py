"""Models of chuishao.gridwork."""

from django.db import models  # noqa: F401
