"""The PickleDB library: upstream pickleDB's documented behaviour plus pickledbd's guarantees.

The behavioural tests run on both backends (JSON and SQLite)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time

import orjson
import pytest

import pickledbd
from pickledbd import CorruptDatabaseError, PickleDB, PickleDBError, SaveError
from pickledbd.storage import RESERVED_KEY, ScoreDict, State, open_storage

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(params=["json", "sqlite"])
def path(request, tmp_path):
    return str(tmp_path / ("db.json" if request.param == "json" else "db.sqlite3"))


def reopen(path):
    return PickleDB(path).load()


# ------------------------------------------------------------------ package

def test_package_exports():
    assert pickledbd.__version__ == "0.1.0"
    assert issubclass(CorruptDatabaseError, PickleDBError) and issubclass(SaveError, PickleDBError)


def test_import_does_not_load_the_daemon():
    code = ("import sys, pickledbd; bad = [m for m in ('pickledbd.server', 'pickledbd.keyspace', "
            "'pickledbd.resp', 'pickledbd.cli', 'pickledbd.commands') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


# ------------------------------------------------------------------ upstream README / guide

def test_readme_example(path):
    db = PickleDB(path).load()
    assert db.set("key", "value") is True
    assert db.get("key") == "value"


def test_guide_first_database(path):
    db = PickleDB(path)
    db.set("greeting", "Hello, world!")
    assert db.get("greeting") == "Hello, world!"
    assert db.save() is True
    assert reopen(path).get("greeting") == "Hello, world!"


def test_guide_add_update_get_all_remove_purge(path):
    db = PickleDB(path)
    db.set("username", "admin")
    db["username"] = "admin"
    db.set("username", "superadmin")
    assert db.get("username") == "superadmin"
    assert db["username"] == "superadmin"
    assert db.get("nonexistent_key") is None
    db.set("item1", "value1")
    db.set("item2", "value2")
    assert db.all() == ["username", "item1", "item2"]
    assert db.remove("item1") is True
    assert db.all() == ["username", "item2"]
    assert db.purge() is True
    assert db.all() == []
    assert db.save() is True


def test_keys_are_coerced_to_str(path):
    db = PickleDB(path)
    db.set(1, "one")
    db[2.5] = "x"
    assert db.get("1") == "one" and db.get(1) == "one" and db[1] == "one" and 1 in db
    assert db.all() == ["1", "2.5"]
    db.save()
    assert reopen(path).get(1) == "one"


def test_guide_context_manager_saves(path):
    db = PickleDB(path)
    with db:
        db.set("foo", "bar")
        db.set("hello", "world")
        db.set("candy", "bad")
    assert reopen(path).all() == ["foo", "hello", "candy"] or sorted(reopen(path).all()) == ["candy", "foo", "hello"]


def test_guide_complex_data(path):
    db = PickleDB(path)
    db.set("user", {"name": "Alice", "age": 30, "city": "Wonderland"})
    user = db.get("user")
    user["age"] += 1
    db.set("user", user)
    assert db.get("user") == {"name": "Alice", "age": 31, "city": "Wonderland"}
    db.set("tasks", ["Write code", "Test app", "Deploy"])
    tasks = db.get("tasks")
    tasks.append("Celebrate")
    db.set("tasks", tasks)
    assert db.get("tasks") == ["Write code", "Test app", "Deploy", "Celebrate"]
    db.save()
    db2 = reopen(path)
    assert db2.get("user") == {"name": "Alice", "age": 31, "city": "Wonderland"}
    assert db2.get("tasks") == ["Write code", "Test app", "Deploy", "Celebrate"]


def test_guide_advanced_key_search(path):
    def get_keys_with_match_list(db_instance, match):
        return [key for key in db_instance.all() if match in key]

    def get_keys_with_match_dict(db_instance, match):
        return dict(filter(lambda item: match in item[0], db_instance.db.items()))

    db = PickleDB(path)
    db.set("apple", 1)
    db.set("apricot", 2)
    db.set("banana", 3)
    assert get_keys_with_match_list(db, "ap") == ["apple", "apricot"]
    assert get_keys_with_match_dict(db, "ap") == {"apple": 1, "apricot": 2}


def test_guide_namespaces(path):
    db = PickleDB(path)
    db.set("user:1", {"name": "Alice", "age": 30})
    db.set("user:2", {"name": "Bob", "age": 25})
    db.set("admin:1", {"name": "Root"})

    def get_namespace_keys(db_instance, namespace):
        return [key for key in db_instance.all() if key.startswith(f"{namespace}:")]

    assert get_namespace_keys(db, "user") == ["user:1", "user:2"]


def test_guide_expire_keys_recipe(path):
    db = PickleDB(path)

    def set_with_expiry(db_instance, key, value, ttl):
        db_instance.set(key, {"value": value, "expires_at": time.time() + ttl})

    def get_if_not_expired(db_instance, key):
        data = db_instance.get(key)
        if data and time.time() < data["expires_at"]:
            return data["value"]
        db_instance.remove(key)
        return None

    set_with_expiry(db, "session_123", "active", ttl=60)
    assert get_if_not_expired(db, "session_123") == "active"
    set_with_expiry(db, "session_456", "active", ttl=-1)  # already past: no sleeping in tests
    assert get_if_not_expired(db, "session_456") is None
    assert "session_456" not in db


def test_guide_encrypted_storage_needs_text(path):
    # The guide stores Fernet tokens (bytes); JSON cannot hold bytes, so set() says so at once.
    # Tokens are ASCII: store token.decode() and encode it back when reading.
    import base64
    token = base64.urlsafe_b64encode(b"My secret data")
    db = PickleDB(path)
    with pytest.raises(TypeError, match="secure_key"):
        db.set("secure_key", token)
    assert "secure_key" not in db
    db.set("secure_key", token.decode())
    db.save()
    assert base64.urlsafe_b64decode(reopen(path).get("secure_key").encode()) == b"My secret data"


def test_guide_batch_operations(path):
    db = PickleDB(path)

    def batch_set(db_instance, items):
        for key, value in items.items():
            db_instance.set(key, value)

    def batch_delete(db_instance, keys):
        for key in keys:
            db_instance.remove(key)

    batch_set(db, {"key1": "value1", "key2": "value2", "key3": "value3"})
    assert db.all() == ["key1", "key2", "key3"]
    db.purge()
    db.set("temp1", "value1")
    db.set("temp2", "value2")
    batch_delete(db, ["temp1", "temp2"])
    assert db.all() == []


def test_guide_key_pattern_matching(path):
    def get_keys_by_pattern(db_instance, pattern):
        regex = re.compile(pattern)
        return [key for key in db_instance.all() if regex.search(key)]

    db = PickleDB(path)
    db.set("user:1", {"name": "Alice"})
    db.set("user:2", {"name": "Bob"})
    db.set("admin:1", {"name": "Charlie"})
    assert get_keys_by_pattern(db, r"user:\d") == ["user:1", "user:2"]


SIGNAL_RECIPE = """
import signal, sys
sys.path.insert(0, sys.argv[2])
from pickledbd import PickleDB
db = PickleDB(sys.argv[1])
signal.signal(signal.SIGINT, lambda signum, frame: (db.save(), sys.exit(0)))
signal.signal(signal.SIGTERM, lambda signum, frame: (db.save(), sys.exit(0)))
db.set('key1', 'value1')
db.set('key2', 'value2')
print("Database is running. Press Ctrl+C to save and exit.", flush=True)
try:
    while True:
        pass
