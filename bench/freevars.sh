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
# each RUNS times, and prints the best and the median.  Max RSS comes from
# /usr/bin/time when it supports -f, else from Python's os.wait4 rusage; either
# way it is the largest single process (for (c): the parent or one worker), not
# the sum over processes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUNS=${1:-3}
BIN=$ROOT/target/release/refhound
ORACLE=$ROOT/tests/oracle/cpython_freevars.py

echo "building release..."
cargo build --release --quiet

# ruff, for a side-by-side figure: installed from PyPI into a virtualenv under target/.
VENV=$ROOT/target/bench-venv
if [[ ! -x $VENV/bin/ruff ]]; then
    echo "installing ruff into $VENV..."
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet ruff
fi

STDLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
# refhound has no exclude option: pass the stdlib's top-level *.py files and
# directories, less site-packages/dist-packages (no deeper ones exist in a
# CPython install; the file count below would show it).
mapfile -t ARGS < <(python3 - "$STDLIB" <<'PY'
import os, sys
root = sys.argv[1]
for e in sorted(os.listdir(root)):
    p = os.path.join(root, e)
    if e in ("site-packages", "dist-packages") or os.path.islink(p):
        continue
    if os.path.isdir(p) or (e.endswith(".py") and os.path.isfile(p)):
        print(p)
PY
)
read -r NFILES MB < <(python3 - "$ORACLE" "${ARGS[@]}" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import cpython_freevars as o
items = o.collect_files(sys.argv[2:], ("site-packages", "dist-packages"))
print(len(items), f"{sum(os.path.getsize(r) for _, r in items) / 1e6:.1f}")
PY
)

T=$(mktemp -d "${TMPDIR:-/tmp}/refhound-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

if /usr/bin/time -f '%e %M' -o "$T/probe" true 2>/dev/null && [[ -s $T/probe ]]; then
    TIMER="/usr/bin/time -f"
else
    TIMER="python3 os.wait4"
fi

# measure OUTFILE CMD...: prints "WALL_SECONDS MAXRSS_KB"; the command's stdout
# goes to OUTFILE, its stderr to $T/stderr.
measure() {
    local out=$1
    shift
    if [[ $TIMER == /usr/bin/time* ]]; then
        if ! /usr/bin/time -f '%e %M' -o "$T/time" "$@" >"$out" 2>"$T/stderr"; then
            echo "command failed: $* ($(tr '\n' ' ' <"$T/time"))" >&2
            tail -n 5 "$T/stderr" >&2
            return 1
        fi
        tail -n1 "$T/time"
    else
        python3 - "$out" "$T/stderr" "$@" <<'PY'
import os, sys, time
out, err, *cmd = sys.argv[1:]
with open(out, "wb") as o, open(err, "wb") as e:
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, o.fileno(), 1), (os.POSIX_SPAWN_DUP2, e.fileno(), 2)])
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"command failed: {cmd}")
print(f"{wall:.3f} {ru.ru_maxrss}")
PY
    fi
}

# Warm the page cache so the first measured command is not charged for disk reads.
cat "$STDLIB"/*.py >/dev/null
find "${ARGS[@]}" -name '*.py' -type f -exec cat {} + >/dev/null

ROWS=()
# bench LABEL OUTFILE CMD...
bench() {
    local label=$1 out=$2
    shift 2
    local walls=() rss=0 i w m
    for ((i = 0; i < RUNS; i++)); do
        measure "$out" "$@" >"$T/measured"
        read -r w m <"$T/measured"
        walls+=("$w")
        if ((m > rss)); then rss=$m; fi
        printf '  %-44s run %d: %ss\n' "$label" $((i + 1)) "$w" >&2
    done
    ROWS+=("$(python3 -c '
import statistics, sys
label, rss, *w = sys.argv[1:]
w = sorted(map(float, w))
print(f"{label:<46}{w[0]:>8.2f}s{statistics.median(w):>9.2f}s{int(rss) / 1024:>10.0f} MB")
' "$label" "$rss" "${walls[@]}")")
}

echo "measuring ($RUNS runs each)..."
bench "(a) refhound parse (tree-sitter only)" "$T/parse.out" "$BIN" parse "${ARGS[@]}"
bench "(b) refhound freevars > /dev/null" /dev/null "$BIN" freevars "${ARGS[@]}"
NPROC=$(nproc)
bench "(c) CPython compile+walk, $NPROC processes" /dev/null \
    python3 "$ORACLE" --exclude-dir site-packages --exclude-dir dist-packages "${ARGS[@]}"
bench "(d) CPython compile+walk, 1 process (-j1)" /dev/null \
    python3 "$ORACLE" -j1 --exclude-dir site-packages --exclude-dir dist-packages "${ARGS[@]}"
bench "(e) ruff check --select F --no-cache" /dev/null \
    "$VENV/bin/ruff" check --no-cache --select F --exit-zero --quiet "${ARGS[@]}"

echo
echo "corpus:  $STDLIB (site-packages, dist-packages excluded): $NFILES .py files, $MB MB"
echo "machine: nproc $NPROC; $(python3 --version); $("$VENV/bin/ruff" --version); timer: $TIMER; max RSS = largest single process over the runs"
echo "refhound parse says: $(tail -n1 "$T/parse.out")"
echo
printf '%-46s%9s%10s%13s\n' "command" "best" "median" "max RSS"
for r in "${ROWS[@]}"; do
    echo "$r"
done
