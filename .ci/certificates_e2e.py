#!/usr/bin/env python3
"""Certificates end to end, as a new member and an organizer meet them, on the real binary.

    python3 .ci/certificates_e2e.py BIN

Starts BIN (the embedded default: SQLite and the demo data in a fresh folder), registers a new
member with a fully accented Vietnamese name, takes the shipped political-theory course through
the HTTP API (every lesson quiz and the final test, answered from the answer keys an admin may
read), and checks the certificate that completing it yields:

- the PDF turned into text (`pdftotext`) holds the name with every diacritic and the code;
- its QR code (`pdftoppm` then `zbarimg`) decodes to the public verification URL;
- that page, in headless Chromium at a phone's width (`.ci/check_verify_page.py`), shows the
  same name and "hợp lệ" without horizontal scrolling;
- the portable credential verifies with an independent implementation
  (`.ci/check_credential.py`);
- `BIN verify-certificate FILE.pdf` accepts the PDF against the published keys, and refuses a
  copy whose embedded facts differ by one byte;
- after an organizer revokes it, the page says "thu hồi" with the reason, and so does
  `BIN verify-certificate CODE` (looked up in the database, signature checked);
- `BIN export-certificates` writes a ZIP holding its PDF.

Needs: poppler-utils, zbar-tools, chromium, and the Python packages playwright, cryptography
and jcs (`.ci/run` installs them). Exits non-zero with a message at the first failure.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

NAME = "Nguyễn Thị Ánh Dương"
COURSE = "Học lý luận chính trị dành cho đoàn viên mới"
HERE = os.path.dirname(os.path.abspath(__file__))


def fail(msg):
    print(f"certificates e2e FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None, headers=None, raw=False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                content = res.read()
                return res.status, content if raw else json.loads(content or b"null")
        except urllib.error.HTTPError as e:
            content = e.read()
            fail(f"{method} {path} answered {e.code}: {content[:500]!r}")

    def get(self, path, token=None, raw=False):
        return self.call("GET", path, token, raw=raw)[1]

    def post(self, path, token=None, body=None, headers=None):
        return self.call("POST", path, token, body if body is not None else {}, headers)[1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def answer_keys(api, admin):
    keys = {}
    for bank in api.get("/api/v1/question-banks", admin):
        detail = api.get(f"/api/v1/question-banks/{bank['id']}", admin)
        for q in detail["items"]:
            keys[q["id"]] = {o["text"] for o in q["options"] if o.get("correct")}
    return keys


def pass_quiz(api, token, quiz, keys, tag):
    paper = api.post(f"/api/v1/quizzes/{quiz}/attempts", token)
    answers = []
    for q in paper["questions"]:
        right = keys[q["id"]]
        answers.append(
            {"question_id": q["id"], "option_ids": [o["id"] for o in q["options"] if o["text"] in right]}
        )
    path = f"/api/v1/attempts/{paper['attempt_id']}"
    api.call("PUT", f"{path}/answers", token, {"answers": answers})
    result = api.post(f"{path}/submit", token, headers={"Idempotency-Key": tag})
    if not result["result"]["passed"]:
        fail(f"quiz {quiz} not passed with every answer right: {result}")


def main():
    if len(sys.argv) != 2:
        fail("usage: certificates_e2e.py BIN")
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="soiduong-cert-e2e-")
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
        check(api=Api(base), base=base, binary=binary, work=work, env=env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def check(api, base, binary, work, env):
    admin_pw = "quan-tri-e2e-2026"
    made = run([binary, "create-admin", "--login", "admin@example.vn", "--password-stdin"],
               input=admin_pw + "\n", cwd=work, env=env)
    if made.returncode != 0:
        fail(f"create-admin: {made.stderr}")
    admin = api.post("/api/v1/auth/login", body={"login": "admin@example.vn", "password": admin_pw})["access_token"]
    keys = answer_keys(api, admin)

    ward = next(u for u in api.get("/api/v1/units") if u["kind"] == "ward")
    api.post("/api/v1/auth/register", body={
        "full_name": NAME, "phone": "0913 579 246", "password": "hoc-ly-luan-e2e",
        "birth_date": "2004-09-02", "unit_id": ward["id"], "categories": ["new_member", "youth"],
        "admitted_on": "2026-03-26",
    })
    token = api.post("/api/v1/auth/login", body={"login": "0913579246", "password": "hoc-ly-luan-e2e"})["access_token"]

    course = next(c for c in api.get("/api/v1/courses", token) if c["title"] == COURSE)
    course = api.get(f"/api/v1/courses/{course['id']}", token)
    for i, lesson in enumerate(course["lessons"]):
        api.get(f"/api/v1/lessons/{lesson['id']}", token)
        if lesson.get("quiz_id"):
            pass_quiz(api, token, lesson["quiz_id"], keys, f"bai-{i}")
        else:
            api.post(f"/api/v1/lessons/{lesson['id']}/complete", token)
    if course.get("final_test_id"):
        pass_quiz(api, token, course["final_test_id"], keys, "cuoi-khoa")
    progress = api.get(f"/api/v1/courses/{course['id']}/progress", token)
    if not progress["completed"]:
        fail(f"the course is not completed: {progress}")

    mine = api.get("/api/v1/me/certificates", token)
    if len(mine) != 1:
        fail(f"completing the course gave {len(mine)} certificates")
    cert = mine[0]
    if cert["holder"] != NAME or cert["status"] != "valid":
        fail(f"unexpected certificate: {cert}")
    code, url = cert["code"], cert["verify_url"]
    if url != f"{base}/verify/{code.replace('-', '')}":
        fail(f"verification URL {url} for code {code}")

    pdf_path = os.path.join(work, "chung-nhan.pdf")
    pdf = api.get(f"/api/v1/certificates/{cert['id']}.pdf", token, raw=True)
    open(pdf_path, "wb").write(pdf)
    print(f"PDF: {len(pdf)} bytes")
    if len(pdf) > 30 * 1024:
        fail(f"the PDF is {len(pdf)} bytes (at most 30 KB)")
    text = run(["pdftotext", "-layout", pdf_path, "-"])
    if text.returncode != 0:
        fail(f"pdftotext: {text.stderr}")
    flat = re.sub(r"\s+", " ", text.stdout)
    for needle in (NAME, code, ward["name"]):
        if needle not in flat:
            fail(f"pdftotext does not find {needle!r} in:\n{text.stdout}")
    png = os.path.join(work, "trang")
    raster = run(["pdftoppm", "-r", "200", "-png", "-singlefile", pdf_path, png])
    if raster.returncode != 0:
        fail(f"pdftoppm: {raster.stderr}")
    qr = run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png + ".png"])
    if qr.stdout.strip() != url:
        fail(f"the QR code decodes to {qr.stdout.strip()!r}, not {url!r} ({qr.stderr})")
    print(f"PDF text holds the name and code; QR → {url}")

    page = run([sys.executable, os.path.join(HERE, "check_verify_page.py"), url, NAME, "hợp lệ", code],
               env={**os.environ, "SHOT": os.path.join(work, "valid.png")})
    if page.returncode != 0:
        fail(f"verification page (valid): {page.stdout}{page.stderr}")
    print(page.stdout.strip())

    cred_path = os.path.join(work, "credential.json")
    cred = api.get(f"/api/v1/certificates/{cert['id']}/credential.json", token)
    json.dump(cred, open(cred_path, "w"), ensure_ascii=False)
    checked = run([sys.executable, os.path.join(HERE, "check_credential.py"), cred_path])
    if checked.returncode != 0:
        fail(f"the credential does not verify independently: {checked.stdout}{checked.stderr}")
    print(checked.stdout.strip())

    keys_path = os.path.join(work, "keys.json")
    open(keys_path, "wb").write(api.get("/.well-known/soiduong-certificates.pub", raw=True))
    offline = run([binary, "verify-certificate", pdf_path, "--keys", keys_path], cwd=work, env=env)
    if offline.returncode != 0 or NAME not in offline.stdout:
        fail(f"offline verification of the PDF: {offline.stdout}{offline.stderr}")
    marker = b"SOIDUONG-CERT-V1:"
    at = pdf.find(marker)
    if at < 0:
        fail("the PDF carries no signed facts")
    forged = bytearray(pdf)
    i = at + len(marker) + 20
    forged[i] = ord("A") if forged[i] != ord("A") else ord("B")
    forged_path = os.path.join(work, "sua.pdf")
    open(forged_path, "wb").write(forged)
    refused = run([binary, "verify-certificate", forged_path, "--keys", keys_path], cwd=work, env=env)
    if refused.returncode == 0:
        fail(f"a PDF with one changed byte of signed facts verified: {refused.stdout}")
    print("offline: the PDF verifies; one changed byte of its signed facts does not")

    reason = "Cấp nhầm, sẽ cấp lại"
    api.post(f"/api/v1/certificates/{cert['id']}/revoke", admin, {"reason": reason})
    page = run([sys.executable, os.path.join(HERE, "check_verify_page.py"), url, NAME, "thu hồi", reason],
               env={**os.environ, "SHOT": os.path.join(work, "revoked.png")})
    if page.returncode != 0:
        fail(f"verification page (revoked): {page.stdout}{page.stderr}")
    print("after revocation: " + page.stdout.strip())
    by_code = run([binary, "verify-certificate", code.lower()], cwd=work, env=env)
    if by_code.returncode != 0 or "Đã thu hồi" not in by_code.stdout or reason not in by_code.stdout:
        fail(f"verify-certificate CODE after revocation: {by_code.stdout}{by_code.stderr}")
    print("offline by code: signature holds, status revoked with the reason")

    zip_path = os.path.join(work, "khoa-hoc.zip")
    exported = run([binary, "export-certificates", "--course", str(course["id"]), "--out", zip_path],
                   cwd=work, env=env)
    if exported.returncode != 0:
        fail(f"export-certificates: {exported.stdout}{exported.stderr}")
    names = zipfile.ZipFile(zip_path).namelist()
    if f"{code}.pdf" not in names or "danh-sach.csv" not in names:
        fail(f"the exported ZIP holds {names}")
    print(f"export-certificates: {names}")
    print("certificates e2e: ok")


if __name__ == "__main__":
    main()
