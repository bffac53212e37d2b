"""Firsthand over HTTP against nginx serving the same bytes (issue #8, point 1).

    .venv/bin/python bench/http_bench.py            # wrk -t2 -c16 -d10s per case
    .venv/bin/python bench/http_bench.py --quick    # 3 s per case, while developing
    .venv/bin/python bench/http_bench.py --skip-install --no-page-cache
    .venv/bin/python bench/http_bench.py --source /tmp/old  # an unpacked git archive

One command: it installs wrk and nginx from the OS packages if they are missing
(``apt-get``, as root), builds a site in a fresh data folder (``firsthand migrate``,
``firsthand demo``, then ``bench/bench_site.py grow``: articles with 1,000 and
10,000 responses), starts ``firsthand serve`` on a free loopback port, saves what it
serves for each case with curl and serves those bytes as static files from a
private nginx on another port. Then, for each case, ``wrk`` against Firsthand and
against nginx: requests/second, p50 and p99 latency, and Firsthand's throughput as
a share of nginx's. Cases: the article with 18 responses (the demo article), the
same with 1,000 and 10,000 responses (their first thread page), the home page, the
demo article's comment feed, and posting comments through the form (the wrk script
``bench/post_comments.lua``), with the responses stored counted before and after.
Last, the resident memory of each server process, read from /proc. How a comment
form's guard fields (CSRF, the one-time ticket) are obtained is in one function,
``posting_plan``: adapt it when that mechanism changes.

Everything it starts runs in its own process group, killed at the end, also on
Ctrl-C. Exit status: 0 when every case ran, 2 when a step failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import html.parser
import http.cookies
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

# Run as a script from anywhere: this folder holds the site builder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_site

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ARTICLE_PATH = "/2026/07/02/should-a-small-shop-put-its-prices-online/"
WRK_THREADS = 2
RESULT_MARK = "FIRSTHAND-RESULT "


class StepFailed(Exception):
    pass


# -- Processes: each in its own group, all killed at the end --------------------------


class Processes:
    """Every process the harness starts, stopped with its whole group."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, command: Sequence[str], env: dict[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603  # our own commands
                list(command), env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=ROOT,
            )  # fmt: skip
        self.started.append((name, process))
        return process

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            _stop_group(process)
        self.started.clear()


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL after 10 s; the group is its pid."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; its workers may linger a moment.
        deadline = time.monotonic() + wait
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _group_members(process.pid):
            break


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command's closing parenthesis: state ppid pgrp …
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return sorted(members)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# -- Tools, site, servers ----------------------------------------------------------


def ensure_tools(skip_install: bool) -> None:
    """wrk, nginx and curl from the OS packages (Debian: apt-get, as root)."""
    missing = [tool for tool in ("wrk", "nginx", "curl") if not _which(tool)]
    if not missing:
        return
    if skip_install:
        raise StepFailed(f"missing {', '.join(missing)} (and --skip-install given)")
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise StepFailed(
            f"missing {', '.join(missing)}: install them (Debian: "
            f"apt-get install -y wrk nginx curl, as root) and run again"
        )
    say(f"installing {', '.join(missing)} with apt-get …")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        [apt, "update", "-q"],
        [apt, "install", "-y", "-q", "--no-install-recommends", *missing],
    ):
        done = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603
        if done.returncode != 0:
            tail = done.stdout.decode(errors="replace")[-2000:]
            raise StepFailed(f"{' '.join(command)} failed:\n{tail}")


def _which(tool: str) -> str | None:
    # nginx lives in /usr/sbin, which is not on every user's PATH.
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def firsthand_command() -> list[str]:
    beside = Path(sys.executable).parent / "firsthand"
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-m", "firsthand.cli"]


