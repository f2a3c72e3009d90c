//! # RH301 unbounded-module-cache
//!
//! ## What it flags
//! A container (`{}`, `[]`, `set()`, `dict()`, `collections.defaultdict`, `OrderedDict`,
//! `Counter`, `deque` without `maxlen`, literal or constructor) bound at module level or in a
//! class body, that functions add to (`d[k] = v`, `.append`, `.add`, `.setdefault`, `.update`,
//! `.extend`, `.insert`, `+=`, ...; through `self.x`, `cls.x` or `ClassName.x` for a class
//! attribute) while nothing in the module ever removes from it: no `del d[k]`, `.pop`,
//! `.popitem`, `.clear`, `.remove`, `.discard`, no reassignment of the name, no size check
//! such as `if len(d) > N:`.
//!
//! Not flagged: adds with a literal key (`d["last"] = v`, `seen.add("x")`), which can only
//! replace; bounded structures (`functools.lru_cache`, `deque(maxlen=...)`,
//! `weakref.WeakValueDictionary` / `WeakKeyDictionary` / `WeakSet`); tables only filled at
//! import time (by module-level code, class bodies, `__init_subclass__`, or a function only
//! called from module-level code); registries filled by a registration function
//! (`register...`, `add_listener`, `subscribe`, ...: whether those registrations pile up is
//! RH501's question); containers that escape the module's sight (returned, passed to a call,
//! aliased, stored elsewhere), since whoever receives them may empty them.
//!
//! ## Why it leaks
//! A module or a class lives as long as the process. Every key and value put into such a
//! container stays reachable from it until something takes it out, so when a function that
//! runs once per request, message or call adds to it, memory grows with the traffic the
//! process has served, and with it everything the entries reference.
//!
//! ## Example
//! ```python
//! _rendered = {}
//!
//! def handle(request):
//!     key = request.path
//!     if key not in _rendered:
//!         _rendered[key] = render(request)   # one entry per distinct path, forever
//!     return _rendered[key]
//! ```
//!
//! ## Fix
//! Turn a memoizing function into `@functools.lru_cache(maxsize=...)` on a function of the key;
//! otherwise bound the container (evict when `len(d)` passes a limit, an `OrderedDict` used as
//! an LRU, `deque(maxlen=...)`), remove entries when they are done with, or let the garbage
//! collector do it with `weakref.WeakValueDictionary` / `WeakKeyDictionary`.
//!
//! ## Options
//! None. Its default severity is `information`, not `warning`: a memo whose keys come from a
//! small fixed set (a few encodings, prefix lengths, configured names) looks exactly like one
//! keyed by request data, and only the reader can tell. On the standard library about 13 of
//! its 33 findings are real growth. Raise it with `severity = { RH301 = "warning" }`.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Related};
use crate::analysis::queries::Family;
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind, ScopeTree, Symbol, SymbolFlags};
use crate::analysis::syntax::{keyword_argument, named_children};

