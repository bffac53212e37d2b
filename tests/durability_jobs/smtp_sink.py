"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts,
or answers each message with a chosen failure (``reply``, e.g. "451 …")."""

from __future__ import annotations

import asyncio
import email
import threading
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from tests.sites import free_port


class Sink:
    def __init__(self, reply: str = "250 OK", hold: str = "") -> None:
        self.reply = reply
        # A Message-ID whose first copy is kept but not answered until
        # ``release`` is set: the sender is stuck between "the server has it"
        # and "the server said so" (where a crash makes a duplicate).
        self.hold = hold
        self.holding = threading.Event()
        self.release = threading.Event()
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.messages.append(message)
            first = self.message_ids().count(self.hold) == 1
        if self.hold and str(message["Message-ID"]) == self.hold and first:
            self.holding.set()
            for _ in range(400):  # at most 20 s
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
        return self.reply

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in list(self.messages)]

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._controller.stop()
