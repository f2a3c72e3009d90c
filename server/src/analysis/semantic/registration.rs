//! What a registration call does with the callback it is given, one vocabulary for every rule.
//!
//! - **Persistent**: kept until unregistered (`connect`, `add_listener`, `subscribe`,
//!   `addHandler`, `atexit.register`, ...). Registered again, it is kept again.
//! - **One-shot**: run once, then dropped (`call_soon`, `call_later`, `add_callback`,
//!   `add_done_callback`, `callLater`, `addCallback`, `after`, `submit`, ...). It outlives the
//!   call that schedules it, but not its own run.
//! - **Keyed-replace**: one slot per key, a new registration replaces the old one
//!   (`add_reader(fd, ...)`, `add_writer`, `add_signal_handler`, `signal.signal(sig, ...)`,
//!   tkinter's `bind` without `add`, `connect(..., dispatch_uid=...)`).
//!
//! A registration is weak where the library holds receivers weakly by default (Django signals
//! and blinker: `connect`) and strong with `weak=False`.
//!
//! Also here: which event sources live for the whole process (module-level objects, imported
//! modules and their signals, loggers from `logging.getLogger(...)`), and the unregistration
//! names. The configured `registration-names` / `unregistration-names` extend the lists.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::scope::{NameScope, ScopeId};
use crate::analysis::syntax::{chain_base, keyword_argument, named_children};

/// What a registration does with its callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Kept until unregistered.
    Persistent,
    /// Run once, then dropped.
    OneShot,
    /// One slot per key: registering again replaces the previous callback.
    KeyedReplace,
}

/// Persistent registrations, by last name.
const PERSISTENT: &[&str] = &[
    "connect",
    "add_listener",
    "addListener",
    "add_event_listener",
    "addEventListener",
    "add_handler",
    "addHandler",
    "add_observer",
    "addObserver",
    "subscribe",
    "on",
    "trace_add",
    "register_callback",
    "register_listener",
];

/// One-shot scheduling, by last name.
const ONE_SHOT: &[&str] = &[
    "call_soon",
    "call_soon_threadsafe",
    "call_later",
    "call_at",
    "add_callback",
    "add_callback_from_signal",
    "spawn_callback",
    "add_done_callback",
    "add_timeout",
    "callLater",
    "callFromThread",
    "callWhenRunning",
    "addCallback",
    "addCallbacks",
    "addErrback",
    "addBoth",
    "after",
    "after_idle",
    "submit",
];

/// Registrations keyed by their first argument, by last name.
const KEYED_REPLACE: &[&str] = &["add_reader", "add_writer", "add_signal_handler", "bind"];

/// Registration functions known by their full name: `register` and `signal` alone are too
/// common (selectors, argparse, `functools.singledispatch`) to mean a callback registry.
const QUALIFIED: &[(&str, Kind)] = &[
    ("atexit.register", Kind::Persistent),
    ("signal.signal", Kind::KeyedReplace),
];

/// Unregistration names: each registration's counterpart, and the usual spellings.
const UNREGISTRATIONS: &[&str] = &[
    "disconnect",
    "remove_listener",
    "removeListener",
    "remove_event_listener",
    "removeEventListener",
    "remove_handler",
    "removeHandler",
    "remove_callback",
    "remove_done_callback",
    "remove_signal_handler",
    "remove_reader",
    "remove_writer",
    "remove_observer",
    "removeObserver",
    "unsubscribe",
    "off",
    "unregister",
    "unregister_callback",
    "unregister_listener",
    "unbind",
    "trace_remove",
    "clear_listeners",
    "remove_all_listeners",
    "removeAllListeners",
];

/// Names that unregister whatever was registered.
const CATCH_ALLS: &[&str] = &[
    "clear_listeners",
    "remove_all_listeners",
    "removeAllListeners",
];

/// One registration call.
#[derive(Debug, Clone)]
pub struct Registration<'t> {
    pub call: Node<'t>,
    /// The callee, `bus.add_listener`.
    pub function: Node<'t>,
    pub arguments: Node<'t>,
    /// The callee's last name, `add_listener`.
    pub method: &'t str,
    /// The callee's text, for messages.
    pub callee: String,
    pub kind: Kind,
    /// Whether the source holds the callback strongly: not a weak-by-default `connect` without
    /// `weak=False`.
    pub strong: bool,
}

impl Registration<'_> {
    /// "registered with `bus.on`", "scheduled with `loop.call_later`".
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::OneShot => format!("is scheduled with `{}`", self.callee),
            _ => format!("is registered with `{}`", self.callee),
        }
    }
}

