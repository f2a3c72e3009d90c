#!/usr/bin/env bash
# The Python package and the pre-commit hook, as a user gets them.
#
# Usage: tests/wheel.sh [PATH_TO_REFHOUND]   (default: target/release/refhound)
#
# 1. `.pre-commit-hooks.yaml` is accepted by pre-commit's own `validate-manifest` (and a
#    broken copy of it is refused, so the check can fail), and its hook runs `refhound check`
#    from the package this repository installs, on Python files.
# 2. `maturin build --release --out target/wheels` builds the wheel from pyproject.toml. maturin
#    runs cargo with the same profile and target directory as `cargo build --release`, so after
#    that build it only packs the binary.
# 3. The wheel is installed into a new virtualenv (target/wheel-venv, recreated each run), and
#    from there: `refhound --version` prints server/Cargo.toml's version, and
#    `refhound check tests/demo` exits 1 with the same findings (code, file, line) as
#    PATH_TO_REFHOUND, which include every rule, RH101 to RH601.
#
# maturin and pre-commit (pinned, with their dependencies) are installed from PyPI into
# target/dist-tools, once; reinstalled only when a pinned version differs.
# Prints `ok ...` or `FAIL ...` per check; exits 1 if any failed.
set -euo pipefail

ORIG_PWD=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/target/release/refhound}
case $BIN in /*) ;; */*) BIN=$ORIG_PWD/$BIN ;; *) BIN=$(command -v "$BIN" || echo "$BIN") ;; esac
cd "$ROOT"
if [[ ! -x $BIN ]]; then
    echo "FAIL setup: refhound binary not found or not executable: $BIN"
    exit 1
fi

TOOLS=$ROOT/target/dist-tools
WHEELS=$ROOT/target/wheels
VENV=$ROOT/target/wheel-venv
TOOL_PACKAGES=(
    maturin==1.16.0
    pre-commit==4.7.0
    cfgv==3.5.0 distlib==0.4.4 filelock==4.2.11 identify==2.6.20 nodeenv==1.12.0
    packaging==26.3 platformdirs==4.14.7 python-discovery==1.9.5 PyYAML==6.0.3
    virtualenv==21.15.8
)
FAILED=0
ok() { echo "ok $*"; }
fail() {
    echo "FAIL $*"
    FAILED=1
}

# ---------------------------------------------------------------- tools
if ! "$TOOLS/bin/python" - "${TOOL_PACKAGES[@]}" 2>/dev/null <<'PY'; then
import importlib.metadata as m, sys
sys.exit(any(m.version(name) != version for name, version in (p.split("==") for p in sys.argv[1:])))
PY
    echo "installing ${TOOL_PACKAGES[*]} into $TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check "${TOOL_PACKAGES[@]}"
fi
echo "$("$TOOLS/bin/maturin" --version); pre-commit $("$TOOLS/bin/pre-commit" --version | cut -d' ' -f2)"

# ---------------------------------------------------------------- the pre-commit manifest
T=$(mktemp -d "${TMPDIR:-/tmp}/refhound-wheel.XXXXXX")
trap 'rm -rf "$T"' EXIT
if "$TOOLS/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml >"$T/validate.out" 2>&1; then
    ok "pre-commit validate-manifest .pre-commit-hooks.yaml"
else
    fail "pre-commit validate-manifest .pre-commit-hooks.yaml:"
    sed 's/^/    /' "$T/validate.out"
fi
# The same validator on a copy with a language pre-commit does not know must refuse it.
sed 's/^\(  *language:\) python$/\1 pythn/' .pre-commit-hooks.yaml >"$T/broken-hooks.yaml"
if cmp -s .pre-commit-hooks.yaml "$T/broken-hooks.yaml"; then
    fail "validate-manifest refuses a broken manifest: no 'language: python' line to break"
elif "$TOOLS/bin/pre-commit" validate-manifest "$T/broken-hooks.yaml" >/dev/null 2>&1; then
    fail "validate-manifest refuses a broken manifest: 'language: pythn' was accepted"
else
    ok "validate-manifest refuses a manifest with 'language: pythn'"
fi
# What the hook does, as pre-commit reads it (its own loader, defaults filled in).
if "$TOOLS/bin/python" - .pre-commit-hooks.yaml >"$T/hook.out" 2>&1 <<'PY'; then
import sys
from pre_commit.clientlib import load_manifest

hooks = {hook["id"]: hook for hook in load_manifest(sys.argv[1])}
hook = hooks.get("refhound")
problems = []
if hook is None:
    problems.append(f"no hook with id refhound (ids: {sorted(hooks)})")
