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

use foldhash::HashMap;
use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::queries::Family;
use crate::analysis::scope::{NameScope, ScopeId, ScopeKind};
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::syntax::{chain_base, keyword_argument, named_children};
use crate::analysis::words;

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
    let function = call.field(Field::Function)?;
    let arguments = call.field(Field::Arguments)?;
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
    kind_of_named(context, function, last_name(context, function)?)
}

/// [`kind_of`] for a callee whose [`last_name`] the caller has.
pub fn kind_of_named(context: &Context, function: Node, last: &str) -> Option<Kind> {
    let kind = function.kind_name();
    let is_attribute = kind == "attribute";
    // An import alias renames only a chain's first name: an attribute's last name is the
    // qualified name's (most calls end here, before the costlier question).
    let qualified = if is_attribute {
        let may_be = QUALIFIED.iter().any(|(q, _)| {
            q.strip_suffix(last)
                .is_some_and(|module| module.ends_with('.'))
        });
        let name = may_be.then(|| context.qualified_name(function)).flatten();
        name.and_then(|name| QUALIFIED.iter().find(|(q, _)| *q == name))
    } else if kind == "identifier" {
        // A callee named by one identifier: `last` is it.
        let imported = context.imports.imported_as(last);
        imported.and_then(|name| QUALIFIED.iter().find(|(q, _)| *q == name))
    } else {
        None
    };
    if let Some((_, kind)) = qualified {
        return Some(*kind);
    }
    // A bare `on(...)` or `bind(...)` is some local helper, not an event source.
    if !is_attribute && last.len() <= 4 {
        return None;
    }
    let configured = context
        .settings
        .registration_names
        .iter()
        .any(|n| n == last);
    if configured {
        return Some(Kind::Persistent);
    }
    by_last_name().get(last).copied()
}

