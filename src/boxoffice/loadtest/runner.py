"""Drive a simulated crowd against a running service, like browsers would.

Each simulated buyer: (waiting room: join, poll until admitted, keep the
pass) → place the order with a fresh Idempotency-Key (a double-clicker
sends it twice at once) → a pending answer is polled until it settles →
a retrier sends the very same request again and must get the very same
answer. Cards are tokenised once per kind at the gateway (as a browser
would, but once: that load is the gateway's, not ours).

aiohttp rather than httpx for the crowd: httpx's pool scans every
connection on every request, which at hundreds of connections costs more
CPU than the service under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from boxoffice.loadtest.scenario import APPROVING_CARD, DECLINING_CARD, Buyer, Plan
from boxoffice.waitingroom import door


@dataclass
class Result:
    event: dict[str, Any] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # POST /orders, answered 201
    confirmed_at: list[float] = field(default_factory=list)  # when each 201 came, s from start
    # The same purchases as the service timed them (its Server-Timing header), in seconds.
    server_latencies: list[float] = field(default_factory=list)
    replay_mismatches: int = 0
    duplicate_mismatches: int = 0
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    orders: dict[str, str] = field(default_factory=dict)  # order id -> access token


class QueueRefused(Exception):
    """The waiting room kept refusing this buyer."""


class Crowd:
    def __init__(
        self, plan: Plan, *, url: str | list[str], gateway_url: str, admin_key: str | None
    ) -> None:
        """`url` may list several servers (hosts behind a balancer): buyers are spread over them."""
        self.plan = plan
        self.urls = [u.rstrip("/") for u in ([url] if isinstance(url, str) else url)]
        self.gateway_url = gateway_url.rstrip("/")
        self.admin_key = admin_key
        self.result = Result()
        self.methods: dict[bool, str] = {}
        self._started = 0.0

    async def _call(
        self,
        http: aiohttp.ClientSession,
        method: str,
        path: str,
        *,
        via: int = 0,
        server_timing: list[float] | None = None,
        **kwargs: Any,
    ) -> tuple[int, Any]:
        body = kwargs.get("json")
        base = self.urls[via % len(self.urls)]
        async with http.request(method, base + path, **kwargs) as response:
            raw = await response.read()
            if server_timing is not None:
                server_timing.extend(_durations(response.headers.get("Server-Timing", "")))
        self.result.requests += 1
        self.result.bytes_sent += len(str(body or "")) + 200  # headers, roughly
        self.result.bytes_received += len(raw) + 200
        try:
            return response.status, _json(raw)
        except ValueError:
            return response.status, {}

    async def setup(self, http: aiohttp.ClientSession) -> None:
        s = self.plan.scenario
        headers = {"Authorization": f"Bearer {self.admin_key}"} if self.admin_key else {}
        _, partner = await self._call(
            http,
            "POST",
            "/api/v1/partners",
            headers=headers,
            json={"name": "Load test", "email": f"loadtest-{uuid.uuid4().hex[:8]}@example.com"},
        )
        auth = {"Authorization": f"Bearer {partner['api_key']}"}
        event_body: dict[str, Any] = {
            "name": f"Load test {time.strftime('%H:%M:%S')}",
            "venue": "Simulated arena",
            "starts_at": "2035-01-01T20:00:00Z",
            "waiting_room": s.waiting_room,
            "ticket_types": [
                {"name": "General", "price": 10000, "currency": "BRL", "capacity": s.tickets}
            ],
        }
        if s.per_buyer_limit:
            event_body["per_buyer_limit"] = s.per_buyer_limit
        status, event = await self._call(
            http, "POST", "/api/v1/events", headers=auth, json=event_body
        )
        if status != 201:
            raise RuntimeError(f"could not create the event: {event}")
        _, event = await self._call(
            http, "POST", f"/api/v1/events/{event['id']}/publish", headers=auth
        )
        if s.waiting_room:
            await self._call(
                http,
                "PUT",
                f"/api/v1/events/{event['id']}/queue/rate",
                headers=auth,
                json={"per_second": s.admission_rate},
            )
        self.result.event = event
        for declines, number in ((False, APPROVING_CARD), (True, DECLINING_CARD)):
            form = {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            }
            async with http.post(
                self.gateway_url + "/v1/payment_methods",
                data=form,
                headers={"Authorization": "Bearer pk_test_boxoffice_loadtest"},
            ) as response:
                self.methods[declines] = (await response.json())["id"]

    async def run(self, on_buyer_done: Callable[[], None] = lambda: None) -> Result:
        s = self.plan.scenario
        # A connection per purchase in flight, and one per join held at the door until its
        # turn (`boxoffice.waitingroom.door`): at most that many seconds of arrivals. The crowd
        # stands for browsers, each with its own connection, so the generator's pool must not
        # be what makes buyers wait; only the process's file descriptors bound it.
        held = 0
        if s.waiting_room:
            arrivals_per_second = s.buyers / max(1.0, s.arrival_seconds)
            held = min(int(arrivals_per_second * door.SHORT_WAIT_SECONDS), s.buyers)
        descriptors, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        connections = max(s.concurrency, 10) + 50 + held
        connector = aiohttp.TCPConnector(limit=max(100, min(connections, descriptors - 200)))
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            await self.setup(http)
            gate = asyncio.Semaphore(s.concurrency)
            started = self._started = time.perf_counter()

            async def one(buyer: Buyer) -> None:
                delay = buyer.arrives_at - (time.perf_counter() - started)
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    await self._buyer(http, gate, buyer)
                except (aiohttp.ClientError, TimeoutError, QueueRefused) as error:
                    self.result.outcomes[f"client_error:{type(error).__name__}"] += 1
                on_buyer_done()

            await asyncio.gather(*(one(b) for b in self.plan.buyers))
            self.result.seconds = time.perf_counter() - started
        return self.result

    async def _admission(self, http: aiohttp.ClientSession, buyer: Buyer) -> dict[str, str] | None:
        """Join the queue and wait to be admitted, retrying as a browser page would.

        None when the queue says the sale is sold out: the buyer leaves, as people do.
        """
        event_id = self.result.event["id"]
        path = f"/api/v1/events/{event_id}/queue"
        for attempt in range(20):
            status, place = await self._call(
                http, "POST", path, via=buyer.index, json={"email": buyer.email}
            )
            if status == 201:
                break
            self.result.outcomes[f"queue_join:{status}:{place.get('code', '')}"] += 1
            await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        else:
            raise QueueRefused(f"could not join the queue: {status}")
        token = place["place_token"]
        while not place.get("admitted"):
            if place.get("sold_out"):
                self.result.outcomes["queue:sold_out"] += 1
                return None
            await asyncio.sleep(place.get("poll_after_seconds", 2.0))  # as the queue page does
            status, answer = await self._call(
                http, "GET", path, via=buyer.index, headers={"Authorization": f"Bearer {token}"}
            )
            if status == 200:
                place = answer
                token = answer.get("place_token", token)  # the final place, after the opening
            else:
                self.result.outcomes[f"queue_poll:{status}:{answer.get('code', '')}"] += 1
        return {"Boxoffice-Waiting-Room-Pass": place["pass"]}

    async def _buyer(
        self, http: aiohttp.ClientSession, gate: asyncio.Semaphore, buyer: Buyer
    ) -> None:
        s = self.plan.scenario
        extra = await self._admission(http, buyer) if s.waiting_room else {}
        if extra is None:
            return
        event = self.result.event
        body = {
            "event_id": event["id"],
            "items": [
                {"ticket_type_id": event["ticket_types"][0]["id"], "quantity": s.tickets_per_order}
            ],
            "buyer": {"email": buyer.email, "name": f"Buyer {buyer.index}"},
            "payment_method": self.methods[buyer.declines],
        }
        headers = {"Idempotency-Key": uuid.uuid4().hex, **extra}
        timing: list[float] = []
        async with gate:
            began = time.perf_counter()
            if buyer.double_clicks:
                (status, answer), (twin_status, twin) = await asyncio.gather(
                    self._call(
                        http, "POST", "/api/v1/orders", json=body, headers=headers, via=buyer.index
                    ),
                    self._call(
                        http,
                        "POST",
                        "/api/v1/orders",
                        json=body,
                        headers=headers,
                        via=buyer.index + 1,
                    ),  # a double click may land elsewhere
                )
                both_final = _final(status, answer) and _final(twin_status, twin)
                if both_final and (status, answer) != (twin_status, twin):
                    self.result.duplicate_mismatches += 1
            else:
                status, answer = await self._call(
                    http,
                    "POST",
                    "/api/v1/orders",
                    json=body,
                    headers=headers,
                    via=buyer.index,
                    server_timing=timing,
                )
            elapsed = time.perf_counter() - began
        code = answer.get("code", "") if status >= 400 else answer.get("status", "")
        self.result.outcomes[f"{status}:{code}"] += 1
        if status == 201:
            self.result.latencies.append(elapsed)
            self.result.confirmed_at.append(time.perf_counter() - self._started)
            self.result.server_latencies.extend(timing[:1])
        if status in (201, 202):
            self.result.orders[answer["id"]] = answer["access_token"]
        if buyer.retries and status != 409:
            again = await self._call(
                http, "POST", "/api/v1/orders", json=body, headers=headers, via=buyer.index + 1
            )
            if _final(status, answer) and _final(*again) and again != (status, answer):
                self.result.replay_mismatches += 1


def _final(status: int, answer: Any) -> bool:
    """An answer the service stores for its key and must replay (not a transient refusal)."""
    transient = {
        "idempotency_key_in_progress",
        "busy",
        "waiting_room_unavailable",
        "gateway_unavailable",
        "rate_limited",
        "waiting_room_pass_required",
    }
    return status < 500 and answer.get("code") not in transient


def _durations(header: str) -> list[float]:
    """Seconds from a Server-Timing header (`name;dur=12.5, other;dur=3`)."""
    found = []
    for metric in header.split(","):
        for param in metric.split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key == "dur":
                with contextlib.suppress(ValueError):
                    found.append(float(value) / 1000)
    return found


def _json(raw: bytes) -> Any:
    return json.loads(raw) if raw else {}
