"""Models of chuishao.activities."""

from __future__ import annotations
