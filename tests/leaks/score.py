#!/usr/bin/env python3
"""Score `refhound check` on the leak corpus (tests/leaks/, see README.md).

Runs `refhound check --format json --exit-zero` (default settings, the corpus's own empty
refhound.toml) over the corpus once and prints:

- recall on the `before.py` files: a leak counts as found when a finding of its expected rule
  starts on one of the lines the manifest lists for it;
- the findings on the `after.py` files (the fixed code) and on the look-alikes (real code that
  looks like a leak but is not one);

each per rule, then the recall figure against the target.

With --expect FILE (a committed expected.toml written by --write-expected) it also checks the
current results against that file and exits 1 when they differ:

- a leak the file lists as found is now missed (a regression);
- a finding appears on an after file or a look-alike that the file does not list (a regression);
- a leak the file lists as missed is now found, a listed finding on an after file or a look-alike
  is gone, or a leak is in neither list (an improvement or a new case: rerun with
  --write-expected so the file stays current).

Usage:
    python3 tests/leaks/score.py --refhound target/release/refhound
    python3 tests/leaks/score.py --refhound BIN --expect tests/leaks/expected.toml
    python3 tests/leaks/score.py --refhound BIN --write-expected [--expect FILE]
    python3 tests/leaks/score.py --refhound BIN --strict          (the strict level, report only)

Exit status: 0 (no --expect, or results match it), 1 (results differ from --expect),
2 (usage, manifest or corpus error, or refhound failed).
"""

import argparse
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.toml")
CONFIG = os.path.join(HERE, "refhound.toml")
DEFAULT_EXPECTED = os.path.join(HERE, "expected.toml")
TARGET = 0.85
RULE_ORDER = ["RH101", "RH102", "RH201", "RH202", "RH203", "RH301", "RH302", "RH303", "RH304",
              "RH305", "RH401", "RH501", "RH601", "RH701"]


class CorpusError(Exception):
    pass


def rule_key(code):
    return (RULE_ORDER.index(code) if code in RULE_ORDER else len(RULE_ORDER), code)


def load_toml(path):
    if tomllib is None:
        raise CorpusError("Python 3.11 or later is needed (tomllib) to read " + path)
    with open(path, "rb") as f:
        return tomllib.load(f)


def load_manifest():
    data = load_toml(MANIFEST)
    leaks, lookalikes = data.get("leak", []), data.get("lookalike", [])
    seen = set()
    for entry in leaks:
        for key in ("id", "project", "citation", "rule", "lines", "what"):
            if key not in entry:
                raise CorpusError(f"manifest: leak {entry.get('id', '?')} lacks `{key}`")
    for entry in lookalikes:
        for key in ("id", "looks_like", "citation", "why"):
            if key not in entry:
                raise CorpusError(f"manifest: look-alike {entry.get('id', '?')} lacks `{key}`")
    for entry in leaks + lookalikes:
        if entry["id"] in seen:
            raise CorpusError(f"manifest: id {entry['id']} appears twice")
        seen.add(entry["id"])
    return leaks, lookalikes


def check_corpus(leaks, lookalikes):
    """Every listed file exists and compiles, every expected line exists, nothing is unlisted."""
    problems = []
    for leak in leaks:
        for name in ("before.py", "after.py"):
            path = os.path.join(HERE, "leaks", leak["id"], name)
            problems += compile_problems(path)
        before = os.path.join(HERE, "leaks", leak["id"], "before.py")
        if os.path.exists(before):
            with open(before, encoding="utf-8") as f:
                n = len(f.read().splitlines())
            bad = [line for line in leak["lines"] if not 1 <= line <= n]
            if not leak["lines"] or bad:
                problems.append(f"{leak['id']}: `lines` {leak['lines']} not within before.py (1..{n})")
    for lookalike in lookalikes:
        problems += compile_problems(os.path.join(HERE, "lookalikes", lookalike["id"] + ".py"))
    listed_dirs = {leak["id"] for leak in leaks}
    for name in sorted(os.listdir(os.path.join(HERE, "leaks"))):
        if name not in listed_dirs and not name.startswith("."):
            problems.append(f"leaks/{name} is not in manifest.toml")
    listed_files = {lookalike["id"] + ".py" for lookalike in lookalikes}
    for name in sorted(os.listdir(os.path.join(HERE, "lookalikes"))):
        if name.endswith(".py") and name not in listed_files:
            problems.append(f"lookalikes/{name} is not in manifest.toml")
    if problems:
        raise CorpusError("corpus problems:\n  " + "\n  ".join(problems))


def compile_problems(path):
    if not os.path.exists(path):
        return [f"{os.path.relpath(path, HERE)} is missing"]
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        compile(source, path, "exec")
    except SyntaxError as e:
        return [f"{os.path.relpath(path, HERE)} does not compile: {e}"]
    return []


