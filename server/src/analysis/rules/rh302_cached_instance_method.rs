//! # RH302 cached-instance-method
//!
//! ## What it does
//! Flags `functools.lru_cache` or `functools.cache` on an instance method: a `def` in a class
//! body that Python binds to the instance (not a `staticmethod` or `classmethod`, counting
//! `f = classmethod(f)` after the `def`; `__new__`, `__init_subclass__` and
//! `__class_getitem__` are implicitly static or class methods), in any decorator order, through
//! `property`, however the cache is imported or called, through an alias
//! (`memoize = functools.lru_cache(maxsize=None)` then `@memoize`), or applied by assignment in
//! the class body (`total = functools.lru_cache(maxsize=None)(_total)`). The same shape
//! flake8-bugbear's B019 and pylint's W1518 report.
//!
//! Silent for class methods, static methods and functions under a descriptor class of this
//! file whose `__get__` calls them with the class (a `classproperty`).
//!
//! A cache bounded by `maxsize` (`lru_cache()` keeps 128 by default) is reported by default only
//! when a function of the file (not a test) makes a new instance, `Class(...)`, and calls the
//! method there, and the instances hash by identity (no `__eq__` / `__hash__` in the class or a
//! same-file base, no base the file cannot see): each call then pins one more instance, up to
//! `maxsize` of them, with everything they reference.
//!
//! Reported only with `strict = true`: any other cache bounded by `maxsize`, on a class whose
//! instances are values (Enum, NamedTuple, frozen dataclass: equal
//! instances share an entry), on a class made once at module level, or one that something
//! empties (`x.total.cache_clear()`).
//!
//! ## Why is this bad?
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
//! ## Use instead
//! ```python
//! class Report:
//!     @functools.cached_property      # stored on the instance, dies with it
//!     def total(self):
//!         return sum(self.rows)
//! ```
//!
//! For a method with arguments: keep a cache per instance (a dict attribute, or
//! `self.total = functools.lru_cache()(self._total)` in `__init__`, which ties the cache's
//! lifetime to the instance), or cache a module-level function of the needed values only.
//!
//! ## Fix safety
//! Offered, unsafe, for a method that takes only `self`: the cache decorator becomes
//! `@functools.cached_property`, and every `x.total()` in the file becomes `x.total` (an import
//! of `functools` is added when nothing names it). Unsafe because `total` becomes an attribute:
//! code in other modules that calls `x.total()` must drop the `()` too. Offered only when the
//! file shows everything that changes: the cache is the method's only decorator, the method is
//! not `async` or a dunder, the class keeps an instance `__dict__` (no `__slots__`, no class
//! decorator but a `dataclass` without `slots`, no metaclass but `abc.ABCMeta`, no `NamedTuple`
//! / `TypedDict` base), no other class in the file binds the name, no string in the file spells
//! it (`getattr(x, "total")`), and every `.total` in the file is a call without arguments on
//! `self` in a method of the class or on an instance the file makes with `Class(...)`; and the
//! target version has `cached_property` (3.8). Otherwise the message says what to do.
//!
//! ## Options
//! None.

use std::ops::Range;

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::imports::{Imported, Needed};
use crate::analysis::fixes::with_import;
use crate::analysis::queries::{Captures, Family};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind};
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::function_kind::{
    self, Cache, CacheBound, Kind, Receiver, cache_application, caches_on, class_defs, class_facts,
    defining_class,
};
use crate::analysis::semantic::lifetime::Made;
use crate::analysis::semantic::unit_answers;
use crate::analysis::settings::PythonVersion;
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::syntax::{decorators, keyword_argument, named_children};

/// A cache on a method: `@cache` above its `def`, or `name = cache(def_name)` in the class body.
struct CachedMethod<'t> {
    cache: Cache<'t>,
    /// The cached `def`.
    function: Node<'t>,
    /// The name the class binds the cached method to.
    name: Node<'t>,
    /// Where to report: the decorator (with its `@`) or the assignment.
    at: Range<usize>,
    /// Whether the cache is the `def`'s decorator (the fix rewrites only those).
    decorated: bool,
}

