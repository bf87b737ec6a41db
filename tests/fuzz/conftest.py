"""Bad input: the small city, API keys and the report helper of the API tests."""

from tests.api.conftest import city, make_key, report  # noqa: F401  (fixtures shared with tests/api)
