#!/usr/bin/env python3
"""Oracle test: `refhound freevars` must agree with CPython's own compiler.

Usage:
    python3 tests/oracle/compare.py --refhound target/release/refhound [--stdlib] [PATH...]
        [--max N] [--files-like SUBSTR] [--exclude-dir NAME]... [--dump FILE]

For every corpus (each PATH, and with --stdlib the running python3's standard
library without site-packages/dist-packages) this runs the CPython oracle
(cpython_freevars.py, imported) and `refhound freevars`, keeps the files that
CPython compiled, and compares the two as multisets of records

    (file, qualname, name, firstlineno, kind, freevars, cellvars)

Differences are grouped by (file, qualname, firstlineno) and shown side by
side; a record that only one side has is marked missing (only CPython has it)
or extra (only refhound has it), and a missing/extra pair that plainly is the
same code object (same qualname, or same line and name) is shown as one
difference.  Exit status: 0 when everything agrees, 1 on any mismatch, on
malformed output or when refhound crashes, 2 on usage errors.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpython_freevars as oracle  # noqa: E402

FIELDS = ("file", "qualname", "name", "firstlineno", "kind", "freevars", "cellvars")
KINDS = frozenset({"module", "class", "function", "lambda", "comprehension"})
STDLIB_EXCLUDES = ("site-packages", "dist-packages")

# Record tuple indices.
F_FILE, F_QUAL, F_NAME, F_LINE, F_KIND, F_FREE, F_CELL = range(7)


def to_record(d):
    return (
        d["file"],
        d["qualname"],
        d["name"],
        d["firstlineno"],
        d["kind"],
        tuple(d["freevars"]),
        tuple(d["cellvars"]),
    )


def malformed_reason(d):
    if not isinstance(d, dict):
        return "not a JSON object"
    missing = [f for f in FIELDS if f not in d]
    if missing:
        return "missing field(s) " + ", ".join(missing)
    for f in ("file", "qualname", "name", "kind"):
        if not isinstance(d[f], str):
            return f"`{f}` is not a string"
    if not isinstance(d["firstlineno"], int) or isinstance(d["firstlineno"], bool):
        return "`firstlineno` is not an integer"
    if d["kind"] not in KINDS:
        return f"unknown kind {d['kind']!r}"
    for f in ("freevars", "cellvars"):
        if not isinstance(d[f], list) or not all(isinstance(x, str) for x in d[f]):
            return f"`{f}` is not a list of strings"
    return None


# ---------------------------------------------------------------- running refhound


class Problems:
    """Crashes and malformed output: anything that fails the run besides mismatches."""

    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)

    def __bool__(self):
        return bool(self.items)


def has_excluded_below(d, exclude):
    for _dirpath, dirnames, _files in os.walk(d):
        if any(n in exclude for n in dirnames):
            return True
    return False


def plan_invocations(root, exclude, prefix=""):
    """How to run refhound over directory `root` without entering excluded dirs.

    refhound has no exclude option, so a directory with an excluded directory
    somewhere below it is split: its own *.py files are passed as file
    arguments with cwd=root (so `file` is the plain name), and each
    subdirectory as a directory argument (so `file` is relative to it and gets
    the subdirectory's name prefixed).  Returns [(cwd, args, prefix)].
    """
    if not exclude or not has_excluded_below(root, exclude):
        return [(None, [root], prefix)]
    entries = sorted(os.listdir(root))
    files = [e for e in entries if e.endswith(".py") and os.path.isfile(os.path.join(root, e))]
    out = []
    if files:
        out.append((root, files, prefix))
    for e in entries:
        full = os.path.join(root, e)
        if e in exclude or os.path.islink(full) or not os.path.isdir(full):
            continue
        if has_excluded_below(full, exclude):
            out.extend(plan_invocations(full, exclude, prefix + e + "/"))
        else:
            out.append((root, [e], prefix + e + "/"))
    return out


def crash_status(returncode, stderr):
    """Why a refhound run counts as a crash, or None."""
    panicked = "panicked" in stderr
    if returncode < 0:
        return f"killed by signal {-returncode}" + (", panic on stderr" if panicked else "")
    if returncode != 0:
        return f"exit status {returncode}" + (", panic on stderr" if panicked else "")
    if panicked:
        return "exit status 0 but a panic on stderr"
    return None


def stderr_excerpt(stderr, n=12):
    lines = stderr.rstrip().splitlines()
    for i, ln in enumerate(lines):
        if "panicked" in ln:
            return lines[i : i + n]
    return lines[-n:]


def find_crashing_files(binary, cwd, args, limit=5, budget_s=300):
    """Run refhound on each file of a crashed invocation alone; (file, why, first stderr line)."""
    base = cwd or "."
    items = oracle.collect_files([os.path.join(base, a) for a in args])
    found = []
    deadline = time.monotonic() + budget_s
    for _display, real in items:
        if len(found) >= limit or time.monotonic() > deadline:
            break
        try:
            proc = subprocess.run([binary, "freevars", real], capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            found.append((real, "timed out after 60s", ""))
            continue
        stderr = proc.stderr.decode("utf-8", "replace")
        why = crash_status(proc.returncode, stderr)
        if why:
            first = " / ".join(ln.strip() for ln in stderr_excerpt(stderr, 2))
            found.append((real, why, first))
    return found


BISECT_BUDGET = [3]  # crashed invocations still to split into single files


def run_refhound(binary, cwd, args, prefix, timeout, problems, label, target_version):
    """Run `refhound freevars ARGS` and return (records list, stderr text)."""
    cmd = [binary, "freevars", "--target-version", target_version, *args]
    shown = " ".join(cmd[:2] + (args if len(args) <= 3 else args[:3] + [f"... ({len(args)} args)"]))
    where = f" (cwd {cwd})" if cwd else ""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        problems.add(f"{label}: refhound timed out after {timeout}s: {shown}{where}")
        return [], ""
    except OSError as e:
        problems.add(f"{label}: cannot run refhound: {e}")
        return [], ""
    stderr = proc.stderr.decode("utf-8", "replace")
    why = crash_status(proc.returncode, stderr)
    if why:
        msg = [f"{label}: refhound CRASHED ({why}): {shown}{where}"]
        msg += ["      | " + ln for ln in stderr_excerpt(stderr)]
        if BISECT_BUDGET[0] > 0:
            BISECT_BUDGET[0] -= 1
            culprits = find_crashing_files(binary, cwd, args)
            if not any(True for _ in oracle.collect_files([os.path.join(cwd or ".", a) for a in args])):
                msg.append("    (it was given no .py files at all)")
            elif culprits:
                msg.append("    crashes on its own with (first few):")
                for real, cwhy, first in culprits:
                    msg.append(f"      {binary} freevars {real}    # {cwhy}: {first[:150]}")
            else:
                msg.append("    (no single file crashes on its own: the crash needs several files together)")
        problems.add("\n".join(msg))
    records = []
    bad = 0
    for n, raw in enumerate(proc.stdout.split(b"\n"), 1):
        if not raw.strip():
            continue
        line = raw.decode("utf-8", "surrogateescape")
        try:
            d = json.loads(line)
        except ValueError as e:
            reason = f"invalid JSON ({e})"
        else:
            reason = malformed_reason(d)
        if reason:
            bad += 1
            if bad <= 5:
                problems.add(f"{label}: malformed refhound output line {n}: {reason}: {line[:200]}")
            continue
        if prefix:
            d["file"] = prefix + d["file"]
        records.append(to_record(d))
    if bad > 5:
        problems.add(f"{label}: ... {bad} malformed lines in all")
    return records, stderr


# ---------------------------------------------------------------- comparison


class Mismatch:
    """One difference: CPython's and refhound's records for one code object."""

    def __init__(self, file, expected, got, note="", whole_file=None):
        self.file = file
        self.expected = expected  # list of records (CPython)
        self.got = got  # list of records (refhound)
        self.note = note
        # (number of CPython records, refhound's stderr lines about the file)
        # when refhound printed nothing at all for a file CPython compiled.
        self.whole_file = whole_file

    def sort_key(self):
        if self.whole_file:
            return (self.file, -1, "")
        recs = self.expected or self.got
        return (self.file, min(r[F_LINE] for r in recs), min(r[F_QUAL] for r in recs))

    def fields(self):
        """Names of the fields that differ, for the tally."""
        if not self.got:
            return ["missing"]
        if not self.expected:
            return ["extra"]
        if len(self.expected) != len(self.got):
            return ["count"]
        out = set()
        for e, g in zip(sorted(self.expected), sorted(self.got)):
            for i, f in enumerate(FIELDS):
                if e[i] != g[i]:
                    out.add(f)
        return sorted(out) or ["?"]


def compare(expected, got):
    """Mismatches between two record lists (as multisets)."""
    exp_c = collections.Counter(expected)
    got_c = collections.Counter(got)
    missing = exp_c - got_c
    extra = got_c - exp_c
    by_key = collections.defaultdict(lambda: ([], []))
    for rec, n in missing.items():
        by_key[(rec[F_FILE], rec[F_QUAL], rec[F_LINE])][0].extend([rec] * n)
    for rec, n in extra.items():
        by_key[(rec[F_FILE], rec[F_QUAL], rec[F_LINE])][1].extend([rec] * n)

    mismatches = []
    only_exp, only_got = [], []
    for key, (e, g) in by_key.items():
        if e and g:
            mismatches.append(Mismatch(key[0], sorted(e), sorted(g)))
        elif e:
            only_exp.extend(e)
        else:
            only_got.extend(g)

    # Pair a record only CPython has with one only refhound has when they are
    # plainly the same code object: same qualname (firstlineno differs, e.g. a
    # decorator line), or same line and name (qualname differs).
    def pair(key_fn, note):
        nonlocal only_exp, only_got
        groups_e = collections.defaultdict(list)
        groups_g = collections.defaultdict(list)
        for r in only_exp:
            groups_e[key_fn(r)].append(r)
        for r in only_got:
            groups_g[key_fn(r)].append(r)
        rest_e, rest_g = [], []
        for k, es in groups_e.items():
            gs = groups_g.get(k, [])
            if len(es) == 1 and len(gs) == 1:
                mismatches.append(Mismatch(es[0][F_FILE], es, gs, note))
                groups_g[k] = []
            else:
                rest_e.extend(es)
        for gs in groups_g.values():
            rest_g.extend(gs)
        only_exp, only_got = rest_e, rest_g

    pair(lambda r: (r[F_FILE], r[F_QUAL], r[F_KIND]), "firstlineno differs")
    pair(lambda r: (r[F_FILE], r[F_LINE], r[F_NAME]), "qualname differs")

    for r in only_exp:
        mismatches.append(Mismatch(r[F_FILE], [r], []))
    for r in only_got:
        mismatches.append(Mismatch(r[F_FILE], [], [r]))
    mismatches.sort(key=Mismatch.sort_key)
    return mismatches


# ---------------------------------------------------------------- display


def fmt_list(t):
    return "[" + ", ".join(t) + "]"


def fmt_record_short(r):
    return f"L{r[F_LINE]} {r[F_QUAL]}  kind={r[F_KIND]} name={r[F_NAME]} freevars={fmt_list(r[F_FREE])} cellvars={fmt_list(r[F_CELL])}"


def order_note(a, b):
    if a != b and sorted(a) == sorted(b) and len(a) == len(b):
        return "   (same names, different order)"
    return ""


def field_table(e, g, indent):
    rows = [
        ("qualname", e[F_QUAL], g[F_QUAL]),
        ("firstlineno", str(e[F_LINE]), str(g[F_LINE])),
        ("name", e[F_NAME], g[F_NAME]),
        ("kind", e[F_KIND], g[F_KIND]),
        ("freevars", fmt_list(e[F_FREE]), fmt_list(g[F_FREE])),
        ("cellvars", fmt_list(e[F_CELL]), fmt_list(g[F_CELL])),
    ]
    # qualname and firstlineno are in the heading; show them only when they differ.
    rows = [r for r in rows if r[0] not in ("qualname", "firstlineno") or r[1] != r[2]]
    width = min(60, max(len("cpython"), max(len(r[1]) for r in rows)))
    lines = [f"{indent}  {'field':<12}{'cpython':<{width}}  refhound"]
    for name, a, b in rows:
        mark = "*" if a != b else " "
        note = ""
        if name == "freevars":
            note = order_note(e[F_FREE], g[F_FREE])
        elif name == "cellvars":
            note = order_note(e[F_CELL], g[F_CELL])
        lines.append(f"{indent}{mark} {name:<12}{a:<{width}}  {b}{note}")
    return lines


def format_mismatch(m, indent="    "):
    recs = m.expected or m.got
    r0 = recs[0]
    lines = []
    if m.expected and m.got:
        tag = m.note or "differs"
        if len(m.expected) == 1 and len(m.got) == 1:
            lines.append(f"  L{r0[F_LINE]} {r0[F_QUAL]}   [{tag}]")
            lines.extend(field_table(m.expected[0], m.got[0], indent))
        else:
            lines.append(
                f"  L{r0[F_LINE]} {r0[F_QUAL]}   [{len(m.expected)} unmatched CPython vs {len(m.got)} unmatched refhound records]"
            )
            for r in m.expected:
                lines.append(f"{indent}cpython : {fmt_record_short(r)}")
            for r in m.got:
                lines.append(f"{indent}refhound: {fmt_record_short(r)}")
    elif m.expected:
        lines.append(f"  L{r0[F_LINE]} {r0[F_QUAL]}   [MISSING in refhound]")
        lines.append(f"{indent}cpython : {fmt_record_short(r0)}")
    else:
        lines.append(f"  L{r0[F_LINE]} {r0[F_QUAL]}   [EXTRA in refhound]")
        lines.append(f"{indent}refhound: {fmt_record_short(r0)}")
    return lines


# ---------------------------------------------------------------- corpora


class Interpreter:
    """A CPython that serves as the oracle: its version, its executable (None: this process)."""

    def __init__(self, version, executable=None):
        self.version = version  # (major, minor)
        self.executable = executable

    @property
    def dotted(self):
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def has_qualname(self):
        # Before 3.11 code objects have no co_qualname; the oracle rebuilds an approximation.
        return self.version >= (3, 11)

    def stdlib(self):
        if self.executable is None:
            return sysconfig.get_paths()["stdlib"]
        out = subprocess.run(
            [self.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def records(self, path, exclude, files_like, jobs):
        """(expected records, files compiled, files skipped) for `path` under this CPython."""
        expected = []
        compiled, skipped = set(), set()
        if self.executable is None:
            items = oracle.collect_files([path], exclude, files_like)
            for display, recs, _err in oracle.iter_results(items, jobs):
                if recs is None:
                    skipped.add(display)
                else:
                    compiled.add(display)
                    expected.extend(to_record(r) for r in recs)
            return expected, compiled, skipped
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpython_freevars.py")
        with tempfile.NamedTemporaryFile("r", suffix=".txt", encoding="utf-8", errors="surrogateescape") as skip:
            cmd = [self.executable, script, "--skipped", skip.name]
            for name in exclude:
                cmd += ["--exclude-dir", name]
            if files_like:
                cmd += ["--files-like", files_like]
            if jobs:
                cmd += ["--jobs", str(jobs)]
            cmd.append(path)
            proc = subprocess.run(cmd, capture_output=True)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"the oracle under {self.executable} failed: " + proc.stderr.decode("utf-8", "replace")[-2000:]
                )
            for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
                rec = to_record(json.loads(line))
                compiled.add(rec[F_FILE])
                expected.append(rec)
            skipped.update(line for line in skip.read().splitlines() if line)
        return expected, compiled, skipped


def find_interpreters():
    """Every CPython 3.8-3.13 here: pyenv's newest of each minor version, else python3.X on PATH."""
    found = {}
    pyenv = shutil.which("pyenv")
    if pyenv:
        proc = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        for name in proc.stdout.split():
            m = re.fullmatch(r"3\.(\d+)\.(\d+)", name)
            if not m or not 8 <= int(m.group(1)) <= 13:
                continue
            exe = os.path.join(root, "versions", name, "bin", "python3")
            key = (3, int(m.group(1)))
            patch = int(m.group(2))
            if os.access(exe, os.X_OK) and (key not in found or found[key][0] < patch):
                found[key] = (patch, exe)
    for minor in range(8, 14):
        key = (3, minor)
        exe = shutil.which(f"python3.{minor}")
        if key not in found and exe:
            found[key] = (0, exe)
    out = []
    for key in sorted(found):
        exe = found[key][1]
        if key == sys.version_info[:2] and os.path.realpath(exe) == os.path.realpath(sys.executable):
            exe = None  # this process: no subprocess needed
        out.append(Interpreter(key, exe))
    return out


def run_corpus(label, path, exclude, args, problems, dump, interpreter):
    problems_before = len(problems.items)
    t0 = time.monotonic()
    expected, compiled, skipped = interpreter.records(path, exclude, args.files_like, args.oracle_jobs)
    if not interpreter.has_qualname:
        # Compared by file, name, first line and kind (and the variables), not qualname.
        expected = [r[:F_QUAL] + ("",) + r[F_QUAL + 1 :] for r in expected]
    t_oracle = time.monotonic() - t0

    t0 = time.monotonic()
    got_all = []
    stderr_all = []
    if os.path.isdir(path):
        invocations = plan_invocations(path, frozenset(exclude))
    else:
        invocations = [(None, [path], "")]
    for cwd, inv_args, prefix in invocations:
        recs, stderr = run_refhound(
            args.refhound, cwd, inv_args, prefix, args.timeout, problems, label, interpreter.dotted
        )
        if not interpreter.has_qualname:
            recs = [r[:F_QUAL] + ("",) + r[F_QUAL + 1 :] for r in recs]
        got_all.extend(recs)
        if stderr:
            stderr_all.append((prefix, stderr))
    t_refhound = time.monotonic() - t0

    if args.files_like:
        got_all = [r for r in got_all if args.files_like in r[F_FILE]]
    got = [r for r in got_all if r[F_FILE] in compiled]
    got_files = {r[F_FILE] for r in got_all}
    unknown_files = sorted(got_files - compiled - skipped)
    absent_files = sorted(compiled - got_files)

    mismatches = compare(expected, got)
    # A file refhound skipped entirely would otherwise flood the list with one
    # MISSING line per code object: show it once, with what refhound said.
    absent = set(absent_files)
    if absent:
        mismatches = [m for m in mismatches if m.file not in absent]
        for f in absent_files:
            said = []
            for pre, text in stderr_all:
                if f.startswith(pre):
                    # refhound names the file relative to its directory argument.
                    pat = re.compile(r"(?<![\w.-])" + re.escape(f[len(pre) :]) + r"(?![\w.])")
                    said += [ln.strip() for ln in text.splitlines() if pat.search(ln)]
            said = said[:2]
            n = sum(1 for r in expected if r[F_FILE] == f)
            mismatches.append(Mismatch(f, [], [], whole_file=(n, said)))
        mismatches.sort(key=Mismatch.sort_key)

    n_free = sum(1 for r in expected if r[F_FREE])
    n_mis = len(mismatches) + len(unknown_files)
    crashed = len(problems.items) > problems_before
    print(
        f"{label}: {len(compiled)} files, {len(expected)} code objects, {n_free} with freevars, "
        f"{n_mis} mismatches"
        f"   [oracle {t_oracle:.1f}s, refhound {t_refhound:.1f}s; {len(skipped)} files CPython could not compile are ignored]"
        + ("\n  REFHOUND CRASHED or printed malformed output: see the end" if crashed else "")
    )
    if n_mis:
        tally = collections.Counter()
        for m in mismatches:
            if m.whole_file:
                tally["whole file missing"] += 1
            else:
                tally.update(m.fields())
        if unknown_files:
            tally["unexpected file"] += len(unknown_files)
        print("  by kind of difference: " + ", ".join(f"{k} {v}" for k, v in tally.most_common()))
        print(f"  refhound: {len(got)} records for these files (CPython: {len(expected)})")
        if os.path.isdir(path):
            print(f"  files below are relative to {os.path.abspath(path)}")
        if unknown_files:
            print(f"  refhound reported {len(unknown_files)} file(s) the oracle never saw (directory walk differs):")
            for f in unknown_files[:10]:
                print(f"    {f}")
        shown = 0
        last_file = None
        for m in mismatches:
            if shown >= args.max:
                break
            shown += 1
            if m.file != last_file:
                print(f"\n  == {m.file}")
                last_file = m.file
            whole = m.whole_file
            if whole:
                n, said = whole
                print(f"    [WHOLE FILE MISSING in refhound: no records; CPython has {n} code objects]")
                for s in said:
                    print(f"      refhound stderr: {s}")
                continue
            for ln in format_mismatch(m):
                print("  " + ln)
        if len(mismatches) > shown:
            print(
                f"\n  ... {len(mismatches) - shown} more mismatches"
                " (use --max N, --files-like SUBSTR, or --dump FILE for all)"
            )
        if any(
            order_note(e[F_FREE], g[F_FREE]) or order_note(e[F_CELL], g[F_CELL])
            for m in mismatches[:shown]
            for e, g in zip(m.expected, m.got)
        ):
            print(
                "\n  note: CPython's order is: freevars sorted by code point; cellvars are the cell"
                " parameters in parameter order, then the other cells sorted by code point."
            )
        print()
    if dump is not None:
        for m in mismatches:
            whole = m.whole_file
            entry = {"corpus": label, "file": m.file}
            if whole:
                entry["whole_file_missing"] = whole[0]
            else:
                entry["cpython"] = [dict(zip(FIELDS, r)) for r in m.expected]
                entry["refhound"] = [dict(zip(FIELDS, r)) for r in m.got]
                entry["note"] = m.note
            dump.write(json.dumps(entry, ensure_ascii=False) + "\n")
        for f in unknown_files:
            dump.write(json.dumps({"corpus": label, "file": f, "unexpected_file": True}) + "\n")
    return n_mis


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare `refhound freevars` with CPython's compiler.")
    ap.add_argument("paths", nargs="*", metavar="PATH", help="files or directories to compare")
    ap.add_argument("--refhound", required=True, metavar="BINARY", help="path to the refhound binary")
    ap.add_argument(
        "--stdlib",
        action="store_true",
        help="also compare over this python3's standard library (without site-packages/dist-packages)",
    )
    ap.add_argument(
        "--all-pythons",
        action="store_true",
        help="compare over the standard library of every CPython 3.8-3.13 found (pyenv, python3.X on PATH),"
        " each with refhound's --target-version set to match",
    )
    ap.add_argument("--max", type=int, default=30, metavar="N", help="how many mismatches to print per corpus (default 30)")
    ap.add_argument("--files-like", metavar="SUBSTR", help="only files whose relative path contains SUBSTR")
    ap.add_argument(
        "--exclude-dir",
        action="append",
        default=[],
        metavar="NAME",
        help="skip directories with this name below PATH arguments (repeatable)",
    )
    ap.add_argument("--dump", metavar="FILE", help="write every mismatch as a JSON line to FILE")
    ap.add_argument("--oracle-jobs", type=int, default=None, metavar="N", help="processes for the CPython oracle")
    ap.add_argument("--timeout", type=int, default=900, metavar="SECONDS", help="per refhound run (default 900)")
    args = ap.parse_args(argv)

    if not args.paths and not args.stdlib and not args.all_pythons:
        ap.error("give at least one PATH, --stdlib or --all-pythons")
    binary = args.refhound
    if os.sep not in binary and not os.path.exists(binary):
        binary = shutil.which(binary) or binary  # a bare name: look it up on PATH
    if not os.path.isfile(binary):
        print(f"compare: refhound binary not found: {args.refhound}", file=sys.stderr)
        return 2
    args.refhound = os.path.abspath(binary)  # refhound may run with another cwd

    this_python = Interpreter(sys.version_info[:2])
    corpora = []
    for p in args.paths:
        if not os.path.exists(p):
            print(f"compare: no such file or directory: {p}", file=sys.stderr)
            return 2
        corpora.append((p, p, args.exclude_dir, this_python))
    if args.stdlib:
        corpora.append((f"stdlib {this_python.dotted}", this_python.stdlib(), list(STDLIB_EXCLUDES), this_python))
    if args.all_pythons:
        interpreters = find_interpreters()
        shown = ", ".join(f"{i.dotted} ({i.executable or sys.executable})" for i in interpreters)
        print(f"compare: CPython interpreters found: {shown or 'none'}")
        missing = [f"3.{m}" for m in range(8, 14) if (3, m) not in {i.version for i in interpreters}]
        if missing:
            print(f"compare: not found, so not compared: {', '.join(missing)}")
        for interpreter in interpreters:
            if args.stdlib and interpreter.version == this_python.version and interpreter.executable is None:
                continue  # already in the list
            corpora.append(
                (f"stdlib {interpreter.dotted}", interpreter.stdlib(), list(STDLIB_EXCLUDES), interpreter)
            )

    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)
    problems = Problems()
    total = 0
    dump = open(args.dump, "w", encoding="utf-8", errors="surrogateescape") if args.dump else None
    try:
        for label, path, exclude, interpreter in corpora:
            total += run_corpus(label, path, exclude, args, problems, dump, interpreter)
    finally:
        if dump:
            dump.close()
    if problems:
        print(f"\nFAILED: refhound crashed or printed malformed output ({len(problems.items)} problem(s)):")
        for p in problems.items[:8]:
            print("  " + p)
        if len(problems.items) > 8:
            print(f"  ... and {len(problems.items) - 8} more")
    if total or problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
