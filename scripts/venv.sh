# Sourced by ./run and ./test: create ./.venv and install Firsthand into it.
# Reinstalls only when pyproject.toml changed since the last install.

ensure_venv() {
  local extras="$1"
  local python="${PYTHON:-python3}"
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "Firsthand needs Python 3.11 or newer: install it (e.g. apt install python3)." >&2
    exit 1
  fi
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Firsthand needs Python 3.11 or newer; $python is $("$python" -V 2>&1)." >&2
    echo "Install a newer Python, or point PYTHON=/path/to/python3.11 at one." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv …"
    if ! "$python" -m venv .venv; then
      rm -rf .venv
      echo "Could not create a virtual environment. On Debian or Ubuntu install the" >&2
      echo "venv module first: sudo apt install python3-venv" >&2
      exit 1
    fi
  fi
  local stamp=".venv/.firsthand-installed${extras}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing Firsthand${extras:+ with $extras} into .venv …"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras}"
    touch "$stamp"
  fi
}

# The fuzz tests (slow tier) need atheris, which has wheels for Linux x86_64 but
# builds from source (with clang) elsewhere: try it, and say so if it cannot be had.
ensure_fuzz() {
  if .venv/bin/python -c 'import atheris' 2>/dev/null; then return; fi
  echo "Installing the fuzzer (atheris) into .venv …"
  if ! .venv/bin/python -m pip install --quiet -e ".[test,fuzz]"; then
    echo "Could not install atheris; the fuzz tests will be skipped (in CI they fail)." >&2
  fi
}

# The browser tests drive Debian's Chromium. As root with apt, install it if missing;
# otherwise say how (the browser tests then skip, naming this fix).
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || echo "Could not install chromium; the browser tests will be skipped." >&2
  else
    echo "Note: /usr/bin/chromium is missing, so the browser tests will be skipped." >&2
    echo "Install it with: sudo apt-get install chromium" >&2
  fi
}

# The slow-client and transport tests (slow tier) put nginx in front of Firsthand,
# as docs/deployment.md does. Use the machine's nginx; else unpack Debian's package
# into .venv/nginx (no service is installed or started); else say how.
ensure_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || [ -x .venv/nginx/usr/sbin/nginx ]; then
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    echo "Unpacking Debian's nginx into .venv/nginx for the slow-client tests …"
    local scratch
    scratch="$(mktemp -d)"
    # A stale package list names a file the mirror no longer has: refresh it once.
    if { (cd "$scratch" && apt-get download -qq nginx 2>/dev/null) \
      || { [ "$(id -u)" = 0 ] && apt-get update -qq \
        && (cd "$scratch" && apt-get download -qq nginx 2>/dev/null); }; } \
      && dpkg-deb -x "$scratch"/nginx_*.deb .venv/nginx; then
      rm -rf "$scratch"
      return
    fi
    rm -rf "$scratch" .venv/nginx
  fi
  echo "Could not get nginx; the slow-client tests will be skipped (in CI they fail)." >&2
  echo "Install it with: sudo apt-get install nginx" >&2
}
