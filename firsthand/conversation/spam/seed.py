"""The seed model: counts learned from labelled comments shipped with the project.

A new site has no moderator decisions yet, so the classifier starts from counts
learned from the YouTube Spam Collection (Alberto, Lochter & Almeida, "TubeSpam:
Comment Spam Filtering on YouTube", ICMLA 2015; ``../shared/testdata/spam/``).
The shipped ``seed_model.json.gz`` holds derived counts only (feature, spam count,
ham count), never the comments themselves. Rebuild it with::

    from firsthand.conversation.spam import seed
    seed.write_seed(seed.SHARED_FILES, seed.SEED_PATH)
"""

from __future__ import annotations

import csv
import gzip
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from firsthand.conversation.spam.learner import MemoryCounts, features

SEED_PATH = Path(__file__).with_name("seed_model.json.gz")
# The files the shipped seed was built from, relative to the shared folder.
SHARED_FILES = (
    "testdata/spam/Youtube01-Psy.csv",
    "testdata/spam/Youtube02-KatyPerry.csv",
    "testdata/spam/Youtube03-LMFAO.csv",
)
HEADER = ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"]

# Features seen in fewer documents than this are left out of the shipped seed:
# a word seen once says little, and they are most of the file.
SEED_MIN_DOCUMENTS = 2

# YouTube exported comments as HTML. Hashtags and "+name" mentions came out as
# links the commenter never typed, so they go back to plain text; every other
# link becomes what a reader of our form would have typed.
_LINK = re.compile(r"<a\s([^>]*)>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""href\s*=\s*"([^"]*)\"""", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,500}>")
_OTHER_TAG = re.compile(r"<(?!/?a[\s>])[^>]{0,500}>", re.IGNORECASE)


def _link_as_markdown(match: re.Match[str]) -> str:
    attributes, label = match.group(1), _TAG.sub("", match.group(2))
    href = _HREF.search(attributes)
    if href is None or "ot-hashtag" in attributes or "proflink" in attributes:
        return label
    url = html.unescape(href.group(1))
    if html.unescape(label).strip() in ("", url):
        return f"<{url}>"
    return f"[{label}]({url})"


def html_to_markdown(content: str) -> str:
    """A YouTube comment's HTML as the Markdown a person would have typed."""
    text = _BREAK.sub("\n", content)
    # Other tags go first: the "<url>" autolinks made from anchors look like tags.
    text = _OTHER_TAG.sub("", text)
    text = _LINK.sub(_link_as_markdown, text)
    # YouTube appended U+FEFF (a zero-width no-break space) to most comments.
    return html.unescape(text).replace("\ufeff", "").strip()


def read_labelled_csv(path: Path | str) -> list[tuple[str, str, bool]]:
    """(author, Markdown text, is spam) for each row of a YouTube Spam Collection file.

    Raises ValueError naming the file and line of the first row that cannot be read.
    """
    path = Path(path)
    rows: list[tuple[str, str, bool]] = []
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path}: the file is empty, expected a header") from None
        except csv.Error as error:
            raise ValueError(f"{path}, line 1: {error}") from None
        if [name.strip().lstrip("\ufeff") for name in header] != HEADER:
            raise ValueError(
                f"{path}, line 1: the header should be {','.join(HEADER)}, "
                f"not {','.join(header)}"
            )
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise ValueError(f"{path}, line {reader.line_num}: {error}") from None
            if not row:
                continue
            if len(row) != len(HEADER) or row[4].strip() not in ("0", "1"):
                raise ValueError(
                    f"{path}, line {reader.line_num}: expected 5 fields ending in "
                    f"CLASS 0 or 1, got {len(row)} field(s): {row!r:.120}"
                )
            rows.append((row[1], html_to_markdown(row[3]), row[4].strip() == "1"))
    return rows


def train(paths: Iterable[Path | str]) -> MemoryCounts:
    """Counts learned from the labelled files, each distinct text once.

    Repeats are skipped (whitespace and case aside): Youtube03 alone holds "Check
    out this video on YouTube:" 74 times, which would make its words look like
    the whole of spam. On a site, the duplicate rule refuses such repeats anyway.
    """
    counts = MemoryCounts()
    seen: set[str] = set()
    for path in paths:
        for _author, text, is_spam in read_labelled_csv(path):
            key = " ".join(text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            counts.learn(features(text), spam=is_spam)
    return counts


def write_seed(
    paths: Sequence[Path | str],
    out: Path | str = SEED_PATH,
    min_documents: int = SEED_MIN_DOCUMENTS,
) -> MemoryCounts:
    """Train on the files and write the pruned counts as gzipped JSON to ``out``."""
    counts = train(paths).pruned(min_documents)
    # mtime=0 keeps the file byte-identical when rebuilt from the same data.
    with (
        open(out, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as file,
    ):
        file.write(counts.to_json().encode())
    return counts


def load_seed(path: Path | str = SEED_PATH) -> MemoryCounts:
    """The shipped (or a rebuilt) seed model."""
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return MemoryCounts.from_json(file.read())