/// [`PERSISTENT`], [`ONE_SHOT`] and [`KEYED_REPLACE`] as one table: every call of a file asks.
fn by_last_name() -> &'static HashMap<&'static str, Kind> {
    static TABLE: std::sync::LazyLock<HashMap<&'static str, Kind>> =
        std::sync::LazyLock::new(|| {
            let lists = [
                (KEYED_REPLACE, Kind::KeyedReplace),
                (ONE_SHOT, Kind::OneShot),
                (PERSISTENT, Kind::Persistent),
            ];
            // Should a name come in two lists, the later one here wins: persistent first.
            lists
                .into_iter()
                .flat_map(|(names, kind)| names.iter().map(move |&name| (name, kind)))
                .collect()
        });
    &TABLE
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
                .is_some_and(|p| p.kind_name().ends_with("definition"))
            {
                continue;
            }
            let mention = identifier
                .parent()
                .filter(|p| p.kind_name() == "attribute")
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
    match function.kind_name() {
        "identifier" => Some(context.text_of(function)),
        "attribute" => Some(context.text_of(function.field(Field::Attribute)?)),
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
    if base.kind_name() != "identifier" {
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
            .all(|b| b.value.is_some() && !b.statement.kind_name().ends_with("definition"));
    object.then(|| format!("module-level `{name}` lives for the whole process"))
}

/// The logger `source` is, when it is one: `logging.getLogger(...)` itself, or a name or
/// `self.attribute` bound to it in `scope` (or at module level). Its text, for messages.
pub fn logger<'t>(context: &Context<'t>, source: Node<'t>, scope: ScopeId) -> Option<&'t str> {
    let is_get_logger = |value: Node| {
        value.kind_name() == "call"
            && value
                .field(Field::Function)
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
    let bound = match source.kind_name() {
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
            let mut stack = vec![context.descendant(range.clone())?];
            while let Some(node) = stack.pop() {
                if node.kind_name() == "assignment"
                    && node
                        .field(Field::Left)
                        .is_some_and(|l| context.text_of(l) == text)
                    && let Some(right) = node.field(Field::Right)
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

/// A function or method of this file that keeps what it is given: it adds one of its
/// parameters to a container that outlives the call (`shutdown_handlers.append(handler)` on a
/// module-level list, `self.callbacks[event].append(func)`). Whatever its name, calling it with a
/// callback registers the callback.
#[derive(Debug, Clone, Copy)]
pub struct LocalRegistry<'t> {
    /// The `def`.
    pub function: Node<'t>,
    /// The statement or call that adds the parameter.
    pub add: Node<'t>,
    /// What is added to: a module-level name, or `self.name`.
    pub container: Node<'t>,
    /// It keeps a weak reference (`weakref.ref(cb)`, `weakref.WeakMethod(cb)`, a
    /// `WeakValueDictionary`).
    pub weak: bool,
    /// It stores under a key (`registry[name] = func`): registering again under the same key
    /// replaces.
    pub keyed: bool,
    /// A method (called as `obj.name(...)`), not a module-level function.
    pub method: bool,
}

/// Calls that wrap what they are given in a weak reference.
const WEAK_WRAPPERS: &[&str] = &[
    "weakref.ref",
    "weakref.WeakMethod",
    "weakref.proxy",
    "weakref.finalize",
];

/// The registries this file defines, found for a name when a call first names one of the
/// file's module-level functions or methods so: finding whether a function is a registry walks
/// its body, and most calls name none, or one function of many.
pub struct LocalRegistries<'c, 't> {
    context: &'c Context<'t>,
    /// The module-level functions and methods of module-level classes, by name, with whether
    /// each is a method; and the registries among them once asked for.
    by_name: HashMap<&'c str, Named<'t>>,
    /// The file's stores into containers and attributes (`queries/cycles.scm`), by start: where
    /// a function's additions are looked for, once some function is asked about.
    stores: std::cell::OnceCell<Vec<Node<'t>>>,
}

struct Named<'t> {
    functions: Vec<(ScopeId, bool)>,
    registries: std::cell::OnceCell<Vec<LocalRegistry<'t>>>,
}

impl<'c, 't> LocalRegistries<'c, 't> {
    pub fn new(context: &'c Context<'t>) -> LocalRegistries<'c, 't> {
        let mut by_name: HashMap<&'c str, Named<'t>> = HashMap::default();
        let mut add = |id: ScopeId, method: bool| {
            let named = by_name
                .entry(context.scopes.scope(id).name.as_str())
                .or_insert_with(|| Named {
                    functions: Vec::new(),
                    registries: std::cell::OnceCell::new(),
                });
            named.functions.push((id, method));
        };
        for child in context.scopes.definitions_in(ScopeId(0)) {
            match context.scopes.scope(child).kind {
                ScopeKind::Function => add(child, false),
                ScopeKind::Class => {
                    for method in context.scopes.definitions_in(child) {
                        if context.scopes.scope(method).kind == ScopeKind::Function {
                            add(method, true);
                        }
                    }
                }
                _ => {}
            }
        }
        LocalRegistries {
            context,
            by_name,
            stores: std::cell::OnceCell::new(),
        }
    }

    /// Whether a function or method of this file is named `name`: only such a one may be a
    /// registry ([`LocalRegistries::defines`]).
    pub fn may_define(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// A hash of the names of this file's functions and methods, which [`Self::may_define`]
    /// answers from.
    pub fn names_hash(&self) -> u64 {
        use std::hash::BuildHasher;
        let state = foldhash::fast::FixedState::default();
        // In any order: the map's own is not fixed.
        self.by_name
            .keys()
            .fold(0, |hash, name| hash ^ state.hash_one(name))
    }

    /// Whether a function or method of this file named `name` is a registry.
    pub fn defines(&self, name: &str) -> bool {
        self.named(name).next().is_some()
    }

    /// The registries among the functions named `name`.
    fn named(&self, name: &str) -> impl Iterator<Item = &LocalRegistry<'t>> {
        let found: &[LocalRegistry<'t>] = match self.by_name.get(name) {
            Some(named) => named.registries.get_or_init(|| {
                named
                    .functions
                    .iter()
                    .filter_map(|&(id, method)| registry(self.context, self.stores(), id, method))
                    .collect()
            }),
            None => &[],
        };
        found.iter()
    }

    fn stores(&self) -> &[Node<'t>] {
        self.stores.get_or_init(|| {
            let mut stores: Vec<Node<'t>> = self
                .context
                .matches(Family::Cycles)
                .iter()
                .filter_map(|captures| captures.get("store"))
                .collect();
            stores.sort_by_key(|store| store.start_byte());
            stores
        })
    }
}

/// The function or method `id` (of a module-level class when `method`) as a registry: one that
/// adds a parameter to a module-level container or to `self.name`. Its additions are among the
/// file's `stores` (sorted by start) in its body, outside the functions, lambdas and classes
/// nested in it.
fn registry<'t>(
    context: &Context<'t>,
    stores: &[Node<'t>],
    id: ScopeId,
    method: bool,
) -> Option<LocalRegistry<'t>> {
    let scope = context.scopes.scope(id);
    let definition = definition_at(context, scope.range.clone())?;
    let receiver = method.then(|| scope.params.first()).flatten();
    let params: Vec<&str> = scope
        .params
        .iter()
        .skip(usize::from(method))
        .map(String::as_str)
        .collect();
    if params.is_empty() {
        return None;
    }
    let body = definition.field(Field::Body)?;
    let first = stores.partition_point(|store| store.start_byte() < body.start_byte());
    let last = stores.partition_point(|store| store.start_byte() < body.end_byte());
    let mut in_body: Vec<Node<'t>> = stores[first..last]
        .iter()
        .copied()
        .filter(|store| store.end_byte() <= body.end_byte() && runs_in(context, *store) == id)
        .collect();
    // The first addition found, in the order a walk from the body's last statement backwards
    // meets them: an addition before those inside it, later ones before earlier ones.
    in_body.sort_by_key(|store| (std::cmp::Reverse(store.end_byte()), store.start_byte()));
    for node in in_body {
        if let Some((container, item)) = added(context, node)
            && let Some(weak) = kept_parameter(context, item, &params)
            && outlives_call(context, id, container, receiver.map(String::as_str))
        {
            return Some(LocalRegistry {
                function: definition,
                add: node,
                container,
                weak: weak || weak_container(context, container),
                keyed: node.kind_name() == "assignment",
                method,
            });
        }
    }
    None
}

/// The function, lambda or class whose body runs `node` (through comprehensions, annotation
/// and type scopes); the module when none does.
fn runs_in(context: &Context, node: Node) -> ScopeId {
    let mut id = context.scopes.innermost_at(node.start_byte());
    loop {
        let scope = context.scopes.scope(id);
        match (scope.kind, scope.parent) {
            (ScopeKind::Function | ScopeKind::Lambda | ScopeKind::Class | ScopeKind::Module, _)
            | (_, None) => return id,
            (_, Some(parent)) => id = parent,
        }
    }
}

/// The `def` whose scope spans `range`.
pub fn definition_at<'t>(context: &Context<'t>, range: std::ops::Range<usize>) -> Option<Node<'t>> {
    let mut node = context.descendant(range.clone())?;
    loop {
        if node.kind_name() == "function_definition" && node.byte_range() == range {
            return Some(node);
        }
        node = node.parent().filter(|p| p.byte_range() == range)?;
    }
}

/// `c.append(x)`, `c.add(x)`, `c[k].append(x)`, `c.setdefault(k, []).append(x)`, `c[k] = x`:
/// the container `c` (subscripts and `setdefault` calls stripped) and the item `x`.
fn added<'t>(context: &Context<'t>, node: Node<'t>) -> Option<(Node<'t>, Node<'t>)> {
    let (mut container, item) = match node.kind_name() {
        "call" => {
            let function = node.field(Field::Function)?;
            let method = context.text_of(function.field(Field::Attribute)?);
            let arguments = named_children(node.field(Field::Arguments)?);
            let item = match method {
                "append" | "add" | "appendleft" => *arguments.first()?,
                "insert" => *arguments.get(1)?,
                _ => return None,
            };
            (function.field(Field::Object)?, item)
        }
        "assignment" => {
            let left = node.field(Field::Left)?;
            (left.kind_name() == "subscript").then_some(())?;
            (left.field(Field::Value)?, node.field(Field::Right)?)
        }
        _ => return None,
    };
    loop {
        match container.kind_name() {
            "subscript" => container = container.field(Field::Value)?,
            "call" => {
                let function = container.field(Field::Function)?;
                let setdefault = function
                    .field(Field::Attribute)
                    .is_some_and(|a| context.text_of(a) == "setdefault");
                setdefault.then_some(())?;
                container = function.field(Field::Object)?;
            }
            _ => break,
        }
    }
    Some((container, item))
}

