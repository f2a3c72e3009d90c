#!/usr/bin/env bash
# Every figure issue 17 asks for, in one run (prints figures; not a test):
#   bench/check.sh RUNS  - `refhound check` CPU / `refhound parse` CPU on the standard library and
#                          Django, beside ruff (B019,B023) on the same files;
#   bench/lsp.sh EDITS FILES - edit -> diagnostics p50/p95 (push and pull) and didOpen -> first
#                          diagnostics, beside ruff's server with its default rules and with only
#                          B019 + B023; VmRSS after opening FILES standard-library files.
# Each part prints its own ratios against the targets. Read bench/README.md first: on a shared
# machine compare figures from the same run, and read CPU times rather than wall times.
#
# Usage: bench/all.sh [RUNS [EDITS [FILES]]]     (defaults 3, 200, 200)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-3}
EDITS=${2:-200}
FILES=${3:-200}
echo "### $(date -u +%FT%TZ) on $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### whole-file path: bench/check.sh $RUNS"
bench/check.sh "$RUNS"
echo
echo "### keystroke path and memory: bench/lsp.sh $EDITS $FILES"
bench/lsp.sh "$EDITS" "$FILES"
