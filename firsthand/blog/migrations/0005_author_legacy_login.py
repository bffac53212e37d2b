"""Authors imported from WordPress keep their old login for /author/<login>/ links;
/author/ addresses no longer look up this site's own account names."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations, models


def remember_imported_logins(apps: Any, schema_editor: Any) -> None:
    """Authors made by an earlier import (their user was created inactive with no
    usable password, as only the importer does) keep answering at their old
    /author/<login>/ address."""
    Author = apps.get_model("firsthand_blog", "Author")
    for author in Author.objects.filter(
        user__is_active=False, user__password__startswith=UNUSABLE_PASSWORD_PREFIX
    ).select_related("user"):
        author.legacy_login = author.user.username
        author.save(update_fields=["legacy_login"])


class Migration(migrations.Migration):
    dependencies = [
        ("firsthand_blog", "0004_wordpress_import"),
    ]

    operations = [
        migrations.AddField(
            model_name="author",
            name="legacy_login",
            field=models.CharField(blank=True, db_index=True, max_length=150),
        ),
        migrations.RunPython(remember_imported_logins, migrations.RunPython.noop),
    ]
