"""The vocabulary of WordPress eXtended RSS (WXR) files, shared by the reader,
the importer and the exporter.

WXR 1.0, 1.1 and 1.2 differ only in their namespace URIs (and a few optional
fields); exports in the wild use both http:// and https:// for them, so a name is
matched by pattern, never by one literal URI.
"""

from __future__ import annotations

import re

# The WordPress namespace: http(s)://wordpress.org/export/1.0/ … /1.2/
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.[0-2]/$")
# The excerpt module: http(s)://wordpress.org/export/1.x/excerpt/
EXCERPT_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.[0-2]/excerpt/$")
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
WFW_NAMESPACE = "http://wellformedweb.org/CommentAPI/"

# What Firsthand writes when it exports (WXR 1.2, as WordPress itself does).
EXPORT_WP_NAMESPACE = "http://wordpress.org/export/1.2/"
EXPORT_EXCERPT_NAMESPACE = "http://wordpress.org/export/1.2/excerpt/"
WXR_VERSIONS = frozenset({"1.0", "1.1", "1.2"})

# Meta keys Firsthand adds to its own exports so that importing them back gives the
# same site (WordPress keeps unknown meta and ignores it). Post meta:
META_BODY = "_firsthand_body"  # the text as written (Markdown), beside content:encoded
META_FORMAT = "_firsthand_format"  # "markdown" or "html"
META_UID = "_firsthand_uid"  # the post's or response's lasting UUID (feed ids)
# Comment meta:
META_KIND = "_firsthand_kind"  # comment, reply, like, repost, mention, pingback, …
META_NUMBER = "_firsthand_number"  # the response's number in its thread
META_SOURCE_URL = "_firsthand_source_url"  # the page a remote response came from
META_SOURCE_TITLE = "_firsthand_source_title"
META_AUTHOR_TITLE = "_firsthand_author_title"  # "title or affiliation"
META_AUTHOR_PHOTO = "_firsthand_author_photo"
META_EDITED_AT = "_firsthand_edited_at"  # ISO 8601, when it was last edited

# wp:comment_approved values and the response statuses they stand for.
APPROVED_TO_STATUS = {
    "1": "visible",
    "approve": "visible",
    "0": "pending",
    "hold": "pending",
    "spam": "spam",
    "trash": "removed",
    "post-trashed": "removed",
}
STATUS_TO_APPROVED = {
    "visible": "1",
    "pending": "0",
    "spam": "spam",
    "removed": "trash",
}
