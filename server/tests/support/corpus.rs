//! The real files the randomised tests edit (the repository's fixtures and demo, some of the
//! standard library), and what the edits insert.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the random edits insert: keystrokes, and changes that cross what one statement's scope
/// model may assume on its own (a `__future__` import, unreachable module-level code, a
/// `global` or `nonlocal` declaration, `__class__`, broken syntax).
pub const PIECES: &[&str] = &[
    "x",
    "(",
    ")",
    ":",
    "\n",
    "    ",
    "é",
    "😀",
    "\ndef g(a):\n    return lambda: a + y\n",
    "\nraise SystemExit\n",
    "\nif 0:\n    def h(): pass\n",
    "\nfrom __future__ import annotations\n",
    "\nglobal z\n",
    "nonlocal q\n",
    "\nclass K:\n    def m(self): return __class__\n",
    "lambda: self",
    "\n_cache = {}\ndef get(k):\n    _cache[k] = k\n    return _cache[k]\n",
    // What differs between the modelled CPython versions: inlined comprehensions (3.12+),
    // annotation scopes (PEP 695), assertions and branches that cannot run.
    "[lambda: x for x in y]",
    "\nr = [lambda: i for i in range(3)]\n",
    "\ntype Alias[A] = list[A]\n",
    "\nclass G[T]:\n    def m(self) -> T: return [t for t in self]\n",
    "\nassert 1, lambda: 2\n",
    "\nif False:\n    class Dead: pass\n",
];

fn python_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            python_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "py") {
            into.push(path);
        }
    }
}

pub fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    python_files(&root.join("tests/fixtures"), &mut files);
    python_files(&root.join("tests/demo"), &mut files);
    let stdlib = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 runs");
    let stdlib = PathBuf::from(String::from_utf8(stdlib.stdout).unwrap().trim());
    for name in [
        "typing.py",
        "dataclasses.py",
        "functools.py",
        "threading.py",
        "asyncio/base_events.py",
        "tkinter/__init__.py",
        "test/test_typing.py",
    ] {
        // A Python built without some of these (no tkinter, no test package) has fewer.
        let path = stdlib.join(name);
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The nearest character boundary at or before `at`.
pub fn boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
