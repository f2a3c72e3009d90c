//! `refhound freevars`: every code object's `co_freevars` / `co_cellvars`, as JSON lines.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::analysis::parse::parse;
use crate::analysis::scope::ScopeTree;
use crate::analysis::settings::PythonVersion;
use crate::files::{for_each_file, python_files, read_source};

/// One output line; the field names are the oracle's (`tests/oracle/cpython_freevars.py`).
#[derive(Serialize)]
struct CodeObjectLine<'a> {
    file: &'a str,
    qualname: &'a str,
    name: &'a str,
    firstlineno: usize,
    kind: &'a str,
    freevars: &'a [String],
    cellvars: &'a [String],
}

/// `target`: the CPython whose compiler is reproduced (3.8 to 3.13).
pub fn run(paths: &[PathBuf], target: PythonVersion) -> Result<(), String> {
    let files = python_files(paths, &[])?;
    let outputs = for_each_file(&files, |file| {
        let text = read_source(file)?;
        let tree = parse(&text);
        let scopes = ScopeTree::new(&text, &tree, target);
        let mut out = String::new();
        for scope in scopes.code_objects() {
            let line = CodeObjectLine {
                file: &file.display,
                qualname: &scope.qualname,
                name: &scope.name,
                firstlineno: scope.first_line,
                kind: scope.kind.label(),
                freevars: &scope.freevars,
                cellvars: &scope.cellvars,
            };
            out.push_str(
                &serde_json::to_string(&line).expect("plain strings and numbers serialize"),
            );
            out.push('\n');
        }
        if tree.root_node().has_error() {
            eprintln!(
                "refhound: {}: syntax errors; the results cover what parsed",
                file.display
            );
        }
        if scopes.truncated {
            eprintln!(
                "refhound: {}: nested too deeply; the deepest parts were skipped",
                file.display
            );
        }
        Ok::<_, String>(out)
    });
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    for output in outputs {
        match output {
            Ok(text) => stdout
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string())?,
            Err(message) => eprintln!("refhound: {message}"),
        }
    }
    stdout.flush().map_err(|e| e.to_string())
}