except KeyboardInterrupt:
    pass
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_guide_signal_handling(path, sig):
    proc = subprocess.Popen([sys.executable, "-c", SIGNAL_RECIPE, path, REPO], stdout=subprocess.PIPE, text=True)
    try:
        assert "running" in proc.stdout.readline()
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    assert reopen(path).db == {"key1": "value1", "key2": "value2"}


# ------------------------------------------------------------------ upstream 1.6 async usage

async def test_async_set_get_save_and_reload(path):
    db = PickleDB(path)
    assert await db.set("foo", {"bar": 1}) is True
    await db.set("num", 123)
    assert await db.save() is True
    db2 = PickleDB(path)
    assert await db2.load() is db2
    assert await db2.get("foo") == {"bar": 1}
    assert await db2.get("num") == 123
    assert await db2.get("missing", default="nope") == "nope"
    assert await db2.get("also_missing") is None


async def test_async_remove_all_purge(path):
    db = PickleDB(path)
    for k, v in (("a", 1), ("b", 2), ("c", 3)):
        await db.set(k, v)
    assert set(await db.all()) == {"a", "b", "c"}
    assert await db.remove("b") is True
    assert await db.remove("b") is False
    assert await db.purge() is True
    assert await db.all() == []


async def test_async_concurrent_tasks(path):
    db = PickleDB(path)

    async def writer(start, end):
        for i in range(start, end):
            await db.set(f"key_{i}", i)
            await asyncio.sleep(0)

    await asyncio.gather(*(asyncio.create_task(writer(a, a + 250)) for a in range(0, 1000, 250)))
    assert len(await db.all()) == 1000 and await db.get("key_999") == 999
    await db.save()
    assert len(await PickleDB(path).load()) == 1000


