#!/usr/bin/env bash
# Benchmark (prints figures; not a test): `refhound server` beside `ruff server`, in the same
# run, both spoken to over stdio by bench/lsp_bench.py (a small JSON-RPC client):
#   (a) edit -> diagnostics latency: EDITS (default 200) single-character incremental
#       didChange edits in the standard library's test/test_typing.py, waiting for each
#       version's diagnostics (pushed; and pulled with textDocument/diagnostic from a server
#       that offers it); p50 / p95 / max in ms per server and mode, and the p50 ratio;
#   (b) VmRSS / VmHWM of each server after opening FILES (default 200) standard-library
#       files (sorted by path, test directories skipped) and receiving their diagnostics.
#
# Usage: bench/lsp.sh [EDITS [FILES [OPTION...]]]      (from any directory)
# OPTIONs go to bench/lsp_bench.py: `--workspace empty` (no background scan in (b)),
# `--memory-only`, `--also NAME=BIN` (another refhound build beside), `--soak-edits N`,
# `--opens N` (fresh servers opened per server and mode, the file in the workspace and
# outside it; open ms and open new ms are their medians).
#
# Builds the release binary (a no-op when current) and runs with target/test-venv's python and
# ruff, installing ruff $RUFF_VERSION there first if it is missing, as tests/run does.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EDITS=${1:-200}
FILES=${2:-200}
shift $(($# < 2 ? $# : 2))
# The tests' virtualenv, not lib.sh's bench-venv: the same ruff, beside the LSP test tools.
RUFF_VENV=$ROOT/target/test-venv
RUFF=$RUFF_VENV/bin/ruff

build_refhound
ensure_ruff
"$RUFF_VENV/bin/python" bench/lsp_bench.py --refhound "$BIN" --ruff "$RUFF" --edits "$EDITS" --files "$FILES" "$@"
