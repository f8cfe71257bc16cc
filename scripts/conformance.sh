#!/usr/bin/env bash
# The MongoDB conformance suite (tests/contract) and the API suite (tests/api) again, on mongoeco's memory engine
# served over the MongoDB wire protocol: a stricter, independent engine reached through the real PyMongo driver
# with CUVEE_MONGODB_URL, as a real server is. mongoeco needs Python >= 3.13: it gets its own .mongoeco-venv.
# Skips with one line when no python3.13 is found. Arguments replace the default pytest arguments
# (tests/contract tests/api). Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY313=""
# The first Python 3.13 that really runs (a pyenv shim answers `command -v` without one behind it).
for candidate in "$(command -v python3.13 || true)" /root/.pyenv/versions/3.13*/bin/python3.13 /usr/bin/python3.13; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info >= (3, 13)' \
      2>/dev/null; then
    PY313=$candidate
    break
  fi
done
if [ -z "$PY313" ]; then
  echo "conformance: skipped (mongoeco needs python3.13: install it, e.g. 'pyenv install 3.13', and re-run)"
  exit 0
fi
if [ ! -x .mongoeco-venv/bin/python ]; then
  "$PY313" -m venv .mongoeco-venv
fi
if ! .mongoeco-venv/bin/python -m pip install -q --disable-pip-version-check "mongoeco[wire]==4.11.0"; then
  echo "conformance: skipped (could not install mongoeco into .mongoeco-venv: check PyPI access and re-run)"
  exit 0
fi

state=$(mktemp -d /tmp/cuvee-mongoeco.XXXXXX)
.mongoeco-venv/bin/python scripts/mongoeco_server.py "$state/url" >"$state/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$state"' EXIT
trap 'exit 143' TERM INT
for _ in $(seq 1 300); do [ -s "$state/url" ] && break; kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
if [ ! -s "$state/url" ]; then echo "conformance: mongoeco did not start:" >&2; cat "$state/server.log" >&2; exit 1; fi
url=$(cat "$state/url")
echo "conformance: tests/contract + tests/api on mongoeco at $url"
[ $# -gt 0 ] || set -- tests/contract tests/api
CUVEE_MONGODB_URL="$url" .venv/bin/python -m pytest -q "$@"
