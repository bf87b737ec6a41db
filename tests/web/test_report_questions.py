"""The report form asks the chosen category's extra questions and passes the answers to intake."""

from __future__ import annotations

from django.urls import reverse

from chuishao.cases.models import Case
from tests.factories import grid_centre


def test_questions_fragment_lists_the_category_questions(client, city):
    page = client.get(reverse("web:report_questions"), {"category": "S2203"}).content.decode()
    assert 'name="answer_building"' in page and 'name="answer_fault"' in page
    assert 'value="trapped"' in page and "有人被困" in page
    assert client.get(reverse("web:report_questions"), {"category": "S0102"}).content.strip() == b""
    assert client.get(reverse("web:report_questions"), {"category": "nonsense"}).status_code == 200


def test_report_with_answers_and_a_missing_required_answer(client, city):
    lat, lng = grid_centre("110901001001001")
    form = {"category": "S2203", "description": "3号楼电梯停了", "lat": lat, "lng": lng}
    refused = client.post(reverse("web:report"), {**form, "answer_building": "3号楼"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "故障情况" in page and 'value="3号楼"' in page  # the question, and what was typed, stay
    assert Case.objects.count() == 0
    done = client.post(
        reverse("web:report"),
        {**form, "answer_building": "3号楼", "answer_fault": "stopped", "reporter_email": "a@example.org"},
    )
    assert done.status_code == 302
    case = Case.objects.get()
    assert case.answers == {"building": "3号楼", "fault": "stopped"}
    assert case.reporter_email == "a@example.org"
