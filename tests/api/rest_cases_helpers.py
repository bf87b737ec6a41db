"""Helpers of the REST cases tests: clients for a key, a session or nobody; moving a case along."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from chuishao.cases.models import Case
from chuishao.cases.services import case_act
from tests.factories import grid_centre

CASES = "/api/v1/cases/"

# Steps from a fresh resident report to each state: (action, person, params); org codes are resolved.
TO_DISPATCHED = [("file", "street-a", {}), ("dispatch", "street-a", {"lead": "um-110901"})]
TO_HANDLING = [*TO_DISPATCHED, ("accept", "um-a", {}), ("start", "um-a", {})]
TO_HANDLED = [*TO_HANDLING, ("handle", "um-a", {"result": "已清运"})]
TO_CLOSED = [*TO_HANDLED, ("check", "grid-a", {}), ("close", "street-a", {})]


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def session_client(city: Any, username: str, *, csrf: bool = False) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf)
    client.force_login(city.people[username])
    return client


def advance(city: Any, case: Case, steps: list[tuple[str, str, dict]]) -> Case:
    """Take ``steps`` through the real services (setup only; the API is what the tests exercise)."""
    for action, person, params in steps:
        params = dict(params)
        if isinstance(params.get("lead"), str):
            params["lead"] = city.orgs[params["lead"]].pk
        case = case_act(case=case, action=action, actor=city.people[person], **params)
    return case


def body(**extra: Any) -> dict[str, Any]:
    """A valid JSON report in grid 110901001001001 (district A)."""
    lat, lng = grid_centre("110901001001001")
    data = {
        "category": "S0102",
        "description": "路灯不亮了",
        "lat": lat,
        "lng": lng,
        "reporter_name": "李四",
        "reporter_phone": "13912345678",
    }
    data.update(extra)
    return data


def png(name: str = "p.png", colour: str = "steelblue") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (6, 4), colour).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def fields_of(response: Any) -> dict[str, list[str]]:
    """``{field: [codes]}`` of a ``request.invalid`` answer."""
    data = response.json()
    assert data["code"] == "request.invalid", data
    return {name: [e["code"] for e in errors] for name, errors in data["fields"].items()}
