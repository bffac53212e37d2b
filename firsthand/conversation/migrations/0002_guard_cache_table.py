"""Create the database table behind the "guard" cache (flood-control counters).

Only needed when no Redis is configured; ``createcachetable`` does nothing for
caches that are not database caches, and nothing for a table that exists.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.core.management import call_command
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def create_cache_table(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [("firsthand_conversation", "0001_initial")]

    operations = [
        migrations.RunPython(
            create_cache_table, migrations.RunPython.noop, elidable=True
        )
    ]
