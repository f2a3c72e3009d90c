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
//! statement now starts, module symbols merged and classified again. The parts' nested scopes
//! live in the tree last returned, which the caller hands back ([`ScopeCache::keep`]): an
//! unchanged statement's scopes are moved out of it, not copied. The result equals
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
use super::{NameScope, Scope, ScopeId, ScopeKind, ScopeTree, modelled_version};
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
    /// The tree the last call returned, once handed back ([`ScopeCache::keep`]): the next call
    /// moves the scopes of unchanged statements out of it rather than copying them.
    last: Option<ScopeTree>,
}

struct Cached {
    future_annotations_before: bool,
    /// Where the statement started (byte, 1-based line) when the last call joined it: every
    /// position below is relative to that.
    start: usize,
    line: usize,
    /// The statement's own scopes: its module scope, and its nested scopes until they are
    /// joined into a tree (`nested` then says where they went).
    scopes: StatementScopes,
    /// The ids of the statement's nested scopes in the tree the last call returned (or, once
    /// `joined_now`, in the tree this call is joining).
    nested: Option<Range<usize>>,
    joined_now: bool,
}

impl ScopeTree {
    /// [`ScopeTree::new`], reusing from `cache` the scopes of every top-level statement whose
    /// text is unchanged since the last call; the cache then holds this file's statements.
    /// `lines` is the line index of `text`; `target` as for [`ScopeTree::new`]. Hand the tree
    /// back with [`ScopeCache::keep`] once done with it, or the next call builds every
    /// statement again.
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
        let mut last = cache.last.take();
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
                nested: None,
                joined_now: false,
            };
            let part = if statement.has_error() {
                built += 1;
                unclean.push(build());
                unclean.last().expect("just pushed")
            } else {
                if kept.find(source, future).is_none() {
                    // Scopes joined into a tree that was not handed back are gone.
                    let part = cache
                        .take(source, future)
                        .filter(|part| part.nested.is_none() || last.is_some())
                        .map(|part| Cached {
                            joined_now: false,
                            ..part
                        })
                        .unwrap_or_else(|| {
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
        let mut unclean = unclean.into_iter();
        let mut future = false;
        for &statement in &statements {
            let start = statement.start_byte();
            let line = lines.line_of(start);
            if statement.has_error() {
                let mut part = unclean.next().expect("built above");
                future = part.scopes.future_annotations;
                joined.add(&mut part, start, line, last.as_mut());
            } else {
                let part = kept
                    .find_mut(&text[statement.byte_range()], future)
                    .expect("kept above");
                future = part.scopes.future_annotations;
                joined.add(part, start, line, last.as_mut());
            }
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

    /// Takes back the tree the last [`ScopeTree::incremental`] returned (and no other), for
    /// the next call to move its scopes from.
    pub fn keep(&mut self, tree: ScopeTree) {
        if self.built.is_some() {
            self.last = Some(tree);
        }
    }

    fn find(&self, source: &str, future: bool) -> Option<&Cached> {
        self.statements
            .get(source)?
            .iter()
            .find(|c| c.future_annotations_before == future)
    }

    fn find_mut(&mut self, source: &str, future: bool) -> Option<&mut Cached> {
        self.statements
            .get_mut(source)?
            .iter_mut()
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
        let mut module = Scope::new(ScopeKind::Module, "<module>".into(), None, 0..len);
        module.qualname = "<module>".into();
        Joined {
            scopes: vec![module],
            truncated: false,
            version,
        }
    }

    /// Appends a statement's scopes for the statement now starting at (`start`, `line`): its
    /// nested scopes are moved from where they are (the part itself, freshly built; the last
    /// tree; or copied from this tree when an earlier statement of the same text took them),
    /// and the part then says where they are and where the statement starts.
    fn add(&mut self, part: &mut Cached, start: usize, line: usize, last: Option<&mut ScopeTree>) {
        let first = self.scopes.len();
        let bytes = start as isize - part.start as isize;
        let lines = line as isize - part.line as isize;
        let shift = |range: &mut Range<usize>| {
            range.start = range.start.wrapping_add_signed(bytes);
            range.end = range.end.wrapping_add_signed(bytes);
        };
        let module_part = &mut part.scopes.tree.scopes[0];
        for symbol in &mut module_part.symbols {
            let merged = self.scopes[0].symbol_mut(&symbol.name);
            merged.flags.insert(symbol.flags);
            for occurrence in &mut symbol.occurrences {
                shift(&mut occurrence.range);
            }
            merged
                .occurrences
                .extend(symbol.occurrences.iter().cloned());
        }
        // The nested scopes, and the id the first of them has where they come from.
        self.truncated |= part.scopes.tree.truncated;
        let (nested, from): (Vec<Scope>, usize) = match (part.nested.clone(), last) {
            // Freshly built, or without nested scopes.
            (None, _) => (part.scopes.tree.scopes.drain(1..).collect(), 1),
            // A statement of the same text earlier in this file took them: copied.
            (Some(ids), _) if part.joined_now => (self.scopes[ids.clone()].to_vec(), ids.start),
            (Some(ids), Some(last)) => {
                let placeholder = || Scope::new(ScopeKind::Module, String::new(), None, 0..0);
                let moved = last.scopes[ids.clone()]
                    .iter_mut()
                    .map(|scope| std::mem::replace(scope, placeholder()))
                    .collect();
                (moved, ids.start)
            }
            (Some(_), None) => unreachable!("parts joined into a tree not handed back are built"),
        };
        let count = nested.len();
        let id = |ScopeId(i): ScopeId| ScopeId(if i == 0 { 0 } else { i - from + first });
        for mut scope in nested {
            shift(&mut scope.range);
            if let Some(range) = &mut scope.name_range {
                shift(range);
            }
            scope.first_line = scope.first_line.wrapping_add_signed(lines);
            scope.parent = scope.parent.map(id);
            for child in &mut scope.children {
                *child = id(*child);
            }
            for symbol in &mut scope.symbols {
                for occurrence in &mut symbol.occurrences {
                    shift(&mut occurrence.range);
                }
            }
            if scope.parent == Some(ScopeId(0)) {
                let id = ScopeId(self.scopes.len());
                self.scopes[0].children.push(id);
            }
            self.scopes.push(scope);
        }
        part.start = start;
        part.line = line;
        part.nested = Some(first..first + count);
        part.joined_now = true;
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