pub(super) fn check<'t>(checker: &Checker<'_, 't>) -> Vec<Finding> {
    let context = checker.context;
    if !function_kind::may_name_caches(context) {
        return Vec::new();
    }
    // Few definitions and assignments apply a cache, and their own text says so (with the
    // imports and the module's aliases): an editor asks only in the units a keystroke changed.
    let applies_cache = |captures: &Captures<'t>| {
        captures
            .get("definition")
            .or_else(|| captures.get("cache_value"))
            .is_some_and(|node| function_kind::may_apply_cache(context, node))
    };
    let candidates = checker.matches_where(
        "RH302: a cache applied",
        Family::Caches,
        || unit_answers::module_bindings_hash(context),
        applies_cache,
    );
    let mut findings = Vec::new();
    for captures in candidates {
        let cached = if let (Some(definition), Some(name)) =
            (captures.get("definition"), captures.get("name"))
        {
            decorated(context, definition, name)
        } else if let (Some(target), Some(value)) =
            (captures.get("cache_target"), captures.get("cache_value"))
        {
            assigned(context, target, value)
        } else {
            None
        };
        let Some(cached) = cached else {
            continue;
        };
        let Some(class_node) = defining_class(cached.function) else {
            continue;
        };
        findings.push(finding(checker, &cached, class_node));
    }
    findings
}

/// `@functools.cache` (or an alias, in any decorator order) on a `def` that receives the
/// instance.
fn decorated<'t>(
    context: &Context<'t>,
    definition: Node<'t>,
    name: Node<'t>,
) -> Option<CachedMethod<'t>> {
    let function = definition.field(Field::Definition)?;
    // The decorators first: telling the function's kind reads its whole class.
    let cache = caches_on(context, function).into_iter().next()?;
    if function_kind::kind(context, function).receiver() != Some(Receiver::Instance) {
        return None;
    }
    // The whole decorator, `@` included.
    let at = cache
        .node
        .parent()
        .map_or(cache.node.byte_range(), |decorator| decorator.byte_range());
    Some(CachedMethod {
        cache,
        function,
        name,
        at,
        decorated: true,
    })
}

/// `total = functools.lru_cache(maxsize=None)(_total)` in a class body, `_total` an instance
/// method of the same class.
fn assigned<'t>(
    context: &Context<'t>,
    target: Node<'t>,
    value: Node<'t>,
) -> Option<CachedMethod<'t>> {
    // The call first: `parent()` descends from the root, and few assignments apply a cache.
    let (cache, wrapped) = cache_application(context, value)?;
    let assignment = target.parent()?;
    let body = assignment
        .parent()?
        .parent()
        .filter(|b| b.kind_name() == "block")?;
    let class = body
        .parent()
        .filter(|c| c.kind_name() == "class_definition")?;
    let wrapped_name = context.text_of(wrapped);
    let function = class_defs(class).into_iter().find(|d| {
        d.field(Field::Name)
            .is_some_and(|n| context.text_of(n) == wrapped_name)
    })?;
    if function_kind::kind(context, function) != Kind::InstanceMethod {
        return None;
    }
    Some(CachedMethod {
        cache,
        function,
        name: target,
        at: assignment.byte_range(),
        decorated: false,
    })
}

