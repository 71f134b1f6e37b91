"""The web page: its headers and public files, then in a real browser (Debian's Chromium, driven by Playwright).

The browser tests use the session's live server over the ingested sample documents and real models, so the
answers, labels and chunk counts on screen are real. Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.audit import AuditLog
from api.keys import KeyStore
from api.web import CONTENT_SECURITY_POLICY

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (CI runs as root in a container); nothing that would reach out of the machine on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT_MS = 90_000
pytestmark = pytest.mark.timeout(300)  # a stuck browser fails the test instead of hanging the run
UI_TIMEOUT_MS = 15_000


# ---- headers and public files, no browser needed ------------------------------------------------------


def test_page_and_assets_carry_a_strict_policy(live_server: str) -> None:
    for path in ("/", "/ui", "/ui/static/app.js", "/ui/static/app.css"):
        response = httpx.get(live_server + path, timeout=10)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert directive in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY

    page = httpx.get(live_server + "/", timeout=10)
    assert page.headers["content-type"].startswith("text/html") and page.headers["cache-control"] == "no-store"
    html = page.text
    assert (
        httpx.get(live_server + "/ui/static/app.js", timeout=10)
        .headers["content-type"]
        .startswith(("application/javascript", "text/javascript"))
    )
    # Nothing the policy would have to allow: no inline script, style or handler, and only local files.
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/ui/static/app.js" defer>']
    assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)
    assert all(url.startswith(("/", "data:", "#")) for url in re.findall(r'(?:src|href)="([^"]*)"', html))
    assert httpx.get(live_server + "/ui/static/missing.js", timeout=10).status_code == 404


def test_only_the_page_and_its_files_are_public(services: Any, tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from api.app import create_app

    keys = KeyStore(tmp_path / "keys.json")
    keys.create("reader", ["default"])
    with TestClient(app=create_app(replace(services, keys=keys, audit=AuditLog(tmp_path / "audit.jsonl")))) as client:
        for path in ("/", "/ui", "/ui/static/app.js", "/ui/static/app.css"):
            assert client.get(path).status_code == 200, path
        for path in ("/v1/me", "/v1/documents", "/v1/admin/audit", "/ui/static/../../v1/documents", "/metrics"):
            assert client.get(path).status_code == 401, path


# ---- in the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test; never a browser download."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is needed for the browser tests but {CHROMIUM} does not exist: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        yield launched
        launched.close()


@dataclass
class Visit:
    page: Page
    origin: str
    requests: list[Request] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_clean(self, expected_statuses: tuple[int, ...] = ()) -> None:
        """No request left the server's origin, and no script error or policy violation was logged.

        The browser logs each 4xx answer as an error; those the test provoked on purpose are allowed.
        """
        outside = [r.url for r in self.requests if not r.url.startswith((self.origin + "/", "data:"))]
        assert outside == [], outside
        expected = tuple(f"status of {status} " for status in expected_statuses)
        errors = [e for e in self.errors if not (expected and any(s in e for s in expected))]
        assert errors == [], errors


@pytest.fixture
def visit_factory(browser: Browser) -> Iterator[Callable[[str], Visit]]:
    contexts = []

    def open_page(origin: str) -> Visit:
        # A laptop screen.
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=origin)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        visit = Visit(page, origin)
        context.on("request", lambda request: visit.requests.append(request))
        page.on("console", lambda message: visit.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: visit.errors.append(str(error)))
        page.goto("/")
        return visit

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def visit(visit_factory: Callable[[str], Visit], live_server: str) -> Visit:
    opened = visit_factory(live_server)
    opened.page.get_by_text("No API key is configured").wait_for()
    return opened


def incident_fact(manifest: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for document in manifest["documents"]:
        if document["file"] == "incident-report-2024-03.md":
            return document["file"], document["facts"][0]
    raise AssertionError("the manifest has no incident report")


def test_ask_by_keyboard_streams_a_cited_answer(visit: Visit, manifest: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = visit.page
    source, fact = incident_fact(manifest)
    expect(page.locator("#ask-collection option[value=default]")).to_have_count(1)
    for _ in range(10):  # Tab from the top of the page to the question box
        if page.evaluate("document.activeElement.id") == "ask-question":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "ask-question"
    page.keyboard.type(fact["question"])
    page.keyboard.press("Enter")

    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-state", "streaming")
    expect(answer).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT_MS)
    # Text arrived as "token" events before the final one (a sentence at a time, after the output guard).
    assert int(answer.get_attribute("data-tokens") or 0) >= 1
    assert answer.get_attribute("data-answered") == "true"
    expect(page.locator("#answer-text")).to_contain_text(fact["answer_contains"])
    expect(page.locator("#answer-nosay")).to_be_hidden()

    card = page.locator(f'#citations li.cited[data-source="{source}"]').first
    expect(card).to_be_visible()
    assert card.get_attribute("data-page") == str(fact["page"])
    expect(card.locator("summary")).to_contain_text(f"page {fact['page']}")
    passage = card.locator("blockquote")
    expect(passage).to_be_hidden()
    card.locator("summary").focus()
    page.keyboard.press("Enter")  # cards expand from the keyboard
    expect(passage).to_be_visible()
    expect(passage).to_contain_text(fact["answer_contains"])
    visit.screenshot("ask-answer")

    page.fill("#ask-question", "What is the recipe for a chocolate souffle?")
    page.click("#ask-submit")
    expect(answer).to_have_attribute("data-answered", "false", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#answer-nosay")).to_be_visible()
    expect(page.locator("#answer-nosay")).to_contain_text("The documents do not say.")
    expect(page.locator("#citations li")).to_have_count(0)
    visit.screenshot("ask-documents-do-not-say")
    visit.assert_clean()


def test_upload_lists_the_document_then_deletes_it(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.click("#tab-documents")
    page.fill("#doc-collection", "web-upload")
    page.dispatch_event("#doc-collection", "change")
    memo = b"Web memo.\n\nThe rooftop garden opens at noon on Fridays. Questions to m.okonkwo@example.org.\n"
    page.set_input_files("#upload-input", files=[{"name": "web-memo.txt", "mimeType": "text/plain", "buffer": memo}])

    done = page.locator(".upload[data-state=done]")
    expect(done).to_contain_text("web-memo.txt")
    expect(done).to_contain_text("new: 1 chunk; redacted EMAIL_ADDRESS 1")
    row = page.locator('#documents-table tr[data-source="web-memo.txt"]')
    expect(row.locator("td.chunks")).to_have_text("1")
    expect(row).to_contain_text("done")
    expect(row).to_contain_text("EMAIL_ADDRESS 1")

    # A file dropped on the drop zone: refused, with the reason.
    drop = page.evaluate_handle(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array([0, 1, 2, 3, 255])], "junk.pdf", {type: "application/pdf"}));
            return data;
        }"""
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": drop})
    failed = page.locator(".upload[data-state=failed]")
    expect(failed).to_contain_text("junk.pdf")
    expect(failed).to_contain_text("not a PDF")
    visit.screenshot("documents-upload")

    failed_row = page.locator('#documents-table tr[data-source="junk.pdf"]')
    expect(failed_row).to_contain_text("failed: named .pdf but is not a PDF")

    # Delete both, so the session's other tests find the data dir as they left it.
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete web-memo.txt").click()
    expect(page.locator("#documents-status")).to_contain_text("web-memo.txt deleted")
    expect(row).to_have_count(0)
    failed_row.get_by_role("button", name="Delete junk.pdf").click()
    expect(page.locator("#documents-status")).to_contain_text("junk.pdf deleted")
    expect(page.locator("#documents-table tbody tr")).to_have_count(0)
    visit.assert_clean(expected_statuses=(415,))


