"""Locust user for `make loadtest`: posts one prepared request body as fast as it can.

The body file, path and content type come from the environment, so one user class drives every
scenario (single row, JSON batch, Arrow batch).
"""

from __future__ import annotations

import os
from pathlib import Path

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

BODY = Path(os.environ["LOADTEST_BODY"]).read_bytes()
PATH = os.environ["LOADTEST_PATH"]
HEADERS = {"content-type": os.environ["LOADTEST_CONTENT_TYPE"]}


class Client(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self) -> None:
        self.client.post(PATH, data=BODY, headers=HEADERS)
