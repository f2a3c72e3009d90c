//! # RH102 closure-captures-whole-object-for-part
//!
//! ## What it flags
//! A nested function or lambda that escapes the function that made it (see RH101 for the
//! routes) and uses a captured variable only through one attribute or item chain, the same one
//! every time: `big.config["x"]`, `request.headers`, `dataset.rows[0]`. Item keys must be
//! literals. The variable must hold an object the function made itself (the result of a call,
//! a comprehension, a dict or list display): an object passed in as a parameter belongs to the
//! caller, who usually keeps it alive anyway (a context, a model field, a graph). Method calls on the captured object itself (`big.method()`), assignments through
//! it, `self` and `cls`, and imported modules are not flagged: they need the whole object.
//!
//! ## Why it leaks
//! A closure captures variables, not expressions: the cell holds the whole object, so
//! everything the object references stays alive for as long as the closure does, although the
//! closure only ever reads one small piece of it.
//!
//! ## Example
//! ```python
//! def make_formatter(path):
//!     dataset = load_dataset(path)
//!     def formatter(value):
//!         return f"{value} / {dataset.rows[0]}"   # keeps all of `dataset`
//!     return formatter
//! ```
//!
//! ## Fix
//! Read the piece before making the closure and capture that: `first = dataset.rows[0]`, then
//! use `first` inside. Or bind it with `functools.partial(formatter, first=dataset.rows[0])`.
//! Either way the value is read when the closure is made, not when it is called: if the
//! object changes in between, the closure sees the old value.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::escape::{self, Closure};
use crate::analysis::findings::{Finding, Related};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind, SymbolFlags};
use crate::analysis::syntax::chain_top;

pub(super) fn check(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for closure in escape::closures(context) {
        let pieces: Vec<(&str, Vec<Node>)> = closure
            .freevars(context)
            .filter(|name| captures_an_object(context, &closure, name))
            .filter_map(|name| Some((name, only_chain(context, &closure, name)?)))
            .collect();
        if pieces.is_empty() {
            continue;
        }
        let Some(escape) = escape::escape(context, &closure) else {
            continue;
        };
        for (name, chains) in pieces {
            // Stored on or registered with the captured object itself: the closure cannot
            // outlive it, so capturing it costs nothing.
            if escape.route.holder() == Some(name) {
                continue;
            }
            // The shortest chain comes first: the piece the closure needs.
            let chain = context.text_of(chains[0]);
            let mut related = vec![escape.related(context, &closure)];
            related.extend(chains.iter().map(|use_| Related {
                range: use_.byte_range(),
                message: format!("the only use of `{name}`: `{chain}`"),
            }));
            findings.push(Finding {
                rule: Rule::ClosureCapturesWholeObject,
                range: closure.name_range(context),
                message: format!(
                    "{} {} and keeps all of `{name}` alive to read only `{chain}`",
                    closure.label(context),
                    escape.route.describe(),
                ),
                related,
                fixes: Vec::new(),
            });
        }
    }
    findings
}

/// Whether a captured name holds an object whose pieces could be taken instead: not a module,
/// function or class, and not a method's `self` or `cls`.
fn captures_an_object(context: &Context, closure: &Closure, name: &str) -> bool {
    let Some(scope) = escape::binding_scope(context, closure, name) else {
        return false;
    };
    let binder = context.scopes.scope(scope);
    let Some(symbol) = binder.symbol(name) else {
        return false;
    };
    if symbol.flags.contains_any(SymbolFlags::IMPORT) || matches!(name, "self" | "cls") {
        return false;
    }
    // Only an object the function made itself: one passed in belongs to the caller and
    // usually outlives the closure anyway (a context, a model field, a graph).
    if binder.params.iter().any(|p| p == name) {
        return false;
    }
    let made_here = closure
        .captured_binding(context, name)
        .and_then(|b| b.value)
        .is_some_and(|value| {
            matches!(
                value.kind(),
                "call"
                    | "list_comprehension"
                    | "set_comprehension"
                    | "dictionary_comprehension"
                    | "dictionary"
                    | "list"
                    | "await"
            )
        });
    if !made_here {
        return false;
    }
    // State shared through the object (`state[0] = ...` somewhere) must be read late.
    if written_through(context, scope, name) {
        return false;
    }
    let defines_function_or_class = symbol
        .occurrences
        .iter()
        .filter(|o| o.role == Role::Bind)
        .filter_map(|o| context.node_at(o.range.clone()))
        .any(|target| {
            target.parent().is_some_and(|p| {
                matches!(p.kind(), "function_definition" | "class_definition")
                    && p.child_by_field_name("name")
                        .is_some_and(|n| n.id() == target.id())
            })
        });
    let is_method_receiver = binder.params.first().is_some_and(|first| first == name)
        && binder
            .parent
            .is_some_and(|p| context.scopes.scope(p).kind == ScopeKind::Class);
    !defines_function_or_class && !is_method_receiver
}

