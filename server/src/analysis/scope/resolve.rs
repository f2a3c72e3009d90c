//! Pass 2: CPython's `analyze_block`, then the names and orders of each code object.
//!
//! Each block is analysed with the names bound in enclosing functions (`bound`), the names
//! declared global above it (`global`), and collects the names its children need from outside
//! (`free`). Class bodies are special twice over: their names are invisible to nested scopes, and
//! a method's free `__class__` becomes the class's implicit cell.

use foldhash::{HashMap, HashSet, HashSetExt};

use super::{NameScope, ScopeId, ScopeKind, ScopeTree, SymbolFlags};
use crate::analysis::settings::PythonVersion;

/// A name, by its number in the [`Interner`] of one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct NameId(u32);

/// A set of names: CPython's algorithm copies the names bound around a block for each block
/// inside it. With sets of strings, resolving test_typing.py's names took three times the
/// instructions (31.3M against 10.5M).
type Names = HashSet<NameId>;

/// The names of one resolution, each spelled once.
#[derive(Default)]
struct Interner {
    ids: HashMap<Box<str>, NameId>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn id(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = NameId(self.names.len() as u32);
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn name(&self, id: NameId) -> &str {
        &self.names[id.0 as usize]
    }
}

pub(super) fn resolve(tree: &mut ScopeTree) {
    let mut free = Names::new();
    let mut interner = Interner::default();
    analyze_block(
        tree,
        &mut interner,
        ScopeId(0),
        None,
        &mut free,
        Names::new(),
        None,
    );
    for id in tree.preorder() {
        propagate_dropped(tree, id);
        set_qualname(tree, id);
        set_variable_orders(tree, id);
    }
}

/// How the module block classifies a name with `flags` (no enclosing function binds anything).
pub(super) fn classify_module_symbol(flags: SymbolFlags) -> NameScope {
    // With no enclosing function and no names declared so far, only the flags decide: any
    // number stands for the name.
    analyze_name(
        flags,
        NameId(0),
        &mut None,
        &mut Names::new(),
        &mut Names::new(),
        &mut Names::new(),
        None,
    )
}

/// CPython's `analyze_name`: the scope of one name in one block.
fn analyze_name(
    flags: SymbolFlags,
    name: NameId,
    bound: &mut Option<Names>,
    local: &mut Names,
    free: &mut Names,
    global: &mut Names,
    class_symbols: Option<SymbolFlags>,
) -> NameScope {
    if flags.contains_any(SymbolFlags::GLOBAL) {
        global.insert(name);
        if let Some(bound) = bound {
            bound.remove(&name);
        }
        return NameScope::GlobalExplicit;
    }
    if flags.contains_any(SymbolFlags::NONLOCAL) {
        free.insert(name);
        return NameScope::Free;
    }
    if flags.contains_any(SymbolFlags::BOUND) {
        local.insert(name);
        global.remove(&name);
        return NameScope::Local;
    }
    // An annotation scope that sees a class body (3.12+): a name the class binds is read from
    // the class namespace, then globals, never from an enclosing function.
    if let Some(class_flags) = class_symbols {
        if class_flags.contains_any(SymbolFlags::GLOBAL) {
            return NameScope::GlobalExplicit;
        }
        if class_flags.contains_any(SymbolFlags::BOUND)
            && !class_flags.contains_any(SymbolFlags::NONLOCAL)
        {
            return NameScope::GlobalImplicit;
        }
    }
    if bound.as_ref().is_some_and(|b| b.contains(&name)) {
        free.insert(name);
        return NameScope::Free;
    }
    NameScope::GlobalImplicit
}

/// `class_entry`: the class body an annotation scope sees (3.12+), if any.
fn analyze_block(
    tree: &mut ScopeTree,
    interner: &mut Interner,
    id: ScopeId,
    mut bound: Option<Names>,
    free: &mut Names,
    mut global: Names,
    class_entry: Option<ScopeId>,
) {
    let kind = tree.scopes[id.0].kind;
    let is_class = kind == ScopeKind::Class;
    let mut local = Names::new();
    let mut new_global = Names::new();
    let mut new_bound = Names::new();
    // A class body's own names are not visible to nested scopes: what they see is fixed before
    // the class's names are analysed.
    if is_class {
        new_global.clone_from(&global);
        if let Some(bound) = &bound {
            new_bound.clone_from(bound);
        }
    }
    // Each symbol's name and scope, by its index in the block's symbols.
    let names: Vec<NameId> = tree.scopes[id.0]
        .symbols
        .iter()
        .map(|symbol| interner.id(&symbol.name))
        .collect();
    let mut scopes: Vec<NameScope> = Vec::with_capacity(names.len());
    for (symbol, &name) in tree.scopes[id.0].symbols.iter().zip(&names) {
        let class_flags = class_entry.map(|class| tree.scopes[class.0].flags(&symbol.name));
        let scope = analyze_name(
            symbol.flags,
            name,
            &mut bound,
            &mut local,
            free,
            &mut global,
            class_flags,
        );
        scopes.push(scope);
    }
    if is_class {
        new_bound.insert(interner.id("__class__"));
        if tree.version >= PythonVersion::new(3, 12) {
            new_bound.insert(interner.id("__classdict__"));
        }
    } else {
        if kind.is_function_like() {
            new_bound.extend(local.iter().copied());
        }
        if let Some(bound) = &bound {
            new_bound.extend(bound.iter().copied());
        }
        new_global.extend(global.iter().copied());
    }

    let mut new_free = Names::new();
    // Cells of comprehensions inlined here (3.12+): cells of this code object too.
    let mut inlined_cells = Names::new();
    for child in tree.scopes[id.0].children.clone() {
        let mut child_free = Names::new();
        let child_class_entry = if tree.scopes[child.0].can_see_class_scope {
            if is_class { Some(id) } else { class_entry }
        } else {
            None
        };
        analyze_block(
            tree,
            interner,
            child,
            Some(new_bound.clone()),
            &mut child_free,
            new_global.clone(),
            child_class_entry,
        );
        if tree.scopes[child.0].inlined {
            inline_comprehension(
                tree,
                interner,
                id,
                child,
                &mut scopes,
                &mut child_free,
                &mut inlined_cells,
            );
        }
        // Postponed annotations (`from __future__ import annotations`) are never evaluated, and
        // CPython makes no cells for the names they use.
        if tree.scopes[child.0].kind != ScopeKind::Annotation {
            new_free.extend(child_free);
        }
    }

    if kind.is_function_like() {
        // Locals that inner scopes need become cells.
        for (name, scope) in names.iter().zip(scopes.iter_mut()) {
            if *scope == NameScope::Local && (new_free.remove(name) || inlined_cells.contains(name))
            {
                *scope = NameScope::Cell;
            }
        }
    } else if is_class {
        if new_free.remove(&interner.id("__class__")) {
            tree.scopes[id.0].needs_class_closure = true;
        }
        if tree.version >= PythonVersion::new(3, 12)
            && new_free.remove(&interner.id("__classdict__"))
        {
            tree.scopes[id.0].needs_classdict = true;
        }
    }

    // CPython's `update_symbols`.
    let sees_class = is_class || tree.scopes[id.0].can_see_class_scope;
    let scope = &mut tree.scopes[id.0];
    debug_assert_eq!(
        scope.symbols.len(),
        scopes.len(),
        "a scope for every symbol"
    );
    for (symbol, &symbol_scope) in scope.symbols.iter_mut().zip(&scopes) {
        symbol.scope = symbol_scope;
    }
    // In name order: pass-through symbols are added in this loop, and a set has no order.
    let mut new_free_sorted: Vec<NameId> = new_free.iter().copied().collect();
    new_free_sorted.sort_by(|&a, &b| interner.name(a).cmp(interner.name(b)));
    for id in new_free_sorted {
        let name = interner.name(id);
        if let Some(&index) = scope.symbol_index.get(name) {
            let symbol = &mut scope.symbols[index];
            // A name free in a method and also bound (or global) in the class body.
            if sees_class
                && symbol
                    .flags
                    .contains_any(SymbolFlags::BOUND.union(SymbolFlags::GLOBAL))
            {
                symbol.flags.insert(SymbolFlags::FREE_CLASS);
            }
            continue;
        }
        if bound.as_ref().is_some_and(|b| !b.contains(&id)) {
            continue; // a global
        }
        // Free only to pass it through to an inner scope.
        scope.symbol_mut(name).scope = NameScope::Free;
    }
    free.extend(new_free);
}

/// CPython's `inline_comprehension` (3.12+, PEP 709): the names of comprehension `comp`, just
/// analysed, join the block `id` it is inlined into. A name the comprehension reads from a local
/// of the block is then no longer free, and the comprehension's cells become the block's.
fn inline_comprehension(
    tree: &mut ScopeTree,
    interner: &mut Interner,
    id: ScopeId,
    comp: ScopeId,
    scopes: &mut Vec<NameScope>,
    comp_free: &mut Names,
    inlined_cells: &mut Names,
) {
    let parent_kind = tree.scopes[id.0].kind;
    let is_class = parent_kind == ScopeKind::Class;
    let symbols: Vec<(NameId, SymbolFlags, NameScope)> = tree.scopes[comp.0]
        .symbols
        .iter()
        .filter(|s| !s.flags.contains_any(SymbolFlags::PARAM))
        .map(|s| (interner.id(&s.name), s.flags, s.scope))
        .collect();
    for (name_id, flags, mut scope) in symbols {
        let name = interner.name(name_id);
        if scope == NameScope::Cell {
            inlined_cells.insert(name_id);
        }
        // `__class__` is never free through a class body: the class's own cell is used.
        if scope == NameScope::Free && is_class && name == "__class__" {
            scope = NameScope::GlobalImplicit;
            comp_free.remove(&name_id);
        }
        let existing = tree.scopes[id.0].symbol(name).map(|s| s.flags);
        match existing {
            // The module's own table is left as it is: no name there is ever free or a cell,
            // and its cells (from inlined comprehensions) are found from the tree.
            None if parent_kind == ScopeKind::Module => {}
            None => {
                // A new symbol, the block's last: its scope goes last too.
                let symbol = tree.scopes[id.0].symbol_mut(name);
                symbol.flags = flags;
                scopes.push(scope);
            }
            Some(existing) => {
                // A local of the block read by the comprehension is just a local, unless a
                // scope inside the comprehension captures it.
                if existing.contains_any(SymbolFlags::BOUND)
                    && !is_class
                    && !free_in_any_child(tree, comp, name)
                {
                    comp_free.remove(&name_id);
                }
            }
        }
    }
}

/// CPython's `is_free_in_any_child`: whether a scope directly inside `id` has `name` free.
/// The children of an inlined comprehension count as the comprehension's own: CPython splices
/// them into its list of children when it inlines it.
fn free_in_any_child(tree: &ScopeTree, id: ScopeId, name: &str) -> bool {
    tree.scopes[id.0].children.iter().any(|&child| {
        let scope = &tree.scopes[child.0];
        if scope.inlined {
            free_in_any_child(tree, child, name)
        } else {
            scope
                .symbol(name)
                .is_some_and(|s| s.scope == NameScope::Free)
        }
    })
}

/// The scope whose code object holds `id`'s code: `id` itself, or for an inlined comprehension
/// the nearest enclosing scope that is not one.
pub(super) fn code_holder(tree: &ScopeTree, mut id: ScopeId) -> ScopeId {
    while tree.scopes[id.0].inlined {
        match tree.scopes[id.0].parent {
            Some(parent) => id = parent,
            None => break,
        }
    }
    id
}

/// A scope inside one that has no code object (dropped, or an annotation) has none either.
fn propagate_dropped(tree: &mut ScopeTree, id: ScopeId) {
    if tree.scopes[id.0].inlined {
        tree.scopes[id.0].has_code_object = false;
    }
    if let Some(parent) = tree.scopes[id.0].parent {
        let holder = &tree.scopes[code_holder(tree, parent).0];
        if !holder.has_code_object {
            tree.scopes[id.0].has_code_object = false;
        }
    }
}

/// CPython's `compiler_set_qualname`.
fn set_qualname(tree: &mut ScopeTree, id: ScopeId) {
    let Some(parent_id) = tree.scopes[id.0].parent else {
        return;
    };
    // Inlined comprehensions (3.12+) are no code object of their own.
    let mut parent_id = code_holder(tree, parent_id);
    // A scope inside a type-parameter scope (3.12+) is named from the one around that.
    if tree.scopes[parent_id.0].kind.is_type_params() {
        match tree.scopes[parent_id.0].parent {
            Some(ScopeId(0)) | None => {
                tree.scopes[id.0].qualname = tree.scopes[id.0].name.clone();
                return;
            }
            Some(grandparent) => parent_id = code_holder(tree, grandparent),
        }
    }
    let scope = &tree.scopes[id.0];
    let parent = &tree.scopes[parent_id.0];
    // A function or class declared `global` in its parent is named from the top.
    let force_global = scope
        .binding_name
        .as_deref()
        .and_then(|name| parent.symbol(name))
        .is_some_and(|symbol| symbol.scope == NameScope::GlobalExplicit);
    let qualname = match parent.kind {
        _ if force_global => scope.name.clone(),
        ScopeKind::Module => scope.name.clone(),
        // Joined by hand: `format!` costs several times as much, once per scope of the file.
        ScopeKind::Function | ScopeKind::Lambda | ScopeKind::TypeAlias => {
            [parent.qualname.as_str(), ".<locals>.", &scope.name].concat()
        }
        _ => [parent.qualname.as_str(), ".", &scope.name].concat(),
    };
    tree.scopes[id.0].qualname = qualname;
}

/// `co_freevars` sorted; `co_cellvars` with captured parameters first, in parameter order, then
/// (3.12+) the cells among the locals the compiler saves around inlined comprehensions, in that
/// order, then the other cells sorted.
pub(super) fn set_variable_orders(tree: &mut ScopeTree, id: ScopeId) {
    if tree.scopes[id.0].inlined {
        tree.scopes[id.0].freevars.clear();
        tree.scopes[id.0].cellvars.clear();
        return;
    }
    let (inlined_cells, inlined_locals) = inlined_names(tree, id);
    let tree_version = tree.version;
    let scope = &mut tree.scopes[id.0];
    let mut freevars: Vec<String> = scope
        .symbols
        .iter()
        .filter(|s| s.scope == NameScope::Free || s.flags.contains_any(SymbolFlags::FREE_CLASS))
        .map(|s| s.name.clone())
        .collect();
    freevars.sort();
    let mut cells: Vec<String> = scope
        .symbols
        .iter()
        .filter(|s| s.scope == NameScope::Cell)
        .map(|s| s.name.clone())
        .collect();
    if scope.needs_class_closure {
        cells.push("__class__".to_string());
    }
    if scope.needs_classdict {
        cells.push("__classdict__".to_string());
    }
    for name in inlined_cells {
        if !cells.contains(&name) {
            cells.push(name);
        }
    }
    cells.sort();
    // Before 3.11 `co_cellvars` is sorted; from 3.11 the compiler's fast locals come first
    // (`co_varnames` order), then the other cells.
    let fast_locals_first = tree_version >= PythonVersion::new(3, 11);
    let mut cellvars: Vec<String> = Vec::new();
    for name in scope
        .params
        .iter()
        .chain(&inlined_locals)
        .filter(|_| fast_locals_first)
    {
        if cells.contains(name) && !cellvars.contains(name) {
            cellvars.push(name.clone());
        }
    }
    cells.retain(|c| !cellvars.contains(c));
    cellvars.extend(cells);
    scope.freevars = freevars;
    scope.cellvars = cellvars;
}

/// For the code object of `id` (3.12+): the cells of the comprehensions inlined into it, and the
/// names its compiler saves and clears around them (`LOAD_FAST_AND_CLEAR`), in compile order:
/// every name a comprehension binds, and in a class body every name of the outermost one.
fn inlined_names(tree: &ScopeTree, id: ScopeId) -> (Vec<String>, Vec<String>) {
    let mut cells = Vec::new();
    let mut locals: Vec<String> = Vec::new();
    let in_class = tree.scopes[id.0].kind == ScopeKind::Class;
    let mut stack: Vec<(ScopeId, bool)> = tree.scopes[id.0]
        .children
        .iter()
        .rev()
        .map(|&c| (c, true))
        .collect();
    while let Some((comp, outermost)) = stack.pop() {
        let scope = &tree.scopes[comp.0];
        if !scope.inlined {
            continue;
        }
        for symbol in &scope.symbols {
            if symbol.scope == NameScope::Cell {
                cells.push(symbol.name.clone());
            }
            let saved = (in_class && outermost)
                || (symbol.flags.contains_any(SymbolFlags::LOCAL)
                    && !symbol.flags.contains_any(SymbolFlags::NONLOCAL));
            if saved && !locals.contains(&symbol.name) {
                locals.push(symbol.name.clone());
            }
        }
        stack.extend(scope.children.iter().rev().map(|&c| (c, false)));
    }
    (cells, locals)
}
