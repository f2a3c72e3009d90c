# Shared setup for the bench/*.sh scripts (sourced, not run): the release
# binary, ruff in a virtualenv, the standard-library selection, a file walker
# both tools agree on, and the timing functions.
#
# After sourcing: ROOT (the repository, also the working directory), BIN, RUFF,
# RUFF_VERSION, STDLIB, T (a temporary directory removed on exit), TIMER.
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
BIN=$ROOT/target/release/refhound
RUFF_VERSION=0.17.5
RUFF_VENV=$ROOT/target/bench-venv
RUFF=$RUFF_VENV/bin/ruff
STDLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH=$HOME/.cargo/bin:$PATH
fi

# build_refhound: the release binary, rebuilt when the sources changed (a no-op
# otherwise) so the figures are never those of a stale binary.
build_refhound() {
    echo "building release..."
    cargo build --release --quiet
}

# ensure_ruff: ruff $RUFF_VERSION from PyPI into a virtualenv under target/, as
# tests/run installs it.
ensure_ruff() {
    if [[ "$("$RUFF" --version 2>/dev/null)" != "ruff $RUFF_VERSION" ]]; then
        echo "installing ruff $RUFF_VERSION into $RUFF_VENV..."
        python3 -m venv "$RUFF_VENV"
        "$RUFF_VENV/bin/pip" install --quiet --disable-pip-version-check "ruff==$RUFF_VERSION"
    fi
}

# stdlib_roots: the standard library's top-level *.py files and directories,
# one a line, less site-packages/dist-packages and symlinks.  (Named on the
# command line, a directory such as the stdlib's own `venv` package is searched
# even though both tools skip directories of that name below an argument.)
stdlib_roots() {
    python3 - "$STDLIB" <<'PY'
import os, sys
root = sys.argv[1]
for e in sorted(os.listdir(root)):
    p = os.path.join(root, e)
    if e in ("site-packages", "dist-packages") or os.path.islink(p):
        continue
    if os.path.isdir(p) or (e.endswith(".py") and os.path.isfile(p)):
        print(p)
PY
}

# Directories neither tool should search below an argument: the union of
# refhound's (server/src/cli/files.rs EXCLUDED_DIRECTORIES) and ruff's default
# `exclude`.  Hidden files and directories are skipped too (refhound's walker
# does; ruff's does not, but lists the usual hidden ones in `exclude`).
SKIPPED_DIRECTORIES="site-packages dist-packages node_modules __pypackages__ venv _build buck-out dist"

# common_python_files PATH...: the *.py files both tools check when given
# exactly these files, one a line: files as given, directories searched
# without following symlinks, skipping hidden entries and SKIPPED_DIRECTORIES,
# each directory's files sorted.
common_python_files() {
    python3 - "$SKIPPED_DIRECTORIES" "$@" <<'PY'
import os, sys
skipped = set(sys.argv[1].split())
for arg in sys.argv[2:]:
    if not os.path.isdir(arg):
        print(arg)
        continue
    found = []
    for d, dirs, files in os.walk(arg):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x not in skipped]
        for f in files:
            p = os.path.join(d, f)
            if f.endswith(".py") and not f.startswith(".") and not os.path.islink(p):
                found.append(p)
    for p in sorted(found):
        print(p)
PY
}

# megabytes FILE...: their total size in MB (10^6 bytes), one decimal.
megabytes() {
    python3 -c 'import os, sys; print(f"{sum(map(os.path.getsize, sys.argv[1:])) / 1e6:.1f}")' "$@"
}

# warm_cache FILE...: reads the files so the first measured command is not
# charged for disk reads.
warm_cache() {
    printf '%s\0' "$@" | xargs -0 cat >/dev/null
}

