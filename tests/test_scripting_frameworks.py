"""Lua scripting through the libraries that real applications use, against pickledbd and
redis-server 7.0.15 side by side (every test runs on both), in RESP2 and RESP3 where the
library lets a connection speak it:

- redis-py's ``Lock`` (its release/extend/reacquire are Lua scripts run by EVALSHA), sync and
  ``redis.asyncio``: acquire/release, blocking with a timeout, extend, reacquire, contention
  between threads and tasks, expiry of a lock nobody released;
- redis-py's ``register_script``: EVALSHA, NOSCRIPT, SCRIPT LOAD and EVALSHA again, SCRIPT FLUSH in between,
  scripts in pipelines and transactions;
- Celery with the Redis broker and the Redis result backend (a worker process);
- django-redis (``incr`` is a Lua script; ``lock`` is redis-py's);
- ``limits``: fixed-window, moving-window (Lua) and sliding-window-counter (Lua) strategies.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import LockError, LockNotOwnedError, NoScriptError, ResponseError

from pubsub_client import wait_until

pytestmark = pytest.mark.timeout(90)

TESTS_DIR = Path(__file__).resolve().parent


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    s = request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")
    s.client().flushall()
    return s


# ------------------------------------------------------------------ redis-py Lock, sync
@pytest.mark.parametrize("protocol", [2, 3])
def test_lock_acquire_release_owned_locked(srv, protocol):
    r = srv.client(protocol=protocol)
    other = srv.client(protocol=protocol)
    lk = r.lock("fw:lock", timeout=10)
    assert not lk.locked() and not lk.owned()
    assert lk.acquire(blocking=False) is True
    assert lk.locked() and lk.owned()
    assert r.get("fw:lock") == lk.local.token
    assert 9000 < r.pttl("fw:lock") <= 10000
    rival = other.lock("fw:lock", timeout=10)
    assert rival.locked() and not rival.owned()
    assert rival.acquire(blocking=False) is False
    with pytest.raises(LockError, match="not owned or is already unlocked"):
        rival.release()
    lk.release()
    assert not lk.locked() and r.exists("fw:lock") == 0
    with pytest.raises(LockError, match="not owned or is already unlocked"):
        lk.release()
    assert rival.acquire(blocking=False) is True
    # someone else's token on the key: release is refused by the script, the key stays
    r.set("fw:lock", b"not-yours")
    with pytest.raises(LockNotOwnedError, match="Cannot release a lock that's no longer owned"):
        rival.release()
    assert r.get("fw:lock") == b"not-yours"


@pytest.mark.parametrize("protocol", [2, 3])
def test_lock_blocking_acquire_with_timeout(srv, protocol):
    r = srv.client(protocol=protocol)
    holder = r.lock("fw:block", timeout=10, thread_local=False)   # released from a timer thread
    assert holder.acquire()
    waiter = srv.client(protocol=protocol).lock("fw:block", timeout=10, sleep=0.02)
    t = time.monotonic()
    assert waiter.acquire(blocking=True, blocking_timeout=0.3) is False
    assert 0.25 <= time.monotonic() - t < 3
    # the context-manager form raises when the wait runs out
    with pytest.raises(LockError, match="Unable to acquire lock"):
        with srv.client(protocol=protocol).lock("fw:block", blocking_timeout=0.1, sleep=0.02):
            pass
    # released while someone waits: the waiter gets it well before its timeout
    threading.Timer(0.2, holder.release).start()
    t = time.monotonic()
    assert waiter.acquire(blocking=True, blocking_timeout=5) is True
    assert time.monotonic() - t < 3
    assert waiter.owned()
    waiter.release()


@pytest.mark.parametrize("protocol", [2, 3])
def test_lock_extend_and_reacquire(srv, protocol):
    r = srv.client(protocol=protocol)
    lk = r.lock("fw:ext", timeout=2)
    assert lk.acquire()
    assert lk.extend(10) is True                    # adds to the remaining time
    assert 11000 < r.pttl("fw:ext") <= 12000
    assert lk.extend(5, replace_ttl=True) is True   # sets it
    assert 4000 < r.pttl("fw:ext") <= 5000
    assert lk.reacquire() is True                   # back to the lock's own timeout
    assert 1000 < r.pttl("fw:ext") <= 2000
    r.persist("fw:ext")                             # no TTL left: extend refuses (the script's rule)
    with pytest.raises(LockNotOwnedError):
        lk.extend(1)
    r.set("fw:ext", b"stolen")
    with pytest.raises(LockNotOwnedError, match="no longer owned"):
        lk.extend(1)
    with pytest.raises(LockNotOwnedError, match="no longer owned"):
        lk.reacquire()
    forever = r.lock("fw:forever")
    assert forever.acquire()
    assert r.ttl("fw:forever") == -1
    with pytest.raises(LockError, match="Cannot extend a lock with no timeout"):
        forever.extend(1)
    forever.release()


@pytest.mark.parametrize("protocol", [2, 3])
def test_lock_expires_when_not_released(srv, protocol):
    r = srv.client(protocol=protocol)
    lk = r.lock("fw:exp", timeout=0.3)
    assert lk.acquire()
    assert lk.owned()
    wait_until(lambda: not lk.locked(), timeout=5)
    assert not lk.owned()
    other = srv.client(protocol=protocol).lock("fw:exp", timeout=5)
    assert other.acquire(blocking=False) is True
    with pytest.raises(LockNotOwnedError):
        lk.release()                                # the expired holder cannot free the new one
    assert other.owned()
    other.release()


@pytest.mark.parametrize("protocol", [2, 3])
def test_lock_non_blocking_race_has_one_winner(srv, protocol):
    n = 8
    barrier = threading.Barrier(n)
    won = []

    def try_once():
        lk = srv.client(protocol=protocol).lock("fw:race", timeout=10)
        barrier.wait(10)
        won.append(lk.acquire(blocking=False))

    threads = [threading.Thread(target=try_once) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(won) == [False] * (n - 1) + [True]


@pytest.mark.parametrize("protocol", [2, 3])
def test_lock_contention_between_threads(srv, protocol):
    """Read-modify-write of a counter under the lock from several threads: exactly one holder at
    a time (checked on our side too), no lost update."""
    threads_n, rounds = 4, 15
    holders, most = [0], [0]
    guard = threading.Lock()
    errors = []
    srv.client().set("fw:counter", 0)

    def work():
        c = srv.client(protocol=protocol)
        try:
            for _ in range(rounds):
                with c.lock("fw:mutex", timeout=5, sleep=0.002, blocking_timeout=20):
                    with guard:
                        holders[0] += 1
                        most[0] = max(most[0], holders[0])
                    v = int(c.get("fw:counter"))
                    time.sleep(0.001)
                    c.set("fw:counter", v + 1)
                    with guard:
                        holders[0] -= 1
        except Exception as e:           # reported below, from the main thread
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert most[0] == 1
    assert int(srv.client().get("fw:counter")) == threads_n * rounds
    assert srv.client().exists("fw:mutex") == 0


# ------------------------------------------------------------------ redis-py Lock, asyncio
@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_lock(srv, protocol):
    r = aioredis.Redis(host=srv.host, port=srv.port, protocol=protocol)
    try:
        lk = r.lock("fw:alock", timeout=10)
        assert await lk.acquire(blocking=False) is True
        assert await lk.locked() and await lk.owned()
        rival = r.lock("fw:alock", timeout=10, sleep=0.02)
        t = time.monotonic()
        assert await rival.acquire(blocking_timeout=0.3) is False
        assert 0.25 <= time.monotonic() - t < 3
        assert await lk.extend(10) is True
        assert 19000 < await r.pttl("fw:alock") <= 20000
        assert await lk.reacquire() is True
        assert 9000 < await r.pttl("fw:alock") <= 10000
        await lk.release()
        assert not await lk.locked()
        with pytest.raises(LockError):
            await lk.release()
        # expiry
        short = r.lock("fw:alock", timeout=0.2)
        assert await short.acquire()
        await asyncio.sleep(0.4)
        assert not await short.locked()
        with pytest.raises(LockNotOwnedError):
            await short.release()
    finally:
        await r.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_lock_contention_between_tasks(srv, protocol):
    tasks_n, rounds = 5, 10
    state = {"holders": 0, "most": 0}
    clients = [aioredis.Redis(host=srv.host, port=srv.port, protocol=protocol) for _ in range(tasks_n)]
    try:
        await clients[0].set("fw:acounter", 0)

        async def work(c):
            for _ in range(rounds):
                async with c.lock("fw:amutex", timeout=5, sleep=0.002, blocking_timeout=20):
                    state["holders"] += 1
                    state["most"] = max(state["most"], state["holders"])
                    v = int(await c.get("fw:acounter"))
                    await asyncio.sleep(0.001)
                    await c.set("fw:acounter", v + 1)
                    state["holders"] -= 1

        await asyncio.wait_for(asyncio.gather(*(work(c) for c in clients)), 60)
        assert state["most"] == 1
        assert int(await clients[0].get("fw:acounter")) == tasks_n * rounds
        # all at once, without waiting: exactly one gets it
        won = await asyncio.gather(*(c.lock("fw:arace", timeout=10).acquire(blocking=False) for c in clients))
        assert sorted(won) == [False] * (tasks_n - 1) + [True]
    finally:
        for c in clients:
            await c.aclose()


# ------------------------------------------------------------------ redis-py register_script
def _commandstats(r) -> dict:
    stats = r.info("commandstats")
    return {name[len("cmdstat_"):]: (v["calls"], v.get("failed_calls", 0))
            for name, v in stats.items() if name in ("cmdstat_eval", "cmdstat_evalsha", "cmdstat_script|load")}


@pytest.mark.parametrize("protocol", [2, 3])
def test_register_script_loads_by_fallback_and_survives_flush(srv, protocol):
    r = srv.client(protocol=protocol)
    body = "redis.call('SET', KEYS[1], ARGV[1]) return {KEYS[1], redis.call('GET', KEYS[1]), #ARGV}"
    sc = r.register_script(body)
    assert sc.sha == hashlib.sha1(body.encode()).hexdigest()
    r.script_flush()
    r.config_resetstat()
    assert r.script_exists(sc.sha) == [False]
    # first call: EVALSHA -> NOSCRIPT -> SCRIPT LOAD -> EVALSHA (redis-py 5+; EVAL before)
    assert sc(keys=["fw:s"], args=["one", "x"]) == [b"fw:s", b"one", 2]
    assert _commandstats(r) == {"evalsha": (2, 1), "script|load": (1, 0)}
    assert r.script_exists(sc.sha) == [True]
    assert sc(keys=["fw:s"], args=["two"]) == [b"fw:s", b"two", 1]
    assert _commandstats(r) == {"evalsha": (3, 1), "script|load": (1, 0)}
    # the cache emptied under it: the same object recovers the same way
    r.script_flush()
    assert r.script_exists(sc.sha) == [False]
    assert sc(keys=["fw:s"], args=["three"]) == [b"fw:s", b"three", 1]
    assert _commandstats(r) == {"evalsha": (5, 2), "script|load": (2, 0)}
    # plain EVAL caches too: EVALSHA finds it afterwards
    r.script_flush()
    assert r.eval(body, 1, "fw:s", "four") == [b"fw:s", b"four", 1]
    assert r.evalsha(sc.sha, 1, "fw:s", "five") == [b"fw:s", b"five", 1]
    assert _commandstats(r) == {"evalsha": (6, 2), "script|load": (2, 0), "eval": (1, 0)}
    with pytest.raises(NoScriptError, match="^No matching script. Please use EVAL.$"):
        r.evalsha("0" * 40, 0)
    assert r.script_load(body) == sc.sha


@pytest.mark.parametrize("protocol", [2, 3])
def test_register_script_in_pipeline_and_transaction(srv, protocol):
    r = srv.client(protocol=protocol)
    sc = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    for transaction in (False, True):
        r.script_flush()
        r.delete("fw:p")
        pipe = r.pipeline(transaction=transaction)
        sc(keys=["fw:p"], args=[2], client=pipe)
        pipe.get("fw:p")
        sc(keys=["fw:p"], args=[3], client=pipe)
        # the pipeline loads its scripts first (SCRIPT EXISTS, SCRIPT LOAD)
        assert pipe.execute() == [2, b"2", 5]
        assert r.script_exists(sc.sha) == [True]


@pytest.mark.parametrize("protocol", [2, 3])
def test_register_script_error_and_reply_types(srv, protocol):
    r = srv.client(protocol=protocol)
    sc = r.register_script("local v = redis.call('INCR', KEYS[1])\nreturn v")
    r.set("fw:notint", "abc")
    with pytest.raises(ResponseError) as e:
        sc(keys=["fw:notint"])
    assert str(e.value) == ("value is not an integer or out of range script: %s, on @user_script:1." % sc.sha)
    typed = r.register_script("return {1, 'two', false, {ok='fine'}, {err='bad'}, 3.99}")
    got = typed()
    assert got[:4] == [1, b"two", None, b"fine"]
    assert isinstance(got[4], ResponseError) and str(got[4]) == "bad"
    assert got[5] == 3


@pytest.mark.parametrize("protocol", [2, 3])
def test_numbers_passed_to_redis_call_keep_17_digits(srv, protocol):
    """Redis turns a Lua number given to redis.call into text with "%.17g" (script_lua.c:
    Lua's own "%.14g" loses precision), so a float timestamp a script stores (as the ``limits``
    moving window does) comes back exactly; tostring() keeps Lua's "%.14g"."""
    r = srv.client(protocol=protocol)
    sc = r.register_script("redis.call('SET', KEYS[1], 0.1 + 0.2)\n"
                           "redis.call('RPUSH', KEYS[2], tonumber(ARGV[1]), 1.5, 100)\n"
                           "return {redis.call('GET', KEYS[1]), tostring(0.1 + 0.2)}")
    assert sc(keys=["fw:num", "fw:nums"], args=["1732934567.1234567"]) == [b"0.30000000000000004", b"0.3"]
    assert r.lrange("fw:nums", 0, -1) == [b"1732934567.1234567", b"1.5", b"100"]


