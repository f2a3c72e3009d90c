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
//!
//! A file parsed in parts (one tree per run of top-level statements, see
//! `parse::parse_in_halves`) is joined the same way from its runs, each built on a thread of its
//! own ([`ScopeTree::run_with_nodes`], [`ScopeTree::join_runs`]).
//!
//! A top-level class is itself joined from parts: its head (name, bases, decorators) is built
//! each time its text changed, and each statement of its body is reused by its text and the
//! class's name ([`ClassParts`]), so a keystroke in a method builds that method. In a top-level
//! class the statements of the body depend on each other only through the class's own table
//! (merged like the module's) and its implicit `__class__` / `__classdict__` cells (any part
//! needing one gives the class the cell). Where more spans them, the class is built whole: dead
//! code in the class body, two statements on one line (CPython merges equal code objects on a
//! line), `global` or `nonlocal` in the class body, comprehensions inlined into it and
//! annotation scopes that see it (3.12+), and generic classes.

use foldhash::{HashMap, HashMapExt};
use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::build::{
    StatementScopes, build_class_head, build_class_statement, build_run_observing, build_statement,
    identifier, module_first_line,
};
use super::resolve::{classify_module_symbol, resolve, set_variable_orders};
use super::{
    NameScope, Scope, ScopeId, ScopeKind, ScopeTree, Symbol, SymbolFlags, modelled_version,
};
use crate::analysis::line_index::LineIndex;
use crate::analysis::settings::PythonVersion;
use crate::analysis::statement_text::ByStatementText;
use crate::analysis::syntax::{Field, Met, Module, NodeLookups, clean_class, named_children};

/// The resolved scopes of the top-level statements of one document's last analysis.
#[derive(Default)]
pub struct ScopeCache {
    statements: ByText<Cached>,
    /// The CPython version the cached scopes were built for.
    version: Option<PythonVersion>,
    /// How many top-level statements the last call built (the others it reused), or `None`
    /// when it walked the whole file.
    built: Option<usize>,
    /// The tree the last call returned, once handed back ([`ScopeCache::keep`]): the next call
    /// moves the scopes of unchanged statements out of it rather than copying them.
    last: Option<ScopeTree>,
    /// The statements of each top-level class's body built on their own, by class name.
    class_parts: HashMap<Box<str>, ClassParts>,
    /// How many of those the last call built (the others it reused).
    class_parts_built: usize,
    /// What the last call no longer needed, not yet freed ([`ScopeCache::take_leftovers`]).
    leftovers: Leftovers,
}

/// What a call of [`ScopeTree::incremental`] no longer needs: the last tree's scopes it did not
/// move (those of the statements edited: all of an edited class's methods), the entries of
/// statements gone, the parts of classes gone. Freeing them costs about 1.4M instructions of a
/// keystroke's 33M in the standard library's largest file, which the caller can spend once the
/// diagnostics are out; freed with the cache, or by the next call, otherwise.
#[derive(Default)]
#[allow(dead_code, reason = "held to be freed, never read")]
pub struct Leftovers {
    tree: Option<ScopeTree>,
    statements: ByText<Cached>,
    class_parts: HashMap<Box<str>, ClassParts>,
}

/// What is kept of statements, by their text and whether `from __future__ import annotations`
/// is in force before them (one entry per state seen).
struct ByText<T>(ByStatementText<Vec<(bool, T)>>);

impl<T> Default for ByText<T> {
    fn default() -> ByText<T> {
        ByText(ByStatementText::default())
    }
}

impl<T> ByText<T> {
    fn find(&self, source: &str, future: bool) -> Option<&T> {
        let entries = self.0.get(source)?;
        entries.iter().find(|e| e.0 == future).map(|e| &e.1)
    }

    fn find_mut(&mut self, source: &str, future: bool) -> Option<&mut T> {
        let entries = self.0.get_mut(source)?;
        entries.iter_mut().find(|e| e.0 == future).map(|e| &mut e.1)
    }

    /// Removes and returns the entry for `source` under `future`.
    fn take(&mut self, source: &str, future: bool) -> Option<T> {
        self.take_keyed(source, future).map(|(_, entry)| entry)
    }

    fn push(&mut self, source: &str, future: bool, entry: T) {
        self.push_keyed(source.into(), future, entry);
    }

