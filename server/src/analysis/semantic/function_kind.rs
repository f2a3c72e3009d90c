//! What a `def` is, and what it receives: a plain function, an instance method (given the
//! instance), a class method, a static method, a property or a look-alike descriptor (a
//! decorator class of this file that defines `__get__`, such as a `classproperty`), counting
//! `f = classmethod(f)` after the `def`. Also what a class is (Enum, NamedTuple, frozen
//! dataclass, metaclass, hashed by identity), and which expressions are the standard-library
//! caches (`functools.cache`, `functools.lru_cache`), through aliases such as
//! `memoize = functools.lru_cache(maxsize=None)` and applied by assignment
//! (`total = functools.lru_cache(maxsize=None)(_total)`).
//!
//! Everything is read from this file: a decorator the file cannot see through keeps the kind
//! the `def` has without it.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::scope::{Role, ScopeId, SymbolFlags};
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::syntax::{decorators, keyword_argument, named_children};

/// Methods Python makes static (`__new__`) or class methods without a decorator.
pub const IMPLICIT_CLASS_OR_STATIC: &[&str] =
    &["__new__", "__init_subclass__", "__class_getitem__"];
/// Decorators after which a `def` in a class body is still a function, so `self.name` is a
/// bound method. Any other decorator (`property`, `cached_property`, `staticmethod`, ...) makes
/// `self.name` something else, or something this file cannot tell.
pub const FUNCTION_KEEPING_DECORATORS: &[&str] = &[
    "abc.abstractmethod",
    "typing.override",
    "typing_extensions.override",
    "typing.final",
    "typing.no_type_check",
];
/// The standard library's memoizing decorators.
const CACHES: &[&str] = &["functools.lru_cache", "functools.cache"];
/// Decorators (qualified) that make a `def` a property of the instance.
const PROPERTIES: &[&str] = &["functools.cached_property"];
const ENUM_BASES: &[&str] = &[
    "enum.Enum",
    "enum.IntEnum",
    "enum.StrEnum",
    "enum.Flag",
    "enum.IntFlag",
    "enum.ReprEnum",
];
const NAMED_TUPLE_BASES: &[&str] = &[
    "typing.NamedTuple",
    "typing_extensions.NamedTuple",
    "collections.namedtuple",
];
/// Class decorators whose classes are frozen (immutable, hashed by value).
const FROZEN_DECORATORS: &[&str] = &["attr.frozen", "attrs.frozen", "attr.define"];
/// Decorator factories that make a frozen class when given `frozen=True`.
const FREEZABLE_DECORATORS: &[&str] = &[
    "dataclasses.dataclass",
    "attr.s",
    "attr.attrs",
    "attr.define",
    "attrs.define",
];
/// How far `memoize = other_alias` chains are followed.
const ALIAS_DEPTH: usize = 3;

/// What a function is, as its callers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Not in a class body: a module-level or nested function.
    Function,
    /// A `def` in a class body that Python binds to the instance.
    InstanceMethod,
    ClassMethod,
    StaticMethod,
    /// `property`, `functools.cached_property`, or a descriptor class of this file whose
    /// `__get__` calls the function with the instance.
    Property,
    /// A descriptor class of this file (its decorator, by name): its `__get__` calls the
    /// function with what [`Descriptor::receiver`] says.
    Descriptor(Descriptor),
}

/// What a function receives as its first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    /// The instance (`self`).
    Instance,
    /// The class (`cls`).
    Class,
}

/// A decorator class of this file that defines `__get__`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// What its `__get__` passes to the function: the owner class (a `classproperty`), the
    /// instance, or something this file cannot tell (`None`).
    pub receiver: Option<Receiver>,
}

impl Kind {
    /// What the function gets as its first argument when called through the class or an
    /// instance; `None` for a plain or static function, or a descriptor that cannot be read.
    pub fn receiver(self) -> Option<Receiver> {
        match self {
            Kind::InstanceMethod | Kind::Property => Some(Receiver::Instance),
            Kind::ClassMethod => Some(Receiver::Class),
            Kind::Descriptor(descriptor) => descriptor.receiver,
            Kind::Function | Kind::StaticMethod => None,
        }
    }

