"""The database benchmarks run end to end in --quick mode on a small city and write their JSON rows.

Their figures are not judged here (nor in CI); what is checked is that each one still runs against a
loaded city, agrees with itself where it checks (the rollup equals the live count; the refreshed
rollup equals the rebuilt one) and appends well-formed rows to the ``--json`` file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chuishao import clock
from chuishao.cases.services import case_act, case_report
from chuishao.evaluation.services import rollup_rebuild
from tests.factories import build_small_city, grid_centre

BENCH = Path(__file__).resolve().parents[2] / "bench"
TZ = ZoneInfo("Asia/Shanghai")


def _bench(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def loaded_city(db):
    """A small city with cases in two months: some dispatched and accepted, some closed and rated."""
    city = build_small_city()
    start = dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ)
    grids = {"110901001001001": "grid-a", "110901001001002": "grid-a2", "110902001001001": "grid-b"}
    for i in range(24):
        at = start + dt.timedelta(days=2 * i, minutes=7 * i)
        grid = list(grids)[i % 3]
        lat, lng = grid_centre(grid)
        with clock.frozen(at):
            case = case_report(
                actor=city.people[grids[grid]],
                source="grid_patrol",
                category=("S0102", "S0201", "S0505")[i % 3],
                description=f"巡查发现垃圾堆放 {i}",
                lat=lat,
                lng=lng,
            )
        district = "110901" if i % 3 < 2 else "110902"
        dispatcher = "street-a" if district == "110901" else "street-b"
        steps = [("file", dispatcher, {}), ("dispatch", dispatcher, {"lead": city.orgs[f"um-{district}"]})]
        if i % 2:
            steps.append(("accept", f"um-{'a' if district == '110901' else 'b'}", {}))
        for n, (action, who, params) in enumerate(steps, start=1):
            with clock.frozen(at + dt.timedelta(minutes=10 * n)):
                case = case_act(case=case, action=action, actor=city.people[who], **params)
    with clock.frozen(start + dt.timedelta(days=60)):
        rollup_rebuild(settle=dt.timedelta(0))
    return city


def _rows(path: Path) -> list[dict]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    for row in rows:
        assert set(row) == {"what", "figure", "baseline", "target", "met", "data"}
        assert row["met"] is None  # --quick: not judged
    return rows


def test_dashboard_desk_and_rollup_quick(loaded_city, tmp_path, settings):
    out = tmp_path / "bench.json"
    assert _bench("dashboard").main(["--quick", "--json", str(out)]) == 0
    [dashboard] = _rows(out)
    assert dashboard["data"]["streets"] == 2
    assert dashboard["data"]["queries"] > 0

    assert _bench("desk").main(["--quick", "--json", str(out)]) == 0
    desk = _rows(out)[1]
    assert desk["data"]["requests"] == 20
    assert desk["data"]["street_cases"] == 16  # the dispatcher of the busiest street: two grids of three

    assert _bench("rollup").main(["--quick", "--json", str(out)]) == 0
    rollup = _rows(out)[2]
    assert rollup["data"]["refresh_equals_rebuild"] is True
    [round_] = rollup["data"]["rounds"]
    assert round_["events"] > 0
    assert round_["read"] >= round_["events"]
    assert len(_rows(out)) == 3
