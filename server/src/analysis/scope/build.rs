//! Pass 1: walk the tree once and record what CPython's symtable visitor records.
//!
//! Each visitor method mirrors a case of `symtable_visit_stmt` / `symtable_visit_expr`: which
//! scope a sub-tree is evaluated in (defaults, decorators, annotations and a comprehension's first
//! iterable belong to the enclosing scope), which names it binds and which it uses. Nodes the
//! grammar could not parse (`ERROR`) are walked for whatever statements and names they contain.

use std::borrow::Cow;
use std::ops::Range;

use tree_sitter::{Node, Tree};
use unicode_normalization::UnicodeNormalization;

use super::dead_code::{BlockEnds, ConstKey, ConstTracker, constant_truth, never_falls_through};
use super::{ComprehensionKind, Role, Scope, ScopeId, ScopeKind, ScopeTree, SymbolFlags};
use crate::analysis::line_index::LineIndex;
use crate::analysis::settings::PythonVersion;
use crate::analysis::syntax::{Field, Met, Module, NodeLookups, kind_name_of, named_children};

/// How deep the walk follows the tree. Deeper sub-trees (thousands of nested brackets) are
/// skipped and the tree is marked truncated; callers run the walk on a thread with
/// [`super::STACK_SIZE`] bytes of stack, which this depth fits in with room to spare.
const MAX_DEPTH: usize = 12_000;

pub(super) fn build(text: &str, tree: &Tree, version: PythonVersion) -> ScopeTree {
    let roots = [tree.root_node()];
    build_observing(
        text,
        Module::new(&roots),
        &LineIndex::new(text),
        version,
        &[],
    )
    .0
}

/// [`build`], which also returns the nodes of the kinds in `kinds` that the walk met, each at
/// least once, in no particular order: what a caller that would otherwise walk the tree again
/// for them needs. Nodes below a depth the walk skips are missing (the tree says truncated).
pub(super) fn build_observing<'t>(
    text: &'t str,
    module: Module<'t>,
    lines: &LineIndex,
    version: PythonVersion,
    kinds: &'t [u16],
) -> (ScopeTree, Vec<Met<'t>>) {
    let (mut built, observed) = build_run_observing(text, module, lines, false, version, kinds);
    built.tree.scopes[0].first_line = module_first_line(module, lines, version);
    (built.tree, observed)
}

/// [`build_observing`] for a run of a module's top-level statements built on its own, as
/// [`build_statement`] builds one statement (the module scope holds what the run binds and
/// uses there), with `future_annotations` in force before it: one tree of a file parsed in
/// parts, joined with the others' ([`super::ScopeTree::join_runs`]).
pub(super) fn build_run_observing<'t>(
    text: &'t str,
    module: Module<'t>,
    lines: &LineIndex,
    future_annotations: bool,
    version: PythonVersion,
    kinds: &'t [u16],
) -> (StatementScopes, Vec<Met<'t>>) {
    let mut builder = Builder::new(text, lines, future_annotations, version);
    builder.observed_kinds = kinds.iter().fold(Vec::new(), |mut set, &kind| {
        let kind = usize::from(kind);
        if set.len() <= kind {
            set.resize(kind + 1, false);
        }
        set[kind] = true;
        set
    });
    if !kinds.is_empty() {
        // About one node of the kinds matched for every 40 bytes of source (43 in
        // test_typing.py): room for them at once, rather than copying them as the vector doubles.
        let span: usize = module
            .roots()
            .iter()
            .map(|root| root.byte_range().len())
            .sum();
        builder.observed.reserve(span / 40);
    }
    let ends_dead = builder.visit_statements(module.roots()[0], module.statements().collect());
    builder.finish_unit(ends_dead);
    let observed = std::mem::take(&mut builder.observed);
    let built = StatementScopes {
        future_annotations: builder.future_annotations,
        module_dead_code: builder.module_dead_code || ends_dead,
        tree: builder.into_tree(),
    };
    (built, observed)
}

/// The scope model of one top-level statement on its own, as the whole-file walk would record
/// it: the module scope holds only the names this statement binds and uses at module level.
pub(super) struct StatementScopes {
    pub tree: ScopeTree,
    /// Whether `from __future__ import annotations` is in force after the statement.
    pub future_annotations: bool,
    /// Whether the statement may change what CPython drops as dead code at module level (it
    /// never falls through, or makes a code object in dead module-level code): the module's
    /// constants then span statements, and only the whole-file walk is exact.
    pub module_dead_code: bool,
}

/// [`build_statement`] for a top-level statement defining a class, without the class's body:
/// the class scope is the last one, its body's statements are built apart
/// ([`build_class_statement`]).
pub(super) fn build_class_head(
    text: &str,
    lines: &LineIndex,
    statement: Node,
    body: Node,
    future_annotations: bool,
    version: PythonVersion,
) -> StatementScopes {
    let mut builder = Builder::new(text, lines, future_annotations, version);
    builder.skipped_body = Some(body.id());
    builder.visit_node(statement);
    builder.finish_unit(false);
    StatementScopes {
        future_annotations: builder.future_annotations,
        module_dead_code: builder.module_dead_code,
        tree: builder.into_tree(),
    }
}

/// One statement of the body of top-level class `class` (named `class_name`) on its own: the
/// module scope, a class scope holding only what this statement binds and uses there, and the
/// statement's nested scopes, as the whole-file walk records them. The flag says whether the
/// statement may change what CPython drops as dead code in the class body (then the class's
/// constants span statements).
pub(super) fn build_class_statement(
    text: &str,
    lines: &LineIndex,
    class: Node,
    class_name: &str,
    statement: Node,
    future_annotations: bool,
    version: PythonVersion,
) -> (ScopeTree, bool) {
    let mut builder = Builder::new(text, lines, future_annotations, version);
    let scope = builder.new_scope(ScopeKind::Class, class_name, class, 1);
    let saved = builder.enter_scope(scope);
    builder.private = Some(class_name.to_string());
    // Dead code of the class body's unit, not the module's, is what spans statements here.
    builder.outer_units = 2;
    builder.visit_node(statement);
    let falls_through = !never_falls_through(statement, text, &mut builder.block_ends);
    builder.exit_scope(saved, false);
    builder.finish_unit(false);
    let dead_code = builder.module_dead_code || !falls_through;
    (builder.into_tree(), dead_code)
}

pub(super) fn build_statement(
    text: &str,
    lines: &LineIndex,
    statement: Node,
    future_annotations: bool,
    version: PythonVersion,
) -> StatementScopes {
    let mut builder = Builder::new(text, lines, future_annotations, version);
    builder.visit_node(statement);
    let falls_through = !never_falls_through(statement, text, &mut builder.block_ends);
    builder.finish_unit(!falls_through);
    StatementScopes {
        future_annotations: builder.future_annotations,
        module_dead_code: builder.module_dead_code || !falls_through,
        tree: builder.into_tree(),
    }
}

/// The key of the constant `None` that a code unit adds on its own (falling off its end, a
/// missing docstring, an import): apart from a `None` written in the source.
const NONE: ConstKey<'static> = ("None", Cow::Borrowed(""));