def run_refhound(binary, strict=False):
    cmd = [binary, "check", "--format", "json", "--exit-zero", "--config", CONFIG,
           os.path.join(HERE, "leaks"), os.path.join(HERE, "lookalikes")]
    if strict:
        cmd.insert(2, "--strict")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise CorpusError(f"cannot run {binary}: {e}")
    if proc.returncode != 0:
        raise CorpusError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{proc.stderr.strip()}")
    try:
        findings = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise CorpusError(f"refhound printed no JSON list: {e}")
    by_file = defaultdict(list)
    for finding in findings:
        path = os.path.relpath(os.path.abspath(finding["filename"]), HERE).replace(os.sep, "/")
        by_file[path].append(finding)
    return by_file


def score(leaks, lookalikes, by_file):
    """The results, as plain data: missed leak ids, and rule counts on after files and look-alikes."""
    found, missed = [], []
    for leak in leaks:
        findings = by_file.get(f"leaks/{leak['id']}/before.py", [])
        hit = any(f["code"] == leak["rule"] and f["location"]["row"] in leak["lines"] for f in findings)
        (found if hit else missed).append(leak)
    after = {}
    for leak in leaks:
        codes = Counter(f["code"] for f in by_file.get(f"leaks/{leak['id']}/after.py", []))
        if codes:
            after[leak["id"]] = dict(codes)
    look = {}
    for lookalike in lookalikes:
        codes = Counter(f["code"] for f in by_file.get(f"lookalikes/{lookalike['id']}.py", []))
        if codes:
            look[lookalike["id"]] = dict(codes)
    return found, missed, after, look


def report(leaks, lookalikes, found, missed, after, look, by_file, verbose, strict=False):
    rules = sorted({leak["rule"] for leak in leaks}
                   | {c for codes in list(after.values()) + list(look.values()) for c in codes},
                   key=rule_key)
    total = Counter(leak["rule"] for leak in leaks)
    hits = Counter(leak["rule"] for leak in found)
    after_by_rule = Counter()
    for codes in after.values():
        after_by_rule.update(codes)
    look_by_rule = Counter()
    for codes in look.values():
        look_by_rule.update(codes)
    looks_like = Counter(lookalike["looks_like"] for lookalike in lookalikes)

    print(f"leak corpus: {len(leaks)} fixed leaks, {len(lookalikes)} look-alikes (tests/leaks/)"
          + (", strict level" if strict else ""))
    print()
    print(f"{'rule':<7} {'leaks':>5} {'found':>5} {'recall':>7}   {'after-file findings':>19}   "
          f"{'look-alikes':>11} {'findings':>8}")
    for rule in sorted(set(rules) | set(looks_like), key=rule_key):
        n = total[rule]
        recall = f"{100 * hits[rule] / n:.0f} %" if n else "-"
        print(f"{rule:<7} {n:>5} {hits[rule]:>5} {recall:>7}   {after_by_rule[rule]:>19}   "
              f"{looks_like[rule]:>11} {look_by_rule[rule]:>8}")
    print(f"{'all':<7} {len(leaks):>5} {len(found):>5} {fmt_pct(len(found), len(leaks)):>7}   "
          f"{sum(after_by_rule.values()):>19}   {len(lookalikes):>11} {sum(look_by_rule.values()):>8}")
    print()
    if missed:
        print(f"missed ({len(missed)}):")
        for leak in missed:
            others = sorted({f["code"] for f in by_file.get(f"leaks/{leak['id']}/before.py", [])})
            extra = f"  [reported instead: {', '.join(others)}]" if others else ""
            print(f"  {leak['rule']}  {leak['id']}  ({leak['citation']}){extra}")
            if verbose:
                print(f"         lines {leak['lines']}: {leak['what']}")
    if after:
        print(f"findings on fixed files ({sum(after_by_rule.values())}):")
        for leak_id, codes in sorted(after.items()):
            print(f"  leaks/{leak_id}/after.py: {fmt_codes(codes)}")
    if look:
        print(f"findings on look-alikes ({sum(look_by_rule.values())}):")
        for lookalike_id, codes in sorted(look.items()):
            print(f"  lookalikes/{lookalike_id}.py: {fmt_codes(codes)}")
    print()
    print(f"recall: {len(found)}/{len(leaks)} = {fmt_pct(len(found), len(leaks))} "
          f"(target {TARGET * 100:.0f} %); findings on look-alikes: {sum(look_by_rule.values())} "
          f"(target 0); on fixed files: {sum(after_by_rule.values())}")


def fmt_pct(a, b):
    return f"{100 * a / b:.1f} %" if b else "-"


def fmt_codes(codes):
    return ", ".join(f"{code}" + (f" x{n}" if n > 1 else "") for code, n in sorted(codes.items(), key=lambda kv: rule_key(kv[0])))