@pytest.mark.parametrize("protocol", [2, 3])
async def test_async_register_script(srv, protocol):
    r = aioredis.Redis(host=srv.host, port=srv.port, protocol=protocol)
    try:
        sc = r.register_script("return redis.call('HSET', KEYS[1], 'f', ARGV[1]) + #KEYS")
        await r.script_flush()
        assert await sc(keys=["fw:h"], args=["v"]) == 2
        await r.script_flush()
        assert await sc(keys=["fw:h"], args=["w"]) == 1
        assert await r.hget("fw:h", "f") == b"w"
        pipe = r.pipeline()
        await r.script_flush()
        await sc(keys=["fw:h2"], args=["v"], client=pipe)
        assert await pipe.execute() == [2]
    finally:
        await r.aclose()


# ------------------------------------------------------------------ Celery
celery = pytest.importorskip("celery")


@pytest.fixture
def celery_worker(srv, tmp_path, request):
    """A ``celery worker --pool=solo`` process on the server (broker and result backend),
    stopped (SIGTERM, then SIGKILL) after the test."""
    resp = request.param
    url = "redis://%s:%d/0" % (srv.host, srv.port)
    env = dict(os.environ, CELERY_TEST_URL=url, CELERY_TEST_RESP=str(resp),
               PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    log = open(tmp_path / "celery.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", "fw-%d@%%h" % resp],
        cwd=str(TESTS_DIR), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    import celery_tasks          # tests/ is on sys.path (conftest.py)

    app = celery_tasks.make_app(url, resp)
    try:
        yield app, proc, tmp_path / "celery.log", resp
    finally:
        app.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log.close()


@pytest.mark.parametrize("celery_worker", [2, 3], indirect=True)
def test_celery_task_group_and_chord(srv, celery_worker):
    from celery import chord, group

    app, proc, log, resp = celery_worker
    add, tsum, fail = (app.tasks["celery_tasks." + n] for n in ("add", "tsum", "fail"))
    try:
        assert add.delay(2, 3).get(timeout=30) == 5         # the first one waits for the worker
        assert group(add.s(i, i) for i in range(5)).apply_async().get(timeout=20) == [0, 2, 4, 6, 8]
        assert chord(add.s(i, 1) for i in range(4))(tsum.s()).get(timeout=20) == 10
        with pytest.raises(ValueError, match="boom"):
            fail.delay("boom").get(timeout=20)
    except Exception:
        print(log.read_text(errors="replace")[-4000:])
        raise
    assert proc.poll() is None
    # the worker's connections and ours speak the protocol asked for
    speaking = [c for c in srv.client().client_list() if c["resp"] == str(resp)]
    assert len(speaking) >= 2


# ------------------------------------------------------------------ django-redis
django = pytest.importorskip("django")
pytest.importorskip("django_redis")


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def django_cache(srv, request):
    from django.conf import settings
    from django.core.cache import caches
    from django.test.utils import override_settings

    if not settings.configured:
        settings.configure(CACHES={}, USE_TZ=True)
    cache_conf = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://%s:%d/1" % (srv.host, srv.port),
        "OPTIONS": {"CONNECTION_POOL_KWARGS": {"protocol": request.param}},
        "KEY_PREFIX": "fw",
    }}
    with override_settings(CACHES=cache_conf):
        cache = caches["default"]
        try:
            yield cache
        finally:
            cache.close()


