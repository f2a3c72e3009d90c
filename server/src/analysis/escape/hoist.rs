//! Moving a read out of a closure: the value is computed once, on a line of its own before the
//! statement that makes the closure, into a fresh local the closure then reads. The fixes of
//! RH101 and RH102 share it.

use tree_sitter::Node;

use super::{Closure, binding_scope};
use crate::analysis::context::Context;
use crate::analysis::findings::Edit;
use crate::analysis::fixes::StatementLines;
use crate::analysis::scope::{NameScope, ScopeId, ScopeKind};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

/// "defining `handler`", "making the lambda": what the hoisted line comes before.
pub fn making(context: &Context, closure: &Closure) -> String {
    match closure.node.kind_name() {
        "lambda" => "making the lambda".to_string(),
        _ => format!("defining `{}`", context.scopes.scope(closure.scope).name),
    }
}

/// `text` on one line, runs of whitespace shown as one space, for titles.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads `value` (an expression over the captured `name`, written in the closure) into a fresh
/// local on a line of its own right before the statement that makes `closure`, and replaces
/// each of `uses` (nodes in the closure that compute the same value) with that local.
///
/// `None` unless this is provably the same computation, only earlier: the closure is made by a
/// statement of its own lines directly in the function that holds `name` (not in a
/// comprehension, a one-line body or after a `;`); that function binds, deletes and reads
/// `name` only before the statement and no other scope inside it mentions `name`; the
/// value's other names mean the same in the function as in the closure; and a local named
/// after `base` (`base_2`, ...) is bound and read nowhere in the function or the scopes inside
/// it.
pub fn hoist(
    context: &Context,
    closure: &Closure,
    name: &str,
    value: Node,
    uses: &[Node],
    base: &str,
) -> Option<Vec<Edit>> {
    let owner = binding_scope(context, closure, name)?;
    if owner != closure.parent || context.scopes.scope(owner).kind != ScopeKind::Function {
        return None;
    }
    let statement = making_statement(closure.node)?;
    if context.scope_containing(statement) != owner {
        return None;
    }
    let lines = StatementLines::of(context.text, statement);
    if !lines.indented() {
        return None;
    }
    // Nothing touches the object from the statement on but the closure: no rebinding, no
    // `del`, no other read (which might change it: `rows.append(...)`), and no other scope that
    // could do so whenever it runs.
    let symbol = context.scopes.scope(owner).symbol(name)?;
    let settled = symbol
        .occurrences
        .iter()
        .all(|o| o.range.end <= statement.start_byte());
    let shared = descendants(context, owner)
        .into_iter()
        .filter(|&id| id != owner && id != closure.scope)
        .any(|id| context.scopes.scope(id).symbol(name).is_some());
    if !settled || shared || !same_names_outside(context, closure, owner, name, value) {
        return None;
    }
    let local = fresh_local(context, owner, base)?;
    let mut edits = vec![Edit {
        range: lines.start..lines.start,
        text: format!(
            "{}{local} = {}{}",
            lines.indent,
            context.text_of(value),
            lines.newline
        ),
    }];
    edits.extend(uses.iter().map(|use_| Edit {
        range: use_.byte_range(),
        text: local.clone(),
    }));
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    Some(edits)
}

/// The statement whose execution makes the closure: the `def` (with its decorators) or the
/// statement of a block around the `lambda`.
fn making_statement(closure: Node) -> Option<Node> {
    if closure.kind_name() == "function_definition" {
        return Some(
            closure
                .parent()
                .filter(|p| p.kind_name() == "decorated_definition")
                .unwrap_or(closure),
        );
    }
    // Only a lambda every run of the statement makes: not one behind `if`/`else`, `and`/`or`,
    // nor in a compound statement's header (an `elif` test, a loop condition).
    let mut node = closure;
    loop {
        let parent = node.parent()?;
        if parent.kind_name() == "block" {
            return matches!(
                node.kind_name(),
                "expression_statement" | "return_statement"
            )
            .then_some(node);
        }
        if matches!(
            parent.kind_name(),
            "conditional_expression" | "boolean_operator"
        ) {
            return None;
        }
        node = parent;
    }
}

/// Whether every name `value` reads, other than `name`, resolves in `owner` as in the closure:
/// a global or builtin that neither the function nor the closure binds. (`name` itself is the
/// captured variable: the closure reads it from `owner`'s cell.)
fn same_names_outside(
    context: &Context,
    closure: &Closure,
    owner: ScopeId,
    name: &str,
    value: Node,
) -> bool {
    let mut stack = vec![value];
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "identifier" => {
                let is_attribute_name = node.parent().is_some_and(|p| {
                    p.kind_name() == "attribute"
                        && p.field(Field::Attribute)
                            .is_some_and(|a| a.id() == node.id())
                });
                let read = context.text_of(node);
                if is_attribute_name || read == name {
                    continue;
                }
                let global_in = |scope: ScopeId| {
                    context
                        .scopes
                        .scope(scope)
                        .symbol(read)
                        .is_none_or(|s| s.scope == NameScope::GlobalImplicit)
                };
                if !(global_in(closure.scope) && global_in(owner)) {
                    return false;
                }
            }
            // Keys are literals; anything that makes a scope of its own is beyond this.
            "lambda"
            | "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression"
            | "named_expression"
            | "await"
            | "yield" => return false,
            _ => stack.extend(named_children(node)),
        }
    }
    true
}

/// `scope` and every scope nested in it.
fn descendants(context: &Context, scope: ScopeId) -> Vec<ScopeId> {
    let mut found = Vec::new();
    let mut pending = vec![scope];
    while let Some(id) = pending.pop() {
        found.push(id);
        pending.extend(context.scopes.scope(id).children.iter().copied());
    }
    found
}

/// `base`, or `base_2`, `base_3`, ...: the first that no scope from `owner` inward mentions,
/// so binding it in `owner` changes what no existing name means.
fn fresh_local(context: &Context, owner: ScopeId, base: &str) -> Option<String> {
    let scopes = descendants(context, owner);
    let taken = |candidate: &str| {
        scopes
            .iter()
            .any(|&id| context.scopes.scope(id).symbol(candidate).is_some())
    };
    (1..10)
        .map(|n| match n {
            1 => base.to_string(),
            _ => format!("{base}_{n}"),
        })
        .find(|candidate| !taken(candidate))
}