def write_expected(path, found, missed, after, look):
    lines = [
        "# What `refhound check` (default settings) does on the leak corpus today: the leaks it misses",
        "# and the findings it makes on fixed files and look-alikes. Generated by",
        "# `python3 tests/leaks/score.py --refhound BIN --write-expected`; do not edit by hand.",
        "# tests/run fails when the results differ from this file in either direction.",
        "",
        "missed = [",
    ]
    lines += [f'    "{leak["id"]}",  # {leak["rule"]}' for leak in missed]
    lines += ["]", "", "found = ["]
    lines += [f'    "{leak["id"]}",  # {leak["rule"]}' for leak in found]
    lines += ["]", "", "[after_findings]"]
    lines += [f"{leak_id} = {{ {inline(codes)} }}" for leak_id, codes in sorted(after.items())]
    lines += ["", "[lookalike_findings]"]
    lines += [f"{lk_id} = {{ {inline(codes)} }}" for lk_id, codes in sorted(look.items())]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def inline(codes):
    return ", ".join(f"{code} = {n}" for code, n in sorted(codes.items(), key=lambda kv: rule_key(kv[0])))


def compare(path, leaks, lookalikes, missed, after, look):
    """Differences between the current results and the expected file, as (regressions, stale)."""
    expected = load_toml(path)
    known = {leak["id"] for leak in leaks} | {lookalike["id"] for lookalike in lookalikes}
    exp_missed = set(expected.get("missed", []))
    exp_found = set(expected.get("found", []))
    exp_after = expected.get("after_findings", {})
    exp_look = expected.get("lookalike_findings", {})
    regressions, stale = [], []
    for name in sorted(exp_missed | exp_found | set(exp_after) | set(exp_look)):
        if name not in known:
            stale.append(f"{name} is listed in {os.path.basename(path)} but not in manifest.toml")
    now_missed = {leak["id"] for leak in missed}
    rule_of = {leak["id"]: leak["rule"] for leak in leaks}
    for leak_id in sorted(set(rule_of) - exp_missed - exp_found):
        stale.append(f"new corpus case, not yet recorded: {leak_id} ({rule_of[leak_id]}, "
                     f"{'missed' if leak_id in now_missed else 'found'})")
    for leak_id in sorted((now_missed & exp_found)):
        regressions.append(f"leak no longer found: {leak_id} ({rule_of[leak_id]})")
    for leak_id in sorted(exp_missed - now_missed):
        if leak_id in rule_of:
            stale.append(f"leak now found: {leak_id} ({rule_of[leak_id]})")
    for label, now, exp, where in (("fixed file", after, exp_after, "leaks/{}/after.py"),
                                   ("look-alike", look, exp_look, "lookalikes/{}.py")):
        for name in sorted(set(now) | set(exp)):
            now_codes, exp_codes = now.get(name, {}), exp.get(name, {})
            for code in sorted(set(now_codes) | set(exp_codes), key=rule_key):
                a, b = now_codes.get(code, 0), exp_codes.get(code, 0)
                if a > b:
                    regressions.append(f"new finding on {label} {where.format(name)}: {code}"
                                       + (f" ({a}, expected {b})" if b else ""))
                elif a < b:
                    stale.append(f"finding gone from {label} {where.format(name)}: {code}"
                                 + (f" ({a}, expected {b})" if a else ""))
    return regressions, stale


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refhound", required=True, help="the refhound binary")
    parser.add_argument("--expect", metavar="FILE",
                        help="compare with this expected.toml and exit 1 when the results differ")
    parser.add_argument("--write-expected", action="store_true",
                        help=f"write the results to --expect FILE (default {os.path.relpath(DEFAULT_EXPECTED)})")
    parser.add_argument("-v", "--verbose", action="store_true", help="say what each missed leak is")
    parser.add_argument("--strict", action="store_true",
                        help="score refhound's strict level instead of the default (report only; "
                             "not with --expect or --write-expected)")
    args = parser.parse_args()
    if args.strict and (args.expect or args.write_expected):
        parser.error("--strict is for a report only; expected.toml records the default level")

    try:
        leaks, lookalikes = load_manifest()
        check_corpus(leaks, lookalikes)
        by_file = run_refhound(args.refhound, args.strict)
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    found, missed, after, look = score(leaks, lookalikes, by_file)
    report(leaks, lookalikes, found, missed, after, look, by_file, args.verbose, args.strict)

    if args.write_expected:
        path = args.expect or DEFAULT_EXPECTED
        write_expected(path, found, missed, after, look)
        print(f"wrote {os.path.relpath(path)}")
        return 0
    if not args.expect:
        return 0
    if not os.path.exists(args.expect):
        print(f"error: {args.expect} does not exist; create it with --write-expected", file=sys.stderr)
        return 2
    try:
        regressions, stale = compare(args.expect, leaks, lookalikes, missed, after, look)
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not regressions and not stale:
        print(f"results match {os.path.relpath(args.expect)}")
        return 0
    print()
    if regressions:
        print(f"REGRESSIONS against {os.path.relpath(args.expect)}:")
        for line in regressions:
            print(f"  {line}")
    if stale:
        print(f"not recorded in {os.path.relpath(args.expect)} (improvements or new cases; keep the file current):")
        for line in stale:
            print(f"  {line}")
    cmd = f"python3 tests/leaks/score.py --refhound {args.refhound} --write-expected --expect {args.expect}"
    if regressions:
        print(f"fix the regressions; if they are intended, record them with: {cmd}")
    else:
        print(f"record the change with: {cmd}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
