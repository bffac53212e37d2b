"""Feed formats: Django's RSS 2.0 and Atom 1.0 with full content and WebSub links,
and JSON Feed 1.1, which Django has no generator for.

Every item carries ``content_html`` (the whole post or response as HTML) besides
its ``description`` (a summary, as HTML: RSS and Atom readers read it so); a post's
also carries ``summary_text``, the same summary as plain text, which is what JSON
Feed's ``summary`` is. Every feed carries ``hub_url`` so readers
can subscribe for pushes (W3C WebSub, section 4: discovery).
"""

from __future__ import annotations

import json
from typing import IO, Any

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.xmlutils import SimplerXMLGenerator

from firsthand.rendering import clean_text

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


def _clean(value: Any) -> Any:
    """Strings, and the strings in lists (categories), lose characters XML forbids;
    one bad character must never break a feed (inputs are cleaned when stored, this
    is the second line)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [_clean(part) for part in value]
    return value


class _Cleaning(SyndicationFeed):
    """Cleans what the feed says of itself (its title names a tag, an author or a
    post) as well as each item: Django writes a control character in element text
    as an error (UnserializableContentError, a 500), and a lone surrogate or one in
    an attribute as XML no reader can parse."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            *[_clean(a) for a in args], **{k: _clean(v) for k, v in kwargs.items()}
        )

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(
            *[_clean(a) for a in args], **{k: _clean(v) for k, v in kwargs.items()}
        )


class RssFeed(_Cleaning, Rss201rev2Feed):
    def rss_attributes(self) -> dict[str, str]:
        attributes: dict[str, str] = super().rss_attributes()
        attributes["xmlns:content"] = CONTENT_NS
        return attributes

    def add_root_elements(self, handler: SimplerXMLGenerator) -> None:
        super().add_root_elements(handler)
        if self.feed.get("hub_url"):
            handler.addQuickElement(
                "atom:link", None, {"rel": "hub", "href": self.feed["hub_url"]}
            )

    def add_item_elements(
        self, handler: SimplerXMLGenerator, item: dict[str, Any]
    ) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content:encoded", item["content_html"])


class AtomFeed(_Cleaning, Atom1Feed):
    def add_root_elements(self, handler: SimplerXMLGenerator) -> None:
        super().add_root_elements(handler)
        if self.feed.get("hub_url"):
            handler.addQuickElement(
                "link", "", {"rel": "hub", "href": self.feed["hub_url"]}
            )

    def add_item_elements(
        self, handler: SimplerXMLGenerator, item: dict[str, Any]
    ) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class JsonFeed(_Cleaning, SyndicationFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""

    content_type = "application/feed+json; charset=utf-8"

    def write(self, outfile: IO[str], encoding: str) -> None:
        json.dump(self.as_dict(), outfile, ensure_ascii=False, indent=1)

    def as_dict(self) -> dict[str, Any]:
        feed = self.feed
        data: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed["title"],
            "home_page_url": feed["link"],
        }
        if feed.get("feed_url"):
            data["feed_url"] = feed["feed_url"]
        if feed.get("description"):
            data["description"] = feed["description"]
        if feed.get("language"):
            data["language"] = feed["language"]
        if feed.get("author_name"):
            data["authors"] = [_author(feed["author_name"], feed.get("author_link"))]
        if feed.get("hub_url"):
            data["hubs"] = [{"type": "WebSub", "url": feed["hub_url"]}]
        data["items"] = [self._item(item) for item in self.items]
        return data

    @staticmethod
    def _item(item: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": item["unique_id"] or item["link"]}
        entry["url"] = item["link"]
        if item.get("title"):
            entry["title"] = item["title"]
        entry["content_html"] = item.get("content_html") or item["description"] or ""
        summary = item.get("summary_text", item["description"])
        if summary:
            entry["summary"] = summary
        if item.get("pubdate"):
            entry["date_published"] = item["pubdate"].isoformat()
        if item.get("updateddate"):
            entry["date_modified"] = item["updateddate"].isoformat()
        if item.get("author_name"):
            entry["authors"] = [_author(item["author_name"], item.get("author_link"))]
        if item.get("categories"):
            entry["tags"] = list(item["categories"])
        if item.get("external_url"):
            entry["external_url"] = item["external_url"]
        return entry


def _author(name: str, url: str | None) -> dict[str, str]:
    return {"name": name, **({"url": url} if url else {})}
