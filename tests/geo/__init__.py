"""Tests of the geo app."""