fn finding(checker: &Checker, cached: &CachedMethod, class_node: Node) -> Finding {
    let context = checker.context;
    let method = context.text_of(cached.name);
    let class_name = class_node
        .field(Field::Name)
        .map_or("", |n| context.text_of(n));
    let facts = class_facts(context, class_node);
    let classes = &checker.semantic.classes;
    let index = classes
        .classes
        .iter()
        .position(|c| c.node.id() == class_node.id());
    // Asked only when the bound and the class do not already settle the level: finding a
    // class's makings reads every call in the file.
    let making = std::cell::OnceCell::new();
    let made = || *making.get_or_init(|| index.map_or(Made::Unknown, |i| checker.semantic.made(i)));
    // Bounded, the cache still keeps up to `maxsize` instances: harm when the file makes them
    // per call and puts them in it there, and they hash by identity (no two share an entry).
    let pinned = (cached.cache.bound == CacheBound::MaxSize)
        .then(|| index.filter(|&i| hashes_by_identity(checker, i)))
        .flatten()
        .and_then(|_| made_and_cached(context, class_name, method));
    let cleared = cache_clear_call(context, method);
    let cache_name = &cached.cache.spelled;
    let mut message = format!(
        "`{cache_name}` on method `{method}` keeps every `{class_name}` it is called with \
         alive: the cache lives as long as class `{class_name}` and holds each call's \
         arguments, `self` included"
    );
    // Why it does little harm, when the code says so.
    let harmless = if cached.cache.bound == CacheBound::MaxSize && pinned.is_none() {
        Some("the cache is bounded by its `maxsize`, so it keeps at most that many".to_string())
    } else if facts.is_value() {
        Some(format!(
            "`{class_name}` is an immutable value (Enum, NamedTuple or frozen): equal instances \
             share one entry"
        ))
    } else if made().is_once() {
        Some(made().describe(context, class_name))
    } else {
        cleared.map(|call| {
            format!(
                "`{}` empties it (line {})",
                context.text_of(call),
                context.lines.line_of(call.start_byte())
            )
        })
    };
    let level = match &harmless {
        Some(reason) => Level::strict_because(&mut message, reason),
        None if pinned.is_some() => {
            let (function, call) = pinned.expect("checked");
            message.push_str(&format!(
                ": bounded by its `maxsize`, but `{}()` (line {}) makes a new `{class_name}` \
                 on every call and calls `{method}` on it, so the cache keeps the last \
                 `maxsize` of them alive, with everything they reference, after their use; \
                 nothing calls `cache_clear()`",
                context.text_of(function),
                context.lines.line_of(call.start_byte())
            ));
            Level::Default
        }
        None => {
            message.push_str(", without bound, and nothing calls `cache_clear()`");
            if !matches!(made(), Made::Unknown) {
                message.push_str(&format!("; {}", made().describe(context, class_name)));
            }
            Level::Default
        }
    };
    let class_scope = context
        .scopes
        .scope_of_node(class_node.byte_range())
        .filter(|&s| context.scopes.scope(s).kind == ScopeKind::Class);
    let fix = match class_scope {
        Some(class) if cached.decorated => cached_property_fix(
            context,
            cached.function,
            cached.name,
            cached.cache.node,
            class_node,
            class,
        ),
        _ => None,
    };
    if fix.is_none() {
        message.push_str(&suggestion(cached.function, method));
    }
    Finding {
        level,
        rule: Rule::CachedInstanceMethod,
        range: cached.at.clone(),
        message,
        related: vec![Related {
            range: cached.name.byte_range(),
            message: format!("`{method}` is an instance method: its first argument is `self`"),
        }],
        fixes: fix.into_iter().collect(),
        release_elsewhere: None,
    }
}

/// Whether instances of class `index` hash by identity: neither it nor a same-file ancestor
/// defines `__eq__` / `__hash__`, and it has no base this file cannot see.
fn hashes_by_identity(checker: &Checker, index: usize) -> bool {
    let classes = &checker.semantic.classes;
    classes.only_local_bases(index)
        && classes.lineage(index).into_iter().all(|c| {
            let facts = class_facts(checker.context, classes.classes[c].node);
            !facts.defines_equality && !facts.is_value()
        })
}