def test_django_redis_incr_decr(django_cache):
    cache = django_cache
    with pytest.raises(ValueError):
        cache.incr("n")                  # the script finds no key: returns false
    cache.set("n", 10)
    assert cache.incr("n") == 11
    assert cache.incr("n", 5) == 16
    assert cache.decr("n", 20) == -4
    assert cache.get("n") == -4
    cache.set("n", 1, timeout=100)
    assert cache.incr("n") == 2
    assert 98 <= cache.ttl("n") <= 100   # the script's INCRBY keeps the TTL
    cache.set("big", 2 ** 63 - 1)
    assert cache.incr("big") == 2 ** 63  # INCRBY overflows: django-redis falls back in Python
    assert cache.get("big") == 2 ** 63


def test_django_redis_set_get_with_timeouts(django_cache):
    cache = django_cache
    cache.set("a", {"x": [1, 2]}, timeout=1)
    assert cache.get("a") == {"x": [1, 2]}
    assert cache.ttl("a") in (0, 1)
    cache.set("forever", "v", timeout=None)
    assert cache.ttl("forever") is None
    cache.set("gone", "v", timeout=0)    # Django: a zero timeout expires at once
    assert cache.get("gone", "default") == "default"
    assert cache.add("a", "other") is False
    assert cache.add("b", "new", timeout=1) is True
    cache.set_many({"m1": 1, "m2": "two"}, timeout=30)
    assert cache.get_many(["m1", "m2", "nope"]) == {"m1": 1, "m2": "two"}
    assert cache.touch("m1", 1) is True
    assert cache.persist("m2") is True and cache.ttl("m2") is None
    wait_until(lambda: cache.get("a") is None and cache.get("b") is None and cache.get("m1") is None,
               timeout=5)
    assert cache.get("forever") == "v"
    assert cache.delete_pattern("m*") == 1
    assert cache.keys("*") == ["forever"]


