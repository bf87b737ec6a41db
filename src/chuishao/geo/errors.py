"""Errors of the geo app, each with a stable string code that interfaces can return."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import: the feature's code (or ``#index``) and what is wrong."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class GeoError(Exception):
    code = "geo.error"


class GeoFileError(GeoError):
    """A file that is not a GeoJSON FeatureCollection at all (before any feature is looked at)."""

    code = "geo.file_invalid"


class GeoImportError(GeoError):
    """A boundary file that cannot be imported; nothing was written."""

    code = "geo.import_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")