/// Whether an added item is a parameter (`handler`, `(handler, args)`): `Some(weak)`, weak when
/// it is wrapped in a weak reference (`weakref.WeakMethod(handler)`).
fn kept_parameter(context: &Context, item: Node, params: &[&str]) -> Option<bool> {
    match item.kind_name() {
        "identifier" => params.contains(&context.text_of(item)).then_some(false),
        "tuple" | "parenthesized_expression" => named_children(item)
            .into_iter()
            .find_map(|part| kept_parameter(context, part, params)),
        "call" => {
            let function = item.field(Field::Function)?;
            let qualified = context.qualified_name(function)?;
            WEAK_WRAPPERS.contains(&qualified.as_str()).then_some(())?;
            let first = *named_children(item.field(Field::Arguments)?).first()?;
            kept_parameter(context, first, params).map(|_| true)
        }
        _ => None,
    }
}

/// Whether `container`, named in function `function`, outlives its call: a module-level name, or
/// an attribute of the method's receiver.
fn outlives_call(
    context: &Context,
    function: ScopeId,
    container: Node,
    receiver: Option<&str>,
) -> bool {
    match container.kind_name() {
        "identifier" => {
            let name = context.text_of(container);
            context
                .scopes
                .scope(function)
                .symbol(name)
                .is_some_and(|s| {
                    matches!(
                        s.scope,
                        NameScope::GlobalImplicit | NameScope::GlobalExplicit
                    )
                })
                && context.scopes.scope(ScopeId(0)).symbol(name).is_some()
        }
        "attribute" => container
            .field(Field::Object)
            .is_some_and(|o| o.kind_name() == "identifier" && Some(context.text_of(o)) == receiver),
        _ => false,
    }
}

