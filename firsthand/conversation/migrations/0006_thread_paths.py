"""Give responses numbered before threads existed their place in the thread."""

from __future__ import annotations

from typing import Any

from django.db import migrations

THREADED_KINDS = ("comment", "reply")


def place_existing(apps: Any, schema_editor: Any) -> None:
    Post = apps.get_model("firsthand_blog", "Post")
    Response = apps.get_model("firsthand_conversation", "Response")
    for post in Post.objects.filter(last_response_number__gt=0).iterator():
        ordinal = 0
        rows = Response.objects.filter(
            post=post, kind__in=THREADED_KINDS, number__isnull=False
        ).order_by("number")
        for response in rows.iterator():
            ordinal += 1
            response.path = f"{response.number:07d}"
            response.root_ordinal = ordinal
            response.save(update_fields=["path", "root_ordinal"])
        Post.objects.filter(pk=post.pk).update(last_root_ordinal=ordinal)


class Migration(migrations.Migration):
    dependencies = [
        ("firsthand_blog", "0003_threads"),
        ("firsthand_conversation", "0005_threads"),
    ]

    operations = [migrations.RunPython(place_existing, migrations.RunPython.noop)]
