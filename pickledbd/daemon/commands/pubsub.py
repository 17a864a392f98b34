"""Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB's
introspection (Redis 7.0's pubsub.c). The channel tables and delivery live in pubsub/hub.py.

Confirmations are returned as the command's (pre-encoded) reply, one frame per channel, so
they sit where Redis writes them, also inside EXEC's array. RESP2 subscribed mode (only
(P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET) is enforced by the engine's gate. The hub is reached
through the Context (``c.pubsub``); a kind of subscription is named by its SUBSCRIBE command.
"""
from __future__ import annotations

from ..errors import RedisError
from ..engine.command import command
from .util import help_reply


@command("subscribe")
def subscribe(c, args):
    return c.pubsub.subscribe(c, args[1:], "subscribe")


@command("psubscribe")
def psubscribe(c, args):
    return c.pubsub.subscribe(c, args[1:], "psubscribe")


@command("ssubscribe")
def ssubscribe(c, args):
    # inside EXEC a client must get one reply per command (Redis's CLIENT_DENY_BLOCKING);
    # SUBSCRIBE and PSUBSCRIBE are let through there for backward compatibility
    if c.no_block:
        raise RedisError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    return c.pubsub.subscribe(c, args[1:], "ssubscribe")


@command("unsubscribe")
def unsubscribe(c, args):
    return c.pubsub.unsubscribe(c, args[1:], "subscribe")


@command("punsubscribe")
def punsubscribe(c, args):
    return c.pubsub.unsubscribe(c, args[1:], "psubscribe")


@command("sunsubscribe")
def sunsubscribe(c, args):
    return c.pubsub.unsubscribe(c, args[1:], "ssubscribe")


@command("publish")
def publish(c, args):
    c.force_propagate()      # replicas deliver it to their own subscribers
    return c.pubsub.publish_reply(c, args[1], args[2])


@command("spublish")
def spublish(c, args):
    c.force_propagate()      # as PUBLISH, outside cluster mode (checked against 7.0.15)
    return c.pubsub.publish_reply(c, args[1], args[2], shard=True)


def _syntax(args) -> RedisError:
    return RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
                      % (args[1][:128], args[0].upper()))


@command("pubsub|channels")
def pubsub_channels(c, args):
    if len(args) > 3:
        raise _syntax(args)
    return c.pubsub.channel_names(args[2] if len(args) == 3 else None)


@command("pubsub|shardchannels")
def pubsub_shardchannels(c, args):
    if len(args) > 3:
        raise _syntax(args)
    return c.pubsub.channel_names(args[2] if len(args) == 3 else None, shard=True)


@command("pubsub|numsub")
def pubsub_numsub(c, args):
    hub = c.pubsub
    out = []
    for ch in args[2:]:
        out.append(ch)
        out.append(hub.subscriber_count(ch))
    return out


@command("pubsub|shardnumsub")
def pubsub_shardnumsub(c, args):
    hub = c.pubsub
    out = []
    for ch in args[2:]:
        out.append(ch)
        out.append(hub.subscriber_count(ch, shard=True))
    return out


@command("pubsub|numpat")
def pubsub_numpat(c, args):
    return c.pubsub.pattern_count()


@command("pubsub|help")
def pubsub_help(c, args):
    return help_reply([
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ])
