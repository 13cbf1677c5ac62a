"""Debian's Chromium, headless, driven by Playwright: the flags keep it off every network but loopback."""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium reaches for Google's hosts at every start.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Console:
    """What the page said on its console and what it threw."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


class Browser:
    """One Chromium with a fresh profile; `page()` opens a tab whose console is recorded."""

    def __init__(self, playwright):
        self.profile = tempfile.mkdtemp(prefix="omakase-chromium-")
        self.context = playwright.chromium.launch_persistent_context(
            self.profile, executable_path=CHROMIUM, args=FLAGS, headless=True, viewport=DESKTOP, locale="en-US")

    def page(self):
        page = self.context.new_page()
        console = Console()
        console.watch(page)
        return page, console

    def close(self) -> None:
        self.context.close()
        shutil.rmtree(self.profile, ignore_errors=True)
