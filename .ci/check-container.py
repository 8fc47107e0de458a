#!/usr/bin/env python3
"""Checks that the Dockerfile and docker-compose.yml agree with the code, without an engine.

- the Rust image is at least the workspace's `rust-version`;
- every file the Dockerfile copies from the build context exists;
- the build stage copies the whole context before it compiles (no stub manifests, which fall
  out of date; compiled dependencies are kept by cache mounts instead);
- the health checks call an endpoint the service serves;
- every variable the compose file gives the service is one the service reads and the README
  documents.
Exits 1 with every problem found.
"""
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
problems = []

cargo = (root / "Cargo.toml").read_text()
dockerfile = (root / "Dockerfile").read_text()
compose = (root / "docker-compose.yml").read_text()
config = (root / "src" / "config.rs").read_text() + (root / "src" / "store" / "mod.rs").read_text()
readme = (root / "README.md").read_text()
ops = (root / "src" / "routes" / "ops.rs").read_text()


def version(text):
    return tuple(int(p) for p in text.split("."))


need = re.search(r'rust-version\s*=\s*"([0-9.]+)"', cargo)
image = re.search(r"FROM rust:([0-9.]+)", dockerfile)
if not need or not image:
    problems.append("cannot read rust-version from Cargo.toml or the rust image from Dockerfile")
elif version(image.group(1)) < version(need.group(1)):
    problems.append(f"Dockerfile builds with Rust {image.group(1)} but Cargo.toml needs {need.group(1)}")

for line in dockerfile.splitlines():
    m = re.match(r"\s*COPY\s+(.*)", line)
    if not m or "--from=" in m.group(1):
        continue
    parts = [p for p in m.group(1).split() if not p.startswith("--")]
    for src in parts[:-1]:
        if src != "." and not (root / src).exists():
            problems.append(f"Dockerfile copies {src}, which is not in the repository")

build_stage = re.split(r"(?im)^FROM\s", dockerfile)
build_stage = next((st for st in build_stage if re.match(r"\S+\s+AS\s+build\b", st, re.I)), None)
if build_stage is None:
    problems.append("the Dockerfile has no stage named `build`")
else:
    copies = re.findall(r"(?m)^\s*COPY\s+(.*)$", build_stage)
    first_run = re.search(r"(?m)^\s*RUN\s", build_stage)
    whole = re.search(r"(?m)^\s*COPY\s+\.\s+\.\s*$", build_stage)
    if not whole or (first_run and first_run.start() < whole.start()):
        problems.append("the build stage must `COPY . .` before its first RUN")
    if [c for c in copies if c.strip() != ". ."]:
        problems.append("the build stage copies single files (stub manifests?): copy the whole context and use cache mounts")
    if re.search(r"cargo\s+(new|init)\b|fn main\(\)\s*\{\s*\}", build_stage):
        problems.append("the build stage makes stub sources: use cache mounts instead")

for path in set(re.findall(r"curl[^\n]*?127\.0\.0\.1:8080(/[a-z]+)", dockerfile + compose)):
    if f'#[get("{path}")]' not in ops:
        problems.append(f"a health check calls {path}, which the service does not serve")

app = compose.split("\n  app:", 1)[-1]
env = app.split("environment:", 1)[-1].split("\n    ports:", 1)[0]
for var in re.findall(r"^\s{6}([A-Z][A-Z0-9_]+):", env, re.M):
    if f'"{var}"' not in config:
        problems.append(f"docker-compose.yml sets {var}, which the service never reads")
    if f"`{var}`" not in readme:
        problems.append(f"docker-compose.yml sets {var}, which the README's configuration table does not document")

for p in problems:
    print(f"container check: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print("container check: Dockerfile and docker-compose.yml agree with the code")
