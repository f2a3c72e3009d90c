//! Pass 2: CPython's `analyze_block`, then the names and orders of each code object.
//!
//! Each block is analysed with the names bound in enclosing functions (`bound`), the names
//! declared global above it (`global`), and collects the names its children need from outside
//! (`free`). Class bodies are special twice over: their names are invisible to nested scopes, and
//! a method's free `__class__` becomes the class's implicit cell.

use std::collections::{HashMap, HashSet};

use super::{NameScope, ScopeId, ScopeKind, ScopeTree, SymbolFlags};

type Names = HashSet<String>;

pub(super) fn resolve(tree: &mut ScopeTree) {
    let mut free = Names::new();
    analyze_block(tree, ScopeId(0), None, &mut free, Names::new());
    for id in tree.preorder() {
        propagate_dropped(tree, id);
        set_qualname(tree, id);
        set_variable_orders(tree, id);
    }
}

/// How the module block classifies a name with `flags` (no enclosing function binds anything).
pub(super) fn classify_module_symbol(flags: SymbolFlags, name: &str) -> NameScope {
    let mut local = Names::new();
    analyze_name(
        flags,
        name,
        &mut None,
        &mut local,
        &mut Names::new(),
        &mut Names::new(),
    )
}

/// CPython's `analyze_name`: the scope of one name in one block.
fn analyze_name(
    flags: SymbolFlags,
    name: &str,
    bound: &mut Option<Names>,
    local: &mut Names,
    free: &mut Names,
    global: &mut Names,
) -> NameScope {
    if flags.contains_any(SymbolFlags::GLOBAL) {
        global.insert(name.to_string());
        if let Some(bound) = bound {
            bound.remove(name);
        }
        return NameScope::GlobalExplicit;
    }
    if flags.contains_any(SymbolFlags::NONLOCAL) {
        free.insert(name.to_string());
        return NameScope::Free;
    }
    if flags.contains_any(SymbolFlags::BOUND) {
        local.insert(name.to_string());
        global.remove(name);
        return NameScope::Local;
    }
    if bound.as_ref().is_some_and(|b| b.contains(name)) {
        free.insert(name.to_string());
        return NameScope::Free;
    }
    NameScope::GlobalImplicit
}

fn analyze_block(
    tree: &mut ScopeTree,
    id: ScopeId,
    mut bound: Option<Names>,
    free: &mut Names,
    mut global: Names,
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
    let mut scopes: HashMap<String, NameScope> = HashMap::new();
    for symbol in &tree.scopes[id.0].symbols {
        let scope = analyze_name(
            symbol.flags,
            &symbol.name,
            &mut bound,
            &mut local,
            free,
            &mut global,
        );
        scopes.insert(symbol.name.clone(), scope);
    }
    if is_class {
        new_bound.insert("__class__".to_string());
    } else {
        if kind.is_function_like() {
            new_bound.extend(local.iter().cloned());
        }
        if let Some(bound) = &bound {
            new_bound.extend(bound.iter().cloned());
        }
        new_global.extend(global.iter().cloned());
    }

    let mut new_free = Names::new();
    for child in tree.scopes[id.0].children.clone() {
        let mut child_free = Names::new();
        analyze_block(
            tree,
            child,
            Some(new_bound.clone()),
            &mut child_free,
            new_global.clone(),
        );
        // Postponed annotations (`from __future__ import annotations`) are never evaluated, and
        // CPython makes no cells for the names they use.
        if tree.scopes[child.0].kind != ScopeKind::Annotation {
            new_free.extend(child_free);
        }
    }

    if kind.is_function_like() {
        // Locals that inner scopes need become cells.
        for (name, scope) in scopes.iter_mut() {
            if *scope == NameScope::Local && new_free.remove(name) {
                *scope = NameScope::Cell;
            }
        }
    } else if is_class && new_free.remove("__class__") {
        tree.scopes[id.0].needs_class_closure = true;
    }

    // CPython's `update_symbols`.
    let scope = &mut tree.scopes[id.0];
    for symbol in scope.symbols.iter_mut() {
        symbol.scope = scopes[&symbol.name];
    }
    // In name order: pass-through symbols are added in this loop, and a set has no order.
    let mut new_free_sorted: Vec<&String> = new_free.iter().collect();
    new_free_sorted.sort();
    for name in new_free_sorted {
        if let Some(&index) = scope.symbol_index.get(name) {
            let symbol = &mut scope.symbols[index];
            // A name free in a method and also bound (or global) in the class body.
            if is_class
                && symbol
                    .flags
                    .contains_any(SymbolFlags::BOUND.union(SymbolFlags::GLOBAL))
            {
                symbol.flags.insert(SymbolFlags::FREE_CLASS);
            }
            continue;
        }
        if bound.as_ref().is_some_and(|b| !b.contains(name)) {
            continue; // a global
        }
        // Free only to pass it through to an inner scope.
        scope.symbol_mut(name).scope = NameScope::Free;
    }
    free.extend(new_free);
}

/// A scope inside one that has no code object (dropped, or an annotation) has none either.
fn propagate_dropped(tree: &mut ScopeTree, id: ScopeId) {
    if let Some(parent) = tree.scopes[id.0].parent {
        let parent = &tree.scopes[parent.0];
        if !parent.has_code_object {
            tree.scopes[id.0].has_code_object = false;
        }
    }
}

/// CPython's `compiler_set_qualname`.
fn set_qualname(tree: &mut ScopeTree, id: ScopeId) {
    let Some(parent_id) = tree.scopes[id.0].parent else {
        return;
    };
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
        ScopeKind::Function | ScopeKind::Lambda => {
            format!("{}.<locals>.{}", parent.qualname, scope.name)
        }
        _ => format!("{}.{}", parent.qualname, scope.name),
    };
    tree.scopes[id.0].qualname = qualname;
}

/// `co_freevars` sorted; `co_cellvars` with captured parameters first, in parameter order.
pub(super) fn set_variable_orders(tree: &mut ScopeTree, id: ScopeId) {
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
    cells.sort();
    let mut cellvars: Vec<String> = scope
        .params
        .iter()
        .filter(|p| cells.contains(p))
        .cloned()
        .collect();
    cellvars.extend(cells.into_iter().filter(|c| !scope.params.contains(c)));
    scope.freevars = freevars;
    scope.cellvars = cellvars;
}
