//! The scope model of an edited file, rebuilt only where the file changed.
//!
//! CPython resolves a name inside a top-level statement without looking at any other top-level
//! statement: names bound at module level are globals, never cells, so the free and cell
//! variables of every scope in a statement depend on that statement alone. Only the module
//! scope's own table (the union of what each statement binds and uses there) spans statements.
//!
//! So [`ScopeCache`] keeps each top-level statement's resolved scopes, keyed by the statement's
//! text, and [`ScopeTree::incremental`] rebuilds only statements whose text it has not seen,
//! then joins the parts: scope ids renumbered in source order, positions shifted to where the
//! statement now starts, module symbols merged and classified again. The result equals
//! [`ScopeTree::new`] (a test compares them over random edits); where the parts are not
//! independent it falls back to the whole-file walk:
//! - CPython drops code objects made in unreachable module-level code depending on constants of
//!   later statements (see `dead_code`);
//! - a module symbol that is free (`nonlocal` at the top of a function, a syntax error anyway);
//! - `from __future__ import annotations` changes later statements: it is part of the key.
//!
//! A statement the parser could not parse cleanly is rebuilt every time: error recovery may
//! depend on what surrounds it.

use foldhash::{HashMap, HashMapExt};
use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::build::{StatementScopes, build_statement, module_first_line};
use super::resolve::{classify_module_symbol, resolve, set_variable_orders};
use super::{NameScope, Scope, ScopeId, ScopeTree, modelled_version};
use crate::analysis::line_index::LineIndex;
use crate::analysis::settings::PythonVersion;
use crate::analysis::syntax::named_children;

/// The resolved scopes of the top-level statements of one document's last analysis.
#[derive(Default)]
pub struct ScopeCache {
    /// By statement text; one entry per `from __future__ import annotations` state seen.
    statements: HashMap<Box<str>, Vec<Cached>>,
    /// The CPython version the cached scopes were built for.
    version: Option<PythonVersion>,
    /// How many top-level statements the last call built (the others it reused), or `None`
    /// when it walked the whole file.
    built: Option<usize>,
}

struct Cached {
    future_annotations_before: bool,
    /// Where the statement started (byte, 1-based line) when its scopes were built.
    start: usize,
    line: usize,
    scopes: StatementScopes,
}

impl ScopeTree {
    /// [`ScopeTree::new`], reusing from `cache` the scopes of every top-level statement whose
    /// text is unchanged since the last call; the cache then holds this file's statements.
    /// `lines` is the line index of `text`; `target` as for [`ScopeTree::new`].
    pub fn incremental(
        text: &str,
        tree: &Tree,
        lines: &LineIndex,
        cache: &mut ScopeCache,
        target: PythonVersion,
    ) -> ScopeTree {
        let version = modelled_version(target);
        if cache.version != Some(version) {
            // Built for another compiler: nothing is reusable.
            *cache = ScopeCache::default();
        }
        let statements = named_children(tree.root_node());
        let mut kept = ScopeCache {
            version: Some(version),
            ..ScopeCache::default()
        };
        // Statements with syntax errors: built for this call only.
        let mut unclean = Vec::new();
        let mut future = false;
        let mut built = 0;
        for &statement in &statements {
            let source = &text[statement.byte_range()];
            let build = || Cached {
                future_annotations_before: future,
                start: statement.start_byte(),
                line: lines.line_of(statement.start_byte()),
                scopes: statement_scopes(text, lines, statement, future, version),
            };
            let part = if statement.has_error() {
                built += 1;
                unclean.push(build());
                unclean.last().expect("just pushed")
            } else {
                if kept.find(source, future).is_none() {
                    let part = cache.take(source, future).unwrap_or_else(|| {
                        built += 1;
                        build()
                    });
                    kept.statements.entry(source.into()).or_default().push(part);
                }
                kept.find(source, future).expect("just kept")
            };
            if !independent(&part.scopes) {
                *cache = ScopeCache::default();
                return ScopeTree::new(text, tree, version);
            }
            future = part.scopes.future_annotations;
        }
        let mut joined = Joined::new(text.len(), version);
        let mut unclean = unclean.iter();
        let mut future = false;
        for &statement in &statements {
            let part = if statement.has_error() {
                unclean.next().expect("built above")
            } else {
                kept.find(&text[statement.byte_range()], future)
                    .expect("kept above")
            };
            future = part.scopes.future_annotations;
            let start = statement.start_byte();
            joined.add(part, start, lines.line_of(start));
        }
        kept.built = Some(built);
        *cache = kept;
        let mut scopes = joined.finish();
        scopes.scopes[0].first_line = module_first_line(tree, lines, version);
        scopes
    }
}

