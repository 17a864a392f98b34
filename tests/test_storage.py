"""Storage layer (pickledbd.storage): round trips of the daemon's state, file formats, errors."""

from __future__ import annotations

import math
import os
import sqlite3
import stat
import time
from collections import deque

import orjson
import pytest

from pickledbd.errors import CorruptDatabaseError, PickleDBError, SaveError
from pickledbd.storage import (RESERVED_KEY, JSONStorage, ScoreDict, SQLiteStorage, State,
                               open_storage)

BACKENDS = ["json", "sqlite"]
FAR = 4_000_000_000_000  # an expiry far in the future (unix ms)


def binary(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


class ZSet:
    """Stands in for the daemon's own sorted-set type: only score_dict() is required."""

    def __init__(self, mapping=None):
        self.scores = dict(mapping or {})

    def score_dict(self):
        return self.scores


def path_for(tmp_path, backend, name="data"):
    return os.path.join(str(tmp_path), name + (".json" if backend == "json" else ".sqlite3"))


def canon(value):
    """Compare values independent of list/deque and zset container types."""
    if hasattr(value, "score_dict"):
        return ("zset", dict(value.score_dict()))
    if isinstance(value, (list, deque)):
        return [canon(v) for v in value]
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    return value


def canon_state(state):
    dbs = {i: {k: canon(v) for k, v in db.items()} for i, db in state.dbs.items() if db}
    exp = {i: dict(e) for i, e in state.expires.items() if e}
    return dbs, exp


def daemon_state():
    """Everything the daemon stores: all value kinds, binary data, 16 databases, expiries."""
    b = binary(b"\xff\xfe\x00bin\x80")
    s = State(dbs={i: {} for i in range(16)}, expires={})
    s.dbs[0].update({
        "str": "hello", "unicode": "héllo ✓ 😀", "empty": "", "int": 42, "neg": -7,
        "float": 3.25, "true": True, "null": None, "big": 2**63 - 1,
        "hash": {"f1": "v1", "f2": ""}, "list": deque(["a", "b", "a"]), "emptyish": deque(["x"]),
        "set": {"m1", "m2", "m3"}, "zset": ZSet({"a": 1.0, "b": -2.5, "c": math.inf, "d": -math.inf}),
        "scoredict": ScoreDict({"x": 0.0}),
        b: "binary key", "bval": b, "bhash": {b: b, "plain": "p"}, "blist": deque([b, "p"]),
        "bset": {b, "p"}, "bzset": ZSet({b: 1.5, "p": 2.0}),
        RESERVED_KEY: "a key that happens to be named like the metadata",
        "with-expiry": "soon gone", b + "exp": "binary with expiry",
    })
    s.expires[0] = {"with-expiry": FAR, b + "exp": FAR + 1}
    for i in range(1, 16):
        s.dbs[i] = {f"k{i}": f"v{i}", "n": i, "l": deque([str(i)]), "s": {str(i)}}
    s.expires[3] = {"k3": FAR}
    return s


@pytest.mark.parametrize("backend", BACKENDS)
def test_daemon_state_round_trips(tmp_path, backend):
    state = daemon_state()
    open_storage(path_for(tmp_path, backend)).save(state)
    loaded = open_storage(path_for(tmp_path, backend)).load(zset_factory=ZSet)
    assert canon_state(loaded) == canon_state(state)
    assert isinstance(loaded.dbs[0]["zset"], ZSet)
    assert type(loaded.dbs[0]["set"]) is set and type(loaded.dbs[0]["list"]) is list
    assert loaded.dbs[0]["int"] == 42 and type(loaded.dbs[0]["int"]) is int
    b = binary(b"\xff\xfe\x00bin\x80")
    assert loaded.dbs[0]["bval"].encode("utf-8", "surrogateescape") == b"\xff\xfe\x00bin\x80"
    # second generation: what was loaded saves and loads identically
    open_storage(path_for(tmp_path, backend, "second")).save(loaded)
    again = open_storage(path_for(tmp_path, backend, "second")).load(zset_factory=ZSet)
    assert canon_state(again) == canon_state(state)


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_zset_factory_is_scoredict(tmp_path, backend):
    st = open_storage(path_for(tmp_path, backend))
    s = State()
    s.dbs[0]["z"] = ZSet({"a": 1.0, "b": math.inf})
    st.save(s)
    z = st.load().dbs[0]["z"]
    assert type(z) is ScoreDict and z == {"a": 1.0, "b": math.inf} and z.score_dict() is z


@pytest.mark.parametrize("backend", BACKENDS)
def test_expired_keys_dropped_at_load(tmp_path, backend):
    st = open_storage(path_for(tmp_path, backend))
    s = State(dbs={0: {"old": "x", "new": "y"}, 2: {"old2": "z"}},
              expires={0: {"old": 1000, "new": FAR}, 2: {"old2": 5}})
    st.save(s)
    loaded = open_storage(st.path).load()
    assert loaded.dbs[0] == {"new": "y"} and loaded.expires == {0: {"new": FAR}}
    assert not loaded.dbs.get(2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_and_empty_file_are_empty(tmp_path, backend):
    p = path_for(tmp_path, backend)
    st = open_storage(p)
    assert canon_state(st.load()) == ({}, {})
    assert not os.path.exists(p), "load must not create the file"
    open(p, "wb").close()
    state = open_storage(p).load()
    assert state.dbs == {0: {}} and state.expires == {}


def test_open_storage_picks_backend(tmp_path):
    for name in ("a.sqlite", "a.sqlite3", "a.DB", "x/b.db"):
        assert isinstance(open_storage(tmp_path / name), SQLiteStorage)
    for name in ("a.json", "a", "a.pickle"):
        assert isinstance(open_storage(tmp_path / name), JSONStorage)
    assert isinstance(open_storage(tmp_path / "a.json", backend="sqlite"), SQLiteStorage)
    assert isinstance(open_storage(tmp_path / "a.db", backend="json"), JSONStorage)
    st = open_storage("~/x.json")
    assert st.path == os.path.join(os.path.expanduser("~"), "x.json") and os.path.isabs(st.path)
    with pytest.raises(ValueError):
        open_storage(tmp_path / "a", backend="redis")
    assert not os.listdir(tmp_path), "open_storage does no I/O"


# ------------------------------------------------------------------ JSON file format

def test_plain_db0_is_a_plain_object(tmp_path):
    p = tmp_path / "d.json"
    s = State(dbs={0: {"a": "b", "n": 1, "h": {"x": [1, {"y": None}]}, "l": deque(["q"])}})
    JSONStorage(str(p)).save(s)
    assert orjson.loads(p.read_bytes()) == {"a": "b", "n": 1, "h": {"x": [1, {"y": None}]}, "l": ["q"]}


def test_contract_example_file_loads(tmp_path):
    doc = {
        "user:1": "alice", "theme": {"color": "blue"}, "tasks": ["a", "b"], "tags": ["x", "y"],
        "board": {"alice": 10.0, "bob": "inf"},
        RESERVED_KEY: {
            "format": 1, "types": {"0": {"tags": "set", "board": "zset"}},
            "expires": {"0": {"user:1": FAR}}, "dbs": {"3": {"k": "v"}},
            "binary": {"0": [["/w==", "string", "AAE=", None]]},
        },
    }
    p = tmp_path / "d.json"
    p.write_bytes(orjson.dumps(doc))
    s = JSONStorage(str(p)).load()
    assert s.dbs[0]["tags"] == {"x", "y"}
    assert s.dbs[0]["board"] == {"alice": 10.0, "bob": math.inf}
    assert s.dbs[0][binary(b"\xff")] == "\x00\x01"
    assert s.dbs[3] == {"k": "v"} and s.expires == {0: {"user:1": FAR}}
    JSONStorage(str(p)).save(s)
    again = orjson.loads(p.read_bytes())
    assert again == doc


def test_binary_record_keeps_non_string_items(tmp_path):
    b = binary(b"\xc3")
    s = State(dbs={0: {b: {"n": 5, "l": [1, "two"], "s": b}}})
    p = str(tmp_path / "d.json")
    JSONStorage(p).save(s)
    assert JSONStorage(p).load().dbs[0] == {b: {"n": 5, "l": [1, "two"], "s": b}}


def test_fast_path_file_has_no_metadata_and_keeps_order(tmp_path):
    p = tmp_path / "d.json"
    db = {f"key{i}": f"value{i}" for i in range(1000)}
    JSONStorage(str(p)).save(State(dbs={0: db}))
    raw = p.read_bytes()
    assert RESERVED_KEY.encode() not in raw and list(orjson.loads(raw)) == list(db)


@pytest.mark.parametrize("content, what", [
    (b"{not json", "not valid JSON"),
    (b'{"a": 1', "not valid JSON"),
    (b"[1, 2, 3]", "an array"),
    (b'"just a string"', "a string"),
    (b"42", "a number"),
    (b"null", "null"),
    (b'{"__pickledbd__": {"format": 99}}', "unsupported format"),
    (b'{"__pickledbd__": [1]}', "expected an object"),
    (b'{"__pickledbd__": {"format": 1, "types": {"0": {"gone": "set"}}}}', "missing"),
    (b'{"s": 5, "__pickledbd__": {"format": 1, "types": {"0": {"s": "set"}}}}', "array"),
    (b'{"__pickledbd__": {"format": 1, "binary": {"0": [["@@@", "string", "x", null]]}}}', "base64"),
    (b'\xff\xfe{}', "not valid JSON"),
])
def test_corrupt_json_raises_and_names_file(tmp_path, content, what):
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    with pytest.raises(CorruptDatabaseError) as ei:
        JSONStorage(str(p)).load()
    assert str(p) in str(ei.value) and what in str(ei.value)
    assert isinstance(ei.value, ValueError) and isinstance(ei.value, PickleDBError)
    assert p.read_bytes() == content


# ------------------------------------------------------------------ save failures

def leftovers(directory):
    return [n for n in os.listdir(directory) if n.endswith(".pdbtmp")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_unserialisable_value_fails_cleanly(tmp_path, backend):
    st = open_storage(path_for(tmp_path, backend))
    st.save(State(dbs={0: {"a": "old"}}))
    before = open(st.path, "rb").read() if backend == "json" else None
    with pytest.raises(SaveError) as ei:
        st.save(State(dbs={0: {"a": "new", "bad": object()}}))
    assert st.path in str(ei.value) and "serial" in str(ei.value)
    assert isinstance(ei.value, OSError)
    if before is not None:
        assert open(st.path, "rb").read() == before
    assert open_storage(st.path).load().dbs[0] == {"a": "old"}
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_directory_fails_cleanly(tmp_path, backend):
    st = open_storage(path_for(tmp_path / "nope" / "deeper", backend))
    with pytest.raises(SaveError) as ei:
        st.save(State(dbs={0: {"a": 1}}))
    assert st.path in str(ei.value)
    assert not (tmp_path / "nope").exists()


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SAVE_AS_NOBODY = """
import os, sys
sys.path.insert(0, sys.argv[2])
from pickledbd.errors import SaveError
from pickledbd.storage import State, open_storage
os.setgid(65534); os.setuid(65534)  # after the imports: the interpreter may live under /root
try:
    open_storage(sys.argv[1]).save(State(dbs={0: {"a": "new"}}))
except SaveError as e:
    print("SaveError:", e)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("backend", BACKENDS)
def test_read_only_directory_fails_cleanly(tmp_path, backend):
    import subprocess
    import sys
    import tempfile
    d = tempfile.mkdtemp(prefix="pdb-ro-")  # not under tmp_path: "nobody" must reach it
    try:
        st = open_storage(path_for(d, backend))
        st.save(State(dbs={0: {"a": "old"}}))
        st.close()
        before = sorted(os.listdir(d))
        os.chmod(st.path, 0o644)
        os.chmod(d, 0o555)
        if os.geteuid() == 0:  # root ignores permissions: save as an unprivileged user instead
            out = subprocess.run([sys.executable, "-c", SAVE_AS_NOBODY, st.path, REPO],
                                 capture_output=True, text=True, timeout=60)
            assert out.stdout.startswith("SaveError:"), out.stdout + out.stderr
            assert st.path in out.stdout
        else:
            with pytest.raises(SaveError) as ei:
                open_storage(st.path).save(State(dbs={0: {"a": "new"}}))
            assert st.path in str(ei.value)
        os.chmod(d, 0o755)
        assert sorted(os.listdir(d)) == before
        assert open_storage(st.path).load().dbs[0] == {"a": "old"}
    finally:
        os.chmod(d, 0o755)
        import shutil
        shutil.rmtree(d)


def test_json_save_keeps_file_mode(tmp_path):
    p = tmp_path / "d.json"
    JSONStorage(str(p)).save(State(dbs={0: {"a": 1}}))
    os.chmod(p, 0o640)
    JSONStorage(str(p)).save(State(dbs={0: {"a": 2}}))
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640


@pytest.fixture
def tiny_fs(tmp_path):
    """A real 256 KiB file system (tmpfs) to fill up; needs root and mount permission."""
    from servers import tiny_fs as mount
    with mount(tmp_path, "256k") as d:
        yield d


@pytest.mark.parametrize("backend", BACKENDS)
def test_full_disk_fails_cleanly(tiny_fs, backend):
    st = open_storage(path_for(tiny_fs, backend))
    st.save(State(dbs={0: {"a": "old"}}))
    before = sorted(os.listdir(tiny_fs))
    big = {f"k{i}": "x" * 1000 for i in range(1000)}  # ~1 MB: cannot fit
    with pytest.raises(SaveError) as ei:
        st.save(State(dbs={0: big}))
    assert st.path in str(ei.value)
    if backend == "json":
        assert "No space left" in str(ei.value)
        assert sorted(os.listdir(tiny_fs)) == before
    st.close()
    assert leftovers(tiny_fs) == []
    reader = open_storage(st.path)
    assert reader.load().dbs[0] == {"a": "old"}
    reader.close()


# ------------------------------------------------------------------ SQLite specifics

def rows(path):
    with sqlite3.connect(path) as c:
        return {(db, bytes(k)): (t, bytes(v), e) for db, k, t, v, e in
                c.execute("SELECT db, key, type, value, expire_ms FROM kv")}


def test_sqlite_schema_and_wal(tmp_path):
    p = str(tmp_path / "d.sqlite")
    st = SQLiteStorage(p)
    st.save(State(dbs={0: {"a": "x", "s": {"q"}}, 2: {"b": [1]}}, expires={2: {"b": FAR}}))
    with sqlite3.connect(p) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert c.execute("SELECT value FROM meta WHERE name='format'").fetchone()[0] == "1"
    r = rows(p)
    assert r[(0, b"a")] == (None, b'"x"', None)
    assert r[(0, b"s")] == ("set", b'["q"]', None)
    assert r[(2, b"b")] == (None, b"[1]", FAR)
    st.close()


def test_sqlite_incremental_save_touches_only_dirty_rows(tmp_path):
    p = str(tmp_path / "big.sqlite3")
    n = 200_000
    db = {f"key{i}": f"value{i}" for i in range(n)}
    st = SQLiteStorage(p)
    st.save(State(dbs={0: db}))
    before = rows(p)
    db["key7"] = "changed"
    del db["key8"]
    db["fresh"] = {"h": 1}
    with sqlite3.connect(p) as c:
        changes_before = c.total_changes
    t0 = time.perf_counter()
    st.save(State(dbs={0: db}), {0: {"key7", "key8", "fresh"}})
    elapsed = time.perf_counter() - t0
    after = rows(p)
    diff = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert diff == {(0, b"key7"), (0, b"key8"), (0, b"fresh")}
    assert after[(0, b"key7")][1] == b'"changed"' and (0, b"key8") not in after
    assert len(after) == n
    print(f"1-key incremental save on {n} keys: {elapsed * 1000:.1f} ms")  # informative only
    st.close()


def test_sqlite_dirty_none_for_a_db_replaces_it(tmp_path):
    p = str(tmp_path / "d.sqlite")
    st = SQLiteStorage(p)
    st.save(State(dbs={0: {"a": 1}, 1: {"x": 1, "y": 2}}))
    st.save(State(dbs={0: {"a": 1}, 1: {"z": 3}}), {1: None})
    assert SQLiteStorage(p).load().dbs[1] == {"z": 3}
    st.save(State(dbs={0: {"a": 1}}), {1: None})
    assert not SQLiteStorage(p).load().dbs.get(1)


def test_sqlite_expired_rows_deleted_at_next_save(tmp_path):
    p = str(tmp_path / "d.sqlite")
    SQLiteStorage(p).save(State(dbs={0: {"old": "x", "k": "v"}}, expires={0: {"old": 1}}))
    st = SQLiteStorage(p)
    state = st.load()
    assert state.dbs[0] == {"k": "v"}
    st.save(state, {0: set()})
    assert set(rows(p)) == {(0, b"k")}


def test_sqlite_no_sql_injection_through_keys(tmp_path):
    p = str(tmp_path / "d.sqlite")
    evil = "x'); DROP TABLE kv; --"
    st = SQLiteStorage(p)
    st.save(State(dbs={0: {evil: evil}}))
    st.save(State(dbs={0: {}}), {0: {evil}})
    st.save(State(dbs={0: {evil: 1}}), {0: {evil}})
    assert SQLiteStorage(p).load().dbs[0] == {evil: 1}


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\x01" * 200])
def test_sqlite_corrupt_file(tmp_path, content):
    p = tmp_path / "bad.sqlite"
    p.write_bytes(content)
    with pytest.raises(CorruptDatabaseError) as ei:
        SQLiteStorage(str(p)).load()
    assert str(p) in str(ei.value)
    assert p.read_bytes() == content


def test_sqlite_foreign_schema_is_corrupt(tmp_path):
    p = str(tmp_path / "other.db")
    with sqlite3.connect(p) as c:  # upstream PickleDBSQLite's layout: not this format
        c.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
    with pytest.raises(CorruptDatabaseError, match="columns"):
        SQLiteStorage(p).load()
    p2 = str(tmp_path / "other2.db")
    with sqlite3.connect(p2) as c:
        c.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(CorruptDatabaseError, match="no kv table"):
        SQLiteStorage(p2).load()


@pytest.mark.parametrize("backend", BACKENDS)
def test_daemon_zset_type_round_trips(tmp_path, backend):
    zset = pytest.importorskip("pickledbd.daemon.keyspace.zset")  # the daemon's own sorted set, when present
    st = open_storage(path_for(tmp_path, backend))
    s = State(dbs={0: {"z": zset.ZSet({"a": 1.0, "b": math.inf, binary(b"\xff"): -1.5})}})
    st.save(s)
    z = open_storage(st.path).load(zset_factory=zset.ZSet).dbs[0]["z"]
    assert type(z) is zset.ZSet and z.score_dict() == {"a": 1.0, "b": math.inf, binary(b"\xff"): -1.5}


# ------------------------------------------------------------------ the JSON encoder's fast paths

def reference_encode(state: State) -> bytes:
    """The format written the straightforward way: every key checked, then projected.
    encode_state must write exactly these bytes, only faster."""
    from pickledbd.storage.codec import binary_value, b64e, contains_binary, is_binary_str, plain_default, project
    from pickledbd.storage.jsonfile import encode_function
    meta, doc = {"format": 1}, {}
    for i in sorted(state.dbs):
        db = state.dbs[i]
        if not db and i != 0:
            continue
        exp = state.expires.get(i) or {}
        plain, types, records = {}, {}, []
        for k, v in db.items():
            if k == RESERVED_KEY or is_binary_str(k) or contains_binary(v):
                kind, enc = binary_value(v)
                records.append([b64e(k), kind, enc, exp.get(k)])
                continue
            tag, plain[k] = project(v)
            if tag:
                types[k] = tag
        plain_exp = {k: t for k, t in exp.items() if k in plain}
        name = str(i)
        if i == 0:
            doc = plain
        elif plain:
            meta.setdefault("dbs", {})[name] = plain
        for section, value in (("types", types), ("expires", plain_exp), ("binary", records)):
            if value:
                meta.setdefault(section, {})[name] = value
    if state.functions:
        meta["functions"] = [encode_function(c) for c in state.functions]
    if len(meta) > 1:
        doc[RESERVED_KEY] = meta
    return orjson.dumps(doc, default=plain_default)


def mixed_state(n: int) -> State:
    """n keys of every kind over 3 databases, a non-UTF-8 string in every 7th, some expiring."""
    b = binary(b"\xff\x80")
    s = State(dbs={0: {}, 1: {}, 2: {}}, expires={})
    for i in range(n):
        bad = b if i % 7 == 3 else ""
        kind = i % 6
        v = [f"v{i}{bad}", {f"f{i}": f"x{bad}", "g": "y"}, deque([f"a{i}", f"b{bad}"]),
             {f"m{i}", f"n{bad}"}, ZSet({f"z{i}{bad}": i * 0.5, "w": math.inf}), i][kind]
        key = f"k{i}" + (b if i % 11 == 5 else "")
        s.dbs[i % 3][key] = v
        if i % 5 == 0:
            s.expires.setdefault(i % 3, {})[key] = FAR + i
    s.dbs[1][RESERVED_KEY] = "named like the metadata"
    s.functions = ["#!lua name=l\nredis.register_function('f', function() return 1 end)"]
    return s


def test_encoder_writes_the_reference_bytes_over_many_chunks(tmp_path):
    from pickledbd.storage.jsonfile import _CHUNK, encode_state
    s = mixed_state(_CHUNK * 12 + 5)
    data = encode_state(s)
    assert data == reference_encode(s)
    p = tmp_path / "d.json"
    p.write_bytes(data)
    assert canon_state(JSONStorage(str(p)).load(zset_factory=ZSet)) == canon_state(s)
    assert encode_state(daemon_state()) == reference_encode(daemon_state())


def test_encoder_collects_no_garbage_and_restores_the_collector():
    import gc
    from pickledbd.storage.jsonfile import encode_state
    assert gc.isenabled()
    encode_state(mixed_state(100))
    assert gc.isenabled()
    gc.disable()
    try:
        encode_state(mixed_state(100))
        assert not gc.isenabled()
    finally:
        gc.enable()


def _hypothesis_states():
    from hypothesis import strategies as st
    chars = st.characters(codec="utf-8") | st.sampled_from(["\udc80", "\udcff", "é", "😀", "\x00"])
    text = st.text(chars, max_size=6)
    key = text | st.just(RESERVED_KEY)
    scalar = text | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) \
        | st.booleans() | st.none()
    score = st.floats(allow_nan=False) | st.integers(-1000, 1000)
    value = (scalar | st.dictionaries(text, text, max_size=4) | st.lists(text, max_size=4).map(deque)
             | st.sets(text, max_size=4) | st.dictionaries(text, score, max_size=4).map(ZSet)
             | st.dictionaries(text, score, max_size=3).map(ScoreDict))
    db = st.dictionaries(key, value, max_size=12)

    @st.composite
    def states(draw):
        dbs = draw(st.dictionaries(st.integers(0, 3), db, max_size=4))
        dbs.setdefault(0, {})
        expires = {}
        for i, d in dbs.items():
            keys = [k for k in d if draw(st.booleans())]
            if keys:
                expires[i] = {k: FAR + n for n, k in enumerate(keys)}
        functions = draw(st.lists(text, max_size=2))
        return State(dbs=dbs, expires=expires, functions=functions)
    return states()


def test_encoder_matches_reference_and_round_trips_property():
    """Any state: the bytes of the straightforward encoder, and load() gives the state back;
    with tiny chunks, so that chunk boundaries fall everywhere."""
    from hypothesis import HealthCheck, given, settings
    from pickledbd.storage import jsonfile

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_hypothesis_states())
    def check(state):
        data = jsonfile.encode_state(state)
        assert data == reference_encode(state)
        loaded = jsonfile.decode_document(orjson.loads(data), zset_factory=ZSet)
        assert canon_state(loaded) == canon_state(state)
        assert loaded.functions == state.functions

    saved = jsonfile._CHUNK
    jsonfile._CHUNK = 3
    try:
        check()
    finally:
        jsonfile._CHUNK = saved


def test_sqlite_new_file_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    """A crash while creating the database cannot leave the 0-byte file sqlite3.connect makes
    first (the daemon refuses to start on an empty data file)."""
    p = tmp_path / "new.sqlite3"

    def crash(self, conn):
        raise sqlite3.OperationalError("simulated crash while creating the schema")

    monkeypatch.setattr(SQLiteStorage, "_create_schema", crash)
    with pytest.raises(SaveError):
        SQLiteStorage(str(p)).save(State(dbs={0: {"a": "1"}}))
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    st = SQLiteStorage(str(p))
    st.save(State(dbs={0: {"a": "1"}}))
    st.close()
    assert "new.sqlite3" in os.listdir(tmp_path)
    assert leftovers(tmp_path) == []
    assert SQLiteStorage(str(p)).load().dbs[0] == {"a": "1"}
    with sqlite3.connect(str(p)) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
