"""``sitemap.xml``: the pages search engines should know about, with ``lastmod``.

Four sections, one query each whatever the number of posts and tags: the list
pages (home, archive, tags), every published post and page, every tag that has
one, and each month and year with published posts. Sitemaps protocol:
https://www.sitemaps.org/protocol.html.

Django's ``Sitemap`` builds ``protocol://domain/path`` from the sites framework
or the request; Firsthand has no sites framework, so each section is given the
site's address (``firsthand.site.site_url``: ``FIRSTHAND_SITE_URL`` when set).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.db.models.functions import Greatest, TruncMonth
from django.urls import reverse
from django.utils import timezone

from firsthand.blog.models import Post, Tag
from firsthand.syndication.structured_data import modified_at

if TYPE_CHECKING:
    # Only for the signature: the sites framework is not installed.
    from django.contrib.sites.models import Site
    from django.contrib.sites.requests import RequestSite


@dataclass(frozen=True)
class Entry:
    """One ``<url>`` of the sitemap: a path on this site and when it changed."""

    path: str
    lastmod: datetime.datetime | None


def _changed() -> Greatest:
    """``structured_data.modified_at`` in SQL, for a post."""
    return Greatest("published_at", "updated_at")


class Section(Sitemap[Entry]):
    def __init__(self, site_url: str) -> None:
        scheme, _, self.domain = site_url.partition("://")
        self.protocol = scheme

    def get_domain(self, site: Site | RequestSite | None = None) -> str:
        return self.domain

    def items(self) -> list[Entry]:
        raise NotImplementedError

    def location(self, item: Entry) -> str:
        return item.path

    def lastmod(self, item: Entry) -> datetime.datetime | None:
        return item.lastmod


class PageSitemap(Section):
    """Home, archive and tag index: they change when any post does."""

    def items(self) -> list[Entry]:
        latest = Post.objects.published().aggregate(latest=Max(_changed()))["latest"]
        names = ["blog:home", "blog:archive", "blog:tags"]
        return [Entry(reverse(name), latest) for name in names]


class PostSitemap(Section):
    """Every published post and page, in one query.

    A page's address is its parents' slugs and its own; the parents come from the
    same rows, and a page under a draft (which readers cannot reach) is left out.
    """

    def items(self) -> list[Entry]:
        rows = list(
            Post.everything.published()
            .only(
                "slug",
                "kind",
                "parent_id",
                "published_at",
                "created_at",
                "updated_at",
            )
            .order_by("kind", "-published_at", "-pk")
        )
        pages = {row.pk: row for row in rows if row.kind == Post.Kind.PAGE}
        entries: list[Entry] = []
        for row in rows:
            if row.kind == Post.Kind.PAGE and not _reachable(row, pages):
                continue
            entries.append(Entry(row.get_absolute_url(), modified_at(row)))
        return entries


def _reachable(page: Post, pages: dict[int, Post]) -> bool:
    """Whether every page above ``page`` is published; links each to its parent."""
    seen = {page.pk}
    while page.parent_id is not None:
        parent = pages.get(page.parent_id)
        if parent is None or parent.pk in seen:
            return False
        page.parent = parent
        seen.add(parent.pk)
        page = parent
    return True


class TagSitemap(Section):
    """Tags with published posts; a tag's page changes with its latest post."""

    def items(self) -> list[Entry]:
        published = Q(
            posts__status=Post.Status.PUBLISHED,
            posts__published_at__lte=timezone.now(),
        )
        rows = (
            Tag.objects.annotate(
                latest=Max(
                    Greatest("posts__published_at", "posts__updated_at"),
                    filter=published,
                )
            )
            .filter(latest__isnull=False)
            .order_by("name")
            .values_list("slug", "latest")
        )
        return [
            Entry(reverse("blog:tag", kwargs={"slug": slug}), latest)
            for slug, latest in rows
        ]


class ArchiveSitemap(Section):
    """Each month with published posts, then each year; one query for both."""

    def items(self) -> list[Entry]:
        # TruncMonth works in the current time zone, as the permalinks' dates do.
        months = (
            Post.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(latest=Max(_changed()))
            .order_by("-month")
            .values_list("month", "latest")
        )
        entries: list[Entry] = []
        years: dict[int, datetime.datetime] = {}
        for month, latest in months:
            path = reverse(
                "blog:month", kwargs={"year": month.year, "month": month.month}
            )
            entries.append(Entry(path, latest))
            years[month.year] = max(latest, years.get(month.year, latest))
        entries += [
            Entry(reverse("blog:year", kwargs={"year": year}), latest)
            for year, latest in years.items()
        ]
        return entries


SECTIONS: dict[str, type[Section]] = {
    "pages": PageSitemap,
    "posts": PostSitemap,
    "tags": TagSitemap,
    "archives": ArchiveSitemap,
}


def sections(site_url: str) -> dict[str, Sitemap[Entry]]:
    """Every section, building its URLs on ``site_url`` (``https://host``)."""
    return {name: section(site_url) for name, section in SECTIONS.items()}