/// Methods that put something into a list, dict, set or deque.
const ADDING_METHODS: &[&str] = &[
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
/// Methods that take something out, or may (`symmetric_difference_update`).
const REMOVING_METHODS: &[&str] = &[
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
/// Builtins that read a container they are passed without keeping it.
const READING_BUILTINS: &[&str] = &[
    "len",
    "iter",
    "list",
    "tuple",
    "set",
    "frozenset",
    "dict",
    "sorted",
    "reversed",
    "sum",
    "min",
    "max",
    "any",
    "all",
    "enumerate",
    "zip",
    "map",
    "filter",
    "print",
    "repr",
    "str",
    "bool",
    "isinstance",
    "hash",
    "id",
    "type",
    "next",
];
/// Containers from `collections` that grow like the builtins.
const COLLECTIONS: &[(&str, &str)] = &[
    ("collections.defaultdict", "defaultdict"),
    ("collections.OrderedDict", "OrderedDict"),
    ("collections.Counter", "Counter"),
    ("collections.deque", "deque"),
];
/// Leading words of function names that mark a registry (callers decide how much goes in):
/// `register_codec`, `addLevelName`, `add_listener`, `subscribe`.
const REGISTRATION_WORDS: &[&str] = &["register", "add", "bind", "subscribe", "connect", "install"];

/// What one mention of the container does to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Add,
    /// Takes entries out, rebinds the name, or checks the size (to evict or stop adding).
    Bound,
    Read,
    /// Goes somewhere this module cannot follow.
    Escape,
}

pub(super) fn check(context: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for captures in context.matches(Family::Caches) {
        let (Some(binding), Some(target), Some(value)) = (
            captures.get("cache_binding"),
            captures.get("cache_target"),
            captures.get("cache_value"),
        ) else {
            continue;
        };
        let scope = context.scope_containing(target);
        let kind = context.scopes.scope(scope).kind;
        if !matches!(kind, ScopeKind::Module | ScopeKind::Class) {
            continue;
        }
        let Some(container) = container_kind(context, value) else {
            continue;
        };
        let name = context.text_of(target);
        let mentions = if kind == ScopeKind::Module {
            module_mentions(context, target)
        } else {
            class_mentions(context, scope, target)
        };
        let Some(mentions) = mentions else {
            continue;
        };
        let keyed = !matches!(container, "list" | "deque");
        let defaultdict = container == "defaultdict";
        let mut adds = Vec::new();
        let mut bounded = false;
        for mention in mentions {
            match effect(context, mention.node, keyed, defaultdict) {
                Effect::Bound | Effect::Escape => {
                    bounded = true;
                    break;
                }
                // `d["hits"] = ...` on a mapping or set: one fixed key, however often.
                Effect::Add if mention.adds_here && !(keyed && literal_key(mention.node)) => {
                    adds.push(mention.node)
                }
                Effect::Add | Effect::Read => {}
            }
        }
        if bounded {
            continue;
        }
        let adders: Vec<(Node, ScopeId)> = adds
            .into_iter()
            .filter_map(|node| {
                runtime_function(context, node)
                    .filter(|&f| !fills_at_import_or_registers(context, f))
                    .map(|f| (node, f))
            })
            .collect();
        if adders.is_empty() {
            continue;
        }
        findings.push(finding(
            context, binding, target, name, container, kind, scope, &adders,
        ));
    }
    findings
}

#[allow(clippy::too_many_arguments)]
fn finding(
    context: &Context,
    binding: Node,
    target: Node,
    name: &str,
    container: &str,
    kind: ScopeKind,
    scope: ScopeId,
    adders: &[(Node, ScopeId)],
) -> Finding {
    let line = context.lines.line_of(target.start_byte());
    let subject = if kind == ScopeKind::Class {
        format!(
            "class attribute `{}.{name}`",
            context.scopes.scope(scope).name
        )
    } else {
        format!("module-level `{name}`")
    };
    let mut functions: Vec<String> = Vec::new();
    for (node, function) in adders {
        let label = function_label(context, *function, *node);
        if !functions.contains(&label) {
            functions.push(label);
        }
    }
    let who = match functions.as_slice() {
        [one] => format!("{one} adds to it"),
        [first, second] => format!("{first} and {second} add to it"),
        [first, rest @ ..] => format!("{first} and {} other functions add to it", rest.len()),
        [] => unreachable!("a finding has adders"),
    };
    Finding {
        rule: Rule::UnboundedModuleCache,
        range: binding.byte_range(),
        message: format!(
            "{subject} (a {container}, line {line}) only grows: {who} and nothing in the module \
             removes entries, so everything put in it stays alive for the life of the process, \
             one entry per distinct key or call"
        ),
        related: adders
            .iter()
            .map(|(node, function)| Related {
                range: adding_statement(*node).byte_range(),
                message: format!(
                    "{} adds to `{name}` here",
                    function_label(context, *function, *node)
                ),
            })
            .collect(),
        fixes: Vec::new(),
    }
}

/// Whether an add to a keyed container uses a literal key: `d["name"] = v`, `s.add(3)`,
/// `d.setdefault("name", [])`.
fn literal_key(mention: Node) -> bool {
    let Some(parent) = mention.parent() else {
        return false;
    };
    let key = match parent.kind() {
        "subscript" => parent.child_by_field_name("subscript"),
        "attribute" => parent
            .parent()
            .and_then(|call| call.child_by_field_name("arguments"))
            .and_then(|arguments| named_children(arguments).first().copied()),
        _ => None,
    };
    key.is_some_and(is_literal)
}

fn is_literal(node: Node) -> bool {
    match node.kind() {
        "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none" => true,
        "tuple" | "parenthesized_expression" => named_children(node).into_iter().all(is_literal),
        "unary_operator" => node.child_by_field_name("argument").is_some_and(is_literal),
        _ => false,
    }
}

/// "`notify` (line 12)", or "a lambda (line 12)".
fn function_label(context: &Context, function: ScopeId, at: Node) -> String {
    let scope = context.scopes.scope(function);
    if scope.kind == ScopeKind::Lambda {
        format!("a lambda (line {})", context.lines.line_of(at.start_byte()))
    } else {
        format!("`{}` (line {})", scope.name, scope.first_line)
    }
}

/// The statement (or, for a call inside a larger expression, the call) that adds.
fn adding_statement(mention: Node) -> Node {
    let mut node = mention;
    while let Some(parent) = node.parent() {
        if parent.kind().ends_with("statement") || parent.kind() == "lambda" {
            return if parent.kind() == "lambda" {
                node
            } else {
                parent
            };
        }
        node = parent;
    }
    mention
}

/// The container a right-hand side makes, by its short name; `None` for anything else, and
/// for `deque(maxlen=...)`.
fn container_kind<'a>(context: &Context, value: Node) -> Option<&'a str> {
    match value.kind() {
        "dictionary" | "dictionary_comprehension" => return Some("dict"),
        "list" | "list_comprehension" => return Some("list"),
        "set" | "set_comprehension" => return Some("set"),
        "call" => {}
        _ => return None,
    }
    let function = value.child_by_field_name("function")?;
    let arguments = value.child_by_field_name("arguments")?;
    if function.kind() == "identifier"
        && let Some(builtin) = ["dict", "list", "set"]
            .into_iter()
            .find(|b| *b == context.text_of(function))
    {
        // A module that rebinds `dict` means something else by it.
        let shadowed = context
            .scopes
            .scope(ScopeId(0))
            .symbol(builtin)
            .is_some_and(|s| s.flags.contains_any(SymbolFlags::BOUND));
        return (!shadowed).then_some(builtin);
    }
    let qualified = context.qualified_name(function)?;
    let (_, short) = COLLECTIONS.iter().find(|(q, _)| *q == qualified)?;
    if *short == "deque" {
        let has_maxlen = named_children(arguments).len() > 1
            || keyword_argument(arguments, context.text, "maxlen").is_some();
        if has_maxlen {
            return None;
        }
    }
    Some(short)
}

/// One mention of the container: the expression that denotes it.
struct Mention<'t> {
    node: Node<'t>,
    /// Whether an add here counts: for a class attribute, only through `self`, `cls` or the
    /// class; for other objects' attributes of the same name only removals and escapes count.
    adds_here: bool,
}

