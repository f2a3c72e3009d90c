//! Thread-local state and the threads that keep it: `threading.local()` objects (and
//! subclasses) bound at module level or on an instance, what each use of one does (sets,
//! deletes, reads, hands it on), and which functions run in pooled threads (submitted to a
//! `ThreadPoolExecutor` or `ThreadPool`, `run_in_executor`, `asyncio.to_thread`, or called by
//! one; request handlers that servers run in worker threads). Also thread-scoped registries
//! (SQLAlchemy's `scoped_session`) and the calls that clean a local up (Werkzeug's
//! `LocalManager.cleanup()`, `release_local`). RH401 reads these facts.

use foldhash::{HashMap, HashMapExt};

use tree_sitter::Node;

use crate::analysis::context::{Binding, Context};
use crate::analysis::queries::Family;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::words;

pub const THREAD_LOCALS: &[&str] = &["threading.local", "_threading_local.local"];

/// Builtins that only look at the local.
pub const READING_BUILTINS: &[&str] = &["getattr", "hasattr", "isinstance", "id", "repr", "type"];

/// Module-level `name = threading.local()` (or a subclass defined here): the assignment and
/// the bound name.
pub fn thread_locals<'t>(context: &Context<'t>) -> Vec<(Node<'t>, Node<'t>)> {
    // A thread-local, or a class deriving from one, is named through an import: a file that
    // imports nothing that leads there has none (most files; this saves reading every class's
    // bases).
    if !THREAD_LOCALS.iter().any(|q| context.imports.may_name(q)) {
        return Vec::new();
    }
    let mut subclasses: Vec<&str> = Vec::new();
    for captures in context.matches(Family::ThreadLocals) {
        let (Some(class), Some(name)) = (
            captures.get("local_class"),
            captures.get("local_class_name"),
        ) else {
            continue;
        };
        let Some(bases) = class.field(Field::Superclasses) else {
            continue;
        };
        let derives = named_children(bases).into_iter().any(|base| {
            context
                .qualified_name(base)
                .is_some_and(|q| THREAD_LOCALS.contains(&q.as_str()))
        });
        if derives && context.scope_containing(class) == ScopeId(0) {
            subclasses.push(context.text_of(name));
        }
    }
    let mut locals = Vec::new();
    let mut seen = Vec::new();
    let mut consider = |call: Node<'t>| {
        let Some(assignment) = call.parent().filter(|p| p.kind_name() == "assignment") else {
            return;
        };
        let Some(target) = assignment.field(Field::Left) else {
            return;
        };
        let at_module = target.kind_name() == "identifier"
            && context.scope_containing(assignment) == ScopeId(0);
        if (at_module || instance_attribute(context, target).is_some())
            && !seen.contains(&call.id())
        {
            seen.push(call.id());
            locals.push((assignment, target));
        }
    };
    for captures in context.matches(Family::ThreadLocals) {
        if let (Some(call), Some(function)) = (captures.get("call"), captures.get("function"))
            && context
                .qualified_name(function)
                .is_some_and(|q| THREAD_LOCALS.contains(&q.as_str()))
        {
            consider(call);
        }
    }
    if !subclasses.is_empty() {
        let mut stack = context.module.roots().to_vec();
        while let Some(node) = stack.pop() {
            if node.kind_name() == "call"
                && let Some(function) = node.field(Field::Function)
                && function.kind_name() == "identifier"
                && subclasses.contains(&context.text_of(function))
            {
                consider(node);
            }
            stack.extend(named_children(node));
        }
    }
    locals
}

/// `self.name` in a method of a class whose first parameter is `self`: the attribute's name and
/// the class scope.
pub fn instance_attribute<'t>(
    context: &Context<'t>,
    target: Node<'t>,
) -> Option<(&'t str, ScopeId)> {
    let object = target.field(Field::Object)?;
    let attribute = target.field(Field::Attribute)?;
    let method = context.scope_containing(target);
    let scope = context.scopes.scope(method);
    let class = scope.parent?;
    (target.kind_name() == "attribute"
        && object.kind_name() == "identifier"
        && scope.kind == ScopeKind::Function
        && context.scopes.scope(class).kind == ScopeKind::Class
        && scope
            .params
            .first()
            .is_some_and(|p| p == context.text_of(object)))
    .then(|| (context.text_of(attribute), class))
}

