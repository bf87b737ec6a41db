"""The admin keeps the grade bands and coefficients (each save an event) and only lists workers."""

from __future__ import annotations

from django.urls import reverse

from chuishao.events.models import Event
from chuishao.workforce.models import GradePay
from tests.factories import PASSWORD


def test_a_coefficient_saved_in_the_admin_is_an_event_and_workers_are_read_only(client, city):
    city.people["admin"].is_staff = city.people["admin"].is_superuser = True
    city.people["admin"].save()
    assert client.login(username="admin", password=PASSWORD)
    row = GradePay.objects.get(city=None, grade=7)
    url = reverse("admin:workforce_gradepay_change", args=[row.pk])
    response = client.post(url, {"city": "", "grade": 7, "coefficient": "1.50"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert str(row.coefficient) == "1.50"
    event = Event.objects.get(verb="workforce.gradepay_saved")
    assert event.before["coefficient"] == "1.36" and event.after["coefficient"] == "1.50"
    assert client.get(reverse("admin:workforce_communityworker_add")).status_code == 403
    assert client.post(reverse("admin:workforce_gradepay_delete", args=[row.pk])).status_code == 403
