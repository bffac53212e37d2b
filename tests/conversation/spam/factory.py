"""Submissions as the layers see them: bob writes honestly, mallory spams."""

from __future__ import annotations

from firsthand.conversation.spam.learner import MemoryCounts, features
from firsthand.conversation.submission import Submission


def bob(**fields: object) -> Submission:
    """A clean comment through the form: typed for a minute, honeypot empty."""
    values: dict[str, object] = {
        "post_id": 1,
        "kind": "comment",
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "body": "Thanks, the part about chisels was useful.",
        "ip_address": "198.51.100.7",
        "source": "form",
        "form_age": 60.0,
    }
    values.update(fields)
    return Submission(**values)  # type: ignore[arg-type]


def mallory(**fields: object) -> Submission:
    """bob's form, filled in by mallory."""
    values: dict[str, object] = {
        "author_name": "Mallory Promo",
        "author_email": "mallory@spam.example",
        "body": "Check out my channel and subscribe please! http://spam.example/win",
        "ip_address": "203.0.113.66",
    }
    values.update(fields)
    return bob(**values)


SPAM_TEXTS = (
    "Check out my new channel and subscribe please!",
    "Please subscribe to my channel, I make music videos",
    "Visit my page for free gift cards http://gifts.example/?ref=99",
    "Hey guys check out my video and like this comment",
    "Subscribe to me and I will subscribe back, sub4sub",
)
HAM_TEXTS = (
    "The part about sharpening chisels saved my afternoon, thank you.",
    "I disagree about the glue: hide glue gives you more open time.",
    "My grandfather had the same plane, it still works after fifty years.",
    "Great photos of the workshop, the light in there is lovely.",
    "How long did the finish take to cure before you waxed it?",
)


def trained_counts() -> MemoryCounts:
    """A tiny memory: five spam and five legitimate comments."""
    counts = MemoryCounts()
    for text in SPAM_TEXTS:
        counts.learn(features(text), spam=True)
    for text in HAM_TEXTS:
        counts.learn(features(text), spam=False)
    return counts
