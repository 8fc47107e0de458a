#!/usr/bin/env python3
"""End to end: the participants' pages (`/`, `/dang-ky`, `/dang-nhap`, a course, a lesson, a
quiz, a contest round and its board) in headless Chromium at a phone's width.

Usage: pages_e2e.py BIN

Starts `BIN serve` in a fresh temporary folder (the embedded default: SQLite, the demo units,
the shipped banks and courses). Then, in Debian's Chromium driven by Playwright (no browser
download), at 360x740:

- opens the home page, follows "Đăng ký tài khoản", searches a unit ("Núi Sam"), fills the
  form and registers: the home page greets the person by name and lists the shipped courses;
- opens "Kỹ năng số và an toàn trên không gian mạng", then its first lesson, then the next one;
- logs out with the page's button (the home page is the logged-out one again), and logs in
  through the login form;
- takes the first lesson's quiz one question per screen (moving between questions without the
  network), submits, and reads the result;
- opens the demo round from the home page, starts it, switches to all questions on one page,
  answers three, cuts the network (offline emulation), answers the rest (the page says the
  answers wait on the phone; they are queued in localStorage), restores the network after
  3 s, waits for "Đã lưu", answers the prediction question and submits; the attempt read back
  through the API holds every answer; the board shows the participant's place; a second attempt
  is left to run out (the page's clock run forward 10 minutes) and the page submits it;
- on a slow 3G link (DevTools' preset, cache off) measures how long the home page and an
  attempt page take to become usable and the bytes they move (each under 100 KB);
- on every page: no horizontal scroll (scrollWidth <= 360), no console error, no uncaught
  exception, no CSP violation, no request leaving the server's origin, and the session
  cookies are HttpOnly (not readable from the page).

Screenshots (the viewport, 360x740): /tmp/pages-{register,home,lesson,attempt,result,offline,board}-360.png;
Exits non-zero with a message at the first failure.
"""

import json
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