T=$(mktemp -d "${TMPDIR:-/tmp}/refhound-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

if /usr/bin/time -f '%e %M' -o "$T/probe" true 2>/dev/null && [[ -s $T/probe ]]; then
    TIMER="/usr/bin/time -f"
else
    TIMER="python3 os.wait4"
fi

# measure OUTFILE CMD...: prints "WALL_SECONDS MAXRSS_KB CPU_SECONDS" (CPU =
# user + system, the command and the children it waited for); the command's stdout
# goes to OUTFILE, its stderr to $T/stderr.  A non-zero exit status is a failure.
measure() {
    local out=$1
    shift
    if [[ $TIMER == /usr/bin/time* ]]; then
        if ! /usr/bin/time -f '%e %M %U %S' -o "$T/time" "$@" >"$out" 2>"$T/stderr"; then
            echo "command failed: $* ($(tr '\n' ' ' <"$T/time"))" >&2
            tail -n 5 "$T/stderr" >&2
            return 1
        fi
        tail -n1 "$T/time" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
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
print(f"{wall:.3f} {ru.ru_maxrss} {ru.ru_utime + ru.ru_stime:.2f}")
PY
    fi
}

# bench_add KEY LABEL OUTFILE CMD...: a command for the next bench_run to measure.
declare -A BEST CPU CPU_RUNS MAXRSS BENCH_LABEL BENCH_OUT
BENCH_KEYS=()
ROWS=()
bench_add() {
    local key=$1
    BENCH_KEYS+=("$key")
    BENCH_LABEL[$key]=$2
    BENCH_OUT[$key]=$3
    shift 3
    local -n command="BENCH_CMD_$key"
    command=("$@")
}

# bench_run: runs each command of bench_add $RUNS times, in rounds of one run of each (a shared
# machine's speed drifts over minutes: commands measured one after the other would see different
# machines); sets BEST[KEY] (best wall seconds), CPU[KEY] (least CPU seconds), CPU_RUNS[KEY]
# (each round's CPU seconds, in order) and MAXRSS[KEY] (largest max RSS over the runs, KB) and
# appends a table row per command to ROWS. CPU time is the figure that suffers least when other
# processes share the machine.
bench_run() {
    local -A walls cpus rss
    local i key w m c best median cpu
    for ((i = 0; i < RUNS; i++)); do
        for key in "${BENCH_KEYS[@]}"; do
            local -n command="BENCH_CMD_$key"
            measure "${BENCH_OUT[$key]}" "${command[@]}" >"$T/measured"
            read -r w m c <"$T/measured"
            walls[$key]+="$w "
            cpus[$key]+="$c "
            if ((m > ${rss[$key]:-0})); then rss[$key]=$m; fi
            printf '  %-50s run %d: %ss (CPU %ss)\n' "${BENCH_LABEL[$key]}" $((i + 1)) "$w" "$c" >&2
        done
    done
    for key in "${BENCH_KEYS[@]}"; do
        read -r best median cpu < <(python3 -c '
import statistics, sys
walls, cpus = sys.argv[1].split(), sys.argv[2].split()
w = sorted(map(float, walls))
print(w[0], statistics.median(w), min(map(float, cpus)))' "${walls[$key]}" "${cpus[$key]}")
        BEST[$key]=$best
        CPU[$key]=$cpu
        CPU_RUNS[$key]=${cpus[$key]}
        MAXRSS[$key]=${rss[$key]}
        ROWS+=("$(printf '%-48s%8.2fs%9.2fs%9.2fs%8.0f MB' "${BENCH_LABEL[$key]}" "$best" "$median" "$cpu" "$((rss[$key] / 1024))")")
    done
    BENCH_KEYS=()
}

# print_rows: the table of the commands measured so far, then clears it.
print_rows() {
    printf '%-48s%9s%10s%10s%11s\n' "command" "best" "median" "CPU" "max RSS"
    local r
    for r in "${ROWS[@]}"; do
        echo "$r"
    done
    ROWS=()
}

# round_ratios KEY_A KEY_B: A's CPU / B's CPU in each round, and their median: the two ran one
# after the other in each round, so a round's ratio is spared the drift between rounds that
# the best of each is not (the best of A and the best of B may come from different rounds).
round_ratios() {
    python3 -c '
import statistics, sys
a, b = (list(map(float, x.split())) for x in sys.argv[1:])
r = [x / y for x, y in zip(a, b) if y]
print(", ".join(f"{x:.2f}" for x in r) + f" (median {statistics.median(r):.2f}x)" if r else "none")' \
        "${CPU_RUNS[$1]}" "${CPU_RUNS[$2]}"
}

# ratio KEY_A KEY_B: "W (wall) C (CPU)": BEST[A] / BEST[B] and CPU[A] / CPU[B].
ratio() {
    python3 -c '
import sys
a, b, c, d = map(float, sys.argv[1:])
r = lambda x, y: f"{x / y:.2f}x" if y else "inf"
print(f"{r(a, b)} wall, {r(c, d)} CPU")' "${BEST[$1]}" "${BEST[$2]}" "${CPU[$1]}" "${CPU[$2]}"
}