async def test_async_context_manager(path):
    async with PickleDB(path) as db:
        await db.set("inside", "async_context")
    async with PickleDB(path) as db2:
        assert await db2.get("inside") == "async_context"


# ------------------------------------------------------------------ one API, sync and async

def test_sync_calls_return_plain_values(path):
    db = PickleDB(path)
    assert db.load() is db
    assert db.set("a", 1) is True and db.get("a") == 1 and db.all() == ["a"]
    assert db.remove("a") is True and db.remove("a") is False
    assert db.purge() is True and db.save() is True


async def test_awaited_calls(path):
    db = PickleDB(path)
    assert await db.load() is db
    assert await db.set("a", [1, 2]) is True
    assert await db.get("a") == [1, 2]
    assert await db.get("zz", 5) == 5
    assert await db.all() == ["a"]
    assert await db.remove("a") is True and await db.remove("a") is False
    assert await db.purge() is True
    assert await db.save() is True
    # gather / wait_for accept the returned awaitables
    assert await asyncio.gather(db.set("x", 1), db.get("x")) == [True, 1]
    assert await asyncio.wait_for(db.get("x"), 1) == 1


async def test_forgotten_await_still_stores(path):
    db = PickleDB(path)
    db.set("forgot", "still here")  # no await
    assert db.get("forgot") is not None
    assert await db.get("forgot") == "still here"
    assert db["forgot"] == "still here"
    db.remove("forgot")  # no await
    assert "forgot" not in db
    db.set("k", "v")
    fut = db.save()  # no await yet: the write has started in a thread
    await fut
    assert (await PickleDB(path).load()).db == {"k": "v"}


async def test_awaited_load_and_save_do_not_block_the_loop(path):
    db = PickleDB(path)
    for i in range(50_000):
        db[f"k{i}"] = "v" * 20
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await db.save()
    db2 = PickleDB(path)
    await db2.load()
    t.cancel()
    assert len(db2) == 50_000 and ticks > 2


async def test_sync_with_inside_a_coroutine(path):
    with PickleDB(path) as db:  # sync protocol: loads and saves synchronously even in a loop
        db.set("a", 1)
    with PickleDB(path) as db:
        assert db.get("a") == 1 or await db.get("a") == 1
        assert len(db) == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_exception_in_with_does_not_save(path, kind):
    with PickleDB(path) as db:
        db.set("kept", 1)

    class Boom(Exception):
        pass

    if kind == "sync":
        with pytest.raises(Boom):
            with PickleDB(path) as db:
                db.set("lost", 2)
                raise Boom
    else:
        async def run():
            async with PickleDB(path) as db:
                await db.set("lost", 2)
                raise Boom

        with pytest.raises(Boom):
            asyncio.run(run())
    assert reopen(path).db == {"kept": 1}


def test_with_fresh_file_and_exception_creates_nothing(path):
    with pytest.raises(RuntimeError):
        with PickleDB(path) as db:
            db.set("inside", "context")
            raise RuntimeError("boom")
    assert not os.path.exists(path)


# ------------------------------------------------------------------ dict syntax and values

def test_dict_syntax(path):
    db = PickleDB(path)
    db["a"] = 1
    db["b"] = None
    assert db["a"] == 1 and db["b"] is None
    assert "a" in db and "b" in db and "c" not in db
    assert len(db) == 2 and list(db) == ["a", "b"]
    with pytest.raises(KeyError):
        db["c"]
    with pytest.raises(KeyError):
        del db["c"]
    del db["a"]
    assert "a" not in db
    for k in db:  # iterating while changing is safe (a snapshot of the keys)
        db[k + "2"] = 1


def test_remove_of_none_value_is_true(path):
    db = PickleDB(path)
    db.set("n", None)
    assert db.remove("n") is True
    assert db.remove("n") is False


@pytest.mark.parametrize("bad", [
    object(), b"bytes", {1, (2, 3)}, [1, {2}], {"a": {3}}, 2**70, float("nan"), float("inf"),
    {1: "non-str dict key"}, [object()], ScoreDict({"m": "not a number"}),
])
def test_unserialisable_value_rejected_at_set(path, bad):
    db = PickleDB(path)
    db.set("k", "old")
    with pytest.raises(TypeError):
        db.set("k", bad)
    assert db.get("k") == "old"
    assert db.save() is True


