"""Who calls the APIs: an API key (``Authorization: Token …`` or ``X-API-Key``) or a browser session.

A key with a person acts as that person, with their roles; a key without one acts as itself
(``ApiClientActor``) and holds no roles. What a key may do is limited further by its scopes.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from chuishao.orgs.apikeys import apikey_actor, apikey_authenticate
from chuishao.orgs.models import ApiKey, ApiScope


def key_from_headers(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "token ":
        return header[6:].strip()
    return request.headers.get("X-API-Key", "").strip()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, ApiKey] | None:
        raw = key_from_headers(request._request)
        if not raw:
            return None
        key = apikey_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is unknown or revoked.")
        return apikey_actor(key), key

    def authenticate_header(self, request: Any) -> str:
        return 'Token realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "chuishao.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token cs_…` (created with `chuishao apikey create`); `X-API-Key: cs_…` works too."
            ),
        }


def key_scopes(request: Any) -> set[str] | None:
    """The scopes of the key the request came with; None for a browser session (no key limits)."""
    key = getattr(request, "auth", None)
    return set(key.scopes) if isinstance(key, ApiKey) else None


class KeyScope(BasePermission):
    """Reads need the ``read`` scope and writes the ``write`` scope when the caller uses a key."""

    message = "The API key lacks the scope this call needs."

    def has_permission(self, request: Any, view: Any) -> bool:
        scopes = key_scopes(request)
        if scopes is None:
            return True
        needed = getattr(view, "key_scope", None) or (
            ApiScope.READ if request.method in ("GET", "HEAD", "OPTIONS") else ApiScope.WRITE
        )
        return needed in scopes


def sender_of(request: Any) -> str:
    """The owner of an Idempotency-Key and of a rate-limit bucket: the key, the person or the address."""
    key = getattr(request, "auth", None)
    if isinstance(key, ApiKey):
        return f"key:{key.pk}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None):
        return f"user:{user.pk}"
    return f"addr:{client_address(request)}"


def client_address(request: Any) -> str:
    meta = getattr(request, "META", None) or request._request.META
    return meta.get("REMOTE_ADDR", "") or "unknown"