/// Every `self.name` in the methods of the class that binds `target` (`self.name =
/// threading.local()`), but the binding itself; `None` when another statement rebinds it.
pub fn instance_mentions<'t>(context: &Context<'t>, target: Node<'t>) -> Option<Vec<Node<'t>>> {
    let (name, class) = instance_attribute(context, target)?;
    let mut mentions = Vec::new();
    for identifier in context.identifiers(name) {
        let Some(attribute) = identifier.parent().filter(|p| {
            p.kind_name() == "attribute"
                && p.field(Field::Attribute)
                    .is_some_and(|a| a.id() == identifier.id())
        }) else {
            continue;
        };
        if attribute.id() == target.id()
            || instance_attribute(context, attribute).is_none_or(|(_, c)| c != class)
        {
            continue;
        }
        let rebound = attribute.parent().is_some_and(|p| {
            p.kind_name() == "assignment"
                && p.field(Field::Left)
                    .is_some_and(|l| l.id() == attribute.id())
        });
        if rebound {
            return None;
        }
        mentions.push(attribute);
    }
    Some(mentions)
}

pub enum Mention<'t> {
    Set {
        attribute: &'t str,
        site: Node<'t>,
        value: Node<'t>,
    },
    Delete(&'t str),
    DeleteAll,
    Read,
    Escape,
}

/// What one use of the local does.
pub fn mention<'t>(context: &Context<'t>, node: Node<'t>) -> Mention<'t> {
    let Some(parent) = node.parent() else {
        return Mention::Escape;
    };
    match parent.kind_name() {
        "attribute"
            if parent
                .field(Field::Object)
                .is_some_and(|o| o.id() == node.id()) =>
        {
            let attribute = parent
                .field(Field::Attribute)
                .map_or("", |a| context.text_of(a));
            if attribute == "__dict__" {
                return Mention::DeleteAll;
            }
            let Some(outer) = parent.parent() else {
                return Mention::Read;
            };
            let is_left = outer
                .field(Field::Left)
                .is_some_and(|l| l.id() == parent.id());
            match outer.kind_name() {
                "assignment" if is_left => match outer.field(Field::Right) {
                    Some(value) => Mention::Set {
                        attribute,
                        site: outer,
                        value: innermost_value(value),
                    },
                    None => Mention::Read,
                },
                "augmented_assignment" if is_left => Mention::Read,
                "pattern_list" | "tuple_pattern" | "list_pattern" => Mention::Set {
                    attribute,
                    site: outer,
                    value: outer,
                },
                "delete_statement" => Mention::Delete(attribute),
                "expression_list"
                    if outer
                        .parent()
                        .is_some_and(|g| g.kind_name() == "delete_statement") =>
                {
                    Mention::Delete(attribute)
                }
                _ => Mention::Read,
            }
        }
        "argument_list" => {
            let Some(call) = parent.parent().filter(|c| c.kind_name() == "call") else {
                return Mention::Escape;
            };
            let Some(function) = call.field(Field::Function) else {
                return Mention::Escape;
            };
            let callee = context.text_of(function);
            if function.kind_name() != "identifier" || context.qualified_name(function).is_some() {
                return Mention::Escape;
            }
            let arguments = named_children(parent);
            let attribute = arguments
                .get(1)
                .filter(|a| a.kind_name() == "string")
                .map(|a| context.text_of(*a).trim_matches(|c| c == '"' || c == '\''));
            match (callee, attribute) {
                ("setattr", Some(attribute)) => match arguments.get(2) {
                    Some(value) => Mention::Set {
                        attribute,
                        site: call,
                        value: *value,
                    },
                    None => Mention::Read,
                },
                ("delattr", Some(attribute)) => Mention::Delete(attribute),
                ("setattr", None) => Mention::Read,
                ("delattr" | "vars", _) => Mention::DeleteAll,
                _ if READING_BUILTINS.contains(&callee) => Mention::Read,
                _ => Mention::Escape,
            }
        }
        "comparison_operator" | "not_operator" | "expression_statement" => Mention::Read,
        _ => Mention::Escape,
    }
}