else:
    expect = {
        "name": "refhound",
        "entry": "refhound check",
        "language": "python",
        "pass_filenames": True,
        "require_serial": False,
    }
    for key, value in expect.items():
        if hook[key] != value:
            problems.append(f"{key} is {hook[key]!r}, expected {value!r}")
    if "python" not in hook["types"] + hook["types_or"]:
        problems.append(f"types {hook['types']!r} / types_or {hook['types_or']!r} select no python files")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
PY
    ok "hook refhound: entry 'refhound check', language python, python files, filenames passed"
else
    fail "hook refhound:"
    sed 's/^/    /' "$T/hook.out"
fi

# ---------------------------------------------------------------- the wheel
VERSION=$(cargo metadata --no-deps --format-version 1 --manifest-path server/Cargo.toml |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "refhound"))')
rm -f "$WHEELS"/refhound-*.whl
if ! "$TOOLS/bin/maturin" build --release --out "$WHEELS" >"$T/maturin.out" 2>&1; then
    fail "maturin build --release:"
    sed 's/^/    /' "$T/maturin.out"
    exit 1
fi
shopt -s nullglob
WHEEL=("$WHEELS"/refhound-*.whl)
shopt -u nullglob
if ((${#WHEEL[@]} != 1)); then
    fail "maturin build: expected one refhound wheel in $WHEELS, found ${#WHEEL[@]}"
    exit 1
fi
WHEEL=${WHEEL[0]}
case ${WHEEL##*/} in
    refhound-"$VERSION"-py3-none-*.whl) ok "maturin build: ${WHEEL##*/}" ;;
    *) fail "maturin build: ${WHEEL##*/} is not refhound $VERSION for any Python 3 (py3-none-PLATFORM)" ;;
esac

rm -rf "$VENV"
python3 -m venv "$VENV"
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$WHEEL" >"$T/pip.out" 2>&1; then
    fail "pip install ${WHEEL##*/}:"
    sed 's/^/    /' "$T/pip.out"
    exit 1
fi
# As a user of the virtualenv runs it: its bin/ first on PATH.
export PATH=$VENV/bin:$PATH
FOUND=$(command -v refhound || true)
if [[ $FOUND == "$VENV/bin/refhound" ]]; then
    ok "pip install ${WHEEL##*/}: refhound is $FOUND"
else
    fail "pip install ${WHEEL##*/}: refhound on PATH is '${FOUND}', not $VENV/bin/refhound"
    exit 1
fi

GOT=$(refhound --version 2>&1) || true
if [[ $GOT == "refhound $VERSION" ]]; then
    ok "refhound --version: $GOT"
else
    fail "refhound --version printed '$GOT', expected 'refhound $VERSION' (server/Cargo.toml)"
fi

rc=0
refhound check --format json tests/demo >"$T/wheel.json" 2>"$T/wheel.err" || rc=$?
if ((rc == 1)); then
    ok "refhound check tests/demo: exit status 1"
else
    fail "refhound check tests/demo: exit status $rc, expected 1 (findings)"
    sed 's/^/    /' "$T/wheel.err"
fi
"$BIN" check --format json tests/demo >"$T/bin.json" 2>/dev/null || true
if python3 - "$T/wheel.json" "$T/bin.json" >"$T/compare.out" 2>&1 <<'PY'; then
import json, sys

def findings(path):
    with open(path, encoding="utf-8") as f:
        return sorted((d["code"], d["filename"], d["location"]["row"]) for d in json.load(f))

wheel, binary = findings(sys.argv[1]), findings(sys.argv[2])
codes = sorted({code for code, _, _ in wheel})
print(f"{len(wheel)} findings, codes {' '.join(codes)}")
every_rule = [f"RH{n}" for n in (101, 102, 201, 202, 301, 302, 401, 501, 601, 701)]
missing = [code for code in every_rule if code not in codes]
if missing:
    print(f"the demo should show every rule; missing: {' '.join(missing)}")
if wheel != binary:
    print("differs from the release binary's findings:")
    for row in sorted(set(wheel) ^ set(binary)):
        print(f"  {'wheel only' if row in wheel else 'binary only'}: {row}")
sys.exit(1 if missing or wheel != binary else 0)
PY
    ok "refhound check tests/demo: $(cat "$T/compare.out"), as $BIN finds"
else
    fail "refhound check tests/demo:"
    sed 's/^/    /' "$T/compare.out"
fi

# ---------------------------------------------------------------- the hook, run by pre-commit
# pre-commit runs the manifest's hook in a scratch git repository holding the demo, a clean
# module and a text file with leaky-looking Python in it. Without building the package a second
# time: the hook is the manifest's, as a `repo: local` hook with `language: system`, so its
# `refhound` is the wheel's, on PATH from the virtualenv above. pre-commit must select the
# Python files only, run `refhound check` on them (in parallel batches) and fail with every
# finding of the demo; on the clean module alone it must pass.
# (REFHOUND_TEST_PRECOMMIT_INSTALL=1 also runs `pre-commit try-repo` on this repository: pre-commit
# pip-installs it as a user's does, building with maturin from scratch: minutes, not run by default.)
WORK=$T/project
mkdir -p "$WORK"
cp -r tests/demo/leaky_service tests/demo/explore.ipynb "$WORK/"
printf 'def total(rows):\n    return sum(rows)\n' >"$WORK/clean.py"
printf 'import gc\ngc.set_debug(gc.DEBUG_SAVEALL)\n' >"$WORK/notes.txt"
"$TOOLS/bin/python" - .pre-commit-hooks.yaml "$WORK/.pre-commit-config.yaml" <<'PY'
import sys, yaml

with open(sys.argv[1], encoding="utf-8") as f:
    hook = next(h for h in yaml.safe_load(f) if h["id"] == "refhound")
hook["language"] = "system"
with open(sys.argv[2], "w", encoding="utf-8") as f:
    yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}, f, sort_keys=False)
