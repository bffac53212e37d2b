"""The ``firsthand`` command (firsthand/cli.py) and its ``serve`` and ``demo`` verbs."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from firsthand import cli, demo_content
from firsthand.blog.management.commands import serve
from firsthand.blog.models import Author, Post, Tag
from firsthand.conversation.models import Response

FIRSTHAND = Path(sys.executable).parent / "firsthand"
OUTER_ONLY = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}


def child_env(data_dir: Path) -> dict[str, str]:
    """The outer environment without any Firsthand setting: its own SQLite file."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FIRSTHAND_") and name not in OUTER_ONLY
    }
    clean["FIRSTHAND_DATA_DIR"] = str(data_dir)
    return clean


def firsthand(
    tmp_path: Path, *args: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FIRSTHAND), *args],
        env={**child_env(tmp_path / "data"), **variables},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- The command line ------------------------------------------------------------


def test_no_arguments_prints_the_usage_only(tmp_path: Path) -> None:
    result = firsthand(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == cli.USAGE_HINT
    assert "firsthand serve" in result.stdout


def test_help_option_prints_the_usage_first(tmp_path: Path) -> None:
    result = firsthand(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(cli.USAGE_HINT)


def test_help_lists_every_command_including_ours(tmp_path: Path) -> None:
    result = firsthand(tmp_path, "help")
    assert result.returncode == 0, result.stderr
    commands = {line.strip() for line in result.stdout.splitlines()}
    assert {"serve", "demo", "migrate", "createsuperuser"} <= commands
    assert "Type 'firsthand help <subcommand>'" in result.stdout


def test_django_commands_run_with_the_real_settings(tmp_path: Path) -> None:
    result = firsthand(tmp_path, "showmigrations", "firsthand_blog")
    assert result.returncode == 0, result.stderr
    assert re.search(r"\[ \] 0001_initial", result.stdout), result.stdout
    # The real settings, not the test suite's: the database is in the data folder.
    assert (tmp_path / "data" / "firsthand.sqlite3").exists()


@pytest.mark.parametrize(
    "verb", ["purge-spam", "train-spam", "propose-replies", "show-migrations"]
)
def test_dashed_names_reach_firsthands_own_commands_and_djangos(
    tmp_path: Path, verb: str
) -> None:
    result = firsthand(tmp_path, verb, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: firsthand" in result.stdout


def test_unknown_command_fails_with_a_hint(tmp_path: Path) -> None:
    result = firsthand(tmp_path, "publish-everything")
    assert result.returncode != 0
    assert "Unknown command: 'publish_everything'" in result.stderr
    assert "firsthand help" in result.stderr


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Stand in for Django's dispatcher; record the argv it would get."""
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "execute_from_command_line", calls.append)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    return calls


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["/usr/bin/firsthand", "import-wxr", "my-blog.xml"],
            ["firsthand", "import_wxr", "my-blog.xml"],
        ),
        (
            ["firsthand", "demo", "--if-empty"],
            ["firsthand", "demo", "--if-empty"],
        ),
        (
            ["firsthand", "--version"],
            ["firsthand", "--version"],
        ),
        (
            ["firsthand", "show-migrations", "firsthand_blog"],
            ["firsthand", "showmigrations", "firsthand_blog"],
        ),
        (
            ["firsthand", "create-superuser"],
            ["firsthand", "createsuperuser"],
        ),
    ],
)
def test_dashes_in_the_command_name_become_underscores(
    executed: list[list[str]], argv: list[str], expected: list[str]
) -> None:
    cli.main(argv)
    assert executed == [expected]
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "firsthand.settings"


def test_help_option_prints_usage_then_django_help(
    executed: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["firsthand", "-h"])
    assert capsys.readouterr().out == cli.USAGE_HINT
    assert executed == [["firsthand", "-h"]]


def test_no_arguments_never_reaches_django(
    executed: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["firsthand"])
    assert capsys.readouterr().out == cli.USAGE_HINT
    assert executed == []


