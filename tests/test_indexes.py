"""The two largest tables carry no index that another index already covers (cases migration 0008,
events migration 0003): every index is written at each change and built at each load."""

from __future__ import annotations

import pytest
from django.db import connection

from chuishao.cases.models import Case
from chuishao.events.models import Event


def _indexes(table: str) -> dict[str, tuple[list[str], bool]]:
    """{name: (columns, unique)} of the table's indexes, the primary key left out."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: (info["columns"], info["unique"])
        for name, info in found.items()
        if info["index"] and not info["primary_key"] and info["columns"]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Case, Event], ids=["cases", "events"])
def test_no_plain_index_is_the_prefix_of_another(model):
    indexes = _indexes(model._meta.db_table)
    assert indexes
    covered = [
        (name, other)
        for name, (columns, unique) in indexes.items()
        if not unique and not name.endswith("_like")
        for other, (longer, _) in indexes.items()
        if other != name and len(longer) > len(columns) and longer[: len(columns)] == columns
    ]
    assert covered == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL builds pattern copies")
@pytest.mark.parametrize("model", [Case, Event], ids=["cases", "events"])
def test_no_pattern_matching_copies(model):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass",
            [model._meta.db_table],
        )
        names = [name for (name,) in cursor.fetchall()]
    assert names
    assert [name for name in names if name.endswith("_like")] == []
    # The unique keys are still enforced.
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Case._meta.db_table)
    assert {"number", "follow_token"} <= {
        info["columns"][0] for info in found.values() if info["unique"] and len(info["columns"]) == 1
    }
