"""Migration 0005: authors an earlier import made keep their old WordPress login
for /author/<login>/ addresses; this site's own accounts get none."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("firsthand_blog", "0004_wordpress_import")]
AFTER = [("firsthand_blog", "0005_author_legacy_login")]


@pytest.mark.django_db(transaction=True)
def test_imported_authors_get_their_login_and_own_accounts_none() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User = old.get_model("auth", "User")
    Author = old.get_model("firsthand_blog", "Author")
    imported = User.objects.create(
        username="wp_editor", is_active=False, password="!unusable-from-the-import"
    )
    own = User.objects.create(username="ada", password="pbkdf2_sha256$1$salt$hash")
    Author.objects.create(user=imported, slug="wp-editor", display_name="WP Editor")
    Author.objects.create(user=own, slug="ada-quill", display_name="Ada Quill")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        logins = dict(
            new.get_model("firsthand_blog", "Author").objects.values_list(
                "slug", "legacy_login"
            )
        )
        assert logins == {"wp-editor": "wp_editor", "ada-quill": ""}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
