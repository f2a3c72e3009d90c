//! What a container does and what goes in it: the containers that grow (`dict`, `list`, `set`,
//! `defaultdict`, ...; not a bounded `deque`), what each mention of one does to it (adds, takes
//! out, reads, lets it escape), and what its keys are: literals, values that depend on what the
//! function's callers pass, or keys unique per object (`id(obj)`, instances hashed by identity).
//! RH301, RH303, RH304 and RH305 read these facts.

use tree_sitter::Node;

use super::function_kind::{
    Receiver, class_defs, class_facts, defining_class, definition_of, is_builtin, module_class,
    receiver,
};
use crate::analysis::context::Context;
use crate::analysis::queries::Family;
use crate::analysis::scope::{ScopeId, ScopeKind, SymbolFlags};
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::syntax::{decorators, keyword_argument, named_children};

/// How many bindings deep [`depends_on_arguments`] follows a local.
const FLOW_DEPTH: usize = 4;

/// Whether an expression evaluated in function `function` depends on what its callers pass:
/// it names a parameter (other than those in `except`), or a local bound from one (through
/// assignments and `for` loops, a few bindings deep). Keys and values that depend on the
/// arguments differ from call to call; those that do not (a constant, a module setting, the
/// time) are the same each call or come from elsewhere.
pub fn depends_on_arguments(
    context: &Context,
    function: ScopeId,
    expression: Node,
    except: &[&str],
) -> bool {
    flows_from_arguments(context, function, expression, except, FLOW_DEPTH)
}

fn flows_from_arguments(
    context: &Context,
    function: ScopeId,
    expression: Node,
    except: &[&str],
    depth: usize,
) -> bool {
    if depth == 0 {
        return false;
    }
    let scope = context.scopes.scope(function);
    let mut stack = vec![expression];
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "identifier" => {
                let name = context.text_of(node);
                if except.contains(&name) {
                    continue;
                }
                let Some(symbol) = scope.symbol(name) else {
                    continue;
                };
                if symbol.flags.contains_any(SymbolFlags::PARAM) {
                    return true;
                }
                let bound_from_arguments = context.bindings(function, name).iter().any(|b| {
                    let source = b.value.or_else(|| {
                        (b.statement.kind_name() == "for_statement")
                            .then(|| b.statement.field(Field::Right))
                            .flatten()
                    });
                    source.is_some_and(|s| {
                        flows_from_arguments(context, function, s, except, depth - 1)
                    })
                });
                if bound_from_arguments {
                    return true;
                }
            }
            // `obj.attr`: what the object is decides, not the attribute's name.
            "attribute" => stack.extend(node.field(Field::Object)),
            "lambda" | "function_definition" | "class_definition" => {}
            _ => stack.extend(named_children(node)),
        }
    }
    false
}

// Values the rules about caches share. They belong in a `containers` module of the semantic
// layer; they live here until it has one.

/// Constructors (qualified) of `collections` containers that grow like the builtins.
const COLLECTIONS: &[&str] = &[
    "collections.defaultdict",
    "collections.OrderedDict",
    "collections.Counter",
    "collections.deque",
];

/// The container an expression makes, by its short name (`dict`, `list`, `set`,
/// `defaultdict`, `OrderedDict`, `Counter`, `deque`): a literal, a comprehension, or a call of
/// the builtin (not shadowed) or the `collections` constructor. `None` for anything else, and
/// for the bounded `deque(maxlen=...)`.
pub fn growing_container<'t>(context: &Context<'t>, value: Node) -> Option<&'static str> {
    match value.kind_name() {
        "dictionary" | "dictionary_comprehension" => return Some("dict"),
        "list" | "list_comprehension" => return Some("list"),
        "set" | "set_comprehension" => return Some("set"),
        "call" => {}
        _ => return None,
    }
    let function = value.field(Field::Function)?;
    let arguments = value.field(Field::Arguments)?;
    if let Some(builtin) = ["dict", "list", "set"]
        .into_iter()
        .find(|b| is_builtin(context, function, b))
    {
        return Some(builtin);
    }
    // `_cache = _Cache()` with `class _Cache(dict)` defining a `__missing__` that stores.
    if function.kind_name() == "identifier"
        && let Some(class) = module_class(context, context.text_of(function))
    {
        return missing_adds(context, class).then_some("defaultdict");
    }
    let qualified = context.qualified_name(function)?;
    let short = COLLECTIONS
        .iter()
        .find(|q| **q == qualified)?
        .rsplit('.')
        .next()?;
    let bounded = short == "deque"
        && (named_children(arguments).len() > 1
            || keyword_argument(arguments, context.text, "maxlen").is_some());
    (!bounded).then_some(short)
}