def test_reserved_key_rejected(path):
    db = PickleDB(path)
    with pytest.raises(ValueError):
        db.set(RESERVED_KEY, 1)
    with pytest.raises(ValueError):
        db[RESERVED_KEY] = 1
    assert len(db) == 0


def test_value_kinds_round_trip(path):
    db = PickleDB(path)
    binary = b"\xff\x00raw".decode("utf-8", "surrogateescape")
    values = {
        "s": "text ✓", "i": -5, "big": 2**64 - 1, "f": 0.1, "b": False, "n": None,
        "l": [1, "a", [2.5, None], {"x": True}], "d": {"k": {"nested": [1, 2]}},
        "set": {"x", "y"}, "zset": ScoreDict({"m": 1.5}), "tuple": (1, 2), binary: binary,
    }
    for k, v in values.items():
        db.set(k, v)
    db.save()
    got = reopen(path).db
    expect = dict(values, tuple=[1, 2])
    assert got == expect
    assert type(got["set"]) is set and type(got["zset"]) is ScoreDict


def test_constructor_does_no_io(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "x.json"
    db = PickleDB(str(missing))
    assert not (tmp_path / "no").exists()
    db2 = PickleDB("~/pickledbd-test-never-created.json")
    assert db2.location == os.path.expanduser("~/pickledbd-test-never-created.json")
    assert not os.path.exists(db2.location)
    assert db.load().all() == []  # missing file loads as empty


def test_backend_selection(tmp_path):
    assert PickleDB(tmp_path / "a.db").backend == "sqlite"
    assert PickleDB(tmp_path / "a.json").backend == "json"
    db = PickleDB(tmp_path / "a.json", backend="sqlite")
    db.set("a", 1)
    db.save()
    with open(tmp_path / "a.json", "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"
    with pytest.raises(ValueError):
        PickleDB(tmp_path / "x", backend="yaml")


# ------------------------------------------------------------------ threads

def test_threads_lose_no_write(path):
    db = PickleDB(path)
    stop = threading.Event()
    errors = []

    def writer(t):
        try:
            for i in range(10_000):
                db.set(f"t{t}:{i}", i)
                if i % 1000 == 0:
                    db.remove(f"t{t}:gone")
                    db.set(f"t{t}:gone", 1)
                    db.remove(f"t{t}:gone")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def saver():
        try:
            while not stop.is_set():
                db.save()
                db.all()
                len(db)
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    s = threading.Thread(target=saver)
    s.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    s.join()
    assert errors == []
    assert len(db) == 80_000
    db.save()
    again = reopen(path)
    assert len(again) == 80_000
    assert all(again.get(f"t{t}:{i}") == i for t in range(8) for i in range(10_000))


# ------------------------------------------------------------------ load/save failures

def test_corrupt_file_is_never_overwritten_by_plain_save(tmp_path):
    p = tmp_path / "db.json"
    p.write_bytes(b'{"half": "writ')
    db = PickleDB(str(p))
    with pytest.raises(CorruptDatabaseError) as ei:
        db.load()
    assert str(p) in str(ei.value)
    db.set("new", 1)
    with pytest.raises(SaveError, match="refusing"):
        db.save()
    with pytest.raises(CorruptDatabaseError):  # `with` loads again, and fails again
        with db:
            pass
    assert p.read_bytes() == b'{"half": "writ'
    db.purge()  # the user deliberately starts over
    db.set("new", 1)
    assert db.save() is True
    assert orjson.loads(p.read_bytes()) == {"new": 1}


async def test_corrupt_file_async(tmp_path):
    p = tmp_path / "db.json"
    p.write_bytes(b"[1, 2]")
    db = PickleDB(str(p))
    with pytest.raises(CorruptDatabaseError, match="expected an object"):
        await db.load()
    with pytest.raises(SaveError):
        await db.save()
    assert p.read_bytes() == b"[1, 2]"


def test_corrupt_sqlite_never_overwritten(tmp_path):
    p = tmp_path / "db.sqlite"
    p.write_bytes(b"garbage" * 1000)
    db = PickleDB(str(p))
    with pytest.raises(CorruptDatabaseError):
        db.load()
    with pytest.raises(SaveError):
        db.save()
    assert p.read_bytes() == b"garbage" * 1000


def test_successful_reload_clears_the_refusal(tmp_path):
    p = tmp_path / "db.json"
    p.write_bytes(b"{oops")
    db = PickleDB(str(p))
    with pytest.raises(CorruptDatabaseError):
        db.load()
    p.write_bytes(b'{"fixed": true}')
    db.load()
    db.set("more", 1)
    assert db.save() is True and reopen(str(p)).db == {"fixed": True, "more": 1}


def test_failed_save_keeps_file_and_retries(path):
    db = PickleDB(path)
    db.set("a", "old")
    db.save()
    db.set("a", "new")
    db.set("lst", [])
    db.get("lst").append(object())  # mutated in place: only save() can notice
    with pytest.raises(SaveError, match="lst|serial"):
        db.save()
    assert reopen(path).db == {"a": "old"}
    db.get("lst").pop()
    assert db.save() is True  # the keys marked before the failed save are written now
    assert reopen(path).db == {"a": "new", "lst": []}
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".pdbtmp")]


