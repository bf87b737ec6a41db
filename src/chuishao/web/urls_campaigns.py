"""Pages of campaigns (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import campaigns as v

urlpatterns: list = [
    path("campaigns/", v.campaign_list, name="campaigns"),
    path("campaigns/new/", v.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", v.campaign_page, name="campaign"),
    path("campaigns/<int:pk>/steps/<str:step>/", v.campaign_step, name="campaign_step"),
    path("campaigns/<int:pk>/reviewers/add/", v.reviewer_add, name="campaign_reviewer_add"),
    path("campaigns/<int:pk>/exemplars/", v.exemplars_link, name="campaign_exemplars"),
    path("campaigns/<int:pk>/recommend/", v.recommend, name="campaign_recommend"),
    path("campaigns/<int:pk>/review/", v.review_page, name="campaign_review"),
    path("campaigns/<int:pk>/review/<int:cand>/", v.score, name="campaign_score"),
    path("campaigns/<int:pk>/review/<int:cand>/conflict/", v.conflict, name="campaign_conflict"),
    path("campaigns/<int:pk>/objections/", v.objection_lodge, name="campaign_object"),
    path("campaigns/<int:pk>/objections/<int:oid>/answer/", v.objection_answer, name="campaign_answer"),
    path("campaigns/<int:pk>/audit/", v.audit_page, name="campaign_audit"),
    path("campaigns/<int:pk>/attachments/<int:aid>/", v.attachment, name="campaign_attachment"),
]
