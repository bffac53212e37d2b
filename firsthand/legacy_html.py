"""WordPress post and comment text as plain HTML, ready for the sanitiser.

WordPress stores text as HTML whose paragraphs are made by blank lines: its
``wpautop`` adds the ``<p>`` and ``<br>`` when a page is shown, after shortcodes
and block comments have had their turn. ``wordpress_to_html`` does the same work
once, at import, so an imported post is stored and shown like a native one
(issue #7). What it keeps and why: docs/wordpress-html.md.

Written from WordPress's documented behaviour, not from its PHP. The text is read
by one left-to-right scan (``_tokens``) and every pattern is bounded, so a
megabyte of unclosed tags or brackets costs a linear pass, never a backtracking
storm. Nothing here makes the HTML safe: ``rendering`` sanitises the result.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

# --- Shortcodes ---------------------------------------------------------------

# "[name attributes]", "[name /]" or "[[name]]" (escaped). Names and attributes are
# bounded, and attributes stop at the next bracket, as WordPress's do.
_SHORTCODE = re.compile(
    r"\[(\[?)([A-Za-z][\w-]{0,63})(?=[\s\]/])([^\[\]]{0,2000}?)(/?)\]"
)
_CLOSING_SHORTCODE = re.compile(r"\[/([A-Za-z][\w-]{0,63})\]")
_CAPTION_ATTRIBUTE = re.compile(
    r"(?:^|\s)caption\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"']+))"
)
# The image a [caption] is about: an <img>, maybe inside a link. What follows it
# is the caption (WordPress's media dialog writes it that way since 3.4).
_CAPTION_IMAGE = re.compile(r"<img\b[^<>]{0,5000}>", re.IGNORECASE)
_LINK_END = re.compile(r"\s*</a\s*>", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"]{1,2000}")

CAPTION_NAMES = frozenset({"caption", "wp_caption"})
EXPANDED = CAPTION_NAMES | {"embed"}
# WordPress core's own shortcodes: reported even when they carry no attributes.
CORE_SHORTCODES = frozenset({"gallery", "playlist", "audio", "video"})


def unknown_shortcodes(text: str) -> list[str]:
    """The names of the shortcodes ``wordpress_to_html`` leaves in the text as they
    are (``gallery``, ``audio``, a plugin's ``contact-form``…), first seen first.

    The importer names them in its report: they stay as plain text, since what
    they showed (a gallery of attachments, a player, a form) lived in WordPress.
    A bracketed word counts when it is one of WordPress's own shortcodes, carries
    an attribute (``=``), closes itself (``/]``) or has a closing ``[/name]``; so
    "[sic]" in a sentence is not reported.
    """
    return _expand_shortcodes(_unix_newlines(text))[1]


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _expand_shortcodes(text: str) -> tuple[str, list[str]]:
    """Text with [caption] and [embed] expanded, and the names left alone."""
    closed = {m.group(1) for m in _CLOSING_SHORTCODE.finditer(text)}
    out: list[str] = []
    left: dict[str, None] = {}
    pos = 0  # everything before pos is in out
    # Where the next "[/name]" is, per name: found once, reused by every opening
    # before it (keeps many unclosed openings linear).
    next_close: dict[str, int] = {}

    def closing(name: str, start: int) -> int:
        found = next_close.get(name)
        if found is None or (found != -1 and found < start):
            found = text.find(f"[/{name}]", start)
            next_close[name] = found
        return found

    for match in _SHORTCODE.finditer(text):
        if match.start() < pos:
            continue  # inside a shortcode already expanded
        escape, name, attributes, self_closing = match.groups()
        end = -1
        if name in EXPANDED and not self_closing:
            end = closing(name, match.end())
        if escape:
            # "[[name]]" (or "[[name]…[/name]]") is how WordPress writes a
            # shortcode as text: shown without one pair of brackets.
            if text.startswith("]", match.end()):
                out += [text[pos : match.start()], match.group()[1:]]
                pos = match.end() + 1
            elif end != -1 and text.startswith("]", end + len(name) + 3):
                out += [text[pos : match.start()], text[match.start() + 1 : end]]
                out.append(f"[/{name}]")
                pos = end + len(name) + 4
            continue
        if end == -1:
            if _is_shortcode(name, attributes + self_closing, closed):
                left[name] = None
            continue
        content = text[match.end() : end]
        html = _embed(content) if name == "embed" else _figure(attributes, content)
        out += [text[pos : match.start()], html]
        pos = end + len(name) + 3
    out.append(text[pos:])
    return "".join(out), list(left)


def _is_shortcode(name: str, attributes: str, closed: set[str]) -> bool:
    """Whether a bracketed word left in the text is a shortcode, not prose."""
    if name in CORE_SHORTCODES or name in EXPANDED or name in closed:
        return True
    return "=" in attributes or attributes.endswith("/")


def _embed(content: str) -> str:
    """[embed]URL[/embed]: WordPress fetched a player; a plain link is kept."""
    url = content.strip()
    if _URL.fullmatch(url):
        return f'<a href="{url}">{url}</a>'
    return content


def _figure(attributes: str, content: str) -> str:
    """[caption …]<img …> Its caption[/caption] as <figure> and <figcaption>."""
    attribute = _CAPTION_ATTRIBUTE.search(attributes)
    if attribute:
        body = content
        caption = next(g for g in attribute.groups() if g is not None)
    else:
        image = _CAPTION_IMAGE.search(content)
        cut = image.end() if image else len(content)
        link_end = _LINK_END.match(content, cut)
        if link_end and "<a" in content[:cut].lower():
            cut = link_end.end()
        body, caption = content[:cut], content[cut:]
    caption = caption.strip()
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{body.strip()}{figcaption}</figure>"


# --- Reading the HTML ----------------------------------------------------------


class _Kind(enum.Enum):
    TEXT = "text"
    START = "start"  # an opening (or self-closing) tag
    END = "end"
    RAW = "raw"  # an element whose content is not HTML (script, textarea…), whole
    COMMENT = "comment"  # its text; the comment itself is never output


class _Token(NamedTuple):
    kind: _Kind
    text: str
    name: str = ""


_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]{0,100}")
_NAME_REST = re.compile(r"[^\s/>]*")
_PLAIN = re.compile(r"[^>=]*")
_SPACE = re.compile(r"[ \t\n\f\r]*")
_UNQUOTED = re.compile(r"[^ \t\n\f\r>]*")
_COMMENT_END = re.compile(r"--!?>")

# Elements whose content the browser reads as text up to their end tag.
RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
_RAW_END = {name: re.compile(f"</{name}", re.IGNORECASE) for name in RAW_TEXT}


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` (one that matches the empty string) stops matching."""
    match = pattern.match(text, pos)
    return match.end() if match else pos