/// Whether a set only happens when the attribute is missing: under an `if` whose condition
/// looks at the local (`if not hasattr(local, "x")`, `if getattr(local, "x", None) is None`),
/// or in an `except AttributeError` handler. That is one resource per thread, reused.
pub fn lazily_initialised(context: &Context, site: Node, local: Node) -> bool {
    let name = context.text_of(local);
    let mut node = site;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "function_definition" | "lambda" | "class_definition" | "module" => return false,
            "if_statement" | "elif_clause"
                if parent
                    .field(Field::Condition)
                    .is_some_and(|c| mentions_name(context, c, name)) =>
            {
                return true;
            }
            "except_clause"
                if context
                    .text_of(parent)
                    .lines()
                    .next()
                    .is_some_and(|first| words::of(first).any(|w| w == "AttributeError")) =>
            {
                return true;
            }
            _ => {}
        }
        node = parent;
    }
    false
}

/// Whether a statement is in a `finally:` block of its function.
pub fn in_finally(node: Node) -> bool {
    let mut node = node;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "finally_clause" => return true,
            "function_definition" | "lambda" | "class_definition" => return false,
            _ => node = parent,
        }
    }
    false
}

pub fn mentions_name(context: &Context, node: Node, name: &str) -> bool {
    if matches!(node.kind_name(), "identifier" | "attribute") && context.text_of(node) == name {
        return true;
    }
    if node.kind_name() == "identifier" {
        return false;
    }
    named_children(node)
        .into_iter()
        .any(|child| mentions_name(context, child, name))
}

pub const THREAD_POOLS: &[&str] = &[
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor",
    "multiprocessing.pool.ThreadPool",
    "multiprocessing.dummy.Pool",
];

/// Pool methods whose first argument runs in a worker thread.
pub const SUBMITTING_METHODS: &[&str] = &[
    "submit",
    "map",
    "apply",
    "apply_async",
    "map_async",
    "imap",
    "imap_unordered",
    "starmap",
    "starmap_async",
];

/// A function run in a pool thread, and how it got there.
#[derive(Clone, Copy)]
pub struct PoolRun<'t> {
    /// The call that hands a function to the pool.
    pub submission: Node<'t>,
    /// The function handed over.
    pub submitted: ScopeId,
    /// What the pool is, for the message: "`ThreadPoolExecutor` (line 20)".
    pub pool_line: usize,
    pub pool_kind: &'static str,
}

/// Why a function looks like a request handler that a WSGI/ASGI server or framework runs in
/// its worker threads: its parameters (`environ, start_response`; `scope, receive, send`; a
/// `request`) or its name (`handle_request`, `middleware`).
pub fn request_handler(context: &Context, function: ScopeId) -> Option<String> {
    let scope = context.scopes.scope(function);
    if scope.kind != ScopeKind::Function {
        return None;
    }
    let has = |name: &str| scope.params.iter().any(|p| p == name);
    if has("environ") && has("start_response") {
        return Some("a WSGI application (`environ, start_response`)".to_string());
    }
    if has("scope") && has("receive") && has("send") {
        return Some("an ASGI application (`scope, receive, send`)".to_string());
    }
    if let Some(request) = scope
        .params
        .iter()
        .find(|p| matches!(p.as_str(), "request" | "req"))
    {
        return Some(format!("a request handler (it takes `{request}`)"));
    }
    let name = scope.name.to_ascii_lowercase();
    (name.contains("handle_request") || name.contains("middleware"))
        .then(|| format!("a request handler (`{}`)", scope.name))
}

