"""Pages of monthly (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import monthly

urlpatterns: list = [
    # 每月一题: mining, a candidate and taking it on, problems of the month and their tasks.
    path("monthly/", monthly.mining_page, name="monthly"),
    path("monthly/candidates/<str:key>/", monthly.candidate_page, name="monthly_candidate"),
    path("monthly/candidates/<str:key>/take/", monthly.take_on, name="monthly_take_on"),
    path("monthly/problems/", monthly.problem_list_page, name="monthly_problems"),
    path("monthly/problems/<int:pk>/", monthly.problem_page, name="monthly_problem"),
    path("monthly/problems/<int:pk>/tasks/add/", monthly.task_add_view, name="monthly_task_add"),
    path(
        "monthly/problems/<int:pk>/tasks/<int:task>/done/", monthly.task_done_view, name="monthly_task_done"
    ),
]