def _tag_end(html: str, pos: int) -> int:
    """Just past the ">" closing the tag whose attributes start at ``pos``; -1 if
    the input ends first (the browser then drops the tag, so do we)."""
    size = len(html)
    while True:
        pos = _end(_PLAIN, html, pos)
        if pos >= size:
            return -1
        if html[pos] == ">":
            return pos + 1
        # "=": a value follows; only a value's quotes can hide a ">".
        pos = _end(_SPACE, html, pos + 1)
        if pos < size and html[pos] in "\"'":
            close = html.find(html[pos], pos + 1)
            if close == -1:
                return -1
            pos = close + 1
        else:
            pos = _end(_UNQUOTED, html, pos)


def _tokens(html: str) -> Iterator[_Token]:
    """Text, tags, raw elements and comments, in order, in one linear scan."""
    pos, size = 0, len(html)
    text: list[str] = []  # text not yet given out: a run of text is one token
    while pos < size:
        lt = html.find("<", pos)
        if lt == -1:
            text.append(html[pos:])
            break
        text.append(html[pos:lt])
        after = html[lt + 1 : lt + 2]
        if html.startswith("<!--", lt):
            if html.startswith(("<!-->", "<!--->"), lt):
                body_end = lt + 4
                pos = html.index(">", lt) + 1
            else:
                close = _COMMENT_END.search(html, lt + 4)
                body_end = close.start() if close else size
                pos = close.end() if close else size
            if text:
                yield _Token(_Kind.TEXT, "".join(text))
                text.clear()
            yield _Token(_Kind.COMMENT, html[lt + 4 : body_end])
            continue
        if after in ("!", "?") or (after == "/" and not _TAG_NAME.match(html, lt + 2)):
            # <!DOCTYPE>, <?php …?>, </ 3>, </>: bogus comments, dropped as browsers do.
            gt = html.find(">", lt)
            pos = size if gt == -1 else gt + 1
            continue
        closing = after == "/"
        name_match = _TAG_NAME.match(html, lt + 2 if closing else lt + 1)
        if name_match is None:
            # A "<" that starts no tag is text; written as "&lt;" it cannot join
            # with what follows a removed comment ("<<!-- x -->!--").
            text.append("&lt;")
            pos = lt + 1
            continue
        name_end = _end(_NAME_REST, html, name_match.end())
        name = html[name_match.start() : name_end].lower()
        end = _tag_end(html, name_end)
        if text:
            yield _Token(_Kind.TEXT, "".join(text))
            text.clear()
        if end == -1:
            # Unclosed to the end of the input: kept as it is for the sanitiser.
            yield _Token(_Kind.RAW, html[lt:], name)
            return
        if closing:
            yield _Token(_Kind.END, html[lt:end], name)
        elif name in RAW_TEXT:
            stop = _RAW_END[name].search(html, end)
            stop_end = -1 if stop is None else _tag_end(html, stop.end())
            end = size if stop_end == -1 else stop_end
            yield _Token(_Kind.RAW, html[lt:end], name)
        else:
            yield _Token(_Kind.START, html[lt:end], name)
        pos = end
    if text:
        yield _Token(_Kind.TEXT, "".join(text))


