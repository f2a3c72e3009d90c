//! Letting a fix's code name a module or one of its members: an import the file already has at
//! the top level is reused, under its alias if it has one; otherwise an import is added after
//! the file's docstring and leading imports.

use tree_sitter::Node;

use crate::analysis::findings::Edit;
use crate::analysis::scope::{NameScope, Role, ScopeTree};
use crate::analysis::syntax::{Field, Module, NodeLookups};

/// What a fix's code needs to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed<'a> {
    /// A module, as `import functools` binds it (a dotted name such as `os.path` is allowed).
    Module(&'a str),
    /// A module's member, as `from contextvars import ContextVar` binds it.
    Member { module: &'a str, name: &'a str },
}

/// How a fix's code names what it needed, and the import to add when none can be reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The expression the fix writes: `functools`, `ft`, `ContextVar`, `contextvars.ContextVar`.
    pub reference: String,
    /// The new import statement on a line of its own; `None` when an existing import serves.
    pub edit: Option<Edit>,
}

/// How the code a fix puts at byte offset `used_at` can name `needed`. A top-level import that
/// comes before `used_at` is reused; imports in functions or under `if` / `try` are not (they
/// may not have run). `None` when naming it would change what a name means: the name an import
/// binds is also bound to something else in the module (or by a function's `global`), or in a
/// function or class around `used_at`; or when the file has syntax errors.
pub fn import(
    text: &str,
    module: Module,
    scopes: &ScopeTree,
    needed: Needed,
    used_at: usize,
) -> Option<Imported> {
    if module.has_error() {
        return None;
    }
    let mut via_module = None;
    for statement in module.statements().filter(|s| s.start_byte() < used_at) {
        for binding in bindings(statement, text) {
            let Some(reference) = binding.reference_to(needed) else {
                continue;
            };
            if !keeps_meaning(&binding, scopes, module, text, used_at) {
                continue;
            }
            // `from m import n` names a member directly: it wins over `m.n`.
            if matches!(binding.target, Target::Member { .. }) {
                return Some(Imported {
                    reference,
                    edit: None,
                });
            }
            via_module.get_or_insert(reference);
        }
    }
    if let Some(reference) = via_module {
        return Some(Imported {
            reference,
            edit: None,
        });
    }
    let (statement, added) = match needed {
        Needed::Module(module) => (format!("import {module}"), Binding::module(module, None)),
        Needed::Member { module, name } => (
            format!("from {module} import {name}"),
            Binding::member(module, name, None),
        ),
    };
    if !keeps_meaning(&added, scopes, module, text, used_at) {
        return None;
    }
    Some(Imported {
        reference: added.reference_to(needed)?,
        edit: Some(insert_line(text, insertion_point(text, module), &statement)),
    })
}

/// What an import makes a local name refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Module(String),
    Member { module: String, name: String },
}

/// One name an import statement binds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Binding {
    local: String,
    target: Target,
    /// The module the statement loads: `import a.b.c` binds `a` but loads `a.b.c`, so `a.b`
    /// can be named through it.
    loaded: String,
}

impl Binding {
    /// `import module` (binds its first component) or `import module as alias`.
    fn module(module: &str, alias: Option<&str>) -> Binding {
        let (local, target) = match alias {
            Some(alias) => (alias, module),
            None => {
                let first = module.split('.').next().unwrap_or(module);
                (first, first)
            }
        };
        Binding {
            local: local.to_string(),
            target: Target::Module(target.to_string()),
            loaded: module.to_string(),
        }
    }

    /// `from module import name` or `from module import name as alias`.
    fn member(module: &str, name: &str, alias: Option<&str>) -> Binding {
        Binding {
            local: alias.unwrap_or(name).to_string(),
            target: Target::Member {
                module: module.to_string(),
                name: name.to_string(),
            },
            loaded: module.to_string(),
        }
    }

    /// The expression naming `needed` through this binding, if it can.
    fn reference_to(&self, needed: Needed) -> Option<String> {
        match (&self.target, needed) {
            (Target::Module(bound), Needed::Module(module)) => self.module_reference(bound, module),
            (Target::Module(bound), Needed::Member { module, name }) => self
                .module_reference(bound, module)
                .map(|reference| format!("{reference}.{name}")),
            (Target::Member { module, name }, Needed::Member { module: m, name: n }) => {
                (module == m && name == n).then(|| self.local.clone())
            }
            (Target::Member { .. }, Needed::Module(_)) => None,
        }
    }