    /// [`ByText::take`], with the text's key: moved out when no other entry has it (a
    /// keystroke's every statement would otherwise be copied into a new key), else copied.
    fn take_keyed(&mut self, source: &str, future: bool) -> Option<(Box<str>, T)> {
        let (key, mut entries) = self.0.remove_entry(source)?;
        let Some(at) = entries.iter().position(|e| e.0 == future) else {
            self.0.insert(key, entries);
            return None;
        };
        let (_, entry) = entries.swap_remove(at);
        if entries.is_empty() {
            return Some((key, entry));
        }
        let copy = key.clone();
        self.0.insert(key, entries);
        Some((copy, entry))
    }

    /// [`ByText::push`] under a key already made.
    fn push_keyed(&mut self, key: Box<str>, future: bool, entry: T) {
        self.0.entry(key).or_default().push((future, entry));
    }
}

/// The statements of a top-level class's body built on their own (see the module docs).
type ClassParts = ByText<ClassPart>;

#[derive(Clone)]
struct ClassPart {
    /// Where the statement started (byte, 1-based line) when last joined, as for [`Cached`].
    start: usize,
    line: usize,
    /// The module scope, the class scope with what this statement binds and uses there, and
    /// the statement's nested scopes; resolved.
    tree: ScopeTree,
    /// Whether it joins the others exactly (see the module docs).
    joins: bool,
}

struct Cached {
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
        let mut parts = PartsInUse {
            last: std::mem::take(&mut cache.class_parts),
            ..PartsInUse::default()
        };
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
            let build = |parts: &mut PartsInUse| Cached {
                start: statement.start_byte(),
                line: lines.line_of(statement.start_byte()),
                scopes: class_scopes(text, lines, statement, future, version, parts)
                    .unwrap_or_else(|| statement_scopes(text, lines, statement, future, version)),
                nested: None,
                joined_now: false,
            };
            let part = if statement.has_error() {
                built += 1;
                unclean.push(build(&mut parts));
                unclean.last().expect("just pushed")
            } else {
                if kept.statements.find(source, future).is_none() {
                    // Scopes joined into a tree that was not handed back are gone.
                    let reused = cache
                        .statements
                        .take_keyed(source, future)
                        .filter(|(_, part)| part.nested.is_none() || last.is_some());
                    let (key, part) = match reused {
                        Some((key, part)) => {
                            carry_class_parts(text, statement, &mut parts);
                            let part = Cached {
                                joined_now: false,
                                ..part
                            };
                            (key, part)
                        }
                        None => {
                            built += 1;
                            (source.into(), build(&mut parts))
                        }
                    };
                    kept.statements.push_keyed(key, future, part);
                }
                kept.statements.find(source, future).expect("just kept")
            };
            if !independent(&part.scopes) {
                *cache = ScopeCache::default();
                return ScopeTree::new(text, tree, version);
            }
            future = part.scopes.future_annotations;
        }
        let mut joined = Joined::new(text.len(), version);
        // About as many scopes as the last tree had: a keystroke changes few. Room for them at
        // once, rather than moving every scope each time the vector doubles.
        if let Some(last) = &last {
            joined.scopes.reserve(last.scopes.len());
        }
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
                    .statements
                    .find_mut(&text[statement.byte_range()], future)
                    .expect("kept above");
                future = part.scopes.future_annotations;
                joined.add(part, start, line, last.as_mut());
            }
        }
        kept.built = Some(built);
        kept.class_parts = parts.now;
        kept.class_parts_built = parts.built;
        let last_cache = std::mem::replace(cache, kept);
        cache.leftovers = Leftovers {
            tree: last,
            statements: last_cache.statements,
            class_parts: parts.last,
        };
        let mut scopes = joined.finish();
        scopes.scopes[0].first_line =
            module_first_line(Module::new(&[tree.root_node()]), lines, version);
        scopes
    }
}

/// A run of a module's top-level statements built on its own ([`ScopeTree::run_with_nodes`]):
/// one tree of a file parsed in parts, to be joined with the others ([`ScopeTree::join_runs`]).
pub struct RunScopes {
    part: Cached,
    /// Whether it was built with `from __future__ import annotations` in force before it.
    future_before: bool,
}

