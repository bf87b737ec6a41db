"""Settings of the soak test's app servers and worker (bench/soak.py): the project's own, with a
queue of the run's own and short notification timings, so that a few minutes show the whole story.

- the Huey queue is named by ``CHUISHAO_SOAK_HUEY_NAME``: runs sharing one Redis never share jobs;
- a delivery claimed by the worker that is SIGKILLed is taken again after 10 s, not 60 s;
- a failed delivery is retried after 2 s, not a minute.
"""

import os

from huey import RedisHuey

from chuishao.settings import *  # noqa: F403 — the project's settings, changed below
from chuishao.settings import REDIS_URL

HUEY = RedisHuey(os.environ["CHUISHAO_SOAK_HUEY_NAME"], url=REDIS_URL)
CHUISHAO_NOTIFY_LEASE_SECONDS = 10
CHUISHAO_NOTIFY_BACKOFF_SECONDS = 2
CHUISHAO_NOTIFY_WEBHOOK_TIMEOUT_SECONDS = 5
