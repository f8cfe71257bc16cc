#!/usr/bin/env bash
# Installs Cuvée with its test extras into .venv, makes sure Redis answers on 127.0.0.1:6379 (and Chromium is
# there for the browser tests), then runs the whole test suite, then the contract and API suites again on mongoeco
# (scripts/conformance.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_setup.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "test: starting redis-server on 127.0.0.1:6379 (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.1; done
fi
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium || echo "test: no /usr/bin/chromium; the browser tests will be skipped"
fi
# Test-only JavaScript (the Segment browser library; the Elasticsearch client's TypeScript types and tsc): never
# served by the shop. No package there needs an install script (the Elasticsearch client's engines field asks for a
# newer node than it needs here: only its .d.ts files are used).
if command -v npm >/dev/null 2>&1; then
  for dir in tests/browser/segment tests/contract/es_types; do
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null || echo "test: npm ci in $dir failed; its tests will be skipped"
  done
else
  echo "test: no npm; the Segment browser test and the Elasticsearch type check will be skipped"
fi
.venv/bin/python -m pytest "$@"
exec bash scripts/conformance.sh
