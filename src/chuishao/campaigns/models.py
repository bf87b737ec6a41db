"""Models of chuishao.campaigns."""

from __future__ import annotations
