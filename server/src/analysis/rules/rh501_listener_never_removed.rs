//! # RH501 listener-never-removed
//!
//! ## What it does
//! Flags a closure, lambda, bound method, `functools.partial` or handler object registered
//! with an event source (`connect`, `add_listener`, `subscribe`, `on`, `add_signal_handler`,
//! `atexit.register`, `addHandler`, ...) inside a function, so that every call of the function
//! registers one more, when nothing unregisters it (`disconnect`, `remove_listener`,
//! `unsubscribe`, `off`, `atexit.unregister`, `removeHandler`, ...) and the registration's result
//! (often a handle to unregister with) is thrown away.
//!
//! A function or method of the same file that keeps its argument in a lasting container
//! (`def on_shutdown(handler): handlers.append(handler)` on a module-level list, or
//! `self.callbacks[event].append(func)`) is a registration too, whatever its name; unregistered
//! when something takes entries out of that container. It is weak when it keeps a weak
//! reference (`weakref.WeakMethod(func)`, a `WeakValueDictionary`) and keyed when it stores
//! under a key (`registry[name] = func`). Qt's `connect` keeps a closure strongly: a closure
//! connected to a Qt object made in the call with an owner from outside it (its parent,
//! `QTimer(kernel.app)`) piles up with that owner.
//!
//! Only persistent, strong registrations count: one-shot scheduling (`call_soon`, `call_later`,
//! `add_callback`, `add_done_callback`, `submit`, ...) runs the callback once and drops it; a
//! keyed slot (`add_reader(fd, ...)`, `signal.signal(sig, ...)`, tkinter's `bind` without `add`)
//! is replaced; Django's and blinker's `connect` hold receivers weakly unless given
//! `weak=False`, and replace one with the same `dispatch_uid`. Not flagged either: registrations
//! at module level (they run once), and a source made in the same call, which dies with its
//! callbacks. A handler object made in the call counts only when added to a process-wide logger
//! (`logging.getLogger(...)`), and only code in the same function (or the class whose method
//! adds it) can remove it; a callback may be unregistered anywhere in the module.
//!
//! Reported only with `strict = true`: the callback is unregistered, the registration is
//! guarded to run once (`if not logger.handlers:`, `if name not in ...loggerDict:`, an early
//! `if len(logger.handlers) > 0: return`, `if _logger is None: _logger = ...`), it runs in
//! set-up code, in a test function, on a source the function returns to its caller, or in
//! `__init__` of a class made once per process. An unregistration that runs only in a lifecycle
//! method (`stop()`) does not count when a function of the file makes the class per call and
//! drops each instance without calling that method.
//!
//! ## Why is this bad?
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
//! ## Use instead
//! ```python
//! def watch(dataset, bus):
//!     rows = dataset.load()
//!     listener = lambda event: print(event, len(rows))
//!     bus.add_listener(listener)
//!     try:
//!         run(bus)
//!     finally:
//!         bus.remove_listener(listener)     # gone when the work is done
//! ```
//!
//! ## Fix safety
//! No fix is offered: where the work ends is the author's to say. By hand: keep what the
//! registration returns, or the callback, and unregister it when the work is
//! done (`bus.remove_listener(callback)` in a `finally`, or a context manager). For a bound
//! method, register `weakref.WeakMethod(self.on_event)` through a small wrapper so the source
//! does not keep the instance alive. Or register once, at module level or in `__init__` of a
//! long-lived object.
//!
//! ## Options
//! `registration-names` and `unregistration-names`: extra method or function names that
//! register and unregister callbacks.

mod callback;

use tree_sitter::Node;

