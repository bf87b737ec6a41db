"""django-axes' check before the password, for web sign-ins only."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username+address; abstains when there is no request.

    Every sign-in from outside (the login form, the admin's) passes its request. Without one the call
    comes from inside the process (the test client's ``login``, a management command checking a demo
    password): there is no address to count, and an attacker cannot reach that path.
    """

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kw):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kw)
