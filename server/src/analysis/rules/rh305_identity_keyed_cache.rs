//! # RH305 identity-keyed-cache
//!
//! ## What it does
//! Flags a container bound at module level or in a class body (`_cache = {}`, `set()`,
//! `defaultdict(...)`, ...) that functions add to with a key unique per object rather than
//! per value, while nothing in the file removes entries (no `del`, `.pop`, `.popitem`,
//! `.clear`, `.remove`, `.discard`, no rebinding, no `len(...)` size check):
//!
//! - `id(obj)`, alone, in a tuple, or through a local (`key = id(obj)`);
//! - an instance of a class of this file that hashes by identity (no `__eq__` / `__hash__`, no
//!   base class, no decorator such as `@dataclass`) made for the look-up: `cache[Key(a, b)]`,
//!   or `key = Key(a, b)` then `cache[key]`;
//! - `self` in an instance method of such a class (`_and_cache[self, other]`): the entry keeps
//!   the object alive and nothing else ever finds it.
//!
//! Reading a `defaultdict`, or a dict subclass of this file whose `__missing__` stores the key
//! (`self[key] = value`), adds too.
//!
//! Silent for containers local to a function (the `memo` of `copy.deepcopy` is keyed by `id`
//! on purpose and dies with the call), for instance attributes, for tables filled only while
//! the module is imported, and for containers that something empties. `RH301` stays silent on
//! the containers this rule reports.
//!
//! Silent for `d[id(obj)] = obj` (or `fid = id(frame); d[fid] = frame`): the entry keeps the
//! object, so its id stays its own; that is a registry, RH301's question.
//!
//! Reported only with `strict = true`: the same shape when every add runs in a test function,
//! and `self` keys of a class the file makes once or not at all.
//!
//! ## Why is this bad?
//! A module or class lives for the whole process, so its container keeps every entry. Keyed
//! by `id(obj)`, an entry does not keep `obj` alive: once `obj` is freed its id is reused by
//! a new object, which then finds the old entry (a wrong hit), and the entry itself is never
//! freed. Keyed by an object that hashes by identity, two equal keys are two entries: the
//! cache never hits, and grows by one entry per call.
//!
//! ## Example
//! ```python
//! _sizes = {}
//!
//! def size_of(frame):
//!     key = id(frame)
//!     if key not in _sizes:
//!         _sizes[key] = compute(frame)   # stale once `frame` is freed, never removed
//!     return _sizes[key]
//! ```
//!
//! ## Use instead
//! ```python
//! _sizes = weakref.WeakKeyDictionary()   # the entry goes when `frame` does
//!
//! def size_of(frame):
//!     if frame not in _sizes:
//!         _sizes[frame] = compute(frame)
//!     return _sizes[frame]
//! ```
//!
//! or key by a value (a tuple of the fields that matter, or a frozen dataclass with
//! `__eq__` / `__hash__`).
//!
//! ## Fix safety
//! No fix is offered: `WeakKeyDictionary` needs keys that can be weakly referenced and hash by
//! value or identity as the author intends.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, ScopeId};
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::containers::{
    ContainerUse, IdentityKey, ModuleContainer, container_use, identity_key, is_keyed,
    keeps_keyed_object,
};
use crate::analysis::semantic::lifetime::Made;
use crate::analysis::syntax::{Field, NodeLookups};

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let mut findings = Vec::new();
    for ModuleContainer {
        binding,
        target,
        container,
        ..
    } in checker.semantic.containers().iter().copied()
    {
        if !is_keyed(container) {
            continue;
        }
        if let Some(finding) = identity_keyed(checker, binding, target, container) {
            findings.push(finding);
        }
    }
    findings
}

/// The adds to `name` keyed by identity, each with the function that runs it; `None` when
/// something in the file empties or rebinds a container of that name.
fn identity_adds<'t>(
    context: &Context<'t>,
    target: Node<'t>,
    container: &str,
) -> Option<Vec<(Node<'t>, IdentityKey<'t>, ScopeId)>> {
    let name = context.text_of(target);
    let home = context.scope_containing(target);
    // A bare name means this container where it is read in its own scope, or as a global.
    let means_container = |identifier: Node| {
        let at = context.scope_containing(identifier);
        at == home
            || (home == ScopeId(0)
                && context.scopes.scope(at).symbol(name).is_some_and(|s| {
                    matches!(
                        s.scope,
                        NameScope::GlobalImplicit | NameScope::GlobalExplicit
                    )
                }))
    };
    let mut adds = Vec::new();
    for identifier in context.identifiers(name) {
        if identifier.id() == target.id() {
            continue;
        }
        // The expression that denotes the container: `name`, or `x.name`.
        let mention = match identifier.parent() {
            Some(p)
                if p.kind_name() == "attribute"
                    && p.field(Field::Attribute)
                        .is_some_and(|a| a.id() == identifier.id()) =>
            {
                p
            }
            Some(p) if p.kind_name() == "keyword_argument" => continue,
            _ if means_container(identifier) => identifier,
            _ => continue,
        };
        let rebound = mention.parent().is_some_and(|p| {
            matches!(
                p.kind_name(),
                "assignment" | "augmented_assignment" | "delete_statement"
            ) && p.field(Field::Left).is_none_or(|l| l.id() == mention.id())
        });
        if rebound {
            return None;
        }
        if escapes(mention) {
            // Aliased, passed on or returned: whoever receives it may empty it.
            return None;
        }
        let added = match container_use(context, mention) {
            ContainerUse::Remove | ContainerUse::SizeCheck => return None,
            ContainerUse::Add { statement, key } => Some((statement, key)),
            // Reading a `defaultdict` (or a dict whose `__missing__` stores) adds the key.
            ContainerUse::Other if container == "defaultdict" => mention
                .parent()
                .filter(|p| p.kind_name() == "subscript")
                .and_then(|p| Some((p, p.field(Field::Subscript)?))),
            ContainerUse::Other => None,
        };
        if let Some((statement, key)) = added
            && let Some(function) = context.runtime_function(mention)
            && let Some(identity) = identity_key(context, function, key)
            // `d[id(obj)] = obj`: the entry keeps `obj`, its id stays its own (RH301's).
            && !keeps_keyed_object(context, function, statement, key)
        {
            adds.push((statement, identity, function));
        }
    }
    Some(adds)
}