use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::queries::{Captures, Family};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{ScopeId, ScopeKind};
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::lifetime::Made;
use crate::analysis::semantic::registration::{self as reg, Kind, Registration};
use crate::analysis::semantic::release::LIFECYCLE_METHODS;
use crate::analysis::syntax::chain_base;
use crate::analysis::syntax::{Field, NodeLookups};
use callback::callback;

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let registries = reg::LocalRegistries::new(context);
    let mut unregistrations: Option<Vec<(&str, Node)>> = None;
    let mut findings = Vec::new();
    // Most calls register nothing, and their callee's name says so: the questions below cost
    // far more than this one, which an editor asks only in the units a keystroke changed.
    let named = |captures: &Captures| {
        let (Some(name), Some(function)) = (captures.get("name"), captures.get("function")) else {
            return None;
        };
        let name = context.text_of(name);
        let by_kind = reg::kind_of_named(context, function, name).is_some();
        Some((name, by_kind))
    };
    let calls = checker.matches_where(
        "RH501: the callee's name may register",
        Family::Listeners,
        || registries.names_hash(),
        |captures| {
            named(captures).is_some_and(|(name, by_kind)| by_kind || registries.may_define(name))
        },
    );
    for captures in calls {
        let Some((name, by_kind)) = named(captures) else {
            continue;
        };
        let Some(call) = captures
            .get("call")
            .filter(|_| by_kind || registries.defines(name))
        else {
            continue;
        };
        // A registry this file defines says how it keeps what it is given (strongly or through
        // a weak reference), whatever its name.
        let local = reg::local_registration(context, call, &registries);
        let registration = match (reg::registration(context, call), &local) {
            (Some(known), Some((defined, _))) => Registration {
                strong: known.strong && defined.strong,
                ..known
            },
            (Some(known), None) => known,
            (None, Some((defined, _))) => defined.clone(),
            (None, None) => continue,
        };
        // One-shot callbacks are dropped once run; a keyed slot is replaced.
        if registration.kind != Kind::Persistent || reg::result_is_kept(call) {
            continue;
        }
        let scope = context.scope_containing(call);
        let caller = context.scopes.scope(scope);
        if !caller.kind.is_function_like() {
            continue;
        }
        let Some(callback) = callback(context, &registration, scope) else {
            continue;
        };
        let function = registration.function;
        let object = (function.kind_name() == "attribute")
            .then(|| function.field(Field::Object))
            .flatten();
        let root = object
            .map(chain_base)
            .filter(|base| base.kind_name() == "identifier")
            .map(|base| context.text_of(base));
        // A Qt object made in the call holds a connected closure strongly, and lives on when
        // an object from outside the call owns it (its parent).
        let qt = root.and_then(|root| reg::qt_object(context, scope, root));
        let owner = qt.and_then(|(_, owner)| owner);
        // A weak receiver (Django, blinker `connect` without `weak=False`) dies with its
        // referent.
        if !registration.strong && (qt.is_none() || callback.bound) {
            continue;
        }
        let process_wide = object.and_then(|o| reg::process_wide_source(context, o, scope));
        // Registered on an object reached from what the callback keeps (`self.button.on(...,
        // self.click)`): the source lives no longer than the callback's own referent. A
        // source made in the call dies with its callbacks, unless something else owns it.
        if process_wide.is_none()
            && owner.is_none()
            && root.is_some_and(|root| {
                callback.holds == [root] || reg::made_locally(context, scope, root)
            })
        {
            continue;
        }
        // A handler object is only known to pile up on a process-wide logger.
        if callback.object && process_wide.is_none() {
            continue;
        }
        // An object made in the call (a handler) can only be removed by code that reaches it:
        // the same function, or the class whose method keeps it. A callback may be removed
        // anywhere in the module that names the registration's counterpart.
        let owner_scope = if callback.object {
            caller
                .parent
                .map(|parent| context.scopes.scope(parent))
                .filter(|parent| parent.kind == ScopeKind::Class)
                .unwrap_or(caller)
        } else {
            context.scopes.scope(ScopeId(0))
        };
        let undone = unregistrations
            .get_or_insert_with(|| reg::unregistrations(context))
            .iter()
            .filter(|(_, by)| owner_scope.range.contains(&by.start_byte()))
            .find(|(name, _)| reg::unregisters(context, registration.method, name))
            .map(|(_, by)| *by)
            .or_else(|| {
                local
                    .as_ref()
                    .and_then(|(_, registry)| reg::registry_release(context, registry))
            });
        let class = class_of(checker, scope);
        let (level, evidence) = match undone {
            Some(by) => match never_released(checker, by, scope, class.as_ref()) {
                Some(evidence) => (Level::Default, evidence),
                None => (
                    Level::Strict,
                    format!(
                        "it is unregistered (`{}`, line {})",
                        context.text_of(by).lines().next().unwrap_or_default(),
                        context.lines.line_of(by.start_byte())
                    ),
                ),
            },
            None => match once(checker, call, scope, root, class.as_ref()) {
                Some(once) => (Level::Strict, once),
                None => (
                    Level::Default,
                    "nothing in this module unregisters it".to_string(),
                ),
            },
        };
        let source = match (process_wide, owner) {
            (Some(source), _) => format!("; {source}"),
            (None, Some(owner)) => format!(
                "; `{}` is a Qt object owned by `{}` (its parent), which keeps it and its \
                 connections alive after the call",
                root.unwrap_or_default(),
                context.text_of(owner)
            ),
            (None, None) => String::new(),
        };
        let every = match (caller.name.as_str(), &class) {
            ("__init__", Some((name, _))) => format!("every `{name}` made (in `__init__`)"),
            _ => format!("every call of `{}()`", caller.name),
        };
        findings.push(Finding {
            level,
            rule: Rule::ListenerNeverRemoved,
            range: call.byte_range(),
            message: format!(
                "{} {} on {every}{source}; {evidence}: {}",
                callback.label,
                registration.describe(),
                callback.kept
            ),
            related: vec![Related {
                range: callback.node.byte_range(),
                message: format!("{} is made here", callback.label),
            }],
            fixes: Vec::new(),
            release_elsewhere: None,
        });
    }
    findings
}