/// The symbols through which `name` means the module-level global: the module's own, and
/// those of every scope that resolves the name to the global.
fn global_symbols<'c>(context: &Context<'c>, name: &str) -> impl Iterator<Item = &'c Symbol> {
    let scopes: &'c ScopeTree = context.scopes;
    scopes
        .scopes
        .iter()
        .enumerate()
        .filter_map(move |(index, scope)| {
            scope.symbol(name).filter(|symbol| {
                index == 0
                    || matches!(
                        symbol.scope,
                        NameScope::GlobalImplicit | NameScope::GlobalExplicit
                    )
            })
        })
}

/// Every mention of a module-level name, in every scope where it means the global; `None` when
/// something rebinds it (another assignment, `global x; x = ...`, an import, a loop target).
fn module_mentions<'t>(context: &Context<'t>, target: Node<'t>) -> Option<Vec<Mention<'t>>> {
    let name = context.text_of(target);
    let root = context.tree.root_node();
    let mut mentions = Vec::new();
    for symbol in global_symbols(context, name) {
        symbol_mentions(root, symbol, target, true, &mut mentions)?;
    }
    Some(mentions)
}

fn is_augmented_target(node: Node) -> bool {
    node.parent().is_some_and(|p| {
        p.kind() == "augmented_assignment"
            && p.child_by_field_name("left")
                .is_some_and(|l| l.id() == node.id())
    })
}

/// Every `x.name` in the file. Found through the text (an identifier spelled `name` after a
/// dot) rather than a walk of the whole tree: a keystroke's analysis cannot afford one more.
fn attribute_nodes<'t>(context: &Context<'t>, name: &str) -> Vec<Node<'t>> {
    let text = context.text;
    let root = context.tree.root_node();
    let is_identifier = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name)
        .filter(|&(start, _)| {
            let end = start + name.len();
            !text[end..].starts_with(is_identifier) && text[..start].trim_end().ends_with('.')
        })
        .filter_map(|(start, _)| {
            let identifier = root.descendant_for_byte_range(start, start + name.len())?;
            let attribute = identifier.parent()?;
            (attribute.kind() == "attribute"
                && attribute
                    .child_by_field_name("attribute")
                    .is_some_and(|a| a.id() == identifier.id()))
            .then_some(attribute)
        })
        .collect()
}