/// Containers that hold their entries weakly.
const WEAK_CONTAINERS: &[&str] = &[
    "weakref.WeakValueDictionary",
    "weakref.WeakKeyDictionary",
    "weakref.WeakSet",
];

/// Whether a module-level container is bound only to a weak container.
fn weak_container(context: &Context, container: Node) -> bool {
    if container.kind_name() != "identifier" {
        return false;
    }
    let bindings = context.bindings(ScopeId(0), context.text_of(container));
    !bindings.is_empty()
        && bindings.iter().all(|b| {
            b.value
                .filter(|v| v.kind_name() == "call")
                .and_then(|v| v.field(Field::Function))
                .and_then(|f| context.qualified_name(f))
                .is_some_and(|q| WEAK_CONTAINERS.contains(&q.as_str()))
        })
}

/// The registration a call of a registry defined in this file makes: `on_shutdown(self.stop)`
/// where `def on_shutdown(handler): handlers.append(handler)`. Persistent, or keyed-replace when
/// every definition of that name stores under a key; weak when every one keeps a weak
/// reference.
pub fn local_registration<'t>(
    context: &Context<'t>,
    call: Node<'t>,
    registries: &LocalRegistries<'_, 't>,
) -> Option<(Registration<'t>, LocalRegistry<'t>)> {
    let function = call.field(Field::Function)?;
    let arguments = call.field(Field::Arguments)?;
    let method = last_name(context, function)?;
    let is_method = function.kind_name() == "attribute";
    let matching: Vec<&LocalRegistry> = registries
        .named(method)
        .filter(|r| r.method == is_method)
        .collect();
    let first = **matching.first()?;
    Some((
        Registration {
            call,
            function,
            arguments,
            method,
            callee: context.text_of(function).to_string(),
            kind: if matching.iter().all(|r| r.keyed) {
                Kind::KeyedReplace
            } else {
                Kind::Persistent
            },
            strong: matching.iter().any(|r| !r.weak),
        },
        first,
    ))
}

