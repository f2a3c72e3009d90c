#!/usr/bin/env bash
# Benchmark (prints figures; not a test): `refhound check` beside ruff's two
# rules on the same ground and beside the bare tree-sitter parse, on
#   - the standard library of the local python3 (its top-level entries less
#     site-packages/dist-packages, as bench/freevars.sh selects it), and
#   - Django: the sdist of DJANGO_VERSION (default 5.2.8), downloaded from PyPI
#     into target/bench/sdist and untarred into target/bench/ on first use.
#
# Usage: bench/check.sh [RUNS]      (from any directory; RUNS defaults to 3)
#
# For each tree, RUNS rounds of one run of each command (best and median wall
# time, least CPU time (user + system), max RSS over the runs):
#   refhound parse FILES                       tree-sitter parse alone
#   refhound check --exit-zero FILES           every rule, text output to a file
#   ruff check --no-cache --select B019,B023   ruff's lru_cache-on-method and
#                                              loop-variable-closure rules
# then the ratios check/parse and check/ruff, and the per-rule counts of
# `refhound check --statistics` (and ruff's, for comparison).
#
# Both tools get the same explicit list of *.py files, so they check the same
# set: by default they do not (ruff takes hidden files and *.pyi, refhound does
# not; they skip different directories); the output says what each would take
# from the bare directory.  The tools run in parallel over all cores each.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${1:-3}
DJANGO_VERSION=${DJANGO_VERSION:-5.2.8}

build_refhound
ensure_ruff
DJANGO=$(DJANGO_VERSION=$DJANGO_VERSION bench/fetch_django.sh)

# default_counts DIRECTORY: what each tool would take on its own from the bare
# directory, for the record (two indented lines).
default_counts() {
    local refhound ruff
    refhound=$("$BIN" parse "$1" 2>/dev/null | tail -n1 | cut -d' ' -f1)
    ruff=$("$RUFF" check --no-cache --show-files "$1" 2>/dev/null |
        sed -n 's/.*\.\([A-Za-z]*\)$/\1/p' | sort | uniq -c |
        awk '{ printf "%s%s *.%s", (NR > 1 ? " + " : ""), $1, $2 }')
    echo "            refhound: $refhound *.py (skips hidden entries; site-packages, dist-packages, node_modules,"
    echo "                      __pypackages__, venv, _build, buck-out below the argument)"
    echo "            ruff:     $ruff (takes hidden files, *.pyi, config files; skips"
    echo "                      .git, .venv, dist, venv, site-packages, ... below the argument)"
}

# measure_tree NAME DESCRIPTION BARE_DIRECTORY PATH...: the figures for one tree.
measure_tree() {
    local name=$1 description=$2 bare=$3
    shift 3
    local files n mb
    mapfile -t files < <(common_python_files "$@")
    n=${#files[@]}
    mb=$(megabytes "${files[@]}")
    warm_cache "${files[@]}"

    echo
    echo "=== $name: $description"
    echo "measuring ($RUNS rounds of one run each)..."
    bench_add parse "refhound parse (tree-sitter only)" "$T/parse.out" "$BIN" parse "${files[@]}"
    bench_add check "refhound check --exit-zero" "$T/check.out" "$BIN" check --exit-zero "${files[@]}"
    bench_add ruff "ruff check --no-cache --select B019,B023" "$T/ruff.out" \
        "$RUFF" check --no-cache --select B019,B023 --exit-zero "${files[@]}"
    bench_run

    local ruff_files
    ruff_files=$("$RUFF" check --no-cache --show-files "${files[@]}" | grep -c .)
    echo
    echo "files:    $n *.py, $mb MB: the same explicit list for every command (the *.py files"
    echo "          below the arguments, less hidden entries and directories named"
    echo "          ${SKIPPED_DIRECTORIES// /, })"
    echo "          refhound parse: $(tail -n1 "$T/parse.out")"
    echo "          refhound check: $(tail -n1 "$T/check.out") (unreadable files not counted)"
    echo "          ruff --show-files on the list: $ruff_files files"
    echo "          given the bare directory $bare instead:"
    default_counts "$bare"
    echo
    print_rows
    echo "ratios (best of each): check/parse $(ratio check parse); check/ruff $(ratio check ruff)"
    echo "check/parse CPU round by round: $(round_ratios check parse)"
    echo
    echo "refhound check --statistics (count, rule):"
    "$BIN" check --exit-zero --statistics "${files[@]}" 2>/dev/null |
        sed -n '/^ *[0-9][0-9]*  RH[0-9]/p; /^No findings/p; /^Found /p' | sed 's/^/  /'
    echo "ruff check --statistics (same files, same rules):"
    "$RUFF" check --no-cache --select B019,B023 --exit-zero --statistics "${files[@]}" 2>/dev/null |
        sed 's/^/  /'
}

echo "machine: nproc $(nproc); $(python3 --version); $("$RUFF" --version); $("$BIN" --version)"
echo "timer: $TIMER; max RSS = the process's peak over the runs"

mapfile -t STDLIB_ROOTS < <(stdlib_roots)
measure_tree "standard library" "$STDLIB (top-level entries less site-packages, dist-packages)" \
    "$STDLIB" "${STDLIB_ROOTS[@]}"
measure_tree "Django $DJANGO_VERSION" "$DJANGO (the whole sdist: django/, tests/, docs/, scripts/)" \
    "$DJANGO" "$DJANGO"
