//! # RH302 cached-instance-method
//!
//! ## What it flags
//! `functools.lru_cache` or `functools.cache` (however imported, called or not) on an instance
//! method: a function defined in a class body that is not a `staticmethod` or `classmethod`, in
//! any decorator order (`__new__`, `__init_subclass__` and `__class_getitem__` are implicitly
//! static or class methods). Methods of `Enum` classes are exempt: their instances live as long as
//! the class anyway. The same shape flake8-bugbear's B019 and pylint's W1518 report.
//!
//! ## Why it leaks
//! The cache belongs to the function, which lives as long as the class, usually the whole
//! process. Each entry holds the call's arguments, `self` included, so every instance the method
//! was ever called on stays alive, with everything it references. `maxsize` bounds how many,
//! not how long: up to `maxsize` instances are kept until evicted.
//!
//! ## Example
//! ```python
//! import functools
//!
//! class Report:
//!     def __init__(self, rows):
//!         self.rows = rows            # large
//!
//!     @functools.lru_cache(maxsize=None)
//!     def total(self):            # every Report ever totalled stays alive
//!         return sum(self.rows)
//! ```
//!
//! ## Fix
//! For a method without arguments, `functools.cached_property` stores the result on the
//! instance, which then dies normally. Otherwise keep a cache per instance (a dict attribute,
//! or `self.total = functools.lru_cache()(self._total)` in `__init__`, which ties the cache's
//! lifetime to the instance), or cache a module-level function of the needed values only.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Related};
use crate::analysis::queries::Family;
use crate::analysis::rules::Rule;
use crate::analysis::scope::ScopeKind;
use crate::analysis::syntax::{decorators, named_children};

const CACHES: &[&str] = &["functools.lru_cache", "functools.cache"];
/// Methods Python makes static (`__new__`) or class methods without a decorator.
const IMPLICIT_CLASS_OR_STATIC: &[&str] = &["__new__", "__init_subclass__", "__class_getitem__"];
const ENUM_BASES: &[&str] = &[
    "enum.Enum",
    "enum.IntEnum",
    "enum.StrEnum",
    "enum.Flag",
    "enum.IntFlag",
    "enum.ReprEnum",
];

pub(super) fn check(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for captures in context.matches(Family::Caches) {
        let (Some(definition), Some(name)) = (captures.get("definition"), captures.get("name"))
        else {
            continue;
        };
        let Some(function) = definition.child_by_field_name("definition") else {
            continue;
        };
        // The scope model decides whether this def is a method: its scope's parent is a class.
        let Some(scope) = context.scopes.scope_of_node(function.byte_range()) else {
            continue;
        };
        let Some(class) = context
            .scopes
            .scope(scope)
            .parent
            .map(|p| context.scopes.scope(p))
        else {
            continue;
        };
        if class.kind != ScopeKind::Class {
            continue;
        }
        let method = context.text_of(name);
        let decorators = decorators(function);
        if IMPLICIT_CLASS_OR_STATIC.contains(&method)
            || decorators
                .iter()
                .any(|d| is_builtin(context, *d, &["staticmethod", "classmethod"]))
        {
            continue;
        }
        let Some((cache, cache_name)) = decorators
            .iter()
            .find_map(|d| cache_decorator(context, *d).map(|name| (*d, name)))
        else {
            continue;
        };
        let class_node = context
            .tree
            .root_node()
            .descendant_for_byte_range(class.range.start, class.range.end);
        if class_node.is_some_and(|node| is_enum(context, node)) {
            continue;
        }
        // The whole decorator, `@` included.
        let range = cache
            .parent()
            .map_or(cache.byte_range(), |decorator| decorator.byte_range());
        findings.push(Finding {
            rule: Rule::CachedInstanceMethod,
            range,
            message: format!(
                "`{cache_name}` on method `{method}` keeps every `self` it is called with alive: \
                 the cache lives as long as class `{}` and holds each call's arguments",
                class.name
            ),
            related: vec![Related {
                range: name.byte_range(),
                message: format!("`{method}` is an instance method: its first argument is `self`"),
            }],
            fixes: Vec::new(),
        });
    }
    findings
}

/// The cache a decorator applies, `@functools.cache` or `@functools.lru_cache(...)`.
fn cache_decorator(context: &Context, decorator: Node) -> Option<String> {
    let callable = if decorator.kind() == "call" {
        decorator.child_by_field_name("function")?
    } else {
        decorator
    };
    context
        .qualified_name(callable)
        .filter(|name| CACHES.contains(&name.as_str()))
}

/// Whether `node` is one of the builtins `names`, not rebound by an import.
fn is_builtin(context: &Context, node: Node, names: &[&str]) -> bool {
    node.kind() == "identifier"
        && names.contains(&context.text_of(node))
        && context.qualified_name(node).is_none()
}

/// Whether a class derives from an `enum` base (directly, as this file can tell).
fn is_enum(context: &Context, class: Node) -> bool {
    let Some(bases) = class.child_by_field_name("superclasses") else {
        return false;
    };
    named_children(bases).into_iter().any(|base| {
        context
            .qualified_name(base)
            .is_some_and(|name| ENUM_BASES.contains(&name.as_str()))
    })
}
