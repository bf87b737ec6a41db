"""Models of chuishao.party."""

from django.db import models  # noqa: F401