/// A function (not a test) that makes an instance, `Class(...)`, and reads `.method` in its
/// body: each of its calls puts a new instance in the method's cache. The function's name and
/// the call.
fn made_and_cached<'t>(
    context: &Context<'t>,
    class_name: &str,
    method: &str,
) -> Option<(Node<'t>, Node<'t>)> {
    let enclosing = |node: Node<'t>| {
        let mut node = node;
        while let Some(parent) = node.parent() {
            if parent.kind_name() == "function_definition" {
                return Some(parent);
            }
            node = parent;
        }
        None
    };
    let readers: Vec<Node> = context
        .attributes(method)
        .into_iter()
        .filter_map(enclosing)
        .collect();
    context
        .identifiers(class_name)
        .into_iter()
        .find_map(|name| {
            let call = name.parent().filter(|c| {
                c.kind_name() == "call"
                    && c.field(Field::Function)
                        .is_some_and(|f| f.id() == name.id())
            })?;
            let function = enclosing(call)?;
            let function_name = function.field(Field::Name)?;
            (!context.text_of(function_name).starts_with("test")
                && readers.iter().any(|r| r.id() == function.id()))
            .then_some((function_name, call))
        })
}

/// A `x.method.cache_clear()` call anywhere in the file.
fn cache_clear_call<'t>(context: &Context<'t>, method: &str) -> Option<Node<'t>> {
    context
        .identifiers("cache_clear")
        .into_iter()
        .find_map(|identifier| {
            let attribute = identifier
                .parent()
                .filter(|p| p.kind_name() == "attribute")?;
            let object = attribute.field(Field::Object)?;
            let named = match object.kind_name() {
                "attribute" => object.field(Field::Attribute)?,
                _ => object,
            };
            let call = attribute.parent().filter(|c| c.kind_name() == "call")?;
            (context.text_of(named) == method).then_some(call)
        })
}

/// What to do instead, for a finding that comes without a fix.
fn suggestion(function: Node, method: &str) -> String {
    if only_self(function).is_some() {
        format!(
            "; use `@functools.cached_property` instead and read `x.{method}` without `()` \
             (not offered as a fix: this file cannot show that every use of `.{method}` can be \
             rewritten)"
        )
    } else {
        format!(
            "; keep a cache per instance instead (e.g. \
             `self.{method} = functools.lru_cache()(self._{method})` in `__init__`), or cache a \
             module-level function of the values the method needs"
        )
    }
}

/// The name of a method's only parameter, `self`, when it takes no other.
fn only_self(function: Node) -> Option<Node> {
    match named_children(function.field(Field::Parameters)?).as_slice() {
        [only] if only.kind_name() == "identifier" => Some(*only),
        _ => None,
    }
}

/// Class bases whose classes keep no per-instance `__dict__`, which `cached_property` needs.
const DICTLESS_BASES: &[&str] = &[
    "typing.NamedTuple",
    "typing_extensions.NamedTuple",
    "typing.TypedDict",
    "typing_extensions.TypedDict",
];

/// `@functools.cached_property` in place of the cache on an argument-less method, with every
/// `x.method()` in the file made `x.method`. `None` unless the file shows that this is all that
/// changes: the method takes only `self`, is plain (no other decorator, not `async`, not a
/// dunder), its class keeps an instance `__dict__` (no `__slots__`, no class decorator but a
/// slot-less `dataclass`, no metaclass but `abc.ABCMeta`, no `NamedTuple` base), nothing else
/// in the file defines or names the method (no other class, no string such as
/// `getattr(x, "total")`), and every `.method` in the file is a call without arguments on
/// `self` in a method of the class or on an instance the file creates with `Class(...)`.
fn cached_property_fix(
    context: &Context,
    function: Node,
    name: Node,
    cache: Node,
    class_node: Node,
    class: ScopeId,
) -> Option<Fix> {
    if context.settings.target_version < PythonVersion::new(3, 8) {
        return None;
    }
    only_self(function)?;
    let is_async = function
        .child(0)
        .is_some_and(|first| first.kind_name() == "async");
    let method = context.text_of(name);
    let dunder = method.starts_with("__") && method.ends_with("__");
    if is_async || dunder || decorators(function).len() != 1 {
        return None;
    }
    if !keeps_instance_dict(context, class_node, class) {
        return None;
    }
    if !defined_once(context, class, name) {
        return None;
    }
    let mut calls = Vec::new();
    let mut stack = context.module.roots().to_vec();
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "string_content" if context.text_of(node) == method => return None,
            "attribute"
                if node
                    .field(Field::Attribute)
                    .is_some_and(|a| context.text_of(a) == method) =>
            {
                calls.push(call_without_arguments(context, node, class)?);
            }
            _ => {}
        }
        stack.extend((0..node.child_count()).filter_map(|i| node.child(i)));
    }
    let imported = cached_property_reference(context, cache.start_byte())?;
    let mut edits = vec![Edit {
        range: cache.byte_range(),
        text: imported.reference,
    }];
    edits.extend(calls.into_iter().map(|arguments| Edit {
        range: arguments,
        text: String::new(),
    }));
    Some(Fix {
        title: format!(
            "Use `@functools.cached_property` and read `.{method}` without `()` (unsafe: \
             `{method}` becomes an attribute; callers in other modules must drop the `()` too)"
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, imported.edit)?,
    })
}

