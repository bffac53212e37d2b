"""A password hasher that counts how often a password is hashed (test only)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """MD5, as the rest of the suite hashes, counting every ``encode``; both a
    check of a real account and Django's dummy check of an unknown one encode."""

    calls: ClassVar[int] = 0

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        type(self).calls += 1
        return super().encode(password, salt, *args, **kwargs)


COUNTING = ["tests.abuse.hashers.CountingHasher"]
