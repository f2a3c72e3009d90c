#!/usr/bin/env bash
# Fixes never break a program: `refhound check --strict --fix --unsafe-fixes` on a copy of the local
# python3's standard library (its *.py files, site-packages and dist-packages left out), then
# CPython compiles every file the fixes changed. Fails when a changed file that compiled before
# no longer compiles, when refhound fails, when its tally disagrees with the files that
# changed, or when nothing was fixed (then nothing was tested). Prints the fixes applied and
# the files changed. `--strict` because the default level finds little to fix in the standard
# library (its shapes are mostly made once per process), and the fixes are the same at both levels.
#
# Usage: tests/fixes_never_break.sh BIN
set -euo pipefail
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/refhound-fixes.XXXXXX")
trap 'rm -rf "$T"' EXIT

python3 - "$BIN" "$T" <<'PY'
import os, re, shutil, subprocess, sys, sysconfig

refhound, temporary = sys.argv[1:]
stdlib = sysconfig.get_paths()["stdlib"]
copy = os.path.join(temporary, "stdlib")
originals = {}  # path in the copy -> path in the standard library
for directory, subdirectories, files in os.walk(stdlib):
    subdirectories[:] = sorted(
        d for d in subdirectories
        if d not in ("site-packages", "dist-packages", "__pycache__")
        and not os.path.islink(os.path.join(directory, d))
    )
    for name in files:
        source = os.path.join(directory, name)
        if not name.endswith(".py") or os.path.islink(source):
            continue
        target = os.path.join(copy, os.path.relpath(source, stdlib))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
        originals[target] = source

# Each top-level entry named on the command line, so that packages named like directories
# check skips below an argument (the stdlib's own `venv`) are fixed too.
roots = [os.path.join(copy, entry) for entry in sorted(os.listdir(copy))]
run = subprocess.run(
    [refhound, "check", "--strict", "--fix", "--unsafe-fixes", "--exit-zero", *roots],
    capture_output=True, text=True,
)
if run.returncode != 0 or "panicked" in run.stderr:
    print(f"FAILED: refhound exited with status {run.returncode}")
    print(run.stderr[-2000:])
    sys.exit(1)
tally = re.search(r"^Fixed (\d+) findings? \((\d+) files?\)\.$", run.stdout, re.M)
if not tally:
    print("FAILED: no `Fixed N findings (M files).` line in refhound's output")
    sys.exit(1)
fixes, fixed_files = map(int, tally.groups())


def compiles(path):
    with open(path, "rb") as f:
        source = f.read()
    try:
        compile(source, path, "exec")
        return None
    except (SyntaxError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


changed = []
for target, source in sorted(originals.items()):
    with open(target, "rb") as a, open(source, "rb") as b:
        if a.read() != b.read():
            changed.append(target)
broken = 0
for path in changed:
    error = compiles(path)
    if error and compiles(originals[path]) is None:
        print(f"BROKEN: {os.path.relpath(path, copy)}: {error}")
        broken += 1
print(f"{len(originals)} files copied; {fixes} fix(es) applied; {len(changed)} file(s) changed; "
      f"{broken} no longer compile")
for line in run.stderr.splitlines():
    if "not fixed" in line or "not applied" in line:
        print(f"  {line}")
if len(changed) != fixed_files:
    print(f"FAILED: refhound says it changed {fixed_files} files, {len(changed)} changed")
    sys.exit(1)
if not fixes:
    print("FAILED: nothing was fixed, so nothing was tested")
    sys.exit(1)
sys.exit(1 if broken else 0)
PY
