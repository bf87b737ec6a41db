"""Models of chuishao.library."""

from __future__ import annotations
