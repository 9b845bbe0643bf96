"""Headless Chromium driven over the DevTools protocol on a pipe, for tests that open a page.

`--remote-debugging-pipe` makes Chromium read protocol commands from fd 3 and write replies to
fd 4, NUL-separated JSON: no port, no websocket library. The page's console errors, uncaught
exceptions and failed loads are collected, `evaluate` runs JavaScript in it, `screenshot` saves a
PNG. Flags keep it off the network and out of the user's profile.

Example::

    with Chromium() as browser:
        browser.open("file:///tmp/report.html")
        assert browser.evaluate("document.querySelectorAll('.main-svg').length") > 0
        browser.screenshot("shot.png")
        assert not browser.errors
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio")


def find_chromium() -> str | None:
    """The browser to run: $REALIGN_CHROMIUM, else the first of CANDIDATES on PATH."""
    env = os.environ.get("REALIGN_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Chromium:
    def __init__(self, binary: str | None = None, *, width: int = 1280, height: int = 900, timeout_s: float = 60):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise FileNotFoundError("no Chromium found (apt-get install chromium, or set REALIGN_CHROMIUM)")
        self.width, self.height, self.timeout_s = width, height, timeout_s
        self.errors: list[str] = []  # console errors, uncaught exceptions, failed loads
        self._next_id = 0
        self._buf = b""
        self._session: str | None = None

    def __enter__(self) -> "Chromium":
        self._profile = tempfile.mkdtemp(prefix="realign-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # in the child: its fd 3 reads our commands, its fd 4 carries replies
            # Move both above 4 first: either may itself be fd 3 or 4 (and dup2 onto itself
            # would leave it close-on-exec).
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._proc = subprocess.Popen(
            [self.binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        target = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_child, self._from_child):
            os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    # ---- protocol ----------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium exited")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def _event(self, msg: dict[str, Any]) -> None:
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: " + str((d.get("exception") or {}).get("description") or d.get("text")))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            self.errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())

    def call(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self._session:
            msg["sessionId"] = self._session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def _wait_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        while True:
            msg = self._read_message(deadline)
            self._event(msg)
            if msg.get("method") == method:
                return msg.get("params", {})

    # ---- what tests use ------------------------------------------------------------------------
    def open(self, url: str) -> None:
        """Load `url` and wait for its load event (scripts inline in the page have run)."""
        self.call("Page.navigate", url=url)
        self._wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of `expression` in the page; an exception in it raises here."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression!r} raised: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def screenshot(self, path: str | Path, *, selector: str | None = None, max_height: int | None = None,
                   scale: float = 1.0) -> bytes:
        """Save a PNG of the whole page, or of the element `selector` finds, at most `max_height`
        CSS pixels tall, scaled by `scale`; returns its bytes."""
        if selector:
            box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                                ".getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()")
        else:
            box = [0, 0, self.width, self.evaluate("document.documentElement.scrollHeight")]
        x, y, w, h = (float(v) for v in box)
        if max_height:
            h = min(h, max_height)
        png = base64.b64decode(self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                                         clip={"x": x, "y": y, "width": w, "height": h, "scale": scale})["data"])
        Path(path).write_bytes(png)
        return png