def test_ticket_gets_a_label_with_scores_and_a_summary(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.get_by_role("tab", name="Tickets").click()
    page.fill("#ticket-text", "I was charged twice for my March invoice. Please refund the duplicate payment.")
    page.fill("#ticket-extra", "shipping, billing")  # typed labels join the ticked ones, once each
    page.click("#ticket-submit")
    result = page.locator("#ticket-result")
    expect(result).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#ticket-label")).to_have_text("billing")
    scored = page.locator("#ticket-scores tbody th").all_inner_texts()
    assert sorted(scored) == ["account", "billing", "shipping", "technical"] and scored[0] == "billing"
    assert page.locator("#ticket-summary").inner_text().strip()
    visit.screenshot("tickets")
    visit.assert_clean()


def test_a_ticket_classified_with_a_trained_label_set_shows_its_confidence(visit: Visit, services: Any) -> None:
    from playwright.sync_api import expect

    from rag.label_training import LabelledTicket

    label_sets = services.tickets.label_sets
    label_sets.create("web-desk", ["invoice", "printer"])
    try:
        examples = [("the invoice total is wrong", "invoice"), ("please resend my invoice", "invoice")]
        examples += [("the printer jams", "printer"), ("printer out of toner", "printer")]
        label_sets.train("web-desk", [LabelledTicket(text, label) for text, label in examples])
        page = visit.page
        page.get_by_role("tab", name="Tickets").click()
        page.select_option("#ticket-labelset", "web-desk")
        expect(page.locator("#ticket-extra")).to_be_disabled()  # the ad-hoc labels do not apply
        page.fill("#ticket-text", "The printer on the second floor prints blank pages.")
        page.fill("#ticket-min-confidence", "0")
        page.click("#ticket-submit")
        expect(page.locator("#ticket-result")).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#ticket-label")).to_have_text("printer")
        expect(page.locator("#ticket-confidence")).to_have_text(re.compile(r"\(confidence [01]\.\d\d\)"))
        page.fill("#ticket-min-confidence", "1")
        page.click("#ticket-submit")
        expect(page.locator("#ticket-result")).to_have_attribute("data-state", "done", timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#ticket-label")).to_have_text("none: left to a human")
        visit.assert_clean()
    finally:
        label_sets.store.delete("web-desk")


def test_admin_sees_collections_keys_and_the_audit_trail(visit: Visit) -> None:
    from playwright.sync_api import expect

    page = visit.page
    page.get_by_role("tab", name="Admin").click()
    default = page.locator("#admin-collections tbody tr", has_text="default")
    expect(default.locator("td").first).to_have_text("10")
    expect(page.locator("#admin-status")).to_contain_text("No API key exists yet")
    page.fill("#audit-route", "/v1/me")
    page.select_option("#audit-since", "1h")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_have_attribute("data-route", "/v1/me")
    routes = {row.get_attribute("data-route") for row in rows.all()}
    assert routes == {"/v1/me"}
    expect(page.locator("#audit-count")).to_contain_text("matching records")
    visit.screenshot("admin")
    visit.assert_clean()


@pytest.fixture
def keyed_server(services: Any, tmp_path: Path) -> Iterator[tuple[str, KeyStore]]:
    """The app with keys configured, served on loopback (the session's live server has none)."""
    import uvicorn

    from api.app import create_app

    keys = KeyStore(tmp_path / "keys.json")
    app = create_app(replace(services, keys=keys, audit=AuditLog(tmp_path / "audit.jsonl")))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "keyed server did not start"
    yield f"http://127.0.0.1:{port}", keys
    server.should_exit = True
    thread.join(timeout=10)


def test_key_is_entered_once_per_tab_and_sent_as_a_header(
    visit_factory: Callable[[str], Visit], keyed_server: tuple[str, KeyStore]
) -> None:
    from playwright.sync_api import expect

    origin, keys = keyed_server
    keys.create("admin", ["*"])
    key, token = keys.create("reader", ["default"], label="helpdesk")
    visit = visit_factory(origin)
    page = visit.page
    whoami = page.locator("#whoami")
    expect(whoami).to_contain_text("API key is required")
    expect(page.locator("#key-input")).to_be_focused()
    before_key = len(visit.requests)
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    expect(whoami).to_contain_text(f"Key {key.id} (helpdesk): reader, default.")
    expect(page.locator("#ask-collection option")).to_have_text(["default"])
    expect(page.locator("#tab-admin")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('enclave.apiKey')") == token
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("document.cookie") == ""

    page.reload()  # the same tab keeps the key
    expect(whoami).to_contain_text(f"Key {key.id}")
    data_calls = [r for r in visit.requests[before_key:] if "/v1/" in r.url]
    assert len(data_calls) >= 4 and all(r.headers.get("authorization") == f"Bearer {token}" for r in data_calls)
    visit.screenshot("key-entered")

    page.click("#key-forget")
    expect(whoami).to_contain_text("API key is required")
    assert page.evaluate("sessionStorage.length") == 0
    visit.assert_clean(expected_statuses=(401,))
