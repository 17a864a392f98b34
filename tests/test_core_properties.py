"""Property test: random operation sequences agree with a dict model across save/load."""

from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pickledbd import PickleDB

keys = st.one_of(
    st.sampled_from(["a", "b", "c", "key:1", "ünï", "", " "]),
    st.text(max_size=8),
    st.binary(max_size=4).map(lambda b: b.decode("utf-8", "surrogateescape")),  # binary key names
    st.integers(-5, 5),  # coerced to str
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=5), children, max_size=4)),
    max_leaves=10,
)
values = st.one_of(
    json_values,
    st.frozensets(st.text(max_size=5), max_size=4).map(set),
    st.binary(max_size=6).map(lambda b: b.decode("utf-8", "surrogateescape")),  # binary string
)
ops = st.lists(st.one_of(
    st.tuples(st.just("set"), keys, values),
    st.tuples(st.just("get"), keys),
    st.tuples(st.just("remove"), keys),
    st.tuples(st.just("del"), keys),
    st.tuples(st.just("purge")),
    st.tuples(st.just("save")),
    st.tuples(st.just("reload")),
), max_size=40)


def typed(v):
    """Type-aware form, so 1 / 1.0 / True or a list turned tuple count as different."""
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, typed(x)) for k, x in v.items())))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(typed(x) for x in v))
    if isinstance(v, (set, frozenset)):
        return ("set", tuple(sorted(v)))
    return (type(v).__name__, repr(v))


def same(db, model):
    return typed(db.db) == typed(model)


def run(ops, name):
    d = tempfile.mkdtemp(prefix="pdb-prop-")
    try:
        path = os.path.join(d, name)
        db = PickleDB(path)
        model, disk = {}, {}
        for op in ops:
            kind = op[0]
            if kind == "set":
                assert db.set(op[1], op[2]) is True
                model[str(op[1])] = op[2]
            elif kind == "get":
                assert db.get(op[1], "<missing>") == model.get(str(op[1]), "<missing>")
            elif kind == "remove":
                assert db.remove(op[1]) is (str(op[1]) in model)
                model.pop(str(op[1]), None)
            elif kind == "del":
                try:
                    del db[op[1]]
                    assert str(op[1]) in model
                    del model[str(op[1])]
                except KeyError:
                    assert str(op[1]) not in model
            elif kind == "purge":
                assert db.purge() is True
                model.clear()
            elif kind == "save":
                assert db.save() is True
                disk = dict(model)
            elif kind == "reload":
                db.close()
                db = PickleDB(path).load()
                model = dict(disk)
            assert same(db, model) and sorted(db.all()) == sorted(model) and len(db) == len(model)
        db.save()
        db.close()
        again = PickleDB(path).load()
        assert same(again, model)
        again.close()
    finally:
        shutil.rmtree(d)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ops)
def test_json_backend_matches_dict_model(ops):
    run(ops, "db.json")


@SETTINGS
@given(ops)
def test_sqlite_backend_matches_dict_model(ops):
    run(ops, "db.sqlite3")