/// Adds the mentions of `symbol` other than its binding `target` (each a use or a `del`, or an
/// in-place `x += ...`), marked `adds_here`; `None` when something rebinds the name.
fn symbol_mentions<'t>(
    root: Node<'t>,
    symbol: &Symbol,
    target: Node<'t>,
    adds_here: bool,
    mentions: &mut Vec<Mention<'t>>,
) -> Option<()> {
    for occurrence in &symbol.occurrences {
        let Some(node) =
            root.descendant_for_byte_range(occurrence.range.start, occurrence.range.end)
        else {
            continue;
        };
        match occurrence.role {
            Role::Declare => {}
            Role::Bind if node.id() == target.id() => {}
            // `x += [...]` / `x |= {...}` mutate in place.
            Role::Use | Role::Delete => mentions.push(Mention { node, adds_here }),
            Role::Bind if is_augmented_target(node) => mentions.push(Mention { node, adds_here }),
            Role::Bind | Role::Param | Role::Import => return None,
        }
    }
    Some(())
}

/// The mentions of a class attribute: bare in the class body, and as `x.name` anywhere in the
/// file; `None` when the class body rebinds it.
fn class_mentions<'t>(
    context: &Context<'t>,
    class: ScopeId,
    target: Node<'t>,
) -> Option<Vec<Mention<'t>>> {
    let name = context.text_of(target);
    let root = context.tree.root_node();
    let mut mentions = Vec::new();
    let scope = context.scopes.scope(class);
    // Stored mangled when private; the target's occurrence is in the class's own symbol.
    let symbol = scope
        .symbols
        .iter()
        .find(|s| s.occurrences.iter().any(|o| o.range == target.byte_range()))?;
    symbol_mentions(root, symbol, target, false, &mut mentions)?;
    for attribute in attribute_nodes(context, name) {
        mentions.push(Mention {
            node: attribute,
            adds_here: refers_to_class(context, attribute, class),
        });
    }
    Some(mentions)
}

/// Whether `object.attr` reads the attribute through the class: `ClassName.attr`, or
/// `self.attr` / `cls.attr` / `type(self).attr` in one of its methods.
fn refers_to_class(context: &Context, attribute: Node, class: ScopeId) -> bool {
    let Some(object) = attribute.child_by_field_name("object") else {
        return false;
    };
    let class_name = &context.scopes.scope(class).name;
    let object = if object.kind() == "call"
        && object
            .child_by_field_name("function")
            .is_some_and(|f| context.text_of(f) == "type")
    {
        match object
            .child_by_field_name("arguments")
            .map(named_children)
            .as_deref()
        {
            Some([only]) => *only,
            _ => return false,
        }
    } else {
        object
    };
    if object.kind() != "identifier" {
        return false;
    }
    let object_name = context.text_of(object);
    if object_name == class_name {
        return true;
    }
    // The first parameter of a method defined in the class body.
    let method = context.scope_containing(object);
    let method = context.scopes.scope(method);
    method.kind == ScopeKind::Function
        && method.parent == Some(class)
        && method.params.first().is_some_and(|p| p == object_name)
}