/// Whether a container of this kind is keyed (a mapping or a set: adding an equal key only
/// replaces), as opposed to a sequence, which grows with every add.
pub fn is_keyed(container: &str) -> bool {
    !matches!(container, "list" | "deque")
}

/// A literal key: a string, number, `True`/`False`/`None`, or a tuple of those.
pub fn is_literal(node: Node) -> bool {
    match node.kind_name() {
        "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none" => true,
        "tuple" | "parenthesized_expression" => named_children(node).into_iter().all(is_literal),
        "unary_operator" => node.field(Field::Argument).is_some_and(is_literal),
        _ => false,
    }
}

/// A key that is unique per object rather than per value.
#[derive(Debug, Clone, Copy)]
pub enum IdentityKey<'t> {
    /// `id(obj)`: reused once `obj` is freed, and it does not keep `obj` alive.
    Id(Node<'t>),
    /// `Key(...)`, an instance of a class of this file that hashes by identity (no `__eq__` or
    /// `__hash__`, no base that may define them): equal values make different keys. The call.
    Instance(Node<'t>),
    /// `self` in an instance method of such a class: the entry keeps the object alive. The
    /// `self` node and the class.
    Receiver(Node<'t>, Node<'t>),
}

impl<'t> IdentityKey<'t> {
    pub fn node(&self) -> Node<'t> {
        match *self {
            IdentityKey::Id(node)
            | IdentityKey::Instance(node)
            | IdentityKey::Receiver(node, _) => node,
        }
    }
}

/// Whether a key, evaluated in scope `function`, is unique per object: `id(obj)`, an instance
/// of a class that hashes by identity, a tuple with one of those in it, or a local bound only
/// to such keys.
pub fn identity_key<'t>(
    context: &Context<'t>,
    function: ScopeId,
    key: Node<'t>,
) -> Option<IdentityKey<'t>> {
    match key.kind_name() {
        "call" => {
            let callee = key.field(Field::Function)?;
            let arguments = named_children(key.field(Field::Arguments)?);
            if is_builtin(context, callee, "id") && arguments.len() == 1 {
                return Some(IdentityKey::Id(key));
            }
            let class = (callee.kind_name() == "identifier")
                .then(|| module_class(context, context.text_of(callee)))
                .flatten()?;
            hashes_by_identity(context, class).then_some(IdentityKey::Instance(key))
        }
        "tuple" | "parenthesized_expression" | "expression_list" => named_children(key)
            .into_iter()
            .find_map(|part| identity_key(context, function, part)),
        "identifier" if is_receiver(context, function, key) => {
            let definition = definition_of(context, function)?;
            let class = defining_class(definition)?;
            hashes_by_identity(context, class).then_some(IdentityKey::Receiver(key, class))
        }
        "identifier" => {
            let bindings = context.bindings(function, context.text_of(key));
            let keys: Vec<IdentityKey> = bindings
                .iter()
                .filter_map(|b| b.value.filter(|v| v.kind_name() == "call"))
                .filter_map(|v| identity_key(context, function, v))
                .collect();
            (!bindings.is_empty() && keys.len() == bindings.len()).then(|| keys[0])
        }
        _ => None,
    }
}

