"""Models of chuishao.monthly."""

from __future__ import annotations
