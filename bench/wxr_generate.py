"""Write a realistic WordPress export (WXR 1.2) of any size, for the import benchmark.

    python bench/wxr_generate.py --posts 10000 --comments 100000 -o /tmp/big.xml

The file is written as it is made, item by item (never whole in memory), and is the
same for the same sizes and seed. Beside it goes ``<name>.summary.json``: what was
written, counted per kind and status, for checking what an import stored.

Its shape follows real exports (WordPress 6.x ``export_wp()``, and the files in
``shared/testdata/wxr-*``): a few ``wp:author`` blocks, about 50 categories (some
nested) and 200 tags; posts of 300-1,500 words of HTML in CDATA, paragraphs
separated by blank lines as WordPress stores them, some in block-editor form
(``<!-- wp:paragraph -->``), with links, lists, headings, ``[caption]`` shortcodes,
``<!--more-->`` and now and then code containing ``]]>`` (split across two CDATA
sections, as WordPress's ``wxr_cdata()`` does); mostly published posts, some drafts
(with WordPress's zero GMT date and sometimes no slug), a few scheduled ("future"),
private and password-protected ones, and pages, some under a parent page.

Comments are spread unevenly: most posts get a few or none, a handful get thousands.
About 30% are threaded replies, always to an earlier approved comment of the same
post, in chains up to 8 deep (a top-level comment is depth 1); about 3% are
pingbacks and trackbacks; they are approved ("1"), pending ("0"), "spam" or
"trash". Names, addresses and IPs are fictional: example.com/.org/.net, the
documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.
Dates increase through the file; a post's comments follow it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

WP = "http://wordpress.org/export/1.2/"
EXCERPT = "http://wordpress.org/export/1.2/excerpt/"
SITE = "https://blog.example.com"
MAX_DEPTH = 8  # the longest chain of replies, counting the top-level comment
REPLY_SHARE = 0.39  # of non-spam comments with an earlier one to answer: ~30% overall
PING_SHARE = 0.03
APPROVAL = (("1", 0.82), ("0", 0.04), ("spam", 0.11), ("trash", 0.03))
PING_APPROVAL = (("1", 0.85), ("0", 0.05), ("spam", 0.08), ("trash", 0.02))
# Post statuses and their shares; "password" is "publish" with a post password.
POST_STATUSES = (
    ("publish", 0.88),
    ("draft", 0.07),
    ("private", 0.02),
    ("password", 0.02),
)
FUTURE_SHARE = 0.01  # the newest posts, scheduled after the export date
FIRST_POST = datetime.datetime(2011, 3, 1, 9, 0)  # GMT
EXPORTED = datetime.datetime(2025, 1, 6, 8, 30)  # GMT
LOCAL_OFFSET = datetime.timedelta(hours=1)  # the site's time zone, as post_date shows

AUTHORS = (
    ("marta", "Marta Lindqvist", "Marta", "Lindqvist"),
    ("kofi", "Kofi Mensah", "Kofi", "Mensah"),
    ("lin", "Lin Zhao", "Lin", "Zhao"),
    ("samir", "Samir Haddad", "Samir", "Haddad"),
)

TOPICS = {
    "Workshop": ("Joinery", "Finishing", "Tools", "Sharpening"),
    "Travel": ("Trains", "Islands", "Mountains", "Cities"),
    "Photography": ("Film", "Darkroom", "Lenses", "Portraits"),
    "Cooking": ("Bread", "Fermentation", "Soups", "Baking"),
    "Garden": ("Vegetables", "Trees", "Compost", "Bees"),
    "Books": ("Novels", "Essays", "Poetry", "Reviews"),
    "Code": ("Python", "Databases", "Web", "Tooling"),
    "Music": ("Guitar", "Recording", "Concerts", "Vinyl"),
    "Cycling": ("Touring", "Repairs", "Routes", "Gear"),
    "Notes": ("Weeknotes", "Links", "Meta", "Now"),
    "Uncategorized": (),
}

_WORDS = (
    "the a an of to and in that it is was for on with as at by this from but not "
    "or have be had are were which one all their there been has when who will more "
    "if out so up said what about into than them can only other new some could time "
    "these two may then do first any my now such like our over man me even most made "
    "after also did many before must through back years where much your way well down "
    "should because each just those people how too little state good very make world "
    "still own see men work long get here between both life being under never day same "
    "another know while last might us great old year off come since against go came "
    "right used take three workshop bench plane chisel oak walnut frame glue clamp "
    "joint tenon mortise grain varnish shellac oil linen paper ink lens shutter film "
    "exposure print darkroom light shadow morning evening river harbour ferry train "
    "station platform ticket village bridge market bread dough starter oven crust "
    "flour salt butter garden soil seed compost bean tomato apple pear hive honey "
    "letter notebook chapter story reader margin python query index table server "
    "cache request deploy test branch release guitar string chord record tape "
    "microphone concert quietly slowly carefully honestly probably almost rather "
    "small large warm cold early late simple careful patient practical useful strange "
    "beautiful difficult"
)
VOCABULARY = tuple(_WORDS.split())
NOUNS = VOCABULARY[VOCABULARY.index("workshop") : VOCABULARY.index("quietly")]

FIRST_NAMES = (
    ("Ana", "ana"), ("Ben", "ben"), ("Chloé", "chloe"), ("Dmitri", "dmitri"),
    ("Eszter", "eszter"), ("Farah", "farah"), ("Gustav", "gustav"), ("Hana", "hana"),
    ("Igor", "igor"), ("Jonas", "jonas"), ("Kaito", "kaito"), ("Leila", "leila"),
    ("Mateo", "mateo"), ("Nadia", "nadia"), ("Oskar", "oskar"), ("Priya", "priya"),
    ("Quinn", "quinn"), ("Rosa", "rosa"), ("Søren", "soren"), ("Tomás", "tomas"),
    ("Uma", "uma"), ("Viktor", "viktor"), ("Wen", "wen"), ("Ximena", "ximena"),
    ("Yusuf", "yusuf"), ("Zoë", "zoe"), ("Amara", "amara"), ("Björn", "bjorn"),
    ("Carmen", "carmen"), ("Dario", "dario"), ("Elif", "elif"), ("Finn", "finn"),
)  # fmt: skip
LAST_NAMES = (
    ("Okafor", "okafor"), ("Novak", "novak"), ("García", "garcia"),
    ("Tanaka", "tanaka"), ("Müller", "muller"), ("Kowalski", "kowalski"),
    ("O'Brien", "obrien"), ("Haddad", "haddad"), ("Silva", "silva"),
    ("Nguyen", "nguyen"), ("Jensen", "jensen"),
    ("Rossi", "rossi"), ("Petrov", "petrov"), ("Andersson", "andersson"),
    ("Kim", "kim"), ("Dubois", "dubois"), ("Moreau", "moreau"), ("Ivanova", "ivanova"),
    ("Yilmaz", "yilmaz"), ("Costa", "costa"), ("Walsh", "walsh"), ("Sato", "sato"),
)  # fmt: skip
DOMAINS = ("example.com", "example.org", "example.net")
SPAM_WORDS = (
    "cheap replica watches", "best casino bonus", "buy followers now",
    "payday loans online", "discount pills", "seo services guaranteed",
)  # fmt: skip
BLOG_NAMES = (
    "Notes from the Shed", "Small Kitchen Diaries", "Frames & Grain",
    "The Slow Commute", "Latent Image", "Field Notes", "Bits and Bytes",
)  # fmt: skip


@dataclasses.dataclass
class Summary:
    """What the generator wrote, counted the way an import is checked."""

    seed: int
    authors: int = 0
    categories: int = 0
    tags: int = 0
    posts: Counter[str] = dataclasses.field(default_factory=Counter)
    pages: Counter[str] = dataclasses.field(default_factory=Counter)
    password_protected: int = 0
    pages_with_parent: int = 0
    comments_by_type: Counter[str] = dataclasses.field(default_factory=Counter)
    comments_by_approved: Counter[str] = dataclasses.field(default_factory=Counter)
    comments_by_type_and_approved: Counter[str] = dataclasses.field(
        default_factory=Counter
    )
    replies: int = 0
    max_depth: int = 0
    max_on_one_item: int = 0
    items_with_comments: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "authors": self.authors,
            "categories": self.categories,
            "tags": self.tags,
            "posts": {
                "total": sum(self.posts.values()),
                "by_status": dict(sorted(self.posts.items())),
                "password_protected": self.password_protected,
            },
            "pages": {
                "total": sum(self.pages.values()),
                "by_status": dict(sorted(self.pages.items())),
                "with_parent": self.pages_with_parent,
            },
            "comments": {
                "total": sum(self.comments_by_type.values()),
                "by_type": dict(sorted(self.comments_by_type.items())),
                "by_approved": dict(sorted(self.comments_by_approved.items())),
                "by_type_and_approved": dict(
                    sorted(self.comments_by_type_and_approved.items())
                ),
                "replies": self.replies,
                "max_depth": self.max_depth,
                "max_on_one_item": self.max_on_one_item,
                "items_with_comments": self.items_with_comments,
            },
        }


def summary_path(path: Path) -> Path:
    """Where the summary of ``path`` goes: ``big.xml`` -> ``big.summary.json``."""
    return path.with_name(path.stem + ".summary.json")


def cdata(text: str) -> str:
    # A literal "]]>" would end the section: close it between "]]" and ">" and open
    # a new one, as WordPress's wxr_cdata() does.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "post"


def pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in shares], [w for _, w in shares])[0]


def wp_date(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def rfc2822(moment: datetime.datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Share ``total`` out in proportion to ``weights``, exactly (largest remainder)."""
    if not weights or total == 0:
        return [0] * len(weights)
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


