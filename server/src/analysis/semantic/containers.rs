//! What a container does and what goes in it: the containers that grow (`dict`, `list`, `set`,
//! `defaultdict`, ...; not a bounded `deque`), what each mention of one does to it (adds, takes
//! out, reads, lets it escape), and what its keys are: literals, values that depend on what the
//! function's callers pass, or keys unique per object (`id(obj)`, instances hashed by identity).
//! RH301, RH303, RH304 and RH305 read these facts.

use tree_sitter::Node;

use super::function_kind::{class_facts, is_builtin, module_class};
use crate::analysis::context::Context;
use crate::analysis::queries::Family;
use crate::analysis::scope::{ScopeId, ScopeKind, SymbolFlags};
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
        match node.kind() {
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
                        (b.statement.kind() == "for_statement")
                            .then(|| b.statement.child_by_field_name("right"))
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
            "attribute" => stack.extend(node.child_by_field_name("object")),
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
    match value.kind() {
        "dictionary" | "dictionary_comprehension" => return Some("dict"),
        "list" | "list_comprehension" => return Some("list"),
        "set" | "set_comprehension" => return Some("set"),
        "call" => {}
        _ => return None,
    }
    let function = value.child_by_field_name("function")?;
    let arguments = value.child_by_field_name("arguments")?;
    if let Some(builtin) = ["dict", "list", "set"]
        .into_iter()
        .find(|b| is_builtin(context, function, b))
    {
        return Some(builtin);
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
    match node.kind() {
        "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none" => true,
        "tuple" | "parenthesized_expression" => named_children(node).into_iter().all(is_literal),
        "unary_operator" => node.child_by_field_name("argument").is_some_and(is_literal),
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
}

impl<'t> IdentityKey<'t> {
    pub fn node(&self) -> Node<'t> {
        match *self {
            IdentityKey::Id(node) | IdentityKey::Instance(node) => node,
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
    match key.kind() {
        "call" => {
            let callee = key.child_by_field_name("function")?;
            let arguments = named_children(key.child_by_field_name("arguments")?);
            if is_builtin(context, callee, "id") && arguments.len() == 1 {
                return Some(IdentityKey::Id(key));
            }
            let class = (callee.kind() == "identifier")
                .then(|| module_class(context, context.text_of(callee)))
                .flatten()?;
            let facts = class_facts(context, class);
            let plain_bases = class
                .child_by_field_name("superclasses")
                .is_none_or(|bases| {
                    named_children(bases)
                        .into_iter()
                        .all(|b| is_builtin(context, b, "object"))
                });
            (plain_bases && !facts.defines_equality && decorators(class).is_empty())
                .then_some(IdentityKey::Instance(key))
        }
        "tuple" | "parenthesized_expression" | "expression_list" => named_children(key)
            .into_iter()
            .find_map(|part| identity_key(context, function, part)),
        "identifier" => {
            let bindings = context.bindings(function, context.text_of(key));
            let keys: Vec<IdentityKey> = bindings
                .iter()
                .filter_map(|b| b.value.filter(|v| v.kind() == "call"))
                .filter_map(|v| identity_key(context, function, v))
                .collect();
            (!bindings.is_empty() && keys.len() == bindings.len()).then(|| keys[0])
        }
        _ => None,
    }
}

/// A growing container bound at module or class level: `_cache = {}`, `registry = []`.
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

/// The growing containers bound at module or class level, from the `caches.scm` matches.
pub fn module_containers<'c, 't>(
    context: &'c Context<'t>,
) -> impl Iterator<Item = ModuleContainer<'t>> + 'c {
    context
        .matches(Family::Caches)
        .iter()
        .filter_map(|captures| {
            let binding = captures.get("cache_binding")?;
            let target = captures.get("cache_target")?;
            let value = captures.get("cache_value")?;
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
    let is = |p: Node, field: &str| {
        p.child_by_field_name(field)
            .is_some_and(|c| c.id() == node.id())
    };
    match parent.kind() {
        "subscript" if is(parent, "value") => {
            let Some(outer) = parent.parent() else {
                return ContainerUse::Other;
            };
            let key = parent.child_by_field_name("subscript");
            match outer.kind() {
                "assignment" | "augmented_assignment"
                    if outer
                        .child_by_field_name("left")
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
                        .is_some_and(|d| d.kind() == "delete_statement") =>
                {
                    ContainerUse::Remove
                }
                _ => ContainerUse::Other,
            }
        }
        "attribute" if is(parent, "object") => {
            let method = parent
                .child_by_field_name("attribute")
                .map_or("", |a| context.text_of(a));
            let call = parent.parent().filter(|c| c.kind() == "call");
            let first_argument = call
                .and_then(|c| c.child_by_field_name("arguments"))
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
                call.child_by_field_name("function")
                    .is_some_and(|f| context.text_of(f) == "len")
                    && call
                        .parent()
                        .is_some_and(|p| p.kind() == "comparison_operator")
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
