"""Pages of library (included into the "web" namespace by chuishao.web.urls)."""

from django.urls import path

from chuishao.web.views import library

urlpatterns: list = [
    # The public library (anyone, signed in or not) and an exemplar's page.
    path("library/", library.library_page, name="library"),
    path("library/<int:pk>/", library.exemplar_page, name="library_exemplar"),
    path("library/photos/<int:pk>/", library.attachment_file, name="library_photo"),
    # The organisations' own exemplars: write, edit, attach, submit, withdraw.
    path("library/mine/", library.mine_page, name="library_mine"),
    path("library/new/", library.exemplar_new, name="library_new"),
    path("library/<int:pk>/edit/", library.exemplar_edit, name="library_edit"),
    path("library/<int:pk>/submit/", library.exemplar_submit, name="library_submit"),
    path("library/<int:pk>/withdraw/", library.exemplar_withdraw, name="library_withdraw"),
    path("library/<int:pk>/photos/", library.attachments_add, name="library_photos_add"),
    path(
        "library/<int:pk>/photos/<int:attachment>/remove/",
        library.attachment_remove,
        name="library_photo_remove",
    ),
    # Reviewers: the queue, publish, return with a reason, unpublish.
    path("library/review/", library.review_page, name="library_review"),
    path("library/<int:pk>/publish/", library.exemplar_publish, name="library_publish"),
    path("library/<int:pk>/return/", library.exemplar_return, name="library_return"),
    path("library/<int:pk>/unpublish/", library.exemplar_unpublish, name="library_unpublish"),
]