/// How the fix names `functools.cached_property`: an existing `from functools import
/// cached_property` when there is one, else through `functools`.
fn cached_property_reference(context: &Context, used_at: usize) -> Option<Imported> {
    let member = Needed::Member {
        module: "functools",
        name: "cached_property",
    };
    let import = |needed| context.import(needed, used_at);
    if let Some(existing) = import(member).filter(|i| i.edit.is_none()) {
        return Some(existing);
    }
    let module = import(Needed::Module("functools"))?;
    Some(Imported {
        reference: format!("{}.cached_property", module.reference),
        edit: module.edit,
    })
}

/// Whether instances of the class get a `__dict__` for `cached_property` to store in.
fn keeps_instance_dict(context: &Context, class_node: Node, class: ScopeId) -> bool {
    if context.scopes.scope(class).symbol("__slots__").is_some() {
        return false;
    }
    let plain_dataclass = |decorator: &Node| {
        let (callable, arguments) = match decorator.kind_name() {
            "call" => (
                decorator.field(Field::Function),
                decorator.field(Field::Arguments),
            ),
            _ => (Some(*decorator), None),
        };
        callable.and_then(|c| context.qualified_name(c)).as_deref() == Some("dataclasses.dataclass")
            && arguments.is_none_or(|a| keyword_argument(a, context.text, "slots").is_none())
    };
    if !decorators(class_node).iter().all(plain_dataclass) {
        return false;
    }
    let Some(bases) = class_node.field(Field::Superclasses) else {
        return true;
    };
    named_children(bases)
        .into_iter()
        .all(|base| match base.kind_name() {
            "keyword_argument" => {
                base.field(Field::Name)
                    .is_some_and(|n| context.text_of(n) == "metaclass")
                    && base
                        .field(Field::Value)
                        .and_then(|v| context.qualified_name(v))
                        .as_deref()
                        == Some("abc.ABCMeta")
            }
            "list_splat" | "dictionary_splat" => false,
            _ => context
                .qualified_name(base)
                .is_none_or(|q| !DICTLESS_BASES.contains(&q.as_str())),
        })
}

/// Whether the method's `def` is the only thing that binds or names it in its class body, and
/// no other class in the file binds the same name (a subclass's override would stay a method).
fn defined_once(context: &Context, class: ScopeId, name: Node) -> bool {
    let scope = context.scopes.scope(class);
    let Some(symbol) = scope
        .symbols
        .iter()
        .find(|s| s.occurrences.iter().any(|o| o.range == name.byte_range()))
    else {
        return false;
    };
    if symbol.occurrences.len() != 1 {
        return false;
    }
    let method = context.text_of(name);
    context
        .scopes
        .scopes
        .iter()
        .enumerate()
        .all(|(index, other)| {
            index == class.0 || other.kind != ScopeKind::Class || other.symbol(method).is_none()
        })
}

