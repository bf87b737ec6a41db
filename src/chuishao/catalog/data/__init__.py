"""The default category catalogue shipped with Chuishao, as data (``taxonomy.json``).

The file holds the component and event classes of REFERENCE §1 with their standards, the default and
per-category stage deadlines, the generic responsibility list and the department types. It is read
only by the loader (``catalog_load_defaults``) and by ``dept_types``; at run time the rows rule, so
that a city changes its catalogue without a code change.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def taxonomy() -> dict[str, Any]:
    """The parsed ``taxonomy.json`` (read once per process; callers must not mutate it)."""
    text = resources.files(__package__).joinpath("taxonomy.json").read_text(encoding="utf-8")
    return json.loads(text)
