"""The Celery app of tests/test_scripting_frameworks.py, for its worker process and its client.

The worker runs as ``celery -A celery_tasks worker --pool=solo`` with the server's URL in
``CELERY_TEST_URL`` and the protocol (2 or 3) in ``CELERY_TEST_RESP``; the test builds the
same app with ``make_app(url, resp)`` to send tasks and read results. Under RESP3 both the
broker (kombu's Redis transport) and the result backend open redis-py connections with
``protocol=3``: neither library has an option for it, both take a class.
"""
from __future__ import annotations

import os

import redis
from celery import Celery
from celery.backends.redis import RedisBackend
from kombu.transport import redis as kombu_redis


class Resp3Connection(redis.Connection):
    def __init__(self, *args, **kwargs):
        kwargs["protocol"] = 3
        super().__init__(*args, **kwargs)


class Resp3Channel(kombu_redis.Channel):
    connection_class = Resp3Connection


class Resp3Transport(kombu_redis.Transport):
    Channel = Resp3Channel


class Resp3Backend(RedisBackend):
    def _get_pool(self, **params):
        return super()._get_pool(protocol=3, **params)


def make_app(url: str, resp: int = 2) -> Celery:
    app = Celery("celery_tasks")
    app.conf.update(
        broker_url=url,
        result_backend=("celery_tasks:Resp3Backend+" + url) if resp == 3 else url,
        broker_transport=Resp3Transport if resp == 3 else None,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=3,
        task_default_queue="scripting-frameworks-%d" % resp,   # one worker's queue per protocol
        result_expires=300,
        worker_hijack_root_logger=False,
        worker_prefetch_multiplier=1,
    )

    @app.task(name="celery_tasks.add", shared=False)
    def add(x, y):
        return x + y

    @app.task(name="celery_tasks.tsum", shared=False)
    def tsum(values):
        return sum(values)

    @app.task(name="celery_tasks.fail", shared=False)
    def fail(message):
        raise ValueError(message)

    return app


app = make_app(os.environ.get("CELERY_TEST_URL", "redis://127.0.0.1:6379/0"),
               int(os.environ.get("CELERY_TEST_RESP", "2")))
