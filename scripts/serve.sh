#!/usr/bin/env bash
# Installs Cuvée into .venv and serves it on the embedded default (in-process MongoDB, tantivy, local or
# in-process Redis) with the demo catalog at http://127.0.0.1:8000. Extra arguments go to `cuvee serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_setup.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/cuvee serve "$@"