/// Whether instances of a class of this file hash by identity: no `__eq__` / `__hash__`, no
/// class decorator (`@dataclass` makes them), and no base but `object` (a metaclass keyword is
/// fine).
fn hashes_by_identity(context: &Context, class: Node) -> bool {
    let plain_bases = class.field(Field::Superclasses).is_none_or(|bases| {
        named_children(bases)
            .into_iter()
            .all(|b| b.kind_name() == "keyword_argument" || is_builtin(context, b, "object"))
    });
    plain_bases && !class_facts(context, class).defines_equality && decorators(class).is_empty()
}

/// Whether `node` is the first parameter of the instance method `function`, never rebound.
fn is_receiver(context: &Context, function: ScopeId, node: Node) -> bool {
    let scope = context.scopes.scope(function);
    let name = context.text_of(node);
    scope.kind == ScopeKind::Function
        && scope.params.first().is_some_and(|p| p == name)
        && context.bindings(function, name).is_empty()
        && definition_of(context, function)
            .and_then(|d| receiver(context, d))
            .is_some_and(|(r, _)| r == Receiver::Instance)
}

/// A class of this file that derives from `dict` and whose `__missing__` stores the missing
/// key in `self` (`self[key] = value`): reading a missing key adds it, as a `defaultdict`
/// does. `None` for anything else.
fn missing_adds(context: &Context, class: Node) -> bool {
    let derives_from_dict = class.field(Field::Superclasses).is_some_and(|bases| {
        named_children(bases)
            .into_iter()
            .any(|b| is_builtin(context, b, "dict"))
    });
    derives_from_dict
        && class_defs(class).into_iter().any(|d| {
            d.field(Field::Name)
                .is_some_and(|n| context.text_of(n) == "__missing__")
                && d.field(Field::Body).is_some_and(|body| {
                    let mut stack = vec![body];
                    while let Some(node) = stack.pop() {
                        if node.kind_name() == "assignment"
                            && let Some(left) = node.field(Field::Left)
                            && left.kind_name() == "subscript"
                            && left
                                .field(Field::Value)
                                .is_some_and(|v| context.text_of(v) == "self")
                        {
                            return true;
                        }
                        stack.extend(named_children(node));
                    }
                    false
                })
        })
}

/// A growing container bound at module or class level: `_cache = {}`, `registry = []`.
#[derive(Clone, Copy)]
pub struct ModuleContainer<'t> {
    /// The statement that binds it.
    pub binding: Node<'t>,
    /// The bound name.
    pub target: Node<'t>,
    /// The container expression.
    pub value: Node<'t>,
    /// The module or the class it is bound in.
    pub scope: ScopeId,
    /// What it is, by its short name ([`growing_container`]).
    pub container: &'static str,
}

/// The growing containers bound at module or class level, from the `caches.scm` matches. Found
/// once per file ([`super::Semantic::containers`]): two rules ask.
pub fn module_containers<'t>(context: &Context<'t>) -> Vec<ModuleContainer<'t>> {
    context
        .matches(Family::Caches)
        .iter()
        .filter_map(|captures| {
            let binding = captures.get("cache_binding")?;
            let target = captures.get("cache_target")?;
            let value = captures.get("cache_value")?;
            // Most such assignments are in a function's body, and the scopes' ranges say so
            // for far less than the syntax tree (a statement in a `def` is in its body).
            let innermost = context.scopes.innermost_at(target.start_byte());
            if context.scopes.scope(innermost).kind == ScopeKind::Function {
                return None;
            }
            let scope = context.scope_containing(target);
            if !matches!(
                context.scopes.scope(scope).kind,
                ScopeKind::Module | ScopeKind::Class
            ) {
                return None;
            }
            Some(ModuleContainer {
                binding,
                target,
                value,
                scope,
                container: growing_container(context, value)?,
            })
        })
        .collect()
}

/// Methods that put something into a dict, list, set or deque; for [`container_use`], the key
/// (or item) is the first argument.
pub const ADDING_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "extend",
    "extendleft",
    "insert",
    "setdefault",
    "update",
    "__setitem__",
];
/// Methods that take something out of a container, or may (`symmetric_difference_update`).
pub const REMOVING_METHODS: &[&str] = &[
    "pop",
    "popitem",
    "popleft",
    "clear",
    "remove",
    "discard",
    "__delitem__",
    "difference_update",
    "intersection_update",
    "symmetric_difference_update",
    "rotate",
];

