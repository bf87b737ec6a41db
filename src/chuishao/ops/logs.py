"""One JSON object per log line (``CHUISHAO_LOG_FORMAT=json``), for a log pipeline to parse.

Fields: time (UTC, ISO 8601), level, logger, message, request_id when a request is being served,
exc (the formatted traceback) when the record carries one, and the few access-log fields listed in
``ACCESS_FIELDS``. Other ``extra=`` attributes are deliberately not copied: callers pass objects
(Django passes the whole request) whose text may hold personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from chuishao.ops.context import current_request_id

# Attributes the access log (ops.middleware) attaches; nothing else leaves a record as a field.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or current_request_id.get()
        if request_id:
            line["request_id"] = request_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` attribute, so that a text format may print it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id.get() or "-"
        return True
