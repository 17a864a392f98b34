#!/usr/bin/env bash
# One command to set up a fresh machine and run the whole test suite (the README's test command;
# .ci/run calls exactly this). Installs the reference redis-server/redis-cli/redis-benchmark when
# missing, the package with its test extras (building the optional C hot path when a compiler is
# there), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi
# The Debian package starts a redis-server on 6379 where systemd runs; our tests never use it.

python3 -m pip install -q --disable-pip-version-check -e '.[test,fast]'
python3 -m pytest "$@"
# The run above used the compiled hot path when the C extension built (INFO server hot_path);
# then the whole suite again on the pure Python path, the reference, so that neither can rot.
if [ $# -eq 0 ] && python3 -c "import pickledbd.daemon._speedups" 2>/dev/null; then
    PICKLEDBD_PURE=1 python3 -m pytest -q -p no:cacheprovider
fi