/// The walk: `'a` the text and line index it reads, `'t` the tree.
struct Builder<'a, 't> {
    src: &'a str,
    lines: &'a LineIndex,
    scopes: Vec<Scope>,
    current: ScopeId,
    /// The enclosing class's name, for private name mangling (`__x` → `_C__x`).
    private: Option<String>,
    future_annotations: bool,
    /// Whether the statement being visited is unreachable (after `return`, under `if 0:`, ...).
    dead: bool,
    /// Whether it is in a branch a constant test rules out (`if 0:`, the `else` of `if 1:`),
    /// which CPython 3.8 and 3.9 do not compile at all.
    const_dead: bool,
    depth: usize,
    truncated: bool,
    /// The constants of each code unit being compiled, innermost last (see `dead_code`).
    units: Vec<ConstTracker<'a>>,
    /// Whether a code object was made in dead code of the outermost unit built (the module's;
    /// for one statement of a class body, the class body's).
    module_dead_code: bool,
    /// How many code units enclose the statements built: 1 (the module), or 2 (a class body).
    outer_units: usize,
    /// The body of the class whose head alone is built (see [`build_class_head`]), by node id.
    skipped_body: Option<usize>,
    /// The CPython whose compiler is modelled (already clamped to 3.8 ..= 3.13).
    version: PythonVersion,
    /// Lines CPython 3.8 counts less than the source inside an f-string (see `expr_inner`).
    line_shift: usize,
    /// The node kinds to hand back (see [`build_observing`]), by kind id, and those met so far.
    observed_kinds: Vec<bool>,
    observed: Vec<Met<'t>>,
    /// Which blocks met so far end control (see [`never_falls_through`]).
    block_ends: BlockEnds,
}

/// An identifier as CPython stores it: NFKC-normalized (PEP 3131), so `ﬁnd` is `find`.
pub(super) fn identifier(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfkc().collect())
    }
}

/// CPython's `_Py_Mangle`.
fn mangle<'n>(private: Option<&str>, name: &'n str) -> Cow<'n, str> {
    let Some(class_name) = private else {
        return Cow::Borrowed(name);
    };
    if !name.starts_with("__") || name.ends_with("__") || name.contains('.') {
        return Cow::Borrowed(name);
    }
    let stripped = class_name.trim_start_matches('_');
    if stripped.is_empty() {
        return Cow::Borrowed(name);
    }
    Cow::Owned(format!("_{stripped}{name}"))
}

pub(super) fn field_children<'t>(node: Node<'t>, field: Field) -> Vec<Node<'t>> {
    // Most are asked of a field the node lacks (an `if` without `elif` or `else`): one lookup
    // says so, where a cursor is allocated and steps through every child.
    if node.field(field).is_none() {
        return Vec::new();
    }
    let mut cursor = node.walk();
    let field = std::num::NonZeroU16::new(field.id()).expect("field ids are non-zero");
    node.children_by_field_id(field, &mut cursor)
        .filter(|n| n.is_named())
        .collect()
}

fn is_statement(kind: &str) -> bool {
    kind.ends_with("_statement")
        || matches!(
            kind,
            "function_definition" | "class_definition" | "decorated_definition" | "block"
        )
}

impl<'a, 't> Builder<'a, 't> {
    fn new(
        src: &'a str,
        lines: &'a LineIndex,
        future_annotations: bool,
        version: PythonVersion,
    ) -> Builder<'a, 't> {
        let mut module = Scope::new(ScopeKind::Module, "<module>".into(), None, 0..src.len());
        module.qualname = "<module>".into();
        Builder {
            src,
            lines,
            scopes: vec![module],
            current: ScopeId(0),
            private: None,
            future_annotations,
            dead: false,
            const_dead: false,
            depth: 0,
            truncated: false,
            units: vec![ConstTracker::default()],
            module_dead_code: false,
            outer_units: 1,
            skipped_body: None,
            version,
            line_shift: 0,
            observed_kinds: Vec::new(),
            observed: Vec::new(),
            block_ends: BlockEnds::default(),
        }
    }

    /// Keeps `node` for [`build_observing`]'s caller when it is of a kind asked for. Called
    /// wherever a statement, expression, target or pattern is entered, so a node may come twice.
    fn observe(&mut self, node: Node<'t>) {
        self.observe_kind(node, node.kind_id());
    }

    /// [`Self::observe`] of a node of kind `kind`: the walk reads each node's kind once.
    fn observe_kind(&mut self, node: Node<'t>, kind: u16) {
        if !self.observed_kinds.is_empty()
            && self.observed_kinds.get(usize::from(kind)) == Some(&true)
        {
            self.observed.push(Met::new(node));
        }
    }

