#!/usr/bin/env python3
"""End to end: the organizer dashboard (`/dashboard`) in headless Chromium.

Usage: dashboard_e2e.py BIN

Starts `BIN serve` in a fresh temporary folder (the embedded default: SQLite and the demo
units), makes an admin (`BIN create-admin`), registers a member over the API and has the
admin appoint them organizer of "Thành Đoàn Châu Đốc". Then, in Debian's Chromium driven by
Playwright (no browser download), at 1280x900 and again at 360x740:

- logs in through the page's form and waits for the indicator table (the row "2.3" of the
  2030 phase);
- uploads a small roster CSV through the page's form: "Xem trước" (nothing written), then
  "Cập nhật danh sách" (checked over the API: the members are there);
- checks the SVG chart has one bar (rect) per child unit, clicks a child unit: the heading
  and the breadcrumb name it and the table reloads; the breadcrumb leads back;
- downloads the CSV export (file name from Content-Disposition);
- at 360 px: no horizontal scroll (scrollWidth <= 360);
- throughout: no console error, no uncaught exception, no CSP violation, no request leaving
  the server's origin.

Screenshots: /tmp/dashboard-1280.png and /tmp/dashboard-360.png. Exits non-zero with a
message at the first failure.
"""

import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DISTRICT = "Thành Đoàn Châu Đốc"
ORGANIZER = ("Phạm Thị Thu Hường", "0914 222 333", "0914222333", "dieu-hanh-e2e-2026")
ROSTER = (
    "\ufeffSTT;Họ và tên;Ngày sinh;Số điện thoại;Đối tượng;Ngày kết nạp;Đơn vị\n"
    "1;Nguyễn Văn An;01/02/1995;0912000001;cán bộ, đoàn viên;;Đoàn phường Núi Sam\n"
    "2;Trần Thị Bình;02/03/2001;;đoàn viên;;Đoàn phường Núi Sam\n"
    "3;Lê Văn Cường;03/04/2003;0912000003;thanh niên;;Đoàn xã Vĩnh Tế\n"
    "4;Võ Thị Diễm;04/05/2004;;đoàn viên;;Đoàn phường Châu Phú A\n"
)
INIT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def fail(msg):
    print(f"dashboard e2e FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                return json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            fail(f"{method} {path} answered {e.code}: {e.read()[:500]!r}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    if len(sys.argv) != 2:
        fail("usage: dashboard_e2e.py BIN")
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="soiduong-dashboard-e2e-")
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
        check(Api(base), base, binary, work, env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def arrange(api, binary, work, env):
    """An admin, an organizer of the district, and the current year in the 2030 phase."""
    admin_pw = "quan-tri-e2e-2026"
    made = subprocess.run([binary, "create-admin", "--login", "admin@example.vn", "--password-stdin"],
                          input=admin_pw + "\n", cwd=work, env=env, capture_output=True, text=True)
    if made.returncode != 0:
        fail(f"create-admin: {made.stderr}")
    admin = api.call("POST", "/api/v1/auth/login", body={"login": "admin@example.vn", "password": admin_pw})[
        "access_token"]

    units = api.call("GET", "/api/v1/units")
    district = next((u for u in units if u["name"] == DISTRICT), None)
    if district is None:
        fail(f"the demo unit {DISTRICT} is missing")
    children = [u for u in units if u["parent_id"] == district["id"]]
    name, phone, login, password = ORGANIZER
    api.call("POST", "/api/v1/auth/register", body={
        "full_name": name, "phone": phone, "password": password, "birth_date": "1992-05-19",
        "unit_id": district["id"], "categories": ["cadre"],
    })
    token = api.call("POST", "/api/v1/auth/login", body={"login": login, "password": password})["access_token"]
    me = api.call("GET", "/api/v1/me", token)
    api.call("POST", f"/api/v1/units/{district['id']}/organizers", admin, {"user_id": me["id"]})

    # Viet Nam's calendar year (UTC+7), as the page picks it from the browser's clock; in the
    # 2030 phase, with the yearly reports still open so that child units can submit figures.
    year = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).year
    api.call("PUT", f"/api/v1/indicator-years/{year}", admin, {
        "phase": "2030", "from": f"{year - 1}-10-01", "to": f"{year}-09-30",
        "cutoff": f"{year}-09-30", "deadline": f"{year}-12-31",
    })
    # Two child units report a figure, one above and one below target, so the chart has bars
    # of both kinds and the submissions list both states.
    catalogue = api.call("GET", "/api/v1/indicators", admin)
    reported = next((i for i in catalogue["indicators"]
                     if i["measure"] == "reported_rate" and "2030" in i["codes"]), None)
    if reported is None:
        fail("the catalogue has no reported rate indicator in the 2030 phase")
    ordered = sorted(children, key=lambda u: u["id"])
    for unit, numerator in zip(ordered[:2], (10, 3)):
        api.call("POST", "/api/v1/indicator-reports", token, {
            "unit_id": unit["id"], "year": year,
            "figures": [{"indicator": reported["key"], "numerator": numerator, "denominator": 10,
                         "evidence": "Danh sách trang kèm theo"}],
        })
    return admin, district, children, year


