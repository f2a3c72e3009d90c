//! # RH401 thread-local-in-pool
//!
//! ## What it does
//! Flags the set of an attribute of a module-level `threading.local()` (however imported, or an
//! instance of a `threading.local` subclass defined in the module) in a function the same module
//! runs in a thread pool, while nothing deletes that attribute (`del local.x`,
//! `delattr(local, "x")`, or `local.x = None`). The pool must be visible: the module creates a
//! `concurrent.futures.ThreadPoolExecutor` or `multiprocessing.pool.ThreadPool` and submits to it
//! (`submit`, `map`, `apply_async`, `imap`, `starmap`, ...), or hands the function to
//! `loop.run_in_executor` or `asyncio.to_thread`; the setting function is the submitted one or
//! one it calls in the same module (by name, or `self.method()`).
//!
//! Not flagged: the per-thread resource idiom, an attribute set only when it is missing
//! (`if not hasattr(local, "conn"): local.conn = connect()`, or in an `except AttributeError`
//! handler, or `local.x = local.x or make()`): one object per worker, reused by every task, is
//! what a thread-local is for. Nor an attribute reset in a `finally:` block (the save-and-restore
//! idiom), nor a local that is passed to other code, which may clear it.
//!
//! Also flagged: a `threading.local()` kept on an instance (`self._local = threading.local()`)
//! whose attribute is set by a method the instance runs in its own pool, and a module-level
//! local set in a request handler, which a WSGI/ASGI server or framework runs in its worker
//! threads (a `(environ, start_response)` or `(scope, receive, send)` signature, a `request`
//! parameter, a `handle_request` or middleware function). The finding is on the set.
//!
//! ## Why is this bad?
//! Pool threads are not created per task: a `ThreadPoolExecutor` keeps its workers until it is
//! shut down, and the event loop's default executor lives as long as the loop. A thread-local's
//! attributes are freed only when their thread ends, so the value a task stores there (a request,
//! a result, a large buffer) stays alive after the task has finished, in every worker thread,
//! until that worker happens to run another task that overwrites it. The next task on that
//! thread also sees the previous task's value.
//!
//! ## Example
//! ```python
//! import threading
//! from concurrent.futures import ThreadPoolExecutor
//!
//! _context = threading.local()
//!
//! def handle(request):
//!     _context.request = request      # stays alive in the worker after handle() returns
//!     return process()
//!
//! def serve(requests):
//!     with ThreadPoolExecutor(max_workers=8) as pool:
//!         return list(pool.map(handle, requests))
//! ```
//!
//! ## Use instead
//! ```python
//! import contextvars
//!
//! current_request = contextvars.ContextVar("current_request")
//!
//! def handle(request):
//!     token = current_request.set(request)
//!     try:
//!         return process()
//!     finally:
//!         current_request.reset(token)   # nothing left behind in the worker
//! ```
//!
//! ## Fix safety
//! Offered (unsafe) when every pool submission in the file is `asyncio.to_thread`, which runs
//! each task in a copy of the caller's context, so that a context variable set by the task goes
//! with it: `name = threading.local()` becomes one `contextvars.ContextVar` per attribute,
//! named `name_attr` (`name_attr_var` when that name is taken in the file),
//! `name.attr = value` becomes `name_attr.set(value)`, a read `name.attr` becomes
//! `name_attr.get()`, and `getattr(name, "attr", default)` becomes `name_attr.get(default)`
//! (`from contextvars import ContextVar` is added when nothing names it). Unsafe because a
//! value then lives in the context, not the thread: a new thread, or a task run in a copied
//! context, starts without it, and reading an unset one raises `LookupError`, not
//! `AttributeError`. Offered only when every use of the local in the file is such a plain set,
//! read or `getattr` outside a `try` block: no `hasattr`, `del`, `setattr`, `vars()`, tuple or
//! augmented assignment, no passing the local around, no subclass of `threading.local`.
//! Not offered for a `ThreadPoolExecutor`, `ThreadPool` or `run_in_executor`: their workers run
//! every task in the worker's own context, where a context variable set by a task outlives it
//! exactly as the attribute does.
//!
//! By hand: set a `contextvars.ContextVar` and reset it when the task ends
//! (`token = current_request.set(request)` ... `current_request.reset(token)` in a `finally`),
//! or delete the attribute in a `finally` block (`del _context.request`), or pass the value as
//! an argument.
//!
//! ## Options
//! None.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::analysis::context::{Binding, Context};
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, with_import};
use crate::analysis::queries::Family;
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind};
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::named_children;

