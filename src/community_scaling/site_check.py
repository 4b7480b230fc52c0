"""Open the built site in a real browser (headless Chromium) and check it as a reader
would meet it: every page reachable from the front page loads without a console
error, every image loads, every link resolves to a file, and no link is absolute.

Chromium is driven through the Chrome DevTools Protocol over a websocket, so no
browser download or driver is needed beyond Debian's `chromium` package.

Usage: python -m community_scaling.site_check REPORTS_DIR [--study census] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("no Chromium found: install it with `apt-get install -y chromium` (Debian/Ubuntu), "
                "or name a Chrome/Chromium binary in $CHROMIUM")

# What a page reports about itself once loaded: its links (as written and as resolved) and images.
PAGE_SCRIPT = """JSON.stringify({
  links: [...document.querySelectorAll('a[href]')].map(a => ({raw: a.getAttribute('href'), url: a.href})),
  images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
  height: document.documentElement.scrollHeight})"""


def find_chromium() -> str | None:
    named = os.environ.get("CHROMIUM")
    if named:
        return named if Path(named).exists() else shutil.which(named)
    return next(filter(None, map(shutil.which, BROWSERS)), None)


def remove_profile(profile: Path, attempts: int = 5) -> None:
    """Remove a browser profile; a helper still flushing into it gets a moment, and a profile that
    cannot be removed is left in the temporary folder with a warning instead of failing the check."""
    for attempt in range(attempts):
        shutil.rmtree(profile, ignore_errors=True)
        if not profile.exists():
            return
        time.sleep(0.2 * (attempt + 1))
    warnings.warn(f"could not remove the browser profile {profile}; it is left in the temporary folder")


@dataclass
class PageReport:
    url: str
    console_errors: list[str]
    links: list[dict]
    images: list[dict]
    height: int


class Chromium:
    """A headless Chromium with one tab, driven over the DevTools Protocol."""

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 900, timeout: float = 60):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise FileNotFoundError(INSTALL_HINT)
        self.width, self.height, self.timeout = width, height, timeout
        self._ids = itertools.count(1)
        self._events: list[dict] = []

    def __enter__(self) -> "Chromium":
        import websocket  # websocket-client

        self._profile = Path(tempfile.mkdtemp(prefix="site-check-"))
        args = [self.executable, "--headless=new", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={self._profile}", "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--hide-scrollbars",
                "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
                "about:blank"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox (CI runs as root)
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)  # its own group, ended as one in __exit__
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"{self.executable} did not start its DevTools endpoint")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self._socket = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=self.timeout,
                                                   suppress_origin=True)
        target = self._send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self._send(f"{domain}.enable", session=True)
        self._send("Emulation.setDeviceMetricsOverride", session=True, width=self.width, height=self.height,
                   deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc):
        # Ask the browser to close (it flushes its profile), then end its whole process group: Chromium's
        # helper processes can outlive the main one and keep writing into the profile being removed.
        if getattr(self, "_socket", None):
            try:
                self._socket.send(json.dumps({"id": next(self._ids), "method": "Browser.close"}))
            except Exception:  # the browser may already be gone; closing is best effort
                pass
            self._socket.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self._process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
        remove_profile(self._profile)

    def _send(self, method: str, session: bool = False, **params) -> dict:
        message = {"id": next(self._ids), "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._socket.send(json.dumps(message))
        while True:
            reply = json.loads(self._socket.recv())
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def _wait_for(self, method: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == method for e in self._events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {self.timeout} s")
            self._events.append(json.loads(self._socket.recv()))

    def visit(self, url: str) -> PageReport:
        """Load `url`, wait for its load event, and report its console errors, links and images."""
        self._events.clear()
        self._send("Page.navigate", session=True, url=url)
        self._wait_for("Page.loadEventFired")
        result = self._send("Runtime.evaluate", session=True, expression=PAGE_SCRIPT, returnByValue=True)
        facts = json.loads(result["result"]["value"])
        return PageReport(url, console_errors(self._events), facts["links"], facts["images"], facts["height"])

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the current page."""
        return self._send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)["result"].get("value")

    def screenshot(self, path: Path, max_height: int = 3000) -> Path:
        """A PNG of the current page from the top, as tall as the page up to `max_height` pixels."""
        import base64

        height = json.loads(self._send("Runtime.evaluate", session=True, expression=PAGE_SCRIPT,
                                       returnByValue=True)["result"]["value"])["height"]
        clip = {"x": 0, "y": 0, "width": self.width, "height": min(max(height, self.height), max_height), "scale": 1}
        data = self._send("Page.captureScreenshot", session=True, format="png", clip=clip,
                          captureBeyondViewport=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def console_errors(events: list[dict]) -> list[str]:
    """Errors a page logged: console.error/assert calls, uncaught exceptions, and browser log errors
    (failed resource loads, blocked requests)."""
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            errors.append(f"log: {entry.get('text', '')} {entry.get('url', '')}".strip())
    return errors


@dataclass
class SiteReport:
    pages: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    absolute_links: list[str] = field(default_factory=list)
    files_linked: int = 0
    images_loaded: int = 0

    @property
    def problems(self) -> list[str]:
        return ([f"console error {e}" for e in self.console_errors] + [f"broken link {e}" for e in self.broken_links]
                + [f"image not loaded {e}" for e in self.broken_images]
                + [f"absolute link {e}" for e in self.absolute_links])


def check_site(reports: Path, browser: Chromium) -> SiteReport:
    """Visit every HTML page under `reports` reachable from reports/index.html."""
    reports = Path(reports).resolve()
    report = SiteReport()
    queue, seen = [reports / "index.html"], set()
    while queue:
        page = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        result = browser.visit(page.as_uri())
        report.pages.append(str(page.relative_to(reports)))
        report.console_errors += [f"on {page.name}: {e}" for e in result.console_errors]
        for image in result.images:
            if image["ok"]:
                report.images_loaded += 1
            else:
                report.broken_images.append(f"on {page.name}: {image['src']}")
        for link in result.links:
            raw, parsed = link["raw"], urlparse(link["url"])
            if parsed.scheme in ("http", "https", "mailto"):
                continue  # outside the site; not fetched (the check runs offline)
            if raw.startswith(("/", "file:")):
                report.absolute_links.append(f"on {page.name}: {raw}")
            if parsed.scheme != "file":
                continue
            target = Path(unquote(parsed.path))
            if not target.exists():
                report.broken_links.append(f"on {page.name}: {raw}")
                continue
            report.files_linked += 1
            if target.suffix == ".html" and target.is_relative_to(reports):
                queue.append(target)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", type=Path, help="the site's folder (OUT/reports)")
    parser.add_argument("--study", default=None, help="study whose page is screenshot (default: the first)")
    parser.add_argument("--screenshots", type=Path, default=None, help="folder for front_page.png, study_page.png")
    args = parser.parse_args(argv)
    if not find_chromium():
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    with Chromium() as browser:
        report = check_site(args.reports, browser)
        if args.screenshots:
            study = args.study or sorted(p.parent.name for p in args.reports.glob("*/index.html"))[0]
            for name, page in (("front_page", args.reports / "index.html"),
                               ("study_page", args.reports / study / "index.html")):
                browser.visit(page.resolve().as_uri())
                print(f"wrote {browser.screenshot(args.screenshots / f'{name}.png')}")
    print(f"{len(report.pages)} pages, {report.files_linked} links to files, {report.images_loaded} images loaded")
    for problem in report.problems:
        print(problem, file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
