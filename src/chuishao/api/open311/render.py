"""Open311 documents as XML (the spec's default) or JSON, and errors in the same two shapes.

XML is built with ElementTree, which escapes markup; characters XML 1.0 cannot carry at all (most
control characters) are dropped from every text, in both formats, so that every answer parses.
JSON lists are bare arrays; discovery is an object.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# The element that wraps each item of a list field.
ITEM_OF = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    return NOT_XML.sub("", text)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return clean(str(value))


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(child, key, inner)
    elif isinstance(value, list):
        for item in value:
            _fill(child, ITEM_OF.get(name, "item"), item)
    else:
        child.text = _scalar(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """``data`` under ``<root>``: each element of a list as ``<item>``, a dict's fields as children."""
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(element, item or "item", entry)
    else:
        for key, value in data.items():
            _fill(element, key, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def to_json(data: Any) -> bytes:
    return json.dumps(_cleaned(data), ensure_ascii=False).encode("utf-8")


def render(fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return HttpResponse(to_json(data), status=status, content_type=JSON_TYPE)
    return HttpResponse(to_xml(root, item, data), status=status, content_type=XML_TYPE)


def errors(fmt: str, status: int, *descriptions: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """The spec's error list: ``[{code, description}]``, the HTTP status as the code."""
    data = [{"code": status, "description": d} for d in descriptions]
    response = render(fmt, data, root="errors", item="error", status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