    /// For a message: "instance method", "class method", ...
    pub fn label(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::InstanceMethod => "instance method",
            Kind::ClassMethod => "class method",
            Kind::StaticMethod => "static method",
            Kind::Property => "property",
            Kind::Descriptor(_) => "descriptor",
        }
    }
}

/// The `function_definition` of a function scope (not the block or decorated definition that
/// may span the same bytes).
pub fn definition_of<'t>(context: &Context<'t>, function: ScopeId) -> Option<Node<'t>> {
    let range = context.scopes.scope(function).range.clone();
    let mut node = context.node_at(range.clone())?;
    while node.kind_name() != "function_definition" {
        node = named_children(node)
            .into_iter()
            .find(|c| c.byte_range() == range)?;
    }
    Some(node)
}

/// The class whose body defines `definition` (a `function_definition`) directly.
pub fn defining_class(definition: Node) -> Option<Node> {
    let mut statement = definition;
    if let Some(decorated) = statement
        .parent()
        .filter(|p| p.kind_name() == "decorated_definition")
    {
        statement = decorated;
    }
    let block = statement.parent().filter(|p| p.kind_name() == "block")?;
    block
        .parent()
        .filter(|p| p.kind_name() == "class_definition")
}

/// What kind of function `definition` (a `function_definition`) is: its decorators (any
/// order), its name (`__new__` is static, `__init_subclass__` a class method), and a later
/// `name = classmethod(name)` / `staticmethod(name)` / `property(name)` in the class body.
pub fn kind(context: &Context, definition: Node) -> Kind {
    let Some(class) = defining_class(definition) else {
        return Kind::Function;
    };
    let statements = class
        .field(Field::Body)
        .map(named_children)
        .unwrap_or_default();
    method_kind(
        context,
        definition,
        &decorators(definition),
        &Rewraps::new(context, &statements),
    )
}

/// [`kind`] of a `def` in a class body whose `decorators` and the body's [`Rewraps`] the caller
/// has: what reads every method of a class finds those once for the class.
pub fn method_kind(
    context: &Context,
    definition: Node,
    decorators: &[Node],
    rewraps: &Rewraps,
) -> Kind {
    let name = definition
        .field(Field::Name)
        .map_or("", |n| context.text_of(n));
    if IMPLICIT_CLASS_OR_STATIC.contains(&name) {
        return if name == "__new__" {
            Kind::StaticMethod
        } else {
            Kind::ClassMethod
        };
    }
    let kinds: Vec<Kind> = decorators
        .iter()
        .copied()
        .chain(rewraps.after(name, definition.end_byte()))
        .filter_map(|wrapper| decorator_kind(context, wrapper))
        .collect();
    // A static or class method stays one whatever else wraps it; otherwise the outermost
    // property or descriptor decides.
    kinds
        .iter()
        .find(|k| matches!(k, Kind::StaticMethod | Kind::ClassMethod))
        .or(kinds.first())
        .copied()
        .unwrap_or(Kind::InstanceMethod)
}

/// A class body's `name = wrapper(name)` statements (`f = classmethod(f)`): which wrapper each
/// applies to which name, and where.
pub struct Rewraps<'t>(Vec<(&'t str, usize, Node<'t>)>);

impl<'t> Rewraps<'t> {
    /// Those among `statements`, a class body's.
    pub fn new(context: &Context<'t>, statements: &[Node<'t>]) -> Rewraps<'t> {
        let rewrap = |statement: Node<'t>| {
            let assignment = statement.named_child(0).filter(|a| {
                statement.kind_name() == "expression_statement" && a.kind_name() == "assignment"
            })?;
            let target = assignment.field(Field::Left)?;
            let call = assignment.field(Field::Right)?;
            let function = call.field(Field::Function)?;
            let arguments = named_children(call.field(Field::Arguments)?);
            let name = context.text_of(target);
            let wraps_itself = matches!(arguments.as_slice(),
                [only] if only.kind_name() == "identifier" && context.text_of(*only) == name);
            (call.kind_name() == "call" && target.kind_name() == "identifier" && wraps_itself)
                .then_some((name, statement.start_byte(), function))
        };
        Rewraps(statements.iter().filter_map(|&s| rewrap(s)).collect())
    }

    /// Every wrapper the statements apply (`classmethod` of `f = classmethod(f)`).
    pub fn wrappers(&self) -> impl Iterator<Item = Node<'t>> {
        self.0.iter().map(|&(_, _, wrapper)| wrapper)
    }

    /// The wrappers applied to `name` by statements from byte `from` on, in order.
    fn after(&self, name: &str, from: usize) -> impl Iterator<Item = Node<'t>> {
        self.0
            .iter()
            .filter(move |&&(wrapped, at, _)| wrapped == name && at >= from)
            .map(|&(_, _, wrapper)| wrapper)
    }
}

