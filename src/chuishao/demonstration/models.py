"""Models of chuishao.demonstration."""

from __future__ import annotations
