#!/usr/bin/env bash
# `refhound check` on real code: the local python3's standard library and Django (its sdist,
# fetched from PyPI by bench/fetch_django.sh). Passes when every run finishes without a panic
# or a crash (exit 0 with --exit-zero); prints the count per rule, which the issue notes quote.
#
# Usage: tests/real_code.sh BIN
set -euo pipefail
BIN=$1
cd "$(dirname "${BASH_SOURCE[0]}")/.."
STDLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
DJANGO=$(bench/fetch_django.sh)
rc=0
for tree in "$STDLIB" "$DJANGO"; do
    echo "tree: $tree"
    status=0
    "$BIN" check --exit-zero --statistics "$tree" >"$PWD/target/real_code.txt" 2>"$PWD/target/real_code.err" || status=$?
    sed -n '/^ *[0-9][0-9]*  RH[0-9]*  /p; /^Found /p; /^No findings/p' "$PWD/target/real_code.txt"
    if ((status != 0)) || grep -q "panicked" "$PWD/target/real_code.err"; then
        echo "FAILED: exit status $status"
        tail -5 "$PWD/target/real_code.err"
        rc=1
    fi
done
exit $rc