/// Whether a mention hands the container to something else: `alias = cache`, `f(cache)`,
/// `return cache`, `x.attr = cache`.
fn escapes(mention: Node) -> bool {
    let Some(parent) = mention.parent() else {
        return false;
    };
    match parent.kind_name() {
        "assignment" => parent
            .field(Field::Right)
            .is_some_and(|r| r.id() == mention.id()),
        "argument_list" | "keyword_argument" | "return_statement" | "yield" => true,
        _ => false,
    }
}

fn identity_keyed(
    checker: &Checker,
    binding: Node,
    target: Node,
    container: &str,
) -> Option<Finding> {
    let context = checker.context;
    let adds = identity_adds(context, target, container)?;
    let (first_statement, first_key, first_function) = *adds.first()?;
    let name = context.text_of(target);
    let line = |node: Node| context.lines.line_of(node.start_byte());
    let function_name = |scope: ScopeId| context.scopes.scope(scope).name.clone();
    let why = match first_key {
        IdentityKey::Id(call) => format!(
            "keyed by `{}`, which does not keep the object alive: once it is freed its id is \
             reused, the stale entry answers for a new object, and the entry is never removed",
            context.text_of(call)
        ),
        IdentityKey::Receiver(node, class) => format!(
            "keyed by `{}`, a `{}` that hashes by identity: the entry keeps the object alive, \
             and no other object ever finds it, so every one ever used stays",
            context.text_of(node),
            class_name(context, class)
        ),
        IdentityKey::Instance(call) => format!(
            "keyed by `{}`, a new object per call that hashes by identity: equal keys are \
             different entries, so the cache never hits and gains an entry per call",
            context.text_of(call)
        ),
    };
    let mut message = format!(
        "`{name}` (a {container}, line {}) lives as long as the process and is {why}: \
         `{}()` adds to it (line {}) and nothing in the module removes entries",
        line(target),
        function_name(first_function),
        line(first_statement),
    );
    let in_tests = adds
        .iter()
        .all(|(_, _, f)| function_name(*f).starts_with("test"));
    // Keyed by the objects themselves: harm when the file makes them repeatedly.
    let once = adds.iter().find_map(|(_, key, _)| match key {
        IdentityKey::Receiver(_, class) => {
            let index = checker
                .semantic
                .classes
                .classes
                .iter()
                .position(|c| c.node.id() == class.id())?;
            let made = checker.semantic.made(index);
            (!matches!(made, Made::PerCall { .. } | Made::PerConnection(_)))
                .then(|| made.describe(context, class_name(context, *class)))
        }
        _ => None,
    });
    let level = if in_tests {
        Level::strict_because(&mut message, "every add runs in a test")
    } else if let Some(once) = once {
        Level::strict_because(&mut message, &once)
    } else {
        message
            .push_str("; use `weakref.WeakKeyDictionary` keyed by the object, or key by a value");
        Level::Default
    };
    Some(Finding {
        rule: Rule::IdentityKeyedCache,
        range: binding.byte_range(),
        message,
        related: adds
            .iter()
            .map(|(statement, key, function)| Related {
                range: statement.byte_range(),
                message: format!(
                    "`{}()` adds an entry keyed by `{}` here",
                    function_name(*function),
                    context.text_of(key.node())
                ),
            })
            .collect(),
        fixes: Vec::new(),
        level,
        release_elsewhere: None,
    })
}

/// The name of a `class_definition`.
fn class_name<'t>(context: &Context<'t>, class: Node) -> &'t str {
    class.field(Field::Name).map_or("", |n| context.text_of(n))
}

#[cfg(test)]
mod tests {
    use crate::analysis::findings::Level;
    use crate::analysis::rules::Rule;

    fn levels(text: &str) -> Vec<Level> {
        crate::analysis::rules::levels_of(Rule::IdentityKeyedCache, text)
    }

    #[test]
    fn adds_in_tests_only_are_strict() {
        let text = "_seen = {}\ndef test_ids(obj):\n    _seen[id(obj)] = repr(obj)\n";
        assert_eq!(levels(text), [Level::Strict]);
        let text = "_seen = {}\ndef track(obj):\n    _seen[id(obj)] = repr(obj)\n";
        assert_eq!(levels(text), [Level::Default]);
    }
}
