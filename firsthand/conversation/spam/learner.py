"""The learned classifier, in plain code: features, counts, and a probability.

A multinomial naive Bayes over the features of ``features()``, each counted once
per document. Plain code rather than scikit-learn because

- the model is nothing but counts, (feature, spam documents, ham documents), so
  one moderator decision is one counter update in the database, seen at once by
  every process; no model file to retrain, lock and reload;
- every feature's weight is a readable log-ratio, so the moderation queue can say
  *why* ("classifier 0.91: 'check out', 'my channel', 'facebook.com'");
- no numpy/scipy (~50 MB) for what is a few sums of logarithms.

On the benchmark (docs/spam.md) it beats TF-IDF + logistic regression; the gain
comes from the features (phrases and "concepts" rather than single words), not from
the learning algorithm.

Counts live behind ``TokenCounts`` (context.py): ``MemoryCounts`` here, for the seed
model, tests and the benchmark, and a database table in ``conversation``. Besides
one row per feature, the counts keep one reserved row, ``FEATURE_TOTAL``, holding
how many feature occurrences each class has seen: multinomial naive Bayes divides
by it. ``deltas()`` says exactly what one learned document adds.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Final

from firsthand.conversation.spam import text as textlib
from firsthand.conversation.spam.context import TokenCounts
from firsthand.conversation.submission import Submission

# Bump when features() changes meaning: stored counts from another version describe
# other features and must be rebuilt (``firsthand train-spam``).
FEATURES_VERSION: Final = 1

# Only this much of a text is read, and at most this many distinct features kept,
# so scoring stays a few milliseconds whatever is pasted into the form.
MAX_CHARS: Final = 5000
MAX_FEATURES: Final = 300

# The reserved row: (feature occurrences in spam, in ham). Features never contain
# "#" (words are letters and digits), so it cannot collide with one.
FEATURE_TOTAL: Final = "#features"

# Laplace smoothing: one imagined occurrence of every feature in each class, over
# an assumed vocabulary of SMOOTHING_VOCABULARY features. The true vocabulary size
# would need a count of all rows at every judgement; the score barely moves
# between 3,000 and 10,000 (measured on the benchmark).
ALPHA: Final = 1.0
SMOOTHING_VOCABULARY: Final = 10_000

# A concept feature stands for a whole family of phrasings ("check out my
# channel", "visit my page", …) whose evidence carries across topics, where a
# single bigram's does not; it counts CONCEPT_WEIGHT times.
CONCEPT_WEIGHT: Final = 3.0
# Naive Bayes adds up correlated evidence as if it were independent, so its raw
# log-odds are overconfident; dividing by TEMPERATURE tempers them.
TEMPERATURE: Final = 3.0

# -- features -----------------------------------------------------------------

# Concepts: phrase families that mark comment spam on any topic: self-promotion,
# requests to subscribe, visit, like or share, money and follower goals.
_PROMO_NOUNS = (
    "channel|chanel|channels|canal|video|videos|vid|vids|vlog|vlogs|page|site|"
    "website|blog|music|song|songs|track|tracks|mixtape|album|band|cover|covers|"
    "account|profile|stuff|app|game|shop|store|book|art|photos|pics|instagram|"
    "twitter|facebook|youtube|playlist|movie|film|poem|rap|raps|remix|beats|single|"
    "podcast|stream|project|brand|business|company|product|products|group|team|"
    "crew|clip|clips|content|work|works|sound|sounds|soundcloud|demo"
)
_SELF_PROMO = re.compile(
    r"\b(?:my|our|mi|meu|mon|mein)\s+"
    r"(?:(?:new|first|latest|own|little|youtube|music|dance|gaming|official|small)\s+)"
    r"{0,2}(?:" + _PROMO_NOUNS + r")\b"
)
_SUBSCRIBE = re.compile(
    r"(?:sub|subs|sub4sub|s4s|su[bs]{0,2}c?cri\w*|subcri\w*|inscre\w*|abonn\w*)"
)
_ASK_VISIT = re.compile(
    r"\b(?:check(?:\s+(?:it|this|us|me|them))?\s+out|check\s+(?:my|our)|"
    r"visit\s+(?:my|our|me)|go\s+to\s+my|look\s+at\s+my|watch\s+my|"
    r"listen\s+to\s+my|follow\s+(?:me|my|us)|add\s+me|click\s+(?:the|this|my|on)|"
    r"take\s+a\s+look|come\s+(?:and|to)\s+(?:see|watch|check)|search\s+for|google\s+it)\b"
)
_ASK_LIKE = re.compile(
    r"\b(?:like\s+(?:this|my)\s+(?:comment|post|video|page)|thumbs\s+up\s+(?:if|for)|"
    r"like\s+if|give\s+(?:it|this|me)\s+a\s+(?:like|thumbs)|like\s+(?:4|for)\s+like|"
    r"follow\s+(?:4|for)\s+follow|l4l|f4f|(?:please|pls|plz)\s+like|"
    r"share\s+(?:this|my|it))\b"
)
_MONEY = re.compile(
    r"\b(?:free|earn|earning|earnings|money|cash|paypal|gift\s*cards?|giveaway|"
    r"prizes?|dollars?|bitcoin|income|profit|discount|cheap|donate|donation|"
    r"fundraiser|surveys?|vote|voting|petition)\b|\$\d"
)
_GOAL = re.compile(
    r"\b\d[\d,.]{0,20}+k?\s*+(?:subs|subscribers|followers|likes|fans)\b"
)
# "please", "pleease", "pleas", "pls", "plz", "plzz", "pleez", … (stretched
# letters are already squeezed to two by text.words).
_PLEASE = re.compile(r"ple{1,2}a{1,2}s{1,2}e{0,2}|pl[sz]{1,2}|ple{1,2}[sz]{1,2}")
_MENTION = re.compile(r"(?:^|\s)@\w")
_HASHTAG = re.compile(r"(?:^|\s)#\w")
# Links that pay their poster per click or sign-up, and shorteners hiding where
# a link goes.
_REFERRAL = re.compile(
    r"[?&](?:ref|r|aff|affiliate|referral|invite|promo)\w{0,20}+=", re.I
)
_SHORTENERS = frozenset(
    {
        "bit.ly", "goo.gl", "tinyurl.com", "ow.ly", "t.co", "adf.ly", "is.gd",
        "buff.ly", "cutt.ly", "shorte.st", "bc.vc", "linkbucks.com", "shhort.com",
    }
)  # fmt: skip

# What each concept means, for the moderation queue.
CONCEPTS: Final[Mapping[str, str]] = {
    "__self_promo__": "self-promotion",
    "__subscribe__": "subscribe",
    "__ask_visit__": "check out / visit",
    "__ask_like__": "asks for likes",
    "__money__": "money or votes",
    "__goal__": "follower goal",
    "__please__": "please",
    "__mention__": "@mention",
    "__hashtag__": "#hashtag",
}
_LINK_FEATURES: Final[Mapping[str, str]] = {
    "__link__": "a link",
    "__referral__": "referral or short link",
    "__author_url__": "author's web address",
}


def _concepts(plain: str, words: list[str]) -> list[str]:
    joined = " ".join(words)
    lower = plain.lower()
    found = []
    if _SELF_PROMO.search(joined):
        found.append("__self_promo__")
    if any(_SUBSCRIBE.fullmatch(w) for w in words):
        found.append("__subscribe__")
    if _ASK_VISIT.search(joined):
        found.append("__ask_visit__")
    if _ASK_LIKE.search(joined):
        found.append("__ask_like__")
    if _MONEY.search(lower):
        found.append("__money__")
    if _GOAL.search(lower):
        found.append("__goal__")
    if any(_PLEASE.fullmatch(w) for w in words):
        found.append("__please__")
    if _MENTION.search(plain):
        found.append("__mention__")
    if _HASHTAG.search(plain):
        found.append("__hashtag__")
    return found


def _link_features(addresses: list[str]) -> list[str]:
    if not addresses:
        return []
    found = ["__link__"]
    for address in addresses:
        site = textlib.site(textlib.host(address))
        if site:
            found.append("site:" + site)
        if _REFERRAL.search(address) or site in _SHORTENERS:
            found.append("__referral__")
    return found


def features(item: Submission | str) -> list[str]:
    """The distinct features of a submission (or a bare text), in a stable order.

    - concepts ("__self_promo__", "__subscribe__", …: see CONCEPTS), found by
      phrase patterns over the whole text;
    - links: "__link__", "site:facebook.com" for each linked site, "__referral__"
      for referral links and shorteners, "__author_url__" (+ its site);
    - word bigrams, "check out", "my channel", "the views": lower-case, letters
      stretched three times or more squeezed to two ("pleeease" -> "pleease").

    No single words: "check" is spam in "check out my channel" and not in "came
    here to check the views"; bigrams keep that context, and on the benchmark
    adding unigrams lowered the recall at a fixed false-positive rate.
    """
    if isinstance(item, Submission):
        body, author_url = item.body, item.author_url
    else:
        body, author_url = item, ""
    body = body[:MAX_CHARS]
    addresses = textlib.links(body) + textlib.bare_domains(body)
    plain = textlib.without_links(body)
    words = textlib.words(plain)
    found = _concepts(plain, words) + _link_features(addresses)
    if author_url:
        found.append("__author_url__")
        site = textlib.site(textlib.host(author_url[:2000]))
        if site:
            found.append("site:" + site)
    found.extend(f"{a} {b}" for a, b in itertools.pairwise(words))
    return list(dict.fromkeys(found))[:MAX_FEATURES]


def describe(feature: str) -> str:
    """A feature as a moderator reads it: "check out", "facebook.com", "subscribe"."""
    if feature in CONCEPTS:
        return CONCEPTS[feature]
    if feature in _LINK_FEATURES:
        return _LINK_FEATURES[feature]
    return feature.removeprefix("site:")


# -- scoring ------------------------------------------------------------------


def _weight(feature: str) -> float:
    return CONCEPT_WEIGHT if feature in CONCEPTS else 1.0


def score(
    feats: Iterable[str], counts: TokenCounts, top: int = 3
) -> tuple[float | None, list[str]]:
    """(probability of spam, the most spam-indicative features described).

    The probability is None when nothing can be said: no document learned yet, or
    none of these features ever seen. No class prior: how much spam a site has
    received says nothing about this comment, and it would shift every score as
    the site's history grows. Features the counts have never seen are skipped.
    """
    wanted = list(dict.fromkeys(feats))
    spam_docs, ham_docs = counts.totals()
    if spam_docs == 0 or ham_docs == 0:
        return None, []
    found = counts.counts([*wanted, FEATURE_TOTAL])
    # Before any feature total is stored, a document's worth per document keeps
    # the classes on the same footing (this is then Bernoulli naive Bayes).
    spam_total, ham_total = found.get(FEATURE_TOTAL, (spam_docs, ham_docs))
    spam_norm = math.log(spam_total + ALPHA * SMOOTHING_VOCABULARY)
    ham_norm = math.log(ham_total + ALPHA * SMOOTHING_VOCABULARY)
    contributions: list[tuple[float, str]] = []
    for feature in wanted:
        spam, ham = found.get(feature, (0, 0))
        if spam + ham == 0:
            continue
        log_ratio = (
            math.log(spam + ALPHA) - spam_norm - math.log(ham + ALPHA) + ham_norm
        )
        contributions.append((_weight(feature) * log_ratio, feature))
    if not contributions:
        return None, []
    log_odds = sum(c for c, _ in contributions) / TEMPERATURE
    probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, log_odds))))
    contributions.sort(key=lambda c: (-c[0], c[1]))
    reasons = [describe(f) for c, f in contributions[:top] if c > 0]
    return probability, list(dict.fromkeys(reasons))


# -- counts -------------------------------------------------------------------


def deltas(feats: Iterable[str]) -> dict[str, int]:
    """What learning one document adds to the spam (or ham) column, per row.

    Each distinct feature once, and the reserved FEATURE_TOTAL row the number of
    distinct features. Unlearning subtracts the same. The document totals
    (``TokenCounts.totals()``) go up (or down) by one besides.
    """
    distinct = [f for f in dict.fromkeys(feats) if f != FEATURE_TOTAL]
    changes = dict.fromkeys(distinct, 1)
    changes[FEATURE_TOTAL] = len(distinct)
    return changes


class MemoryCounts:
    """``TokenCounts`` in a dict: the seed model, tests and the benchmark."""

    def __init__(self) -> None:
        self.tokens: dict[str, list[int]] = {}  # feature -> [spam, ham]
        self.spam_docs = 0
        self.ham_docs = 0

    def counts(self, tokens: Iterable[str]) -> dict[str, tuple[int, int]]:
        return {t: (c[0], c[1]) for t in tokens if (c := self.tokens.get(t))}

    def totals(self) -> tuple[int, int]:
        return self.spam_docs, self.ham_docs

    def learn(self, feats: Iterable[str], spam: bool) -> None:
        """Count one document with these features as spam (or ham)."""
        self._add(feats, spam, +1)

    def unlearn(self, feats: Iterable[str], spam: bool) -> None:
        """Take back one document learned with ``learn(feats, spam)``."""
        self._add(feats, spam, -1)

    def _add(self, feats: Iterable[str], spam: bool, sign: int) -> None:
        column = 0 if spam else 1
        for token, amount in deltas(feats).items():
            pair = self.tokens.setdefault(token, [0, 0])
            pair[column] = max(0, pair[column] + sign * amount)
            if pair == [0, 0]:
                del self.tokens[token]
        if spam:
            self.spam_docs = max(0, self.spam_docs + sign)
        else:
            self.ham_docs = max(0, self.ham_docs + sign)

    def pruned(self, min_documents: int) -> MemoryCounts:
        """A copy without the features seen in fewer than ``min_documents``.

        FEATURE_TOTAL keeps counting them: the pruned features were seen, only
        forgotten, so the other features' shares stay what they were.
        """
        copy = MemoryCounts()
        copy.spam_docs, copy.ham_docs = self.spam_docs, self.ham_docs
        copy.tokens = {
            token: list(pair)
            for token, pair in self.tokens.items()
            if token == FEATURE_TOTAL or sum(pair) >= min_documents
        }
        return copy

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "firsthand-spam-counts",
                "features_version": FEATURES_VERSION,
                "documents": {"spam": self.spam_docs, "ham": self.ham_docs},
                "tokens": dict(sorted(self.tokens.items())),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: str) -> MemoryCounts:
        try:
            loaded = json.loads(data)
            if loaded["format"] != "firsthand-spam-counts":
                raise ValueError(f"not spam counts: format {loaded['format']!r}")
            if loaded["features_version"] != FEATURES_VERSION:
                raise ValueError(
                    f"counts for features version {loaded['features_version']}, "
                    f"this code makes version {FEATURES_VERSION}: rebuild them "
                    "with `firsthand train-spam`"
                )
            counts = cls()
            counts.spam_docs = int(loaded["documents"]["spam"])
            counts.ham_docs = int(loaded["documents"]["ham"])
            counts.tokens = {
                str(token): [int(pair[0]), int(pair[1])]
                for token, pair in loaded["tokens"].items()
            }
        except (KeyError, TypeError, IndexError, json.JSONDecodeError) as error:
            raise ValueError(f"malformed spam counts: {error!r}") from error
        return counts