/// What a mention does to the container.
fn effect(context: &Context, node: Node, keyed: bool, defaultdict: bool) -> Effect {
    let Some(parent) = node.parent() else {
        return Effect::Escape;
    };
    let is = |field: &str| {
        parent
            .child_by_field_name(field)
            .is_some_and(|c| c.id() == node.id())
    };
    match parent.kind() {
        "attribute" if is("object") => {
            let method = parent
                .child_by_field_name("attribute")
                .map_or("", |a| context.text_of(a));
            let called = parent.parent().is_some_and(|call| {
                call.kind() == "call"
                    && call
                        .child_by_field_name("function")
                        .is_some_and(|f| f.id() == parent.id())
            });
            if !called {
                // `add = cache.setdefault` could be used for anything.
                return Effect::Escape;
            }
            if ADDING_METHODS.contains(&method) {
                Effect::Add
            } else if REMOVING_METHODS.contains(&method) {
                Effect::Bound
            } else {
                Effect::Read
            }
        }
        "subscript" if is("value") => subscript_effect(parent, keyed, defaultdict),
        "augmented_assignment" if is("left") => {
            let operator = parent
                .child_by_field_name("operator")
                .map_or("", |o| context.text_of(o));
            match operator {
                "+=" | "|=" | "*=" => Effect::Add,
                _ => Effect::Bound,
            }
        }
        "assignment" if is("left") => Effect::Bound,
        "pattern_list" | "tuple_pattern" | "list_pattern" => Effect::Bound,
        "delete_statement" | "expression_list"
            if parent.kind() == "delete_statement"
                || parent
                    .parent()
                    .is_some_and(|g| g.kind() == "delete_statement") =>
        {
            Effect::Bound
        }
        "comparison_operator" => Effect::Read,
        "for_statement" | "for_in_clause" if is("right") => Effect::Read,
        "list_splat" | "dictionary_splat" | "binary_operator" | "expression_statement" => {
            Effect::Read
        }
        "not_operator" | "if_statement" | "elif_clause" | "while_statement" => Effect::Read,
        "boolean_operator" | "parenthesized_expression" if in_condition(parent) => Effect::Read,
        "conditional_expression" if node.prev_named_sibling().is_some() => {
            // `a if cache else b`: the condition, not a result.
            if node.next_named_sibling().is_some() {
                Effect::Read
            } else {
                Effect::Escape
            }
        }
        "argument_list" => argument_effect(context, parent),
        _ => Effect::Escape,
    }
}

/// `cache[k] = v` adds (to a mapping or set; on a list it replaces), `del cache[k]` removes,
/// `cache[k]` reads (and adds, on a defaultdict).
fn subscript_effect(subscript: Node, keyed: bool, defaultdict: bool) -> Effect {
    let Some(parent) = subscript.parent() else {
        return Effect::Read;
    };
    let is_left = |p: Node| {
        p.child_by_field_name("left")
            .is_some_and(|l| l.id() == subscript.id())
    };
    match parent.kind() {
        "assignment" | "augmented_assignment" if is_left(parent) => {
            let slice = subscript
                .child_by_field_name("subscript")
                .is_some_and(|index| index.kind() == "slice");
            if keyed {
                Effect::Add
            } else if slice {
                // `items[:] = []` may shrink the list.
                Effect::Bound
            } else {
                Effect::Read
            }
        }
        "delete_statement" => Effect::Bound,
        "expression_list"
            if parent
                .parent()
                .is_some_and(|g| g.kind() == "delete_statement") =>
        {
            Effect::Bound
        }
        "pattern_list" | "tuple_pattern" | "list_pattern" if keyed => Effect::Add,
        _ if defaultdict => Effect::Add,
        _ => Effect::Read,
    }
}

/// `len(cache)` in a comparison is a size check; other reading builtins read; any other call
/// may keep or empty the container.
fn argument_effect(context: &Context, arguments: Node) -> Effect {
    let Some(call) = arguments.parent().filter(|c| c.kind() == "call") else {
        return Effect::Escape;
    };
    let Some(function) = call.child_by_field_name("function") else {
        return Effect::Escape;
    };
    let callee = context.text_of(function);
    let builtin = function.kind() == "identifier"
        && READING_BUILTINS.contains(&callee)
        && context.qualified_name(function).is_none();
    if !builtin {
        return Effect::Escape;
    }
    if callee == "len"
        && call
            .parent()
            .is_some_and(|p| p.kind() == "comparison_operator")
    {
        return Effect::Bound;
    }
    Effect::Read
}

/// Whether a boolean expression is (part of) an `if`/`while`/`assert` condition.
fn in_condition(mut node: Node) -> bool {
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "boolean_operator" | "not_operator" | "parenthesized_expression" => node = parent,
            "if_statement" | "elif_clause" | "while_statement" | "assert_statement" => {
                return parent
                    .child_by_field_name("condition")
                    .is_none_or(|c| c.id() == node.id());
            }
            _ => return false,
        }
    }
    false
}

/// The function or lambda whose body runs `node`, looking through comprehensions and class
/// bodies; `None` for code that runs at import time.
fn runtime_function(context: &Context, node: Node) -> Option<ScopeId> {
    let mut scope = context.scope_containing(node);
    loop {
        let current = context.scopes.scope(scope);
        match current.kind {
            ScopeKind::Function | ScopeKind::Lambda => return Some(scope),
            ScopeKind::Module => return None,
            _ => scope = current.parent?,
        }
    }
}

