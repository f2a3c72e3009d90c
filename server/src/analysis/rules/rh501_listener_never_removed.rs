//! # RH501 listener-never-removed
//!
//! ## What it flags
//! A closure, lambda or bound method registered with an event source (`connect`,
//! `add_listener`, `subscribe`, `on`, `add_signal_handler`, `atexit.register`, `addHandler`,
//! ...) inside a function, so that every call of the function registers one more, when nothing
//! in the module unregisters it (`disconnect`, `remove_listener`, `unsubscribe`, `off`,
//! `atexit.unregister`, ...) and the registration's result (often a handle to unregister with)
//! is thrown away.
//!
//! Not flagged: registrations at module level (they run once); module-level functions (they
//! live anyway); `add_done_callback` (a future drops its callbacks once done); `signal.signal`
//! and tkinter's `bind` without `add` (they replace the previous handler); bound methods passed
//! to `connect` (Django, blinker and Qt hold those weakly), and closures passed to `connect`
//! without `weak=False` (Django and blinker hold those weakly too); a source made in the same
//! call (`notifier = QSocketNotifier(...)`), which dies with its callbacks.
//!
//! ## Why it leaks
//! The event source keeps a strong reference to each callback it is given, for as long as the
//! source lives, often the whole process. A closure keeps what it captures; a bound method
//! keeps its instance. Registered on every request or every object construction and never
//! removed, they pile up, each with what it holds.
//!
//! ## Example
//! ```python
//! def watch(dataset, bus):
//!     rows = dataset.load()
//!     bus.add_listener(lambda event: print(event, len(rows)))   # one more per call
//! ```
//!
//! ## Fix
//! Keep what the registration returns, or the callback, and unregister it when the work is
//! done (`bus.remove_listener(callback)` in a `finally`, or a context manager). For a bound
//! method, register `weakref.WeakMethod(self.on_event)` through a small wrapper so the source
//! does not keep the instance alive. Or register once, at module level or in `__init__` of a
//! long-lived object.
//!
//! ## Options
//! `registration-names` and `unregistration-names`: extra method or function names that
//! register and unregister callbacks.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::escape::{self, Closure};
use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::queries::Family;
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, ScopeId, ScopeKind};
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::{chain_base, keyword_argument, named_children};

/// Registrations that do not accumulate strong references, by last name.
const NOT_ACCUMULATING: &[&str] = &["add_done_callback", "signal"];

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let calls: Vec<(Node, Node, Node)> = context
        .matches(Family::Listeners)
        .iter()
        .filter_map(|c| Some((c.get("call")?, c.get("function")?, c.get("arguments")?)))
        .collect();
    let unregistrations: Vec<&str> = calls
        .iter()
        .filter(|(_, function, _)| escape::is_unregistration(context, *function))
        .filter_map(|(_, function, _)| escape::last_name(context, *function))
        .collect();
    let mut findings = Vec::new();
    for &(call, function, arguments) in &calls {
        let Some(callee) = escape::registration_name(context, function) else {
            continue;
        };
        let Some(method) = escape::last_name(context, function) else {
            continue;
        };
        if NOT_ACCUMULATING.contains(&method) || result_is_kept(call) {
            continue;
        }
        if method == "bind" && !binds_additionally(context, arguments) {
            continue;
        }
        // Django's and blinker's `connect` hold receivers weakly unless told `weak=False`.
        let strong = keyword_argument(arguments, context.text, "weak")
            .is_some_and(|weak| context.text_of(weak) == "False");
        if method == "connect" && !strong {
            continue;
        }
        if unregistrations
            .iter()
            .any(|name| escape::unregisters(context, method, name))
        {
            continue;
        }
        let scope = context.scope_containing(call);
        let caller = context.scopes.scope(scope);
        if !caller.kind.is_function_like() {
            continue;
        }
        let Some(callback) = callback(context, arguments, scope, method) else {
            continue;
        };
        // Registered on an object reached from what the callback keeps (`self.button.on(...,
        // self.click)`): the source lives no longer than the callback's own referent.
        let source = (function.kind() == "attribute")
            .then(|| chain_base(function))
            .filter(|base| base.kind() == "identifier")
            .map(|base| context.text_of(base));
        if source.is_some_and(|root| callback.holds == [root] || made_locally(context, scope, root))
            || guarded_once(context, call)
        {
            continue;
        }
        findings.push(Finding {
            level: Level::Default,
            rule: Rule::ListenerNeverRemoved,
            range: call.byte_range(),
            message: format!(
                "{} is registered with `{callee}` on every call of `{}` and nothing in this \
                 module unregisters it: {}",
                callback.label, caller.name, callback.kept
            ),
            related: vec![Related {
                range: callback.node.byte_range(),
                message: format!("{} is defined here", callback.label),
            }],
            fixes: Vec::new(),
        });
    }
    findings
}

