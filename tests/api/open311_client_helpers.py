"""Open311 test helpers: calls, XML parsing, and validation against the public GeoReport v2 schemas.

The JSON Schemas in ``open311_schemas/`` are the open311/schema-validation project's (service,
services, service-definition, request, requests). The spec's other documents (discovery, the POST
answer, the token answer, errors) have no published schema there; ``SPEC_SCHEMAS`` writes them down
from the GeoReport v2 text and its swagger definitions (RequestResponse, TokenResponse).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

BASE = "/open311/v2/"
SCHEMA_DIR = Path(__file__).parent / "open311_schemas"

_nullable_string = {"anyOf": [{"type": "string"}, {"type": "null"}]}
SPEC_SCHEMAS: dict[str, dict] = {
    "discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": {"type": "string"},
            "contact": {"type": "string"},
            "key_service": {"type": "string"},
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": {"type": "string"},
                        "url": {"type": "string"},
                        "changeset": {"type": "string"},
                        "type": {"enum": ["production", "test"]},
                        "formats": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    },
                },
            },
        },
    },
    "created": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
            "properties": {
                "service_request_id": {"type": "string"},
                "token": {"type": "string"},
                "service_notice": _nullable_string,
                "account_id": _nullable_string,
            },
        },
    },
    "tokens": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["service_request_id", "token"],
            "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
        },
    },
    "errors": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "additionalProperties": False,
            "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
        },
    },
}
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")

# What the spec's XML looks like: root, item element, and the fields of an item.
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}


def _published() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.json"))}


def _registry() -> Registry:
    resources = [
        (name, Resource.from_contents(s, default_specification=DRAFT4)) for name, s in _published().items()
    ]
    return Registry().with_resources(resources)


def schema_for(kind: str) -> dict:
    """``services``, ``service_definition``, ``requests`` (published); the rest from ``SPEC_SCHEMAS``."""
    published = {"services": "services.json", "service_definition": "service-definition.json"}
    published["requests"] = "requests.json"
    if kind in published:
        return _published()[published[kind]]
    return SPEC_SCHEMAS[kind]


def assert_valid(kind: str, data: Any) -> None:
    """``data`` validates against the schema of ``kind``, and its datetimes are W3C with an offset."""
    validator = jsonschema.Draft4Validator(schema_for(kind), registry=_registry())
    problems = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not problems, [f"{list(e.absolute_path)}: {e.message}" for e in problems]
    for item in data if isinstance(data, list) else [data]:
        for name in DATETIME_FIELDS:
            if item.get(name) is not None:
                assert_w3c(item[name])


def assert_w3c(value: str) -> None:
    parsed = dt.datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value
    assert value[19:] in ("Z", "+08:00") or value[19] in "+-.", value


def parse_xml(response) -> ET.Element:
    """The XML body, checked for its declaration, media type and well-formedness."""
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.parse(io.BytesIO(response.content)).getroot()  # noqa: S314 (our own server's answer)


def parse_json(response) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def xml_items(root: ET.Element, root_tag: str, item_tag: str, fields: set[str]) -> list[dict[str, str]]:
    """Items of a list document as {field: text}, checking the element names against the spec's."""
    assert root.tag == root_tag
    items = []
    for child in root:
        assert child.tag == item_tag
        names = {e.tag for e in child}
        assert names <= fields, names - fields
        items.append({e.tag: e.text or "" for e in child})
    return items


def assert_error(response, status: int, fmt: str = "json") -> str:
    """A spec-shaped error list with ``status`` as its code; returns the first description."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    if fmt == "json":
        data = parse_json(response)
        assert_valid("errors", data)
        assert data[0]["code"] == status
        return data[0]["description"]
    root = parse_xml(response)
    assert root.tag == "errors"
    errors = list(root)
    assert errors and all(e.tag == "error" for e in errors)
    assert [c.tag for c in errors[0]] == ["code", "description"]
    assert errors[0].findtext("code") == str(status)
    description = errors[0].findtext("description") or ""
    assert description
    return description


def get(client, path: str, **params: Any):
    return client.get(BASE + path, params)


def post(client, path: str, data: dict[str, Any], *, query: str = "", **extra: Any):
    return client.post(BASE + path + (f"?{query}" if query else ""), data, **extra)


def form_post(client, path: str, data: dict[str, Any], *, query: str = "", **extra: Any):
    """A form-encoded (not multipart) POST; list values repeat their field."""
    from urllib.parse import urlencode

    body = urlencode(data, doseq=True)
    return client.post(
        BASE + path + (f"?{query}" if query else ""),
        body,
        content_type="application/x-www-form-urlencoded",
        **extra,
    )


def png(name: str = "photo.png") -> Any:
    """A real, small PNG made with Pillow, as an upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (6, 4), (30, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")