impl ScopeCache {
    /// How many top-level statements the last [`ScopeTree::incremental`] built rather than
    /// reused; `None` when it walked the whole file instead.
    pub fn built(&self) -> Option<usize> {
        self.built
    }

    fn find(&self, source: &str, future: bool) -> Option<&Cached> {
        self.statements
            .get(source)?
            .iter()
            .find(|c| c.future_annotations_before == future)
    }

    /// Removes and returns the entry for `source` under `future`.
    fn take(&mut self, source: &str, future: bool) -> Option<Cached> {
        let entries = self.statements.get_mut(source)?;
        let at = entries
            .iter()
            .position(|c| c.future_annotations_before == future)?;
        Some(entries.swap_remove(at))
    }
}

/// One statement's scopes, resolved on their own.
fn statement_scopes(
    text: &str,
    lines: &LineIndex,
    statement: Node,
    future: bool,
    version: PythonVersion,
) -> StatementScopes {
    let mut scopes = build_statement(text, lines, statement, future, version);
    resolve(&mut scopes.tree);
    scopes
}

/// Whether a statement's scopes join the others' exactly (see the module docs).
fn independent(scopes: &StatementScopes) -> bool {
    !scopes.module_dead_code
        && scopes.tree.scopes[0]
            .symbols
            .iter()
            .all(|symbol| symbol.scope != NameScope::Free)
}

/// The scope tree being joined from statements' parts, in source order.
struct Joined {
    scopes: Vec<Scope>,
    truncated: bool,
    version: PythonVersion,
}

impl Joined {
    fn new(len: usize, version: PythonVersion) -> Joined {
        let mut module = Scope::new(super::ScopeKind::Module, "<module>".into(), None, 0..len);
        module.qualname = "<module>".into();
        Joined {
            scopes: vec![module],
            truncated: false,
            version,
        }
    }

    /// Appends a statement's scopes, built when it started at (`cached.start`, `cached.line`),
    /// for the statement now starting at (`start`, `line`).
    fn add(&mut self, cached: &Cached, start: usize, line: usize) {
        let bytes = |range: &Range<usize>| {
            (range.start + start - cached.start)..(range.end + start - cached.start)
        };
        let part = &cached.scopes.tree;
        self.truncated |= part.truncated;
        // The part's scope `i` (past its module) becomes scope `i + offset`.
        let offset = self.scopes.len() - 1;
        let id = |ScopeId(i): ScopeId| ScopeId(if i == 0 { 0 } else { i + offset });
        let module_part = &part.scopes[0];
        for symbol in &module_part.symbols {
            let merged = self.scopes[0].symbol_mut(&symbol.name);
            merged.flags.insert(symbol.flags);
            merged
                .occurrences
                .extend(symbol.occurrences.iter().map(|o| super::Occurrence {
                    range: bytes(&o.range),
                    role: o.role,
                }));
        }
        let children = module_part.children.iter().map(|&c| id(c));
        self.scopes[0].children.extend(children);
        for scope in &part.scopes[1..] {
            let mut scope = scope.clone();
            scope.range = bytes(&scope.range);
            scope.name_range = scope.name_range.as_ref().map(bytes);
            scope.first_line = scope.first_line + line - cached.line;
            scope.parent = scope.parent.map(id);
            for child in &mut scope.children {
                *child = id(*child);
            }
            for symbol in &mut scope.symbols {
                for occurrence in &mut symbol.occurrences {
                    occurrence.range = bytes(&occurrence.range);
                }
            }
            self.scopes.push(scope);
        }
    }

    fn finish(mut self) -> ScopeTree {
        let module = &mut self.scopes[0];
        for symbol in &mut module.symbols {
            symbol.scope = classify_module_symbol(symbol.flags, &symbol.name);
        }
        let mut tree = ScopeTree {
            scopes: self.scopes,
            by_range: HashMap::new(),
            truncated: self.truncated,
            version: self.version,
        };
        set_variable_orders(&mut tree, ScopeId(0));
        tree.index_ranges();
        tree
    }
}
