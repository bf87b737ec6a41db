"""My data (我的数据): a resident downloads what Chuishao holds about them, or has it erased.

Erasure runs at once, without a centre's confirmation: it is the person's own data, the cases stay
(their category, place, outcome and ratings count as before), and PIPL wants a request answered
without delay. Anonymous reporters do the same for one case through its follow link.
Downloads are POSTs: each one is recorded, so a link followed by a crawler or a prefetch must not
trigger one.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuishao import clock
from chuishao.cases.models import Case
from chuishao.privacy.services import (
    PrivacyError,
    case_erase,
    case_export,
    erasure_refused,
    person_erase,
    person_export,
)
from chuishao.web.views.public import case_by_follow_link


def _download(data: dict, name: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{clock.now():%Y%m%d}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    context = {
        "case_count": Case.objects.filter(reporter=request.user).count(),
        "refused": erasure_refused(request.user),
    }
    return render(request, "web/privacy/my_data.html", context)


@login_required
@require_POST
def my_data_export(request: HttpRequest) -> HttpResponse:
    return _download(person_export(person=request.user), "my-data")


@login_required
@require_POST
def my_data_erase(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "erase":
        messages.error(request, _("Tick the box to confirm that your data is to be erased."))
        return redirect("web:my_data")
    try:
        result = person_erase(person=request.user)
    except PrivacyError as exc:
        messages.error(request, exc.message)
        return redirect("web:my_data")
    logout(request)
    messages.success(
        request,
        _("Your account is closed and your details were removed from %(n)s reports.") % {"n": result.cases},
    )
    return redirect("web:home")


def follow_data(request: HttpRequest, number: str, token: str) -> HttpResponse:
    case = case_by_follow_link(number, token)
    return render(request, "web/privacy/follow_data.html", {"case": case, "token": token})


@require_POST
def follow_data_export(request: HttpRequest, number: str, token: str) -> HttpResponse:
    case = case_by_follow_link(number, token)
    return _download(case_export(case=case), f"case-{case.number}")


@require_POST
def follow_data_erase(request: HttpRequest, number: str, token: str) -> HttpResponse:
    case = case_by_follow_link(number, token)
    if request.POST.get("confirm") != "erase":
        messages.error(request, _("Tick the box to confirm that your data is to be erased."))
        return redirect("web:follow_data", number=number, token=token)
    case_erase(case=case)
    done = _("Your details were removed from report %(number)s; its link no longer works.")
    messages.success(request, done % {"number": number})
    return redirect("web:home")
