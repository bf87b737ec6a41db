"""Admin base classes the domain apps share.

``RecordedAdmin``: rows an administrator keeps as data (rules, policies, bands); every save appends an
event with what the row was and what it became, and nothing is deleted here (a row is switched off or
replaced), so nothing changes without its event. ``ReadOnlyAdmin``: rows that change only through their
app's services (each write with its event); the admin lists and searches them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from chuishao.events.services import event_append


class RecordedAdmin(admin.ModelAdmin):
    """Saves append ``<app>.<model>_saved`` on ``chain`` (the catalogue's by default)."""

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def event_chain(self, obj: Any) -> tuple[str, int | None]:
        """The chain and city an object's saves are recorded on."""
        return "catalog", None

    def event_verb(self, obj: Any) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}_saved"

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            chain, city_id = self.event_chain(obj)
            event_append(
                verb=self.event_verb(obj),
                actor=request.user,
                chain=chain,
                city_id=city_id,
                before={k: str(v) for k, v in before.items()},
                after={k: str(v) for k, v in model_to_dict(obj).items()},
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
