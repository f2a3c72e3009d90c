#!/usr/bin/env bash
# Robustness check: `refhound freevars` on hostile inputs must never crash.
#
# Usage: tests/robustness.sh [PATH_TO_REFHOUND]   (default: target/release/refhound)
#
# Generates the inputs into a temporary directory (ROBUSTNESS_KEEP=1 keeps it),
# runs refhound on each and prints `ok CASE` or `FAIL CASE: reason`; exits 1 if
# any case failed.  For every run: the exit status must be 0 or 2 (a status of
# 101+ or a signal, or "panicked" on stderr, is a crash), and stdout must be
# valid JSON lines with the `freevars` fields.  Where CPython compiles the
# input, refhound's rows must equal CPython's (tests/oracle/cpython_freevars.py).
set -euo pipefail

ORIG_PWD=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/target/release/refhound}
case $BIN in /*) ;; */*) BIN=$ORIG_PWD/$BIN ;; *) BIN=$(command -v "$BIN" || echo "$BIN") ;; esac
if [[ ! -x $BIN ]]; then
    echo "FAIL setup: refhound binary not found or not executable: $BIN"
    exit 1
fi
ORACLE=$ROOT/tests/oracle/cpython_freevars.py
# refhound models the CPython it is told to; the oracle here is the local python3.
PYTHON_VERSION=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
TIMEOUT=${ROBUSTNESS_TIMEOUT:-600}

T=$(mktemp -d "${TMPDIR:-/tmp}/refhound-robustness.XXXXXX")
if [[ ${ROBUSTNESS_KEEP:-0} == 1 ]]; then
    echo "(keeping $T)"
else
    trap 'rm -rf "$T"' EXIT
fi
mkdir "$T/in" "$T/out"

# ---------------------------------------------------------------- helpers (Python)
cat >"$T/check.py" <<'PY'
import collections, json, os, random, sys

NESTED_DEPTH = 1000
BIG_BLOCK = '''def make_{i}(a, b):
    c = a + b
    def inner(x):
        return x + a + c
    return inner, lambda: b

'''
BIG_BYTES = 20_000_000
FIELDS = ("file", "qualname", "name", "firstlineno", "kind", "freevars", "cellvars")


def nested_source(n):
    """n nested defs, each one level deeper; the innermost uses the outermost's v0."""
    lines = ["def f0():", "    v0 = 1"]
    for i in range(1, n):
        lines.append("    " * i + f"def f{i}():")
    lines.append("    " * n + "return v0")
    for i in range(n - 1, 0, -1):
        lines.append("    " * i + f"return f{i}")
    return "\n".join(lines) + "\n"


def nested_expected(path, n):
    rows = [dict(file=path, qualname="<module>", name="<module>", firstlineno=1, kind="module", freevars=[], cellvars=[])]
    qual = ""
    for i in range(n):
        qual = f"f{i}" if i == 0 else f"{qual}.<locals>.f{i}"
        rows.append(dict(file=path, qualname=qual, name=f"f{i}", firstlineno=1 if i == 0 else i + 2,
                         kind="function", freevars=[] if i == 0 else ["v0"], cellvars=["v0"] if i == 0 else []))
    return rows


def big_count():
    return BIG_BYTES // len(BIG_BLOCK.format(i=100000))


def big_expected(path):
    rows = [dict(file=path, qualname="<module>", name="<module>", firstlineno=1, kind="module", freevars=[], cellvars=[])]
    lines_per = BIG_BLOCK.count("\n")
    for i in range(big_count()):
        line = 1 + i * lines_per
        rows.append(dict(file=path, qualname=f"make_{i}", name=f"make_{i}", firstlineno=line, kind="function",
                         freevars=[], cellvars=["a", "b", "c"]))
        rows.append(dict(file=path, qualname=f"make_{i}.<locals>.inner", name="inner", firstlineno=line + 2,
                         kind="function", freevars=["a", "c"], cellvars=[]))
        rows.append(dict(file=path, qualname=f"make_{i}.<locals>.<lambda>", name="<lambda>", firstlineno=line + 4,
                         kind="lambda", freevars=["b"], cellvars=[]))
    return rows