def test_django_redis_lock(django_cache):
    cache = django_cache
    lk = cache.lock("job", timeout=5)
    assert lk.acquire(blocking=False)
    rival = cache.lock("job", timeout=5, blocking_timeout=0.2, sleep=0.02)
    assert rival.acquire() is False
    lk.release()
    with cache.lock("job", timeout=5):
        assert cache.lock("job").acquire(blocking=False) is False
    assert cache.lock("job").acquire(blocking=False) is True


# ------------------------------------------------------------------ limits
limits = pytest.importorskip("limits")


def _limiter_round(limiter, item, who: str) -> None:
    """Hit until the limit, then refused, then (after the window) allowed again."""
    for i in range(3):
        assert limiter.hit(item, who), "hit %d refused" % (i + 1)
    assert not limiter.hit(item, who)
    assert not limiter.test(item, who)
    stats = limiter.get_window_stats(item, who)
    assert stats.remaining == 0
    assert time.time() - 1 < stats.reset_time <= time.time() + 3
    wait_until(lambda: limiter.test(item, who), timeout=5, interval=0.05)
    assert limiter.hit(item, who)


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("strategy", ["fixed-window", "moving-window", "sliding-window-counter"])
def test_limits_strategies(srv, protocol, strategy):
    from limits import RateLimitItemPerSecond, strategies
    from limits.storage import RedisStorage, storage_from_string

    storage = storage_from_string("redis://%s:%d" % (srv.host, srv.port), protocol=protocol)
    assert isinstance(storage, RedisStorage) and storage.check()
    limiter = strategies.STRATEGIES[strategy](storage)
    item = RateLimitItemPerSecond(3, 1)
    _limiter_round(limiter, item, "alice")
    assert limiter.hit(item, "bob")              # one key per identity
    assert limiter.hit(item, "bob", cost=2)
    assert not limiter.hit(item, "bob")
    limiter.clear(item, "bob")
    assert limiter.hit(item, "bob")
    storage.reset()                              # the clear_keys script (KEYS + DEL)
    assert srv.client().keys("LIMITS*") == []