@dataclasses.dataclass(frozen=True)
class Person:
    name: str
    email: str
    url: str


class Writer:
    """Makes the words: titles, post bodies, comments."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people = [self._person(n) for n in range(4000)]

    def _person(self, number: int) -> Person:
        rng = self.rng
        first, first_ascii = rng.choice(FIRST_NAMES)
        last, last_ascii = rng.choice(LAST_NAMES)
        domain = rng.choice(DOMAINS)
        style = rng.random()
        name = (
            f"{first} {last}" if style < 0.7 else first if style < 0.9 else first_ascii
        )
        email = f"{first_ascii}.{last_ascii}{number}@{domain}"
        url = ""
        if rng.random() < 0.4:
            url = f"https://{first_ascii}{last_ascii}.{rng.choice(DOMAINS)}/"
        return Person(name, email, url)

    def words(self, count: int) -> list[str]:
        return self.rng.choices(VOCABULARY, k=count)

    def sentence(self, low: int = 6, high: int = 22) -> str:
        words = self.words(self.rng.randint(low, high))
        if self.rng.random() < 0.12:  # a link around a few words
            at = self.rng.randrange(len(words))
            target = f"https://www.{self.rng.choice(DOMAINS)}/{self.rng.choice(NOUNS)}/"
            words[at] = f'<a href="{target}">{words[at]} {self.rng.choice(NOUNS)}</a>'
        elif self.rng.random() < 0.08:
            at = self.rng.randrange(len(words))
            tag = self.rng.choice(("em", "strong"))
            words[at] = f"<{tag}>{words[at]}</{tag}>"
        text = " ".join(words)
        end = self.rng.choices((".", "?", "!", "…"), (90, 5, 3, 2))[0]
        return text[0].upper() + text[1:] + end

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def title(self) -> str:
        words = self.words(self.rng.randint(3, 9))
        roll = self.rng.random()
        if roll < 0.05:
            words.insert(1, "&")
        elif roll < 0.08:
            words[-1] = f"“{words[-1]}”"
        elif roll < 0.1:
            words.append("— café notes")
        return " ".join(words).capitalize()

    def post_body(self, blocks: bool, attachment: int) -> str:
        """A body of 300-1,500 words (counting captions, headings, lists)."""
        rng = self.rng
        target = rng.randint(300, 1500)
        parts: list[str] = []
        count = 0
        while count < target:
            roll = rng.random()
            if roll < 0.72 or not parts:
                text = self.paragraph()
                count += text.count(" ") + 1
                parts.append(
                    f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->"
                    if blocks
                    else text
                )
                if len(parts) == 1 and rng.random() < 0.3:
                    parts.append("<!--more-->")
            elif roll < 0.8:
                items = [self.sentence(3, 10) for _ in range(rng.randint(2, 6))]
                count += sum(item.count(" ") + 1 for item in items)
                inner = "".join(f"<li>{item}</li>" for item in items)
                parts.append(
                    f'<!-- wp:list -->\n<ul class="wp-block-list">{inner}</ul>\n'
                    "<!-- /wp:list -->"
                    if blocks
                    else "<ul>\n\t"
                    + inner.replace("</li><li>", "</li>\n\t<li>")
                    + "\n</ul>"
                )
            elif roll < 0.87:
                heading = self.sentence(2, 6).rstrip(".?!…")
                count += heading.count(" ") + 1
                parts.append(
                    "<!-- wp:heading -->\n"
                    f'<h2 class="wp-block-heading">{heading}</h2>\n'
                    "<!-- /wp:heading -->"
                    if blocks
                    else f"<h2>{heading}</h2>"
                )
            elif roll < 0.92:
                attachment += 1
                caption = self.sentence(3, 9)
                count += caption.count(" ") + 1
                month = f"{rng.randint(2011, 2024)}/{rng.randint(1, 12):02d}"
                parts.append(
                    f'[caption id="attachment_{attachment}" align="aligncenter" '
                    f'width="800"]<img class="size-large wp-image-{attachment}" '
                    f'src="{SITE}/wp-content/uploads/{month}/photo-{attachment}.jpg" '
                    f'alt="" width="800" height="533" /> {caption}[/caption]'
                )
            elif roll < 0.97:
                quote = self.paragraph()
                count += quote.count(" ") + 1
                parts.append(f"<blockquote>{quote}</blockquote>")
            else:
                # Code, sometimes with "]]>" in it (here: nested indexing).
                code = (
                    "if (grid[row[0]]>limit) {\n    return &amp;cell;\n}"
                    if rng.random() < 0.3
                    else "for item in items:\n    print(item)"
                )
                parts.append(f"<pre><code>{code}</code></pre>")
        return "\n\n".join(parts)

    def comment_body(self, spam: bool) -> str:
        rng = self.rng
        if spam:
            links = " ".join(
                f'<a href="https://{slugify(words)}.example.net/">{words}</a>'
                for words in rng.sample(SPAM_WORDS, rng.randint(1, 4))
            )
            return f"{self.sentence(4, 10)} {links}"
        paragraphs = []
        for _ in range(rng.choices((1, 2, 3, 4), (55, 28, 12, 5))[0]):
            text = " ".join(self.sentence(4, 18) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.05:
                text = f"<blockquote>{self.sentence(4, 12)}</blockquote>\n{text}"
            paragraphs.append(text)
        if rng.random() < 0.05:
            paragraphs.append(f"See https://www.{rng.choice(DOMAINS)}/notes/ too.")
        return "\n\n".join(paragraphs)


def ipv4(rng: random.Random) -> str:
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randint(1, 254)}"


def ip_address(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.62:
        return ipv4(rng)
    if roll < 0.97:
        return f"2001:db8:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
    return ""  # very old comments have none


@dataclasses.dataclass
class Plan:
    """What one item will be: decided up front so comments can be shared out."""

    kind: str  # "post" or "page"
    status: str  # "publish", "draft", "future", "private", "password"
    comments: int = 0


def plan_items(rng: random.Random, posts: int, pages: int, comments: int) -> list[Plan]:
    future = min(posts, round(posts * FUTURE_SHARE))
    plans = [Plan("post", pick(rng, POST_STATUSES)) for _ in range(posts - future)]
    plans += [
        Plan("page", "publish" if rng.random() < 0.9 else "draft") for _ in range(pages)
    ]
    rng.shuffle(plans)
    # The scheduled posts are the newest ones: last in the file, as in WordPress.
    plans += [Plan("post", "future") for _ in range(future)]
    open_ = [p for p in plans if p.status in {"publish", "password"}]
    # Heavy tail: most items get a few comments or none; a handful of "hot" posts
    # (about one in 2,000) take some 10% between them, with thousands each.
    weights = [
        rng.paretovariate(1.4) * (0.2 if p.kind == "page" else 1.0) - 0.9 for p in open_
    ]
    weights = [max(w, 0.0) for w in weights]
    hot_posts = [i for i, p in enumerate(open_) if p.kind == "post"]
    if hot_posts and comments >= 1000:
        hot = rng.sample(hot_posts, max(1, len(hot_posts) // 2000))
        spread = sum(weights) * 0.1 / len(hot)
        for i in hot:
            weights[i] += spread
    if open_ and not any(weights):
        weights = [1.0] * len(open_)
    for plan, count in zip(open_, allocate(comments, weights), strict=True):
        plan.comments = count
    if comments and not open_:
        raise ValueError("no published post to carry the comments: add --posts")
    return plans


class Generator:
    def __init__(self, out: TextIO, seed: int) -> None:
        self.out = out
        # Test data, not secrets: the same seed must give the same file.
        self.rng = random.Random(seed)  # noqa: S311
        self.writer = Writer(self.rng)
        self.summary = Summary(seed=seed)
        self.comment_id = 0
        self.attachment = 10_000_000
        self.slugs: set[str] = set()
        self.pages: list[int] = []
        self.categories: list[tuple[str, str]] = []  # (nicename, name)
        self.tags: list[tuple[str, str]] = []

    def run(self, posts: int, pages: int, comments: int) -> Summary:
        plans = plan_items(self.rng, posts, pages, comments)
        self.head()
        dated = sum(p.status != "future" for p in plans)
        step = (EXPORTED - datetime.timedelta(days=2) - FIRST_POST) / max(dated, 1)
        moment = EXPORTED
        for number, plan in enumerate(plans, start=1):
            if plan.status == "future":
                moment += datetime.timedelta(days=self.rng.uniform(1, 10))
            else:  # strictly increasing, never after the export
                moment = FIRST_POST + step * (number - 1 + self.rng.uniform(0, 0.9))
            self.item(number, plan, moment)
        self.out.write("</channel>\n</rss>\n")
        return self.summary

    def head(self) -> None:
        rng, out = self.rng, self.out
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            "<!-- This is a WordPress eXtended RSS file generated by WordPress as an "
            "export of your site. -->\n"
            '<rss version="2.0"\n'
            f'\txmlns:excerpt="{EXCERPT}"\n'
            '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
            '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
            '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            f'\txmlns:wp="{WP}"\n>\n\n<channel>\n'
            "\t<title>Slow Things, Made Well</title>\n"
            f"\t<link>{SITE}</link>\n"
            "\t<description>Workshop notes, travel and bread</description>\n"
            f"\t<pubDate>{rfc2822(EXPORTED)}</pubDate>\n"
            "\t<language>en-GB</language>\n"
            "\t<wp:wxr_version>1.2</wp:wxr_version>\n"
            f"\t<wp:base_site_url>{SITE}</wp:base_site_url>\n"
            f"\t<wp:base_blog_url>{SITE}</wp:base_blog_url>\n\n"
        )
        for number, (login, display, first, last) in enumerate(AUTHORS, start=1):
            out.write(
                f"\t<wp:author><wp:author_id>{number}</wp:author_id>"
                f"<wp:author_login>{cdata(login)}</wp:author_login>"
                f"<wp:author_email>{cdata(f'{login}@example.com')}</wp:author_email>"
                f"<wp:author_display_name>{cdata(display)}</wp:author_display_name>"
                f"<wp:author_first_name>{cdata(first)}</wp:author_first_name>"
                f"<wp:author_last_name>{cdata(last)}</wp:author_last_name>"
                "</wp:author>\n"
            )
        self.summary.authors = len(AUTHORS)
        term = 1
        for topic, children in TOPICS.items():
            for name, parent in [(topic, ""), *((c, topic) for c in children)]:
                nicename = slugify(name)
                out.write(
                    f"\t<wp:category><wp:term_id>{term}</wp:term_id>"
                    f"<wp:category_nicename>{cdata(nicename)}</wp:category_nicename>"
                    "<wp:category_parent>"
                    f"{cdata(slugify(parent) if parent else '')}</wp:category_parent>"
                    f"<wp:cat_name>{cdata(name)}</wp:cat_name></wp:category>\n"
                )
                self.categories.append((nicename, name))
                term += 1
        self.summary.categories = len(self.categories)
        names = sorted({f"{a} {b}" for a in NOUNS for b in NOUNS if a != b})
        for name in rng.sample(names, 200):
            out.write(
                f"\t<wp:tag><wp:term_id>{term}</wp:term_id>"
                f"<wp:tag_slug>{cdata(slugify(name))}</wp:tag_slug>"
                f"<wp:tag_name>{cdata(name)}</wp:tag_name></wp:tag>\n"
            )
            self.tags.append((slugify(name), name))
            term += 1
        self.summary.tags = len(self.tags)
        out.write("\n\t<generator>https://wordpress.org/?v=6.7.1</generator>\n\n")

    def unique_slug(self, title: str) -> str:
        base = slugify(title)[:180].strip("-")
        slug, n = base, 2
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        return slug

    def item(self, post_id: int, plan: Plan, moment: datetime.datetime) -> None:
        rng, summary = self.rng, self.summary
        login = rng.choices([a[0] for a in AUTHORS], (50, 25, 15, 10))[0]
        title = self.writer.title()
        slug = self.unique_slug(title)
        body = self.writer.post_body(rng.random() < 0.4, self.attachment)
        self.attachment += 10
        status = "publish" if plan.status == "password" else plan.status
        is_page = plan.kind == "page"
        link = f"{SITE}/?page_id={post_id}" if is_page else f"{SITE}/?p={post_id}"
        local = wp_date(moment + LOCAL_OFFSET)
        gmt, pub_date = wp_date(moment), rfc2822(moment)
        post_name = slug
        if status == "draft":
            # WordPress leaves a draft's GMT date unset and its pubDate at year -1.
            gmt, pub_date = "0000-00-00 00:00:00", "Mon, 30 Nov -0001 00:00:00 +0000"
            if rng.random() < 0.5:
                post_name = ""
        parent = 0
        if is_page and self.pages and rng.random() < 0.4:
            parent = rng.choice(self.pages)
            summary.pages_with_parent += 1
        password = ""
        if plan.status == "password":
            password = f"secret-{post_id}"
            summary.password_protected += 1
        excerpt = self.writer.sentence() if rng.random() < 0.15 else ""
        menu_order = rng.randint(0, 5) if is_page else 0
        parts = [
            f"\t<item>\n\t\t<title>{cdata(title)}</title>\n"
            f"\t\t<link>{escape(link)}</link>\n"
            f"\t\t<pubDate>{pub_date}</pubDate>\n"
            f"\t\t<dc:creator>{cdata(login)}</dc:creator>\n"
            f'\t\t<guid isPermaLink="false">{escape(link)}</guid>\n'
            "\t\t<description></description>\n"
            f"\t\t<content:encoded>{cdata(body)}</content:encoded>\n"
            f"\t\t<excerpt:encoded>{cdata(excerpt)}</excerpt:encoded>\n"
            f"\t\t<wp:post_id>{post_id}</wp:post_id>\n"
            f"\t\t<wp:post_date>{cdata(local)}</wp:post_date>\n"
            f"\t\t<wp:post_date_gmt>{cdata(gmt)}</wp:post_date_gmt>\n"
            f"\t\t<wp:post_modified>{cdata(local)}</wp:post_modified>\n"
            f"\t\t<wp:post_modified_gmt>{cdata(gmt)}</wp:post_modified_gmt>\n"
            "\t\t<wp:comment_status>"
            f"{cdata('open' if rng.random() < 0.9 else 'closed')}</wp:comment_status>\n"
            f"\t\t<wp:ping_status>{cdata('open')}</wp:ping_status>\n"
            f"\t\t<wp:post_name>{cdata(post_name)}</wp:post_name>\n"
            f"\t\t<wp:status>{cdata(status)}</wp:status>\n"
            f"\t\t<wp:post_parent>{parent}</wp:post_parent>\n"
            f"\t\t<wp:menu_order>{menu_order}</wp:menu_order>\n"
            f"\t\t<wp:post_type>{cdata(plan.kind)}</wp:post_type>\n"
            f"\t\t<wp:post_password>{cdata(password)}</wp:post_password>\n"
            f"\t\t<wp:is_sticky>{int(not is_page and rng.random() < 0.002)}"
            "</wp:is_sticky>\n"
        ]
        if not is_page:
            chosen = rng.sample(self.categories, rng.choices((1, 2, 3), (70, 22, 8))[0])
            chosen_tags = rng.sample(
                self.tags, rng.choices(range(7), (20, 15, 20, 20, 12, 8, 5))[0]
            )
            for domain, terms in (("category", chosen), ("post_tag", chosen_tags)):
                parts.extend(
                    f"\t\t<category domain={quoteattr(domain)} "
                    f"nicename={quoteattr(nicename)}>{cdata(name)}</category>\n"
                    for nicename, name in terms
                )
        parts.append(
            "\t\t<wp:postmeta>\n"
            f"\t\t\t<wp:meta_key>{cdata('_edit_last')}</wp:meta_key>\n"
            f"\t\t\t<wp:meta_value>{cdata('1')}</wp:meta_value>\n"
            "\t\t</wp:postmeta>\n"
        )
        self.out.write("".join(parts))
        self.comments(plan.comments, moment, login)
        self.out.write("\t</item>\n")
        if is_page:
            summary.pages[status] += 1
            if status == "publish":
                self.pages.append(post_id)
        else:
            summary.posts[status] += 1

    def comments(self, count: int, posted: datetime.datetime, login: str) -> None:
        if not count:
            return
        rng, summary, writer = self.rng, self.summary, self.writer
        summary.items_with_comments += 1
        summary.max_on_one_item = max(summary.max_on_one_item, count)
        # Comments come soon after the post and thin out: the window is up to 60
        # days (less for recent posts), and the dates are sorted before writing.
        window = min(60 * 86400.0, (EXPORTED - posted).total_seconds() - 60)
        offsets = sorted(window * rng.random() ** 2.5 for _ in range(count))
        # Earlier approved comments of this post that can be answered: id -> (depth,
        # parent id); and the newest reply, which people most often answer next.
        answerable: dict[int, tuple[int, int]] = {}
        answerable_ids: list[int] = []
        newest_reply = 0
        author = next(a for a in AUTHORS if a[0] == login)
        last = 0.0
        parts: list[str] = []
        for offset in offsets:
            last = max(last + 1, offset + 60)
            moment = posted + datetime.timedelta(seconds=round(last))
            self.comment_id += 1
            comment_id = self.comment_id
            parent, depth, user_id = 0, 1, 0
            if rng.random() < PING_SHARE:
                kind = "pingback" if rng.random() < 0.7 else "trackback"
                approved = pick(rng, PING_APPROVAL)
                blog = rng.choice(BLOG_NAMES)
                source = (
                    f"https://{slugify(blog)}.{rng.choice(DOMAINS)}/{moment:%Y/%m}/"
                )
                source += f"{slugify(writer.sentence(2, 4))}/"
                excerpt = writer.sentence(8, 20)
                person = Person(blog, "", source)
                if kind == "pingback":
                    body = f"[&#8230;] {excerpt} [&#8230;]"
                else:
                    body = f"<strong>{writer.sentence(2, 6)}</strong>\n\n{excerpt}"
                ip = ipv4(rng)
            else:
                kind = ""
                approved = pick(rng, APPROVAL)
                person = rng.choice(writer.people)
                if approved == "spam":
                    person = Person(
                        rng.choice(SPAM_WORDS).title(),
                        f"offers{rng.randint(1, 999)}@{rng.choice(DOMAINS)}",
                        f"https://{slugify(rng.choice(SPAM_WORDS))}.example.net/",
                    )
                elif answerable_ids and rng.random() < REPLY_SHARE:
                    if newest_reply and rng.random() < 0.6:
                        parent = newest_reply
                    else:
                        parent = rng.choice(answerable_ids)
                    if answerable[parent][0] >= MAX_DEPTH:
                        parent = answerable[parent][1]  # answer its parent instead
                    depth = answerable[parent][0] + 1
                    if rng.random() < 0.15:  # the post's author answers
                        person = Person(author[1], f"{author[0]}@example.com", SITE)
                        user_id = AUTHORS.index(author) + 1
                        approved = "1"
                body = writer.comment_body(approved == "spam")
                ip = ip_address(rng)
            if approved == "1" and kind == "":
                answerable[comment_id] = (depth, parent)
                answerable_ids.append(comment_id)
                if parent:
                    newest_reply = comment_id
            if parent:
                summary.replies += 1
                summary.max_depth = max(summary.max_depth, depth)
            else:
                summary.max_depth = max(summary.max_depth, 1)
            type_name = kind or "comment"
            summary.comments_by_type[type_name] += 1
            summary.comments_by_approved[approved] += 1
            summary.comments_by_type_and_approved[f"{type_name}/{approved}"] += 1
            parts.append(
                "\t\t<wp:comment>\n"
                f"\t\t\t<wp:comment_id>{comment_id}</wp:comment_id>\n"
                f"\t\t\t<wp:comment_author>{cdata(person.name)}</wp:comment_author>\n"
                "\t\t\t<wp:comment_author_email>"
                f"{cdata(person.email)}</wp:comment_author_email>\n"
                "\t\t\t<wp:comment_author_url>"
                f"{escape(person.url)}</wp:comment_author_url>\n"
                f"\t\t\t<wp:comment_author_IP>{cdata(ip)}</wp:comment_author_IP>\n"
                "\t\t\t<wp:comment_date>"
                f"{cdata(wp_date(moment + LOCAL_OFFSET))}</wp:comment_date>\n"
                "\t\t\t<wp:comment_date_gmt>"
                f"{cdata(wp_date(moment))}</wp:comment_date_gmt>\n"
                f"\t\t\t<wp:comment_content>{cdata(body)}</wp:comment_content>\n"
                f"\t\t\t<wp:comment_approved>{cdata(approved)}</wp:comment_approved>\n"
                f"\t\t\t<wp:comment_type>{cdata(kind)}</wp:comment_type>\n"
                f"\t\t\t<wp:comment_parent>{parent}</wp:comment_parent>\n"
                f"\t\t\t<wp:comment_user_id>{user_id}</wp:comment_user_id>\n"
                "\t\t</wp:comment>\n"
            )
            if len(parts) >= 200:  # a hot post's thousands: write as we go
                self.out.write("".join(parts))
                parts.clear()
        self.out.write("".join(parts))


def generate(
    path: Path, *, posts: int, comments: int, pages: int | None = None, seed: int = 1
) -> dict[str, Any]:
    """Write the WXR file and its summary; return the summary.

    The file is written under a temporary name and renamed when complete, so an
    interrupted run never leaves a truncated file that looks finished.
    """
    if pages is None:
        pages = posts // 50
    partial = path.with_name(path.name + ".part")
    with partial.open("w", encoding="utf-8", newline="\n") as out:
        summary = Generator(out, seed).run(posts, pages, comments).as_json()
    os.replace(partial, path)
    summary["file"] = path.name
    summary["bytes"] = path.stat().st_size
    summary_path(path).write_text(
        json.dumps(summary, indent=2) + "\n", encoding="utf-8"
    )
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--pages", type=int, default=None, help="default: one per 50 posts"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    args = parser.parse_args(argv)
    if min(args.posts, args.comments, args.pages or 0) < 0:
        parser.error("sizes cannot be negative")
    try:
        summary = generate(
            args.output,
            posts=args.posts,
            comments=args.comments,
            pages=args.pages,
            seed=args.seed,
        )
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    print(  # noqa: T201
        f"{args.output}: {summary['bytes'] / 1e6:.1f} MB, "
        f"{summary['posts']['total']} posts, {summary['pages']['total']} pages, "
        f"{summary['comments']['total']} comments "
        f"({summary['comments']['replies']} replies, max depth "
        f"{summary['comments']['max_depth']}, at most "
        f"{summary['comments']['max_on_one_item']} on one post); "
        f"summary in {summary_path(args.output).name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