/// A registered callback and what it keeps alive.
struct Callback<'t> {
    /// "the lambda (line 14)", "bound method `self.on_event`".
    label: String,
    /// "each one keeps `rows` (line 12) alive".
    kept: String,
    /// The lambda, the `def` or the bound method expression.
    node: Node<'t>,
    /// The names whose objects it keeps: captured variables, or a bound method's instance.
    holds: Vec<&'t str>,
}

/// The callback among a registration's arguments that holds something: a lambda or nested
/// function (with what it captures) or a bound method (with its instance).
fn callback<'t>(
    context: &Context<'t>,
    arguments: Node<'t>,
    scope: ScopeId,
    method: &str,
) -> Option<Callback<'t>> {
    let mut cursor = arguments.walk();
    let values: Vec<Node> = arguments
        .named_children(&mut cursor)
        .map(|a| {
            if a.kind() == "keyword_argument" {
                a.child_by_field_name("value").unwrap_or(a)
            } else {
                a
            }
        })
        .collect();
    values.into_iter().find_map(|value| match value.kind() {
        "lambda" => closure_callback(context, value),
        "identifier" => {
            let name = context.text_of(value);
            let symbol = context.scopes.scope(scope).symbol(name)?;
            if !matches!(symbol.scope, NameScope::Local | NameScope::Cell) {
                return None;
            }
            let definition = context.bindings(scope, name).into_iter().find_map(|b| {
                match b.statement.kind() {
                    "function_definition" => Some(b.statement),
                    _ => b.value.filter(|v| v.kind() == "lambda"),
                }
            })?;
            closure_callback(context, definition)
        }
        "attribute" if method != "connect" => {
            let object = value.child_by_field_name("object")?;
            let attribute = value.child_by_field_name("attribute")?;
            let receiver = context.text_of(object);
            is_own_method(context, scope, receiver, context.text_of(attribute)).then(|| Callback {
                label: format!("bound method `{}`", context.text_of(value)),
                kept: format!("each one keeps `{receiver}` alive"),
                node: value,
                holds: vec![receiver],
            })
        }
        _ => None,
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

/// Whether `name` is a local of `scope` bound to an object made there (`notifier =
/// QSocketNotifier(...)`): an event source that dies with the call, callbacks included.
fn made_locally(context: &Context, scope: ScopeId, name: &str) -> bool {
    let function = context.scopes.scope(scope);
    let bindings = context.bindings(scope, name);
    !function.params.iter().any(|p| p == name)
        && function
            .symbol(name)
            .is_some_and(|s| matches!(s.scope, NameScope::Local | NameScope::Cell))
        && !bindings.is_empty()
        && bindings
            .iter()
            .all(|b| b.value.is_some_and(|v| v.kind() == "call"))
}

/// `if not X: register(...); X = True`: a registration that runs once.
fn guarded_once(context: &Context, call: Node) -> bool {
    let Some(block) = call.parent().and_then(|statement| statement.parent()) else {
        return false;
    };
    let Some(condition) = block
        .parent()
        .filter(|p| p.kind() == "if_statement")
        .and_then(|p| p.child_by_field_name("condition"))
    else {
        return false;
    };
    let condition = context.text_of(condition);
    let mut cursor = block.walk();
    block.named_children(&mut cursor).any(|statement| {
        statement
            .named_child(0)
            .filter(|e| e.kind() == "assignment")
            .and_then(|a| a.child_by_field_name("left"))
            .and_then(|left| escape::last_name(context, left))
            .is_some_and(|flag| {
                condition
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| word == flag)
            })
    })
}

/// `token = bus.subscribe(cb)`, `return bus.on(...)`: the result is likely the handle to
/// unregister with.
fn result_is_kept(call: Node) -> bool {
    call.parent()
        .is_some_and(|parent| parent.kind() != "expression_statement")
}

/// tkinter's `widget.bind(sequence, func, add)`: only with `add` does a binding accumulate.
fn binds_additionally(context: &Context, arguments: Node) -> bool {
    named_children(arguments).len() >= 3
        || keyword_argument(arguments, context.text, "add").is_some()
}