    /// `module` named through a local bound to module `bound`: the local itself when they are
    /// the same module, `local.rest` when `module` is a submodule the statement loaded.
    fn module_reference(&self, bound: &str, module: &str) -> Option<String> {
        if module == bound {
            return Some(self.local.clone());
        }
        let rest = module.strip_prefix(bound)?.strip_prefix('.')?;
        let loaded = self.loaded == module || self.loaded.starts_with(&format!("{module}."));
        loaded.then(|| format!("{}.{rest}", self.local))
    }
}

fn is_import(node: Node) -> bool {
    matches!(
        node.kind_name(),
        "import_statement" | "import_from_statement" | "future_import_statement"
    )
}

/// The names an import statement binds (none for relative and `*` imports).
fn bindings(statement: Node, text: &str) -> Vec<Binding> {
    let source = |node: Node| &text[node.byte_range()];
    let mut found = Vec::new();
    let module = match statement.kind_name() {
        "import_statement" => None,
        "import_from_statement" => match statement.field(Field::ModuleName) {
            Some(module) if module.kind_name() == "dotted_name" => Some(source(module)),
            _ => return found,
        },
        _ => return found,
    };
    let mut cursor = statement.walk();
    for name in statement.children_by_field_name("name", &mut cursor) {
        let (imported, alias) = match name.kind_name() {
            "dotted_name" => (source(name), None),
            "aliased_import" => match (name.field(Field::Name), name.field(Field::Alias)) {
                (Some(imported), Some(alias)) => (source(imported), Some(source(alias))),
                _ => continue,
            },
            _ => continue,
        };
        found.push(match module {
            None => Binding::module(imported, alias),
            Some(module) => Binding::member(module, imported, alias),
        });
    }
    found
}

/// Whether binding `binding.local` at the top of the module, and naming it at `used_at`, keeps
/// every name meaning what it meant: wherever else the name is bound (in the module, by a
/// function's `global`, or in a function or class around `used_at`), it is an import of the same
/// thing.
fn keeps_meaning(
    binding: &Binding,
    scopes: &ScopeTree,
    module: Module,
    text: &str,
    used_at: usize,
) -> bool {
    let name = binding.local.as_str();
    scopes.scopes.iter().enumerate().all(|(index, scope)| {
        let Some(symbol) = scope.symbol(name) else {
            return true;
        };
        let is_module = index == 0;
        let encloses_use = scope.range.start <= used_at && used_at < scope.range.end;
        let binds_module_name = is_module || symbol.scope == NameScope::GlobalExplicit;
        let binds_name_seen_at_use =
            encloses_use && matches!(symbol.scope, NameScope::Local | NameScope::Cell);
        if !(binds_module_name || binds_name_seen_at_use) {
            return true;
        }
        symbol
            .occurrences
            .iter()
            .all(|occurrence| match occurrence.role {
                Role::Use | Role::Declare => true,
                Role::Import => imported_at(
                    module.root_at(occurrence.range.start),
                    text,
                    occurrence.range.clone(),
                )
                .iter()
                .any(|other| other.local == name && other.target == binding.target),
                Role::Bind | Role::Param | Role::Delete => false,
            })
    })
}

/// The bindings of the import statement around `range`.
fn imported_at(root: Node, text: &str, range: std::ops::Range<usize>) -> Vec<Binding> {
    let mut node = root.descendant_for_byte_range(range.start, range.end);
    while let Some(current) = node {
        if is_import(current) {
            return bindings(current, text);
        }
        node = current.parent();
    }
    Vec::new()
}

