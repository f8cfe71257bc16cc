# Sourced by serve.sh and test.sh: a virtualenv in .venv on a fresh Debian machine (python3-venv via apt if needed).
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "setup: please install $* (apt-get install $*) and re-run" >&2; return 1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv && python3 -m venv .venv; }
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
