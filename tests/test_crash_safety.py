"""Kill -9 a process while it saves in a loop: the file is always the old or the new content.

A child alternates between two distinct contents A and B and saves after each switch; the
parent SIGKILLs it at random moments (>= 30 times per backend), then checks the file parses
and equals A or B, and that killed savers' temp files do not pile up."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from pickledbd import PickleDB

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KILLS = 32
N_KEYS = 3000

SAVER = """
import sys
sys.path.insert(0, sys.argv[2])
from pickledbd import PickleDB
n = int(sys.argv[3])
contents = [{f"key{i}": f"A{i}" * 3 for i in range(n)},
            {f"key{i}": [f"B{i}", i] for i in range(n // 2, n + n // 2)}]
db = PickleDB(sys.argv[1])
turn = int(sys.argv[4])  # children alternate which content they write first
print("ready", flush=True)
while True:
    db.purge()
    for k, v in contents[turn % 2].items():
        db[k] = v
    db.save()
    if sys.argv[5] == "report":
        print("saved", flush=True)
        sys.argv[5] = ""
    turn += 1
"""


def contents(n):
    a = {f"key{i}": f"A{i}" * 3 for i in range(n)}
    b = {f"key{i}": [f"B{i}", i] for i in range(n // 2, n + n // 2)}
    return a, b


def temp_files(directory):
    return [n for n in os.listdir(directory) if n.endswith(".pdbtmp")]


@pytest.mark.parametrize("name", ["data.json", "data.sqlite3"])
def test_sigkill_during_save_never_corrupts(tmp_path, name):
    path = str(tmp_path / name)
    a, b = contents(N_KEYS)
    rng = random.Random(1234)
    seen = set()
    mid_write = 0  # kills that hit a save between creating its temp file and the rename
    for attempt in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, path, REPO, str(N_KEYS), str(attempt),
                                 "report" if attempt == 0 else ""], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"  # imports done: kill inside the loop
            if attempt == 0:
                assert proc.stdout.readline().strip() == "saved"  # a first version exists
            time.sleep(rng.uniform(0.0, 0.2))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        db = PickleDB(path).load()  # raises CorruptDatabaseError if the file is damaged
        got = db.db
        db.close()
        assert got == a or got == b, f"kill #{attempt}: neither old nor new content ({len(got)} keys)"
        seen.add("a" if got == a else "b")
        # a killed saver can leave its own temp file; the next save removes it
        assert len(temp_files(tmp_path)) <= 1, temp_files(tmp_path)
        mid_write += bool(temp_files(tmp_path))
    db = PickleDB(path).load()
    db.save()
    db.close()
    assert temp_files(tmp_path) == []
    assert seen == {"a", "b"}, "the kills should land on both contents"
    print(f"{KILLS} kills, {mid_write} during a write")