/// The first parameter of a function that receives an instance or a class, with which.
pub fn receiver<'t>(context: &Context<'t>, definition: Node<'t>) -> Option<(Receiver, Node<'t>)> {
    receiver_of(kind(context, definition), definition)
}

/// [`receiver`] of a function whose kind the caller has.
pub fn receiver_of(kind: Kind, definition: Node) -> Option<(Receiver, Node)> {
    let receiver = kind.receiver()?;
    let parameters = definition.field(Field::Parameters)?;
    let first = *named_children(parameters).first()?;
    let name = match first.kind_name() {
        "identifier" => first,
        "typed_parameter" => first
            .named_child(0)
            .filter(|n| n.kind_name() == "identifier")?,
        "default_parameter" | "typed_default_parameter" => first.field(Field::Name)?,
        _ => return None,
    };
    Some((receiver, name))
}

/// The kind a decorator gives a `def` in a class body; `None` for one that keeps it as it was
/// (a cache, `abc.abstractmethod`, a decorator this file cannot see through).
fn decorator_kind(context: &Context, decorator: Node) -> Option<Kind> {
    match decorator.kind_name() {
        "identifier" => named_decorator_kind(context, context.text_of(decorator)),
        // `@name.setter` / `@name.getter` / `@name.deleter` of a property.
        "attribute"
            if decorator
                .field(Field::Attribute)
                .is_some_and(|a| matches!(context.text_of(a), "setter" | "getter" | "deleter")) =>
        {
            Some(Kind::Property)
        }
        _ => context
            .qualified_name(decorator)
            .is_some_and(|q| PROPERTIES.contains(&q.as_str()))
            .then_some(Kind::Property),
    }
}

/// [`decorator_kind`] of a decorator that is a plain name. Besides the name it reads only the
/// module's imports and module-level bindings (a descriptor class of this file): what a
/// class read before must find unchanged to be reused (`classes::kept`).
pub fn named_decorator_kind(context: &Context, name: &str) -> Option<Kind> {
    let builtin = |builtin: &str| name == builtin && is_builtin_name(context, name);
    if builtin("staticmethod") {
        return Some(Kind::StaticMethod);
    }
    if builtin("classmethod") {
        return Some(Kind::ClassMethod);
    }
    if builtin("property")
        || context
            .imports
            .imported_as(name)
            .is_some_and(|q| PROPERTIES.contains(&q))
    {
        return Some(Kind::Property);
    }
    let descriptor = local_descriptor(context, name)?;
    Some(match descriptor.receiver {
        Some(Receiver::Instance) => Kind::Property,
        _ => Kind::Descriptor(descriptor),
    })
}

/// `name` as the builtin: an unqualified identifier the module does not bind or import.
pub fn is_builtin(context: &Context, node: Node, name: &str) -> bool {
    node.kind_name() == "identifier"
        && context.text_of(node) == name
        && is_builtin_name(context, name)
}

/// Whether the name `name` is the builtin's: the module does not bind or import it.
fn is_builtin_name(context: &Context, name: &str) -> bool {
    context.imports.imported_as(name).is_none()
        && context
            .scopes
            .scope(ScopeId(0))
            .symbol(name)
            .is_none_or(|s| !s.flags.contains_any(SymbolFlags::BOUND))
}

/// The class of this file a decorator names, when it defines `__get__`: a descriptor, and what
/// its `__get__` passes to the function it wraps.
fn local_descriptor(context: &Context, name: &str) -> Option<Descriptor> {
    let class = module_class(context, name)?;
    let get = class_defs(class).into_iter().find(|d| {
        d.field(Field::Name)
            .is_some_and(|n| context.text_of(n) == "__get__")
    })?;
    Some(Descriptor {
        receiver: get_receiver(context, get),
    })
}