/// Why the registration at `call` runs once or does no harm, if it does: behind a run-once
/// guard, in set-up or test code, in a method of a class made once per process, or on a source
/// the function hands back to its caller.
fn once(
    checker: &Checker,
    call: Node,
    scope: ScopeId,
    root: Option<&str>,
    class: Option<&(String, Made)>,
) -> Option<String> {
    let context = checker.context;
    let function = context.scopes.scope(scope);
    let name = &function.name;
    if let Some(guard) = reg::guarded_once(context, call) {
        return Some(guard);
    }
    if reg::is_setup_function(name) {
        return Some(format!("`{name}()` looks like set-up code, run once"));
    }
    if name.starts_with("test") {
        return Some(format!("`{name}()` is test code, run once per test"));
    }
    if let Some(root) = root
        && function.params.iter().any(|p| p == root)
        && reg::definition_at(context, function.range.clone())
            .is_some_and(|d| reg::returns_name(context, d, root))
    {
        return Some(format!(
            "`{name}()` prepares `{root}` and returns it: the callbacks live as long as its \
             caller keeps it"
        ));
    }
    match class {
        Some((class, made @ Made::Once(_))) => Some(made.describe(context, class)),
        _ => None,
    }
}

/// When the unregistration `by` runs only in a lifecycle method of the class that registers
/// (`stop()`), and a function of this file makes that class per call and drops it (neither
/// returns, yields, stores nor passes it on) without ever calling that method: the evidence
/// that it is not reached there.
fn never_released(
    checker: &Checker,
    by: Node,
    scope: ScopeId,
    class: Option<&(String, Made)>,
) -> Option<String> {
    let context = checker.context;
    let (
        class,
        Made::PerCall {
            call,
            function: Some(maker),
        },
    ) = class?
    else {
        return None;
    };
    let class_scope = context.scopes.scope(scope).parent?;
    let releasing = context.runtime_function(by)?;
    let releasing = context.scopes.scope(releasing);
    if releasing.parent != Some(class_scope)
        || !LIFECYCLE_METHODS.contains(&releasing.name.as_str())
    {
        return None;
    }
    let maker_body = maker.parent()?;
    let called = format!(".{}(", releasing.name);
    // Handed on (returned, yielded, stored) or used as a context manager, it may be stopped
    // by whoever receives it.
    let handed_on = std::iter::successors(call.parent(), |n| n.parent())
        .take_while(|n| n.id() != maker_body.id())
        .any(|n| {
            matches!(
                n.kind_name(),
                "with_statement" | "return_statement" | "yield" | "argument_list"
            ) || (n.kind_name() == "assignment"
                && n.field(Field::Left)
                    .is_some_and(|l| l.kind_name() != "identifier"))
        });
    let returned_local = call
        .parent()
        .filter(|p| p.kind_name() == "assignment")
        .and_then(|a| a.field(Field::Left))
        .filter(|l| l.kind_name() == "identifier")
        .is_some_and(|l| reg::returns_name(context, maker_body, context.text_of(l)));
    if handed_on || returned_local || context.text_of(maker_body).contains(&called) {
        return None;
    }
    Some(format!(
        "it is unregistered only in `{}()` (line {}), which `{}()` never calls on the `{class}` \
         it makes per call (line {})",
        releasing.name,
        context.lines.line_of(by.start_byte()),
        context.text_of(*maker),
        context.lines.line_of(call.start_byte())
    ))
}

/// The class whose method `scope` is, with how often it is made.
fn class_of<'t>(checker: &Checker<'_, 't>, scope: ScopeId) -> Option<(String, Made<'t>)> {
    let context = checker.context;
    let class = context.scopes.scope(context.scopes.scope(scope).parent?);
    if class.kind != ScopeKind::Class {
        return None;
    }
    let classes = &checker.semantic.classes.classes;
    let index = classes
        .iter()
        .position(|c| c.name == class.name && c.node.byte_range().contains(&class.range.start))?;
    Some((class.name.clone(), checker.semantic.made(index)))
}