/// What one mention of a container does to it.
pub enum ContainerUse<'t> {
    /// Adds an entry keyed by (or an item equal to) `key`.
    Add { statement: Node<'t>, key: Node<'t> },
    /// `del c[key]`, `.pop`, `.clear`, `.discard`, ...
    Remove,
    /// `len(c)` in a comparison: a size check, to evict or to stop adding.
    SizeCheck,
    /// A read, or anything else.
    Other,
}

/// What one mention of a container does to it: `node` is the expression that denotes the
/// container (a name, or `self.name`).
pub fn container_use<'t>(context: &Context<'t>, node: Node<'t>) -> ContainerUse<'t> {
    let Some(parent) = node.parent() else {
        return ContainerUse::Other;
    };
    let is = |p: Node, field: Field| p.field(field).is_some_and(|c| c.id() == node.id());
    match parent.kind_name() {
        "subscript" if is(parent, Field::Value) => {
            let Some(outer) = parent.parent() else {
                return ContainerUse::Other;
            };
            let key = parent.field(Field::Subscript);
            match outer.kind_name() {
                "assignment" | "augmented_assignment"
                    if outer
                        .field(Field::Left)
                        .is_some_and(|l| l.id() == parent.id()) =>
                {
                    match key {
                        Some(key) => ContainerUse::Add {
                            statement: outer,
                            key,
                        },
                        None => ContainerUse::Other,
                    }
                }
                "delete_statement" => ContainerUse::Remove,
                "expression_list"
                    if outer
                        .parent()
                        .is_some_and(|d| d.kind_name() == "delete_statement") =>
                {
                    ContainerUse::Remove
                }
                _ => ContainerUse::Other,
            }
        }
        "attribute" if is(parent, Field::Object) => {
            let method = parent
                .field(Field::Attribute)
                .map_or("", |a| context.text_of(a));
            let call = parent.parent().filter(|c| c.kind_name() == "call");
            let first_argument = call
                .and_then(|c| c.field(Field::Arguments))
                .and_then(|a| named_children(a).first().copied());
            match (call, first_argument) {
                (Some(call), Some(key)) if ADDING_METHODS.contains(&method) => ContainerUse::Add {
                    statement: call,
                    key,
                },
                (Some(_), _) if REMOVING_METHODS.contains(&method) => ContainerUse::Remove,
                _ => ContainerUse::Other,
            }
        }
        // `len(cache) > N`: a size check.
        "argument_list" => {
            let sized = parent.parent().is_some_and(|call| {
                call.field(Field::Function)
                    .is_some_and(|f| context.text_of(f) == "len")
                    && call
                        .parent()
                        .is_some_and(|p| p.kind_name() == "comparison_operator")
            });
            if sized {
                ContainerUse::SizeCheck
            } else {
                ContainerUse::Other
            }
        }
        _ => ContainerUse::Other,
    }
}

/// Leading words of function names that mark a registry (callers decide how much goes in):
/// `register_codec`, `addLevelName`, `add_listener`, `subscribe`.
const REGISTRATION_WORDS: &[&str] = &["register", "add", "bind", "subscribe", "connect", "install"];

/// `register`, `register_codec`, `addLevelName`, `_add_alias`, or a configured name.
pub fn is_registration_name(context: &Context, name: &str) -> bool {
    let bare = name.trim_start_matches('_');
    let word_then_boundary = |word: &str| {
        bare.len() >= word.len()
            && bare[..word.len()].eq_ignore_ascii_case(word)
            && bare[word.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '_' || c.is_ascii_uppercase())
    };
    REGISTRATION_WORDS.iter().any(|w| word_then_boundary(w))
        || context
            .settings
            .registration_names
            .iter()
            .any(|r| r == name)
}

