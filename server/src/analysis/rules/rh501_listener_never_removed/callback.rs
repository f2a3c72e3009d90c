//! RH501's callbacks: what a registration is given (a closure, a bound method, a
//! `functools.partial`, a handler object) and what each keeps alive.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::escape::Closure;
use crate::analysis::escape::hoist::one_line;
use crate::analysis::scope::{NameScope, ScopeId, ScopeKind};
use crate::analysis::semantic::registration::{self as reg, Registration};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

/// A registered callback and what it keeps alive.
pub(super) struct Callback<'t> {
    /// "the lambda (line 14)", "bound method `self.on_event`".
    pub(super) label: String,
    /// "each one keeps `rows` (line 12) alive".
    pub(super) kept: String,
    /// The lambda, the `def` or the bound method expression.
    pub(super) node: Node<'t>,
    /// The names whose objects it keeps: captured variables, or a bound method's instance.
    pub(super) holds: Vec<&'t str>,
    /// A handler object made in the call (`logging.FileHandler(path)`), not a function.
    pub(super) object: bool,
    /// A bound method (Qt, like Django and blinker, holds those weakly).
    pub(super) bound: bool,
}

/// The callback among a registration's arguments that holds something: a lambda or nested
/// function (with what it captures), a bound method (with its instance), a
/// `functools.partial` of one, or, for `addHandler`, a handler object made in the call.
pub(super) fn callback<'t>(
    context: &Context<'t>,
    registration: &Registration<'t>,
    scope: ScopeId,
) -> Option<Callback<'t>> {
    let values: Vec<Node> = named_children(registration.arguments)
        .into_iter()
        .map(|a| {
            if a.kind_name() == "keyword_argument" {
                a.field(Field::Value).unwrap_or(a)
            } else {
                a
            }
        })
        .collect();
    values
        .into_iter()
        .find_map(|value| callable(context, value, scope))
        .or_else(|| handler_object(context, registration, scope))
}

/// A lambda, a local `def`, a bound method of the enclosing class, or a `functools.partial`
/// of one of those.
fn callable<'t>(context: &Context<'t>, value: Node<'t>, scope: ScopeId) -> Option<Callback<'t>> {
    match value.kind_name() {
        "lambda" => closure_callback(context, value),
        "identifier" => {
            let name = context.text_of(value);
            let symbol = context.scopes.scope(scope).symbol(name)?;
            if !matches!(symbol.scope, NameScope::Local | NameScope::Cell) {
                return None;
            }
            let definition = context.bindings(scope, name).into_iter().find_map(|b| {
                match b.statement.kind_name() {
                    "function_definition" => Some(b.statement),
                    _ => b.value.filter(|v| v.kind_name() == "lambda"),
                }
            })?;
            closure_callback(context, definition)
        }
        "attribute" => {
            let object = value.field(Field::Object)?;
            let attribute = value.field(Field::Attribute)?;
            let receiver = context.text_of(object);
            is_own_method(context, scope, receiver, context.text_of(attribute)).then(|| Callback {
                label: format!("bound method `{}`", context.text_of(value)),
                kept: format!("each one keeps `{receiver}` alive"),
                node: value,
                holds: vec![receiver],
                object: false,
                bound: true,
            })
        }
        "call" => {
            let function = value.field(Field::Function)?;
            if context.qualified_name(function).as_deref() != Some("functools.partial") {
                return None;
            }
            let arguments = named_children(value.field(Field::Arguments)?);
            let inner = callable(context, *arguments.first()?, scope)?;
            let mut holds = inner.holds;
            holds.extend(
                arguments[1..]
                    .iter()
                    .filter(|a| a.kind_name() == "identifier")
                    .map(|a| context.text_of(*a)),
            );
            let names: Vec<String> = holds.iter().map(|h| format!("`{h}`")).collect();
            Some(Callback {
                label: format!("`{}`", one_line(context.text_of(value))),
                kept: format!("each one keeps {} alive", names.join(", ")),
                node: value,
                holds,
                object: false,
                // The partial itself is what the source keeps, strongly.
                bound: false,
            })
        }
        _ => None,
    }
}

/// `logger.addHandler(logging.FileHandler(path))`, or a local bound to a handler made in the
/// call: one more handler (and what it opened) per call.
fn handler_object<'t>(
    context: &Context<'t>,
    registration: &Registration<'t>,
    scope: ScopeId,
) -> Option<Callback<'t>> {
    if registration.method != "addHandler" {
        return None;
    }
    let value = *named_children(registration.arguments).first()?;
    let made = match value.kind_name() {
        "call" => value,
        "identifier" => {
            let name = context.text_of(value);
            let symbol = context.scopes.scope(scope).symbol(name)?;
            if !matches!(symbol.scope, NameScope::Local | NameScope::Cell) {
                return None;
            }
            let values = context
                .bindings(scope, name)
                .iter()
                .map(|b| b.value.filter(|v| v.kind_name() == "call"))
                .collect::<Option<Vec<_>>>()?;
            *values.first()?
        }
        _ => return None,
    };
    let class = made.field(Field::Function)?;
    let class = reg::last_name(context, class)?;
    Some(Callback {
        label: format!("a `{class}`"),
        kept: format!(
            "one more `{class}` is kept per call (`{}`, line {})",
            one_line(context.text_of(made)),
            context.lines.line_of(made.start_byte())
        ),
        node: made,
        holds: Vec::new(),
        object: true,
        bound: false,
    })
}

fn closure_callback<'t>(context: &Context<'t>, node: Node<'t>) -> Option<Callback<'t>> {
    let scope = context.scopes.scope_of_node(node.byte_range())?;
    let parent = context.scopes.scope(scope).parent?;
    let closure = Closure {
        node,
        scope,
        parent,
    };
    if context.scopes.scope(parent).kind == ScopeKind::Class {
        return None;
    }
    let holds: Vec<&str> = closure.freevars(context).collect();
    let captured: Vec<String> = closure
        .freevars(context)
        .map(|name| {
            let line = closure
                .captured_binding(context, name)
                .map(|b| context.lines.line_of(b.target.start_byte()));
            match line {
                Some(line) => format!("`{name}` (line {line})"),
                None => format!("`{name}`"),
            }
        })
        .collect();
    let kept = if captured.is_empty() {
        "each call adds one more callback".to_string()
    } else {
        format!("each one keeps {} alive", captured.join(", "))
    };
    Some(Callback {
        label: closure.label(context),
        kept,
        node,
        holds,
        object: false,
        bound: false,
    })
}

/// `self.on_tick` inside a method whose first parameter is `self`, where the class defines
/// `on_tick`: a bound method of the instance.
fn is_own_method(context: &Context, scope: ScopeId, receiver: &str, method: &str) -> bool {
    let function = context.scopes.scope(scope);
    let Some(class) = function.parent.map(|p| context.scopes.scope(p)) else {
        return false;
    };
    class.kind == ScopeKind::Class
        && function
            .params
            .first()
            .is_some_and(|first| first == receiver)
        && class.children.iter().any(|&child| {
            let child = context.scopes.scope(child);
            child.kind == ScopeKind::Function && child.name == method
        })
}
