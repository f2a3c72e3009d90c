#!/usr/bin/env bash
# The VS Code extension (editors/vscode): installs its pinned node modules (npm ci, from the
# npm registry, cached under target/), type-checks, lints, bundles, runs its unit tests and
# the settings contract against the real `refhound server`, packages the .vsix and checks
# what is in it. VS Code itself runs the .vsix in tests/vscode_e2e/run.sh (code-server).
#
# Usage: tests/editors_vscode.sh [REFHOUND_BIN]   (default: target/release/refhound)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/target/release/refhound}
cd "$ROOT/editors/vscode"

command -v node >/dev/null 2>&1 || { echo "node not found (Node.js 20 or later is required)"; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "npm not found"; exit 1; }
if (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
    echo "Node.js 20 or later is required, found $(node --version)"
    exit 1
fi
[[ -x $BIN ]] || { echo "$BIN is not an executable: build it first (cargo build --release)"; exit 1; }

export npm_config_cache=$ROOT/target/npm-cache npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false

# npm ci wipes node_modules and reinstalls; skip it when the modules were installed from this
# very package-lock.json.
stamp=node_modules/.refhound-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
    echo "npm ci (cache: $npm_config_cache)"
    npm ci --prefer-offline --loglevel=error
    echo "$lock_sum" >"$stamp"
else
    echo "node_modules up to date with package-lock.json"
fi

npm run --silent typecheck
echo "tsc --noEmit: ok"
npm run --silent lint
echo "eslint: ok"
rm -rf dist out
npm run --silent build
REFHOUND_BIN=$BIN npm test --silent
npm run --silent package

python3 - dist/refhound.vsix <<'PY'
import json, sys, zipfile

vsix = sys.argv[1]
with zipfile.ZipFile(vsix) as z:
    names = set(z.namelist())
    required = {"extension/dist/extension.js", "extension/package.json", "extension/readme.md",
                "extension/LICENSE.txt", "extension.vsixmanifest"}
    missing = sorted(required - names)
    stray = sorted(n for n in names if n.startswith(("extension/src/", "extension/test/",
                                                      "extension/node_modules/", "extension/out/")))
    manifest = json.loads(z.read("extension/package.json")) if "extension/package.json" in names else {}
    bundle = z.read("extension/dist/extension.js") if "extension/dist/extension.js" in names else b""
problems = [f"missing {n}" for n in missing] + [f"should not be packaged: {n}" for n in stray]
if manifest.get("main") != "./dist/extension.js":
    problems.append(f"package.json main is {manifest.get('main')!r}")
# vscode-languageclient is bundled (the .vsix has no node_modules); `vscode` stays external.
if b"vscode-languageclient" not in bundle and b"LanguageClient" not in bundle:
    problems.append("dist/extension.js does not contain the language client")
if b'require("vscode")' not in bundle:
    problems.append('dist/extension.js does not require("vscode")')
for p in problems:
    print(f"  {vsix}: {p}")
print(f"{vsix}: {len(names)} files, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
