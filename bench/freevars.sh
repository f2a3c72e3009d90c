#!/usr/bin/env bash
# Benchmark (prints figures; not a test): refhound against CPython over the
# standard library of the local python3 (site-packages/dist-packages excluded).
#
# Usage: bench/freevars.sh [RUNS]      (from any directory; RUNS defaults to 3)
#
# Measures wall time and max RSS of
#   (a) refhound parse STDLIB             tree-sitter parse alone
#   (b) refhound freevars STDLIB          parse + scope model, output to /dev/null
#   (c) CPython oracle, multiprocessing   tests/oracle/cpython_freevars.py (one worker per CPU)
#   (d) CPython oracle, one process       the same with -j1
#   (e) ruff check --select F             ruff's pyflakes rules (its own scope analysis), no cache
# in RUNS rounds of one run each, and prints the best and the median wall time and the least
# CPU time (user + system; for (c) the workers included).  Max RSS comes from
# /usr/bin/time when it supports -f, else from Python's os.wait4 rusage; either
# way it is the largest single process (for (c): the parent or one worker), not
# the sum over processes.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${1:-3}
ORACLE=$ROOT/tests/oracle/cpython_freevars.py

build_refhound
ensure_ruff
# refhound has no exclude option: pass the stdlib's top-level *.py files and
# directories, less site-packages/dist-packages (no deeper ones exist in a
# CPython install; the file count below would show it).
mapfile -t ARGS < <(stdlib_roots)
read -r NFILES MB < <(python3 - "$ORACLE" "${ARGS[@]}" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import cpython_freevars as o
items = o.collect_files(sys.argv[2:], ("site-packages", "dist-packages"))
print(len(items), f"{sum(os.path.getsize(r) for _, r in items) / 1e6:.1f}")
PY
)

# Warm the page cache so the first measured command is not charged for disk reads.
cat "$STDLIB"/*.py >/dev/null
find "${ARGS[@]}" -name '*.py' -type f -exec cat {} + >/dev/null

echo "measuring ($RUNS rounds of one run each)..."
bench_add a "(a) refhound parse (tree-sitter only)" "$T/parse.out" "$BIN" parse "${ARGS[@]}"
bench_add b "(b) refhound freevars > /dev/null" /dev/null "$BIN" freevars "${ARGS[@]}"
NPROC=$(nproc)
bench_add c "(c) CPython compile+walk, $NPROC processes" /dev/null \
    python3 "$ORACLE" --exclude-dir site-packages --exclude-dir dist-packages "${ARGS[@]}"
bench_add d "(d) CPython compile+walk, 1 process (-j1)" /dev/null \
    python3 "$ORACLE" -j1 --exclude-dir site-packages --exclude-dir dist-packages "${ARGS[@]}"
bench_add e "(e) ruff check --select F --no-cache" /dev/null \
    "$RUFF" check --no-cache --select F --exit-zero --quiet "${ARGS[@]}"
bench_run

echo
echo "corpus:  $STDLIB (site-packages, dist-packages excluded): $NFILES .py files, $MB MB"
echo "machine: nproc $NPROC; $(python3 --version); $("$RUFF" --version); timer: $TIMER; max RSS = largest single process over the runs"
echo "refhound parse says: $(tail -n1 "$T/parse.out")"
echo
print_rows