def run_step(command: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603  # our own commands
        list(command), env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StepFailed(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def build_site(env: dict[str, str]) -> dict[str, dict[str, object]]:
    """migrate, demo, the two big articles; each article's id and path by size."""
    firsthand = firsthand_command()
    run_step([*firsthand, "migrate", "--no-input", "-v", "0"], env)
    run_step([*firsthand, "demo"], env)
    made = json.loads(
        run_step([sys.executable, str(BENCH / "bench_site.py"), "grow"], env)
    )
    return {str(size): dict(info) for size, info in made.items()}


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise StepFailed(f"the server stopped (exit {process.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise StepFailed(f"{url} did not answer within 120 s (log: {log})")


def save_with_curl(url: str, target: Path) -> int:
    """What ``url`` answers, saved to ``target`` as curl gets it; its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    curl = _which("curl") or "curl"
    done = subprocess.run(  # noqa: S603
        [curl, "-sS", "--fail", "-o", str(target), url],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise StepFailed(f"curl {url}: {done.stderr.decode(errors='replace')}")
    return target.stat().st_size


NGINX_CONF = """\
# A private nginx for bench/http_bench.py: static files, nothing else.
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type text/html;
    types {{ text/html html; application/rss+xml rss; }}
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/root;
        index index.html;
    }}
}}
"""


def start_nginx(
    processes: Processes, prefix: Path, port: int, workers: int
) -> subprocess.Popen[bytes]:
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, workers=workers))
    # Run as root, nginx's workers switch to "nobody": they must reach the files.
    for folder in (prefix, *prefix.parents):
        if folder == Path(tempfile.gettempdir()):
            break
        folder.chmod(folder.stat().st_mode | 0o755)
    nginx = _which("nginx") or "nginx"
    command = [
        nginx,
        "-p",
        str(prefix),
        "-c",
        str(conf),
        "-e",
        str(prefix / "error.log"),
    ]
    return processes.start("nginx", command, dict(os.environ), prefix / "nginx.out")


# -- wrk ---------------------------------------------------------------------------


@dataclasses.dataclass
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    extra: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    script: Path,
    script_args: Sequence[str] = (),
) -> Measured:
    wrk = _which("wrk") or "wrk"
    command = [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "30s", "-s", str(script), url]
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith(RESULT_MARK)), None
    )
    if done.returncode != 0 or line is None:
        raise StepFailed(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix(RESULT_MARK))
    errors = {
        name: int(figures[name])
        for name in ("connect", "read", "write", "status", "timeout")
        if figures[name]
    }
    extra = {
        name: int(figures[name])
        for name in ("acked", "refused", "forbidden", "other", "reused")
        if name in figures
    }
    return Measured(
        requests=int(figures["requests"]),
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
        extra=extra,
    )


# -- Posting comments: the form's guard fields -------------------------------------


@dataclasses.dataclass
class PostingPlan:
    """What post_comments.lua sends: the form's action, headers for every request,
    and per request a Cookie header and the url-encoded fields the page gave (the
    varied author and text are added by the script)."""

    action: str
    headers: dict[str, str]
    requests: list[tuple[str, str]]


class _FormReader(html.parser.HTMLParser):
    """The comment form's action and its fields other than what a person types."""

    TYPED = frozenset({"author_name", "author_email", "body"})

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("id") == "respond":
            self.inside, self.action = True, attributes.get("action", "")
        elif self.inside and tag == "input":
            name, kind = attributes.get("name", ""), attributes.get("type", "text")
            if not name or name in self.TYPED or kind == "checkbox":
                return  # checkboxes stay unticked: no follow emails
            # Hidden fields keep the page's value; the honeypot and the optional
            # fields (website, title) are sent empty, as most people leave them.
            self.fields[name] = attributes.get("value", "") if kind == "hidden" else ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


TICKET_COOKIE = "firsthand_ticket"  # conversation/tickets.py COOKIE, since issue #8