# --- serve -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for_home(url: str, process: subprocess.Popen[bytes], log: Path) -> str:
    """Poll until the home page answers 200; fail with the server's log if not."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            page = httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if page.status_code == 200:
            return page.text
        time.sleep(0.2)
    pytest.fail(f"no 200 from {url} within 30 s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, ten seconds' grace, then SIGKILL for the whole session we started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Workers left behind by a crashed server share the session we created.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_serve_migrates_and_answers_with_static_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(FIRSTHAND),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            env=child_env(data_dir),
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        html = wait_for_home(f"{base}/", process, log)
        assert "Firsthand" in html
        assert f"Firsthand is serving {base}/" in log.read_text()

        soup = BeautifulSoup(html, "html5lib")
        link = soup.find("link", rel="stylesheet")
        assert link is not None
        href = str(link.get("href"))
        # The manifest storage names the file after its content hash.
        assert re.fullmatch(r"/static/firsthand/site\.[0-9a-f]{12}\.css", href), href
        stylesheet = httpx.get(f"{base}{href}", timeout=5)
        assert stylesheet.status_code == 200
        assert stylesheet.headers["content-type"].startswith("text/css")
        assert "immutable" in stylesheet.headers.get("cache-control", "")

        database = data_dir / "firsthand.sqlite3"
        assert database.exists()
        with sqlite3.connect(database) as db:
            applied = db.execute(
                "SELECT name FROM django_migrations WHERE app = 'firsthand_blog'"
            ).fetchall()
        assert ("0001_initial",) in applied
    finally:
        stop(process)


@pytest.fixture
def serve_steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record what serve would do (check, migrate, collectstatic, start Granian)."""
    steps: list[str] = []

    def fake_call_command(name: str, *args: Any, **options: Any) -> None:
        steps.append(name)

    class FakeServer:
        def __init__(self, target: str, **options: Any) -> None:
            steps.append(f"server:{options['address']}:{options['port']}")

        def serve(self) -> None:
            steps.append("serve")

    monkeypatch.setattr(serve, "call_command", fake_call_command)
    monkeypatch.setattr(serve, "Server", FakeServer)
    return steps


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_serve_refuses_a_port_out_of_range_before_anything_runs(
    serve_steps: list[str], port: int
) -> None:
    with pytest.raises(CommandError, match="--port must be between 1 and 65535"):
        call_command("serve", port=port, stdout=io.StringIO())
    assert serve_steps == []


def test_serve_refuses_zero_workers(serve_steps: list[str]) -> None:
    with pytest.raises(CommandError, match="--workers must be 1 or more"):
        call_command("serve", workers=0, stdout=io.StringIO())
    assert serve_steps == []


def test_serve_refuses_zero_threads(serve_steps: list[str]) -> None:
    with pytest.raises(CommandError, match="--threads must be 1 or more"):
        call_command("serve", threads=0, stdout=io.StringIO())
    assert serve_steps == []


@pytest.mark.parametrize("port", [1, 65535])
def test_serve_accepts_the_edges_of_the_port_range(
    serve_steps: list[str], port: int
) -> None:
    out = io.StringIO()
    call_command("serve", host="::1", port=port, stdout=out)
    assert serve_steps == [
        "check",
        "migrate",
        "collectstatic",
        f"server:::1:{port}",
        "serve",
    ]
    assert f"http://[::1]:{port}/" in out.getvalue()


def test_serve_runs_few_threads_per_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, Any]] = []

    class FakeServer:
        def __init__(self, target: str, **options: Any) -> None:
            started.append(options)

        def serve(self) -> None:
            pass

    monkeypatch.setattr(serve, "call_command", lambda *args, **options: None)
    monkeypatch.setattr(serve, "Server", FakeServer)
    call_command("serve", stdout=io.StringIO())
    call_command("serve", workers=3, threads=4, stdout=io.StringIO())
    shape = [(o["workers"], o["blocking_threads"]) for o in started]
    assert shape == [(2, 8), (3, 4)]  # granian's own default is hundreds of threads


def test_serve_port_error_exits_non_zero(tmp_path: Path) -> None:
    result = firsthand(tmp_path, "serve", "--port", "70000")
    assert result.returncode != 0
    assert "--port must be between 1 and 65535" in result.stderr
    # Refused before migrating: no database was created.
    assert not (tmp_path / "data" / "firsthand.sqlite3").exists()


