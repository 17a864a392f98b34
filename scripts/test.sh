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
# The suite above ran the compiled hot path when the C extension built (INFO server hot_path);
# the pure Python one, the reference, then runs the tests that drive every family through the
# request path, the engine and the codec (the whole suite on both paths is issue 12's next step).
if [ $# -eq 0 ] && python3 -c "import pickledbd.daemon._speedups" 2>/dev/null; then
    PICKLEDBD_PURE=1 python3 -m pytest -q -p no:cacheprovider \
        tests/test_speedups.py tests/test_speedups_reader.py tests/test_engine.py \
        tests/test_differential.py tests/test_connection.py tests/test_flow_control.py \
        tests/test_transcripts.py tests/test_resp_reader.py tests/test_hostile_protocol.py \
        tests/test_propagation_strings_keys_hashes.py tests/test_propagation_lists_sets_zsets.py \
        tests/test_keyspace_events.py
fi