impl ScopeTree {
    /// The scopes of the statements of `run` (one of a module's trees), resolved on their own as
    /// [`ScopeTree::incremental`] resolves one statement, and the nodes of the kinds in `kinds`
    /// that the walk met (as [`ScopeTree::with_nodes`] returns them). `future_before`: whether
    /// the runs before this one leave `from __future__ import annotations` in force; a wrong
    /// guess makes [`ScopeTree::join_runs`] refuse the runs.
    pub fn run_with_nodes<'t>(
        text: &'t str,
        run: Module<'t>,
        lines: &LineIndex,
        target: PythonVersion,
        kinds: &'t [u16],
        future_before: bool,
    ) -> (RunScopes, Vec<Met<'t>>) {
        let version = modelled_version(target);
        let (mut scopes, nodes) =
            build_run_observing(text, run, lines, future_before, version, kinds);
        resolve(&mut scopes.tree);
        // Each tree is parsed at its place in the text: its positions are the file's, and
        // the join moves nothing (a part joined where it starts, here 0, stays put).
        let part = Cached {
            start: 0,
            line: 0,
            scopes,
            nested: None,
            joined_now: false,
        };
        (
            RunScopes {
                part,
                future_before,
            },
            nodes,
        )
    }

    /// Whether the statements under `root` start with `from __future__ import annotations`
    /// (where such an import must be): a guess, made without building them, of the
    /// `future_before` of the run after them, which [`ScopeTree::join_runs`] checks.
    pub fn leaves_future_annotations(text: &str, root: Node) -> bool {
        named_children(root)
            .into_iter()
            .take_while(|statement| {
                matches!(
                    statement.kind_name(),
                    "future_import_statement" | "expression_statement"
                )
            })
            .any(|statement| {
                statement.kind_name() == "future_import_statement"
                    && text[statement.byte_range()].contains("annotations")
            })
    }

    /// The scope model of `module` from its trees' runs, in order: equal to
    /// [`ScopeTree::with_nodes`]'s, or `None` where the runs are not independent (for the same
    /// reasons a top-level statement may not be, see the module docs; a wrong guess of
    /// `future_before`; a run nested too deep for the walk) and the caller walks the module.
    pub fn join_runs(
        text: &str,
        runs: Vec<RunScopes>,
        module: Module,
        lines: &LineIndex,
        target: PythonVersion,
    ) -> Option<ScopeTree> {
        let version = modelled_version(target);
        let mut future = false;
        for run in &runs {
            let scopes = &run.part.scopes;
            if run.future_before != future || !independent(scopes) || scopes.tree.truncated {
                return None;
            }
            future = scopes.future_annotations;
        }
        let mut joined = Joined::new(text.len(), version);
        let nested = runs.iter().map(|run| run.part.scopes.tree.scopes.len() - 1);
        joined.scopes.reserve_exact(nested.sum());
        for mut run in runs {
            joined.add(&mut run.part, 0, 0, None);
        }
        let mut scopes = joined.finish();
        scopes.scopes[0].first_line = module_first_line(module, lines, version);
        Some(scopes)
    }
}

impl ScopeCache {
    /// How many top-level statements the last [`ScopeTree::incremental`] built rather than
    /// reused; `None` when it walked the whole file instead.
    pub fn built(&self) -> Option<usize> {
        self.built
    }

    /// How many statements of top-level classes' bodies the last [`ScopeTree::incremental`]
    /// built on their own rather than reused (see the module docs).
    pub fn class_statements_built(&self) -> usize {
        self.class_parts_built
    }

    /// What the last [`ScopeTree::incremental`] no longer needed, for the caller to free.
    pub fn take_leftovers(&mut self) -> Leftovers {
        std::mem::take(&mut self.leftovers)
    }

    /// Takes back the tree the last [`ScopeTree::incremental`] returned (and no other), for
    /// the next call to move its scopes from.
    pub fn keep(&mut self, tree: ScopeTree) {
        if self.built.is_some() {
            self.last = Some(tree);
        }
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

/// The name of the class a clean top-level statement defines, as written.
fn class_name<'s>(text: &'s str, statement: Node) -> Option<&'s str> {
    let (class, _) = clean_class(statement)?;
    Some(&text[class.field(Field::Name)?.byte_range()])
}