def posting_plan(
    base_url: str, article_path: str, post_id: int, count: int, env: dict[str, str]
) -> PostingPlan:
    """The guard fields of ``count`` distinct, valid comment forms.

    ADAPT HERE when the form's guard mechanism changes. A ticket is a signed
    one-time nonce with its issue time: used twice it is a double submit (a
    redirect to the first comment, nothing stored), used within 3 s of issue it
    is "too fast". So the harness mints ``count`` tickets issued 30 s ago with the
    site's own key (``bench_site.py tickets``, same data folder), one a request,
    and carries them the way the page does. Two mechanisms are known:

    - until issue #8: the form has a hidden ``ticket`` field and Django's CSRF
      token (a hidden ``csrfmiddlewaretoken`` matching the ``csrftoken`` cookie;
      Django accepts the same pair again and again);
    - since issue #8: no hidden guard fields (the page is the same for everyone
      and can be cached); the ticket is the ``firsthand_ticket`` cookie
      (SameSite=Strict) and ``respond`` checks the ``Origin`` header.

    Every request names the site as its Origin, as a browser posting the form does.
    """
    with urllib.request.urlopen(base_url + article_path, timeout=30) as page:  # noqa: S310
        cookies = http.cookies.SimpleCookie()
        for header in page.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        reader = _FormReader()
        reader.feed(page.read().decode())
    if not reader.action:
        raise StepFailed(f"no comment form (form#respond) on {article_path}")
    shared = {name: morsel.value for name, morsel in cookies.items()}
    in_field = "ticket" in reader.fields
    if not in_field and TICKET_COOKIE not in shared:
        raise StepFailed(
            "the comment form has neither a hidden ticket field nor a "
            f"{TICKET_COOKIE} cookie: adapt bench/http_bench.py posting_plan() "
            "to the new mechanism"
        )
    minted = run_step(
        [
            sys.executable,
            str(BENCH / "bench_site.py"),
            "tickets",
            str(post_id),
            str(count),
        ],
        env,
    ).split()
    requests = []
    for ticket in minted:
        fields, jar = dict(reader.fields), dict(shared)
        if in_field:
            fields["ticket"] = ticket
        else:
            jar[TICKET_COOKIE] = ticket
        cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
        requests.append((cookie, urllib.parse.urlencode(fields)))
    return PostingPlan(
        action=reader.action.split("#")[0],
        headers={"Origin": base_url},
        requests=requests,
    )


def posting_file(plan: PostingPlan, target: Path) -> None:
    """The data post_comments.lua reads: one tab-separated record a line."""
    sentences = bench_site.sentences(2000, seed=99)
    firsts, lasts = bench_site.FIRST_NAMES, bench_site.LAST_NAMES
    lines = [f"path\t{plan.action}"]
    lines += [f"header\t{name}\t{value}" for name, value in plan.headers.items()]
    lines += [f"sentence\t{text}" for text in sentences]
    lines += [f"first\t{name}" for name in firsts]
    lines += [f"last\t{name}" for name in lasts]
    lines += [f"request\t{cookie}\t{fields}" for cookie, fields in plan.requests]
    target.write_text("\n".join(lines) + "\n")


def count_responses(post_id: int, env: dict[str, str]) -> dict[str, int]:
    out = run_step(
        [sys.executable, str(BENCH / "bench_site.py"), "count", str(post_id)], env
    )
    return {key: int(value) for key, value in json.loads(out).items()}


# -- Memory ------------------------------------------------------------------------


@dataclasses.dataclass
class Resident:
    server: str
    pid: int
    role: str
    rss_mb: float
    peak_mb: float


def resident(server: str, leader: int) -> list[Resident]:
    """RSS and peak RSS (VmHWM) of every process in the server's group, in MB."""
    found = []
    for pid in _group_members(leader):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        kilobytes = {
            key: int(values[key].split()[0])
            for key in ("VmRSS", "VmHWM")
            if key in values
        }
        role = "main" if pid == leader else "worker"
        found.append(
            Resident(
                server, pid, role,
                kilobytes.get("VmRSS", 0) * 1024 / 1e6,
                kilobytes.get("VmHWM", 0) * 1024 / 1e6,
            )
        )  # fmt: skip
    return found


# -- The run -----------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    name: str
    path: str
    firsthand: Measured | None = None
    nginx: Measured | None = None
    size: int = 0
    firsthand_rounds: list[Measured] = dataclasses.field(default_factory=list)
    nginx_rounds: list[Measured] = dataclasses.field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        """Firsthand's req/s over nginx's, round by round."""
        return [
            f.per_second / n.per_second
            for f, n in zip(self.firsthand_rounds, self.nginx_rounds, strict=True)
            if n.per_second
        ]

    @property
    def ratio(self) -> float | None:
        if self.ratios:
            return statistics.median(self.ratios)
        if self.firsthand is None or self.nginx is None or not self.nginx.per_second:
            return None
        return self.firsthand.per_second / self.nginx.per_second