pub fn innermost_value(mut node: Node) -> Node {
    while node.kind_name() == "assignment" {
        match node.field(Field::Right) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// Every function a thread pool runs: those submitted to one, and those they call in this
/// module, each with the submission that leads to it.
/// Also whether every submission runs its task in a copy of the submitter's context.
pub fn pool_runs<'t>(context: &Context<'t>) -> (HashMap<ScopeId, PoolRun<'t>>, bool) {
    let mut runs: HashMap<ScopeId, PoolRun> = HashMap::new();
    let mut copy_context = true;
    let mut queue = Vec::new();
    for captures in context.matches(Family::ThreadLocals) {
        let (Some(call), Some(receiver), Some(method), Some(arguments)) = (
            captures.get("pool_call"),
            captures.get("pool"),
            captures.get("pool_method"),
            captures.get("pool_arguments"),
        ) else {
            continue;
        };
        let method = context.text_of(method);
        let arguments = named_children(arguments);
        let (pool, function) = match method {
            "run_in_executor" => {
                let Some(executor) = arguments.first() else {
                    continue;
                };
                let pool = if executor.kind_name() == "none" {
                    Some((
                        "event loop's default `ThreadPoolExecutor`",
                        context.lines.line_of(call.start_byte()),
                    ))
                } else {
                    thread_pool(context, *executor)
                };
                (pool, arguments.get(1))
            }
            "to_thread" if context.qualified_name(receiver).as_deref() == Some("asyncio") => (
                Some((
                    "event loop's default `ThreadPoolExecutor`",
                    context.lines.line_of(call.start_byte()),
                )),
                arguments.first(),
            ),
            _ if SUBMITTING_METHODS.contains(&method) => {
                (thread_pool(context, receiver), arguments.first())
            }
            _ => continue,
        };
        let (Some((pool_kind, pool_line)), Some(function)) = (pool, function) else {
            continue;
        };
        copy_context &= method == "to_thread";
        for submitted in callable_scopes(context, *function) {
            let run = PoolRun {
                submission: call,
                submitted,
                pool_line,
                pool_kind,
            };
            if let std::collections::hash_map::Entry::Vacant(entry) = runs.entry(submitted) {
                entry.insert(run);
                queue.push(submitted);
            }
        }
    }
    // What the submitted functions call, transitively.
    while let Some(function) = queue.pop() {
        let run = runs[&function];
        for callee in callees(context, function) {
            if let std::collections::hash_map::Entry::Vacant(entry) = runs.entry(callee) {
                entry.insert(run);
                queue.push(callee);
            }
        }
    }
    (runs, copy_context)
}

/// Whether an expression is a thread pool: a pool constructor call, or a name or attribute
/// bound to one (`pool = ThreadPoolExecutor()`, `with ThreadPool() as pool`,
/// `self.pool = ThreadPoolExecutor()`). Gives the pool's kind and line.
pub fn thread_pool(context: &Context, expression: Node) -> Option<(&'static str, usize)> {
    let constructor = |value: Node| -> Option<(&'static str, usize)> {
        if value.kind_name() != "call" {
            return None;
        }
        let qualified = context.qualified_name(value.field(Field::Function)?)?;
        let pool = THREAD_POOLS.iter().find(|p| **p == qualified)?;
        let short = match *pool {
            "multiprocessing.pool.ThreadPool" => "`ThreadPool`",
            "multiprocessing.dummy.Pool" => "`multiprocessing.dummy.Pool`",
            _ => "`ThreadPoolExecutor`",
        };
        Some((short, context.lines.line_of(value.start_byte())))
    };
    match expression.kind_name() {
        "call" => constructor(expression),
        "identifier" => resolve(context, expression)
            .into_iter()
            .find_map(|b| bound_value(b).and_then(constructor)),
        "attribute" => {
            let attribute = context.text_of(expression.field(Field::Attribute)?);
            attribute_assignments(context, attribute)
                .into_iter()
                .find_map(constructor)
        }
        _ => None,
    }
}

/// The right-hand sides of `x.attribute = value` anywhere in the file.
pub fn attribute_assignments<'t>(context: &Context<'t>, attribute: &str) -> Vec<Node<'t>> {
    let mut values = Vec::new();
    let mut stack = context.module.roots().to_vec();
    while let Some(node) = stack.pop() {
        if node.kind_name() == "assignment"
            && let Some(left) = node.field(Field::Left)
            && left.kind_name() == "attribute"
            && left
                .field(Field::Attribute)
                .is_some_and(|a| context.text_of(a) == attribute)
            && let Some(right) = node.field(Field::Right)
        {
            values.push(innermost_value(right));
        }
        stack.extend(named_children(node));
    }
    values
}

/// The value a binding gives its name: the right-hand side, or `value` in `with value as name`.
pub fn bound_value(binding: Binding) -> Option<Node> {
    if let Some(value) = binding.value {
        return Some(value);
    }
    // `node_at` gives the outermost node of the name's span, the `as_pattern_target` itself.
    let mut target = binding.target;
    if target.kind_name() != "as_pattern_target" {
        target = target
            .parent()
            .filter(|p| p.kind_name() == "as_pattern_target")?;
    }
    let as_pattern = target.parent().filter(|p| p.kind_name() == "as_pattern")?;
    as_pattern.named_child(0)
}

