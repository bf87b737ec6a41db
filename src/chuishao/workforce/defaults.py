"""Default rows for 三岗十八级 (REFERENCE.md §4): heads on grades 7–18, deputies 4–15, other staff 1–12,
a grade step every three years. The coefficients are our proposal (1.00 at grade 1, +0.06 a grade);
a city puts its own rows next to these."""

from decimal import Decimal

POST_SCALES = (("head", 7, 18, 3), ("deputy", 4, 15, 3), ("other", 1, 12, 3))


def grade_coefficients() -> dict[int, Decimal]:
    return {grade: Decimal("1.00") + Decimal("0.06") * (grade - 1) for grade in range(1, 19)}