/// The registration `call` makes, if its callee registers callbacks (the built-in lists plus
/// the configured `registration-names`, which count as persistent).
pub fn registration<'t>(context: &Context<'t>, call: Node<'t>) -> Option<Registration<'t>> {
    let function = call.child_by_field_name("function")?;
    let arguments = call.child_by_field_name("arguments")?;
    let kind = kind_of(context, function)?;
    let method = last_name(context, function)?;
    let mut kind = kind;
    // tkinter's `widget.bind(sequence, func, add)`: only with `add` does a binding accumulate.
    if method == "bind" && binds_additionally(context, arguments) {
        kind = Kind::Persistent;
    }
    // Django dispatches once per `dispatch_uid`.
    if method == "connect" && keyword_argument(arguments, context.text, "dispatch_uid").is_some() {
        kind = Kind::KeyedReplace;
    }
    let weak_by_default = method == "connect";
    let strong = !weak_by_default
        || keyword_argument(arguments, context.text, "weak")
            .is_some_and(|weak| context.text_of(weak) == "False");
    Some(Registration {
        call,
        function,
        arguments,
        method,
        callee: context.text_of(function).to_string(),
        kind,
        strong,
    })
}

/// What a callee registers, by its name: `None` when it is no registration.
pub fn kind_of(context: &Context, function: Node) -> Option<Kind> {
    if let Some(name) = context.qualified_name(function)
        && let Some((_, kind)) = QUALIFIED.iter().find(|(q, _)| *q == name)
    {
        return Some(*kind);
    }
    let last = last_name(context, function)?;
    // A bare `on(...)` or `bind(...)` is some local helper, not an event source.
    if function.kind() != "attribute" && last.len() <= 4 {
        return None;
    }
    let configured = context
        .settings
        .registration_names
        .iter()
        .any(|n| n == last);
    if PERSISTENT.contains(&last) || configured {
        Some(Kind::Persistent)
    } else if ONE_SHOT.contains(&last) {
        Some(Kind::OneShot)
    } else if KEYED_REPLACE.contains(&last) {
        Some(Kind::KeyedReplace)
    } else {
        None
    }
}

/// Whether `function` (a call's callee) registers callbacks: the callee's text.
pub fn registration_name(context: &Context, function: Node) -> Option<String> {
    kind_of(context, function).map(|_| context.text_of(function).to_string())
}

/// Whether `function` (a call's callee) unregisters callbacks, by its last name.
pub fn is_unregistration(context: &Context, function: Node) -> bool {
    last_name(context, function).is_some_and(|last| {
        UNREGISTRATIONS.contains(&last)
            || context
                .settings
                .unregistration_names
                .iter()
                .any(|n| n == last)
    })
}

/// Every mention of an unregistration in the file, called or passed on
/// (`weakref.finalize(self, atexit.unregister, cb)`): its name and the node mentioning it.
pub fn unregistrations<'t>(context: &Context<'t>) -> Vec<(&'t str, Node<'t>)> {
    let configured = context
        .settings
        .unregistration_names
        .iter()
        .map(String::as_str);
    let mut found = Vec::new();
    for name in UNREGISTRATIONS.iter().copied().chain(configured) {
        for identifier in context.identifiers(name) {
            // `def disconnect(self):` defines one; it unregisters nothing by itself.
            if identifier
                .parent()
                .is_some_and(|p| p.kind().ends_with("definition"))
            {
                continue;
            }
            let mention = identifier
                .parent()
                .filter(|p| p.kind() == "attribute")
                .unwrap_or(identifier);
            found.push((context.text_of(identifier), mention));
        }
    }
    found
}

/// Whether the unregistration `unregistration` undoes the registration `registration` (last
/// names): `remove_x` undoes `add_x`, `disconnect` undoes `connect`, ...; catch-alls like
/// `remove_all_listeners` and configured unregistration names undo any registration.
pub fn unregisters(context: &Context, registration: &str, unregistration: &str) -> bool {
    const PAIRS: &[(&str, &str)] = &[
        ("connect", "disconnect"),
        ("subscribe", "unsubscribe"),
        ("on", "off"),
        ("on", "remove_listener"),
        ("register", "unregister"),
        ("bind", "unbind"),
        ("trace_add", "trace_remove"),
    ];
    let by_prefix = |add: &str, remove: &str| {
        registration
            .strip_prefix(add)
            .is_some_and(|rest| unregistration.strip_prefix(remove) == Some(rest))
    };
    PAIRS.contains(&(registration, unregistration))
        || CATCH_ALLS.contains(&unregistration)
        || by_prefix("add_", "remove_")
        || by_prefix("add", "remove")
        || by_prefix("register", "unregister")
        || context
            .settings
            .unregistration_names
            .iter()
            .any(|n| n == unregistration)
}

/// `bus.add_listener` → `add_listener`; `add_listener` → itself.
pub fn last_name<'t>(context: &Context<'t>, function: Node) -> Option<&'t str> {
    match function.kind() {
        "identifier" => Some(context.text_of(function)),
        "attribute" => Some(context.text_of(function.child_by_field_name("attribute")?)),
        _ => None,
    }
}