/// The bindings a name refers to where `node` uses it, following CPython's scoping.
pub fn resolve<'t>(context: &Context<'t>, node: Node<'t>) -> Vec<Binding<'t>> {
    let name = context.text_of(node);
    let mut scope = context.scope_containing(node);
    loop {
        let current = context.scopes.scope(scope);
        match current.symbol(name).map(|s| s.scope) {
            Some(NameScope::Local | NameScope::Cell) => return context.bindings(scope, name),
            // A free variable is bound in an enclosing function (class bodies are skipped by
            // the lookup, and bind nothing a function could capture).
            Some(NameScope::Free) => loop {
                match context.scopes.scope(scope).parent {
                    Some(parent) => scope = parent,
                    None => return Vec::new(),
                }
                if context.scopes.scope(scope).kind != ScopeKind::Class {
                    break;
                }
            },
            _ => return context.bindings(ScopeId(0), name),
        }
    }
}

/// The functions an expression names: `f`, `self.method`, `Class.method`,
/// `functools.partial(f, ...)`, or a lambda.
pub fn callable_scopes(context: &Context, expression: Node) -> Vec<ScopeId> {
    match expression.kind_name() {
        "lambda" => context
            .scopes
            .scope_of_node(expression.byte_range())
            .into_iter()
            .collect(),
        "identifier" => resolve(context, expression)
            .into_iter()
            .filter(|b| b.statement.kind_name() == "function_definition")
            .filter_map(|b| context.scopes.scope_of_node(b.statement.byte_range()))
            .collect(),
        "attribute" => method_scopes(context, expression),
        "call" => {
            let is_partial = expression
                .field(Field::Function)
                .and_then(|f| context.qualified_name(f))
                .is_some_and(|q| q == "functools.partial");
            match expression
                .field(Field::Arguments)
                .map(named_children)
                .and_then(|a| a.first().copied())
            {
                Some(first) if is_partial => callable_scopes(context, first),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// `self.method` / `cls.method` in a method of a class, or `Class.method`: that class's method.
pub fn method_scopes(context: &Context, attribute: Node) -> Vec<ScopeId> {
    let (Some(object), Some(method)) = (
        attribute.field(Field::Object),
        attribute.field(Field::Attribute),
    ) else {
        return Vec::new();
    };
    if object.kind_name() != "identifier" {
        return Vec::new();
    }
    let object_name = context.text_of(object);
    let method = context.text_of(method);
    let enclosing = context.scopes.scope(context.scope_containing(object));
    let class = match enclosing.parent {
        Some(class)
            if enclosing.kind == ScopeKind::Function
                && context.scopes.scope(class).kind == ScopeKind::Class
                && enclosing.params.first().is_some_and(|p| p == object_name) =>
        {
            Some(class)
        }
        _ => context
            .scopes
            .scope(ScopeId(0))
            .children
            .iter()
            .copied()
            .find(|&c| {
                let child = context.scopes.scope(c);
                child.kind == ScopeKind::Class && child.name == object_name
            }),
    };
    let Some(class) = class else {
        return Vec::new();
    };
    context
        .scopes
        .scope(class)
        .children
        .iter()
        .copied()
        .filter(|&c| {
            let child = context.scopes.scope(c);
            child.kind == ScopeKind::Function && child.name == method
        })
        .collect()
}

/// The functions a function calls in this module, from its own body (comprehensions included,
/// nested definitions not: those run when called, and are found through that call).
pub fn callees(context: &Context, function: ScopeId) -> Vec<ScopeId> {
    let range = context.scopes.scope(function).range.clone();
    let Some(node) = context
        .descendant(range.clone())
        .filter(|n| n.byte_range() == range)
    else {
        return Vec::new();
    };
    let Some(body) = node.field(Field::Body) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "call" => {
                if let Some(callee) = node.field(Field::Function) {
                    found.extend(callable_scopes(context, callee));
                }
            }
            _ => {}
        }
        stack.extend(named_children(node));
    }
    found
}

/// Every use of a module-level name where it means the global; `None` when it is rebound.
pub fn global_mentions<'t>(context: &Context<'t>, target: Node<'t>) -> Option<Vec<Node<'t>>> {
    let name = context.text_of(target);
    let mut mentions = Vec::new();
    for (index, scope) in context.scopes.scopes.iter().enumerate() {
        let Some(symbol) = scope.symbol(name) else {
            continue;
        };
        if index != 0
            && !matches!(
                symbol.scope,
                NameScope::GlobalImplicit | NameScope::GlobalExplicit
            )
        {
            continue;
        }
        for occurrence in &symbol.occurrences {
            let node = context.descendant(occurrence.range.clone())?;
            match occurrence.role {
                Role::Use => mentions.push(node),
                Role::Declare => {}
                Role::Bind if node.id() == target.id() => {}
                _ => return None,
            }
        }
    }
    Some(mentions)
}

/// SQLAlchemy's session registries, thread-scoped unless given a `scopefunc`.
const SCOPED_SESSIONS: &[&str] = &[
    "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.scoping.scoped_session",
];

/// A module-level `Session = scoped_session(factory)`: calling it (`Session()`) makes a session
/// for the calling thread and keeps it in a thread-local registry until `Session.remove()`.
pub struct ScopedRegistry<'t> {
    /// The assignment.
    pub binding: Node<'t>,
    /// The bound name.
    pub name: &'t str,
    /// The calls `Session()`, each making or fetching this thread's session.
    pub uses: Vec<Node<'t>>,
    /// A `Session.remove()` (or `close_all`) somewhere in the module.
    pub removal: Option<Node<'t>>,
}

/// The thread-scoped session registries bound at module level.
pub fn scoped_registries<'t>(context: &Context<'t>) -> Vec<ScopedRegistry<'t>> {
    let mut found = Vec::new();
    for statement in context.module.statements() {
        let Some(assignment) = statement.named_child(0).filter(|a| {
            statement.kind_name() == "expression_statement" && a.kind_name() == "assignment"
        }) else {
            continue;
        };
        let (Some(target), Some(value)) = (
            assignment.field(Field::Left),
            assignment.field(Field::Right),
        ) else {
            continue;
        };
        let scoped = target.kind_name() == "identifier"
            && value.kind_name() == "call"
            && value
                .field(Field::Function)
                .and_then(|f| context.qualified_name(f))
                .is_some_and(|q| SCOPED_SESSIONS.contains(&q.as_str()))
            && value.field(Field::Arguments).is_some_and(|a| {
                crate::analysis::syntax::keyword_argument(a, context.text, "scopefunc").is_none()
            });
        if !scoped {
            continue;
        }
        let Some(mentions) = global_mentions(context, target) else {
            continue;
        };
        let mut uses = Vec::new();
        let mut removal = None;
        for mention in mentions {
            let Some(parent) = mention.parent() else {
                continue;
            };
            match parent.kind_name() {
                "call"
                    if parent
                        .field(Field::Function)
                        .is_some_and(|f| f.id() == mention.id()) =>
                {
                    uses.push(parent);
                }
                "attribute"
                    if parent
                        .field(Field::Attribute)
                        .is_some_and(|a| matches!(context.text_of(a), "remove" | "close_all")) =>
                {
                    removal = Some(parent);
                }
                _ => {}
            }
        }
        found.push(ScopedRegistry {
            binding: assignment,
            name: context.text_of(target),
            uses,
            removal,
        });
    }
    found
}

