"""The whole URL map of the site, grouped by room."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, register_converter

from firsthand.blog import views as blog
from firsthand.conversation import moderation_views as moderate, views as conversation


class TwoDigits:
    """A month or day in a URL: 07. ``reverse`` pads 7 back to 07."""

    width = 2
    regex = "[0-9]{2}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):0{self.width}d}"


class FourDigits(TwoDigits):
    """A year in a URL: 2009."""

    width = 4
    regex = "[0-9]{4}"


register_converter(FourDigits, "yyyy")
register_converter(TwoDigits, "dd")

blog_patterns = (
    [
        path("", blog.home, name="home"),
        path("archive/", blog.archive_index, name="archive"),
        path("tags/", blog.tag_index, name="tags"),
        path("tags/<str:slug>/", blog.tag, name="tag"),
        path("authors/<slug:slug>/", blog.author, name="author"),
        path("<yyyy:year>/", blog.YearArchive.as_view(), name="year"),
        path("<yyyy:year>/<dd:month>/", blog.MonthArchive.as_view(), name="month"),
        path("<yyyy:year>/<dd:month>/<dd:day>/", blog.DayArchive.as_view(), name="day"),
        # The article page shows the post and its conversation (see conversation.views).
        path(
            "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>/",
            conversation.article,
            name="post",
        ),
    ],
    "blog",
)

conversation_patterns = (
    [path("respond/<int:post_id>/", conversation.respond, name="respond")],
    "conversation",
)

# --- Moderation queue -----------------------------------------------------------
# Staff with the "can change response" permission; every action is a POST that
# calls one workflow in conversation.moderation (see conversation.moderation_views).
moderate_patterns = (
    [
        path("", moderate.queue, name="queue"),
        path("bulk/", moderate.bulk, name="bulk"),
        path("<int:pk>/approve/", moderate.approve, name="approve"),
        path("<int:pk>/spam/", moderate.spam, name="spam"),
        path("<int:pk>/trash/", moderate.trash, name="trash"),
        path("<int:pk>/reply/", moderate.reply, name="reply"),
        path("<int:pk>/edit/", moderate.edit, name="edit"),
        path("<int:pk>/merge/", moderate.merge, name="merge"),
        path("<int:pk>/ban/", moderate.ban, name="ban"),
    ],
    "moderate",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("moderate/", include(moderate_patterns)),
    path("", include(conversation_patterns)),
    path("", include(blog_patterns)),
]

admin.site.site_header = "Firsthand"
admin.site.site_title = "Firsthand admin"
admin.site.index_title = "Write and moderate"