/// Words that, in the name of a key (or of what it is made from), say it differs per
/// connection, request or job (`request`, `conn`, `session`, `task`), per entity (`user_id`,
/// `uuid`) or per moment (`timestamp`): keys spelled so keep coming, where keys named `name`,
/// `code`, `fmt` or `alias` usually come from a small set (configuration, names in code).
const PER_CALL_WORDS: &[&str] = &[
    "request",
    "req",
    "connection",
    "conn",
    "session",
    "peer",
    "socket",
    "sock",
    "websocket",
    "task",
    "job",
    "id",
    "uuid",
    "guid",
    "timestamp",
    "ts",
    "time",
    "datetime",
    "now",
];

/// The words of an identifier, lower-cased: `hash_id` and `hashId` are `hash`, `id`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split('_') {
        let mut word = String::new();
        let mut previous_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && previous_lower && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// The name in a key (or item) evaluated in `function` that says the key differs per
/// connection, request, job, entity or moment ([`PER_CALL_WORDS`]): a name in the expression
/// (not a called function's), or a local it is bound from, a few bindings deep.
pub fn per_call_name<'t>(
    context: &Context<'t>,
    function: ScopeId,
    key: Node<'t>,
) -> Option<Node<'t>> {
    per_call_name_within(context, function, key, FLOW_DEPTH)
}

fn per_call_name_within<'t>(
    context: &Context<'t>,
    function: ScopeId,
    key: Node<'t>,
    depth: usize,
) -> Option<Node<'t>> {
    if depth == 0 {
        return None;
    }
    let mut stack = vec![key];
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            // `request.path`, `msg.id`: the object's name and the attribute's, not the names in
            // between (`self.connection.client.hostname` is the client's host name).
            "attribute" => {
                let mut base = node;
                while base.kind_name() == "attribute" {
                    base = base.field(Field::Object)?;
                }
                stack.push(base);
                stack.extend(node.field(Field::Attribute));
            }
            "identifier" => {
                let name = context.text_of(node);
                let bindings = context.bindings(function, name);
                // `tb_id = id(tb)`: the name says what the id is of, nothing about the object.
                let to_id = !bindings.is_empty()
                    && bindings.iter().all(|b| {
                        b.value.is_some_and(|v| {
                            v.kind_name() == "call"
                                && v.field(Field::Function)
                                    .is_some_and(|f| is_builtin(context, f, "id"))
                        })
                    });
                if !to_id
                    && words(name)
                        .iter()
                        .any(|w| PER_CALL_WORDS.contains(&w.as_str()))
                {
                    return Some(node);
                }
                let from = bindings.into_iter().find_map(|b| {
                    let source = b.value.or_else(|| {
                        (b.statement.kind_name() == "for_statement")
                            .then(|| b.statement.field(Field::Right))
                            .flatten()
                    })?;
                    per_call_name_within(context, function, source, depth - 1)
                });
                if from.is_some() {
                    return from;
                }
            }
            "call" => {
                // The arguments, and the object a method is called on; not the function's name.
                stack.extend(node.field(Field::Arguments));
                if let Some(callee) = node.field(Field::Function)
                    && callee.kind_name() == "attribute"
                {
                    stack.extend(callee.field(Field::Object));
                }
            }
            "lambda" | "function_definition" | "class_definition" => {}
            "keyword_argument" => stack.extend(node.field(Field::Value)),
            _ => stack.extend(named_children(node)),
        }
    }
    None
}