def say(text: str = "") -> None:
    print(text, flush=True)  # noqa: T201


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        # The machine may be shared: what else ran shows here.
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def tool_versions() -> dict[str, str]:
    versions = {}
    for tool, flag in (("nginx", "-v"), ("wrk", "-v")):
        done = subprocess.run(  # noqa: S603
            [_which(tool) or tool, flag], capture_output=True, text=True, check=False
        )
        text = (done.stdout + done.stderr).strip().splitlines()
        versions[tool] = text[0] if text else "?"
    granian = run_step(
        [sys.executable, "-c", "import granian; print(granian.__version__)"],
        dict(os.environ),
    )
    versions["granian"] = granian.strip()
    return versions


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def report_table(cases: Sequence[Case], posting: Case) -> str:
    head = (
        f"{'case':<34} {'req/s':>9} {'p50':>10} {'p99':>10} {'KB':>6} "
        f"{'nginx req/s':>11} {'ratio':>6}  notes"
    )
    lines = [head, "-" * len(head)]
    for case in [*cases, posting]:
        f, n = case.firsthand, case.nginx
        assert f is not None
        notes = []
        if f.errors:
            notes.append(
                "errors " + ", ".join(f"{k} {v}" for k, v in sorted(f.errors.items()))
            )
        if n is not None and n.errors:
            notes.append("nginx errors " + str(n.errors))
        if case is posting:
            notes.append("see below")
        ratio = "—"
        if case.ratio is not None:
            ratio = f"{case.ratio:.1%}" if case.ratio >= 0.01 else f"{case.ratio:.2%}"
        lines.append(
            f"{case.name:<34} {f.per_second:>9.1f} {fmt_ms(f.p50_ms):>10} "
            f"{fmt_ms(f.p99_ms):>10} {case.size / 1000 if case.size else 0:>6.0f} "
            f"{f'{n.per_second:.0f}' if n else '—':>11} {ratio:>6}  {'; '.join(notes)}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per case")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="3 s per case")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times each page is measured, Firsthand and nginx in turn (median)",
    )
    parser.add_argument("--skip-install", action="store_true", help="never run apt-get")
    parser.add_argument(
        "--workers", type=int, default=2, help="firsthand serve and nginx workers"
    )
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="serve with FIRSTHAND_PAGE_CACHE=false (every page rendered)",
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=0,
        help="comment forms to prepare (default: 2,500 per second of the run)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="run Firsthand from this checkout (e.g. `git archive` of a commit, "
        "unpacked) instead of the installed one: before/after figures",
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args(argv)
    seconds = 3 if args.quick else args.duration
    signal.signal(signal.SIGTERM, _raise_interrupt)
    processes = Processes()
    folder = Path(tempfile.mkdtemp(prefix="firsthand-http-bench-"))
    try:
        return run(args, seconds, folder, processes)
    except StepFailed as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)  # noqa: T201
        return 130
    finally:
        processes.stop_all()
        if args.keep:
            say(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def site_env(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="firsthand.settings",
        FIRSTHAND_DATA_DIR=str(folder / "data"),
        # Guard rails for legitimate test traffic: no flood control (every comment
        # comes from one machine); loopback is the trusted proxy, so each comment
        # names its own reader's address (X-Forwarded-For, documentation ranges)
        # as it would behind nginx. The spam layers and duplicate rules stay on.
        FIRSTHAND_FLOOD_INTERVAL="0",
        FIRSTHAND_FLOOD_PER_HOUR="0",
        FIRSTHAND_TRUSTED_PROXIES="127.0.0.1",
        FIRSTHAND_SERVE_WORKERS=str(args.workers),
        FIRSTHAND_LOG_LEVEL="WARNING",
    )
    if args.no_page_cache:
        env["FIRSTHAND_PAGE_CACHE"] = "false"
    if args.source:
        source = args.source.resolve()
        if not (source / "firsthand" / "__init__.py").exists():
            raise StepFailed(f"--source {source}: no firsthand package there")
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(source), os.environ.get("PYTHONPATH", "")])
        )
        say(f"Firsthand from {source}")
    return env


