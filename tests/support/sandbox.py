"""The sandbox card gateway as a real HTTP process, and a view of its ledger for audits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from boxoffice.sales.audit import fetch_ledger
from tests.support.processes import free_port

SECRET_KEY = "sk_test_boxoffice_sandbox"
PUBLISHABLE_KEY = "pk_test_boxoffice_sandbox"


class Sandbox:
    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = SECRET_KEY
        self.data_dir = data_dir
        self.args = args
        self.env = {**os.environ, "BOXOFFICE_DATA_DIR": str(data_dir), **(env or {})}
        self.env.pop("BOXOFFICE_GATEWAY_KEY", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> Sandbox:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "acquirer.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "boxoffice", "acquirer", "--port", str(self.port), *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.data_dir / "acquirer.log").read_text()[-3000:])
            try:
                answer = httpx.get(
                    f"{self.url}/v1/payment_intents",
                    params={"limit": 1},
                    headers={"Authorization": f"Bearer {self.key}"},
                    timeout=1,
                )
                if answer.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the sandbox acquirer did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    @contextmanager
    def charges_taking(self, ms: int) -> Iterator[None]:
        """The acquirer answers every charge after `ms` within the block, then at once again
        (it is shared by the session's tests)."""

        def latency(value: int) -> None:
            httpx.post(
                f"{self.url}/_sandbox/faults",
                json={"latency_ms": value},
                headers={"Authorization": f"Bearer {self.key}"},
            ).raise_for_status()

        latency(ms)
        try:
            yield
        finally:
            latency(0)

    async def intents(self) -> list[dict[str, Any]]:
        return (await fetch_ledger(self.url, self.key))[0]

    async def refunds(self) -> list[dict[str, Any]]:
        return (await fetch_ledger(self.url, self.key))[1]

    async def tokenise_many(self, count: int, number: str = "4242424242424242") -> list[str]:
        """Payment methods made the way a browser makes them: straight at the gateway."""
        headers = {"Authorization": f"Bearer {PUBLISHABLE_KEY}"}
        form = {
            "type": "card",
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2031",
            "card[cvc]": "123",
        }
        answers: list[httpx.Response] = []
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30) as client:
            for start in range(0, count, 50):  # in batches: a thousand at once outwait the pool
                answers += await asyncio.gather(
                    *(
                        client.post("/v1/payment_methods", data=form)
                        for _ in range(min(50, count - start))
                    )
                )
        return [a.raise_for_status().json()["id"] for a in answers]