/// Whether `name`, bound in `scope`, is written through anywhere it is visible:
/// `name.x = ...`, `name[k] += ...`, `del name[k]`, in the scope or in a closure over it.
fn written_through(context: &Context, scope: ScopeId, name: &str) -> bool {
    let mut pending = vec![scope];
    while let Some(id) = pending.pop() {
        let current = context.scopes.scope(id);
        let Some(symbol) = current.symbol(name) else {
            continue;
        };
        if id != scope && symbol.scope != NameScope::Free {
            continue;
        }
        pending.extend(current.children.iter().copied());
        let written = symbol
            .occurrences
            .iter()
            .filter(|o| o.role == Role::Use)
            .filter_map(|o| context.node_at(o.range.clone()))
            .any(|node| {
                let target = chain_top(node);
                target.id() != node.id()
                    && target.parent().is_some_and(|p| {
                        p.kind() == "delete_statement"
                            || matches!(p.kind(), "assignment" | "augmented_assignment")
                                && p.child_by_field_name("left")
                                    .is_some_and(|l| l.id() == target.id())
                    })
            });
        if written {
            return true;
        }
    }
    false
}

/// The chain nodes (`dataset.rows[0]`) when every use of `name` in the closure reads the same
/// attribute or item chain; `None` when any use needs the whole object.
fn only_chain<'t>(
    context: &Context<'t>,
    closure: &Closure<'t>,
    name: &str,
) -> Option<Vec<Node<'t>>> {
    let scope = context.scopes.scope(closure.scope);
    // A nested scope that uses the name too is beyond this rule.
    if scope.children.iter().any(|&child| {
        context
            .scopes
            .scope(child)
            .freevars
            .iter()
            .any(|free| free == name)
    }) {
        return None;
    }
    let uses: Vec<Node> = scope
        .symbol(name)?
        .occurrences
        .iter()
        .map(|o| {
            (o.role == Role::Use)
                .then(|| context.node_at(o.range.clone()))
                .flatten()
        })
        .collect::<Option<_>>()?;
    let chains: Vec<Node> = uses.into_iter().map(chain_of).collect::<Option<_>>()?;
    // Reading `a.b` and `a.b.c` needs only `a.b`: the shortest chain, when it prefixes all.
    let shortest = *chains.iter().min_by_key(|c| c.byte_range().len())?;
    let piece = normalized(context.text_of(shortest));
    // `f.__doc__`, `cls.__name__`: metadata of functions and classes, which live anyway.
    if piece[name.len()..].starts_with(".__") {
        return None;
    }
    chains
        .iter()
        .all(|chain| {
            let text = normalized(context.text_of(*chain));
            text.strip_prefix(&piece)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
        .then(|| {
            let mut ordered = chains.clone();
            ordered.sort_by_key(|c| c.byte_range().len());
            ordered
        })
}

/// The attribute/item chain read from a name (`name.a["k"].b`), or `None` when the name is
/// used whole: bare, called, or with a method called on it directly.
fn chain_of(name: Node) -> Option<Node> {
    let mut chain = name;
    while let Some(parent) = chain.parent() {
        let extends = match parent.kind() {
            "attribute" => parent
                .child_by_field_name("object")
                .is_some_and(|o| o.id() == chain.id()),
            "subscript" => {
                parent
                    .child_by_field_name("value")
                    .is_some_and(|v| v.id() == chain.id())
                    && parent
                        .children_by_field_name("subscript", &mut parent.walk())
                        .all(is_literal_key)
            }
            _ => false,
        };
        if !extends {
            break;
        }
        chain = parent;
    }
    // A method called on the chain needs the object the method is bound to.
    let parent = chain.parent()?;
    if parent.kind() == "call"
        && parent
            .child_by_field_name("function")
            .is_some_and(|f| f.id() == chain.id())
        && chain.kind() == "attribute"
    {
        chain = chain.child_by_field_name("object")?;
    }
    // Writing through the chain (`big.x = 1`, `del big[k]`) needs the object too.
    let written = chain.parent().is_some_and(|p| {
        matches!(p.kind(), "assignment" | "augmented_assignment")
            && p.child_by_field_name("left")
                .is_some_and(|l| l.id() == chain.id())
            || p.kind() == "delete_statement"
    });
    (chain.id() != name.id() && !written).then_some(chain)
}

fn is_literal_key(key: Node) -> bool {
    match key.kind() {
        "integer" => true,
        // An f-string with replacement fields reads other variables.
        "string" => !key
            .named_children(&mut key.walk())
            .any(|part| part.kind() == "interpolation"),
        "unary_operator" => key.named_child(0).is_some_and(|n| n.kind() == "integer"),
        _ => false,
    }
}

fn normalized(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}