def gen(d):
    w = lambda name, data: open(os.path.join(d, name), "wb").write(data)
    w("parens.py", b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n")
    w("nested_defs.py", nested_source(NESTED_DEPTH).encode())
    w("nested_defs_99.py", nested_source(99).encode())  # deep, but CPython still accepts it
    w("big.py", "".join(BIG_BLOCK.format(i=i) for i in range(big_count())).encode())
    w("empty.py", b"")
    rnd = random.Random(20240607)
    w("binary.py", b"\x00\xff\xfe\x00" + bytes(rnd.randrange(256) for _ in range(65536)) + b"\x00")
    w("latin1.py", "# -*- coding: latin-1 -*-\n"
                   "GREETING = 'caf\xe9'\n"
                   "def outer(prefix):\n"
                   "    caf\xe9 = prefix + '\xe9t\xe9'\n"
                   "    def inner():\n"
                   "        return caf\xe9, GREETING\n"
                   "    return inner, lambda: caf\xe9\n".encode("latin-1"))
    w("unknown_codec.py", b"# coding: no-such-codec\nx = 1\ndef f():\n    return x\n")
    w("good.py", b"def counter():\n    n = 0\n    def bump():\n        nonlocal n\n        n += 1\n        return n\n    return bump\n")
    w("bom.py", b"\xef\xbb\xbf" + "# BOM then UTF-8: \u00fcber\n"
                 "def outer(\u00fcber):\n"
                 "    return [lambda: \u00fcber for _ in range(2)]\n"
                 "class K:\n"
                 "    def m(self):\n"
                 "        return super().m()\n".encode())


def load(path):
    """Rows of a JSON-lines file, or raise ValueError saying what is wrong."""
    rows = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                d = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise ValueError(f"line {n} is not valid JSON ({e}): {raw[:120]!r}")
            if not isinstance(d, dict) or any(k not in d for k in FIELDS):
                raise ValueError(f"line {n} lacks fields {[k for k in FIELDS if k not in d] if isinstance(d, dict) else FIELDS}: {raw[:120]!r}")
            if not isinstance(d["freevars"], list) or not isinstance(d["cellvars"], list) \
                    or not isinstance(d["firstlineno"], int):
                raise ValueError(f"line {n} has fields of the wrong type: {raw[:120]!r}")
            rows.append(d)
    return rows


def key(d):
    return tuple(tuple(d[k]) if isinstance(d[k], list) else d[k] for k in FIELDS)


def short(k):
    return f"L{k[3]} {k[1][:80]} kind={k[4]} free={list(k[5])} cell={list(k[6])}"


def same(got, exp):
    g, e = collections.Counter(map(key, got)), collections.Counter(map(key, exp))
    if g == e:
        return None
    missing, extra = list((e - g).elements()), list((g - e).elements())
    parts = [f"{len(got)} rows, expected {len(exp)}; {len(missing)} missing, {len(extra)} extra"]
    parts += [f"missing {short(k)}" for k in missing[:2]] + [f"extra {short(k)}" for k in extra[:2]]
    return "; ".join(parts)


def main():
    cmd, *a = sys.argv[1:]
    if cmd == "gen":
        gen(a[0])
        return 0
    try:
        got = load(a[0])
    except ValueError as e:
        print(f"stdout: {e}")
        return 1
    if cmd == "jsonl":            # OUT [MIN_ROWS]
        if len(a) > 1 and len(got) < int(a[1]):
            print(f"expected at least {a[1]} row(s), got {len(got)}")
            return 1
        return 0
    if cmd == "same":             # OUT EXPECTED_JSONL [ONLY_FILE]
        if len(a) > 2:
            got = [d for d in got if d["file"] == a[2]]
        msg = same(got, load(a[1]))
    elif cmd == "nested":         # OUT PATH_AS_GIVEN
        msg = same(got, nested_expected(a[1], NESTED_DEPTH))
    elif cmd == "nested99":
        msg = same(got, nested_expected(a[1], 99))
    elif cmd == "big":
        msg = same(got, big_expected(a[1]))
    elif cmd == "no-rows-for":    # OUT FILE
        bad = [d for d in got if d["file"] == a[1]]
        msg = f"{len(bad)} row(s) for the undecodable {a[1]}" if bad else None
    else:
        raise SystemExit(f"unknown check {cmd}")
    if msg:
        print(msg)
        return 1
    return 0


sys.exit(main())
PY
check() { python3 "$T/check.py" "$@"; }

FAILED=0
PASSED=0
ok() { echo "ok $1${2:+ ($2)}"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }

# run_refhound CASE ARGS...: runs `refhound freevars --target-version PYTHON_VERSION ARGS` in $T/in, leaves
# $T/out/CASE.{out,err}, sets STATUS and SECS; returns 1 (after reporting the
# failure) on a crash, a timeout, a bad exit status or invalid JSON lines.
run_refhound() {
    local case=$1
    shift
    local start end
    start=$(date +%s.%N)
    set +e
    (cd "$T/in" && timeout "$TIMEOUT" "$BIN" freevars --target-version "$PYTHON_VERSION" "$@") \
        >"$T/out/$case.out" 2>"$T/out/$case.err"
    STATUS=$?
    set -e
    end=$(date +%s.%N)
    SECS=$(python3 -c "print(f'{$end - $start:.2f}s')")
    local err_tail
    err_tail=$(tail -c 400 "$T/out/$case.err" | tr '\n' ' ')
    if [[ $STATUS == 124 ]]; then
        fail "$case" "timed out after ${TIMEOUT}s"
        return 1
    fi
    if grep -q "panicked" "$T/out/$case.err"; then
        fail "$case" "panic (exit status $STATUS): $err_tail"
        return 1
    fi
    if ((STATUS >= 128)); then
        fail "$case" "killed by signal $((STATUS - 128)) (exit status $STATUS): $err_tail"
        return 1
    fi
    if [[ $STATUS != 0 && $STATUS != 2 ]]; then
        fail "$case" "exit status $STATUS (want 0 or 2): $err_tail"
        return 1
    fi
    local msg
    if ! msg=$(check jsonl "$T/out/$case.out"); then
        fail "$case" "$msg"
        return 1
    fi
    return 0
}

# cpython FILE: CPython's rows for FILE (as given, relative to $T/in) into
# $T/out/FILE.cpython; returns 1 when CPython refuses the file.
cpython() {
    local f=$1
    (cd "$T/in" && python3 "$ORACLE" "$f") >"$T/out/$f.cpython" 2>"$T/out/$f.skipped"
    ! grep -q "^skipped " "$T/out/$f.skipped"
}

# refusal FILE: why CPython refused FILE, in short.
refusal() {
    sed -n "s/^skipped $1: //p" "$T/out/$1.skipped" | head -n1 | cut -c1-90
}

# A case that must not crash and, where CPython compiles the file, must match it.
simple_case() {
    local case=$1 file=$2 msg
    run_refhound "$case" "$file" || return 0
    if cpython "$file"; then
        if ! msg=$(check same "$T/out/$case.out" "$T/out/$file.cpython"); then
            fail "$case" "differs from CPython: $msg"
            return 0
        fi
        ok "$case" "$SECS, status $STATUS, same rows as CPython"
    else
        ok "$case" "$SECS, status $STATUS, $(wc -l <"$T/out/$case.out") rows; CPython refuses it: $(refusal "$file")"
    fi
}

check gen "$T/in"
echo "refhound: $BIN"
echo "inputs:   $T/in ($(du -sh "$T/in" | cut -f1))"

# 5,000 nested parentheses (CPython refuses: too many nested parentheses).
simple_case nested-parens parens.py

# 1,000 nested defs.  CPython refuses more than 99 indentation levels; then
# refhound must only not crash and print rows.  Its rows are also compared with
# the expectation the generator knows (the 99-level case checks that
# expectation against CPython itself); a difference there is printed as a
# note, not a failure.
simple_case nested-defs-99 nested_defs_99.py
if [[ -s $T/out/nested_defs_99.py.cpython ]] &&
    ! msg=$(check nested99 "$T/out/nested_defs_99.py.cpython" nested_defs_99.py); then
    fail nested-defs-expectation "the generator's expected rows disagree with CPython at depth 99: $msg"
fi
if run_refhound nested-defs nested_defs.py; then
    if cpython nested_defs.py; then
        if msg=$(check same "$T/out/nested-defs.out" "$T/out/nested_defs.py.cpython"); then
            ok nested-defs "$SECS, same rows as CPython"
        else
            fail nested-defs "differs from CPython: $msg"
        fi
    elif ! check jsonl "$T/out/nested-defs.out" 1 >/dev/null; then
        fail nested-defs "printed no rows"
    elif msg=$(check nested "$T/out/nested-defs.out" nested_defs.py); then
        ok nested-defs "$SECS, status $STATUS, all 1,001 rows as expected; CPython refuses it: $(refusal nested_defs.py)"
    else
        ok nested-defs "$SECS, status $STATUS, no crash; CPython refuses it: $(refusal nested_defs.py); NOTE rows differ from the expected ones: $msg"
    fi
fi

# ~20 MB of small closures (CPython needs many minutes for one such module,
# so the generator's own expectation is the reference).
if run_refhound big-file big.py; then
    if msg=$(check big "$T/out/big-file.out" big.py); then
        ok big-file "$SECS, $(du -h "$T/in/big.py" | cut -f1), $(wc -l <"$T/out/big-file.out") rows as expected"
    else
        fail big-file "$msg"
    fi
fi

simple_case empty-file empty.py
simple_case binary-file binary.py
simple_case latin1-cookie latin1.py
simple_case utf8-bom bom.py

# An unknown coding cookie: refhound names the file on stderr, skips it, and
# still processes the good file given after it.
if run_refhound unknown-codec unknown_codec.py good.py; then
    cpython good.py || true
    if ! grep -q "unknown_codec.py" "$T/out/unknown-codec.err"; then
        fail unknown-codec "stderr does not name unknown_codec.py: $(head -c 300 "$T/out/unknown-codec.err")"
    elif ! msg=$(check no-rows-for "$T/out/unknown-codec.out" unknown_codec.py); then
        fail unknown-codec "$msg"
    elif ! msg=$(check same "$T/out/unknown-codec.out" "$T/out/good.py.cpython" good.py); then
        fail unknown-codec "rows for good.py differ from CPython: $msg"
    else
        ok unknown-codec "$SECS, status $STATUS, stderr: $(head -n1 "$T/out/unknown-codec.err" | head -c 120)"
    fi
fi

# All of the above at once, as a directory argument: one bad file must not
# stop the walk.
if run_refhound whole-directory .; then
    if msg=$(check same "$T/out/whole-directory.out" "$T/out/good.py.cpython" good.py); then
        ok whole-directory "$SECS, status $STATUS, $(wc -l <"$T/out/whole-directory.out") rows"
    else
        fail whole-directory "rows for good.py differ from CPython: $msg"
    fi
fi

echo "robustness: $PASSED ok, $FAILED failed"
((FAILED == 0))
