//! # RH303 default-argument-cache
//!
//! ## What it does
//! Flags a mutable default argument (`{}`, `[]`, `set()`, `dict()`, `list()`,
//! `collections.defaultdict(...)`, `OrderedDict()`, `Counter()`, `deque()` without `maxlen`)
//! that the function's body adds to (`cache[key] = value`, `.setdefault`, `.update`, `.add`,
//! `.append`, `.extend`, `.insert`) and never takes anything out of (no `del cache[key]`,
//! `.pop`, `.popitem`, `.clear`, `.remove`, `.discard`, no size check such as
//! `if len(cache) > N:`), with keys or items that come from the function's other arguments.
//! Most often a memo: `def synopsis(filename, cache={})`.
//!
//! Silent when the parameter is rebound in the body (`cache = dict(cache)`), when a nested
//! function captures it, when something empties or bounds it, and when every key is a literal
//! (a fixed key set only replaces).
//!
//! Reported only with `strict = true`: the same shape in a nested function (its defaults are
//! made again each time the enclosing function runs, so the cache lives as long as that
//! function object), in a test function, or with keys that do not come from the function's
//! arguments.
//!
//! ## Why is this bad?
//! Python evaluates a default once, when the `def` runs. Every call that does not pass the
//! argument shares that one object, which lives as long as the function: for a module-level
//! function or a method, the whole process. Each distinct key a caller ever asked about stays
//! in it, with everything its value references, and nothing evicts it.
//!
//! ## Example
//! ```python
//! def synopsis(filename, cache={}):
//!     mtime = os.stat(filename).st_mtime
//!     lastupdate, result = cache.get(filename, (None, None))
//!     if lastupdate is None or lastupdate < mtime:
//!         result = read_first_line(filename)
//!         cache[filename] = (mtime, result)   # one entry per file ever asked about
//!     return result
//! ```
//!
//! ## Use instead
//! ```python
//! @functools.lru_cache(maxsize=256)
//! def _synopsis(filename, mtime):
//!     return read_first_line(filename)
//!
//! def synopsis(filename):
//!     return _synopsis(filename, os.stat(filename).st_mtime)
//! ```
//!
//! or keep the cache in an object whose lifetime is the work's (a dict created per request),
//! or bound it (evict when `len(cache)` passes a limit).
//!
//! ## Fix safety
//! No fix is offered: turning the memo into `functools.lru_cache` changes which calls compute
//! (and callers that pass their own `cache=` would break), so the message says what to do.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::queries::{Captures, Family};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{Role, Scope, ScopeId, ScopeKind};
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::containers::{
    ContainerUse, added_only_when_empty, container_use, depends_on_arguments, growing_container,
    growing_methods, is_keyed, is_literal, made_instance,
};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

pub(super) fn check<'t>(checker: &Checker<'_, 't>) -> Vec<Finding> {
    let context = checker.context;
    let mut findings = Vec::new();
    // Most functions have no default: their parameters' text says so for less than listing
    // them, and an editor asks only in the units a keystroke changed.
    let defaults = |captures: &Captures<'t>| {
        captures
            .get("function")
            .and_then(|definition| definition.field(Field::Parameters))
            .filter(|p| context.text_of(*p).contains('='))
    };
    // Every `def`, as the queries found it: cheaper than finding each function scope's node.
    let definitions = checker.matches_where(
        "RH303: a definition with defaults",
        Family::Closures,
        || 0,
        |captures| defaults(captures).is_some(),
    );
    for captures in definitions {
        let (Some(definition), Some(parameters)) = (captures.get("function"), defaults(captures))
        else {
            continue;
        };
        let Some(index) = context.scopes.scope_of_node(definition.byte_range()) else {
            continue;
        };
        let scope = context.scopes.scope(index);
        if scope.kind != ScopeKind::Function {
            continue;
        }
        for parameter in named_children(parameters) {
            if !matches!(
                parameter.kind_name(),
                "default_parameter" | "typed_default_parameter"
            ) {
                continue;
            }
            let (Some(name), Some(default)) =
                (parameter.field(Field::Name), parameter.field(Field::Value))
            else {
                continue;
            };
            let grown = match growing_container(context, default) {
                Some(container) => Grown::Container(container),
                None => match made_instance(context, default) {
                    Some(class) => Grown::Object(class, growing_methods(context, class)),
                    None => continue,
                },
            };
            if let Some(finding) = default_cache(context, index, scope, name, default, &grown) {
                findings.push(finding);
            }
        }
    }
    findings
}

/// What a default is that calls can grow.
enum Grown<'t> {
    /// A container, by its short name.
    Container(&'static str),
    /// An instance of a class of this file, with the methods that add to one of its container
    /// attributes (and the attribute).
    Object(Node<'t>, Vec<(&'t str, &'t str)>),
}

/// What one mention of the parameter does: `Some((statement, key))` for an add.
fn grows<'t>(
    context: &Context<'t>,
    node: Node<'t>,
    grown: &Grown<'t>,
) -> Option<Option<(Node<'t>, Node<'t>)>> {
    match grown {
        Grown::Container(_) => match container_use(context, node) {
            ContainerUse::Add { statement, key } => Some(Some((statement, key))),
            ContainerUse::Remove | ContainerUse::SizeCheck => None,
            ContainerUse::Other => Some(None),
        },
        // `graph.activity(commit)`, `activity` adding to `self.records`.
        Grown::Object(_, methods) => {
            let call = node
                .parent()
                .filter(|p| p.kind_name() == "attribute")
                .filter(|a| {
                    a.field(Field::Attribute).is_some_and(|m| {
                        methods.iter().any(|(name, _)| *name == context.text_of(m))
                    })
                })
                .and_then(|a| a.parent())
                .filter(|c| c.kind_name() == "call");
            Some(call.map(|call| {
                let key = call
                    .field(Field::Arguments)
                    .and_then(|a| named_children(a).first().copied())
                    .unwrap_or(call);
                (call, key)
            }))
        }
    }
}

