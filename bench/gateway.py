"""The card path alone: our StripeGateway client against the sandbox acquirer process.

python bench/gateway.py --latency-ms 0 --latency-ms 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.sandbox import Sandbox  # noqa: E402

from bench.baseline import cpu_seconds  # noqa: E402
from boxoffice.payments.gateway import Approved, StripeGateway  # noqa: E402


async def run(latency_ms: int, charges: int, in_flight: int) -> dict[str, object]:
    sandbox = Sandbox(Path(tempfile.mkdtemp()), "--latency-ms", str(latency_ms)).start()
    try:
        methods = await sandbox.tokenise_many(in_flight)
        gateway = StripeGateway(api_key=sandbox.key, base_url=sandbox.url)
        gate = asyncio.Semaphore(in_flight)

        async def one(i: int) -> bool:
            async with gate:
                outcome = await gateway.charge(
                    order_id=f"ord_bench_{uuid.uuid4().hex}",
                    amount=100,
                    currency="BRL",
                    payment_method=methods[i % in_flight],
                )
                return isinstance(outcome, Approved)

        assert sandbox.process is not None
        acquirer_cpu = cpu_seconds(sandbox.process.pid)
        started, cpu = time.perf_counter(), time.process_time()
        approved = await asyncio.gather(*(one(i) for i in range(charges)))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        acquirer_cpu = cpu_seconds(sandbox.process.pid) - acquirer_cpu
        await gateway.aclose()
    finally:
        sandbox.stop()
    return {
        "latency_ms": latency_ms,
        "charges_per_second": round(charges / seconds),
        "client_cpu_ms_per_charge": round(cpu / charges * 1000, 2),
        "acquirer_cpu_ms_per_charge": round(acquirer_cpu / charges * 1000, 2),
        "approved": sum(approved),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, action="append")
    parser.add_argument("--charges", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=200)
    args = parser.parse_args()
    for latency in args.latency_ms or [0]:
        print(json.dumps(asyncio.run(run(latency, args.charges, args.in_flight))))


if __name__ == "__main__":
    main()