def test_save_into_missing_directory(tmp_path):
    for name in ("x.json", "x.sqlite"):
        db = PickleDB(str(tmp_path / "missing" / name))
        db.set("a", 1)
        with pytest.raises(SaveError) as ei:
            db.save()
        assert "missing" in str(ei.value)
        assert db.get("a") == 1


# ------------------------------------------------------------------ file format compatibility

def test_upstream_file_loads(tmp_path):
    p = tmp_path / "upstream.json"
    upstream = {"key": "value", "n": 1, "user": {"name": "Alice"}, "tasks": ["a", "b"], "none": None}
    p.write_bytes(orjson.dumps(upstream))  # exactly what pickleDB 1.6's save() writes
    db = PickleDB(str(p)).load()
    assert db.db == upstream
    db.set("more", True)
    db.save()
    assert orjson.loads(p.read_bytes()) == dict(upstream, more=True)  # still what upstream reads


def test_library_db_is_a_plain_object_upstream_reads(tmp_path):
    p = tmp_path / "mine.json"
    db = PickleDB(str(p))
    db.set("a", {"b": [1, 2]})
    db.set("c", "d")
    db.save()
    assert orjson.loads(p.read_bytes()) == {"a": {"b": [1, 2]}, "c": "d"}


def test_daemon_state_is_preserved(tmp_path):
    p = str(tmp_path / "shared.json")
    binary = b"\xfe\xff".decode("utf-8", "surrogateescape")
    far = 4_000_000_000_000
    state = State(dbs={0: {"lib": "x", "ttl": "y", "ttl2": "z", binary: "b", "tags": {"p", "q"}},
                       3: {"other": "db"}, 15: {"last": ["l"]}},
                  expires={0: {"ttl": far, "ttl2": far, binary: far}, 3: {"other": far}})
    open_storage(p).save(state)
    db = PickleDB(p).load()
    assert db.get("tags") == {"p", "q"}
    db.set("ttl2", "rewritten")  # set drops this key's expiry
    db.set("new", 1)
    db.save()
    st = open_storage(p).load()
    assert st.dbs[3] == {"other": "db"} and st.dbs[15] == {"last": ["l"]}
    assert st.expires == {0: {"ttl": far, binary: far}, 3: {"other": far}}
    assert st.dbs[0] == {"lib": "x", "ttl": "y", "ttl2": "rewritten", binary: "b", "tags": {"p", "q"},
                         "new": 1}
    db.remove("ttl")
    db.save()
    assert open_storage(p).load().expires == {0: {binary: far}, 3: {"other": far}}
    db.purge()  # database 0 only
    db.save()
    st = open_storage(p).load()
    assert st.dbs[0] == {} and st.dbs[3] == {"other": "db"} and st.expires == {3: {"other": far}}


def test_sqlite_library_save_writes_only_changed_rows(tmp_path):
    import sqlite3
    p = str(tmp_path / "big.sqlite3")
    n = 200_000
    db = PickleDB(p)
    for i in range(n):
        db[f"key{i}"] = f"value{i}"
    db.save()

    def snapshot():
        with sqlite3.connect(p) as c:
            return dict(((k, (t, v, e)) for k, t, v, e in c.execute("SELECT key, type, value, expire_ms FROM kv")))

    before = snapshot()
    db = PickleDB(p).load()
    db.set("key123", "changed")
    db.remove("key5")
    t0 = time.perf_counter()
    db.save()
    print(f"library 1-key save on {n} keys: {(time.perf_counter() - t0) * 1000:.1f} ms")
    after = snapshot()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {b"key123", b"key5"}
    db.save()  # nothing dirty: nothing written
    assert snapshot() == after
