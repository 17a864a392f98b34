"""Client-side caching commands: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (texts and
checks in the order of Redis 7.0's clientCommand; the tables live in pubsub/tracking.py)."""
from __future__ import annotations

from bisect import bisect_left

from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK, SetReply
from .util import SYNTAX, parse_int


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


@command("client|tracking")
def client_tracking(c, args):
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes = []
    n = len(args)
    j = 3
    while j < n:
        opt = args[j].lower()
        more = j < n - 1
        if opt == "redirect" and more:
            j += 1
            if redirect:
                raise RedisError("ERR A client can only redirect to a single other client")
            redirect = parse_int(args[j])
            # the target must exist now, even though it may go away later
            if c.clients.get(redirect) is None:
                raise RedisError("ERR The client ID you want redirect to does not exist")
        elif opt == "bcast":
            bcast = True
        elif opt == "optin":
            optin = True
        elif opt == "optout":
            optout = True
        elif opt == "noloop":
            noloop = True
        elif opt == "prefix" and more:
            j += 1
            prefixes.append(args[j])
        else:
            raise SYNTAX
        j += 1
    mode = args[2].lower()
    if mode == "off":
        c.tracker.disable(c)
        return OK
    if mode != "on":
        raise SYNTAX
    st = c.tracking
    if prefixes and not bcast:
        raise RedisError("ERR PREFIX option requires BCAST mode to be enabled")
    if st is not None and st.bcast != bcast:
        raise RedisError("ERR You can't switch BCAST mode on/off before disabling tracking for this "
                         "client, and then re-enabling it with a different mode.")
    if bcast and (optin or optout):
        raise RedisError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    if optin and optout:
        raise RedisError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    if st is not None and ((optin and st.optout) or (optout and st.optin)):
        raise RedisError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this "
                         "client, and then re-enabling it with a different mode.")
    given = [_b(p) for p in prefixes]
    if bcast and given:
        err = prefix_overlap(sorted(st.prefixes) if st is not None else [], given)
        if err is not None:
            raise RedisError(err)
    c.tracker.enable(c, redirect, bcast, optin, optout, noloop, given)
    return OK


def _overlap(a: bytes, b: bytes) -> bool:
    """Two prefixes overlap when one starts the other: some key would match both."""
    return a.startswith(b) if len(a) >= len(b) else b.startswith(a)


def prefix_overlap(existing: list, given: list):
    """The error Redis's checkPrefixCollisionsOrReply gives first (for each given prefix in
    turn: its first overlap with the client's prefixes in byte order, then with the given
    prefixes after it), or None. Redis compares every pair; this stays O(n log n) for
    thousands of prefixes: only a prefix's own prefixes and its extensions can overlap it.
    Redis 7.0 also enables tracking (and adds +OK) when the clash is not with the first given
    prefix; we always refuse."""
    ordered = sorted(existing + given)
    if not any(b.startswith(a) for a, b in zip(ordered, ordered[1:])):
        return None
    existing_set = set(existing)
    existing_lengths = sorted({len(e) for e in existing})
    positions: dict = {}                       # given prefix -> its indexes, ascending
    for i, p in enumerate(given):
        positions.setdefault(p, []).append(i)
    given_lengths = sorted({len(p) for p in given})
    given_sorted = sorted((p, i) for i, p in enumerate(given))
    for i, p in enumerate(given):
        # the client's prefixes: a prefix of p sorts before p's extensions, the shortest first
        clash = None
        for n in existing_lengths:
            if n > len(p):
                break
            if p[:n] in existing_set:
                clash = p[:n]
                break
        if clash is None:
            k = bisect_left(existing, p)
            if k < len(existing) and existing[k].startswith(p):
                clash = existing[k]
        if clash is not None:
            return ("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single "
                    "client must not overlap." % (_s(p), _s(clash)))
        # the given prefixes after it: the first index among p's prefixes and extensions
        first = None
        for n in given_lengths:
            if n > len(p):
                break
            for j in positions.get(p[:n], ()):
                if j > i:
                    if first is None or j < first:
                        first = j
                    break
        k = bisect_left(given_sorted, (p, -1))
        while k < len(given_sorted) and given_sorted[k][0].startswith(p):
            j = given_sorted[k][1]
            if j > i and (first is None or j < first):
                first = j
            k += 1
        if first is not None:
            return ("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a "
                    "single client must not overlap." % (_s(p), _s(given[first])))
    return None


@command("client|caching")
def client_caching(c, args):
    st = c.tracking
    if st is None:
        raise RedisError("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                         "with OPTIN or OPTOUT mode enabled")
    opt = args[2].lower()
    if opt == "yes":
        if not st.optin:
            raise RedisError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif opt == "no":
        if not st.optout:
            raise RedisError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise SYNTAX
    c.tracker.give_caching(c)
    return OK


@command("client|getredir")
def client_getredir(c, args):
    return c.tracking.redirect if c.tracking is not None else -1


@command("client|trackinginfo")
def client_trackinginfo(c, args):
    st = c.tracking
    if st is None:
        return {"flags": SetReply(["off"]), "redirect": -1, "prefixes": []}
    flags = ["on"]
    caching = c.tracker.caching_given(c)
    if st.bcast:
        flags.append("bcast")
    if st.optin:
        flags.append("optin")
        if caching:
            flags.append("caching-yes")
    if st.optout:
        flags.append("optout")
        if caching:
            flags.append("caching-no")
    if st.noloop:
        flags.append("noloop")
    if st.broken_redirect:
        flags.append("broken_redirect")
    return {"flags": SetReply(flags), "redirect": st.redirect,
            "prefixes": [_s(p) for p in sorted(st.prefixes)]}
