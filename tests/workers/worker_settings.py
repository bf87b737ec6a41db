"""Settings of the ``chuishao worker`` processes that the several-workers test starts.

The project's own settings, with two changes for the test: the Huey queue takes a name of the test
run's own (``CHUISHAO_TEST_HUEY_NAME``), so that test runs sharing one Redis never take each other's
jobs, and the sweep claims small batches, so that concurrent sweeps share the due cases between them
instead of the first one taking all of them.
"""

import os

from huey import RedisHuey

from chuishao.settings import *  # noqa: F403 — the project's settings, changed below
from chuishao.settings import REDIS_URL

HUEY = RedisHuey(os.environ["CHUISHAO_TEST_HUEY_NAME"], url=REDIS_URL)
CHUISHAO_SWEEP_BATCH = int(os.environ.get("CHUISHAO_TEST_SWEEP_BATCH", "5"))
