"""Output buffer limits (``client-output-buffer-limit``), as Redis's
checkClientOutputBufferLimits: a client whose pending output reaches the hard limit, or
stays above the soft limit for the soft number of seconds, is disconnected.

Pending output is what is queued for the client plus what the transport has not sent yet.
Limits come from the client's class: normal, replica or pubsub (a client with
subscriptions). A MONITOR client is fed by every other client like a subscriber, so it is
held to the pubsub limits (Redis counts it as normal, whose default is no limit at all).
"""
from __future__ import annotations

from ..engine.clients import obuf_limit_reached


def limit_class(ctx) -> str:
    cls = ctx.client_type()
    if cls == "normal" and ctx.monitor:
        return "pubsub"
    return cls


def has_limits(ctx, config) -> bool:
    hard, soft, _ = config.obuf_limits(limit_class(ctx))
    return bool(hard or soft)


def over_limit(ctx, transport, config, now: float) -> bool:
    limits = config.obuf_limits(limit_class(ctx))
    if not limits[0] and not limits[1]:
        return False
    used = ctx.out_bytes + (transport.get_write_buffer_size() if transport is not None else 0)
    reached, ctx.obuf_soft_since = obuf_limit_reached(used, limits, ctx.obuf_soft_since, now)
    return reached


def pending_output(ctx, transport) -> int:
    """omem in CLIENT LIST."""
    return ctx.out_bytes + (transport.get_write_buffer_size() if transport is not None else 0)
