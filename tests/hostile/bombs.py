"""Markdown inputs that make renderers slow or deep (plan §1.4, §3.1 test 11), at the
length a comment may have. Shared by the tests and bench/markdown_bombs.py."""

from __future__ import annotations

from collections.abc import Callable

LENGTH = 20_000  # FIRSTHAND_RESPONSE_MAX_CHARS's default


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def _lines(make: Callable[[int], str]) -> Callable[[int], str]:
    def build(n: int) -> str:
        out: list[str] = []
        size = i = 0
        while size < n:
            out.append(make(i))
            size += len(out[-1])
            i += 1
        return "".join(out)[:n]

    return build


def _references(n: int) -> str:
    count = n // 40
    defs = "".join(f"[r{i}]: https://ref.example.org/{i}\n" for i in range(count))
    uses = " ".join(f"[r{i}]" for i in range(count))
    return (defs + "\n" + uses)[:n]


BOMBS: dict[str, Callable[[int], str]] = {
    "open brackets": _repeat("["),
    "open image brackets": _repeat("!["),
    "unclosed links": _repeat("[a]("),
    "empty unclosed links": _repeat("[]("),
    "backtick run": _repeat("`"),
    "backtick runs of every length": lambda n: " ".join("`" * k for k in range(1, 200))[
        :n
    ],
    "star-letter": _repeat("*a"),
    "underscore-letter": _repeat("_a"),
    "tildes": _repeat("~"),
    "strike openers": _repeat("~~a"),
    "mixed emphasis": _repeat("*_"),
    "emphasis closers": _repeat("a**"),
    "link of code": _repeat("[`"),
    "reference definitions and uses": _references,
    "nested lists": _lines(lambda i: "  " * min(i, 150) + "- a\n"),
    "nested ordered lists": _lines(lambda i: "   " * min(i, 150) + "1. a\n"),
    "list markers on one line": _repeat("- "),
    "blockquote markers": _repeat(">"),
    "spaced blockquote markers": _repeat("> "),
    "quoted lists": _repeat("> - "),
    "deep emphasis": lambda n: "*" * (n // 2) + "a" + "*" * (n // 2 - 1),
    "divs": _repeat("<div>"),
    "entities": _repeat("&#x41;"),
    "ampersands": _repeat("&"),
    "autolinks": _repeat("<https://a.example.org/> "),
    "bare addresses": _repeat("https://a.example.org/ "),
    "links in links": lambda n: "[" * (n // 3) + "a" + "](b)" * (n // 6),
    "images in images": lambda n: "![" * (n // 8) + "](x)" * (n // 8),
    "tag starts": _repeat("<a"),
    "soft line breaks": _repeat("a\n"),
    "table cells": lambda n: "|a" * (n // 4) + "\n" + "|-" * (n // 4),
}


def bomb(name: str, length: int = LENGTH) -> str:
    return BOMBS[name](length)