/// tkinter's `widget.bind(sequence, func, add)`.
fn binds_additionally(context: &Context, arguments: Node) -> bool {
    named_children(arguments).len() >= 3
        || keyword_argument(arguments, context.text, "add").is_some()
}

/// Whether `source` (the object a registration is called on, seen from code in `scope`) lives
/// for the whole process, said in a clause: "the logger `logging.getLogger(\"jobs\")` lives for
/// the whole process", "module-level `dispatcher` lives ...", "`post_save` (imported) lives ...". `None` when nothing says so (a
/// parameter, a local object, an attribute of an instance).
pub fn process_wide_source(context: &Context, source: Node, scope: ScopeId) -> Option<String> {
    if let Some(logger) = logger(context, source, scope) {
        return Some(format!("the logger `{logger}` lives for the whole process"));
    }
    let base = chain_base(source);
    if base.kind() != "identifier" {
        return None;
    }
    let name = context.text_of(base);
    let symbol = context.scopes.scope(scope).symbol(name)?;
    if !matches!(
        symbol.scope,
        NameScope::GlobalImplicit | NameScope::GlobalExplicit
    ) && scope != ScopeId(0)
    {
        return None;
    }
    let module = context.scopes.scope(ScopeId(0));
    let global = module.symbol(name)?;
    if global
        .flags
        .contains_any(crate::analysis::scope::SymbolFlags::IMPORT)
    {
        return Some(format!(
            "`{}` (imported) lives for the whole process",
            context.text_of(source)
        ));
    }
    // A module-level object: bound at module level to something that is not a class or a
    // function (those are templates, not sources).
    let bindings = context.bindings(ScopeId(0), name);
    let object = !bindings.is_empty()
        && bindings
            .iter()
            .all(|b| b.value.is_some() && !b.statement.kind().ends_with("definition"));
    object.then(|| format!("module-level `{name}` lives for the whole process"))
}

/// The logger `source` is, when it is one: `logging.getLogger(...)` itself, or a name or
/// `self.attribute` bound to it in `scope` (or at module level). Its text, for messages.
pub fn logger<'t>(context: &Context<'t>, source: Node<'t>, scope: ScopeId) -> Option<&'t str> {
    let is_get_logger = |value: Node| {
        value.kind() == "call"
            && value
                .child_by_field_name("function")
                .and_then(|f| context.qualified_name(f))
                .is_some_and(|q| q == "logging.getLogger")
    };
    if is_get_logger(source) {
        return Some(context.text_of(source));
    }
    if context
        .qualified_name(source)
        .is_some_and(|q| q == "logging.root")
    {
        return Some(context.text_of(source));
    }
    let bound = match source.kind() {
        "identifier" => {
            let name = context.text_of(source);
            let symbol = context.scopes.scope(scope).symbol(name)?;
            let owner = match symbol.scope {
                NameScope::Local | NameScope::Cell => scope,
                NameScope::GlobalImplicit | NameScope::GlobalExplicit => ScopeId(0),
                _ => return None,
            };
            let bindings = context.bindings(owner, name);
            (!bindings.is_empty()).then_some(())?;
            bindings
                .iter()
                .map(|b| b.value)
                .collect::<Option<Vec<_>>>()?
        }
        // `self.logger = logging.getLogger(...)` in the same function.
        "attribute" => {
            let function = context.scopes.scope(scope);
            let range = function.range.clone();
            let text = context.text_of(source);
            let mut values = Vec::new();
            let mut stack = vec![
                context
                    .tree
                    .root_node()
                    .descendant_for_byte_range(range.start, range.end)?,
            ];
            while let Some(node) = stack.pop() {
                if node.kind() == "assignment"
                    && node
                        .child_by_field_name("left")
                        .is_some_and(|l| context.text_of(l) == text)
                    && let Some(right) = node.child_by_field_name("right")
                {
                    values.push(right);
                }
                stack.extend(named_children(node));
            }
            values
        }
        _ => return None,
    };
    (!bound.is_empty() && bound.iter().all(|v| is_get_logger(*v)))
        .then(|| context.text_of(bound[0]))
}

/// Whether a function, by its name, sets the program up and runs once (`setup_logging`,
/// `configure`, `main`, `install_handlers`): a registration there is not repeated.
pub fn is_setup_function(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "setup",
        "set_up",
        "configure",
        "config",
        "init_",
        "initialize",
        "initialise",
        "install",
        "main",
        "bootstrap",
        "enable",
    ];
    let bare = name.trim_start_matches('_').to_ascii_lowercase();
    name != "__init__" && (bare == "init" || WORDS.iter().any(|w| bare.starts_with(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_functions_by_name() {
        assert!(is_setup_function("setup_logging"));
        assert!(is_setup_function("_configure"));
        assert!(is_setup_function("main"));
        assert!(!is_setup_function("__init__"));
        assert!(!is_setup_function("process_job"));
    }
}
