"""Background task for privacy requests: look the address up and send the link.

The page that takes the request answers at once and the same way for every
address; whether any response was written with it is decided here, out of sight
(see ``privacy.send_link``). Runs in ``firsthand worker`` like every task.
"""

from __future__ import annotations

from firsthand.compat import task
from firsthand.conversation import privacy
from firsthand.conversation.tasks import retry_mail


@task()
def send_link_task(address: str, base: str, asked_at: int, attempt: int = 1) -> str:
    """A mail server that cannot be reached or answers 4xx is asked again later,
    as for every email (``conversation.tasks``); the request's time keeps it one
    email however often the job runs."""
    try:
        return privacy.send_link(address, base, asked_at)
    except Exception as error:
        retry_mail(
            send_link_task,
            (address, base, asked_at),
            attempt,
            error,
            about="a privacy link",
        )
