"""Exploration helper (not a test): run many random command sequences against pickledbd and
redis-server and print the distinct mismatches, grouped by command name, each with the
shortest sequence that showed it.

    python3 tests/diff_explore.py [--families strings,keys] [--examples 500] [--resp 2|3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import HealthCheck, given, settings  # noqa: E402

from diff_commands import FAMILIES, format_mismatch, load_extra_families, run_sequence, sequence_strategy  # noqa: E402

load_extra_families()
from diff_resp import RawClient  # noqa: E402
from servers import PickledbdServer, RedisServer, start_with_retry  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--resp", type=int, default=2)
    ap.add_argument("--max-size", type=int, default=30)
    opts = ap.parse_args()
    fams = opts.families.split(",")
    with tempfile.TemporaryDirectory() as d:
        ref_srv = start_with_retry(lambda: RedisServer(Path(d) / "r"))
        dut_srv = start_with_retry(lambda: PickledbdServer(Path(d) / "p"))
        try:
            ref = RawClient(ref_srv.host, ref_srv.port)
            dut = RawClient(dut_srv.host, dut_srv.port)
            if opts.resp == 3:
                ref.call(b"HELLO", b"3")
                dut.call(b"HELLO", b"3")
            found: dict[bytes, tuple] = {}

            @settings(max_examples=opts.examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(sequence_strategy(fams, opts.max_size))
            def explore(cmds):
                m = run_sequence(ref, dut, cmds)
                if m is not None:
                    name = m[1][0].upper() + (b" " + m[1][1] if m[1][0] == b"SCANALL" else b"")
                    if name not in found or len(m[5]) < len(found[name][5]):
                        found[name] = m

            explore()
            for name, m in sorted(found.items()):
                print("=" * 70)
                print(format_mismatch(m))
            print(f"{len(found)} distinct mismatching commands")
        finally:
            dut_srv.stop()
            ref_srv.stop()


if __name__ == "__main__":
    main()