/// A release of what a registry of this file keeps: something taken out of its container
/// (`handlers.remove(h)`, `self.callbacks.clear()`, `del handlers[:]`).
pub fn registry_release<'t>(
    context: &Context<'t>,
    registry: &LocalRegistry<'t>,
) -> Option<Node<'t>> {
    let name = match registry.container.kind_name() {
        "attribute" => registry.container.field(Field::Attribute)?,
        _ => registry.container,
    };
    let name = context.text_of(name);
    context
        .identifiers(name)
        .into_iter()
        .find_map(|identifier| {
            let node = match identifier.parent() {
                Some(p)
                    if p.kind_name() == "attribute"
                        && p.field(Field::Attribute)
                            .is_some_and(|a| a.id() == identifier.id()) =>
                {
                    p
                }
                _ => identifier,
            };
            match super::containers::container_use(context, node) {
                super::containers::ContainerUse::Remove => Some(node),
                _ => None,
            }
        })
}

/// Qt's libraries: a `connect` on a signal of their objects holds a closure strongly.
const QT_MODULES: &[&str] = &[
    "PyQt4",
    "PyQt5",
    "PyQt6",
    "PySide",
    "PySide2",
    "PySide6",
    "qtpy",
    "QtCore",
    "QtWidgets",
    "QtGui",
    "QtNetwork",
];

/// Whether `name`, a local of `scope`, is bound only to objects made by a Qt class: the call
/// that makes it, and the argument that owns it when one comes from outside the call (Qt's
/// parent: `QTimer(kernel.app)`), which keeps the object, and its connections, alive.
pub fn qt_object<'t>(
    context: &Context<'t>,
    scope: ScopeId,
    name: &str,
) -> Option<(Node<'t>, Option<Node<'t>>)> {
    let bindings = context.bindings(scope, name);
    let value = bindings.first()?.value?;
    let function = value.field(Field::Function)?;
    let qualified = context.qualified_name(function)?;
    let is_qt = value.kind_name() == "call"
        && bindings.len() == 1
        && qualified.split('.').any(|part| QT_MODULES.contains(&part));
    if !is_qt {
        return None;
    }
    let function_scope = context.scopes.scope(scope);
    let arguments = named_children(value.field(Field::Arguments)?);
    let owner = arguments.into_iter().rev().find_map(|argument| {
        let argument = if argument.kind_name() == "keyword_argument" {
            argument
                .field(Field::Name)
                .filter(|n| context.text_of(*n) == "parent")
                .and(argument.field(Field::Value))?
        } else {
            argument
        };
        let base = chain_base(argument);
        (base.kind_name() == "identifier"
            && function_scope
                .params
                .iter()
                .any(|p| p == context.text_of(base)))
        .then_some(argument)
    });
    Some((value, owner))
}

/// Words in a condition that say a logger is already set up: `if not logger.handlers:`,
/// `if logger.hasHandlers():`, `if name not in logging.root.manager.loggerDict:`.
const SET_UP_WORDS: &[&str] = &["handlers", "hasHandlers", "loggerDict"];

/// Why the registration at `call` runs once, if its code says so, in a clause: it sits under
/// an `if` that checks whether the set-up was done (`if not logger.handlers:`, `if _logger is
/// None: _logger = ...`, `if not X: ...; X = True`), or after an early return that does
/// (`if len(logger.handlers) > 0: return`).
pub fn guarded_once(context: &Context, call: Node) -> Option<String> {
    let words = |node: Node| -> Vec<&str> { words::of(context.text_of(node)).collect() };
    let says_set_up = |condition: Node| words(condition).iter().any(|w| SET_UP_WORDS.contains(w));
    let guard = |condition: Node| {
        format!(
            "it is guarded to run once (`{}`, line {})",
            one_line_text(context.text_of(condition)),
            context.lines.line_of(condition.start_byte())
        )
    };
    let mut node = call;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "function_definition" | "lambda" | "class_definition" => break,
            "if_statement" => {
                if let Some(condition) = parent.field(Field::Condition) {
                    let assigned = parent
                        .field(Field::Consequence)
                        .map(|block| assigned_names(context, block))
                        .unwrap_or_default();
                    let in_consequence = parent
                        .field(Field::Consequence)
                        .is_some_and(|b| b.byte_range().contains(&call.start_byte()));
                    if in_consequence
                        && (says_set_up(condition)
                            || words(condition).iter().any(|w| assigned.contains(w)))
                    {
                        return Some(guard(condition));
                    }
                }
            }
            "block" => {
                // An early return before the call: `if len(logger.handlers) > 0: return`, or
                // `if _installed is not None: return` with `_installed = ...` after it.
                let after: Vec<&str> = named_children(parent)
                    .into_iter()
                    .filter(|s| s.start_byte() >= node.start_byte())
                    .flat_map(|s| assigned_names(context, s))
                    .collect();
                for statement in named_children(parent) {
                    if statement.start_byte() >= node.start_byte() {
                        break;
                    }
                    if statement.kind_name() != "if_statement" || !exits(statement) {
                        continue;
                    }
                    let Some(condition) = statement.field(Field::Condition) else {
                        continue;
                    };
                    if says_set_up(condition) || words(condition).iter().any(|w| after.contains(w))
                    {
                        return Some(guard(condition));
                    }
                }
            }
            _ => {}
        }
        node = parent;
    }
    None
}

