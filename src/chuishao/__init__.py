"""Chuishao (吹哨): a city's grassroots governance loop."""

__version__ = "0.1.0"