/// Whether an add stores, in the entry keyed by `id(obj)`, the object itself or what holds
/// it (`d[id(obj)] = obj`, `fid = id(frame); d[fid] = frame`, `d[id(m.__dict__)] = m`): the
/// entry keeps `obj` alive, so its id stays its own. `key` is the key as written in the add,
/// evaluated in `function`.
pub fn keeps_keyed_object<'t>(
    context: &Context<'t>,
    function: ScopeId,
    statement: Node<'t>,
    key: Node<'t>,
) -> bool {
    let Some(IdentityKey::Id(call)) = identity_key(context, function, key) else {
        return false;
    };
    let Some(value) = statement.field(Field::Right).or_else(|| {
        // `d.setdefault(id(obj), obj)`
        statement
            .field(Field::Arguments)
            .and_then(|a| named_children(a).get(1).copied())
    }) else {
        return false;
    };
    let Some(argument) = call
        .field(Field::Arguments)
        .and_then(|a| named_children(a).first().copied())
    else {
        return false;
    };
    // What `obj` is, and what the entry holds: `obj`, a local bound once to it, or (for
    // `obj`) what it is part of (`m.__dict__` is part of `m`). The entry keeps `obj` when the
    // two meet.
    let chain = |mut node: Node<'t>, parts: bool| {
        let mut texts = vec![context.text_of(node)];
        for _ in 0..FLOW_DEPTH {
            node = match node.kind_name() {
                "attribute" if parts => match node.field(Field::Object) {
                    Some(object) => object,
                    None => break,
                },
                "identifier" => {
                    match context.bindings(function, context.text_of(node)).as_slice() {
                        [only] => match only.value {
                            Some(value) => value,
                            None => break,
                        },
                        _ => break,
                    }
                }
                _ => break,
            };
            texts.push(context.text_of(node));
        }
        texts
    };
    let object = chain(argument, true);
    chain(value, false).iter().any(|t| object.contains(t))
}

/// Whether an expression evaluated in `function` is the object `name` itself (`self`,
/// `id(self)`, a tuple with one of those, or a local bound to one), rather than something
/// computed from it (`self.path`).
pub fn denotes(context: &Context, function: ScopeId, expression: Node, name: &str) -> bool {
    denotes_within(context, function, expression, name, FLOW_DEPTH)
}

fn denotes_within(
    context: &Context,
    function: ScopeId,
    expression: Node,
    name: &str,
    depth: usize,
) -> bool {
    if depth == 0 {
        return false;
    }
    match expression.kind_name() {
        "identifier" if context.text_of(expression) == name => true,
        "identifier" => context
            .bindings(function, context.text_of(expression))
            .iter()
            .filter_map(|b| b.value)
            .any(|v| denotes_within(context, function, v, name, depth - 1)),
        "call" => {
            let callee = expression.field(Field::Function);
            let arguments = expression
                .field(Field::Arguments)
                .map(named_children)
                .unwrap_or_default();
            callee.is_some_and(|c| is_builtin(context, c, "id"))
                && matches!(arguments.as_slice(), [only] if denotes_within(context, function, *only, name, depth))
        }
        "tuple" | "parenthesized_expression" | "expression_list" => named_children(expression)
            .into_iter()
            .any(|part| denotes_within(context, function, part, name, depth)),
        _ => false,
    }
}