const THREAD_LOCALS: &[&str] = &["threading.local", "_threading_local.local"];
const THREAD_POOLS: &[&str] = &[
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor",
    "multiprocessing.pool.ThreadPool",
    "multiprocessing.dummy.Pool",
];
/// Pool methods whose first argument runs in a worker thread.
const SUBMITTING_METHODS: &[&str] = &[
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
/// Builtins that only look at the local.
const READING_BUILTINS: &[&str] = &["getattr", "hasattr", "isinstance", "id", "repr", "type"];

/// A function run in a pool thread, and how it got there.
#[derive(Clone, Copy)]
struct PoolRun<'t> {
    /// The call that hands a function to the pool.
    submission: Node<'t>,
    /// The function handed over.
    submitted: ScopeId,
    /// What the pool is, for the message: "`ThreadPoolExecutor` (line 20)".
    pool_line: usize,
    pool_kind: &'static str,
}

/// Why a function runs in a pooled thread.
#[derive(Clone)]
enum Run<'t> {
    /// It is submitted to a pool in this module, or called by a function that is.
    Pool(PoolRun<'t>),
    /// It is a request handler (the function, and what says so), which a WSGI/ASGI server or
    /// framework runs in its worker threads.
    Handler(ScopeId, String),
}

/// One `local.attr = value` in code a pool runs.
struct PooledSet<'t> {
    attribute: &'t str,
    site: Node<'t>,
    value: Node<'t>,
    setter: ScopeId,
    run: Run<'t>,
}

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let locals = thread_locals(context);
    if locals.is_empty() {
        return Vec::new();
    }
    let (runs, copy_context) = pool_runs(context);
    let mut findings = Vec::new();
    for (binding, target) in locals {
        if let Some(mut finding) = check_local(context, binding, target, &runs) {
            // A pool's worker runs tasks in the thread's own context: a context variable set
            // there outlives the task just as the attribute did. Only a submission that runs
            // each task in a copy of the context (`asyncio.to_thread`) lets the value go.
            if copy_context {
                finding
                    .fixes
                    .extend(context_var_fix(context, binding, target));
            }
            findings.push(finding);
        }
    }
    findings
}

