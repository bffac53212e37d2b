"""Start the spam classifier from the seed model shipped with Firsthand.

The seed holds feature counts learned from the labelled comments of the YouTube
Spam Collection (see docs/spam.md for the credit); it holds no comment text.
``firsthand train-spam`` rebuilds the counts later, adding this site's decisions.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from firsthand.conversation.spam.seed import load_seed


def load(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    token_model = apps.get_model("firsthand_conversation", "SpamToken")
    totals_model = apps.get_model("firsthand_conversation", "SpamTotals")
    if totals_model.objects.exists():
        return  # a site that already learned keeps what it learned
    seed = load_seed()
    width = token_model._meta.get_field("token").max_length
    merged: dict[str, list[int]] = {}
    for token, (spam, ham) in seed.tokens.items():
        pair = merged.setdefault(token[:width], [0, 0])
        pair[0] += spam
        pair[1] += ham
    token_model.objects.bulk_create(
        [token_model(token=t, spam=s, ham=h) for t, (s, h) in merged.items()],
        batch_size=2000,
    )
    spam_docs, ham_docs = seed.totals()
    totals_model.objects.create(pk=1, spam_docs=spam_docs, ham_docs=ham_docs)


def unload(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("firsthand_conversation", "SpamToken").objects.all().delete()
    apps.get_model("firsthand_conversation", "SpamTotals").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("firsthand_conversation", "0002_guard_cache_table")]

    operations = [migrations.RunPython(load, unload)]
