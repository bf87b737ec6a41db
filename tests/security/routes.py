"""Every URL pattern the project serves, read from Django's resolver, by its namespaced name."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

# Routes that are not the project's pages or endpoints: Django's admin site (its own staff login)
# and the language switch.
FOREIGN_PREFIXES = ("admin/",)


def route_names() -> dict[str, str]:
    """``{name: pattern}`` for every named route; an unnamed one is named by its pattern."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern):
                full = prefix + str(p.pattern)
                if full.startswith(FOREIGN_PREFIXES):
                    continue
                found[ns + (p.name or full)] = full

    walk(get_resolver().url_patterns, "", "")
    return found
