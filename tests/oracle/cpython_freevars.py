#!/usr/bin/env python3
"""CPython ground truth for `refhound freevars`.

Usage:
    python3 tests/oracle/cpython_freevars.py [--exclude-dir NAME]... [--skipped FILE]
                                             [--jobs N] [--files-like SUBSTR] PATH...

For every `.py` file under each PATH this compiles the file's bytes with the
running CPython (`compile(source_bytes, filename, "exec", dont_inherit=True)`,
so CPython itself applies PEP 263 coding cookies and the UTF-8 BOM) and prints
one JSON line per code object, module first and then depth-first through
`co_consts`:

    {"file": ..., "qualname": ..., "name": ..., "firstlineno": ...,
     "kind": "module|class|function|lambda|comprehension",
     "freevars": [...], "cellvars": [...]}

`file` is, for a directory argument, the file's path relative to that
directory with `/` separators; for a file argument, the argument exactly as
given.  Directories are walked recursively (symlinked directories are not
followed), in sorted order; `--exclude-dir NAME` skips every directory called
NAME anywhere below a directory argument.  Files that do not compile
(SyntaxError, ValueError, UnicodeDecodeError, RecursionError, ...) are skipped:
listed on stderr, or, with `--skipped FILE`, written to FILE one `file` value a
line.

The module is also imported by compare.py (collect_files / iter_results).
"""

import argparse
import inspect
import json
import os
import sys
import types
import warnings
from multiprocessing import Pool

if sys.version_info < (3, 8):
    sys.exit("cpython_freevars.py needs Python 3.8 or later")

# Before 3.11 code objects have no co_qualname: it is rebuilt from the nesting of code objects
# (what `compiler_set_qualname` does, except for a def declared `global` in a function), and
# compare.py does not compare it.
HAS_QUALNAME = sys.version_info >= (3, 11)

COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})

def kind_of(code, is_top):
    if is_top:
        return "module"
    if code.co_name == "<lambda>":
        return "lambda"
    if code.co_name in COMPREHENSIONS:
        return "comprehension"
    if not code.co_flags & inspect.CO_NEWLOCALS:
        return "class"
    return "function"


def code_records(code, file):
    """Records for `code` and everything nested in it, module first, depth-first."""
    out = []
    stack = [(code, True, None)]
    while stack:
        co, top, parent = stack.pop()
        kind = kind_of(co, top)
        if HAS_QUALNAME:
            qualname = co.co_qualname
        elif parent is None or parent[1] == "module":
            qualname = co.co_name
        elif parent[1] in ("function", "lambda"):
            qualname = parent[0] + ".<locals>." + co.co_name
        else:
            qualname = parent[0] + "." + co.co_name
        out.append(
            {
                "file": file,
                "qualname": qualname,
                "name": co.co_name,
                "firstlineno": co.co_firstlineno,
                "kind": kind,
                "freevars": list(co.co_freevars),
                "cellvars": list(co.co_cellvars),
            }
        )
        children = [c for c in co.co_consts if isinstance(c, types.CodeType)]
        # Reverse so the first constant is visited first (pre-order, depth-first).
        stack.extend((c, False, (qualname, kind)) for c in reversed(children))
    return out


def _walk_dir(root, exclude):
    """Yield (display, real_path) for *.py files below directory `root`, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in exclude)
        for name in filenames:
            if not name.endswith(".py"):
                continue
            real = os.path.join(dirpath, name)
            if not os.path.isfile(real):
                continue
            rel = os.path.relpath(real, root)
            if os.sep != "/":
                rel = rel.replace(os.sep, "/")
            found.append((rel, real))
    found.sort()
    return found


def collect_files(paths, exclude=(), files_like=None):
    """List of (display name, real path) for all arguments, in argument order,
    each directory's files sorted by their relative path."""
    exclude = frozenset(exclude)
    out = []
    for p in paths:
        if os.path.isdir(p):
            items = _walk_dir(p, exclude)
        elif os.path.exists(p):
            items = [(p, p)]
        else:
            raise FileNotFoundError(p)
        if files_like:
            items = [it for it in items if files_like in it[0]]
        out.extend(items)
    return out


def analyze_file(item):
    """(display, records or None, error message or None) for one file."""
    display, real = item
    try:
        with open(real, "rb") as f:
            source = f.read()
    except OSError as e:
        return display, None, f"read error: {e}"
    try:
        with warnings.catch_warnings():
            # SyntaxWarning / DeprecationWarning (invalid escapes, `is` with a literal)
            # would only be noise here.
            warnings.simplefilter("ignore")
            code = compile(source, real, "exec", dont_inherit=True)
    except RecursionError:
        return display, None, "RecursionError: too deeply nested for CPython"
    except MemoryError:
        return display, None, "MemoryError"
    # SystemError: a compiler bug (3.12.1 fails on `__class__` in a lambda in a class-body
    # comprehension); the file cannot be compiled by that interpreter.
    except (SyntaxError, ValueError, UnicodeError, LookupError, OverflowError, SystemError) as e:
        msg = str(e).splitlines()[0] if str(e) else ""
        return display, None, f"{type(e).__name__}: {msg}"
    # code_records() is iterative: no recursion limit to worry about.  The
    # recursion limit is deliberately left at its default: CPython's compiler
    # scales its own depth limit from it, and raising it risks a C stack
    # overflow instead of a clean RecursionError.
    return display, code_records(code, display), None


def iter_results(items, jobs=None):
    """Yield analyze_file() results in the order of `items`."""
    if jobs is None:
        jobs = os.cpu_count() or 1
    jobs = max(1, min(jobs, len(items)))
    if jobs == 1:
        for it in items:
            yield analyze_file(it)
        return
    # Big chunks keep the IPC overhead small; results come back in order.
    chunksize = max(1, min(16, len(items) // (jobs * 8) or 1))
    with Pool(jobs) as pool:
        yield from pool.imap(analyze_file, items, chunksize=chunksize)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Print CPython's co_freevars/co_cellvars for every code object, as JSON lines."
    )
    ap.add_argument("paths", nargs="+", metavar="PATH")
    ap.add_argument(
        "--exclude-dir",
        action="append",
        default=[],
        metavar="NAME",
        help="skip directories with this name anywhere below a directory argument (repeatable)",
    )
    ap.add_argument(
        "--skipped",
        metavar="FILE",
        help="write the files that failed to compile to FILE, one per line, instead of stderr",
    )
    ap.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="worker processes (default: number of CPUs; 1 = no multiprocessing)",
    )
    ap.add_argument("--files-like", metavar="SUBSTR", help="only files whose `file` value contains SUBSTR")
    args = ap.parse_args(argv)

    try:
        items = collect_files(args.paths, args.exclude_dir, args.files_like)
    except FileNotFoundError as e:
        print(f"cpython_freevars: no such file or directory: {e}", file=sys.stderr)
        return 2

    out = sys.stdout
    out.reconfigure(encoding="utf-8", errors="surrogateescape", newline="\n")
    skipped = []
    for display, records, err in iter_results(items, args.jobs):
        if records is None:
            skipped.append(display)
            if not args.skipped:
                print(f"skipped {display}: {err}", file=sys.stderr)
            continue
        out.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    out.flush()
    if args.skipped:
        with open(args.skipped, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.writelines(s + "\n" for s in skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