/// Whether an `if` statement's consequence ends with `return` or `raise`.
fn exits(statement: Node) -> bool {
    statement
        .field(Field::Consequence)
        .and_then(|block| named_children(block).last().copied())
        .is_some_and(|last| matches!(last.kind_name(), "return_statement" | "raise_statement"))
}

/// The last names of what a statement assigns that outlives the call (`global _logger; _logger
/// = ...` → `_logger`, `cls._done = True` → `_done`), nested blocks included, nested
/// definitions not.
fn assigned_names<'t>(context: &Context<'t>, statement: Node<'t>) -> Vec<&'t str> {
    let mut found = Vec::new();
    let mut stack = vec![statement];
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "assignment" | "augmented_assignment" => {
                // Only what outlives the call: an attribute, or a `global` name.
                let left = node.field(Field::Left);
                let lasting = left.is_some_and(|left| match left.kind_name() {
                    "attribute" => true,
                    "identifier" => {
                        let scope = context.scope_containing(left);
                        scope == ScopeId(0)
                            || context
                                .scopes
                                .scope(scope)
                                .symbol(context.text_of(left))
                                .is_some_and(|s| s.scope == NameScope::GlobalExplicit)
                    }
                    _ => false,
                });
                if lasting && let Some(name) = left.and_then(|left| last_name(context, left)) {
                    found.push(name);
                }
            }
            _ => {}
        }
        stack.extend(named_children(node));
    }
    found
}

fn one_line_text(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.len() < text.len() {
        format!("{line} ...")
    } else {
        line.to_string()
    }
}

/// `token = bus.subscribe(cb)`, `return bus.on(...)`: the result is kept, likely the handle to
/// unregister with.
pub fn result_is_kept(call: Node) -> bool {
    call.parent()
        .is_some_and(|parent| parent.kind_name() != "expression_statement")
}

/// Whether `name` is a local of `scope` bound only to objects made there (`notifier =
/// Notifier(...)`): an event source that dies with the call, callbacks included.
pub fn made_locally(context: &Context, scope: ScopeId, name: &str) -> bool {
    let function = context.scopes.scope(scope);
    let bindings = context.bindings(scope, name);
    !function.params.iter().any(|p| p == name)
        && function
            .symbol(name)
            .is_some_and(|s| matches!(s.scope, NameScope::Local | NameScope::Cell))
        && !bindings.is_empty()
        && bindings
            .iter()
            .all(|b| b.value.is_some_and(|v| v.kind_name() == "call"))
}

/// Whether the function `definition` returns `name` (`return consumer`): a source the function
/// prepares for its caller, whose callbacks live as long as the caller keeps it.
pub fn returns_name(context: &Context, definition: Node, name: &str) -> bool {
    let mut stack = vec![definition.field(Field::Body)];
    while let Some(Some(node)) = stack.pop() {
        match node.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "return_statement"
                if named_children(node).first().is_some_and(|v| {
                    v.kind_name() == "identifier" && context.text_of(*v) == name
                }) =>
            {
                return true;
            }
            _ => {}
        }
        stack.extend(named_children(node).into_iter().map(Some));
    }
    false
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
