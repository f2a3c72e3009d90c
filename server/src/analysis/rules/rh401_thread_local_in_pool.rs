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
//! Also flagged, the same retention through other per-thread storage: a call of a thread-scoped
//! SQLAlchemy `scoped_session` (no `scopefunc`) bound at module level, in code a pool runs or in
//! a request handler, when nothing in the module calls its `.remove()`; and a set of a local's
//! attribute right after, in the same block, a call that cleaned the local up
//! (`manager.cleanup()` of a `LocalManager([local])`, `release_local(local)`,
//! `local.__release_local__()`): the set re-creates the storage the cleanup let go of (not in
//! test functions, nor on a local made in the call).
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

mod fixes;

use foldhash::HashMap;

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{ScopeId, ScopeKind};
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::thread_local::{
    Mention, PoolRun, ScopedRegistry, SetAfterCleanup, global_mentions, in_finally,
    instance_mentions, lazily_initialised, mention, mentions_name, pool_runs, request_handler,
    scoped_registries, sets_after_cleanup, thread_locals,
};
use crate::analysis::syntax::NodeLookups;
use fixes::context_var_fix;

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
    let mut findings = Vec::new();
    // Cheap text checks first: most files have none of these.
    if context.text_holds("cleanup") || context.text_holds("release_local") {
        findings.extend(
            sets_after_cleanup(context)
                .iter()
                .map(|set| recreated(context, set)),
        );
    }
    let registries = if context.text_holds("scoped_session") {
        scoped_registries(context)
    } else {
        Vec::new()
    };
    let locals = thread_locals(context);
    if locals.is_empty() && registries.is_empty() {
        return findings;
    }
    let (runs, copy_context) = pool_runs(context);
    findings.extend(
        registries
            .iter()
            .filter_map(|registry| scoped_session(context, registry, &runs)),
    );
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

/// `self._locals.scope = {}` right after `self._local_manager.cleanup()`.
fn recreated(context: &Context, set: &SetAfterCleanup) -> Finding {
    let line = |node: Node| context.lines.line_of(node.start_byte());
    Finding {
        level: Level::Default,
        rule: Rule::ThreadLocalInPool,
        range: set.set.byte_range(),
        message: format!(
            "`{}` (line {}) re-creates the calling thread's storage of `{}` right after `{}` \
             (line {}) released it: what it stores stays alive in the worker thread (or \
             greenlet) after its request ends, and nothing cleans it up again",
            one_line(context.text_of(set.set)),
            line(set.set),
            set.local,
            one_line(context.text_of(set.cleanup)),
            line(set.cleanup)
        ),
        related: vec![Related {
            range: set.cleanup.byte_range(),
            message: format!("`{}` is cleaned up here", set.local),
        }],
        fixes: Vec::new(),
        release_elsewhere: None,
    }
}

/// `Session()` of a thread-scoped `scoped_session` in code a pool runs, with no
/// `Session.remove()` in the module.
fn scoped_session(
    context: &Context,
    registry: &ScopedRegistry,
    runs: &HashMap<ScopeId, PoolRun>,
) -> Option<Finding> {
    if registry.removal.is_some() {
        return None;
    }
    let (site, how) = registry.uses.iter().find_map(|&site| {
        let function = context.runtime_function(site)?;
        let scope = context.scopes.scope(function);
        let how = match runs.get(&function) {
            Some(run) => format!(
                "`{}` runs in the {} (line {}), submitted on line {}",
                scope.name,
                run.pool_kind,
                run.pool_line,
                context.lines.line_of(run.submission.start_byte())
            ),
            None => format!(
                "`{}` is {}, which servers run in pooled worker threads",
                scope.name,
                request_handler(context, function)?
            ),
        };
        Some((site, how))
    })?;
    let name = registry.name;
    Some(Finding {
        level: Level::Default,
        rule: Rule::ThreadLocalInPool,
        range: site.byte_range(),
        message: format!(
            "`{name}()` (line {}) makes a session for the calling thread and `{name}`, a \
             thread-scoped `scoped_session`, keeps it in a thread-local registry: {how}, and \
             nothing calls `{name}.remove()`, so each worker thread keeps its session, with \
             every object it loaded, after the task ends",
            context.lines.line_of(site.start_byte())
        ),
        related: vec![Related {
            range: registry.binding.byte_range(),
            message: format!("`{name}` is made here"),
        }],
        fixes: Vec::new(),
        release_elsewhere: None,
    })
}

fn one_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
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
    let mentions = match target.kind_name() {
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
                if value.kind_name() == "none" || in_finally(site) {
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
        release_elsewhere: None,
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