def check(api, base, binary, work, env):
    admin, district, children, year = arrange(api, binary, work, env)
    roster = os.path.join(work, "danh-sach-doan-vien.csv")
    with open(roster, "w", encoding="utf-8") as f:
        f.write(ROSTER)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            wide(browser, base, district, children, roster, year)
            members = api.call("GET", f"/api/v1/units/{district['id']}/members", admin)
            names = {m["full_name"] for m in (members if isinstance(members, list) else members.get("items", []))}
            if "Võ Thị Diễm" not in names:
                fail(f"after «Cập nhật danh sách» the district's members are {sorted(names)}")
            narrow(browser, base, district)
        finally:
            browser.close()
    print("dashboard e2e: ok")


class Watch:
    """Console errors, uncaught exceptions, CSP violations and requests off the origin."""

    def __init__(self, page, base):
        self.page, self.base, self.problems = page, base, []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.on("request", self.request)

    def request(self, r):
        url = r.url
        if not (url.startswith(self.base + "/") or url.startswith("blob:" + self.base + "/")
                or url.startswith("data:")):
            self.problems.append(f"request off the origin: {url}")

    def done(self, where):
        csp = self.page.evaluate("window.__csp || []")
        problems = self.problems + [f"CSP violation: {v}" for v in csp]
        if problems:
            fail(f"{where}:\n  " + "\n  ".join(problems))


def open_page(browser, base, **context):
    ctx = browser.new_context(locale="vi-VN", accept_downloads=True, **context)
    ctx.add_init_script(INIT)
    page = ctx.new_page()
    watch = Watch(page, base)
    res = page.goto(base + "/dashboard", wait_until="load")
    if res is None or res.status != 200:
        fail(f"/dashboard answered {res and res.status}")
    csp = res.headers.get("content-security-policy", "")
    if "script-src 'self'" not in csp or "unsafe-inline" in csp:
        fail(f"/dashboard CSP header: {csp!r}")
    return ctx, page, watch


def log_in(page, district):
    _, _, login, password = ORGANIZER
    page.get_by_label("Số điện thoại hoặc email").fill(login)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    wait_table(page, district["name"])


def wait_table(page, unit_name):
    """The heading names the unit and the table holds the row 2.3, after the report loaded."""
    try:
        page.wait_for_function(
            """(name) => document.getElementById('title').textContent === name
                && document.getElementById('indicators').dataset.unit === name
                && document.querySelector('table.groups[data-code="2.3"] tbody tr')""",
            arg=unit_name, timeout=30000)
    except Exception as e:
        fail(f"the indicator table of {unit_name} never showed (status: "
             f"{page.text_content('#status')!r}): {e}")