/// Whether a function adds to the container only while the program is being defined
/// (`__init_subclass__`, a helper only called while the module is imported), or is a
/// registration function whose callers decide how much goes in.
fn fills_at_import_or_registers(context: &Context, function: ScopeId) -> bool {
    let scope = context.scopes.scope(function);
    if scope.kind != ScopeKind::Function {
        return false;
    }
    let name = scope.name.as_str();
    name == "__init_subclass__"
        || is_registration_name(context, name)
        || is_decorator(context, function)
        || runs_only_at_import(context, function, &mut Vec::new())
}

/// Whether a function is a decorator, which runs when the decorated function is defined: it
/// returns its first parameter or a function it defines (directly or through a name bound only
/// to those), and nothing else.
fn is_decorator(context: &Context, function: ScopeId) -> bool {
    let scope = context.scopes.scope(function);
    let Some(parameter) = scope.params.first() else {
        return false;
    };
    let Some(node) = context
        .tree
        .root_node()
        .descendant_for_byte_range(scope.range.start, scope.range.end)
        .filter(|n| n.byte_range() == scope.range)
    else {
        return false;
    };
    let Some(body) = node.child_by_field_name("body") else {
        return false;
    };
    let defines = |name: &str| {
        scope.children.iter().any(|&c| {
            let child = context.scopes.scope(c);
            child.kind == ScopeKind::Function && child.name == name
        })
    };
    let decorated = |value: Node| {
        if value.kind() != "identifier" {
            return false;
        }
        let name = context.text_of(value);
        if name == parameter {
            return true;
        }
        let bindings = context.bindings(function, name);
        !bindings.is_empty()
            && bindings.iter().all(|b| {
                b.statement.kind() == "function_definition"
                    || b.statement.kind() == "decorated_definition"
                    || b.value.is_some_and(|v| context.text_of(v) == parameter)
            })
            && defines(name)
    };
    let mut returns = Vec::new();
    collect_returns(body, &mut returns);
    !returns.is_empty()
        && returns
            .iter()
            .all(|r| r.named_child(0).is_some_and(&decorated))
}

/// The `return` statements of a function body, not of functions nested in it.
fn collect_returns<'t>(node: Node<'t>, returns: &mut Vec<Node<'t>>) {
    for child in named_children(node) {
        match child.kind() {
            "return_statement" => returns.push(child),
            "function_definition" | "class_definition" | "lambda" => {}
            _ => collect_returns(child, returns),
        }
    }
}

/// `register`, `register_codec`, `addLevelName`, `_add_alias`, or a configured name.
fn is_registration_name(context: &Context, name: &str) -> bool {
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

/// Whether a function only runs while the module is imported: a module-level function whose
/// every mention is a call or decorator in module-level code or in another such function
/// (`del helper` afterwards is fine), or a function nested in one.
fn runs_only_at_import(context: &Context, function: ScopeId, visiting: &mut Vec<ScopeId>) -> bool {
    if visiting.contains(&function) {
        // Recursion adds no caller from outside.
        return true;
    }
    let scope = context.scopes.scope(function);
    match scope.parent {
        Some(ScopeId(0)) => {}
        Some(parent) if context.scopes.scope(parent).kind == ScopeKind::Function => {
            visiting.push(function);
            let result = runs_only_at_import(context, parent, visiting);
            visiting.pop();
            return result;
        }
        _ => return false,
    }
    visiting.push(function);
    let result = mentions_only_called_at_import(context, &scope.name, visiting);
    visiting.pop();
    result
}

fn mentions_only_called_at_import(
    context: &Context,
    name: &str,
    visiting: &mut Vec<ScopeId>,
) -> bool {
    let root = context.tree.root_node();
    // `del helper` at module level: nobody outside can call it, called here or not.
    let mut called = context
        .scopes
        .scope(ScopeId(0))
        .symbol(name)
        .is_some_and(|s| s.occurrences.iter().any(|o| o.role == Role::Delete));
    for symbol in global_symbols(context, name) {
        for occurrence in symbol.occurrences.iter().filter(|o| o.role == Role::Use) {
            let Some(node) =
                root.descendant_for_byte_range(occurrence.range.start, occurrence.range.end)
            else {
                return false;
            };
            let Some(parent) = node.parent() else {
                return false;
            };
            let is_callee = parent.kind() == "call"
                && parent
                    .child_by_field_name("function")
                    .is_some_and(|f| f.id() == node.id());
            if !(is_callee || parent.kind() == "decorator") {
                return false;
            }
            if let Some(caller) = runtime_function(context, node)
                && !runs_only_at_import(context, caller, visiting)
            {
                return false;
            }
            called = true;
        }
    }
    called
}
