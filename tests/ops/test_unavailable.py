"""A view that fails because the database is away answers 503 with Retry-After, not 500."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, DataError, InterfaceError, OperationalError, connection, connections
from django.http import HttpResponse
from django.urls import path


def _raising(exc):
    def view(request):
        raise exc

    return view


urlpatterns = [
    path("api/v1/down/", _raising(OperationalError("connection refused"))),
    path("open311/v2/closed/", _raising(InterfaceError("connection already closed"))),
    path("page/down/", _raising(OperationalError("server closed the connection unexpectedly"))),
    path("api/v1/bad/", _raising(DataError("value too long"))),
    path("api/v1/unmigrated/", _raising(OperationalError("no such table: cases_case"))),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/api/v1/down/", "/open311/v2/closed/"])
def test_a_database_outage_is_a_503_with_retry_after_for_programs(client, url):
    response = client.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "unavailable"
    assert "refused" not in body["detail"] and "closed" not in body["detail"]  # the error's text stays inside
    assert response["X-Request-ID"]


@pytest.mark.urls(__name__)
def test_a_database_outage_is_a_503_on_pages_too(client):
    response = client.get("/page/down/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.urls(__name__)
def test_other_database_errors_stay_500(client):
    client.raise_request_exception = False
    assert client.get("/api/v1/bad/").status_code == 500
    # SQLite's word for a missing migration is an OperationalError too, but no retry will mend it.
    assert client.get("/api/v1/unmigrated/").status_code == 500


# --- an outage raised inside a middleware, not the view ---------------------------------------------


def _session_writer(request):
    """Changes the session, so the session middleware saves it after the view, in process_response."""
    request.session["probe"] = "written"
    return HttpResponse("ok")


def _session_writer_then_backend_killed(request):
    """Changes the session, then PostgreSQL ends this request's connection, as a restart does."""
    request.session["probe"] = "written"
    # Nothing in this request may have queried yet (a previous test closed the connection): open it.
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    return HttpResponse("ok")


urlpatterns += [
    path("page/session/", _session_writer),
    path("api/v1/session/", _session_writer),
    path("page/session-killed/", _session_writer_then_backend_killed),
]


def _refuse_session_writes(execute, sql, params, many, context):
    if "django_session" in sql and not sql.lstrip().upper().startswith("SELECT"):
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


@pytest.fixture
def session_writes_refused(db):
    """The session table's writes fail at the driver, as they do while the database is away.

    Installed on the connection for the whole request, so the failure comes in the session middleware's
    process_response (after the view returned), which the view's process_exception never sees."""
    connection.execute_wrappers.append(_refuse_session_writes)
    yield
    connection.execute_wrappers.remove(_refuse_session_writes)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "kind"), [("/page/session/", "text/plain"), ("/api/v1/session/", "application/json")]
)
def test_an_outage_while_the_session_middleware_saves_is_a_503(client, session_writes_refused, url, kind):
    client.raise_request_exception = False  # the real server answers; the test client would re-raise
    response = client.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith(kind)
    assert b"closed the connection" not in response.content
    assert response["X-Request-ID"]
    assert "sessionid" not in response.cookies  # the session that was not saved is not handed out


@pytest.mark.urls(__name__)
def test_a_middleware_error_that_is_not_an_outage_stays_500(client, db):
    def refuse(execute, sql, params, many, context):
        if "django_session" in sql and not sql.lstrip().upper().startswith("SELECT"):
            raise DataError("value too long")
        return execute(sql, params, many, context)

    client.raise_request_exception = False
    connection.execute_wrappers.append(refuse)  # for the whole request, process_response included
    try:
        response = client.get("/page/session/")
    finally:
        connection.execute_wrappers.remove(refuse)
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_postgresql_ending_the_connection_before_the_session_is_saved_is_a_503(client):
    """A real outage: the server terminates the request's connection, the session save then fails."""
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend (DATABASE_URL=postgres://…)")
    client.raise_request_exception = False
    try:
        response = client.get("/page/session-killed/")
    finally:
        connection.close()  # the broken connection; the next query opens a new one
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/plain")