/// A set of a local's attribute right after a call that cleaned the local up, in the same
/// block: the cleanup, and the set. The set re-creates the calling thread's storage that the
/// cleanup had just let go of.
pub struct SetAfterCleanup<'t> {
    pub cleanup: Node<'t>,
    pub set: Node<'t>,
    /// The local's text, `self._locals`.
    pub local: &'t str,
}

/// Every set that follows a cleanup of its local: `manager.cleanup()` where `manager =
/// LocalManager([local, ...])`, `release_local(local)`, `local.__release_local__()`.
pub fn sets_after_cleanup<'t>(context: &Context<'t>) -> Vec<SetAfterCleanup<'t>> {
    let mut found = Vec::new();
    // The calls are found by their names in the text: walking every node of a file that only
    // says "cleanup" in a comment would cost more than the rest of the rule.
    let calls = ["cleanup", "release_local", "__release_local__"]
        .into_iter()
        .flat_map(|name| context.identifiers(name))
        .filter_map(|identifier| {
            let parent = identifier.parent()?;
            let function = match parent.kind_name() {
                "attribute" => parent,
                _ => identifier,
            };
            function.parent().filter(|call| {
                call.kind_name() == "call"
                    && call
                        .field(Field::Function)
                        .is_some_and(|f| f.id() == function.id())
            })
        });
    for node in calls {
        let locals = cleaned_locals(context, node);
        if locals.is_empty() {
            continue;
        }
        let Some(statement) = node
            .parent()
            .filter(|s| s.kind_name() == "expression_statement")
        else {
            continue;
        };
        let mut next = statement.next_named_sibling();
        while let Some(following) = next {
            next = following.next_named_sibling();
            let Some(assignment) = following.named_child(0).filter(|a| {
                following.kind_name() == "expression_statement" && a.kind_name() == "assignment"
            }) else {
                continue;
            };
            let Some(object) = assignment
                .field(Field::Left)
                .filter(|l| l.kind_name() == "attribute")
                .and_then(|l| l.field(Field::Object))
            else {
                continue;
            };
            // Only a local that outlives the call (a module-level one, or one on an instance),
            // outside test functions.
            let scope = context.scope_containing(assignment);
            let lasting = match object.kind_name() {
                "identifier" => context
                    .scopes
                    .scope(scope)
                    .symbol(context.text_of(object))
                    .is_none_or(|s| !matches!(s.scope, NameScope::Local | NameScope::Cell)),
                _ => true,
            };
            if !lasting || context.scopes.scope(scope).name.starts_with("test") {
                continue;
            }
            if let Some(local) = locals.iter().find(|l| **l == context.text_of(object)) {
                found.push(SetAfterCleanup {
                    cleanup: node,
                    set: assignment,
                    local,
                });
            }
        }
    }
    found
}