/// For `x.method()`, with `x` an instance of the class, the byte range of `()`; `None` for any
/// other use of `.method`.
fn call_without_arguments(
    context: &Context,
    attribute: Node,
    class: ScopeId,
) -> Option<Range<usize>> {
    let call = attribute.parent().filter(|p| p.kind_name() == "call")?;
    if call.field(Field::Function)?.id() != attribute.id() {
        return None;
    }
    let arguments = call.field(Field::Arguments)?;
    if arguments.kind_name() != "argument_list" || !named_children(arguments).is_empty() {
        return None;
    }
    let object = attribute.field(Field::Object)?;
    (is_self(context, object, class) || is_instance(context, object, class))
        .then(|| arguments.byte_range())
}

/// `self` (the first parameter, never rebound) in an instance method of the class itself.
fn is_self(context: &Context, object: Node, class: ScopeId) -> bool {
    if object.kind_name() != "identifier" {
        return false;
    }
    let name = context.text_of(object);
    let method = context.scope_containing(object);
    let scope = context.scopes.scope(method);
    if scope.kind != ScopeKind::Function || scope.parent != Some(class) {
        return false;
    }
    let never_rebound = scope.symbol(name).is_some_and(|s| {
        s.occurrences
            .iter()
            .all(|o| matches!(o.role, Role::Param | Role::Use))
    });
    let receives_instance = context
        .descendant(scope.range.clone())
        .filter(|d| d.kind_name() == "function_definition" && d.byte_range() == scope.range)
        .and_then(|d| function_kind::receiver(context, d))
        .is_some_and(|(receiver, first)| {
            receiver == Receiver::Instance && context.text_of(first) == name
        });
    never_rebound && receives_instance
}

/// An instance of the class: `Class(...)`, or a name every binding of which (in the scope that
/// owns it) is `name = Class(...)`. Only for a module-level class bound once.
fn is_instance(context: &Context, object: Node, class: ScopeId) -> bool {
    match object.kind_name() {
        "call" => is_construction(context, object, class),
        "identifier" => {
            let name = context.text_of(object);
            let scope = context.scope_containing(object);
            let owner = match context.scopes.scope(scope).symbol(name).map(|s| s.scope) {
                Some(NameScope::Local) => scope,
                Some(NameScope::GlobalImplicit | NameScope::GlobalExplicit) => ScopeId(0),
                _ => return false,
            };
            let Some(symbol) = context.scopes.scope(owner).symbol(name) else {
                return false;
            };
            let only_bound_and_read = symbol.occurrences.iter().all(|o| {
                matches!(
                    o.role,
                    Role::Bind | Role::Use | Role::Declare | Role::Delete
                )
            });
            let bindings = context.bindings(owner, name);
            only_bound_and_read
                && !bindings.is_empty()
                && bindings.iter().all(|b| {
                    b.value
                        .is_some_and(|value| is_construction(context, value, class))
                })
        }
        _ => false,
    }
}