/// The finding for the mutable default `name=default` of a function, if its body grows it.
fn default_cache(
    context: &Context,
    function: ScopeId,
    scope: &Scope,
    name: Node,
    default: Node,
    grown: &Grown,
) -> Option<Finding> {
    let container = match grown {
        Grown::Container(container) => container.to_string(),
        Grown::Object(class, _) => format!(
            "`{}`",
            class.field(Field::Name).map_or("", |n| context.text_of(n))
        ),
    };
    let parameter = context.text_of(name);
    let symbol = scope.symbol(parameter)?;
    if scope.cellvars.iter().any(|c| c == parameter) {
        return None;
    }
    let mut adds = Vec::new();
    let mut read = false;
    for occurrence in &symbol.occurrences {
        match occurrence.role {
            Role::Param => continue,
            Role::Use => {}
            // Rebound or deleted in the body: not the default any more.
            _ => return None,
        }
        let node = context.descendant(occurrence.range.clone())?;
        match grows(context, node, grown)? {
            Some(add) => adds.push(add),
            None => read = true,
        }
    }
    let keyed = matches!(grown, Grown::Container(c) if is_keyed(c));
    // Literal keys only replace; an add under `if not cache:` fills it once.
    adds.retain(|&(statement, key)| {
        !(added_only_when_empty(context, statement, parameter) || keyed && is_literal(key))
    });
    let (first_add, _) = *adds.first()?;
    let function_name = &scope.name;
    let from_arguments = adds
        .iter()
        .any(|(_, key)| depends_on_arguments(context, function, *key, &[parameter]));
    let line = |node: Node| context.lines.line_of(node.start_byte());
    let what = if read && keyed {
        "a memo"
    } else {
        "an accumulator"
    };
    let mut message = format!(
        "`{}` (a {container}, line {}) is evaluated once, when `{function_name}` is defined, and \
         every call shares it: `{function_name}` uses it as {what}, adding to it \
         (`{}`, line {}) and never removing entries, so it keeps one entry per distinct {} for \
         as long as the function lives",
        context.text_of(name.parent().unwrap_or(name)),
        line(default),
        snippet(context, first_add),
        line(first_add),
        if keyed { "key" } else { "call" },
    );
    let nested = enclosing_function(context, scope);
    let harmless = if let Some(outer) = nested {
        Some(format!(
            "the default is made again each time `{outer}()` runs, so it lives as long as that \
             `{function_name}`"
        ))
    } else if function_name.starts_with("test") {
        Some("a test function".to_string())
    } else if !from_arguments {
        Some(format!(
            "the keys do not come from `{function_name}`'s arguments"
        ))
    } else {
        None
    };
    let level = match harmless {
        Some(reason) => Level::strict_because(&mut message, &reason),
        None => {
            message.push_str(match grown {
                Grown::Container(_) => {
                    " (the process, for a module-level function); cache in \
                     `functools.lru_cache(maxsize=...)` instead, or pass a cache whose lifetime \
                     is the work's"
                }
                Grown::Object(..) => {
                    " (the process, for a module-level function); default to `None` and make \
                     one per call instead"
                }
            });
            Level::Default
        }
    };
    Some(Finding {
        rule: Rule::DefaultArgumentCache,
        range: name.parent().unwrap_or(name).byte_range(),
        message,
        related: adds
            .iter()
            .map(|(statement, _)| Related {
                range: statement.byte_range(),
                message: format!("`{function_name}` adds to `{parameter}` here"),
            })
            .collect(),
        fixes: Vec::new(),
        level,
        release_elsewhere: None,
    })
}

/// The function (by name) whose every call makes `scope`'s `def` run again, if it is nested.
fn enclosing_function<'c>(context: &'c Context, scope: &Scope) -> Option<&'c str> {
    let mut parent = scope.parent;
    while let Some(id) = parent {
        let outer = context.scopes.scope(id);
        if outer.kind.is_function_like() {
            return Some(&outer.name);
        }
        parent = outer.parent;
    }
    None
}

/// A statement's first line, for a message.
fn snippet<'t>(context: &Context<'t>, node: Node) -> &'t str {
    context
        .text_of(node)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
}

#[cfg(test)]
mod tests {
    use crate::analysis::findings::Level;
    use crate::analysis::rules::Rule;

    fn levels(text: &str) -> Vec<Level> {
        crate::analysis::rules::levels_of(Rule::DefaultArgumentCache, text)
    }

    #[test]
    fn strict_reports_nested_tests_and_keys_not_from_arguments() {
        let nested = "def outer():\n    def f(x, cache={}):\n        cache[x] = 1\n    return f\n";
        assert_eq!(levels(nested), [Level::Strict]);
        let test = "def test_memo(x, cache={}):\n    cache[x] = 1\n";
        assert_eq!(levels(test), [Level::Strict]);
        let clock = "import time\ndef stamp(log=[]):\n    log.append(time.time())\n";
        assert_eq!(levels(clock), [Level::Strict]);
        let memo = "def f(x, cache={}):\n    if x not in cache:\n        cache[x] = [x] * 10\n    return cache[x]\n";
        assert_eq!(levels(memo), [Level::Default]);
    }
}