/// Where a new import line goes: after the module docstring and the imports that follow it
/// (`from __future__` ones included); with neither, after the comment lines that open the file
/// (a shebang, a coding cookie, which must stay on line 1 or 2, a licence header).
fn insertion_point(text: &str, module: Module) -> usize {
    let mut last = None;
    for (index, statement) in module.statements().enumerate() {
        let docstring = index == 0
            && statement.kind_name() == "expression_statement"
            && statement.named_child_count() == 1
            && statement
                .named_child(0)
                .is_some_and(|child| matches!(child.kind_name(), "string" | "concatenated_string"));
        if !(docstring || is_import(statement)) {
            break;
        }
        last = Some(statement);
    }
    match last {
        Some(statement) => line_end(text, statement.end_byte()),
        None => {
            let mut offset = 0;
            while text[offset..].starts_with('#') {
                offset = line_end(text, offset);
            }
            offset
        }
    }
}

/// The offset after the line break ending the line that holds `offset` (the end of the text on
/// the last line).
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// Inserts `line` as a line of its own at `offset` (a line start, or the end of a text whose
/// last line has no line break), with the file's line ending.
fn insert_line(text: &str, offset: usize, line: &str) -> Edit {
    let eol = match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let after_unterminated_line = offset == text.len() && !text.is_empty() && !text.ends_with('\n');
    Edit {
        range: offset..offset,
        text: if after_unterminated_line {
            format!("{eol}{line}")
        } else {
            format!("{line}{eol}")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixes::apply_edits;
    use crate::analysis::parse::parse;

    /// The reference and the rewritten text for `needed`, used where `HERE` stands (the end of
    /// the file without it).
    fn imported(source: &str, needed: Needed) -> Option<(String, String)> {
        let tree = parse(source);
        let scopes = ScopeTree::new(source, &tree, crate::analysis::scope::NEWEST_MODELLED);
        let used_at = source.find("HERE").unwrap_or(source.len());
        let imported = import(
            source,
            Module::new(&[tree.root_node()]),
            &scopes,
            needed,
            used_at,
        )?;
        let text = apply_edits(source, imported.edit.as_slice());
        assert_compiles(&text);
        Some((imported.reference, text))
    }

    /// CPython, not our parser, says whether the result is a valid program.
    fn assert_compiles(text: &str) {
        use std::io::Write;
        let mut python = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys; compile(sys.stdin.read(), '<fixed>', 'exec')",
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        python
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(python.wait().unwrap().success(), "compiles: {text:?}");
    }

    const FUNCTOOLS: Needed = Needed::Module("functools");
    const CONTEXT_VAR: Needed = Needed::Member {
        module: "contextvars",
        name: "ContextVar",
    };

    fn added(source: &str, needed: Needed, reference: &str, expected: &str) {
        assert_eq!(
            imported(source, needed),
            Some((reference.to_string(), expected.to_string())),
            "{source:?}"
        );
    }

    fn reused(source: &str, needed: Needed, reference: &str) {
        added(source, needed, reference, source);
    }

    #[test]
    fn a_new_import_goes_after_the_docstring_and_leading_imports() {
        added("", FUNCTOOLS, "functools", "import functools\n");
        added(
            "x = 1\n",
            FUNCTOOLS,
            "functools",
            "import functools\nx = 1\n",
        );
        added(
            "\"\"\"Doc.\"\"\"\n\nx = 1\n",
            FUNCTOOLS,
            "functools",
            "\"\"\"Doc.\"\"\"\nimport functools\n\nx = 1\n",
        );
        added(
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\n\nx = 1\n",
            FUNCTOOLS,
            "functools",
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport functools\n\nx = 1\n",
        );
        added(
            "import os\nimport sys  # why\n\nx = 1\nimport json\n",
            CONTEXT_VAR,
            "ContextVar",
            "import os\nimport sys  # why\nfrom contextvars import ContextVar\n\nx = 1\nimport json\n",
        );
        // `x = 1` ends the leading block: the later import is not where new ones go.
        added(
            "import os\nx = 1\nimport json\n",
            Needed::Module("weakref"),
            "weakref",
            "import os\nimport weakref\nx = 1\nimport json\n",
        );
    }

    #[test]
    fn comment_lines_opening_the_file_stay_first() {
        added(
            "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\nx = 1\n",
            FUNCTOOLS,
            "functools",
            "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\nimport functools\nx = 1\n",
        );
        added(
            "# only a comment",
            FUNCTOOLS,
            "functools",
            "# only a comment\nimport functools",
        );
    }

    #[test]
    fn line_endings_and_a_missing_last_newline_are_kept() {
        added(
            "import os\r\nx = 1\r\n",
            FUNCTOOLS,
            "functools",
            "import os\r\nimport functools\r\nx = 1\r\n",
        );
        added(
            "import os",
            FUNCTOOLS,
            "functools",
            "import os\nimport functools",
        );
        added(
            "\"\"\"Doc.\"\"\"\r\nimport os",
            FUNCTOOLS,
            "functools",
            "\"\"\"Doc.\"\"\"\r\nimport os\r\nimport functools",
        );
        added("x = 1", FUNCTOOLS, "functools", "import functools\nx = 1");
    }

    #[test]
    fn top_level_imports_are_reused_under_their_aliases() {
        reused("import functools\n", FUNCTOOLS, "functools");
        reused("import functools as ft\n", FUNCTOOLS, "ft");
        reused("import os, functools as ft\n", FUNCTOOLS, "ft");
        reused("import os.path\n", Needed::Module("os"), "os");
        reused("import os.path\n", Needed::Module("os.path"), "os.path");
        reused("import os.path as p\n", Needed::Module("os.path"), "p");
        reused(
            "from contextvars import ContextVar\n",
            CONTEXT_VAR,
            "ContextVar",
        );
        reused(
            "from contextvars import Token, ContextVar as CV\n",
            CONTEXT_VAR,
            "CV",
        );
        reused(
            "import contextvars\n",
            CONTEXT_VAR,
            "contextvars.ContextVar",
        );
        reused("import contextvars as cv\n", CONTEXT_VAR, "cv.ContextVar");
        // The member import wins over naming it through the module.
        reused(
            "import contextvars\nfrom contextvars import ContextVar\n",
            CONTEXT_VAR,
            "ContextVar",
        );
    }

    #[test]
    fn imports_that_do_not_serve_are_not_reused() {
        // A member import does not bind the module; `import os` does not load `os.path`'s
        // siblings; a relative import is not the module.
        added(
            "from functools import partial\n",
            FUNCTOOLS,
            "functools",
            "from functools import partial\nimport functools\n",
        );
        added(
            "import xml\n",
            Needed::Module("xml.dom"),
            "xml.dom",
            "import xml\nimport xml.dom\n",
        );
        added(
            "from . import functools\n",
            Needed::Member {
                module: "weakref",
                name: "ref",
            },
            "ref",
            "from . import functools\nfrom weakref import ref\n",
        );
        // Imports in a function or under `if` may not have run where the fix's code runs.
        added(
            "def f():\n    import functools\n    HERE\n",
            FUNCTOOLS,
            "functools",
            "import functools\ndef f():\n    import functools\n    HERE\n",
        );
        added(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import functools\n",
            FUNCTOOLS,
            "functools",
            "from typing import TYPE_CHECKING\nimport functools\nif TYPE_CHECKING:\n    import functools\n",
        );
        // An import after the place of use is not reused.
        added(
            "HERE\nimport functools\n",
            FUNCTOOLS,
            "functools",
            "import functools\nHERE\nimport functools\n",
        );
    }

    #[test]
    fn no_import_when_the_name_means_something_else() {
        assert_eq!(imported("functools = None\n", FUNCTOOLS), None);
        assert_eq!(
            imported("import functools\nfunctools = 1\n", FUNCTOOLS),
            None
        );
        assert_eq!(imported("import mytools as functools\n", FUNCTOOLS), None);
        assert_eq!(imported("def f(functools):\n    HERE\n", FUNCTOOLS), None);
        assert_eq!(
            imported(
                "def f():\n    global functools\n    functools = 1\n",
                FUNCTOOLS
            ),
            None
        );
        assert_eq!(
            imported(
                "import functools\ndef f():\n    functools = 2\n    HERE\n",
                FUNCTOOLS
            ),
            None
        );
        assert_eq!(imported("class ContextVar: pass\n", CONTEXT_VAR), None);
        assert_eq!(imported("def f(:\n", FUNCTOOLS), None);
        // A local of the same name elsewhere does not matter.
        added(
            "def g(functools):\n    pass\ndef f():\n    HERE\n",
            FUNCTOOLS,
            "functools",
            "import functools\ndef g(functools):\n    pass\ndef f():\n    HERE\n",
        );
    }
}
