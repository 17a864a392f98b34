"""The built wheel carries everything the daemon reads at run time (a non-editable install
once could not start: the command metadata JSON was missing)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_package_data_and_console_script(tmp_path):
    # build from the tracked files only, as a fresh clone would: a local egg-info from an
    # editable install can otherwise smuggle data files into the wheel
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for name in files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(src)], check=True, timeout=300)
    wheel = next(tmp_path.glob("pickledbd-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pickledbd/daemon/engine/redis_docs.json" in names
    assert "pickledbd/daemon/server.py" in names and "pickledbd/storage/jsonfile.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "pickledbd = pickledbd.cli:main" in text