/// The locals a call cleans up, by their text.
fn cleaned_locals<'t>(context: &Context<'t>, call: Node<'t>) -> Vec<&'t str> {
    let Some(function) = call.field(Field::Function) else {
        return Vec::new();
    };
    let arguments = call
        .field(Field::Arguments)
        .map(named_children)
        .unwrap_or_default();
    let last = match function.kind_name() {
        "attribute" => function.field(Field::Attribute),
        _ => Some(function),
    }
    .map_or("", |n| context.text_of(n));
    let object = function.field(Field::Object);
    match last {
        "release_local" => arguments
            .first()
            .map(|a| context.text_of(*a))
            .into_iter()
            .collect(),
        "__release_local__" => object.map(|o| context.text_of(o)).into_iter().collect(),
        "cleanup" => {
            let Some(object) = object else {
                return Vec::new();
            };
            let values = match object.kind_name() {
                "attribute" => object
                    .field(Field::Attribute)
                    .map(|a| attribute_assignments(context, context.text_of(a)))
                    .unwrap_or_default(),
                "identifier" => resolve(context, object)
                    .into_iter()
                    .filter_map(|b| b.value)
                    .collect(),
                _ => Vec::new(),
            };
            values
                .into_iter()
                .filter(|v| {
                    v.kind_name() == "call"
                        && v.field(Field::Function)
                            .is_some_and(|f| context.text_of(f).ends_with("LocalManager"))
                })
                .filter_map(|v| v.field(Field::Arguments))
                .filter_map(|a| named_children(a).first().copied())
                .flat_map(|list| match list.kind_name() {
                    "list" | "tuple" => named_children(list),
                    _ => vec![list],
                })
                .map(|l| context.text_of(l))
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    /// The query filters pool submissions by method name in tree-sitter, before any capture is
    /// stored: its list must be [`super::SUBMITTING_METHODS`] and the two event-loop methods.
    #[test]
    fn the_query_names_the_submitting_methods() {
        let query = include_str!("../../../../queries/thread_locals.scm");
        let start = query.find("(#any-of? @pool_method").expect("the predicate");
        let end = start + query[start..].find(')').expect("its end");
        let mut listed: Vec<&str> = query[start..end].split('"').skip(1).step_by(2).collect();
        let mut expected: Vec<&str> = super::SUBMITTING_METHODS.to_vec();
        expected.extend(["run_in_executor", "to_thread"]);
        listed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }
}
