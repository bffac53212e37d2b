"""Hostile strings from the team's shared corpora (../shared/testdata), plus the
Markdown-specific vectors of plan §3.1 test 12, as (label, text) pairs.

Each folder's PROVENANCE.md says what its files are; only the attack inputs are
used here, never the expected outputs (they belong to other sanitizers' policies).
"""

from __future__ import annotations

import json

from tests.testdata import shared_file

# Markdown's own ways in (plan §3.1 test 12), and regressions of other projects.
MARKDOWN_VECTORS = (
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+)",
    "![x](javascript:alert(1))",
    '![x](https://a.example.org/i.png "title" onerror="alert(1)")',
    '![x](https://a.example.org/i.png"onerror="alert(1))',
    '[x](https://a.example.org/ "a" onmouseover="alert(1)")',
    '[x](https://a.example.org/"onmouseover="alert(1))',
    "[x][r]\n\n[r]: javascript:alert(1)",
    '[x][r]\n\n[r]: https://a.example.org "t" onclick=alert(1)',
    "<a href='x' onmouseover=alert(1)>hover</a>",
    "<img src=x onerror=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<div>\n<script>alert(1)</script>\n</div>",
    "<!-- --><script>alert(1)</script>",
    "```\n</code><script>alert(1)</script>\n```",
    "```js onload=alert(1)\ncode\n```",
    '```"><script>alert(1)</script>\ncode\n```',
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>",
    "* [x](javascript:alert(1))",
    "***[x](javascript:alert(1))***",
    "~~<script>alert(1)</script>~~",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "[<img src=x onerror=alert(1)>](https://a.example.org)",
    "[x](https://a.example.org/?'onmouseover='alert(1)'x=')",
    # Isso 0.14.0: a single quote in the website broke out of href='…'.
    "http://x.com/?'onmouseover='alert(1)'x='",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "\u202eevil\u202c <script>alert(1)</script>",
    "\x1b[2J\x1b[31mred\x0b\x00\ufffe",
    "line one\r\nBcc: victim@example.org\r\n\r\nbody",
    "{{ 7*7 }} {% debug %} ${7*7} <%= 7*7 %>",
)


def _lines(relative: str) -> list[str]:
    # split("\n"), not splitlines(): some strings hold U+2028 and friends.
    text = shared_file(relative).read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line and not line.startswith("#")]


def naughty_strings() -> list[tuple[str, str]]:
    return [(f"blns {n}", line) for n, line in enumerate(_lines("blns/blns.txt"))]


def sanitizer_vectors() -> list[tuple[str, str]]:
    """DOMPurify's, html5lib's and bleach's attack inputs, and the Markdown ones."""
    found: list[tuple[str, str]] = []
    dompurify = json.loads(
        shared_file("sanitizer-dompurify/dompurify-expect.json").read_text("utf-8")
    )
    found += [
        (f"dompurify {n}: {case.get('title', '')}", case["payload"])
        for n, case in enumerate(dompurify)
    ]
    html5lib = json.loads(
        shared_file("sanitizer-html5lib/tests1.dat").read_text(encoding="utf-8")
    )
    found += [(f"html5lib: {case['name']}", case["input"]) for case in html5lib]
    folder = shared_file("sanitizer-bleach/data")
    for path in sorted(folder.glob("*.test")):
        attack = path.read_text(encoding="utf-8").split("\n--\n")[0].strip()
        found.append((f"bleach: {path.name}", attack))
    found += [(f"markdown {n}", text) for n, text in enumerate(MARKDOWN_VECTORS)]
    return found