# --- Paragraphs -----------------------------------------------------------------


class _Mode(enum.Enum):
    PARAGRAPHS = "paragraphs"  # blank lines make <p>, single newlines <br>
    BREAKS = "breaks"  # already one paragraph (p, h2, figcaption…): newlines <br>
    AS_IS = "as is"  # lists and tables: untouched
    LINKS = "links"  # block-editor content: only bare URLs become links
    VERBATIM = "verbatim"  # <pre>: untouched


# Text directly inside these is made into paragraphs.
PARAGRAPH_CONTAINERS = frozenset(
    {
        "blockquote", "div", "section", "article", "aside", "header", "footer",
        "nav", "main", "details", "form", "fieldset", "center", "hgroup",
    }
)  # fmt: skip
# These already hold one paragraph's worth of text.
LINE_CONTAINERS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "address",
        "summary", "legend",
    }
)  # fmt: skip
AS_IS_CONTAINERS = frozenset(
    {
        "ul", "ol", "li", "menu", "dl", "dt", "dd", "table", "caption", "colgroup",
        "thead", "tbody", "tfoot", "tr", "td", "th", "select", "optgroup",
    }
)  # fmt: skip
CONTAINERS = PARAGRAPH_CONTAINERS | LINE_CONTAINERS | AS_IS_CONTAINERS | {"pre"}
# Block-level: never inside a <p>; each one ends the paragraph before it.
BLOCKS = CONTAINERS | {"hr", "col", "script", "style"}
# A bare URL inside one of these is not made a link.
_NO_LINKS = frozenset({"a", "code"})
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_BARE_URL = re.compile(r"[^\S\n]*https?://[^\s<>\"]{1,2000}[^\S\n]*")


class _Piece(NamedTuple):
    text: str
    is_text: bool = False
    is_br: bool = False
    linkable: bool = False


def wordpress_to_html(text: str) -> str:
    """WordPress post or comment text as the HTML WordPress would show.

    Comments (block-editor delimiters, ``<!--more-->``) are dropped; ``[caption]``
    becomes a ``<figure>`` with its ``<figcaption>``; ``[embed]URL[/embed]`` and
    a URL alone on its line become plain links; blank-line paragraphs get their
    ``<p>`` and single newlines a ``<br>``, as ``wpautop`` does, but never inside
    ``<pre>``, lists or tables, nor inside block-editor blocks (WordPress skips
    those too). Other shortcodes stay as text (``unknown_shortcodes``).
    """
    expanded, _ = _expand_shortcodes(_unix_newlines(text))
    return _Paragrapher().run(expanded)


