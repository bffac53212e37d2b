"""Background task for privacy requests: look the address up and send the link.

The page that takes the request answers at once and the same way for every
address; whether any response was written with it is decided here, out of sight
(see ``privacy.send_link``). Runs in ``firsthand worker`` like every task.
"""

from __future__ import annotations

from firsthand.compat import task
from firsthand.conversation import privacy


@task()
def send_link_task(address: str, base: str, asked_at: int) -> str:
    return privacy.send_link(address, base, asked_at)