PY
precommit() {
    (cd "$WORK" && PRE_COMMIT_HOME=$T/pre-commit-home "$TOOLS/bin/pre-commit" "$@")
}
git -C "$WORK" init --quiet
git -C "$WORK" add .
rc=0
precommit run refhound --all-files >"$T/hook-all.out" 2>&1 || rc=$?
if python3 - "$T/hook-all.out" "$rc" >"$T/hook-check.out" 2>&1 <<'PY'; then
import re, sys

text = open(sys.argv[1], encoding="utf-8").read()
rc = int(sys.argv[2])
found = sorted(set(re.findall(r"^leaky_service/\S+: (RH\d{3}) ", text, re.M))
               | set(re.findall(r"^explore\.ipynb:cell \d+:\d+:\d+: (RH\d{3}) ", text, re.M)))
problems = []
if rc != 1 or not re.search(r"^refhound\.+Failed$", text, re.M):
    problems.append(f"expected the hook to fail with exit status 1, got {rc}")
every_rule = [f"RH{n}" for n in (101, 102, 201, 202, 301, 302, 401, 501, 601, 701)]
if found != every_rule:
    problems.append(f"codes {found}, expected {every_rule}")
if "notes.txt" in text:
    problems.append("notes.txt (not Python) was checked")
if "clean.py" in text:
    problems.append("clean.py has findings")
print("\n".join(problems) or f"failed with {' '.join(found)}")
sys.exit(1 if problems else 0)
PY
    ok "pre-commit run refhound --all-files: $(cat "$T/hook-check.out"); notes.txt not passed"
else
    fail "pre-commit run refhound --all-files: $(cat "$T/hook-check.out")"
    sed 's/^/    /' "$T/hook-all.out"
fi
rc=0
precommit run refhound --files clean.py >"$T/hook-clean.out" 2>&1 || rc=$?
if ((rc == 0)) && grep -q '^refhound\.*Passed$' "$T/hook-clean.out"; then
    ok "pre-commit run refhound --files clean.py: passed"
else
    fail "pre-commit run refhound --files clean.py: exit status $rc, expected 0 and Passed"
    sed 's/^/    /' "$T/hook-clean.out"
fi

if [[ ${REFHOUND_TEST_PRECOMMIT_INSTALL:-0} == 1 ]]; then
    # The committed HEAD (plus uncommitted changes, which try-repo snapshots) installed by
    # pre-commit; cargo's output in a directory of its own, kept, so the dependencies are built
    # once (the refhound crate itself is rebuilt each time: pre-commit clones to a new path).
    rc=0
    (cd "$WORK" && PRE_COMMIT_HOME=$T/pre-commit-home CARGO_TARGET_DIR=$ROOT/target/pre-commit-cargo \
        "$TOOLS/bin/pre-commit" try-repo "$ROOT" refhound --all-files) >"$T/try-repo.out" 2>&1 || rc=$?
    codes=$(grep -oE '^leaky_service/\S+: RH[0-9]{3} ' "$T/try-repo.out" | awk '{print $2}' | sort -u | tr '\n' ' ')
    if ((rc == 1)) && [[ $codes == "RH101 RH102 RH201 RH202 RH301 RH302 RH401 RH501 RH601 " ]]; then
        ok "pre-commit try-repo (pip install of this repository): failed with $codes"
    else
        fail "pre-commit try-repo: exit status $rc, codes '$codes'"
        sed 's/^/    /' "$T/try-repo.out"
    fi
fi

exit "$FAILED"