/// `Class(...)` where `Class` is the module-level class the module binds only by its `class`
/// statement.
fn is_construction(context: &Context, call: Node, class: ScopeId) -> bool {
    let scope = context.scopes.scope(class);
    if call.kind_name() != "call" || scope.parent != Some(ScopeId(0)) {
        return false;
    }
    let Some(callee) = call
        .field(Field::Function)
        .filter(|f| f.kind_name() == "identifier" && context.text_of(*f) == scope.name)
    else {
        return false;
    };
    let seen_from = context.scope_containing(callee);
    let global_here = seen_from == ScopeId(0)
        || context
            .scopes
            .scope(seen_from)
            .symbol(&scope.name)
            .is_some_and(|s| matches!(s.scope, NameScope::GlobalImplicit));
    let bound_once = context
        .scopes
        .scope(ScopeId(0))
        .symbol(&scope.name)
        .is_some_and(|s| s.occurrences.iter().filter(|o| o.role != Role::Use).count() == 1);
    global_here && bound_once
}

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::findings::{Finding, Level};
    use crate::analysis::fixes::apply_edits;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::{PythonVersion, Settings};

    fn findings(text: &str, target: PythonVersion) -> Vec<Finding> {
        let settings = Settings {
            rules: vec![Rule::CachedInstanceMethod],
            target_version: target,
            ..Settings::default()
        };
        check(text, &parse(text), &settings)
    }

    /// The text after the first finding's fix, or `None` when it has none.
    fn fixed(text: &str) -> Option<String> {
        let found = findings(text, PythonVersion::new(3, 12));
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = found[0].fixes.first()?;
        Some(apply_edits(text, &fix.edits))
    }

    const REPORT: &str = "import functools\n\nclass R:\n    @functools.cache\n    def total(self):\n        return 1\n\n    def twice(self):\n        return 2 * self.total()\n";

    #[test]
    fn argument_less_method_becomes_a_cached_property() {
        assert_eq!(
            fixed(REPORT).as_deref(),
            Some(
                "import functools\n\nclass R:\n    @functools.cached_property\n    def total(self):\n        return 1\n\n    def twice(self):\n        return 2 * self.total\n"
            )
        );
    }

    #[test]
    fn no_fix_before_python_3_8_or_when_functools_means_something_else() {
        let found = findings(REPORT, PythonVersion::new(3, 7));
        assert!(found[0].fixes.is_empty());
        assert!(
            found[0]
                .message
                .contains("use `@functools.cached_property` instead")
        );
        let shadowed = "from functools import cache\nfunctools = None\n\nclass R:\n    @cache\n    def total(self):\n        return 1\n";
        assert_eq!(fixed(shadowed), None);
    }

    fn levels(text: &str) -> Vec<Level> {
        crate::analysis::rules::levels_of(Rule::CachedInstanceMethod, text)
    }

    #[test]
    fn bounded_value_singleton_and_cleared_caches_are_strict() {
        let method = |decorator: &str, extra: &str| {
            format!(
                "import functools\nimport typing\n{extra}\nclass C{}:\n    @{decorator}\n    def f(self, x):\n        return x\n",
                if extra.contains("NT") {
                    "(typing.NamedTuple)"
                } else {
                    ""
                }
            )
        };
        assert_eq!(levels(&method("functools.cache", "")), [Level::Default]);
        assert_eq!(
            levels(&method("functools.lru_cache(maxsize=None)", "")),
            [Level::Default]
        );
        assert_eq!(levels(&method("functools.lru_cache", "")), [Level::Strict]);
        assert_eq!(
            levels(&method("functools.lru_cache(maxsize=64)", "")),
            [Level::Strict]
        );
        assert_eq!(levels(&method("functools.cache", "# NT")), [Level::Strict]);
        let once = format!("{}c = C()\n", method("functools.cache", ""));
        assert_eq!(levels(&once), [Level::Strict]);
        let cleared = format!("{}C.f.cache_clear()\n", method("functools.cache", ""));
        assert_eq!(levels(&cleared), [Level::Strict]);
        let per_call = format!(
            "{}def handle():\n    return C().f(1)\n",
            method("functools.cache", "")
        );
        assert_eq!(levels(&per_call), [Level::Default]);
    }

    #[test]
    fn aliases_and_assignments_are_caches_too() {
        let alias = "import functools\nmemo = functools.lru_cache(maxsize=None)\nclass C:\n    @memo\n    def f(self):\n        return 1\n";
        assert_eq!(levels(alias), [Level::Default]);
        let assigned = "import functools\nclass C:\n    def _f(self):\n        return 1\n    f = functools.lru_cache(maxsize=None)(_f)\n";
        assert_eq!(levels(assigned), [Level::Default]);
        let class_method = "import functools\nclass C:\n    @functools.cache\n    def f(cls):\n        return 1\n    f = classmethod(f)\n";
        assert_eq!(levels(class_method), []);
    }

    #[test]
    fn methods_with_arguments_get_a_suggestion() {
        let text = "import functools\n\nclass R:\n    @functools.cache\n    def row(self, i):\n        return i\n";
        let found = findings(text, PythonVersion::new(3, 12));
        assert!(found[0].fixes.is_empty());
        assert!(
            found[0]
                .message
                .contains("keep a cache per instance instead"),
            "{}",
            found[0].message
        );
    }
}
