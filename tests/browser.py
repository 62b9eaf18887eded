"""Driving Debian's chromium with playwright, offline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def output_dir() -> Path:
    path = Path(os.environ.get("COOPMAP_TEST_OUTPUT", "test-output"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class PageLog:
    """What the browser did: blocked off-host requests, console errors, dialogs, failed requests."""

    offhost: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@contextmanager
def browser_page(
    viewport: tuple[int, int] = (1280, 800),
    headers: dict[str, str] | None = None,
    bypass_csp: bool = False,
) -> Iterator[tuple[object, PageLog]]:
    """A chromium page whose requests to anything but localhost are aborted and recorded.

    ``bypass_csp`` makes the browser ignore the pages' Content-Security-Policy (to prove that
    escaping alone keeps data inert).
    """
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": viewport[0], "height": viewport[1]},
                locale="en-GB",
                extra_http_headers=headers or {},
                bypass_csp=bypass_csp,
            )
            page = context.new_page()

            def route(r) -> None:
                host = urlparse(r.request.url).hostname
                if r.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                    r.continue_()
                else:
                    log.offhost.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page.on(
                "console",
                lambda m: log.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: log.console_errors.append(str(e)))
            page.on("requestfailed", lambda r: log.failed.append(r.url))

            def on_dialog(d) -> None:
                log.dialogs.append(d.message)
                d.dismiss()

            page.on("dialog", on_dialog)
            yield page, log
        finally:
            browser.close()
