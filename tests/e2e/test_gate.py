"""Gate staff on a phone: the scanner page admits once, and keeps working without network."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
from PIL import Image

from boxoffice.ids import derive_key
from boxoffice.tickets import qr, rotating
from boxoffice.tickets.codes import parse_code
from boxoffice.web.pages import assets
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    ServedApp,
    cache_names,
    controlled_by_version,
    deploy,
    files_answered_by,
    scripts_run,
)
from tests.e2e.shop import console_errors
from tests.support.builders import event_body
from tests.support.buying import order_body, tokenise
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.e2e


def sold_event(
    served: ServedApp, sandbox: Sandbox, *, quantity: int = 2, rotating_qr: bool = False
) -> dict[str, Any]:
    """A published event with `quantity` paid tickets, their QR texts, and a gate device key."""
    with httpx.Client(base_url=served.url, timeout=30) as http:
        email = f"p-{uuid.uuid4().hex[:8]}@example.com"
        partner = http.post("/api/v1/partners", json={"name": "Arena", "email": email}).json()
        headers = {"Authorization": f"Bearer {partner['api_key']}"}
        body = event_body(name="Clássico no Maracanã", venue="Maracanã", rotating_qr=rotating_qr)
        created = http.post("/api/v1/events", json=body, headers=headers).json()
        event = http.post(f"/api/v1/events/{created['id']}/publish", headers=headers).json()
        order = http.post(
            "/api/v1/orders",
            json=order_body(event, tokenise(sandbox.url), quantity=quantity),
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ).json()
        token = {"Authorization": f"Bearer {order['access_token']}"}
        codes = [t["code"] for t in order["tickets"]]
        payloads = [http.get(f"/api/v1/tickets/{c}", headers=token).json()["qr"] for c in codes]
        device = http.post(
            f"/api/v1/events/{event['id']}/devices", json={"name": "Gate phone"}, headers=headers
        ).json()
    return {
        "event_id": event["id"],
        "codes": codes,
        "payloads": payloads,
        "key": device["key"],
        "headers": headers,
    }


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def open_scanner(context: Any, served: ServedApp, sale: dict[str, Any], gate: str) -> Any:
    page = context.new_page()
    page.goto(f"{served.url}/gate/{sale['event_id']}")
    page.fill("#device-key", sale["key"])
    page.fill("#gate-name", gate)
    page.click("#setup button[type=submit]")
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    return page


def enter(page: Any, text: str, expect: str) -> None:
    """Type (or a keyboard-wedge scanner types) a code or QR text, and wait for the verdict."""
    page.fill("#code", text)
    page.press("#code", "Enter")
    page.wait_for_selector(f"#result[data-result={expect}]", timeout=10_000)
    page.wait_for_selector("#result:not(.result-busy)")


def mistyped(code: str) -> str:
    """The code with its last character misread: always caught by the check character."""
    return code[:-1] + ("2" if code[-1] != "2" else "3")


def stats(served: ServedApp, sale: dict[str, Any]) -> dict[str, Any]:
    url = f"{served.url}/api/v1/events/{sale['event_id']}/checkin-stats"
    answer: dict[str, Any] = httpx.get(url, headers=sale["headers"]).json()
    return answer


def test_the_scanner_admits_a_typed_code_once_then_says_already_used(
    context: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    sale = sold_event(served, sandbox, quantity=1)
    page = open_scanner(context, served, sale, gate="north-1")
    code = sale["codes"][0]

    enter(page, code.lower().replace("-", ""), expect="admitted")
    page.screenshot(path=screenshots / "gate-admitted.png", full_page=True)
    assert page.locator("#result-title").inner_text().lower() == "admitted"
    assert "Ana" in page.locator("#result-name").inner_text()
    assert page.locator("#result").evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(10, 122, 47)"
    )

    enter(page, code, expect="already_used")
    page.screenshot(path=screenshots / "gate-already-used.png", full_page=True)
    assert page.locator("#result-title").inner_text().lower() == "already used"
    assert "at north-1" in page.locator("#result-detail").inner_text()

    enter(page, mistyped(code), expect="invalid")
    assert "Typo" in page.locator("#result-detail").inner_text()
    assert page.locator("#result-detail").inner_text().endswith(f"Did you mean {code}?")
    enter(page, code[:-1], expect="invalid")  # a character short: said how many there are
    assert page.locator("#result-detail").inner_text().endswith("This one has 6 characters.")
    report = stats(served, sale)
    assert (report["admitted"], report["scans"]) == (1, 4)


def test_a_phone_in_portuguese_gets_the_scanner_and_its_verdicts_in_portuguese(
    browser: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    sale = sold_event(served, sandbox, quantity=2)
    context = browser.new_context(**{**PHONE, "locale": "pt-BR"})
    try:
        page = context.new_page()
        problems = console_errors(page)
        page.goto(f"{served.url}/gate/{sale['event_id']}")
        assert page.locator("html").get_attribute("lang") == "pt-BR"
        assert page.get_by_role("heading", name="Configure este celular").is_visible()
        page.get_by_label("Chave do dispositivo").fill(sale["key"])
        page.get_by_label("Nome da entrada").fill("norte-1")
        page.get_by_role("button", name="Começar a ler").click()
        page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
        code = sale["codes"][0]

        assert page.locator("#bundle-status").inner_text().startswith("Lista offline: 2 ingressos")
        assert page.locator("#gate-label").inner_text() == "Entrada norte-1"
        enter(page, code, expect="admitted")
        assert page.locator("#result-title").inner_text().lower() == "liberado"
        enter(page, code, expect="already_used")
        assert page.locator("#result-title").inner_text().lower() == "já usado"
        assert "na entrada norte-1" in page.locator("#result-detail").inner_text()
        enter(page, mistyped(code), expect="invalid")
        detail = page.locator("#result-detail").inner_text()
        assert detail.startswith("Erro de digitação")
        assert detail.endswith(f"Você quis dizer {code}?")  # the ticket it was meant to be
        assert "did you mean" not in detail  # the API's English hint stays off a Portuguese page
        # A letter O where codes have none: which character, and what it was likely misread for.
        enter(page, code[:1] + "O" + code[2:], expect="invalid")
        assert (
            page.locator("#result-detail")
            .inner_text()
            .endswith("O caractere 2 (O) nunca é usado nos códigos: você quis dizer D ou Q?")
        )
        other = sale["codes"][1]
        context.set_offline(True)
        enter(page, mistyped(other), expect="invalid")
        assert page.locator("#result-detail").inner_text().endswith(f"Você quis dizer {other}?")
        assert "offline" in page.locator("#result-source").inner_text()
        enter(page, other + "7", expect="invalid")  # offline too, in the page's language
        assert page.locator("#result-detail").inner_text().endswith("Este tem 8 caracteres.")
        context.set_offline(False)
        assert page.get_by_role("button", name="Ligar câmera").is_visible()
        assert problems == []  # the words' JSON block parses, and breaks no CSP rule
    finally:
        context.close()


def test_offline_the_scanner_decides_from_the_bundle_and_syncs_when_back_online(
    context: Any, served: ServedApp, sandbox: Sandbox, screenshots: Path
) -> None:
    sale = sold_event(served, sandbox, quantity=2)
    page = open_scanner(context, served, sale, gate="south-2")
    first_code, second_code = sale["codes"]
    genuine = sale["payloads"][1]
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")

    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)

    context.set_offline(True)
    enter(page, genuine, expect="admitted")  # verified with WebCrypto Ed25519, no network
    page.screenshot(path=screenshots / "gate-offline.png", full_page=True)
    assert "offline" in page.locator("#result-source").inner_text()
    assert page.locator("#connection").inner_text() == "Offline"
    reloaded = page.reload()  # the phone restarts the page in a dead zone
    assert reloaded is not None
    assert reloaded.from_service_worker
    page.wait_for_selector("html[data-bundle=ready][data-queue='1']", timeout=10_000)
    enter(page, second_code, expect="already_used")  # the phone remembers its own admission
    enter(page, forged, expect="invalid")
    page.screenshot(path=screenshots / "gate-forged.png", full_page=True)
    assert "signature" in page.locator("#result-detail").inner_text()
    enter(page, first_code, expect="admitted")
    enter(page, "https://example.com/" + "x" * 300, expect="invalid")  # some other QR
    assert "not a Boxoffice ticket" in page.locator("#result-detail").inner_text()
    assert page.evaluate("document.documentElement.dataset.queue") == "5"
    assert stats(served, sale)["admitted"] == 0  # the server has heard nothing yet

    context.set_offline(False)
    page.wait_for_selector("html[data-queue='0']", timeout=20_000)

    report = stats(served, sale)
    assert (report["admitted"], report["scans"], report["conflicts"]) == (2, 5, [])
    assert report["gates"] == [
        {
            "gate": "south-2",
            "admitted": 2,
            "scans": 5,
            "by_result": {"admitted": 2, "already_used": 1, "invalid": 2},
        }
    ]
    online = page.evaluate("navigator.onLine")
    assert online is True
    enter(page, second_code, expect="already_used")  # now answered by the server
    assert "at south-2" in page.locator("#result-detail").inner_text()
    assert page.locator("#result-source").inner_text() == ""


def test_after_a_deploy_the_scanner_runs_only_new_scripts_and_still_opens_offline(
    context: Any, served: ServedApp, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = sold_event(served, sandbox, quantity=2)
    page = open_scanner(context, served, sale, gate="north")
    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)
    released = assets.version()
    assert all(url.endswith(f"?v={released}") for url in scripts_run(page))

    deploy(monkeypatch, "0a1b2c3d4e")
    page.reload()  # online: the page comes from the server, through the old worker
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    controlled_by_version(page, "0a1b2c3d4e")

    assert scripts_run(page)
    assert all(url.endswith("?v=0a1b2c3d4e") for url in scripts_run(page))
    page.wait_for_function(
        "caches.keys().then(names => !names.includes('bx-gate-files-' + arguments[0]))".replace(
            "arguments[0]", repr(released)
        ),
        timeout=10_000,
    )
    assert {"bx-gate-files-0a1b2c3d4e", "bx-gate-pages"} <= cache_names(page)

    context.set_offline(True)
    reloaded = page.reload()
    assert reloaded is not None
    assert reloaded.from_service_worker
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    assert all(url.endswith("?v=0a1b2c3d4e") for url in scripts_run(page))
    enter(page, sale["codes"][0], expect="admitted")
    enter(page, sale["codes"][0], expect="already_used")


def test_mid_rolling_deploy_the_scanner_keeps_no_file_of_another_release(
    context: Any, served: ServedApp, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = sold_event(served, sandbox, quantity=1)
    page = open_scanner(context, served, sale, gate="east")
    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)
    released = assets.version()

    deploy(monkeypatch, "1111111111")  # this host's pages are of the new release …
    files_answered_by(served, monkeypatch, released)  # … its files come from an old host
    page.reload()
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    outcome = page.evaluate(
        """async () => {
          const reg = await navigator.serviceWorker.register(
            '/gate/sw.js?v=1111111111', { scope: '/gate/' });
          const worker = reg.installing || reg.waiting;
          if (worker && worker.state !== 'redundant') {
            await new Promise(done => worker.addEventListener('statechange', () => {
              if (worker.state === 'redundant' || worker.state === 'activated') done();
            }));
          }
          return worker ? worker.state : 'none';
        }"""
    )

    assert outcome in ("redundant", "none")  # the new worker refused to install
    assert "bx-gate-files-1111111111" not in cache_names(page)
    assert f"bx-gate-files-{released}" in cache_names(page)  # the old one still serves
    controller = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    assert controller.endswith(f"?v={released}")

    monkeypatch.undo()  # the rollout is over: every host runs the new release
    deploy(monkeypatch, "1111111111")
    page.reload()
    controlled_by_version(page, "1111111111")
    context.set_offline(True)
    reloaded = page.reload()
    assert reloaded is not None
    assert reloaded.from_service_worker
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    enter(page, sale["codes"][0], expect="admitted")


def test_a_scanner_kept_offline_by_the_previous_worker_still_opens_offline_after_a_deploy(
    context: Any, served: ServedApp, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sale = sold_event(served, sandbox, quantity=1)
    page = open_scanner(context, served, sale, gate="west")
    page.wait_for_selector("html[data-offline=ready]", timeout=10_000)
    scanner_url = page.url
    # The previous release kept pages and files together in one cache, `bx-gate-v1`.
    page.evaluate(
        """async () => {
          const legacy = await caches.open('bx-gate-v1');
          for (const name of await caches.keys()) {
            if (!name.startsWith('bx-gate-') || name === 'bx-gate-v1') continue;
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
              await legacy.put(request, await cache.match(request));
            }
            await caches.delete(name);
          }
        }"""
    )

    deploy(monkeypatch, "5f6e7d8c9b")
    page.goto(f"{served.url}/gate/")  # another gate page: the scanner's page is not fetched
    controlled_by_version(page, "5f6e7d8c9b")
    page.wait_for_function(
        "caches.keys().then(names => !names.includes('bx-gate-v1'))", timeout=10_000
    )

    context.set_offline(True)
    reopened = page.goto(scanner_url)
    assert reopened is not None
    assert reopened.from_service_worker
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    enter(page, sale["codes"][0], expect="admitted")


def test_offline_a_live_code_is_checked_against_the_phones_clock(
    context: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    sale = sold_event(served, sandbox, quantity=1, rotating_qr=True)
    page = open_scanner(context, served, sale, gate="vip")
    live = sale["payloads"][0]
    event_secret = derive_key(
        served.settings.resolved_secret_key, f"qr-rotation:{sale['event_id']}"
    )
    secret = rotating.ticket_secret(event_secret, parse_code(sale["codes"][0]))
    an_hour_ago = rotating.code_at(secret, time.time() - 3600)
    screenshot = qr.with_rotation(live.split(".")[0], an_hour_ago)

    context.set_offline(True)
    enter(page, screenshot, expect="invalid")
    assert "Expired live code" in page.locator("#result-detail").inner_text()
    enter(page, live, expect="admitted")


def test_a_phone_set_up_at_the_gate_start_page_lands_on_its_events_scanner(
    context: Any, served: ServedApp, sandbox: Sandbox
) -> None:
    sale = sold_event(served, sandbox, quantity=1)
    page = context.new_page()
    page.goto(f"{served.url}/gate/")
    page.fill("#device-key", sale["key"])
    page.fill("#gate-name", "west")
    page.click("#setup button[type=submit]")

    page.wait_for_url(f"{served.url}/gate/{sale['event_id']}")
    page.wait_for_selector("html[data-bundle=ready]", timeout=10_000)
    assert page.locator("#gate-label").inner_text() == "Gate west"
    enter(page, sale["codes"][0], expect="admitted")


def write_camera_feed(path: Path, payload: str) -> None:
    """A short video (Y4M, 4:2:0) of a hand-held phone showing the QR, for Chromium's fake
    camera, which plays it in a loop.

    Hand-held, so the QR's size and place change from frame to frame, as they do at a gate.
    One still frame was not enough: the scanner decodes the frame at whatever size it is
    filmed, and for about one payload in five that one size never decoded."""
    frames = []
    for scale, (dx, dy) in zip((6, 7, 8, 7), ((0, 0), (9, -7), (-6, 5), (4, 8)), strict=True):
        buffer = io.BytesIO()
        segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
        frame = Image.new("RGB", (640, 480), "white")
        code = Image.open(buffer).convert("RGB")
        frame.paste(code, ((640 - code.width) // 2 + dx, (480 - code.height) // 2 + dy))
        y, cb, cr = frame.convert("YCbCr").split()
        chroma = [plane.resize((320, 240)).tobytes() for plane in (cb, cr)]
        frames.append(b"FRAME\n" + y.tobytes() + chroma[0] + chroma[1])
    path.write_bytes(b"YUV4MPEG2 W640 H480 F4:1 Ip A1:1 C420jpeg\n" + b"".join(frames))


def test_the_camera_reads_a_ticket_qr_and_admits_it(
    browser: Any, served: ServedApp, sandbox: Sandbox, tmp_path: Path, screenshots: Path
) -> None:
    sale = sold_event(served, sandbox, quantity=1)
    feed = tmp_path / "camera.y4m"
    write_camera_feed(feed, sale["payloads"][0])
    camera_args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={feed}",
    ]
    # The same Debian chromium, launched again with a fake camera that films the QR.
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera_args
    )
    try:
        context = chromium.new_context(**PHONE, permissions=["camera"])
        page = open_scanner(context, served, sale, gate="camera-1")
        page.click("#camera-toggle")
        page.wait_for_selector("#result[data-result=admitted]", timeout=20_000)
        page.screenshot(path=screenshots / "gate-camera.png", full_page=True)
        assert page.locator("#reader video").count() == 1
        assert sale["codes"][0] in page.locator("#result-detail").inner_text()
    finally:
        chromium.close()
