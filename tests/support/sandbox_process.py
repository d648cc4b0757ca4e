"""Run the sandbox acquirer as a real process on a free loopback port, for tests.

A real process and a real socket, not an in-process app: what the gateway
client must survive (a dropped connection, a hung request, a restart) only
happens for real over TCP. The process runs `python -m boxoffice.payments.sandbox`
with the repository's `src` on its path, a data folder of the caller's choosing
and no inherited `BOXOFFICE_ACQUIRER_*` settings, so it is configured only by
the arguments given here.

    with running_sandbox(data_dir=tmp_path) as sandbox:
        gateway = StripeGateway(api_key=sandbox.secret_key, base_url=sandbox.url)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SRC = Path(__file__).resolve().parents[2] / "src"
SECRET_KEY = "sk_test_boxoffice_tests"
PUBLISHABLE_KEY = "pk_test_boxoffice_tests"
_INHERITED_SETTINGS = ("BOXOFFICE_ACQUIRER_", "BOXOFFICE_GATEWAY_KEY", "BOXOFFICE_DATA_DIR")


class SandboxDidNotStart(RuntimeError):
    pass


@dataclass
class SandboxProcess:
    """A running acquirer: its base URL, keys, data folder and process."""

    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    secret_key: str = SECRET_KEY
    publishable_key: str = PUBLISHABLE_KEY

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "acquirer.sqlite3"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def kill(self) -> None:
        """Die without shutting down, like a crash."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sandbox(
    *,
    data_dir: Path,
    port: int | None = None,
    latency_ms: int | None = None,
    jitter_ms: int | None = None,
    faults: Mapping[str, float] | Sequence[str] = (),
    seed: int | None = None,
    gateway_key: str | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 20.0,
) -> SandboxProcess:
    """Start the acquirer and return once it answers; raises `SandboxDidNotStart`.

    `faults` is `{"timeout": 0.05}` or `["timeout=0.05"]`. `gateway_key` unset
    means any `sk_test_…` key is accepted (`SandboxProcess.secret_key` is one).
    `env` adds variables (e.g. `BOXOFFICE_ACQUIRER_HANG_SECONDS`). Without a
    `port`, a free one is picked, retrying if another process takes it first.
    """
    attempts = 1 if port is not None else 3
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        sandbox = _spawn(
            data_dir=data_dir,
            port=chosen,
            args=_arguments(latency_ms, jitter_ms, faults, seed),
            env=_environment(data_dir, gateway_key, env),
        )
        try:
            _wait_until_ready(sandbox, startup_timeout)
        except SandboxDidNotStart:
            sandbox.stop()
            if "address already in use" in sandbox.log().lower() and attempt + 1 < attempts:
                continue
            raise
        if gateway_key is not None:
            sandbox.secret_key = gateway_key
        return sandbox
    raise AssertionError("unreachable")


@contextmanager
def running_sandbox(*, data_dir: Path, **options: Any) -> Iterator[SandboxProcess]:
    """`start_sandbox(data_dir=…, **options)` for the duration of a `with` block."""
    sandbox = start_sandbox(data_dir=data_dir, **options)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _arguments(
    latency_ms: int | None,
    jitter_ms: int | None,
    faults: Mapping[str, float] | Sequence[str],
    seed: int | None,
) -> list[str]:
    args: list[str] = []
    if latency_ms is not None:
        args += ["--latency-ms", str(latency_ms)]
    if jitter_ms is not None:
        args += ["--jitter-ms", str(jitter_ms)]
    specs = (
        [f"{name}={p}" for name, p in faults.items()]
        if isinstance(faults, Mapping)
        else list(faults)
    )
    for spec in specs:
        args += ["--fault", spec]
    if seed is not None:
        args += ["--seed", str(seed)]
    return args


def _environment(
    data_dir: Path, gateway_key: str | None, extra: Mapping[str, str] | None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_SETTINGS)}
    env["BOXOFFICE_DATA_DIR"] = str(data_dir)
    if gateway_key is not None:
        env["BOXOFFICE_GATEWAY_KEY"] = gateway_key
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def _spawn(*, data_dir: Path, port: int, args: list[str], env: dict[str, str]) -> SandboxProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"acquirer-{port}.log"
    command = [sys.executable, "-m", "boxoffice.payments.sandbox", "--port", str(port), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    return SandboxProcess(
        url=f"http://127.0.0.1:{port}",
        port=port,
        data_dir=data_dir,
        process=process,
        log_path=log_path,
    )


def _wait_until_ready(sandbox: SandboxProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if sandbox.process.poll() is not None:
                raise SandboxDidNotStart(f"the acquirer exited:\n{sandbox.log()}")
            try:
                if client.get(f"{sandbox.url}/_sandbox/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise SandboxDidNotStart(f"the acquirer did not answer within {timeout}s:\n{sandbox.log()}")
