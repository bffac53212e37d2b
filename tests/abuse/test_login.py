"""Sign-in throttling (plan §3.1 D27, D28): attempts are counted before any
password is hashed, per address and account, and answers say nothing about which
accounts exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.test import Client, override_settings

from firsthand.blog.models import Author
from tests.abuse.conftest import DATABASE_GUARD
from tests.abuse.hashers import COUNTING, CountingHasher

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
MOLE = "203.0.113.66"  # the guesser
HOME = "198.51.100.10"  # where ada usually signs in


# The start of a 15-minute window (and of every shorter one): counts are kept per
# fixed window, so a test that began just before a boundary would see its counts
# start again halfway (a slow machine made that happen).
WINDOW_START = 1_800_000_000


@pytest.fixture(autouse=True)
def counted() -> Iterator[None]:
    """Counting hasher, and the guard cache on its own Redis-free table; each test
    starts with no counters (the keys carry the time window, not the test, so
    the table is emptied), at the start of a window, with the clock running."""
    with (
        time_machine.travel(WINDOW_START, tick=True),
        override_settings(
            PASSWORD_HASHERS=COUNTING,
            CACHES={
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "guard": DATABASE_GUARD,
            },
        ),
    ):
        from django.core.cache import caches

        caches["guard"].clear()
        CountingHasher.calls = 0
        yield
        caches["guard"].clear()


def attempt(name: str, password: str, ip: str = MOLE, **extra: Any) -> Any:
    return Client(REMOTE_ADDR=ip, **extra).post(
        LOGIN, {"username": name, "password": password, "next": "/admin/"}
    )


def hashed_during(action: Any) -> int:
    before = CountingHasher.calls
    action()
    return CountingHasher.calls - before


def counted_attempt(name: str, password: str, ip: str = MOLE) -> tuple[Any, int]:
    """The answer, and how many passwords were hashed to give it."""
    before = CountingHasher.calls
    answer = attempt(name, password, ip)
    return answer, CountingHasher.calls - before


def test_five_wrong_passwords_then_429_without_hashing(ada: Author) -> None:
    for _ in range(5):
        assert hashed_during(lambda: attempt("ada", "guess")) == 1
    hashed: list[int] = []
    for _ in range(45):
        answer, count = counted_attempt("ada", "guess")
        hashed.append(count)
        assert answer.status_code == 429
        assert int(answer["Retry-After"]) > 0
    assert sum(hashed) == 0  # throttled attempts never reach the hasher
    # The right password from the throttled address is refused the same way...
    right = attempt("ada", "ada-password")
    assert right.status_code == 429
    # ...and from another address it works: the lockout cannot deny the author.
    assert attempt("ada", "ada-password", ip=HOME).status_code == 302


def test_the_throttled_page_says_why_and_keeps_the_name(ada: Author) -> None:
    for _ in range(5):
        attempt("ada", "guess")
    page = attempt("ada", "guess")
    assert page.status_code == 429
    soup = BeautifulSoup(page.content, "html5lib")
    assert "Too many sign-in attempts" in soup.get_text()
    assert "try again in" in soup.get_text()
    field = soup.find("input", attrs={"name": "username"})
    assert field is not None
    assert field["value"] == "ada"


def test_a_correct_password_clears_the_count_for_that_address(ada: Author) -> None:
    for _ in range(4):
        assert attempt("ada", "typo", ip=HOME).status_code == 200
    assert attempt("ada", "ada-password", ip=HOME).status_code == 302
    for _ in range(4):
        assert attempt("ada", "typo", ip=HOME).status_code == 200


def test_one_address_spraying_many_names_is_stopped_too(db: None) -> None:
    statuses = [attempt(f"user{n}", "Winter2024!").status_code for n in range(25)]
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429] * 5


def test_many_addresses_guessing_one_name_are_stopped_but_not_the_author(
    ada: Author,
) -> None:
    assert attempt("ada", "ada-password", ip=HOME).status_code == 302
    hashed = 0
    statuses = []
    for n in range(250):
        ip = f"203.0.{n // 250}.{n % 250 + 1}"
        answer, count = counted_attempt("ada", "guess", ip)
        hashed += count
        statuses.append(answer.status_code)
    # 40 x 5 in the window; the author's own first sign-in was one of them.
    assert statuses.count(200) == 199
    assert statuses.count(429) == 51
    assert hashed == 199
    # The author, from where she signed in before, still gets in.
    assert attempt("ada", "ada-password", ip=HOME).status_code == 302


@override_settings(FIRSTHAND_TRUSTED_PROXIES=[])
def test_a_forged_x_forwarded_for_does_not_reset_the_count(ada: Author) -> None:
    statuses = [
        attempt("ada", "guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(1, 11)
    ]
    assert statuses == [200] * 5 + [429] * 5


@override_settings(FIRSTHAND_TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_is_counted_apart(ada: Author) -> None:
    for n in range(1, 4):
        client = f"192.0.2.{n}"
        statuses = [
            attempt(
                "ada", "guess", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=client
            ).status_code
            for _ in range(6)
        ]
        assert statuses == [200] * 5 + [429]


def _normalized(content: bytes) -> str:
    text = content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", text)


def test_unknown_inactive_unusable_and_wrong_password_answer_alike(
    ada: Author,
) -> None:
    User.objects.create_user("cleo", password="cleo-password", is_staff=True)
    User.objects.create_user("dora", password="dora-password", is_active=False)
    User.objects.create_user("emil", is_staff=True)  # an unusable password
    answers = {}
    for n, name in enumerate(["nobody", "ada", "cleo", "dora", "emil"]):
        before = CountingHasher.calls
        reply = attempt(name, "wrong-password", ip=f"198.51.100.{50 + n}")
        answers[name] = (
            reply.status_code,
            CountingHasher.calls - before,
            _normalized(reply.content).replace(name, "NAME"),
        )
    assert len(set(answers.values())) == 1, {k: v[:2] for k, v in answers.items()}
    assert answers["nobody"][:2] == (200, 1)  # the hasher ran for the unknown one too


def test_a_missing_password_hashes_nothing_and_counts_nothing(ada: Author) -> None:
    for _ in range(8):
        assert hashed_during(lambda: attempt("ada", "")) == 0
    assert attempt("ada", "ada-password").status_code == 302


@override_settings(FIRSTHAND_LOGIN_ATTEMPTS=0)
def test_throttling_can_be_turned_off(ada: Author) -> None:
    assert {attempt("ada", "guess").status_code for _ in range(8)} == {200}


def test_with_the_shared_cache_down_sign_in_is_refused_with_503(
    ada: Author, guard_down: None
) -> None:
    answer, hashed = counted_attempt("ada", "ada-password")
    assert hashed == 0
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    assert "not possible for a moment" in answer.content.decode()