/// Whether the add `statement` (evaluated in `function`) only runs while `container` (an
/// identifier's text) is empty: under `if not container:` (alone or with `and`), so the
/// container holds at most what one add puts in.
pub fn added_only_when_empty(context: &Context, statement: Node, container: &str) -> bool {
    let mut node = statement;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "function_definition" | "lambda" | "class_definition" => return false,
            "if_statement"
                if parent
                    .field(Field::Consequence)
                    .is_some_and(|c| c.id() == node.id()) =>
            {
                let mut stack: Vec<Node> = parent.field(Field::Condition).into_iter().collect();
                while let Some(condition) = stack.pop() {
                    match condition.kind_name() {
                        "not_operator"
                            if condition
                                .field(Field::Argument)
                                .is_some_and(|a| context.text_of(a) == container) =>
                        {
                            return true;
                        }
                        "boolean_operator"
                            if condition
                                .field(Field::Operator)
                                .is_some_and(|o| context.text_of(o) == "and") =>
                        {
                            stack.extend(named_children(condition))
                        }
                        "parenthesized_expression" => stack.extend(named_children(condition)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        node = parent;
    }
    false
}

/// The class of this file an expression makes: `Class(...)`, or `factory(...)` with `factory`
/// a module-level function whose every `return` is `Class(...)`.
pub fn made_instance<'t>(context: &Context<'t>, value: Node<'t>) -> Option<Node<'t>> {
    let callee = value
        .field(Field::Function)
        .filter(|f| value.kind_name() == "call" && f.kind_name() == "identifier")?;
    let name = context.text_of(callee);
    if let Some(class) = module_class(context, name) {
        return Some(class);
    }
    let [binding] = context.bindings(ScopeId(0), name)[..] else {
        return None;
    };
    let definition = Some(binding.statement).filter(|d| d.kind_name() == "function_definition")?;
    let mut returns = Vec::new();
    let mut stack = vec![definition.field(Field::Body)?];
    while let Some(node) = stack.pop() {
        match node.kind_name() {
            "return_statement" => returns.push(node),
            "function_definition" | "class_definition" | "lambda" => {}
            _ => stack.extend(named_children(node)),
        }
    }
    let classes: Vec<Node> = returns
        .iter()
        .filter_map(|r| r.named_child(0))
        .filter_map(|v| {
            let callee = v
                .field(Field::Function)
                .filter(|_| v.kind_name() == "call")?;
            (callee.kind_name() == "identifier")
                .then(|| module_class(context, context.text_of(callee)))
                .flatten()
        })
        .collect();
    match classes[..] {
        [first, ..]
            if classes.len() == returns.len() && classes.iter().all(|c| c.id() == first.id()) =>
        {
            Some(first)
        }
        _ => None,
    }
}

/// The methods of a class of this file that add to a container attribute (`self.records =
/// []` in `__init__`, `self.records.append(...)` in the method) that no method of the class
/// takes anything out of or rebinds: each call of one of them grows the instance. The method
/// names, with the attribute.
pub fn growing_methods<'t>(context: &Context<'t>, class: Node<'t>) -> Vec<(&'t str, &'t str)> {
    let defs = class_defs(class);
    let mut containers: Vec<&str> = Vec::new();
    let mut spoiled: Vec<&str> = Vec::new();
    let mut adders: Vec<(&str, &str)> = Vec::new();
    for definition in &defs {
        let Some(method) = definition.field(Field::Name).map(|n| context.text_of(n)) else {
            continue;
        };
        let Some((_, receiver)) = receiver(context, *definition) else {
            continue;
        };
        let receiver = context.text_of(receiver);
        let mut stack: Vec<Node> = definition.field(Field::Body).into_iter().collect();
        while let Some(node) = stack.pop() {
            stack.extend(named_children(node));
            if node.kind_name() != "attribute"
                || node
                    .field(Field::Object)
                    .is_none_or(|o| context.text_of(o) != receiver)
            {
                continue;
            }
            let Some(attribute) = node.field(Field::Attribute).map(|a| context.text_of(a)) else {
                continue;
            };
            let assigned = node.parent().filter(|p| {
                p.kind_name() == "assignment"
                    && p.field(Field::Left).is_some_and(|l| l.id() == node.id())
            });
            match (assigned, container_use(context, node)) {
                (Some(assignment), _) => {
                    let grows = assignment
                        .field(Field::Right)
                        .and_then(|v| growing_container(context, v))
                        .is_some();
                    if method == "__init__" && grows {
                        containers.push(attribute);
                    } else {
                        spoiled.push(attribute);
                    }
                }
                (None, ContainerUse::Add { .. }) => adders.push((method, attribute)),
                (None, ContainerUse::Remove | ContainerUse::SizeCheck) => spoiled.push(attribute),
                (None, ContainerUse::Other) => {}
            }
        }
    }
    adders.retain(|(_, a)| containers.contains(a) && !spoiled.contains(a));
    adders.dedup();
    adders
}

/// The parts of a key: `key` itself, or, for `d[a, b]` (where tree-sitter gives each of `a`
/// and `b` as a subscript), every one of them.
pub fn key_parts(key: Node) -> Vec<Node> {
    match key.parent() {
        Some(subscript) if subscript.kind_name() == "subscript" => {
            let mut cursor = subscript.walk();
            let parts: Vec<Node> = subscript
                .children_by_field_name("subscript", &mut cursor)
                .collect();
            if parts.iter().any(|p| p.id() == key.id()) {
                parts
            } else {
                vec![key]
            }
        }
        _ => vec![key],
    }
}
