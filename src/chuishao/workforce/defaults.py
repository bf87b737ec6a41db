"""Default rows for 三岗十八级 (REFERENCE.md §4): heads on grades 7–18, deputies 4–15, other staff 1–12,
a grade step every three years. The coefficients are our proposal (1.00 at grade 1, +0.06 a grade);
a city puts its own rows next to these."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

POST_SCALES = (("head", 7, 18, 3), ("deputy", 4, 15, 3), ("other", 1, 12, 3))


def grade_coefficients() -> dict[int, Decimal]:
    return {grade: Decimal("1.00") + Decimal("0.06") * (grade - 1) for grade in range(1, 19)}


def workforce_load_defaults(post_scale: Any = None, grade_pay: Any = None) -> None:
    """Create the default rows that are missing (the migration passes its historical models)."""
    if post_scale is None or grade_pay is None:
        from chuishao.workforce.models import GradePay, PostScale

        post_scale, grade_pay = PostScale, GradePay
    for post, low, high, years in POST_SCALES:
        post_scale.objects.get_or_create(
            city=None, post=post, defaults={"min_grade": low, "max_grade": high, "step_years": years}
        )
    for grade, coefficient in grade_coefficients().items():
        grade_pay.objects.get_or_create(city=None, grade=grade, defaults={"coefficient": coefficient})