class _Paragrapher:
    """One pass over the tokens, holding the open block elements."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.line: list[_Piece] = []  # inline content since the last block boundary
        self.stack: list[str] = []  # open block-level elements
        self.open: Counter[str] = Counter(self.stack)
        self.blocks = 0  # depth of block-editor blocks (<!-- wp:name -->)
        self.no_links = 0  # open <a> and <code>

    def run(self, html: str) -> str:
        for token in _tokens(html):
            if token.kind is _Kind.TEXT:
                self.line.append(_Piece(token.text, True, linkable=not self.no_links))
            elif token.kind is _Kind.COMMENT:
                self.comment(token.text)
            elif token.kind is _Kind.START:
                self.start(token)
            elif token.kind is _Kind.END:
                self.end(token)
            elif token.name in BLOCKS:  # a raw <script> or <style>
                self.flush()
                self.out.append(token.text)
            else:
                self.line.append(_Piece(token.text))
        self.flush()
        return "".join(self.out).strip()

    def comment(self, text: str) -> None:
        # Block delimiters: "<!-- wp:name {…} -->", "<!-- /wp:name -->", and
        # "<!-- wp:name /-->" for a block with no content.
        text = text.strip()
        if text.startswith("wp:") and not text.endswith("/"):
            self.flush()
            self.blocks += 1
        elif text.startswith("/wp:"):
            self.flush()
            self.blocks = max(0, self.blocks - 1)

    def start(self, token: _Token) -> None:
        name = token.name
        if name == "br":
            self.line.append(_Piece(token.text, is_br=True))
            return
        if name not in BLOCKS:
            if name in _NO_LINKS and not token.text.endswith("/>"):
                self.no_links += 1
            self.line.append(_Piece(token.text))
            return
        self.flush()
        if self.stack and self.stack[-1] == "p":  # a block ends an open <p>
            self.pop("p")
        self.out.append(token.text)
        if name in CONTAINERS and not token.text.endswith("/>"):
            self.stack.append(name)
            self.open[name] += 1

    def end(self, token: _Token) -> None:
        name = token.name
        if name not in BLOCKS:
            if name in _NO_LINKS and self.no_links:
                self.no_links -= 1
            self.line.append(_Piece(token.text))
            return
        self.flush()
        self.out.append(token.text)
        self.pop(name)

    def pop(self, name: str) -> None:
        """Close ``name`` and whatever was left open inside it; a stray end tag
        closes nothing. Each element is popped once: linear overall."""
        if not self.open[name]:
            return
        while self.stack:
            top = self.stack.pop()
            self.open[top] -= 1
            if top == name:
                return

    def mode(self) -> _Mode:
        if self.open["pre"]:
            return _Mode.VERBATIM
        if self.blocks:
            return _Mode.LINKS
        inner = self.stack[-1] if self.stack else "div"
        if inner in AS_IS_CONTAINERS:
            return _Mode.AS_IS
        if inner in LINE_CONTAINERS:
            return _Mode.BREAKS
        return _Mode.PARAGRAPHS

    def flush(self) -> None:
        """Write out the inline content since the last block boundary."""
        if not self.line:
            return
        pieces, self.line = self.line, []
        mode = self.mode()
        if mode in (_Mode.VERBATIM, _Mode.AS_IS):
            self.out += [piece.text for piece in pieces]
            return
        pieces = _linked(pieces)
        if mode is _Mode.LINKS:
            self.out += [piece.text for piece in pieces]
        elif mode is _Mode.BREAKS:
            lead, middle, trail = _trimmed(pieces)
            self.out += [lead, _with_breaks(middle), trail]
        else:
            self.out.append(_paragraphs(pieces))


def _linked(pieces: list[_Piece]) -> list[_Piece]:
    """A URL alone on its line (between newlines or block tags) as a link: what
    WordPress's auto-embeds turned into a player."""
    last = len(pieces) - 1
    linked: list[_Piece] = []
    for index, piece in enumerate(pieces):
        if not (piece.linkable and "http" in piece.text):
            linked.append(piece)
            continue
        lines = piece.text.split("\n")
        for number, line in enumerate(lines):
            alone_left = number > 0 or index == 0
            alone_right = number < len(lines) - 1 or index == last
            if alone_left and alone_right and _BARE_URL.fullmatch(line):
                url = line.strip()
                lines[number] = line.replace(url, f'<a href="{url}">{url}</a>')
        linked.append(piece._replace(text="\n".join(lines)))
    return linked


def _trimmed(pieces: list[_Piece]) -> tuple[str, list[_Piece], str]:
    """Leading and trailing whitespace split off: no <br> at either end."""
    pieces = list(pieces)
    lead: list[str] = []
    while pieces and pieces[0].is_text:
        text = pieces[0].text
        stripped = text.lstrip()
        lead.append(text[: len(text) - len(stripped)])
        if stripped:
            pieces[0] = pieces[0]._replace(text=stripped)
            break
        pieces.pop(0)
    trail: list[str] = []
    while pieces and pieces[-1].is_text:
        text = pieces[-1].text
        stripped = text.rstrip()
        trail.insert(0, text[len(stripped) :])
        if stripped:
            pieces[-1] = pieces[-1]._replace(text=stripped)
            break
        pieces.pop()
    return "".join(lead), pieces, "".join(trail)


def _with_breaks(pieces: list[_Piece]) -> str:
    """Each newline as <br>, unless a <br> already ends that line."""
    out: list[str] = []
    after_br = False
    for piece in pieces:
        if not piece.is_text:
            out.append(piece.text)
            after_br = piece.is_br
            continue
        first, *rest = piece.text.split("\n")
        out.append(first)
        after_br = after_br and not first.strip()
        for line in rest:
            out.append("\n" if after_br else "<br>\n")
            out.append(line)
            after_br = False
    return "".join(out)


def _paragraphs(pieces: list[_Piece]) -> str:
    """Blank-line separated inline content as <p> elements."""
    lead, pieces, trail = _trimmed(pieces)
    paragraphs: list[list[_Piece]] = [[]]
    for piece in pieces:
        if not piece.is_text:
            paragraphs[-1].append(piece)
            continue
        for number, part in enumerate(_BLANK_LINE.split(piece.text)):
            if number:
                paragraphs.append([])
            if part:
                paragraphs[-1].append(piece._replace(text=part))
    html: list[str] = []
    for paragraph in paragraphs:
        _, middle, _ = _trimmed(paragraph)
        if middle:
            html.append(f"<p>{_with_breaks(middle)}</p>")
    return lead + "\n".join(html) + trail