def wide(browser, base, district, children, roster, year):
    ctx, page, watch = open_page(browser, base, viewport={"width": 1280, "height": 900})
    log_in(page, district)
    if page.input_value("#year") != str(year):
        fail(f"the year picker shows {page.input_value('#year')}, not {year}")

    # The roster through the page: a preview writes nothing, then the update.
    page.set_input_files("#roster-file", roster)
    page.get_by_role("button", name="Xem trước").click()
    page.wait_for_selector("#roster-apply:not([hidden])", timeout=30000)
    preview = page.text_content("#roster-out")
    if "Xem trước" not in preview or "thêm mới 4" not in preview:
        fail(f"the roster preview reads: {preview!r}")
    page.get_by_role("button", name="Cập nhật danh sách").click()
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Đã cập nhật danh sách')",
        timeout=30000)
    wait_table(page, district["name"])
    if "Đã cập nhật" not in page.text_content("#roster-out"):
        fail(f"after the update the roster box reads: {page.text_content('#roster-out')!r}")
    overall = page.text_content('table.groups[data-code="2.3"] tbody tr')
    print(f"2.3 overall after the roster: {' '.join(overall.split())}")

    # The chart: one bar per child unit, each with its rectangles.
    charts = page.locator("#indicators svg.chart")
    if charts.count() == 0:
        fail("no SVG chart")
    bars = charts.first.locator("a.unit-bar")
    if bars.count() != len(children):
        fail(f"the chart has {bars.count()} bars for {len(children)} child units")
    rects = charts.first.locator("a.unit-bar rect")
    if rects.count() < 2 * len(children):
        fail(f"the chart has {rects.count()} rect elements for {len(children)} child units")

    # The CSV export, downloaded with the bearer token under the server's file name.
    with page.expect_download(timeout=30000) as dl:
        page.get_by_role("button", name="Tải CSV").click()
    if not dl.value.suggested_filename.endswith(".csv"):
        fail(f"the CSV export is named {dl.value.suggested_filename!r}")
    page.screenshot(path="/tmp/dashboard-1280.png", full_page=True)

    # Drill down from the chart, and back up through the breadcrumb.
    child = bars.first.locator("title").text_content().split(":")[0]
    bars.first.click()
    wait_table(page, child)
    crumbs = page.text_content("#crumbs")
    if district["name"] not in crumbs or child not in crumbs:
        fail(f"the breadcrumb after drilling into {child} reads {crumbs!r}")
    page.get_by_role("button", name=district["name"], exact=True).click()
    wait_table(page, district["name"])
    if page.locator("#crumbs li").count() != 1:
        fail(f"the breadcrumb back at the district reads {page.text_content('#crumbs')!r}")
    print(f"1280 px: table, chart ({bars.count()} bars), roster preview and update, CSV export, "
          f"drill-down into {child} and back")
    watch.done("at 1280 px")
    ctx.close()


def narrow(browser, base, district):
    ctx, page, watch = open_page(browser, base, viewport={"width": 360, "height": 740},
                                 device_scale_factor=2, is_mobile=True, has_touch=True)
    log_in(page, district)
    child = page.locator("#indicators svg.chart a.unit-bar").first
    name = child.locator("title").text_content().split(":")[0]
    child.click()
    wait_table(page, name)
    page.get_by_role("button", name=district["name"], exact=True).click()
    wait_table(page, district["name"])
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    page.screenshot(path="/tmp/dashboard-360.png", full_page=True)
    if scroll > 360 or inner > 360:
        fail(f"horizontal scroll at 360 px: content {scroll}px, window {inner}px")
    print(f"360 px: no horizontal scroll ({scroll}px), drill-down into {name} and back")
    watch.done("at 360 px")
    ctx.close()


if __name__ == "__main__":
    main()