/// The module-level class named `name`, when the module binds the name only by that `class`.
pub fn module_class<'t>(context: &Context<'t>, name: &str) -> Option<Node<'t>> {
    let bindings = context.bindings(ScopeId(0), name);
    let [binding] = bindings.as_slice() else {
        return None;
    };
    let statement = binding.statement;
    let class = match statement.kind_name() {
        "decorated_definition" => statement.field(Field::Definition)?,
        _ => statement,
    };
    (class.kind_name() == "class_definition").then_some(class)
}

/// The `def`s of a class body, decorated or not.
pub fn class_defs(class: Node) -> Vec<Node> {
    let Some(body) = class.field(Field::Body) else {
        return Vec::new();
    };
    named_children(body)
        .into_iter()
        .filter_map(|statement| match statement.kind_name() {
            "decorated_definition" => statement.field(Field::Definition),
            _ => Some(statement),
        })
        .filter(|d| d.kind_name() == "function_definition")
        .collect()
}

/// What `__get__(self, instance, owner)` passes to the function it calls: `owner` (or
/// `type(instance)`) is the class, `instance` the instance. Read from the calls in its body
/// that pass one of them first; `None` when they pass neither, or both.
fn get_receiver(context: &Context, get: Node) -> Option<Receiver> {
    let parameters = named_children(get.field(Field::Parameters)?);
    let parameter_name = |index: usize| {
        parameters.get(index).and_then(|p| match p.kind_name() {
            "identifier" => Some(context.text_of(*p)),
            "default_parameter" | "typed_parameter" | "typed_default_parameter" => p
                .field(Field::Name)
                .or_else(|| p.named_child(0))
                .map(|n| context.text_of(n)),
            _ => None,
        })
    };
    let (instance, owner) = (parameter_name(1)?, parameter_name(2));
    let mut seen = (false, false);
    let mut stack = vec![get.field(Field::Body)?];
    while let Some(node) = stack.pop() {
        if node.kind_name() == "call"
            && let Some(first) = node
                .field(Field::Arguments)
                .and_then(|a| named_children(a).first().copied())
        {
            let text = context.text_of(first);
            if Some(text) == owner || text == format!("type({instance})") {
                seen.0 = true;
            } else if text == instance {
                seen.1 = true;
            }
        }
        stack.extend(named_children(node));
    }
    match seen {
        (true, false) => Some(Receiver::Class),
        (false, true) => Some(Receiver::Instance),
        _ => None,
    }
}

/// What a class is, as far as caches and cycles care.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassFacts {
    /// Derives from an `enum` base: its instances are its members, made once.
    pub is_enum: bool,
    /// A `NamedTuple` / `namedtuple(...)`: an immutable value, hashed by value.
    pub is_named_tuple: bool,
    /// `@dataclass(frozen=True)`, `@attr.frozen`, ...: immutable, hashed by value.
    pub is_frozen: bool,
    /// Derives from `type`: its instances are classes.
    pub is_metaclass: bool,
    /// Defines `__eq__` or `__hash__` itself.
    pub defines_equality: bool,
}

impl ClassFacts {
    /// Whether equal instances are interchangeable (a value type): a cache keyed by them keeps
    /// one entry per distinct value, not one per instance made.
    pub fn is_value(&self) -> bool {
        self.is_enum || self.is_named_tuple || self.is_frozen
    }
}