def measure_reads(
    cases: Sequence[Case],
    base: str,
    static: str,
    seconds: int,
    connections: int,
    rounds: int,
) -> None:
    """Each case ``rounds`` times, Firsthand and nginx in turn, so that both meet
    the same moments of a shared machine; the ratio is the median of the rounds'
    ratios, the figures shown are Firsthand's and nginx's median rounds."""
    report = BENCH / "report.lua"
    for case in cases:
        say(f"  {case.name} …")
        # A short warm-up: templates loaded, connections open, caches filled.
        run_wrk(base + case.path, seconds=1, connections=connections, script=report)
        for _ in range(rounds):
            for server, measured in (
                (base, case.firsthand_rounds),
                (static, case.nginx_rounds),
            ):
                measured.append(
                    run_wrk(
                        server + case.path,
                        seconds=seconds,
                        connections=connections,
                        script=report,
                    )
                )
        case.firsthand = _median_round(case.firsthand_rounds)
        case.nginx = _median_round(case.nginx_rounds)


def _median_round(rounds: Sequence[Measured]) -> Measured:
    ordered = sorted(rounds, key=lambda m: m.per_second)
    return ordered[(len(ordered) - 1) // 2]


@dataclasses.dataclass
class Posting:
    case: Case
    before: dict[str, int]
    after: dict[str, int]

    @property
    def measured(self) -> Measured:
        assert self.case.firsthand is not None
        return self.case.firsthand

    @property
    def acknowledged(self) -> int:
        return self.measured.extra.get("acked", 0)

    @property
    def stored(self) -> int:
        return self.after["total"] - self.before["total"]


def measure_posting(
    base: str,
    post_id: int,
    env: dict[str, str],
    folder: Path,
    *,
    seconds: int,
    connections: int,
    tickets: int,
) -> Posting:
    say("  posting comments …")
    plan = posting_plan(base, ARTICLE_PATH, post_id, tickets, env)
    data = folder / "posting.tsv"
    posting_file(plan, data)
    before = count_responses(post_id, env)
    case = Case("posting comments", plan.action)
    case.firsthand = run_wrk(
        base + plan.action,
        seconds=seconds,
        connections=connections,
        script=BENCH / "post_comments.lua",
        script_args=[str(data), str(WRK_THREADS)],
    )
    time.sleep(2)  # requests still in flight when wrk stopped finish
    return Posting(case, before, count_responses(post_id, env))


def posting_report(posting: Posting) -> str:
    measured, extra = posting.measured, posting.measured.extra
    before, after = posting.before, posting.after
    acked, stored = posting.acknowledged, posting.stored
    by_status = ", ".join(
        f"{key} {after.get(key, 0) - before.get(key, 0):+d}"
        for key in sorted(set(after) | set(before))
        if key != "total" and after.get(key, 0) != before.get(key, 0)
    )
    lines = [
        f"posting comments to {ARTICLE_PATH}: {measured.requests} answered in "
        f"{measured.seconds:.1f} s; acknowledged (3xx) {acked}, refused (400) "
        f"{extra.get('refused', 0)}, refused as forged (403) "
        f"{extra.get('forbidden', 0)}, other {extra.get('other', 0)}; stored "
        f"{stored} ({before['total']} -> {after['total']}: {by_status}); lost "
        f"{max(acked - stored, 0)}; {acked / measured.seconds:.1f} acknowledged "
        "comments/s"
    ]
    if extra.get("reused"):
        lines.append(
            f"  {extra['reused']} requests reused a ticket (double submits, "
            "answered 3xx without storing): raise --tickets"
        )
    if stored > acked:
        lines.append(
            f"  {stored - acked} stored answers were still in flight when wrk stopped"
        )
    return "\n".join(lines)


def run(
    args: argparse.Namespace, seconds: int, folder: Path, processes: Processes
) -> int:
    ensure_tools(args.skip_install)
    about = machine() | tool_versions()
    say(
        f"{about['date']}: {about['cpus']} CPUs ({about['cpu']}), {about['memory']}, "
        f"load average {about['load']}; "
        f"Python {about['python']}, granian {about['granian']}, {about['nginx']}, "
        f"{about['wrk'].split(' [')[0]}"
    )
    env = site_env(args, folder)
    say("building the site (migrate, demo, 1,000 and 10,000 responses) …")
    started = time.perf_counter()
    articles = build_site(env)
    say(f"  done in {time.perf_counter() - started:.0f} s")

    port, static_port = free_port(), free_port()
    base, static = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{static_port}"
    log = folder / "serve.log"
    command = [*firsthand_command(), "serve", "--port", str(port)]
    server = processes.start("firsthand", command, env, log)
    wait_until_up(base + "/", server, log)
    say(f"firsthand serve: {base} (pid {server.pid}, {args.workers} workers)")

    cases = [
        Case("article, 18 responses", str(articles["18"]["path"])),
        Case("article, 1,000 responses (page 1)", str(articles["1000"]["path"])),
        Case("article, 10,000 responses (page 1)", str(articles["10000"]["path"])),
        Case("home page", "/"),
        Case("comment feed (RSS), 18 responses", ARTICLE_PATH + "comments.rss"),
    ]
    root = folder / "nginx" / "root"
    for case in cases:
        name = "index.html" if case.path.endswith("/") else ""
        target = root / (case.path.lstrip("/") + name)
        case.size = save_with_curl(base + case.path, target)
    nginx = start_nginx(processes, folder / "nginx", static_port, args.workers)
    wait_until_up(static + ARTICLE_PATH, nginx, folder / "nginx" / "nginx.out")
    say(f"nginx: {static} (pid {nginx.pid}), serving what Firsthand answered")

    measure_reads(cases, base, static, seconds, args.connections, args.rounds)
    posting = measure_posting(
        base,
        int(str(articles["18"]["id"])),
        env,
        folder,
        seconds=seconds,
        connections=args.connections,
        tickets=args.tickets or max(2000, 2500 * seconds),
    )
    memory = resident("firsthand", server.pid) + resident("nginx", nginx.pid)
    about["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    mode = "off (FIRSTHAND_PAGE_CACHE=false)" if args.no_page_cache else "default"
    say(
        f"\nwrk -t{WRK_THREADS} -c{args.connections} -d{seconds}s on loopback, "
        f"{args.rounds} rounds per page (Firsthand and nginx in turn; the median "
        f"round is shown); {args.workers} granian workers, {args.workers} nginx "
        f"workers; page cache: {mode}; ratio = Firsthand req/s / nginx req/s for "
        "the same bytes as a static file, median of the rounds; KB = size of the "
        f"answer; load average after: {about['load_after']}\n"
    )
    say(report_table(cases, posting.case))
    say("\nresident memory after the runs (RSS now / peak, from /proc):")
    for row in memory:
        say(
            f"  {row.server:<9} {row.role:<6} pid {row.pid:<7} "
            f"{row.rss_mb:6.1f} MB  (peak {row.peak_mb:.1f} MB)"
        )
    say("\n" + posting_report(posting))
    if args.json:
        figures = {
            "machine": about,
            "seconds": seconds,
            "rounds": args.rounds,
            "connections": args.connections,
            "workers": args.workers,
            "page_cache": mode,
            "cases": [
                {
                    "case": c.name,
                    "path": c.path,
                    "bytes": c.size,
                    "firsthand": dataclasses.asdict(c.firsthand)
                    if c.firsthand
                    else None,
                    "nginx": dataclasses.asdict(c.nginx) if c.nginx else None,
                    "ratio": c.ratio,
                    "ratios": c.ratios,
                    "firsthand_rounds": [r.per_second for r in c.firsthand_rounds],
                    "nginx_rounds": [r.per_second for r in c.nginx_rounds],
                }
                for c in [*cases, posting.case]
            ],
            "memory": [dataclasses.asdict(row) for row in memory],
            "posting": {
                "before": posting.before,
                "after": posting.after,
                "acknowledged": posting.acknowledged,
                "stored": posting.stored,
            },
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