/// The class parts of one call: the last call's, taken as they are reused, and this one's.
#[derive(Default)]
struct PartsInUse {
    last: HashMap<Box<str>, ClassParts>,
    now: HashMap<Box<str>, ClassParts>,
    /// How many this call built.
    built: usize,
}

/// Keeps the body's parts of a class statement reused whole, for its next edit.
fn carry_class_parts(text: &str, statement: Node, parts: &mut PartsInUse) {
    if let Some(name) = class_name(text, statement)
        && let Some(kept) = parts.last.remove(name)
    {
        parts.now.entry(name.into()).or_insert(kept);
    }
}

/// A top-level class statement's scopes joined from its head and its body's statements, those
/// in `parts` reused, the others built; the body's statements end up in `parts.now`. `None` when they would not join exactly.
fn class_scopes(
    text: &str,
    lines: &LineIndex,
    statement: Node,
    future: bool,
    version: PythonVersion,
    parts: &mut PartsInUse,
) -> Option<StatementScopes> {
    let (class, body) = clean_class(statement)?;
    if class.field(Field::TypeParameters).is_some() {
        return None;
    }
    let name = &text[class.field(Field::Name)?.byte_range()];
    let statements = named_children(body);
    let one_line = statements
        .windows(2)
        .any(|pair| lines.line_of(pair[0].end_byte()) == lines.line_of(pair[1].start_byte()));
    if one_line {
        return None;
    }
    let mut last = parts.last.remove(name).unwrap_or_default();
    let now = parts.now.entry(name.into()).or_default();
    let built = &mut parts.built;
    let identifier = identifier(name);
    let mut taken = Vec::with_capacity(statements.len());
    for &statement in &statements {
        let source = &text[statement.byte_range()];
        let part = last
            .take(source, future)
            .or_else(|| now.find(source, future).cloned())
            .unwrap_or_else(|| {
                *built += 1;
                let (mut tree, dead_code) = build_class_statement(
                    text,
                    lines,
                    class,
                    &identifier,
                    statement,
                    future,
                    version,
                );
                resolve(&mut tree);
                let joins = !dead_code && joins_class(&tree);
                ClassPart {
                    start: statement.start_byte(),
                    line: lines.line_of(statement.start_byte()),
                    tree,
                    joins,
                }
            });
        let joins = part.joins;
        taken.push(part);
        if !joins {
            break;
        }
    }
    let mut head = taken.iter().all(|part| part.joins).then(|| {
        let mut head = build_class_head(text, lines, statement, body, future, version);
        resolve(&mut head.tree);
        head
    });
    // The head's last scope is the class's.
    let class_id = head.as_ref().map_or(0, |head| head.tree.scopes.len() - 1);
    for (mut part, &statement) in taken.into_iter().zip(&statements) {
        if let Some(head) = &mut head {
            let start = statement.start_byte();
            let line = lines.line_of(start);
            join_class_part(&mut head.tree, class_id, &mut part, start, line);
        }
        let source = &text[statement.byte_range()];
        now.push(source, future, part);
    }
    let mut head = head?;
    let class_scope = &mut head.tree.scopes[class_id];
    for symbol in &mut class_scope.symbols {
        // As the module's: a top-level class has no enclosing function.
        symbol.scope = classify_module_symbol(symbol.flags);
    }
    set_variable_orders(&mut head.tree, ScopeId(class_id));
    Some(head)
}

/// Whether a class body statement's scopes join the others' exactly (see the module docs).
fn joins_class(part: &ScopeTree) -> bool {
    let class = &part.scopes[1];
    let declared = SymbolFlags::GLOBAL
        .union(SymbolFlags::NONLOCAL)
        .union(SymbolFlags::FREE_CLASS);
    !part.truncated
        && class
            .symbols
            .iter()
            .all(|s| !s.flags.contains_any(declared) && s.scope != NameScope::Free)
        && class.children.iter().all(|&c| {
            // A name free in a method other than the class's own cells: `nonlocal` naming the
            // class's binding (a syntax error), which another statement may make.
            let child = &part.scopes[c.0];
            !child.inlined
                && child
                    .freevars
                    .iter()
                    .all(|name| name == "__class__" || name == "__classdict__")
        })
        && part.scopes.iter().all(|s| !s.can_see_class_scope)
}