def wait_text(page, selector, prefix, seconds=10):
    """Waits until the element's text starts with `prefix` (polled from here: the pages' CSP
    forbids the eval that Playwright's wait_for_function needs)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        text = page.locator(selector).text_content() or ""
        if text.startswith(prefix):
            return
        time.sleep(0.1)
    fail(f"{selector} says {text!r}, not {prefix!r}, after {seconds} s")


def api(base, path, body=None, token=None):
    """Calls the JSON API; returns the decoded answer."""
    req = urllib.request.Request(base + path, method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data=data, timeout=10) as res:
        return json.loads(res.read())


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
        page.screenshot(path="/tmp/pages-register-360.png")
        go("button:has-text('Đăng ký')")
        settled("home after registering")
        body = page.inner_text("body")
        if NAME not in body or COURSE not in body:
            fail(f"the home page after registering lacks the name or the course:\n{body[:1500]}")
        page.screenshot(path="/tmp/pages-home-360.png")

        go(f"text={COURSE}")
        settled("course")
        if COURSE not in page.inner_text("h1"):
            fail(f"the course page's heading is {page.inner_text('h1')!r}")
        go("main a[href^='/bai-hoc/']")
        settled("first lesson")
        if "Bài ôn tập" not in page.inner_text("body"):
            fail("the lesson page does not show its quiz")
        page.screenshot(path="/tmp/pages-lesson-360.png")
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

        # A lesson quiz, one question per screen: answer each, submit, see the result.
        go(f"text={COURSE}")
        settled("course again")
        go("main a[href^='/bai-hoc/']")
        go("button:has-text('Làm bài')")
        settled("lesson quiz paper")
        wait_text(page, "#dong-ho", "Còn lại")
        page.screenshot(path="/tmp/pages-attempt-360.png")
        n = page.locator("fieldset[data-q]").count()
        if n < 1:
            fail("the lesson quiz shows no question")
        for i in range(n):
            visible = page.locator("fieldset[data-q]:not([hidden])")
            if visible.count() != 1:
                fail(f"one question per screen shows {visible.count()} questions")
            visible.locator("label").first.click()
            if i + 1 < n:
                page.click("button[value=sau]")
        wait_text(page, "#trang-thai", "Đã lưu")
        go("button[value=nop]")
        settled("lesson quiz result")
        body = page.inner_text("main")
        if "Kết quả" not in body or f"/{n} câu" not in body:
            fail(f"the result page does not show the score:\n{body[:800]}")
        page.screenshot(path="/tmp/pages-result-360.png")

        # A contest round: the network drops mid-attempt; the taps made offline are kept and
        # sent when it returns, and the submitted attempt holds every answer.
        page.goto(base + "/")
        go("a.btn:has-text('Vào vòng thi')")
        settled("round page")
        if "Bảng xếp hạng" not in page.inner_text("main"):
            fail("the round page shows no board")
        go("button:has-text('Vào thi')")
        settled("round paper")
        attempt = page.locator("#bai-lam").get_attribute("data-attempt")
        go("a:has-text('Tất cả trên một trang')")
        settled("round paper, all on one page")
        questions = page.locator("fieldset[data-q]")
        n = questions.count()
        chosen = {}

        def tap(i, k):
            q = questions.nth(i)
            options = q.locator("input")
            option = options.nth(min(k, options.count() - 1))
            option.check()
            chosen[q.get_attribute("data-q")] = option.get_attribute("value")

        for i in range(3):
            tap(i, 1)
        wait_text(page, "#trang-thai", "Đã lưu")
        context.set_offline(True)
        for i in range(3, n):
            tap(i, 2)
        wait_text(page, "#trang-thai", "Mất kết nối")
        kept = page.evaluate(f"Object.keys(JSON.parse(localStorage.getItem('soiduong-bai-lam-{attempt}') || '{{}}')).length")
        if kept != n - 3:
            fail(f"offline, {kept} answers are queued in the browser instead of {n - 3}")
        page.screenshot(path="/tmp/pages-offline-360.png")
        time.sleep(3)
        context.set_offline(False)
        wait_text(page, "#trang-thai", "Đã lưu", 20)
        # The saves tried while offline failed as they should: Chromium logs each one.
        problems[:] = [m for m in problems if "ERR_INTERNET_DISCONNECTED" not in m]
        page.fill("#du-doan", "42")
        go("button[value=nop]")
        settled("round result")
        if "Xem bảng xếp hạng" not in page.inner_text("main"):
            fail("the round's result page has no link to the board")
        # Read the submitted attempt through the API, as the participant.
        token = api(base, "/api/v1/auth/login", {"login": PHONE, "password": PASSWORD})["access_token"]
        view = api(base, f"/api/v1/attempts/{attempt}", token=token)
        held = {str(a["question_id"]): a["option_ids"] for a in view["answers"]}
        if view["state"] != "submitted" or any(held.get(q) != [o] for q, o in chosen.items()) \
                or len(held) != n:
            fail(f"the submitted attempt does not hold every answer: {held} vs {chosen}")
        go("a:has-text('Xem bảng xếp hạng')")
        settled("round board")
        if "Bạn đang xếp hạng" not in page.inner_text("#bang"):
            fail("the board does not show my place")
        page.screenshot(path="/tmp/pages-board-360.png")

        # At the deadline the page submits what it has by itself: the page's clock is run
        # forward past the 10 minutes (the countdown counts on the offset to the server's
        # clock, so this is the phone reaching the deadline).
        round_path = page.url
        page.clock.install()
        page.goto(round_path)
        go("button:has-text('Vào thi')")
        second = page.locator("#bai-lam").get_attribute("data-attempt")
        if second == attempt:
            fail("a new attempt reopened the submitted one")
        page.locator("fieldset[data-q]:not([hidden]) label").first.click()
        wait_text(page, "#trang-thai", "Đã lưu")
        page.clock.run_for("10:02")
        page.wait_for_selector("h1:has-text('Kết quả')", timeout=20000)
        view = api(base, f"/api/v1/attempts/{second}", token=token)
        if view["state"] != "submitted" or len(view["answers"]) != 1:
            fail(f"the deadline did not submit the attempt with its answer: {view['state']}, {view['answers']}")
        timings = slow_3g(browser, base)
        browser.close()
    print(f"pages e2e: register → home → course → lessons → log out → log in → lesson quiz → result "
          f"→ round with the network cut for 3 s mid-attempt ({n} answers, {n - 3} tapped offline, "
          f"all held by the submitted attempt) → board → a second attempt submitted by the page "
          f"at its deadline, at 360 px, no sideways scroll, no CSP "
          f"violation, no third-party request, HttpOnly session cookies")
    print("pages e2e, slow 3G (2 s round trip, 50 kB/s each way, no cache): " + "; ".join(
        f"{what} usable in {t:.1f} s, {size / 1024:.1f} KiB transferred" for what, (t, size) in timings.items()))


# Chrome DevTools' "Slow 3G" preset: 400 ms × 5 latency, 500 kbit/s × 0.8 each way.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}


def transferred(page):
    """Bytes the page and its resources took over the network (headers and bodies)."""
    return page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((n, e) => n + (e.transferSize || 0), 0)""")


def slow_3g(browser, base):
    """The first page and an attempt page on a slow 3G link with an empty cache: the seconds
    until each is usable (the home page loaded with its stylesheet; the paper's countdown
    running, so its script has run) and the bytes moved. Each must stay under 100 KB."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    page.goto(base + "/dang-nhap")
    page.fill("#login", PHONE)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button:has-text('Đăng nhập')")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    out = {}
    start = time.monotonic()
    page.goto(base + "/", wait_until="load")
    out["first page (home)"] = (time.monotonic() - start, transferred(page))
    round_link = page.locator("a.btn:has-text('Vào vòng thi')").first.get_attribute("href")
    cdp.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})
    page.goto(base + round_link)
    page.click("button:has-text('Vào thi')")
    page.wait_for_url("**/lam-bai/**")
    url = page.url
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    start = time.monotonic()
    page.goto(url, wait_until="commit")
    wait_text(page, "#dong-ho", "Còn lại", 60)
    out["attempt page"] = (time.monotonic() - start, transferred(page))
    for what, (_, size) in out.items():
        if size >= 100 * 1024:
            fail(f"{what}: {size} bytes transferred, over 100 KB")
    context.close()
    return out


if __name__ == "__main__":
    main()
