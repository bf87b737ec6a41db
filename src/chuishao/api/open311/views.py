"""Open311 GeoReport v2 endpoints: parse, check, call the intake service or a read, render.

Each endpoint answers as ``.xml`` or ``.json`` (no extension: XML). Errors are the spec's error list
in the same format, with the HTTP status as their code; no input produces a server error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from chuishao.api.auth import key_from_headers
from chuishao.api.idempotency import HEADER, idempotent
from chuishao.api.limits import rate_check
from chuishao.api.open311 import documents, params, queries
from chuishao.api.open311.intake import report
from chuishao.api.open311.params import Refused
from chuishao.api.open311.render import errors, render
from chuishao.catalog.selectors import category_questions
from chuishao.orgs.apikeys import apikey_authenticate
from chuishao.orgs.models import ApiKey, ApiScope

View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """Format from the extension, allowed methods, and every refusal as a spec-shaped error."""
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def wrap(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def run(request: HttpRequest, ext: str | None = None, **kwargs: Any) -> HttpResponse:
            try:
                fmt = params.response_format(ext)
            except Refused as exc:
                return errors(params.DEFAULT_FORMAT, exc.status, exc.description)
            if request.method not in allowed:
                return errors(
                    fmt,
                    405,
                    f"{request.method} is not allowed here; use {', '.join(sorted(allowed))}.",
                    headers={"Allow": ", ".join(sorted(allowed))},
                )
            try:
                return view(request, fmt, **kwargs)
            except Refused as exc:
                return errors(fmt, exc.status, exc.description)
            except RequestDataTooBig:
                return errors(fmt, 413, "The request is too large.")
            except (SuspiciousOperation, MultiPartParserError) as exc:
                return errors(fmt, 400, f"The request could not be read: {str(exc)[:200]}")

        return run

    return wrap


def _city(request: HttpRequest) -> Any:
    return queries.city_for(params.first("jurisdiction_id", request.GET))


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:base"))
    contact = _("The city's urban management command centre (12345).")
    return render(fmt, documents.discovery(base_url=base, contact=contact), root="discovery")


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    _city(request)
    data = [documents.service(c, has_questions=c.has_questions) for c in queries.services()]
    return render(fmt, data, root="services", item="service")


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    _city(request)
    category = queries.service_get(code)
    data = documents.service_definition(category, category_questions(category))
    return render(fmt, data, root="service_definition")


def _search(request: HttpRequest) -> queries.Search:
    q = request.GET

    def get(name: str) -> str:
        return params.first(name, q)

    start = params.w3c_datetime(get("start_date"), name="start_date")
    end = params.w3c_datetime(get("end_date"), name="end_date")
    if start and end and start > end:
        raise Refused(400, "start_date must not be later than end_date.")
    return queries.Search(
        ids=params.comma_list(get("service_request_id"), name="service_request_id"),
        codes=params.service_codes(get("service_code")),
        start=start,
        end=end,
        statuses=params.statuses(get("status")),
        updated_after=params.w3c_datetime(get("updated_after"), name="updated_after"),
        updated_before=params.w3c_datetime(get("updated_before"), name="updated_before"),
        page=params.positive_int(get("page"), name="page", default=1, maximum=params.MAX_PAGE),
        page_size=params.positive_int(
            get("page_size"), name="page_size", default=params.MAX_PAGE_SIZE, maximum=params.MAX_PAGE_SIZE
        ),
    )


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    city = _city(request)
    search = _search(request)
    data = [documents.service_request(c) for c in queries.requests_search(city, search)]
    return render(fmt, data, root="service_requests", item="request")


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    case = queries.request_get(_city(request), number)
    return render(fmt, [documents.service_request(case)], root="service_requests", item="request")


@endpoint("GET")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """Intake is never deferred, so a request's token is its number (the POST answer carries both)."""
    case = queries.request_get(_city(request), token)
    return render(fmt, [documents.token(case)], root="service_requests", item="request")


@csrf_exempt
def not_found(request: HttpRequest, path: str) -> HttpResponse:
    fmt = "json" if path.lower().endswith(".json") else params.DEFAULT_FORMAT
    return errors(fmt, 404, "No such Open311 endpoint: see discovery.")


def _key(request: HttpRequest) -> ApiKey:
    raw = params.first("api_key", request.POST, request.GET) or key_from_headers(request)
    key = apikey_authenticate(raw)
    if key is None:
        raise Refused(403, "A valid api_key is required to submit a request.")
    if ApiScope.OPEN311 not in key.scopes:
        raise Refused(403, "This api_key may not submit Open311 requests (it lacks the open311 scope).")
    return key


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.headers.get(HEADER, "").strip():
        # The Idempotency-Key fingerprint reads the raw body: read it before the form is parsed.
        request.body  # noqa: B018
    key = _key(request)
    wait = rate_check(f"open311:{key.pk}", settings.CHUISHAO_INTAKE_RATE_PER_KEY)
    if wait is not None:
        return errors(
            fmt,
            429,
            f"Too many requests for this api_key; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    city = queries.city_for(params.first("jurisdiction_id", request.POST, request.GET))

    def run() -> HttpResponse:
        try:
            case, account_id = report(request, key=key, city=city)
        except Refused as exc:
            return errors(fmt, exc.status, exc.description)
        response = render(
            fmt,
            [documents.created(case, account_id=account_id)],
            root="service_requests",
            item="request",
            status=201,
        )
        response["Location"] = request.build_absolute_uri(
            reverse("open311:request", kwargs={"number": case.number, "ext": fmt})
        )
        return response

    return idempotent(
        request,
        owner=f"key:{key.pk}",
        run=run,
        refuse=lambda status, code, message: errors(fmt, status, message),
    )
