#!/usr/bin/env python3
"""The ecosystem check: `refhound check` on real long-running-service packages, every default
finding matched against a reviewer's label (see README.md).

Checks the pinned sdists of packages.txt (downloaded from PyPI and unpacked into a cache outside
the checkout, `${XDG_CACHE_HOME:-$HOME/.cache}/refhound/ecosystem`), the local python3's standard
library and Django (bench/fetch_django.sh), each with `refhound check --format json --exit-zero`
and the empty configuration beside this script (default settings). Every finding is looked up in
labels.tsv by package, path inside the package, rule and fingerprint (the flagged source line,
whitespace collapsed, plus its occurrence index among the findings with the same package, path,
rule and line text), so moving code up or down does not lose a label.

Prints a table per package and per rule: findings, TP, DEBATABLE, FP, unlabelled, precision
TP/(TP+FP) and the share of findings labelled TP; then the findings with no label or labelled FP
(file:line and message), and the labels whose finding no longer occurs (stale: printed, never a
failure, since the rules change).

Usage:
    python3 tests/ecosystem/run.py --refhound target/release/refhound
    python3 tests/ecosystem/run.py --refhound BIN --only twisted --only stdlib
    python3 tests/ecosystem/run.py --refhound BIN --write-unlabelled /tmp/new.tsv

Exit status: 0 (every finding labelled TP or DEBATABLE), 1 (a finding is unlabelled or labelled
FP), 2 (usage error, download or unpack failure, refhound failed).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGES = os.path.join(HERE, "packages.txt")
LABELS = os.path.join(HERE, "labels.tsv")
CONFIG = os.path.join(HERE, "refhound.toml")
FETCH_DJANGO = os.path.join(ROOT, "bench", "fetch_django.sh")
LABEL_VALUES = ("TP", "DEBATABLE", "FP")
COLUMNS = ("package", "path", "rule", "occurrence", "label", "source", "reason")
RULE_ORDER = ["RH101", "RH102", "RH201", "RH202", "RH203", "RH301", "RH302", "RH303", "RH304",
              "RH305", "RH401", "RH501", "RH601", "RH701"]


class CheckError(Exception):
    """A failure of the harness itself (exit status 2), not a finding."""


def rule_key(code):
    return (RULE_ORDER.index(code) if code in RULE_ORDER else len(RULE_ORDER), code)


def default_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "refhound", "ecosystem")


# ---------------------------------------------------------------- the trees


def read_packages(path):
    pins = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, version = line.partition("==")
            if not sep or not name.strip() or not version.strip():
                raise CheckError(f"{path}:{n}: expected `name==version`, got {raw.strip()!r}")
            pins.append((name.strip(), version.strip()))
    return pins


def download(name, version, cache):
    """The unpacked source tree of NAME==VERSION, downloading and unpacking it on first use."""
    key = f"{name}-{version}"
    tree_parent = os.path.join(cache, "src", key)
    done = os.path.join(tree_parent, ".unpacked")
    if not os.path.exists(done):
        sdist_dir = os.path.join(cache, "sdist", key)
        archives = sorted(os.listdir(sdist_dir)) if os.path.isdir(sdist_dir) else []
        if not archives:
            os.makedirs(sdist_dir, exist_ok=True)
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                   "--no-deps", "--no-binary", ":all:", f"{name}=={version}", "-d", sdist_dir]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            archives = sorted(os.listdir(sdist_dir))
            if proc.returncode != 0 or not archives:
                raise CheckError(f"pip download {name}=={version} failed "
                                 f"(exit status {proc.returncode}):\n{proc.stderr[-2000:]}")
        if len(archives) != 1:
            raise CheckError(f"{sdist_dir}: expected one sdist, found {archives}")
        archive = os.path.join(sdist_dir, archives[0])
        shutil.rmtree(tree_parent, ignore_errors=True)
        os.makedirs(tree_parent)
        unpack(archive, tree_parent)
        open(done, "w").close()
    entries = [e for e in os.listdir(tree_parent) if not e.startswith(".")]
    if len(entries) == 1 and os.path.isdir(os.path.join(tree_parent, entries[0])):
        return os.path.join(tree_parent, entries[0])
    return tree_parent


def unpack(archive, dest):
    if archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                target = os.path.realpath(os.path.join(dest, member))
                if not target.startswith(os.path.realpath(dest) + os.sep):
                    raise CheckError(f"{archive}: member {member!r} leaves the tree")
            z.extractall(dest)
        return
    with tarfile.open(archive) as t:
        if hasattr(tarfile, "data_filter"):
            t.extractall(dest, filter="data")
        else:
            for member in t.getmembers():
                target = os.path.realpath(os.path.join(dest, member.name))
                if not target.startswith(os.path.realpath(dest) + os.sep):
                    raise CheckError(f"{archive}: member {member.name!r} leaves the tree")
            t.extractall(dest)


def django_tree():
    proc = subprocess.run(["bash", FETCH_DJANGO], capture_output=True, text=True)
    if proc.returncode != 0:
        raise CheckError(f"bench/fetch_django.sh failed:\n{proc.stderr[-2000:]}")
    return proc.stdout.strip().splitlines()[-1]


def trees(pins, cache, only):
    """(package, version, root) for every tree to check, downloads run in parallel."""
    wanted = lambda name: not only or name in only
    out = []
    todo = [(n, v) for n, v in pins if wanted(n)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        roots = list(pool.map(lambda p: download(p[0], p[1], cache), todo))
    for (name, version), root in zip(todo, roots):
        out.append((name, version, root))
    if wanted("stdlib"):
        out.append(("stdlib", "python " + sys.version.split()[0],
                    sysconfig.get_paths()["stdlib"]))
    if wanted("django"):
        root = django_tree()
        out.append(("django", os.path.basename(root).rpartition("-")[2], root))
    return out


# ---------------------------------------------------------------- findings


def source_line(path, row, cache):
    """The text of line ROW of PATH, whitespace collapsed; CACHE maps paths to their lines."""
    if path not in cache:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        cache[path] = data.decode("utf-8", errors="replace").splitlines()
    lines = cache[path]
    text = lines[row - 1] if 0 < row <= len(lines) else ""
    return " ".join(text.split())


def check_tree(binary, package, root):
    cmd = [binary, "check", "--format", "json", "--exit-zero", "--config", CONFIG, root]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or "panicked" in proc.stderr:
        raise CheckError(f"{' '.join(cmd)}: exit status {proc.returncode}\n{proc.stderr[-2000:]}")
    try:
        raw = json.loads(proc.stdout)
    except ValueError as e:
        raise CheckError(f"{' '.join(cmd)}: output is not JSON ({e})")
    findings = []
    lines = {}
    for d in raw:
        if d["code"] is None:  # a file not fully analysed (syntax error): a notice, not a finding
            continue
        filename = d["filename"]
        absolute = filename if os.path.isabs(filename) else os.path.join(root, filename)
        if not os.path.exists(absolute):
            absolute = os.path.abspath(filename)
        row = d["location"]["row"]
        findings.append({
            "package": package,
            "path": os.path.relpath(absolute, root).replace(os.sep, "/"),
            "abspath": absolute,
            "rule": d["code"],
            "row": row,
            "column": d["location"]["column"],
            "source": source_line(absolute, row, lines),
            "message": d["message"],
        })
    # The occurrence index: the n-th finding of this rule on a line with this text in this file.
    findings.sort(key=lambda f: (f["path"], f["rule"], f["row"], f["column"]))
    seen = Counter()
    for f in findings:
        k = (f["package"], f["path"], f["rule"], f["source"])
        f["occurrence"] = seen[k]
        seen[k] += 1
    return findings


def fingerprint(f):
    return (f["package"], f["path"], f["rule"], f["source"], int(f["occurrence"]))


# ---------------------------------------------------------------- labels


def read_labels(path):
    labels = {}
    if not os.path.exists(path):
        return labels
    problems = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if cols[0] == "package":
                continue  # the header
            if len(cols) != len(COLUMNS):
                problems.append(f"{path}:{n}: expected {len(COLUMNS)} tab-separated columns, "
                                f"got {len(cols)}")
                continue
            entry = dict(zip(COLUMNS, cols))
            if entry["label"] not in LABEL_VALUES:
                problems.append(f"{path}:{n}: label {entry['label']!r} is not one of "
                                f"{', '.join(LABEL_VALUES)}")
                continue
            if not entry["reason"].strip():
                problems.append(f"{path}:{n}: no reason given")
                continue
            try:
                entry["occurrence"] = int(entry["occurrence"])
            except ValueError:
                problems.append(f"{path}:{n}: occurrence {entry['occurrence']!r} is not a number")
                continue
            key = fingerprint(entry)
            if key in labels:
                problems.append(f"{path}:{n}: duplicate of line {labels[key]['lineno']}")
                continue
            entry["lineno"] = n
            labels[key] = entry
    if problems:
        raise CheckError("labels file errors:\n" + "\n".join(problems))
    return labels


def write_unlabelled(path, findings):
    with open(path, "w", encoding="utf-8") as out:
        out.write("# Unlabelled findings, in labels.tsv's format: fill in label (TP, DEBATABLE, FP)\n"
                  "# and reason, then append the lines to tests/ecosystem/labels.tsv.\n")
        out.write("\t".join(COLUMNS) + "\n")
        for f in findings:
            message = " ".join(f["message"].split())
            out.write(f"# {f['package']}/{f['path']}:{f['row']}: {f['rule']} {message}\n")
            out.write("\t".join([f["package"], f["path"], f["rule"], str(f["occurrence"]), "",
                                 f["source"], ""]) + "\n")


# ---------------------------------------------------------------- report


def table(title, groups, order):
    header = f"{title:<16} {'findings':>8} {'TP':>5} {'DEBAT':>5} {'FP':>5} {'unlab':>5} " \
             f"{'precision':>9} {'TP share':>8}"
    print(header)
    print("-" * len(header))
    total = Counter()
    for name in order:
        c = groups.get(name, Counter())
        total.update(c)
        print(row(name, c))
    print("-" * len(header))
    print(row("total", total))


def row(name, c):
    n = c["findings"]
    judged = c["TP"] + c["FP"]
    precision = f"{100 * c['TP'] / judged:.0f} %" if judged else "-"
    share = f"{100 * c['TP'] / n:.0f} %" if n else "-"
    return (f"{name:<16} {n:>8} {c['TP']:>5} {c['DEBATABLE']:>5} {c['FP']:>5} "
            f"{c['unlabelled']:>5} {precision:>9} {share:>8}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--refhound", required=True, help="the refhound binary to check with")
    ap.add_argument("--cache", default=default_cache(),
                    help="download and unpack directory (default: %(default)s)")
    ap.add_argument("--labels", default=LABELS, help="labels file (default: %(default)s)")
    ap.add_argument("--only", action="append", default=[],
                    help="check only this package (repeatable; `stdlib` and `django` included); "
                         "stale labels are then reported for these packages only")
    ap.add_argument("--write-unlabelled", metavar="FILE",
                    help="write the unlabelled findings to FILE in the labels format")
    args = ap.parse_args()

    try:
        binary = shutil.which(args.refhound) or args.refhound
        if not os.path.exists(binary):
            raise CheckError(f"refhound binary not found: {args.refhound}")
        pins = read_packages(PACKAGES)
        known = {n for n, _ in pins} | {"stdlib", "django"}
        unknown = [p for p in args.only if p not in known]
        if unknown:
            raise CheckError(f"--only: unknown package(s) {', '.join(unknown)}")
        labels = read_labels(args.labels)
        checked = trees(pins, args.cache, set(args.only))
        findings = []
        for name, version, root in checked:
            findings.extend(check_tree(binary, name, root))
    except CheckError as e:
        print(f"ecosystem: {e}", file=sys.stderr)
        return 2

    print(f"refhound: {binary}")
    print("trees: " + ", ".join(f"{n} {v}" for n, v, _ in checked))
    print()

    by_package = defaultdict(Counter)
    by_rule = defaultdict(Counter)
    unlabelled, false_positives = [], []
    found_keys = set()
    for f in findings:
        key = fingerprint(f)
        found_keys.add(key)
        entry = labels.get(key)
        label = entry["label"] if entry else "unlabelled"
        for c in (by_package[f["package"]], by_rule[f["rule"]]):
            c["findings"] += 1
            c[label] += 1
        if entry is None:
            unlabelled.append(f)
        elif label == "FP":
            false_positives.append((f, entry))

    table("package", by_package, [n for n, _, _ in checked])
    print()
    table("rule", by_rule, sorted(by_rule, key=rule_key))

    checked_names = {n for n, _, _ in checked}
    stale = [e for k, e in labels.items() if k not in found_keys and e["package"] in checked_names]
    if stale:
        print(f"\n{len(stale)} stale label(s), no longer reported (not a failure; drop them from "
              f"{os.path.relpath(args.labels)} when the change is intended):")
        for e in sorted(stale, key=lambda e: e["lineno"]):
            print(f"  line {e['lineno']}: {e['package']}/{e['path']} {e['rule']} [{e['label']}] "
                  f"{e['source']}")

    if false_positives:
        print(f"\n{len(false_positives)} finding(s) labelled FP:")
        for f, e in false_positives:
            print(f"  {f['package']}/{f['path']}:{f['row']}: {f['rule']} {f['message']}\n"
                  f"      FP: {e['reason']}")
    if unlabelled:
        print(f"\n{len(unlabelled)} finding(s) with no label:")
        for f in unlabelled:
            print(f"  {f['package']}/{f['path']}:{f['row']}: {f['rule']} {f['message']}")
    if args.write_unlabelled:
        write_unlabelled(args.write_unlabelled, unlabelled)
        print(f"\nwrote {len(unlabelled)} unlabelled finding(s) to {args.write_unlabelled}")

    print()
    if unlabelled or false_positives:
        print(f"FAILED: {len(unlabelled)} unlabelled, {len(false_positives)} labelled FP")
        return 1
    print("passed: every finding is labelled TP or DEBATABLE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
