#!/usr/bin/env python3
"""Bounded CLI fuzz: `refhound check --format json` on mutated real files (byte flips,
truncations, deep nesting, bad encodings) must never crash and must always print valid JSON.

Usage: tests/fuzz_cli.py REFHOUND [CASES]   (default 60 cases; deterministic seed)"""
import json, os, random, subprocess, sys, sysconfig, tempfile
from pathlib import Path

def mutations(rnd, data):
    yield "flip", bytes(b ^ (1 << rnd.randrange(8)) if rnd.random() < 0.01 else b for b in data)
    yield "truncate", data[: rnd.randrange(len(data) + 1)]
    n = rnd.choice([99, 100, 400, 600])
    yield "deep-indent", b"'\n" + b"".join(b" " * i + b"def f%d():\n" % i for i in range(n)) + b" " * n + b"pass\n"
    yield "deep-brackets", b"x = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n"
    yield "latin1-cookie", b"# -*- coding: latin-1 -*-\n" + data.replace(b"\n", b"\r", rnd.randrange(3))
    yield "bad-utf8", data[: len(data) // 2] + b"\xff\xfe\xc3" + data[len(data) // 2:]
    yield "utf16", data.decode("utf-8", "replace").encode("utf-16")
    yield "cr-only", data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")

def main():
    binary, cases = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 60
    rnd = random.Random(14)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size < 200_000)
    failures = done = 0
    with tempfile.TemporaryDirectory(prefix="refhound-fuzz-") as d:
        while done < cases:
            source = rnd.choice(sources)
            for kind, data in mutations(rnd, source.read_bytes()):
                if done >= cases:
                    break
                done += 1
                path = Path(d, f"case{done}_{kind}.py")
                path.write_bytes(data)
                p = subprocess.run([binary, "check", "--exit-zero", "--format", "json", str(path)],
                                   capture_output=True, timeout=120)
                problem = None
                if p.returncode not in (0, 2) or b"panicked" in p.stderr:
                    problem = f"exit status {p.returncode}: {p.stderr[-300:]!r}"
                else:
                    try:
                        json.loads(p.stdout) if p.returncode == 0 else None
                    except ValueError as e:
                        problem = f"invalid JSON: {e}"
                if problem:
                    failures += 1
                    keep = Path(tempfile.gettempdir(), path.name)
                    keep.write_bytes(data)
                    print(f"FAIL {kind} of {source.name}: {problem} (input kept in {keep})")
                else:
                    path.unlink()
    print(f"fuzz: {done} cases, {failures} failed")
    return 1 if failures else 0

sys.exit(main())
