#!/usr/bin/env python3
"""RH302 must report every site ruff's B019 (cached-instance-method) reports, at the strict
level: B019 flags every cache on a method, bounded or not, where RH302's default level keeps only
those with evidence of harm (no maxsize, nothing clears it, a class made repeatedly).

Usage: python3 tests/rules/compare_b019.py --refhound BIN --ruff RUFF [PATH...]
Without PATH: the local python3's standard library (site-packages excluded; ruff excludes it by
default and refhound's results there are dropped). Compares (file, line) of each finding, prints
the counts and every B019 site RH302 misses, and exits 1 if there is one.
"""

import argparse
import json
import os
import subprocess
import sys
import sysconfig


def ruff_sites(ruff, paths):
    proc = subprocess.run(
        [ruff, "check", "--no-cache", "--select", "B019", "--output-format", "json", "--exit-zero", *paths],
        capture_output=True,
        text=True,
        check=True,
    )
    sites = set()
    for finding in json.loads(proc.stdout):
        if finding.get("code") == "B019":
            sites.add((os.path.realpath(finding["filename"]), finding["location"]["row"]))
    return sites


def refhound_sites(refhound, paths):
    proc = subprocess.run(
        [refhound, "check", "--strict", "--select", "RH302", "--format", "json", "--exit-zero", *paths],
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 2) or "panicked" in proc.stderr:
        sys.exit(f"refhound failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    sites = set()
    for finding in json.loads(proc.stdout):
        if finding["code"] is None:  # a file not fully analysed (syntax errors)
            continue
        sites.add((os.path.realpath(finding["filename"]), finding["location"]["row"]))
    return sites


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refhound", required=True)
    ap.add_argument("--ruff", required=True)
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()
    paths = args.paths or [sysconfig.get_paths()["stdlib"]]
    excluded = ("/site-packages/", "/dist-packages/")
    expected = {s for s in ruff_sites(args.ruff, paths) if not any(e in s[0] for e in excluded)}
    actual = {s for s in refhound_sites(args.refhound, paths) if not any(e in s[0] for e in excluded)}
    missed = sorted(expected - actual)
    extra = sorted(actual - expected)
    print(f"B019: {len(expected)} sites; RH302: {len(actual)} sites; missed: {len(missed)}; only RH302: {len(extra)}")
    for path, line in extra:
        print(f"  only RH302: {path}:{line}")
    for path, line in missed:
        print(f"  MISSED: {path}:{line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