/// The facts of one `class_definition`.
pub fn class_facts(context: &Context, class: Node) -> ClassFacts {
    let mut facts = ClassFacts::default();
    if let Some(bases) = class.field(Field::Superclasses) {
        for base in named_children(bases) {
            let callee = match base.kind_name() {
                "call" => base.field(Field::Function),
                "keyword_argument" => continue,
                _ => Some(base),
            };
            let qualified = callee.and_then(|c| context.qualified_name(c));
            let qualified = qualified.as_deref().unwrap_or_default();
            facts.is_enum |= ENUM_BASES.contains(&qualified);
            facts.is_named_tuple |= NAMED_TUPLE_BASES.contains(&qualified);
            facts.is_metaclass |= is_builtin(context, base, "type");
        }
    }
    for decorator in decorators(class) {
        let (callable, arguments) = match decorator.kind_name() {
            "call" => (
                decorator.field(Field::Function),
                decorator.field(Field::Arguments),
            ),
            _ => (Some(decorator), None),
        };
        let qualified = callable.and_then(|c| context.qualified_name(c));
        let qualified = qualified.as_deref().unwrap_or_default();
        let frozen_argument = arguments
            .and_then(|a| keyword_argument(a, context.text, "frozen"))
            .is_some_and(|v| v.kind_name() == "true");
        facts.is_frozen |= (FROZEN_DECORATORS.contains(&qualified) && qualified != "attr.define")
            || (FREEZABLE_DECORATORS.contains(&qualified) && frozen_argument);
    }
    facts.defines_equality = class_defs(class).iter().any(|d| {
        d.field(Field::Name)
            .is_some_and(|n| matches!(context.text_of(n), "__eq__" | "__hash__"))
    });
    facts
}

/// How many entries a cache keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheBound {
    /// `functools.cache`, `lru_cache(maxsize=None)`: every entry, forever.
    Unbounded,
    /// `lru_cache()` (128 by default) or `lru_cache(maxsize=N)`: at most that many.
    MaxSize,
}

/// A memoizing decorator: `functools.cache`, `functools.lru_cache(...)`, or a name bound to one.
#[derive(Debug, Clone)]
pub struct Cache<'t> {
    /// The decorator expression as written (`memoize`, `functools.lru_cache(maxsize=None)`).
    pub node: Node<'t>,
    /// What it is, by its qualified name: `functools.lru_cache`.
    pub spelled: String,
    pub bound: CacheBound,
}

/// The cache a decorator expression applies: `functools.cache`, `functools.lru_cache`,
/// `functools.lru_cache(maxsize=...)`, or a module-level name bound once to one of these
/// (`memoize = functools.lru_cache(maxsize=None)`).
pub fn cache_decorator<'t>(context: &Context<'t>, decorator: Node<'t>) -> Option<Cache<'t>> {
    cache_through_aliases(context, decorator, ALIAS_DEPTH, Exact::Yes).map(|(spelled, bound)| {
        Cache {
            node: decorator,
            spelled,
            bound,
        }
    })
}

/// Whether a decorated definition's decorators or a call's callee may apply a cache: what
/// [`cache_decorator`] and [`cache_application`] find, and some more, read from the expression
/// alone, the imports and the module's bindings (not the code around it, which may bind an
/// alias's name again or say what the call is applied to).
pub fn may_apply_cache(context: &Context, node: Node) -> bool {
    let may_be =
        |expression| cache_through_aliases(context, expression, ALIAS_DEPTH, Exact::No).is_some();
    match node.kind_name() {
        "decorated_definition" => decorators(node).into_iter().any(may_be),
        "call" => node.field(Field::Function).is_some_and(|function| {
            may_be(function)
                || context
                    .qualified_name(function)
                    .is_some_and(|q| CACHES.contains(&q.as_str()))
        }),
        _ => false,
    }
}

/// Whether [`cache_through_aliases`] asks what is around the expression: whether the scope
/// reading an alias binds its name again, and what a cache called with one argument is
/// applied to.
#[derive(Clone, Copy, PartialEq)]
enum Exact {
    Yes,
    No,
}

