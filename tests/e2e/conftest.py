"""Browser tests: the real app served by uvicorn on loopback, driven by Debian's chromium.

Skipped when /usr/bin/chromium or the playwright package is missing, except under CI=true,
where a missing browser fails the run (a green CI must mean the browser tests ran).
Screenshots go to a temporary folder; set BOXOFFICE_SCREENSHOT_DIR=docs/screenshots to
refresh the ones in the docs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.app import create_app
from boxoffice.config import Settings
from boxoffice.web.pages import assets
from tests.support.databases import IN_CI, SqliteTemplate
from tests.support.processes import free_port
from tests.support.sandbox import Sandbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2}


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BOXOFFICE_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Received:
    """One request as our server received it: everything a card number could hide in."""

    method: str
    path: str
    query: bytes
    headers: bytes
    body: bytes

    def contains(self, needle: bytes) -> bool:
        return any(
            needle in part for part in (self.path.encode(), self.query, self.headers, self.body)
        )


class RequestRecorder:
    """ASGI wrapper keeping every request the app received, whole bodies included (a body the
    app did not read is drained here, since it reached the server all the same)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.received: list[Received] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        done = False

        async def recording_receive() -> Message:
            nonlocal done
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                done = not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                done = True
            return message

        try:
            await self.app(scope, recording_receive, send)
        finally:
            while not done:
                await recording_receive()
            headers = b"\n".join(name + b": " + value for name, value in scope["headers"])
            self.received.append(
                Received(
                    scope["method"], scope["path"], scope["query_string"], headers, b"".join(chunks)
                )
            )


class ServedApp:
    """The whole app (workers included) under uvicorn in a thread, on a free loopback port.

    `recorder.received` lists every request the app got, for tests that must prove what
    never reached the server (a card number)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.recorder = RequestRecorder(create_app(settings))
        config = uvicorn.Config(self.recorder, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="e2e-uvicorn", daemon=True)

    def start(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def serve(
    tmp_path: Path, sqlite_template: SqliteTemplate, sandbox: Sandbox
) -> Iterator[Callable[..., ServedApp]]:
    """Start the app with settings overridden (`serve(admin_key="…")`); stopped afterwards."""
    started: list[ServedApp] = []

    def start(**overrides: Any) -> ServedApp:
        settings = Settings(
            **{
                "database_url": sqlite_template.copy_to(tmp_path),
                "data_dir": tmp_path,
                "secret_key": "e2e-secret-key-not-for-production",
                "gateway_url": sandbox.url,
                "gateway_key": sandbox.key,
                **overrides,
            }
        )
        started.append(ServedApp(settings).start())
        return started[-1]

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def served(serve: Callable[..., ServedApp]) -> ServedApp:
    return serve()


def deploy(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """As if a release with other static files went live on the served app: its pages name
    their files by `version`, and only that version is served as immutable."""
    monkeypatch.setattr(assets, "version", lambda folders=assets.RELEASE: version)


def controlled_by_version(page: Any, version: str) -> None:
    """Wait until the worker registered for `version` controls the page."""
    page.wait_for_function(
        "v => !!navigator.serviceWorker.controller"
        " && navigator.serviceWorker.controller.scriptURL.endsWith('?v=' + v)",
        arg=version,
        timeout=15_000,
    )


def scripts_run(page: Any) -> list[str]:
    """The URLs of the scripts the page loaded (from the network or its worker alike)."""
    names: list[str] = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(e => e.initiatorType === 'script').map(e => e.name)"
    )
    return names


def cache_names(page: Any) -> set[str]:
    return set(page.evaluate("caches.keys()"))


def files_answered_by(served: ServedApp, monkeypatch: pytest.MonkeyPatch, release: str) -> None:
    """As if, mid-way through a rolling deploy, a host of `release` answered for the static
    files while the pages still come from another."""
    app = served.recorder.app
    mounts = [route.app for route in app.routes if isinstance(route, Mount)]  # type: ignore[attr-defined]
    files = [mount for mount in mounts if isinstance(mount, assets.VersionedStaticFiles)]
    assert files
    for mount in files:
        monkeypatch.setattr(mount, "release", lambda: release)
