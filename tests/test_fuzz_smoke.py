"""A short run of the differential protocol fuzzer (scripts/fuzz.py): pickledbd and a real
redis-server get the same random and malformed frames, split the same way; no crash, no
hang, not one reply byte or close that differs, and other clients' PINGs stay fast."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from servers import redis_server_binary

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(redis_server_binary() is None, reason="redis-server not on PATH")
def test_fuzzer_finds_no_difference(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "fuzz.py"), "--frames", "20000", "--seed", "20261130",
         "--max-seconds", "240", "--report-dir", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=400, cwd=str(REPO))
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stats["frames"] >= 20000, stats
    assert stats["crashes"] == 0 and stats["hangs"] == 0, stats
    assert stats["differences"] == 0, (stats, (tmp_path / "fuzz-differences-seed20261130.json").read_text()
                                       if stats["differences"] else "")
    # the bound of the full run is 50 ms; generous here for a loaded test machine
    assert stats["worst_ping_ms"]["pickledbd"] < 500, stats
    assert proc.returncode == 0