fn cache_through_aliases(
    context: &Context,
    expression: Node,
    depth: usize,
    exact: Exact,
) -> Option<(String, CacheBound)> {
    if depth == 0 {
        return None;
    }
    let (callable, arguments) = match expression.kind_name() {
        "call" => (
            expression.field(Field::Function)?,
            expression.field(Field::Arguments),
        ),
        _ => (expression, None),
    };
    if let Some(qualified) = context
        .qualified_name(callable)
        .filter(|q| CACHES.contains(&q.as_str()))
    {
        if exact == Exact::Yes && arguments.is_some_and(|a| applied_to(context, a).is_some()) {
            // `lru_cache(f)`: a cached function, not a decorator.
            return None;
        }
        let maxsize = arguments.and_then(|a| {
            keyword_argument(a, context.text, "maxsize").or_else(|| {
                named_children(a)
                    .into_iter()
                    .find(|n| n.kind_name() != "keyword_argument")
            })
        });
        let bound = match (qualified.as_str(), maxsize) {
            ("functools.cache", _) => CacheBound::Unbounded,
            (_, Some(value)) if value.kind_name() == "none" => CacheBound::Unbounded,
            _ => CacheBound::MaxSize,
        };
        return Some((qualified, bound));
    }
    if expression.kind_name() != "identifier" || context.qualified_name(expression).is_some() {
        return None;
    }
    // An alias: a module-level name bound once, never rebound in the scope that reads it.
    // The module's count of bindings first: it needs no look at the tree.
    let name = context.text_of(expression);
    let module_bindings = context
        .scopes
        .scope(ScopeId(0))
        .symbol(name)?
        .occurrences
        .iter()
        .filter(|o| o.role == Role::Bind)
        .count();
    if module_bindings != 1 {
        return None;
    }
    if exact == Exact::Yes {
        let reading_id = context.scope_containing(expression);
        if reading_id != ScopeId(0)
            && context
                .scopes
                .scope(reading_id)
                .symbol(name)
                .is_some_and(|s| s.flags.contains_any(SymbolFlags::BOUND))
        {
            return None;
        }
    }
    let bindings = context.bindings(ScopeId(0), name);
    let [binding] = bindings.as_slice() else {
        return None;
    };
    cache_through_aliases(context, binding.value?, depth - 1, exact)
}

/// The function a cache call wraps: `f` in `lru_cache(f)` / `functools.cache(f)` (a name the
/// file binds by `def`, a lambda, or an attribute such as `self._total`), rather than a
/// `maxsize` (`lru_cache(SIZE)`).
fn applied_to<'t>(context: &Context<'t>, arguments: Node<'t>) -> Option<Node<'t>> {
    let [only] = named_children(arguments)[..] else {
        return None;
    };
    let is_function = match only.kind_name() {
        "lambda" | "attribute" => true,
        "identifier" => {
            let name = context.text_of(only);
            let local = context.bindings(context.scope_containing(only), name);
            let bindings = if local.is_empty() {
                context.bindings(ScopeId(0), name)
            } else {
                local
            };
            bindings
                .iter()
                .any(|b| b.statement.kind_name() == "function_definition")
        }
        _ => false,
    };
    is_function.then_some(only)
}

/// Whether the file can name a cache at all: every cache is `functools.cache` or
/// `functools.lru_cache`, reached through an import (an alias leads back to one). When not,
/// [`cache_application`] and [`caches_on`] find nothing, and need not be asked.
pub fn may_name_caches(context: &Context) -> bool {
    CACHES.iter().any(|cache| context.imports.may_name(cache))
}

/// `functools.lru_cache(maxsize=None)(f)`, `functools.cache(f)`, `memoize(f)`: the cache and
/// the function it wraps.
pub fn cache_application<'t>(
    context: &Context<'t>,
    call: Node<'t>,
) -> Option<(Cache<'t>, Node<'t>)> {
    if call.kind_name() != "call" {
        return None;
    }
    let function = call.field(Field::Function)?;
    let arguments = call.field(Field::Arguments)?;
    // The callee first: what the argument is bound to is the costlier question.
    let cache = cache_decorator(context, function).or_else(|| {
        // `functools.lru_cache(f)` itself: the default bound.
        let qualified = context.qualified_name(function)?;
        CACHES.contains(&qualified.as_str()).then(|| {
            let bound = if qualified == "functools.cache" {
                CacheBound::Unbounded
            } else {
                CacheBound::MaxSize
            };
            Cache {
                node: function,
                spelled: qualified,
                bound,
            }
        })
    })?;
    Some((cache, applied_to(context, arguments)?))
}

/// The caches on a `def`, decorators first.
pub fn caches_on<'t>(context: &Context<'t>, definition: Node<'t>) -> Vec<Cache<'t>> {
    decorators(definition)
        .into_iter()
        .filter_map(|d| cache_decorator(context, d))
        .collect()
}