/// Module-level `name = threading.local()` (or a subclass defined here): the assignment and
/// the bound name.
fn thread_locals<'t>(context: &Context<'t>) -> Vec<(Node<'t>, Node<'t>)> {
    let mut subclasses: Vec<&str> = Vec::new();
    for captures in context.matches(Family::ThreadLocals) {
        let (Some(class), Some(name)) = (
            captures.get("local_class"),
            captures.get("local_class_name"),
        ) else {
            continue;
        };
        let Some(bases) = class.child_by_field_name("superclasses") else {
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
        let Some(assignment) = call.parent().filter(|p| p.kind() == "assignment") else {
            return;
        };
        let Some(target) = assignment.child_by_field_name("left") else {
            return;
        };
        let at_module =
            target.kind() == "identifier" && context.scope_containing(assignment) == ScopeId(0);
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
        let mut stack = vec![context.tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == "call"
                && let Some(function) = node.child_by_field_name("function")
                && function.kind() == "identifier"
                && subclasses.contains(&context.text_of(function))
            {
                consider(node);
            }
            stack.extend(named_children(node));
        }
    }
    locals
}

fn check_local<'t>(
    context: &Context<'t>,
    binding: Node<'t>,
    target: Node<'t>,
    runs: &HashMap<ScopeId, PoolRun<'t>>,
) -> Option<Finding> {
    let name = context.text_of(target);
    let mut sets: Vec<(&str, Node, Node)> = Vec::new();
    let mut released: Vec<&str> = Vec::new();
    let mentions = match target.kind() {
        "identifier" => global_mentions(context, target)?,
        _ => instance_mentions(context, target)?,
    };
    for node in mentions {
        match mention(context, node) {
            Mention::Set {
                attribute,
                site,
                value,
            } => {
                // `= None`, or a reset in a `finally:` (restoring the previous value), ends
                // what the task stored.
                if value.kind() == "none" || in_finally(site) {
                    released.push(attribute);
                } else {
                    sets.push((attribute, site, value));
                }
            }
            Mention::Delete(attribute) => released.push(attribute),
            Mention::Read => {}
            // Deleted or cleared wholesale, or handed to code we cannot see.
            Mention::DeleteAll | Mention::Escape => return None,
        }
    }
    let mut pooled: Vec<PooledSet> = Vec::new();
    for (attribute, site, value) in sets {
        if released.contains(&attribute)
            || lazily_initialised(context, site, target)
            || mentions_name(context, value, name)
        {
            continue;
        }
        let Some(setter) = context.runtime_function(site) else {
            continue;
        };
        let run = runs
            .get(&setter)
            .copied()
            .map(Run::Pool)
            .or_else(|| request_handler(context, setter).map(|why| Run::Handler(setter, why)));
        if let Some(run) = run {
            pooled.push(PooledSet {
                attribute,
                site,
                value,
                setter,
                run,
            });
        }
    }
    let first = pooled.first()?;
    let function_name = |scope: ScopeId| -> String {
        let scope = context.scopes.scope(scope);
        if scope.kind == ScopeKind::Lambda {
            format!("a lambda (line {})", scope.first_line)
        } else {
            format!("`{}` (line {})", scope.name, scope.first_line)
        }
    };
    let setter = function_name(first.setter);
    let (how, pool) = match &first.run {
        Run::Pool(run) => {
            let submitted = function_name(run.submitted);
            let how = if first.setter == run.submitted {
                format!("{setter} sets it and runs in the pool")
            } else {
                format!("{setter} sets it and is called by {submitted}, which runs in the pool")
            };
            (
                format!(
                    "{how}, submitted on line {}",
                    context.lines.line_of(run.submission.start_byte())
                ),
                format!(" of the {} (line {})", run.pool_kind, run.pool_line),
            )
        }
        Run::Handler(handler, why) => (
            format!(
                "{} is {why}, which servers run in pooled worker threads",
                function_name(*handler)
            ),
            String::new(),
        ),
    };
    let mut attributes: Vec<&str> = Vec::new();
    for set in &pooled {
        if !attributes.contains(&set.attribute) {
            attributes.push(set.attribute);
        }
    }
    let others = match &attributes[1..] {
        [] => String::new(),
        rest => format!(
            " (so do {})",
            rest.iter()
                .map(|a| format!("`{name}.{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let message = format!(
        "`{name}.{}` keeps `{}` (set on line {}) alive in each worker thread{pool} after its \
         task ends: {how}, and nothing deletes the attribute{others}",
        first.attribute,
        short(context.text_of(first.value)),
        context.lines.line_of(first.site.start_byte()),
    );
    let mut related = Vec::new();
    for set in &pooled {
        related.push(Related {
            range: set.site.byte_range(),
            message: format!(
                "{} sets `{name}.{}` here, in a pool thread",
                function_name(set.setter),
                set.attribute
            ),
        });
    }
    let mut submissions: Vec<usize> = Vec::new();
    for set in &pooled {
        if let Run::Pool(run) = &set.run
            && !submissions.contains(&run.submission.id())
        {
            submissions.push(run.submission.id());
            related.push(Related {
                range: run.submission.byte_range(),
                message: format!(
                    "{} is submitted to the {} here",
                    function_name(run.submitted),
                    run.pool_kind
                ),
            });
        }
    }
    related.push(Related {
        range: binding.byte_range(),
        message: format!("`{name}` is made here"),
    });
    Some(Finding {
        level: Level::Default,
        rule: Rule::ThreadLocalInPool,
        range: first.site.byte_range(),
        message,
        related,
        fixes: Vec::new(),
    })
}

/// An expression's text, shortened for a message.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 40 || line.len() < text.len() {
        format!("{}...", line.chars().take(37).collect::<String>())
    } else {
        line.to_string()
    }
}

/// `self.name` in a method of a class whose first parameter is `self`: the attribute's name and
/// the class scope.
fn instance_attribute<'t>(context: &Context<'t>, target: Node<'t>) -> Option<(&'t str, ScopeId)> {
    let object = target.child_by_field_name("object")?;
    let attribute = target.child_by_field_name("attribute")?;
    let method = context.scope_containing(target);
    let scope = context.scopes.scope(method);
    let class = scope.parent?;
    (target.kind() == "attribute"
        && object.kind() == "identifier"
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
fn instance_mentions<'t>(context: &Context<'t>, target: Node<'t>) -> Option<Vec<Node<'t>>> {
    let (name, class) = instance_attribute(context, target)?;
    let mut mentions = Vec::new();
    for identifier in context.identifiers(name) {
        let Some(attribute) = identifier.parent().filter(|p| {
            p.kind() == "attribute"
                && p.child_by_field_name("attribute")
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
            p.kind() == "assignment"
                && p.child_by_field_name("left")
                    .is_some_and(|l| l.id() == attribute.id())
        });
        if rebound {
            return None;
        }
        mentions.push(attribute);
    }
    Some(mentions)
}

/// Why a function looks like a request handler that a WSGI/ASGI server or framework runs in
/// its worker threads: its parameters (`environ, start_response`; `scope, receive, send`; a
/// `request`) or its name (`handle_request`, `middleware`).
fn request_handler(context: &Context, function: ScopeId) -> Option<String> {
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

/// Every use of a module-level name where it means the global; `None` when it is rebound.
fn global_mentions<'t>(context: &Context<'t>, target: Node<'t>) -> Option<Vec<Node<'t>>> {
    let name = context.text_of(target);
    let root = context.tree.root_node();
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
            let node =
                root.descendant_for_byte_range(occurrence.range.start, occurrence.range.end)?;
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

enum Mention<'t> {
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
fn mention<'t>(context: &Context<'t>, node: Node<'t>) -> Mention<'t> {
    let Some(parent) = node.parent() else {
        return Mention::Escape;
    };
    match parent.kind() {
        "attribute"
            if parent
                .child_by_field_name("object")
                .is_some_and(|o| o.id() == node.id()) =>
        {
            let attribute = parent
                .child_by_field_name("attribute")
                .map_or("", |a| context.text_of(a));
            if attribute == "__dict__" {
                return Mention::DeleteAll;
            }
            let Some(outer) = parent.parent() else {
                return Mention::Read;
            };
            let is_left = outer
                .child_by_field_name("left")
                .is_some_and(|l| l.id() == parent.id());
            match outer.kind() {
                "assignment" if is_left => match outer.child_by_field_name("right") {
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
                        .is_some_and(|g| g.kind() == "delete_statement") =>
                {
                    Mention::Delete(attribute)
                }
                _ => Mention::Read,
            }
        }
        "argument_list" => {
            let Some(call) = parent.parent().filter(|c| c.kind() == "call") else {
                return Mention::Escape;
            };
            let Some(function) = call.child_by_field_name("function") else {
                return Mention::Escape;
            };
            let callee = context.text_of(function);
            if function.kind() != "identifier" || context.qualified_name(function).is_some() {
                return Mention::Escape;
            }
            let arguments = named_children(parent);
            let attribute = arguments
                .get(1)
                .filter(|a| a.kind() == "string")
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

fn innermost_value(mut node: Node) -> Node {
    while node.kind() == "assignment" {
        match node.child_by_field_name("right") {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// Whether a set only happens when the attribute is missing: under an `if` whose condition
/// looks at the local (`if not hasattr(local, "x")`, `if getattr(local, "x", None) is None`),
/// or in an `except AttributeError` handler. That is one resource per thread, reused.
fn lazily_initialised(context: &Context, site: Node, local: Node) -> bool {
    let name = context.text_of(local);
    let mut node = site;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "function_definition" | "lambda" | "class_definition" | "module" => return false,
            "if_statement" | "elif_clause"
                if parent
                    .child_by_field_name("condition")
                    .is_some_and(|c| mentions_name(context, c, name)) =>
            {
                return true;
            }
            "except_clause"
                if context.text_of(parent).lines().next().is_some_and(|first| {
                    first
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|w| w == "AttributeError")
                }) =>
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
fn in_finally(node: Node) -> bool {
    let mut node = node;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "finally_clause" => return true,
            "function_definition" | "lambda" | "class_definition" => return false,
            _ => node = parent,
        }
    }
    false
}

fn mentions_name(context: &Context, node: Node, name: &str) -> bool {
    if matches!(node.kind(), "identifier" | "attribute") && context.text_of(node) == name {
        return true;
    }
    if node.kind() == "identifier" {
        return false;
    }
    named_children(node)
        .into_iter()
        .any(|child| mentions_name(context, child, name))
}

/// Every function a thread pool runs: those submitted to one, and those they call in this
/// module, each with the submission that leads to it.
/// Also whether every submission runs its task in a copy of the submitter's context.
fn pool_runs<'t>(context: &Context<'t>) -> (HashMap<ScopeId, PoolRun<'t>>, bool) {
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
                let pool = if executor.kind() == "none" {
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
fn thread_pool(context: &Context, expression: Node) -> Option<(&'static str, usize)> {
    let constructor = |value: Node| -> Option<(&'static str, usize)> {
        if value.kind() != "call" {
            return None;
        }
        let qualified = context.qualified_name(value.child_by_field_name("function")?)?;
        let pool = THREAD_POOLS.iter().find(|p| **p == qualified)?;
        let short = match *pool {
            "multiprocessing.pool.ThreadPool" => "`ThreadPool`",
            "multiprocessing.dummy.Pool" => "`multiprocessing.dummy.Pool`",
            _ => "`ThreadPoolExecutor`",
        };
        Some((short, context.lines.line_of(value.start_byte())))
    };
    match expression.kind() {
        "call" => constructor(expression),
        "identifier" => resolve(context, expression)
            .into_iter()
            .find_map(|b| bound_value(b).and_then(constructor)),
        "attribute" => {
            let attribute = context.text_of(expression.child_by_field_name("attribute")?);
            attribute_assignments(context, attribute)
                .into_iter()
                .find_map(constructor)
        }
        _ => None,
    }
}

/// The right-hand sides of `x.attribute = value` anywhere in the file.
fn attribute_assignments<'t>(context: &Context<'t>, attribute: &str) -> Vec<Node<'t>> {
    let mut values = Vec::new();
    let mut stack = vec![context.tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "assignment"
            && let Some(left) = node.child_by_field_name("left")
            && left.kind() == "attribute"
            && left
                .child_by_field_name("attribute")
                .is_some_and(|a| context.text_of(a) == attribute)
            && let Some(right) = node.child_by_field_name("right")
        {
            values.push(innermost_value(right));
        }
        stack.extend(named_children(node));
    }
    values
}

/// The value a binding gives its name: the right-hand side, or `value` in `with value as name`.
fn bound_value(binding: Binding) -> Option<Node> {
    if let Some(value) = binding.value {
        return Some(value);
    }
    // `node_at` gives the outermost node of the name's span, the `as_pattern_target` itself.
    let mut target = binding.target;
    if target.kind() != "as_pattern_target" {
        target = target
            .parent()
            .filter(|p| p.kind() == "as_pattern_target")?;
    }
    let as_pattern = target.parent().filter(|p| p.kind() == "as_pattern")?;
    as_pattern.named_child(0)
}

/// The bindings a name refers to where `node` uses it, following CPython's scoping.
fn resolve<'t>(context: &Context<'t>, node: Node<'t>) -> Vec<Binding<'t>> {
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
fn callable_scopes(context: &Context, expression: Node) -> Vec<ScopeId> {
    match expression.kind() {
        "lambda" => context
            .scopes
            .scope_of_node(expression.byte_range())
            .into_iter()
            .collect(),
        "identifier" => resolve(context, expression)
            .into_iter()
            .filter(|b| b.statement.kind() == "function_definition")
            .filter_map(|b| context.scopes.scope_of_node(b.statement.byte_range()))
            .collect(),
        "attribute" => method_scopes(context, expression),
        "call" => {
            let is_partial = expression
                .child_by_field_name("function")
                .and_then(|f| context.qualified_name(f))
                .is_some_and(|q| q == "functools.partial");
            match expression
                .child_by_field_name("arguments")
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
fn method_scopes(context: &Context, attribute: Node) -> Vec<ScopeId> {
    let (Some(object), Some(method)) = (
        attribute.child_by_field_name("object"),
        attribute.child_by_field_name("attribute"),
    ) else {
        return Vec::new();
    };
    if object.kind() != "identifier" {
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
fn callees(context: &Context, function: ScopeId) -> Vec<ScopeId> {
    let range = context.scopes.scope(function).range.clone();
    let Some(node) = context
        .tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end)
        .filter(|n| n.byte_range() == range)
    else {
        return Vec::new();
    };
    let Some(body) = node.child_by_field_name("body") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "call" => {
                if let Some(callee) = node.child_by_field_name("function") {
                    found.extend(callable_scopes(context, callee));
                }
            }
            _ => {}
        }
        stack.extend(named_children(node));
    }
    found
}

/// One use of the local the fix rewrites, and its new text.
struct Rewrite<'t> {
    attribute: &'t str,
    range: std::ops::Range<usize>,
    /// What goes in place of the use, around the variable's name: `(prefix, suffix)`.
    around: (String, String),
}

/// `name = threading.local()` becomes one `contextvars.ContextVar` per attribute:
/// `name.attr = value` → `name_attr.set(value)`, `name.attr` → `name_attr.get()`,
/// `getattr(name, "attr", default)` → `name_attr.get(default)`. `None` unless every use of the
/// local in the file is one of those (outside `try` blocks, whose handlers may expect an
/// `AttributeError`), and each new name is free in every scope of the file.
fn context_var_fix(context: &Context, binding: Node, target: Node) -> Option<Fix> {
    let value = binding.child_by_field_name("right")?;
    let plain_local = value.kind() == "call"
        && value
            .child_by_field_name("function")
            .and_then(|f| context.qualified_name(f))
            .is_some_and(|q| THREAD_LOCALS.contains(&q.as_str()))
        && value
            .child_by_field_name("arguments")
            .is_some_and(|a| named_children(a).is_empty());
    let statement = binding
        .parent()
        .filter(|s| s.kind() == "expression_statement" && named_children(*s).len() == 1)?;
    if !plain_local || binding.child_by_field_name("type").is_some() {
        return None;
    }
    let mut rewrites = Vec::new();
    for node in global_mentions(context, target)? {
        rewrites.push(rewrite(context, node)?);
    }
    let name = context.text_of(target);
    let mut variables: Vec<(&str, String)> = Vec::new();
    for rewrite in &rewrites {
        if variables.iter().all(|(a, _)| *a != rewrite.attribute) {
            let variable = free_name(context, name, rewrite.attribute, &variables)?;
            variables.push((rewrite.attribute, variable));
        }
    }
    if variables.is_empty() {
        return None;
    }
    let imported = context.import(
        Needed::Member {
            module: "contextvars",
            name: "ContextVar",
        },
        statement.start_byte(),
    )?;
    let lines = StatementLines::of(context.text, statement);
    let (indent, eol) = (lines.indent, lines.newline);
    let reference = &imported.reference;
    let declarations: Vec<String> = variables
        .iter()
        .map(|(_, v)| format!("{v}: {reference} = {reference}(\"{v}\")"))
        .collect();
    let mut edits = vec![Edit {
        range: binding.byte_range(),
        text: declarations.join(&format!("{eol}{indent}")),
    }];
    for rewrite in rewrites {
        let variable = &variables.iter().find(|(a, _)| *a == rewrite.attribute)?.1;
        edits.push(Edit {
            range: rewrite.range,
            text: format!("{}{variable}{}", rewrite.around.0, rewrite.around.1),
        });
    }
    let attributes: Vec<String> = variables.iter().map(|(a, _)| format!("`{a}`")).collect();
    Some(Fix {
        title: format!(
            "Replace `{name}` with a `contextvars.ContextVar` per attribute ({}) (unsafe: a value \
             lives in the context, not the thread: a new thread, or a task run in a copied \
             context, starts without it; an unset one raises `LookupError`, not \
             `AttributeError`)",
            attributes.join(", ")
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, imported.edit)?,
    })
}

/// `local_attr`, or `local_attr_var` when that is taken: a name no scope of the file uses.
fn free_name(
    context: &Context,
    local: &str,
    attribute: &str,
    taken: &[(&str, String)],
) -> Option<String> {
    let base = format!("{local}_{attribute}");
    [base.clone(), format!("{base}_var")]
        .into_iter()
        .find(|candidate| {
            context
                .scopes
                .scopes
                .iter()
                .all(|scope| scope.symbol(candidate).is_none())
                && taken.iter().all(|(_, v)| v != candidate)
        })
}

/// How one use of the local is rewritten; `None` for any use but a plain set, read or
/// `getattr` with a literal name.
fn rewrite<'t>(context: &Context<'t>, node: Node<'t>) -> Option<Rewrite<'t>> {
    let parent = node.parent()?;
    if in_try(node) {
        return None;
    }
    if parent.kind() == "argument_list" {
        let call = parent.parent().filter(|c| c.kind() == "call")?;
        let function = call.child_by_field_name("function")?;
        let builtin_getattr = function.kind() == "identifier"
            && context.text_of(function) == "getattr"
            && context.qualified_name(function).is_none()
            && context
                .scopes
                .scope(ScopeId(0))
                .symbol("getattr")
                .is_none_or(|s| s.occurrences.iter().all(|o| o.role == Role::Use));
        let arguments = named_children(parent);
        let (object, attribute, default) = match arguments.as_slice() {
            [object, attribute] => (*object, *attribute, None),
            [object, attribute, default] => (*object, *attribute, Some(*default)),
            _ => return None,
        };
        let attribute = literal_identifier(context, attribute)?;
        let plain_default = default.is_none_or(|d| {
            !matches!(
                d.kind(),
                "keyword_argument" | "list_splat" | "dictionary_splat"
            )
        });
        if !builtin_getattr || object.id() != node.id() || !plain_default {
            return None;
        }
        let default = default.map_or("", |d| context.text_of(d));
        return Some(Rewrite {
            attribute,
            range: call.byte_range(),
            around: (String::new(), format!(".get({default})")),
        });
    }
    let attribute_node = parent
        .child_by_field_name("attribute")
        .filter(|_| parent.kind() == "attribute")?;
    if parent.child_by_field_name("object")?.id() != node.id() {
        return None;
    }
    let attribute = context.text_of(attribute_node);
    if attribute.starts_with("__") {
        return None;
    }
    let outer = parent.parent()?;
    let is_left = outer
        .child_by_field_name("left")
        .is_some_and(|l| l.id() == parent.id());
    if outer.kind() == "assignment" && is_left {
        let value = outer.child_by_field_name("right")?;
        let statement_alone = outer
            .parent()
            .is_some_and(|s| s.kind() == "expression_statement" && named_children(s).len() == 1);
        if !statement_alone
            || outer.child_by_field_name("type").is_some()
            || matches!(value.kind(), "assignment" | "yield")
        {
            return None;
        }
        let value_text = context.text_of(value);
        let argument = if value.kind() == "expression_list" {
            format!("({value_text})")
        } else {
            value_text.to_string()
        };
        return Some(Rewrite {
            attribute,
            range: outer.byte_range(),
            around: (String::new(), format!(".set({argument})")),
        });
    }
    if !is_load(parent) {
        return None;
    }
    Some(Rewrite {
        attribute,
        range: parent.byte_range(),
        around: (String::new(), ".get()".to_string()),
    })
}

/// Whether an expression is read, not a target: not (inside) the left side of an assignment,
/// a loop or `with ... as` target, or a `del`.
fn is_load(expression: Node) -> bool {
    let mut node = expression;
    while let Some(parent) = node.parent() {
        let is = |field: &str| {
            parent
                .child_by_field_name(field)
                .is_some_and(|c| c.id() == node.id())
        };
        match parent.kind() {
            "parenthesized_expression"
            | "tuple"
            | "list"
            | "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "expression_list"
            | "list_splat_pattern"
            | "list_splat" => node = parent,
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                return !is("left");
            }
            "delete_statement" | "as_pattern_target" => return false,
            _ => return true,
        }
    }
    true
}

/// Whether a node is in the body of a `try` statement (in its function).
fn in_try(node: Node) -> bool {
    let mut node = node;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "try_statement" => return true,
            "function_definition" | "lambda" | "class_definition" => return false,
            _ => node = parent,
        }
    }
    false
}

/// The name in a plain string literal that spells an identifier: `"user"`.
fn literal_identifier<'t>(context: &Context<'t>, string: Node<'t>) -> Option<&'t str> {
    if string.kind() != "string" {
        return None;
    }
    let parts = named_children(string);
    let content = parts.iter().find(|p| p.kind() == "string_content")?;
    let only_content = parts
        .iter()
        .all(|p| matches!(p.kind(), "string_start" | "string_content" | "string_end"));
    let start = parts.first().map_or("", |s| context.text_of(*s));
    let plain_prefix = !start.contains(['f', 'F', 'b', 'B']);
    let text = context.text_of(*content);
    let identifier = text
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_alphabetic())
        && text.chars().all(|c| c == '_' || c.is_alphanumeric());
    (only_content && plain_prefix && identifier && !text.starts_with("__")).then_some(text)
}