    /// Hands what was read of `node` (the child in each field) on with it, when `node` was the
    /// last node observed (as it is when read first thing after entering it).
    fn observe_read(&mut self, node: Node<'t>, fields: [(Field, Option<Node<'t>>); 2]) {
        if let Some(met) = self.observed.last_mut().filter(|met| met.node == node) {
            met.keep(fields);
        }
    }

    fn into_tree(self) -> ScopeTree {
        ScopeTree {
            scopes: self.scopes,
            by_range: Default::default(),
            truncated: self.truncated,
            version: self.version,
        }
    }

    fn text(&self, node: Node<'t>) -> &'a str {
        &self.src[node.byte_range()]
    }

    /// The 1-based line CPython gives a node (see `line_shift`).
    fn line_of(&self, node: Node<'t>) -> usize {
        self.lines.line_of(node.start_byte()) - self.line_shift
    }

    fn scope_mut(&mut self, id: ScopeId) -> &mut Scope {
        &mut self.scopes[id.0]
    }

    /// Records `flag` for `name` (mangled) in scope `id`, with one occurrence.
    fn add_def_in(
        &mut self,
        id: ScopeId,
        name: &str,
        flag: SymbolFlags,
        range: Range<usize>,
        role: Role,
    ) {
        let mangled = mangle(self.private.as_deref(), name);
        let symbol = self.scopes[id.0].symbol_mut(&mangled);
        symbol.flags.insert(flag);
        symbol.occurrences.push(super::Occurrence { range, role });
        if flag == SymbolFlags::GLOBAL && id != ScopeId(0) {
            // CPython also marks the module's entry (`st_global`).
            self.scope_mut(ScopeId(0))
                .symbol_mut(&mangled)
                .flags
                .insert(SymbolFlags::GLOBAL);
        }
    }

    fn identifier(&self, node: Node<'t>) -> Cow<'a, str> {
        identifier(self.text(node))
    }

    fn add_def(&mut self, node: Node<'t>, flag: SymbolFlags, role: Role) {
        // The range is read once: each read asks tree-sitter, for every name in the file.
        self.add_def_at(node.byte_range(), flag, role);
    }

    /// [`Self::add_def`] of the identifier spanning `range`.
    fn add_def_at(&mut self, range: Range<usize>, flag: SymbolFlags, role: Role) {
        let name = identifier(&self.src[range.clone()]);
        self.add_def_in(self.current, &name, flag, range, role);
    }

    fn use_name(&mut self, node: Node<'t>) {
        let range = node.byte_range();
        // `super` in a function counts as a use of `__class__` (symtable.c special case).
        let is_super = &self.src[range.clone()] == "super";
        self.add_def_at(range.clone(), SymbolFlags::USE, Role::Use);
        if is_super && self.scopes[self.current.0].kind.is_function_like() {
            self.add_def_in(
                self.current,
                "__class__",
                SymbolFlags::USE,
                range,
                Role::Use,
            );
        }
    }

    /// Enters a new scope as a child of the current one and returns the saved state to restore.
    fn enter_scope(&mut self, mut scope: Scope) -> Saved {
        let id = ScopeId(self.scopes.len());
        let parent = self.current;
        scope.parent = Some(parent);
        self.scopes.push(scope);
        self.scope_mut(parent).children.push(id);
        let inlined = self.scopes[id.0].inlined;
        if inlined {
            // Compiled inline: same code unit, same reachability.
            self.current = id;
            return (parent, self.dead, self.const_dead);
        }
        let kind = self.scopes[id.0].kind;
        if kind != ScopeKind::Annotation {
            let dead = self.dead;
            self.module_dead_code |= dead && self.units.len() == self.outer_units;
            // Code objects equal as constants are merged, and only 3.11 and 3.13 compare their
            // columns: elsewhere a lambda or generator expression written twice on one line is
            // one constant, one code object.
            // (3.12 merges only a lambda returning a literal, as its oracle shows.)
            let merge_key = (match self.version.minor {
                8..=10 => matches!(
                    kind,
                    ScopeKind::Lambda | ScopeKind::Comprehension(ComprehensionKind::Generator)
                ),
                12 => kind == ScopeKind::Lambda && self.returns_literal(id),
                _ => false,
            })
            .then(|| {
                let scope = &self.scopes[id.0];
                format!("{}:{}", scope.first_line, &self.src[scope.range.clone()])
            });
            let unit = self.units.last_mut().expect("a unit is always open");
            if merge_key.is_some_and(|key| !unit.code_text(key)) {
                self.scopes[id.0].has_code_object = false;
            } else if self.version <= PythonVersion::new(3, 9) {
                // 3.8 and 3.9 never compile a branch a constant rules out, and keep every
                // constant of what they compile.
                if self.const_dead {
                    self.scopes[id.0].has_code_object = false;
                }
            } else {
                unit.code_object(id, dead);
            }
            self.units.push(ConstTracker::default());
        }
        self.current = id;
        let was_dead = std::mem::replace(&mut self.dead, false);
        let was_const_dead = std::mem::replace(&mut self.const_dead, false);
        (parent, was_dead, was_const_dead)
    }

    fn exit_scope(&mut self, saved: Saved, ends_dead: bool) {
        let scope = &self.scopes[self.current.0];
        if scope.kind != ScopeKind::Annotation && !scope.inlined {
            self.finish_unit(ends_dead);
        }
        self.current = saved.0;
        self.dead = saved.1;
        self.const_dead = saved.2;
    }

    /// Whether scope `id` is a lambda whose body is a literal (`lambda: ...`).
    fn returns_literal(&self, id: ScopeId) -> bool {
        let range = &self.scopes[id.0].range;
        let body = self.src[range.clone()]
            .split_once(':')
            .map_or("", |(_, body)| body.trim());
        body == "..."
            || body == "None"
            || body.parse::<f64>().is_ok()
            || (body.len() >= 2
                && (body.starts_with('"') || body.starts_with('\''))
                && body.ends_with(&body[..1])
                && !body[1..body.len() - 1].contains(&body[..1]))
    }

    /// Closes the innermost code unit: code objects it still holds only in dead code are dropped.
    fn finish_unit(&mut self, ends_dead: bool) {
        let mut unit = self.units.pop().expect("a unit is always open");
        if !ends_dead {
            // Falling off the end returns None.
            unit.constant(NONE, true);
        }
        let every_unused = self.version >= PythonVersion::new(3, 12);
        for id in unit.dropped(every_unused) {
            self.scopes[id.0].has_code_object = false;
        }
    }

    fn constant(&mut self, key: ConstKey<'a>) {
        let dead = self.dead;
        self.units
            .last_mut()
            .expect("a unit is always open")
            .constant(key, !dead);
    }

    fn new_scope(&self, kind: ScopeKind, name: &str, node: Node<'t>, first_line: usize) -> Scope {
        let mut scope = Scope::new(
            kind,
            name.to_string(),
            Some(self.current),
            node.byte_range(),
        );
        scope.first_line = first_line;
        scope
    }

    /// Runs `visit` on `node` one level deeper, unless the walk is already as deep as it goes:
    /// then the sub-tree is skipped and the tree marked truncated.
    fn nested(&mut self, visit: impl FnOnce(&mut Self)) {
        if self.depth >= MAX_DEPTH {
            self.truncated = true;
            return;
        }
        self.depth += 1;
        visit(self);
        self.depth -= 1;
    }

    // ----- statements -----

    /// Visits a block's statements; returns whether its end is unreachable.
    fn visit_block(&mut self, block: Node<'t>) -> bool {
        self.visit_statements(block, named_children(block))
    }

    /// [`Self::visit_block`] for the block's statements, already listed.
    fn visit_statements(&mut self, block: Node<'t>, statements: Vec<Node<'t>>) -> bool {
        let saved = self.dead;
        let mut ends = false;
        for stmt in statements {
            self.visit_node(stmt);
            if never_falls_through(stmt, self.src, &mut self.block_ends) {
                ends = true;
                self.dead = true;
            }
        }
        self.block_ends.record(block, ends);
        let ends_dead = self.dead;
        self.dead = saved;
        ends_dead
    }

    /// Visits a block whose reachability is decided by a constant condition.
    fn visit_block_if(&mut self, block: Option<Node<'t>>, reachable: bool) {
        let Some(block) = block else { return };
        let saved = (self.dead, self.const_dead);
        self.dead |= !reachable;
        self.const_dead |= !reachable;
        self.visit_block(block);
        (self.dead, self.const_dead) = saved;
    }

    /// Any node: statements go to `visit_stmt`, everything else to `visit_expr`.
    fn visit_node(&mut self, node: Node<'t>) {
        let kind = node.kind_id();
        if is_statement(kind_name_of(kind)) {
            self.visit_stmt_of(node, kind)
        } else {
            self.visit_expr_of(node, kind)
        }
    }

    fn visit_children(&mut self, node: Node<'t>) {
        for child in named_children(node) {
            self.visit_node(child);
        }
    }

    fn visit_stmt(&mut self, node: Node<'t>) {
        self.visit_stmt_of(node, node.kind_id());
    }

    /// [`Self::visit_stmt`] of a node of kind `kind`.
    fn visit_stmt_of(&mut self, node: Node<'t>, kind: u16) {
        self.observe_kind(node, kind);
        self.nested(|this| this.stmt_inner(node, kind));
    }

    fn stmt_inner(&mut self, node: Node<'t>, kind: u16) {
        match kind_name_of(kind) {
            "block" => {
                self.visit_block(node);
            }
            "expression_statement" => {
                for child in named_children(node) {
                    match child.kind_name() {
                        "assignment" => self.visit_assignment(child),
                        "augmented_assignment" => self.visit_augmented_assignment(child),
                        _ => self.visit_expr(child),
                    }
                }
            }
            "return_statement" => {
                let values = named_children(node);
                if values.is_empty() {
                    self.constant(NONE);
                }
                for value in values {
                    self.visit_expr(value);
                }
            }
            "delete_statement" => {
                for target in named_children(node) {
                    self.visit_target(target, Role::Delete);
                }
            }
            "global_statement" | "nonlocal_statement" => {
                let flag = if node.kind_name() == "global_statement" {
                    SymbolFlags::GLOBAL
                } else {
                    SymbolFlags::NONLOCAL
                };
                for name in named_children(node)
                    .into_iter()
                    .filter(|n| n.kind_name() == "identifier")
                {
                    self.add_def(name, flag, Role::Declare);
                }
            }
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                self.visit_import(node)
            }
            "assert_statement" if self.version >= PythonVersion::new(3, 12) => {
                // From 3.12 the message of an assertion that cannot fail is dead code.
                let parts = named_children(node);
                let Some((&test, message)) = parts.split_first() else {
                    return;
                };
                self.visit_expr(test);
                let saved = self.dead;
                self.dead |= constant_truth(test, self.src) == Some(true);
                for part in message {
                    self.visit_expr(*part);
                }
                self.dead = saved;
            }
            "print_statement" => {
                // `print >>f, x` is parsed as Python 2's statement; in Python 3 it reads `print`.
                if let Some(keyword) = node.child(0) {
                    self.add_def_in(
                        self.current,
                        "print",
                        SymbolFlags::USE,
                        keyword.byte_range(),
                        Role::Use,
                    );
                }
                self.visit_children(node);
            }
            "if_statement" => self.visit_if(node),
            "for_statement" => {
                if let Some(left) = node.field(Field::Left) {
                    self.visit_target(left, Role::Bind);
                }
                for right in field_children(node, Field::Right) {
                    self.visit_expr(right);
                }
                self.visit_block_if(node.field(Field::Body), true);
                self.visit_else(node.field(Field::Alternative), true);
            }
            "while_statement" => {
                let condition = node.field(Field::Condition);
                let truth = condition.and_then(|c| constant_truth(c, self.src));
                if let Some(condition) = condition {
                    self.visit_expr(condition);
                }
                self.visit_block_if(node.field(Field::Body), truth != Some(false));
                self.visit_else(node.field(Field::Alternative), true);
            }
            "try_statement" => {
                for child in named_children(node) {
                    match child.kind_name() {
                        "block" => {
                            self.visit_block(child);
                        }
                        "except_clause" | "except_group_clause" => self.visit_except(child),
                        "else_clause" => self.visit_else(Some(child), true),
                        _ => self.visit_children(child),
                    }
                }
            }
            "with_statement" => {
                for child in named_children(node) {
                    match child.kind_name() {
                        "with_clause" => self.visit_with_items(child),
                        "block" => {
                            self.visit_block(child);
                        }
                        _ => self.visit_node(child),
                    }
                }
            }
            "match_statement" => self.visit_match(node),
            "type_alias_statement" => self.visit_type_alias(node),
            "function_definition" => self.visit_function(node, None),
            "class_definition" => self.visit_class(node, None),
            "decorated_definition" => {
                if let Some(definition) = node.field(Field::Definition) {
                    match definition.kind_name() {
                        "function_definition" => self.visit_function(definition, Some(node)),
                        "class_definition" => self.visit_class(definition, Some(node)),
                        _ => self.visit_children(node),
                    }
                } else {
                    self.visit_children(node);
                }
            }
            "pass_statement" | "break_statement" | "continue_statement" => {}
            _ => self.visit_children(node),
        }
    }

    fn visit_else(&mut self, clause: Option<Node<'t>>, reachable: bool) {
        if let Some(clause) = clause {
            self.visit_block_if(clause.field(Field::Body), reachable);
        }
    }

    /// `if` / `elif` / `else`, with branches under a constant false (or after a constant true)
    /// condition unreachable, as CPython's compiler sees them.
    fn visit_if(&mut self, node: Node<'t>) {
        let mut reachable = true;
        self.visit_branch(node, &mut reachable);
        for alternative in field_children(node, Field::Alternative) {
            match alternative.kind_name() {
                "elif_clause" => self.visit_branch(alternative, &mut reachable),
                _ => self.visit_else(Some(alternative), reachable),
            }
        }
    }

    /// One `if` or `elif` test and its block; after a constant true test, later branches are dead.
    fn visit_branch(&mut self, clause: Node<'t>, reachable: &mut bool) {
        let condition = clause.field(Field::Condition);
        let truth = condition.and_then(|c| constant_truth(c, self.src));
        if let Some(condition) = condition {
            let saved = (self.dead, self.const_dead);
            self.dead |= !*reachable;
            self.const_dead |= !*reachable;
            self.visit_expr(condition);
            (self.dead, self.const_dead) = saved;
        }
        self.visit_block_if(
            clause.field(Field::Consequence),
            *reachable && truth != Some(false),
        );
        if truth == Some(true) {
            *reachable = false;
        }
    }

    fn visit_except(&mut self, clause: Node<'t>) {
        for child in named_children(clause) {
            match child.kind_name() {
                "block" => {
                    self.visit_block(child);
                }
                "as_pattern" => self.visit_as_pattern(child),
                _ => {
                    if clause.field(Field::Alias) == Some(child) {
                        self.visit_target(child, Role::Bind);
                    } else {
                        self.visit_expr(child);
                    }
                }
            }
        }
    }

    /// `expr as target` in `with` and `except`.
    fn visit_as_pattern(&mut self, node: Node<'t>) {
        for child in named_children(node) {
            if child.kind_name() == "as_pattern_target" {
                self.constant(NONE);
                for target in named_children(child) {
                    self.visit_target(target, Role::Bind);
                }
            } else {
                self.visit_expr(child);
            }
        }
    }

    fn visit_with_items(&mut self, clause: Node<'t>) {
        for item in named_children(clause) {
            match item.kind_name() {
                "with_item" => {
                    self.constant(NONE);
                    for value in named_children(item) {
                        if value.kind_name() == "as_pattern" {
                            self.visit_as_pattern(value);
                        } else {
                            self.visit_expr(value);
                        }
                    }
                }
                _ => self.visit_node(item),
            }
        }
    }

    fn visit_import(&mut self, node: Node<'t>) {
        self.constant(("int", "0".into()));
        self.constant(NONE);
        for name in field_children(node, Field::Name) {
            let (bound, full) = match name.kind_name() {
                "aliased_import" => match name.field(Field::Alias) {
                    Some(alias) => (alias, alias),
                    None => continue,
                },
                // `import a.b.c` binds `a`.
                "dotted_name" => match name.named_child(0) {
                    Some(first) => (first, name),
                    None => continue,
                },
                _ => continue,
            };
            if node.kind_name() == "future_import_statement" && self.text(full) == "annotations" {
                self.future_annotations = true;
            }
            self.add_def(bound, SymbolFlags::IMPORT, Role::Import);
        }
    }

    fn visit_assignment(&mut self, node: Node<'t>) {
        self.observe(node);
        let left = node.field(Field::Left);
        let right = node.field(Field::Right);
        self.observe_read(node, [(Field::Left, left), (Field::Right, right)]);
        if let Some(annotation) = node.field(Field::Type) {
            // An annotated assignment: a plain name is bound even without a value.
            if let Some(left) = left {
                if left.kind_name() == "identifier" {
                    self.add_def(left, SymbolFlags::LOCAL, Role::Bind);
                    self.add_def_in(
                        self.current,
                        self.text(left),
                        SymbolFlags::ANNOT,
                        left.byte_range(),
                        Role::Bind,
                    );
                } else {
                    self.visit_target(left, Role::Bind);
                }
            }
            self.visit_annotation(annotation);
        } else if let Some(left) = left {
            self.visit_target(left, Role::Bind);
        }
        if let Some(right) = right {
            match right.kind_name() {
                // `a = b = c`: every target is bound.
                "assignment" => self.visit_assignment(right),
                "augmented_assignment" => self.visit_augmented_assignment(right),
                _ => self.visit_expr(right),
            }
        }
    }

    fn visit_augmented_assignment(&mut self, node: Node<'t>) {
        self.observe(node);
        let (left, right) = (node.field(Field::Left), node.field(Field::Right));
        self.observe_read(node, [(Field::Left, left), (Field::Right, right)]);
        if let Some(left) = left {
            self.visit_target(left, Role::Bind);
        }
        if let Some(right) = right {
            self.visit_expr(right);
        }
    }

    /// Annotations are evaluated in the enclosing scope, or, under
    /// `from __future__ import annotations`, in an annotation block of their own.
    fn visit_annotation(&mut self, node: Node<'t>) {
        if self.future_annotations {
            let scope = self.new_scope(
                ScopeKind::Annotation,
                "_annotation",
                node,
                self.line_of(node),
            );
            let saved = self.enter_scope(scope);
            self.visit_expr(node);
            self.exit_scope(saved, false);
        } else {
            self.visit_expr(node);
        }
    }

    // ----- definitions -----

    /// A `def`; `decorated` is the `decorated_definition` around it, if any.
    fn visit_function(&mut self, node: Node<'t>, decorated: Option<Node<'t>>) {
        self.observe(node);
        let Some(name) = node.field(Field::Name) else {
            return self.visit_children(node);
        };
        self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
        let parameters = node.field(Field::Parameters).map(named_children);
        let first_line = self.line_of(decorated.unwrap_or(node));
        let function_name = self.identifier(name);
        let type_parameters = node.field(Field::TypeParameters);
        let type_params_scope = if let Some(type_parameters) = type_parameters {
            // PEP 695: defaults and decorators are evaluated outside, annotations inside the
            // `<generic parameters of f>` scope, which receives the defaults as parameters.
            let (defaults, keyword_defaults) =
                parameters.as_deref().map_or((false, false), has_defaults);
            if let Some(parameters) = &parameters {
                self.visit_defaults(parameters);
            }
            self.visit_decorators(decorated);
            let saved = self.enter_type_params(
                &function_name,
                type_parameters,
                first_line,
                TypeParamsOf::Function {
                    defaults,
                    keyword_defaults,
                },
            );
            if let Some(parameters) = &parameters {
                self.visit_annotations(parameters);
            }
            Some(saved)
        } else {
            if let Some(parameters) = &parameters {
                self.visit_defaults_and_annotations(parameters);
            }
            None
        };
        if let Some(returns) = node.field(Field::ReturnType) {
            self.visit_annotation(returns);
        }
        if type_params_scope.is_none() {
            self.visit_decorators(decorated);
        }
        let mut scope = self.new_scope(ScopeKind::Function, &function_name, node, first_line);
        scope.name_range = Some(name.byte_range());
        scope.binding_name = Some(mangle(self.private.as_deref(), &function_name).into_owned());
        let saved = self.enter_scope(scope);
        if let Some(parameters) = &parameters {
            self.visit_parameters(parameters);
        }
        let body = node
            .field(Field::Body)
            .map(|body| (body, named_children(body)));
        // The first constant of a function is its docstring, or None.
        match body
            .as_ref()
            .and_then(|(_, statements)| statements.first().copied())
            .and_then(docstring)
        {
            Some(doc) => self.constant(("str", self.text(doc).into())),
            None => self.constant(NONE),
        }
        let ends_dead =
            body.is_some_and(|(body, statements)| self.visit_statements(body, statements));
        self.exit_scope(saved, ends_dead);
        if let Some(saved) = type_params_scope {
            self.exit_scope(saved, false);
        }
    }

    fn visit_decorators(&mut self, decorated: Option<Node<'t>>) {
        if let Some(decorated) = decorated {
            for decorator in named_children(decorated)
                .into_iter()
                .filter(|n| n.kind_name() == "decorator")
            {
                self.visit_children(decorator);
            }
        }
    }

    fn visit_class(&mut self, node: Node<'t>, decorated: Option<Node<'t>>) {
        self.observe(node);
        let Some(name) = node.field(Field::Name) else {
            return self.visit_children(node);
        };
        self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
        let first_line = self.line_of(decorated.unwrap_or(node));
        // As CPython stores it: also the constant the class statement adds (below).
        let name_text = self.identifier(name);
        let class_name = name_text.as_ref();
        let type_parameters = node.field(Field::TypeParameters);
        let outer_private = self.private.clone();
        let type_params_scope = type_parameters.map(|type_parameters| {
            // PEP 695: the decorators outside, the bases inside `<generic parameters of C>`.
            self.visit_decorators(decorated);
            self.private = Some(class_name.to_string());
            self.enter_type_params(class_name, type_parameters, first_line, TypeParamsOf::Class)
        });
        if let Some(bases) = node.field(Field::Superclasses) {
            self.visit_expr(bases);
        }
        if type_params_scope.is_none() {
            self.visit_decorators(decorated);
        }
        let mut scope = self.new_scope(ScopeKind::Class, class_name, node, first_line);
        scope.name_range = Some(name.byte_range());
        scope.binding_name = Some(mangle(self.private.as_deref(), class_name).into_owned());
        let saved = self.enter_scope(scope);
        self.private = Some(class_name.to_string());
        if let Some(type_parameters) = type_parameters {
            let range = type_parameters.byte_range();
            self.add_def_in(
                self.current,
                "__type_params__",
                SymbolFlags::LOCAL,
                range.clone(),
                Role::Bind,
            );
            self.add_def_in(
                self.current,
                ".type_params",
                SymbolFlags::USE,
                range,
                Role::Use,
            );
        }
        // The class body starts by storing its qualified name, a constant.
        self.constant(("qualname", node.start_byte().to_string().into()));
        let ends_dead = node
            .field(Field::Body)
            .filter(|b| Some(b.id()) != self.skipped_body)
            .is_some_and(|b| self.visit_block(b));
        self.exit_scope(saved, ends_dead);
        self.constant(("str", name_text.clone()));
        if let Some(saved) = type_params_scope {
            self.exit_scope(saved, false);
        }
        self.private = outer_private;
    }

    /// PEP 695: enters the `<generic parameters of NAME>` scope of a generic `def`, `class` or
    /// `type` statement and binds its type parameters there (each bound, constraint tuple or
    /// default in a scope of its own). The caller exits it after the definition.
    fn enter_type_params(
        &mut self,
        name: &str,
        type_parameters: Node<'t>,
        first_line: usize,
        of: TypeParamsOf,
    ) -> Saved {
        let in_class = self.scopes[self.current.0].kind == ScopeKind::Class;
        let mut scope = self.new_scope(
            ScopeKind::TypeParams,
            &format!("<generic parameters of {name}>"),
            type_parameters,
            first_line,
        );
        scope.can_see_class_scope = in_class;
        let saved = self.enter_scope(scope);
        let range = type_parameters.byte_range();
        if in_class {
            self.use_classdict(type_parameters);
        }
        match of {
            TypeParamsOf::Class => {
                for hidden in [".type_params", ".generic_base"] {
                    self.add_def_in(
                        self.current,
                        hidden,
                        SymbolFlags::LOCAL,
                        range.clone(),
                        Role::Bind,
                    );
                    self.add_def_in(
                        self.current,
                        hidden,
                        SymbolFlags::USE,
                        range.clone(),
                        Role::Use,
                    );
                }
            }
            TypeParamsOf::Function {
                defaults,
                keyword_defaults,
            } => {
                for (present, hidden) in
                    [(defaults, ".defaults"), (keyword_defaults, ".kwdefaults")]
                {
                    if present {
                        self.add_def_in(
                            self.current,
                            hidden,
                            SymbolFlags::PARAM,
                            range.clone(),
                            Role::Param,
                        );
                        self.scopes[self.current.0].params.push(hidden.to_string());
                    }
                }
            }
            TypeParamsOf::Alias => {}
        }
        for parameter in named_children(type_parameters) {
            self.visit_type_param(parameter);
        }
        saved
    }

    /// One type parameter (`T`, `T: bound`, `*Ts`, `**P`, 3.13's `T = default`).
    fn visit_type_param(&mut self, parameter: Node<'t>) {
        // `type` wraps each parameter; `T: int` is a `constrained_type`, `*Ts` a `splat_type`.
        let inner = if parameter.kind_name() == "type" {
            match parameter.named_child(0) {
                Some(inner) => inner,
                None => return,
            }
        } else {
            parameter
        };
        match inner.kind_name() {
            "identifier" => self.add_def(inner, SymbolFlags::LOCAL, Role::Bind),
            "splat_type" => {
                if let Some(name) = inner
                    .named_child(0)
                    .filter(|n| n.kind_name() == "identifier")
                {
                    self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
                }
            }
            "constrained_type" => {
                let parts = named_children(inner);
                let name = parts
                    .first()
                    .map(|t| {
                        if t.kind_name() == "type" {
                            t.named_child(0).unwrap_or(*t)
                        } else {
                            *t
                        }
                    })
                    .filter(|n| n.kind_name() == "identifier");
                let Some(name) = name else {
                    return self.visit_children(inner);
                };
                self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
                for bound in &parts[1..] {
                    self.visit_type_param_value(name, *bound);
                }
            }
            _ => self.visit_expr(inner),
        }
    }

    /// A type parameter's bound (or default): a lazily evaluated scope named after the parameter.
    fn visit_type_param_value(&mut self, name: Node<'t>, value: Node<'t>) {
        let can_see_class_scope = self.scopes[self.current.0].can_see_class_scope;
        let param_name = self.identifier(name);
        let mut scope = self.new_scope(
            ScopeKind::TypeVarBound,
            &param_name,
            value,
            self.line_of(value),
        );
        scope.can_see_class_scope = can_see_class_scope;
        let saved = self.enter_scope(scope);
        if can_see_class_scope {
            self.use_classdict(value);
        }
        self.visit_expr(value);
        self.exit_scope(saved, true);
    }

    /// A lazily evaluated annotation scope inside a class reads the class's names through the
    /// `__classdict__` cell (3.12+): `node` uses it.
    fn use_classdict(&mut self, node: Node<'t>) {
        self.add_def_in(
            self.current,
            "__classdict__",
            SymbolFlags::USE,
            node.byte_range(),
            Role::Use,
        );
    }

    /// `type X[T] = value` (3.12+): the value is evaluated lazily in a scope named `X`.
    fn visit_type_alias(&mut self, node: Node<'t>) {
        let Some(left) = node.field(Field::Left) else {
            return self.visit_children(node);
        };
        // `X` is a `type` holding an identifier, or a `generic_type` (`X[T]`).
        let target = if left.kind_name() == "type" {
            left.named_child(0)
        } else {
            Some(left)
        };
        let Some(target) = target else {
            return self.visit_children(node);
        };
        let (name, type_parameters) = match target.kind_name() {
            "identifier" => (target, None),
            "generic_type" => match target
                .named_child(0)
                .filter(|n| n.kind_name() == "identifier")
            {
                Some(name) => (
                    name,
                    named_children(target)
                        .into_iter()
                        .find(|n| n.kind_name() == "type_parameter"),
                ),
                None => return self.visit_children(node),
            },
            _ => return self.visit_children(node),
        };
        self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
        let in_class = self.scopes[self.current.0].kind == ScopeKind::Class;
        let alias_name = self.identifier(name).into_owned();
        let first_line = self.line_of(node);
        let type_params_scope = type_parameters.map(|type_parameters| {
            self.enter_type_params(
                &alias_name,
                type_parameters,
                first_line,
                TypeParamsOf::Alias,
            )
        });
        let mut scope = self.new_scope(ScopeKind::TypeAlias, &alias_name, node, first_line);
        scope.name_range = Some(name.byte_range());
        scope.can_see_class_scope = in_class;
        let saved = self.enter_scope(scope);
        if let Some(value) = node.field(Field::Right) {
            if in_class {
                self.use_classdict(value);
            }
            self.visit_expr(value);
        }
        self.exit_scope(saved, true);
        if let Some(saved) = type_params_scope {
            self.exit_scope(saved, false);
        }
    }

    /// The defaults of a parameter list (a generic function's: its annotations are elsewhere).
    fn visit_defaults(&mut self, parameters: &[Node<'t>]) {
        for &parameter in parameters {
            if let Some(value) = parameter.field(Field::Value) {
                self.visit_expr(value);
            }
        }
    }

    /// The annotations of a parameter list.
    fn visit_annotations(&mut self, parameters: &[Node<'t>]) {
        for &parameter in parameters {
            if let Some(annotation) = parameter.field(Field::Type) {
                self.visit_annotation(annotation);
            }
        }
    }

    /// Defaults and annotations of a parameter list, evaluated in the enclosing scope.
    fn visit_defaults_and_annotations(&mut self, parameters: &[Node<'t>]) {
        for &parameter in parameters {
            if let Some(value) = parameter.field(Field::Value) {
                self.visit_expr(value);
            }
            if let Some(annotation) = parameter.field(Field::Type) {
                self.visit_annotation(annotation);
            }
        }
    }

    /// Binds the parameters in the new scope and records them in `co_varnames` order.
    fn visit_parameters(&mut self, parameters: &[Node<'t>]) {
        let mut positional = Vec::new();
        let mut keyword_only = Vec::new();
        let mut star = None;
        let mut double_star = None;
        let mut after_star = false;
        for &parameter in parameters {
            // `x: int` wraps the name (or `*args`, `**kw`) with a type.
            let inner = if parameter.kind_name() == "typed_parameter" {
                named_children(parameter)
                    .into_iter()
                    .find(|n| n.kind_name() != "type")
            } else {
                Some(parameter)
            };
            let Some(inner) = inner else { continue };
            match inner.kind_name() {
                "identifier" if after_star => keyword_only.push(inner),
                "identifier" => positional.push(inner),
                "default_parameter" | "typed_default_parameter" => {
                    if let Some(name) = inner
                        .field(Field::Name)
                        .filter(|n| n.kind_name() == "identifier")
                    {
                        if after_star {
                            keyword_only.push(name)
                        } else {
                            positional.push(name)
                        }
                    }
                }
                "list_splat_pattern" => {
                    star = inner
                        .named_child(0)
                        .filter(|n| n.kind_name() == "identifier");
                    after_star = true;
                }
                "dictionary_splat_pattern" => {
                    double_star = inner
                        .named_child(0)
                        .filter(|n| n.kind_name() == "identifier");
                }
                "keyword_separator" => after_star = true,
                _ => {}
            }
        }
        let ordered = positional
            .into_iter()
            .chain(keyword_only)
            .chain(star)
            .chain(double_star);
        for name in ordered {
            self.add_def(name, SymbolFlags::PARAM, Role::Param);
            let mangled = mangle(self.private.as_deref(), &self.identifier(name)).into_owned();
            self.scopes[self.current.0].params.push(mangled);
        }
    }

    fn visit_lambda(&mut self, node: Node<'t>) {
        let parameters = node.field(Field::Parameters).map(named_children);
        if let Some(parameters) = &parameters {
            self.visit_defaults_and_annotations(parameters);
        }
        let mut scope = self.new_scope(ScopeKind::Lambda, "<lambda>", node, self.line_of(node));
        scope.name_range = node.child(0).map(|keyword| keyword.byte_range());
        let saved = self.enter_scope(scope);
        self.constant(NONE);
        if let Some(parameters) = &parameters {
            self.visit_parameters(parameters);
        }
        if let Some(body) = node.field(Field::Body) {
            self.visit_expr(body);
        }
        self.exit_scope(saved, true);
    }

    /// A comprehension: the first iterable in the enclosing scope, the rest in a scope of its own.
    fn visit_comprehension(&mut self, node: Node<'t>, kind: ComprehensionKind) {
        let clauses: Vec<Node> = named_children(node)
            .into_iter()
            .filter(|n| matches!(n.kind_name(), "for_in_clause" | "if_clause"))
            .collect();
        let Some(first) = clauses
            .first()
            .copied()
            .filter(|c| c.kind_name() == "for_in_clause")
        else {
            return self.visit_children(node);
        };
        for iterable in field_children(first, Field::Right) {
            self.visit_expr(iterable);
        }
        let name = match kind {
            ComprehensionKind::List => "<listcomp>",
            ComprehensionKind::Set => "<setcomp>",
            ComprehensionKind::Dict => "<dictcomp>",
            ComprehensionKind::Generator => "<genexpr>",
        };
        let mut scope = self.new_scope(
            ScopeKind::Comprehension(kind),
            name,
            node,
            self.line_of(node),
        );
        // PEP 709: from 3.12 every comprehension but a generator expression is inlined.
        scope.inlined =
            kind != ComprehensionKind::Generator && self.version >= PythonVersion::new(3, 12);
        let saved = self.enter_scope(scope);
        self.add_def_in(
            self.current,
            ".0",
            SymbolFlags::PARAM,
            first.byte_range(),
            Role::Param,
        );
        self.scopes[self.current.0].params.push(".0".into());
        if let Some(target) = first.field(Field::Left) {
            self.visit_target(target, Role::Bind);
        }
        for clause in &clauses[1..] {
            if clause.kind_name() == "for_in_clause" {
                if let Some(target) = clause.field(Field::Left) {
                    self.visit_target(target, Role::Bind);
                }
                for iterable in field_children(*clause, Field::Right) {
                    self.visit_expr(iterable);
                }
            } else {
                self.visit_children(*clause);
            }
        }
        if let Some(body) = node.field(Field::Body) {
            if body.kind_name() == "pair" {
                self.visit_children(body);
            } else {
                self.visit_expr(body);
            }
        }
        self.exit_scope(saved, true);
    }

    /// `name := value`. Inside a comprehension the name binds in the nearest enclosing function
    /// (CPython's `symtable_extend_namedexpr_scope`), or as a global at module level.
    fn visit_named_expression(&mut self, node: Node<'t>) {
        let name = node.field(Field::Name);
        if let Some(name) = name.filter(|_| {
            matches!(
                self.scopes[self.current.0].kind,
                ScopeKind::Comprehension(_)
            )
        }) {
            let text = self.identifier(name);
            let text = text.as_ref();
            let mangled = mangle(self.private.as_deref(), text).into_owned();
            let mut id = self.current;
            loop {
                let (kind, parent) = (self.scopes[id.0].kind, self.scopes[id.0].parent);
                match kind {
                    ScopeKind::Comprehension(_) => {}
                    ScopeKind::Function | ScopeKind::Lambda => {
                        let declared = if self.scopes[id.0]
                            .flags(&mangled)
                            .contains_any(SymbolFlags::GLOBAL)
                        {
                            SymbolFlags::GLOBAL
                        } else {
                            SymbolFlags::NONLOCAL
                        };
                        self.add_def_in(
                            self.current,
                            text,
                            declared,
                            name.byte_range(),
                            Role::Declare,
                        );
                        self.add_def_in(
                            id,
                            text,
                            SymbolFlags::LOCAL,
                            name.byte_range(),
                            Role::Bind,
                        );
                        break;
                    }
                    ScopeKind::Module => {
                        self.add_def_in(
                            self.current,
                            text,
                            SymbolFlags::GLOBAL,
                            name.byte_range(),
                            Role::Declare,
                        );
                        self.add_def_in(
                            id,
                            text,
                            SymbolFlags::GLOBAL,
                            name.byte_range(),
                            Role::Declare,
                        );
                        break;
                    }
                    // A syntax error in CPython (walrus in a class-body comprehension).
                    ScopeKind::Class
                    | ScopeKind::Annotation
                    | ScopeKind::TypeParams
                    | ScopeKind::TypeAlias
                    | ScopeKind::TypeVarBound => break,
                }
                match parent {
                    Some(parent) => id = parent,
                    None => break,
                }
            }
        }
        if let Some(value) = node.field(Field::Value) {
            self.visit_expr(value);
        }
        if let Some(name) = name {
            self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
        }
    }

    // ----- expressions -----

    fn visit_expr(&mut self, node: Node<'t>) {
        self.visit_expr_of(node, node.kind_id());
    }

    /// [`Self::visit_expr`] of a node of kind `kind`.
    fn visit_expr_of(&mut self, node: Node<'t>, kind: u16) {
        self.observe_kind(node, kind);
        self.nested(|this| this.expr_inner(node, kind));
    }

    fn expr_inner(&mut self, node: Node<'t>, kind: u16) {
        let kind_name = kind_name_of(kind);
        match kind_name {
            "identifier" => self.use_name(node),
            "attribute" => {
                if let Some(object) = node.field(Field::Object) {
                    self.visit_expr(object);
                }
            }
            "keyword_argument" => {
                if let Some(value) = node.field(Field::Value) {
                    self.visit_expr(value);
                }
            }
            "call" => {
                let (function, arguments) =
                    (node.field(Field::Function), node.field(Field::Arguments));
                self.observe_read(
                    node,
                    [(Field::Function, function), (Field::Arguments, arguments)],
                );
                if let Some(function) = function {
                    self.visit_expr(function);
                }
                if let Some(arguments) = arguments {
                    // `f(x for x in xs)`: the generator expression is the arguments.
                    if arguments.kind_name() != "argument_list" {
                        return self.visit_expr(arguments);
                    }
                    let listed = named_children(arguments);
                    let keywords: Vec<&str> = listed
                        .iter()
                        .filter(|a| a.kind_name() == "keyword_argument")
                        .filter_map(|a| a.field(Field::Name))
                        .map(|n| self.text(n))
                        .collect();
                    if !keywords.is_empty() {
                        self.constant(("kwnames", keywords.join(",").into()));
                    }
                    // What `visit_expr(arguments)` does, without listing them again.
                    self.observe(arguments);
                    self.nested(|this| {
                        for argument in listed {
                            this.visit_node(argument);
                        }
                    });
                }
            }
            "lambda" => self.visit_lambda(node),
            "list_comprehension" => self.visit_comprehension(node, ComprehensionKind::List),
            "set_comprehension" => self.visit_comprehension(node, ComprehensionKind::Set),
            "dictionary_comprehension" => self.visit_comprehension(node, ComprehensionKind::Dict),
            "generator_expression" => self.visit_comprehension(node, ComprehensionKind::Generator),
            "named_expression" => self.visit_named_expression(node),
            "integer" | "float" | "true" | "false" | "none" | "ellipsis" => {
                self.constant((kind_name, self.text(node).into()));
            }
            "string" | "concatenated_string" => {
                self.constant(("str", self.text(node).into()));
                if kind_name == "concatenated_string" && self.version == PythonVersion::new(3, 8) {
                    // 3.8 numbers the lines of an f-string's expressions from the first string
                    // of an implicit concatenation.
                    let start = self.line_of(node);
                    for part in named_children(node) {
                        let saved = self.line_shift;
                        self.line_shift += self.line_of(part) - start;
                        self.visit_node(part);
                        self.line_shift = saved;
                    }
                } else if kind_name == "concatenated_string" || is_format_string(self.text(node)) {
                    self.visit_children(node);
                }
            }
            "interpolation" | "format_expression" => {
                for child in named_children(node) {
                    if child.kind_name() != "type_conversion" {
                        self.visit_node(child);
                    }
                }
            }
            "string_start" | "string_content" | "string_end" | "escape_sequence"
            | "type_conversion" => {}
            // Statements inside a node that failed to parse.
            kind if is_statement(kind) => self.visit_stmt(node),
            _ => self.visit_children(node),
        }
    }

    /// A store (or `del`) target: names are bound, attributes and subscripts read their parts.
    fn visit_target(&mut self, node: Node<'t>, role: Role) {
        let kind = node.kind_id();
        self.observe_kind(node, kind);
        self.nested(|this| this.target_inner(node, kind, role));
    }

    fn target_inner(&mut self, node: Node<'t>, kind: u16, role: Role) {
        match kind_name_of(kind) {
            "identifier" => self.add_def(node, SymbolFlags::LOCAL, role),
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "expression_list"
            | "parenthesized_expression"
            | "list_splat_pattern"
            | "list_splat"
            | "parenthesized_list_splat"
            | "as_pattern_target" => {
                for child in named_children(node) {
                    self.visit_target(child, role);
                }
            }
            _ => self.visit_expr(node),
        }
    }

    // ----- match -----

    fn visit_match(&mut self, node: Node<'t>) {
        for subject in field_children(node, Field::Subject) {
            self.visit_expr(subject);
        }
        let Some(body) = node.field(Field::Body) else {
            return;
        };
        for clause in named_children(body) {
            if clause.kind_name() != "case_clause" {
                self.visit_node(clause);
                continue;
            }
            for child in named_children(clause) {
                match child.kind_name() {
                    "case_pattern" => self.visit_pattern(child),
                    "if_clause" => self.visit_children(child),
                    "block" => {
                        self.visit_block(child);
                    }
                    _ => self.visit_node(child),
                }
            }
        }
    }

    fn bind_capture(&mut self, name: Node<'t>) {
        if self.text(name) != "_" {
            self.add_def(name, SymbolFlags::LOCAL, Role::Bind);
        }
    }

    fn visit_pattern(&mut self, node: Node<'t>) {
        self.observe(node);
        self.nested(|this| this.pattern_inner(node));
    }

    fn pattern_inner(&mut self, node: Node<'t>) {
        match node.kind_name() {
            "identifier" => self.bind_capture(node),
            // `case x:` captures; `case Color.RED:` reads `Color`.
            "dotted_name" => {
                let parts = named_children(node);
                match parts.as_slice() {
                    [single] => self.bind_capture(*single),
                    [first, ..] => self.use_name(*first),
                    [] => {}
                }
            }
            "splat_pattern" => {
                if let Some(name) = node.named_child(0) {
                    self.bind_capture(name);
                }
            }
            "class_pattern" => {
                for child in named_children(node) {
                    if child.kind_name() == "dotted_name" {
                        if let Some(first) = child.named_child(0) {
                            self.use_name(first);
                        }
                    } else {
                        self.visit_pattern(child);
                    }
                }
            }
            // `name=pattern`: the keyword is not a binding.
            "keyword_pattern" => {
                for child in named_children(node).into_iter().skip(1) {
                    self.visit_pattern(child);
                }
            }
            "dict_pattern" => {
                for child in named_children(node) {
                    let is_key = node
                        .field(Field::Key)
                        .is_some_and(|_| field_children(node, Field::Key).contains(&child));
                    if is_key {
                        if child.kind_name() == "dotted_name" {
                            if let Some(first) = child.named_child(0) {
                                self.use_name(first);
                            }
                        } else {
                            self.visit_expr(child);
                        }
                    } else {
                        self.visit_pattern(child);
                    }
                }
            }
            "case_pattern" | "as_pattern" | "union_pattern" | "list_pattern" | "tuple_pattern" => {
                for child in named_children(node) {
                    self.visit_pattern(child);
                }
            }
            _ => self.visit_expr(node),
        }
    }
}

/// The string that is a body's docstring, if its first statement is one.
/// Whether a string literal's prefix makes it an f-string (or a template string, which
/// tree-sitter parses alike): only those have expressions inside.
fn is_format_string(literal: &str) -> bool {
    literal
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic())
        .any(|b| matches!(b, b'f' | b'F' | b't' | b'T'))
}

fn docstring(first_statement: Node) -> Option<Node> {
    if first_statement.kind_name() != "expression_statement"
        || first_statement.named_child_count() != 1
    {
        return None;
    }
    first_statement
        .named_child(0)
        .filter(|n| matches!(n.kind_name(), "string" | "concatenated_string"))
}

/// What entering a scope saves: the scope to return to, and whether it was in dead code and in a
/// branch a constant rules out.
type Saved = (ScopeId, bool, bool);

/// What a `<generic parameters of ...>` scope is made for.
#[derive(Clone, Copy)]
enum TypeParamsOf {
    /// A generic `def`: whether it has positional and keyword-only defaults, which the scope
    /// receives as its parameters `.defaults` and `.kwdefaults`.
    Function {
        defaults: bool,
        keyword_defaults: bool,
    },
    Class,
    Alias,
}

/// Whether a parameter list has positional defaults and keyword-only defaults.
fn has_defaults(parameters: &[Node]) -> (bool, bool) {
    let mut after_star = false;
    let (mut defaults, mut keyword_defaults) = (false, false);
    for parameter in parameters {
        match parameter.kind_name() {
            "list_splat_pattern" | "keyword_separator" => after_star = true,
            "typed_parameter"
                if parameter
                    .named_child(0)
                    .is_some_and(|n| n.kind_name() == "list_splat_pattern") =>
            {
                after_star = true
            }
            "default_parameter" | "typed_default_parameter" if after_star => {
                keyword_defaults = true
            }
            "default_parameter" | "typed_default_parameter" => defaults = true,
            _ => {}
        }
    }
    (defaults, keyword_defaults)
}

/// The module's `co_firstlineno`: 1, except that 3.8 and 3.9 number a module from its first
/// instruction.
pub(super) fn module_first_line(
    module: Module,
    lines: &LineIndex,
    version: PythonVersion,
) -> usize {
    if version > PythonVersion::new(3, 9) {
        return 1;
    }
    module.statements().next().map_or(1, |first| {
        lines.line_of(first_instruction(first, version).start_byte())
    })
}

/// The node whose code CPython 3.8 and 3.9 emit first for a statement or expression (they
/// number instructions by the expression they come from): what is evaluated first, down to a
/// name or constant.
fn first_instruction(node: Node, version: PythonVersion) -> Node {
    fn first_named(n: Node) -> Option<Node> {
        named_children(n)
            .into_iter()
            .find(|c| c.kind_name() != "comment")
    }
    let next = match node.kind_name() {
        "expression_statement"
        | "parenthesized_expression"
        | "await"
        | "not_operator"
        | "keyword_argument"
        | "list_splat"
        | "dictionary_splat" => first_named(node),
        "assignment" | "augmented_assignment" => match node.kind_name() {
            "assignment" => node.field(Field::Right),
            _ => node.field(Field::Left),
        },
        "decorated_definition" => first_named(node).and_then(first_named),
        "call" => node.field(Field::Function),
        "attribute" => node.field(Field::Object),
        "subscript" => node.field(Field::Value),
        "binary_operator" | "boolean_operator" | "comparison_operator" => first_named(node),
        "conditional_expression" => named_children(node).get(1).copied(),
        "if_statement" | "while_statement" => node.field(Field::Condition),
        "for_statement" => node.field(Field::Right),
        "with_statement" => first_named(node)
            .and_then(first_named)
            .and_then(first_named),
        "return_statement" | "delete_statement" | "assert_statement" => first_named(node),
        "list" | "set" => {
            // Each element is loaded, except that 3.9 loads more than two constants at once.
            let elements: Vec<Node> = named_children(node)
                .into_iter()
                .filter(|n| n.kind_name() != "comment")
                .collect();
            let constant = |n: &Node| {
                matches!(
                    n.kind_name(),
                    "string" | "integer" | "float" | "true" | "false" | "none"
                )
            };
            let folded = version == PythonVersion::new(3, 9)
                && elements.len() > 2
                && elements.iter().all(constant);
            elements.first().copied().filter(|_| !folded)
        }
        "dictionary" => {
            // Constant keys: the values are loaded first (`BUILD_CONST_KEY_MAP`).
            let pairs = named_children(node);
            let constant_keys = pairs.iter().all(|p| {
                p.kind_name() == "pair"
                    && p.field(Field::Key).is_some_and(|k| {
                        matches!(
                            k.kind_name(),
                            "string" | "integer" | "float" | "true" | "false" | "none"
                        )
                    })
            });
            match pairs.first() {
                Some(pair) if pair.kind_name() == "pair" && constant_keys => {
                    pair.field(Field::Value)
                }
                Some(pair) if pair.kind_name() == "pair" => pair.field(Field::Key),
                other => other.copied(),
            }
        }
        _ => None,
    };
    match next {
        Some(next) => first_instruction(next, version),
        None => node,
    }
}