# --- demo ------------------------------------------------------------------------

Row = tuple[Any, ...]


def site_snapshot() -> dict[str, list[Row]]:
    return {
        "posts": list(
            Post.objects.order_by("slug").values_list(
                "slug",
                "title",
                "published_at",
                "response_count",
                "last_response_number",
            )
        ),
        "responses": list(
            Response.objects.order_by("post__slug", "number", "pk").values_list(
                "post__slug", "number", "author_name", "body"
            )
        ),
        "authors": list(Author.objects.order_by("pk").values_list("slug", "user_id")),
        "tags": list(Tag.objects.order_by("pk").values_list("name")),
        "users": list(get_user_model().objects.order_by("pk").values_list("username")),
    }


def run_demo(**options: Any) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def test_demo_reports_what_it_created(db: None) -> None:
    assert "4 post(s) and 18 response(s)" in run_demo()
    assert Post.objects.count() == 4
    assert Response.objects.count() == 18


def test_demo_twice_gives_the_same_site(db: None) -> None:
    run_demo()
    before = site_snapshot()
    assert "0 post(s) and 0 response(s)" in run_demo()
    assert site_snapshot() == before

    assert [slug for slug, *_ in before["posts"]] == sorted(
        item.slug for item in demo_content.POSTS
    )
    assert len(before["responses"]) == 18


def test_demo_article_has_the_whole_conversation(db: None) -> None:
    run_demo()
    article = Post.objects.get(slug=demo_content.ARTICLE_SLUG)
    thread = list(Response.objects.thread_of(article))

    assert [r.number for r in thread] == list(range(1, 19))
    assert article.response_count == 18
    assert article.last_response_number == 18
    assert article.is_public
    assert any(r.author_title for r in thread)
    # Three commenters answer someone by name: their comments are replies.
    numbers = {r.pk: r.number for r in thread}
    replies = {r.number: numbers[r.parent_id] for r in thread if r.parent_id}
    assert replies == {4: 2, 10: 3, 13: 6}
    last = thread[-1]
    assert last.kind == Response.Kind.PINGBACK
    assert last.source_url.startswith("https://")
    assert last.body_html == ""  # pingbacks are excerpts, not rendered Markdown
    assert all(r.body_html for r in thread if r.kind == Response.Kind.COMMENT)
    # Only the article has responses; the other posts start with none.
    others = Post.objects.exclude(pk=article.pk)
    assert list(others.values_list("response_count", flat=True)) == [0, 0, 0]


def test_demo_if_empty_loads_an_empty_site(db: None) -> None:
    assert "4 post(s) and 18 response(s)" in run_demo(if_empty=True)
    assert Post.objects.count() == 4


def test_demo_if_empty_leaves_a_site_with_posts_alone(
    make_post: Callable[..., Post],
) -> None:
    make_post("Ada's own first post")
    before = site_snapshot()

    output = run_demo(if_empty=True)

    assert "already has posts; demo content not loaded" in output
    assert site_snapshot() == before
    assert (
        not get_user_model()
        .objects.filter(username=demo_content.AUTHOR.username)
        .exists()
    )


def test_a_bad_setting_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    result = firsthand(tmp_path, "check", FIRSTHAND_DEBUG="maybe")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "FIRSTHAND_DEBUG='maybe' is not a yes/no value" in result.stderr


@pytest.mark.parametrize(
    ("preset", "expected"), [(None, serve.JEMALLOC_CONF), ("narenas:4", "narenas:4")]
)
def test_serve_limits_the_servers_jemalloc_arenas_unless_told_otherwise(
    preset: str | None, expected: str
) -> None:
    """Set before granian is imported (jemalloc reads it when it starts), in a
    fresh process as `firsthand serve` has; an operator's own value wins."""
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if preset is not None:
        env["_RJEM_MALLOC_CONF"] = preset
    code = (
        "import django, os, sys; django.setup(); "
        "assert 'granian' not in sys.modules; "
        "import firsthand.blog.management.commands.serve; "
        "print(os.environ['_RJEM_MALLOC_CONF'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert done.stdout.strip() == expected