/// Appends a class body statement's scopes, for the statement now starting at (`start`,
/// `line`), to `tree`, whose scope `class_id` is the class: its names there merged into the class's
/// table, its module names into the module's, its nested scopes copied (the part keeps them,
/// moved to where the statement is now).
fn join_class_part(
    tree: &mut ScopeTree,
    class_id: usize,
    part: &mut ClassPart,
    start: usize,
    line: usize,
) {
    let bytes = start as isize - part.start as isize;
    let lines = line as isize - part.line as isize;
    let [module_part, class_part, nested @ ..] = &mut part.tree.scopes[..] else {
        unreachable!("a part has its module and class scopes")
    };
    merge_symbols(&mut tree.scopes[0], &mut module_part.symbols, bytes);
    merge_symbols(&mut tree.scopes[class_id], &mut class_part.symbols, bytes);
    tree.scopes[class_id].needs_class_closure |= class_part.needs_class_closure;
    tree.scopes[class_id].needs_classdict |= class_part.needs_classdict;
    let first = tree.scopes.len();
    let id = |ScopeId(i): ScopeId| {
        ScopeId(match i {
            0 => 0,
            1 => class_id,
            _ => i - 2 + first,
        })
    };
    for scope in nested {
        shift(scope, bytes, lines);
        let mut scope = scope.clone();
        renumber(&mut scope, id);
        if scope.parent == Some(ScopeId(class_id)) {
            let id = ScopeId(tree.scopes.len());
            tree.scopes[class_id].children.push(id);
        }
        tree.scopes.push(scope);
    }
    part.start = start;
    part.line = line;
}

/// Merges `symbols` of a part into `scope`'s table, moving their occurrences by `bytes` first.
fn merge_symbols(scope: &mut Scope, symbols: &mut [Symbol], bytes: isize) {
    for symbol in symbols {
        let merged = scope.symbol_mut(&symbol.name);
        merged.flags.insert(symbol.flags);
        for occurrence in &mut symbol.occurrences {
            shift_range(&mut occurrence.range, bytes);
        }
        merged
            .occurrences
            .extend(symbol.occurrences.iter().cloned());
    }
}

fn shift_range(range: &mut Range<usize>, bytes: isize) {
    range.start = range.start.wrapping_add_signed(bytes);
    range.end = range.end.wrapping_add_signed(bytes);
}

/// Moves a scope's positions by `bytes` and `lines`.
fn shift(scope: &mut Scope, bytes: isize, lines: isize) {
    shift_range(&mut scope.range, bytes);
    if let Some(range) = &mut scope.name_range {
        shift_range(range, bytes);
    }
    scope.first_line = scope.first_line.wrapping_add_signed(lines);
    for symbol in &mut scope.symbols {
        for occurrence in &mut symbol.occurrences {
            shift_range(&mut occurrence.range, bytes);
        }
    }
}

/// Renames the scopes `scope` refers to with `id`.
fn renumber(scope: &mut Scope, id: impl Fn(ScopeId) -> ScopeId) {
    scope.parent = scope.parent.map(&id);
    for child in &mut scope.children {
        *child = id(*child);
    }
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
        let module_part = &mut part.scopes.tree.scopes[0];
        merge_symbols(&mut self.scopes[0], &mut module_part.symbols, bytes);
        // The nested scopes, and the id the first of them has where they come from.
        self.truncated |= part.scopes.tree.truncated;
        let (nested, from): (Vec<Scope>, usize) = match (part.nested.clone(), last) {
            // Freshly built, or without nested scopes: the part keeps its module scope alone
            // (moved within its list rather than the rest copied to a new one).
            (None, _) => {
                let mut nested = std::mem::take(&mut part.scopes.tree.scopes);
                part.scopes.tree.scopes.push(nested.remove(0));
                (nested, 1)
            }
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
        // A statement before the edit keeps its place and its ids: most of a keystroke's.
        let (moved, renumbered) = (bytes != 0 || lines != 0, from != first);
        for mut scope in nested {
            if moved {
                shift(&mut scope, bytes, lines);
            }
            if renumbered {
                renumber(&mut scope, id);
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
            symbol.scope = classify_module_symbol(symbol.flags);
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
