#!/usr/bin/env python3
"""End to end: the participants' pages (`/`, `/dang-ky`, `/dang-nhap`, a course, a lesson) in
headless Chromium at a phone's width.

Usage: pages_e2e.py BIN

Starts `BIN serve` in a fresh temporary folder (the embedded default: SQLite, the demo units,
the shipped banks and courses). Then, in Debian's Chromium driven by Playwright (no browser
download), at 360x740:

- opens the home page, follows "Đăng ký tài khoản", searches a unit ("Núi Sam"), fills the
  form and registers: the home page greets the person by name and lists the shipped courses;
- opens "Kỹ năng số và an toàn trên không gian mạng", then its first lesson, then the next one;
- logs out with the page's button (the home page is the logged-out one again), and logs in
  through the login form;
- on every page: no horizontal scroll (scrollWidth <= 360), no console error, no uncaught
  exception, no CSP violation, no request leaving the server's origin, and the session
  cookies are HttpOnly (not readable from the page).

Screenshots: /tmp/pages-home-360.png, /tmp/pages-lesson-360.png, /tmp/pages-register-360.png.
Exits non-zero with a message at the first failure.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NAME, PHONE, PASSWORD = "Lâm Thị Ngọc Hân", "0915 444 555", "hoc-tren-dien-thoai-2026"
COURSE = "Kỹ năng số và an toàn trên không gian mạng"
INIT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def fail(msg):
    print(f"pages e2e FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    if len(sys.argv) != 2:
        fail("usage: pages_e2e.py BIN")
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="soiduong-pages-e2e-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SOIDUONG_BIND=f"127.0.0.1:{port}", SOIDUONG_PUBLIC_URL=base)
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([binary, "serve"], cwd=work, env=env, stdout=log, stderr=log)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=2)
                break
            except Exception:
                time.sleep(0.5)
        else:
            fail("the server never became ready:\n" + open(os.path.join(work, "server.log")).read())
        check(base)
    finally:
        server.terminate()
        server.wait(timeout=30)


def check(base):
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
        context.add_init_script(INIT)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        page.on("request", lambda r: r.url.startswith(base) or r.url.startswith("data:")
                or problems.append(f"third-party request: {r.url}"))

        def go(selector):
            """Clicks what navigates, and waits for the new page."""
            with page.expect_navigation():
                page.locator(selector).first.click()

        def settled(what):
            """Checks the page now shown: no horizontal scroll, no CSP violation, no problem."""
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                fail(f"{what}: scrolls sideways at 360 px (scrollWidth {width})")
            csp = page.evaluate("window.__csp")
            if csp:
                fail(f"{what}: CSP violations {csp}")
            if problems:
                fail(f"{what}: {problems}")
            if "sd_" in page.evaluate("document.cookie"):
                fail(f"{what}: a session cookie is readable from the page")

        page.goto(base + "/")
        settled("home (logged out)")
        go("text=Đăng ký tài khoản")
        settled("register")
        page.fill("#tim", "Núi Sam")
        go("button:has-text('Tìm đơn vị')")
        settled("register, unit search")
        units = page.locator("input[name=unit_id]")
        if units.count() < 1:
            fail("the unit search found nothing for 'Núi Sam'")
        units.first.check()
        page.fill("#full_name", NAME)
        page.fill("#phone", PHONE)
        page.fill("#password", PASSWORD)
        page.fill("#birth_date", "2004-05-06")
        page.screenshot(path="/tmp/pages-register-360.png", full_page=True)
        go("button:has-text('Đăng ký')")
        settled("home after registering")
        body = page.inner_text("body")
        if NAME not in body or COURSE not in body:
            fail(f"the home page after registering lacks the name or the course:\n{body[:1500]}")
        page.screenshot(path="/tmp/pages-home-360.png", full_page=True)

        go(f"text={COURSE}")
        settled("course")
        if COURSE not in page.inner_text("h1"):
            fail(f"the course page's heading is {page.inner_text('h1')!r}")
        go("main a[href^='/bai-hoc/']")
        settled("first lesson")
        if "Bài ôn tập" not in page.inner_text("body"):
            fail("the lesson page does not show its quiz")
        page.screenshot(path="/tmp/pages-lesson-360.png", full_page=True)
        go("a[rel=next]")
        settled("next lesson")

        go("button:has-text('Đăng xuất')")
        settled("home after logging out")
        if NAME in page.inner_text("body") or page.locator("text=Đăng ký tài khoản").count() != 1:
            fail("logging out did not end the session")
        go("a.btn:has-text('Đăng nhập')")
        settled("login")
        page.fill("#login", PHONE)
        page.fill("#password", PASSWORD)
        go("button:has-text('Đăng nhập')")
        settled("home after logging in")
        if NAME not in page.inner_text("body"):
            fail("logging in through the form did not open a session")
        cookies = {c["name"]: c for c in context.cookies()}
        for name in ("sd_access", "sd_refresh"):
            if name not in cookies or not cookies[name]["httpOnly"]:
                fail(f"the cookie {name} is missing or not HttpOnly: {cookies.get(name)}")
        browser.close()
    print("pages e2e: register → home → course → lessons → log out → log in at 360 px, no sideways "
          "scroll, no CSP violation, no third-party request, HttpOnly session cookies")


if __name__ == "__main__":
    main()
