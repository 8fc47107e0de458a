#!/usr/bin/env python3
"""Runs the Dockerfile's build stage without a container engine.

Usage: build-stage.py TARGET_DIR

What a clean clone would send as the build context (the files git tracks, less what
.dockerignore leaves out) is copied into a scratch folder, and the build stage's instructions
run there as the Dockerfile says:
- `COPY . .` copies that context;
- `RUN` runs with bash; a cache mount inside the work dir (`/src/target`) becomes a link to
  TARGET_DIR, so the compiled dependencies of the CI's own release build serve as the cache
  does in the image; the registry cache mount is the host's cargo registry;
- paths the stage writes outside its work dir (`/usr/local/bin`) are redirected into the
  scratch folder, and what the runtime stage copies from the build stage must be there.
Any other instruction in the build stage is refused, so that this script cannot silently run
something else than the image does. Exits 1 on any failure.
"""
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent


def fail(msg):
    print(f"build stage: {msg}", file=sys.stderr)
    sys.exit(1)


def instructions(text):
    """(keyword, arguments) per instruction, continuation lines joined, comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.strip().partition(" ")
        out.append((keyword.upper(), rest.strip()))
        current = ""
    return out


def ignored(path, patterns):
    """.dockerignore: the last matching pattern wins; `!` re-includes; a match on a parent
    folder covers what is below it."""
    parts = path.split("/")
    result = False
    for negate, pattern in patterns:
        for i in range(1, len(parts) + 1):
            if fnmatch.fnmatchcase("/".join(parts[:i]), pattern):
                result = not negate
                break
    return result


if len(sys.argv) != 2:
    fail("usage: build-stage.py TARGET_DIR")
target_dir = Path(sys.argv[1]).resolve()
target_dir.mkdir(parents=True, exist_ok=True)

stages, stage = {}, None
for keyword, rest in instructions((root / "Dockerfile").read_text()):
    if keyword == "FROM":
        m = re.search(r"\bAS\s+(\S+)", rest, re.I)
        stage = m.group(1) if m else rest
        stages[stage] = []
    elif stage is not None:
        stages[stage].append((keyword, rest))
if "build" not in stages:
    fail("the Dockerfile has no stage named `build`")

patterns = []
dockerignore = root / ".dockerignore"
if dockerignore.exists():
    for line in dockerignore.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            patterns.append((negate, line.lstrip("!").strip("/")))

tracked = subprocess.run(
    ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
).stdout.decode().split("\0")
context = [p for p in tracked if p and not ignored(p, patterns) and (root / p).is_file()]

scratch = Path(tempfile.mkdtemp(prefix="soiduong-build-stage-"))
image_root = scratch / "image"
workdir = None
try:
    for keyword, rest in stages["build"]:
        if keyword == "WORKDIR":
            workdir = rest
            (image_root / rest.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY" and rest == ". .":
            if workdir is None:
                fail("COPY before WORKDIR")
            dest = image_root / workdir.lstrip("/")
            for p in context:
                (dest / p).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / p, dest / p)
            print(f"build stage: context of {len(context)} files copied to {dest}")
        elif keyword == "RUN":
            if workdir is None:
                fail("RUN before WORKDIR")
            cwd = image_root / workdir.lstrip("/")
            words = shlex.split(rest, posix=False)
            mounts = [w for w in words if w.startswith("--mount=")]
            command = rest
            for mount in mounts:
                command = command.replace(mount, "", 1)
                opts = dict(o.split("=", 1) for o in mount[len("--mount="):].split(",") if "=" in o)
                if opts.get("type") != "cache":
                    fail(f"unsupported mount {mount}")
                mount_target = opts.get("target", "")
                if mount_target.startswith(workdir.rstrip("/") + "/"):
                    link = cwd / mount_target[len(workdir.rstrip("/")) + 1:]
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(target_dir, target_is_directory=True)
                elif mount_target != "/usr/local/cargo/registry":
                    fail(f"unsupported cache mount target {mount_target}")
            # What the stage installs system-wide lands in the scratch image root instead.
            command = command.replace("/usr/local/bin", str(image_root / "usr/local/bin"))
            (image_root / "usr/local/bin").mkdir(parents=True, exist_ok=True)
            print(f"build stage: RUN {' '.join(command.split())}", flush=True)
            if subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd).returncode:
                fail("a RUN instruction of the build stage failed")
        else:
            fail(f"unsupported instruction in the build stage: {keyword} {rest}")

    for stage_name, steps in stages.items():
        for keyword, rest in steps:
            if keyword == "COPY" and "--from=build" in rest:
                src = [w for w in rest.split() if not w.startswith("--")][0]
                built = image_root / src.lstrip("/")
                if not built.exists():
                    fail(f"stage {stage_name} copies {src} from the build stage, which is not there")
                if os.access(built, os.X_OK) and built.is_file():
                    version = subprocess.run([str(built), "--version"], capture_output=True, text=True)
                    if version.returncode:
                        fail(f"{src} does not run: {version.stderr.strip()}")
                    print(f"build stage: {src} built and runs ({version.stdout.strip()})")
finally:
    shutil.rmtree(scratch, ignore_errors=True)
print("build stage: the Dockerfile's build stage works on a clean clone's context")
