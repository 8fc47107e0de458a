#!/usr/bin/env python3
"""Checks a certificate verification page in a real headless Chromium at a phone's width.

Usage: check_verify_page.py [--status CODE] URL [EXPECT_TEXT...]

Opens URL at a 360x740 viewport (touch, device scale 2) in Debian's /usr/bin/chromium (no
browser download) and checks that:
  - the response status is CODE (default 200; pass --status 404 for a not-found page),
  - every EXPECT_TEXT is visible in the rendered page text,
  - document.documentElement.scrollWidth <= window.innerWidth <= 360 (no horizontal
    scrolling, and no zooming out to fit wide content),
  - the page asked for nothing but itself (no third-party or extra requests).
Saves a full-page screenshot to the path in the environment variable SHOT, if set.
Prints "page OK" and exits 0, or prints each problem and exits 1.

Requirements: apt-get install -y chromium; pip install playwright
"""

import os
import sys

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTH = 360


def parse_args(argv):
    status = 200
    args = list(argv)
    if args[:1] == ["--status"] and len(args) >= 2:
        status = int(args[1])
        args = args[2:]
    if not args:
        print(__doc__.split("\n\n")[1])
        sys.exit(2)
    return status, args[0], args[1:]


def main() -> None:
    want_status, url, expected = parse_args(sys.argv[1:])
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        )
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        response = page.goto(url, wait_until="load")
        if response is None:
            problems.append(f"no response from {url}")
        elif response.status != want_status:
            problems.append(f"status {response.status}, expected {want_status}")

        text = page.inner_text("body")
        for want in expected:
            if want not in text:
                problems.append(f"text not on the page: {want!r}")
            elif not page.get_by_text(want, exact=False).first.is_visible():
                problems.append(f"text present but not visible: {want!r}")

        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        # A mobile browser widens the layout viewport (zooming out) to fit content that is too
        # wide, so innerWidth alone would grow with the overflow: hold both to the phone's width.
        if scroll_width > inner_width or inner_width > WIDTH:
            problems.append(
                f"horizontal scroll: content is {scroll_width}px wide, window {inner_width}px, "
                f"phone {WIDTH}px"
            )
        others = [r for r in requests if r.split("#")[0] != url.split("#")[0]]
        if others:
            problems.append(f"extra requests: {others}")

        shot = os.environ.get("SHOT")
        if shot:
            page.screenshot(path=shot, full_page=True)
        browser.close()

    if problems:
        for problem in problems:
            print(f"page FAILED ({url}): {problem}")
        sys.exit(1)
    print(f"page OK ({url}, {scroll_width}px <= {inner_width}px)")


if __name__ == "__main__":
    main()
