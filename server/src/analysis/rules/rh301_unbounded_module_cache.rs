//! # RH301 unbounded-module-cache
//!
//! ## What it does
//! Flags a container (`{}`, `[]`, `set()`, `dict()`, `collections.defaultdict`, `OrderedDict`,
//! `Counter`, `deque` without `maxlen`, literal or constructor) bound at module level or in a
//! class body, that functions add to (`d[k] = v`, `.append`, `.add`, `.setdefault`, `.update`,
//! `.extend`, `.insert`, `+=`, ...; through `self.x`, `cls.x` or `ClassName.x` for a class
//! attribute) while nothing in the module ever removes from it: no `del d[k]`, `.pop`,
//! `.popitem`, `.clear`, `.remove`, `.discard`, no reassignment of the name, no size check
//! such as `if len(d) > N:`. A default finding needs keys (or items) that come from the adding
//! functions' arguments and evidence that they keep coming: a name in the key (or what it is
//! made from) that says it differs per connection, request, session, task or job, per entity
//! (`user_id`, `uuid`) or per moment (`timestamp`), or the instance itself (`self`,
//! `id(self)`) of a class the file does not make only once.
//!
//! Silent for adds with a literal key (`d["last"] = v`, `seen.add("x")`), which can only
//! replace; bounded structures (`functools.lru_cache`, `deque(maxlen=...)`,
//! `weakref.WeakValueDictionary` / `WeakKeyDictionary` / `WeakSet`); tables only filled at
//! import time (by module-level code, class bodies, `__init_subclass__`, decorators, or a
//! function only called from module-level code); registries filled by a registration function
//! (`register...`, `add_listener`, `subscribe`, ...: whether those registrations pile up is
//! RH501's question); containers that escape the module's sight (returned, passed to a call,
//! aliased, stored elsewhere), since whoever receives them may empty them; and containers keyed
//! only by `id(obj)` (with an entry that does not hold `obj`) or identity-hashed objects, which
//! RH305 reports. `d[id(obj)] = obj` is this rule's: the entry keeps `obj`.
//!
//! Reported only with `strict = true`: a class attribute of a class defined inside a function
//! (made per call, or in a test), keys checked against a fixed set (`assert key in _SUPPORTED`
//! with `_SUPPORTED` a literal set, `frozenset`, tuple or list), entries whose values are reset
//! (`d[k] = []`: only the keys stay), keys (or items) that do not come from the adding
//! functions' arguments (`d[os.getpid()] = ...`), and keys with nothing that says they keep
//! coming (`_formats[log_format]`, `_cache[encoding]`: a name, a code or a format usually comes
//! from a small set, configuration or names in code).
//!
//! ## Why is this bad?
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
//! ## Use instead
//! ```python
//! @functools.lru_cache(maxsize=1024)
//! def render_path(path):
//!     return render_for(path)
//! ```
//!
//! Otherwise bound the container (evict when `len(d)` passes a limit, an `OrderedDict` used as
//! an LRU, `deque(maxlen=...)`), remove entries when they are done with, or let the garbage
//! collector do it with `weakref.WeakValueDictionary` / `WeakKeyDictionary`.
//!
//! ## Fix safety
//! Offered (unsafe) for a module-level dict (`{}` or `dict()`) that only one module-level
//! function uses, as the memo of its arguments: the function gets
//! `@functools.lru_cache(maxsize=N)` (N is the `lru-cache-maxsize` setting, 128 by default),
//! its look-up and store go, and so does the dict (`import functools` is added when nothing
//! names it). Unsafe because the cache is bounded: at most N results are kept, and an evicted
//! one is computed again when asked for (for the `.get` shapes, a `None` result is now cached
//! too). The shapes recognised, after an optional docstring, with `KEY` the function's
//! parameters (all of them, alone or as a tuple):
//!
//! ```python
//! if KEY in _cache:                 if KEY not in _cache:         value = _cache.get(KEY)
//!     return _cache[KEY]                _cache[KEY] = compute()   if value is None:
//! value = compute()                 return _cache[KEY]                value = compute()
//! _cache[KEY] = value                                                 _cache[KEY] = value
//! return value                                                    return value
//! ```
//!
//! and `value = _cache.get(KEY)` / `if value is not None: return value` / statements that set
//! `value` / `_cache[KEY] = value` / `return value`. Not offered when the function is a method,
//! nested, decorated, `async`, a generator, takes `*args` / `**kwargs`, rebinds a parameter,
//! does anything before the look-up or returns elsewhere before the store, or when the dict is
//! mentioned anywhere else in the module. Other modules are not seen: one that resets the dict
//! (`mod._cache = {}`, as test suites do) no longer clears anything, which the title says.
//!
//! ## Options
//! `lru-cache-maxsize` (default 128): the `maxsize` the fix writes. Its default severity is
//! `information`, not `warning`: a memo whose keys come from a small fixed set the code does not
//! spell out (a few encodings, configured names) looks exactly like one keyed by request data,
//! and only the reader can tell. Raise it with `severity = { RH301 = "warning" }`.

use foldhash::{HashMap, HashMapExt};

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, overlap, remove_statement, with_import};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind, ScopeTree, Symbol};
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::containers::{
    ADDING_METHODS, ContainerUse, ModuleContainer, REMOVING_METHODS, container_use, denotes,
    depends_on_arguments, growing_container, identity_key, is_keyed, is_literal,
    is_registration_name, keeps_keyed_object, key_parts, per_call_name,
};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

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

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let mut findings = Vec::new();
    // `x.name` for each class-level container's name, found once: a test module with three
    // hundred classes each holding `cases = [...]` would search the text once per class.
    let mut attributes: HashMap<&str, Vec<Node>> = HashMap::new();
    for ModuleContainer {
        binding,
        target,
        value,
        scope,
        container,
    } in checker.semantic.containers().iter().copied()
    {
        let kind = context.scopes.scope(scope).kind;
        let name = context.text_of(target);
        let mentions = if kind == ScopeKind::Module {
            module_mentions(context, target)
        } else {
            let attributes = attributes
                .entry(name)
                .or_insert_with(|| context.attributes(name));
            class_mentions(context, scope, target, attributes)
        };
        let Some(mentions) = mentions else {
            continue;
        };
        let keyed = is_keyed(container);
        let defaultdict = container == "defaultdict";
        let mut adds = Vec::new();
        let mut bounded = false;
        let mut resets = Vec::new();
        for mention in mentions {
            if keyed && mention.adds_here && resets_entry(context, mention.node) {
                // `d[k] = []`: the value let go of, only the key kept.
                if !literal_key(mention.node) {
                    resets.push(mention.node);
                }
                continue;
            }
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
        // Only empty values put in (`seen[k] = None`): those are the adds.
        let reset = if adds.is_empty() {
            adds = resets;
            None
        } else {
            resets.first().copied()
        };
        let adders: Vec<(Node, ScopeId)> = adds
            .into_iter()
            .filter_map(|node| {
                context
                    .runtime_function(node)
                    .filter(|&f| !fills_at_import_or_registers(context, f))
                    .map(|f| (node, f))
            })
            .collect();
        if adders.is_empty() {
            continue;
        }
        let keys: Vec<(Node, ScopeId)> = adders
            .iter()
            .filter_map(|&(node, function)| added_key(context, node).map(|k| (k, function)))
            .collect();
        if keyed
            && keys.len() == adders.len()
            && adders
                .iter()
                .zip(&keys)
                .all(|(&(node, _), &(key, function))| {
                    let statement = match container_use(context, node) {
                        ContainerUse::Add { statement, .. } => statement,
                        _ => adding_statement(node),
                    };
                    identity_key(context, function, key).is_some()
                        && !keeps_keyed_object(context, function, statement, key)
                })
        {
            // Keyed by `id(obj)` (the entry not keeping `obj`) or identity-hashed objects:
            // RH305's finding.
            continue;
        }
        let mut finding = finding(
            context, binding, target, name, container, kind, scope, &adders,
        );
        if let Some(reason) = harmless(checker, scope, keyed, &keys, reset) {
            finding.level = Level::strict_because(&mut finding.message, &reason);
        }
        if kind == ScopeKind::Module && container == "dict" {
            finding
                .fixes
                .extend(memo_fix(context, binding, target, value));
        }
        findings.push(finding);
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
        level: Level::Default,
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
        release_elsewhere: None,
    }
}

/// Whether an add to a keyed container uses a literal key: `d["name"] = v`, `s.add(3)`,
/// `d.setdefault("name", [])`.
fn literal_key(mention: Node) -> bool {
    let Some(parent) = mention.parent() else {
        return false;
    };
    let key = match parent.kind_name() {
        "subscript" => parent.field(Field::Subscript),
        "attribute" => parent
            .parent()
            .and_then(|call| call.field(Field::Arguments))
            .and_then(|arguments| named_children(arguments).first().copied()),
        _ => None,
    };
    key.is_some_and(is_literal)
}

/// Why a growing container does little harm, when the code says so: its class is made per
/// call of a function, its values are reset (`d[k] = []`), or its keys come from a fixed set or
/// not from the adding functions' callers.
fn harmless(
    checker: &Checker,
    scope: ScopeId,
    keyed: bool,
    keys: &[(Node, ScopeId)],
    reset: Option<Node>,
) -> Option<String> {
    let context = checker.context;
    let line = |node: Node| context.lines.line_of(node.start_byte());
    let holder = context.scopes.scope(scope);
    if holder.kind == ScopeKind::Class
        && let Some(outer) = enclosing_function(context, scope)
    {
        return Some(format!(
            "class `{}` is defined inside `{}()`, so it and its container are made per call",
            holder.name,
            context.scopes.scope(outer).name
        ));
    }
    if let Some(reset) = reset {
        let statement = adding_statement(reset);
        return Some(format!(
            "`{}` (line {}) lets go of the values; only the keys stay",
            context.text_of(statement),
            line(statement)
        ));
    }
    if keys.is_empty() {
        return None;
    }
    if let Some((key, fixed)) = keys
        .iter()
        .find_map(|&(key, function)| fixed_key_set(context, function, key).map(|f| (key, f)))
        && keys
            .iter()
            .all(|&(k, f)| fixed_key_set(context, f, k).is_some())
    {
        return Some(format!(
            "its keys are checked against a fixed set (`{} in {}`, line {})",
            context.text_of(key),
            context.text_of(fixed),
            line(fixed)
        ));
    }
    if !keys.iter().any(|&(key, function)| {
        key_parts(key)
            .into_iter()
            .any(|part| depends_on_arguments(context, function, part, &[]))
    }) {
        return Some(format!(
            "its {} do not come from the adding functions' arguments",
            if keyed { "keys" } else { "items" }
        ));
    }
    if keys.iter().any(|&(key, function)| {
        key_parts(key).into_iter().any(|part| {
            per_call_name(context, function, part).is_some()
                || per_instance(checker, function, part)
        })
    }) {
        return None;
    }
    let (key, _) = keys[0];
    Some(format!(
        "nothing says its {} are made per request, connection or object: `{}` (line {}) may \
         come from a small set (names, configuration)",
        if keyed { "keys" } else { "items" },
        context.text_of(key),
        line(key)
    ))
}

/// Whether a key (or item) is `self` (or `id(self)`) in a method of a class that the file does
/// not make once per process or only in tests: one entry per instance, and a class whose
/// instances are collected is one made many times.
fn per_instance(checker: &Checker, function: ScopeId, key: Node) -> bool {
    let context = checker.context;
    let Some((class, method)) = checker.semantic.classes.method_at(key) else {
        return false;
    };
    method.scope == function
        && !method.self_name.is_empty()
        && denotes(context, function, key, method.self_name)
        && !checker.semantic.made(class).is_once()
}

/// The function a class statement runs in, if it is nested in one.
fn enclosing_function(context: &Context, scope: ScopeId) -> Option<ScopeId> {
    let mut parent = context.scopes.scope(scope).parent;
    while let Some(id) = parent {
        if context.scopes.scope(id).kind.is_function_like() {
            return Some(id);
        }
        parent = context.scopes.scope(id).parent;
    }
    None
}

/// `d[k] = []` / `{}` / `set()`: an entry's value emptied, not a new one. (`d[k] = None` is
/// not: a negative cache records a miss that way.)
fn resets_entry(context: &Context, mention: Node) -> bool {
    let Some(subscript) = mention.parent().filter(|p| {
        p.kind_name() == "subscript"
            && p.field(Field::Value)
                .is_some_and(|v| v.id() == mention.id())
    }) else {
        return false;
    };
    let Some(assignment) = subscript.parent().filter(|a| {
        a.kind_name() == "assignment"
            && a.field(Field::Left)
                .is_some_and(|l| l.id() == subscript.id())
    }) else {
        return false;
    };
    assignment
        .field(Field::Right)
        .is_some_and(|value| match value.kind_name() {
            "list" | "dictionary" | "set" => named_children(value).is_empty(),
            "call" => {
                growing_container(context, value).is_some()
                    && value
                        .field(Field::Arguments)
                        .is_some_and(|a| named_children(a).is_empty())
            }
            _ => false,
        })
}

/// The key (or item) an add puts in: `d[key] = v`, `d[key].append(v)` on a defaultdict,
/// `s.add(key)`, `d.setdefault(key, v)`, `x += [item]`.
fn added_key<'t>(context: &Context<'t>, mention: Node<'t>) -> Option<Node<'t>> {
    if let ContainerUse::Add { key, .. } = container_use(context, mention) {
        return Some(key);
    }
    let parent = mention.parent()?;
    match parent.kind_name() {
        "subscript" => parent.field(Field::Subscript),
        "augmented_assignment" => parent.field(Field::Right),
        _ => None,
    }
}

/// The fixed set a key is checked against in its function (`assert key in _SUPPORTED`,
/// `if key not in ("a", "b"): raise ...`): a literal set, tuple, list or `frozenset` of
/// literals, or a module-level name bound once to one.
fn fixed_key_set<'t>(context: &Context<'t>, function: ScopeId, key: Node<'t>) -> Option<Node<'t>> {
    let scope = context.scopes.scope(function);
    let definition = context.descendant(scope.range.clone())?;
    let key_text = context.text_of(key);
    let mut stack = vec![definition];
    while let Some(node) = stack.pop() {
        if node.kind_name() == "comparison_operator"
            && let [left, right] = named_children(node)[..]
            && context.text_of(left) == key_text
            && context.text[left.end_byte()..right.start_byte()].contains("in")
            && is_fixed_set(context, right)
        {
            return Some(right);
        }
        stack.extend(named_children(node));
    }
    None
}

fn is_fixed_set(context: &Context, node: Node) -> bool {
    match node.kind_name() {
        "set" | "tuple" | "list" => named_children(node).into_iter().all(is_literal),
        "call" => {
            node.field(Field::Function)
                .is_some_and(|f| matches!(context.text_of(f), "frozenset" | "set" | "tuple"))
                && node
                    .field(Field::Arguments)
                    .is_some_and(|a| match named_children(a)[..] {
                        [only] => {
                            matches!(only.kind_name(), "set" | "tuple" | "list")
                                && named_children(only).into_iter().all(is_literal)
                        }
                        _ => false,
                    })
        }
        "identifier" => {
            let bindings = context.bindings(ScopeId(0), context.text_of(node));
            matches!(bindings.as_slice(), [only] if only.value.is_some_and(|v| {
                v.kind_name() != "identifier" && is_fixed_set(context, v)
            }))
        }
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
        if parent.kind_name().ends_with("statement") || parent.kind_name() == "lambda" {
            return if parent.kind_name() == "lambda" {
                node
            } else {
                parent
            };
        }
        node = parent;
    }
    mention
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
    let mut mentions = Vec::new();
    for symbol in global_symbols(context, name) {
        symbol_mentions(context, symbol, target, true, &mut mentions)?;
    }
    Some(mentions)
}

fn is_augmented_target(node: Node) -> bool {
    node.parent().is_some_and(|p| {
        p.kind_name() == "augmented_assignment"
            && p.field(Field::Left).is_some_and(|l| l.id() == node.id())
    })
}

/// Adds the mentions of `symbol` other than its binding `target` (each a use or a `del`, or an
/// in-place `x += ...`), marked `adds_here`; `None` when something rebinds the name.
fn symbol_mentions<'t>(
    context: &Context<'t>,
    symbol: &Symbol,
    target: Node<'t>,
    adds_here: bool,
    mentions: &mut Vec<Mention<'t>>,
) -> Option<()> {
    for occurrence in &symbol.occurrences {
        let Some(node) = context.descendant(occurrence.range.clone()) else {
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
    attributes: &[Node<'t>],
) -> Option<Vec<Mention<'t>>> {
    let mut mentions = Vec::new();
    let scope = context.scopes.scope(class);
    // Stored mangled when private; the target's occurrence is in the class's own symbol.
    let symbol = scope
        .symbols
        .iter()
        .find(|s| s.occurrences.iter().any(|o| o.range == target.byte_range()))?;
    symbol_mentions(context, symbol, target, false, &mut mentions)?;
    for &attribute in attributes {
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
    let Some(object) = attribute.field(Field::Object) else {
        return false;
    };
    let class_name = &context.scopes.scope(class).name;
    let object = if object.kind_name() == "call"
        && object
            .field(Field::Function)
            .is_some_and(|f| context.text_of(f) == "type")
    {
        match object
            .field(Field::Arguments)
            .map(named_children)
            .as_deref()
        {
            Some([only]) => *only,
            _ => return false,
        }
    } else {
        object
    };
    if object.kind_name() != "identifier" {
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
    let is = |field: Field| parent.field(field).is_some_and(|c| c.id() == node.id());
    match parent.kind_name() {
        "attribute" if is(Field::Object) => {
            let method = parent
                .field(Field::Attribute)
                .map_or("", |a| context.text_of(a));
            let called = parent.parent().is_some_and(|call| {
                call.kind_name() == "call"
                    && call
                        .field(Field::Function)
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
        "subscript" if is(Field::Value) => subscript_effect(parent, keyed, defaultdict),
        "augmented_assignment" if is(Field::Left) => {
            let operator = parent
                .field(Field::Operator)
                .map_or("", |o| context.text_of(o));
            match operator {
                "+=" | "|=" | "*=" => Effect::Add,
                _ => Effect::Bound,
            }
        }
        "assignment" if is(Field::Left) => Effect::Bound,
        "pattern_list" | "tuple_pattern" | "list_pattern" => Effect::Bound,
        "delete_statement" | "expression_list"
            if parent.kind_name() == "delete_statement"
                || parent
                    .parent()
                    .is_some_and(|g| g.kind_name() == "delete_statement") =>
        {
            Effect::Bound
        }
        "comparison_operator" => Effect::Read,
        "for_statement" | "for_in_clause" if is(Field::Right) => Effect::Read,
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
        p.field(Field::Left)
            .is_some_and(|l| l.id() == subscript.id())
    };
    match parent.kind_name() {
        "assignment" | "augmented_assignment" if is_left(parent) => {
            let slice = subscript
                .field(Field::Subscript)
                .is_some_and(|index| index.kind_name() == "slice");
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
                .is_some_and(|g| g.kind_name() == "delete_statement") =>
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
    let Some(call) = arguments.parent().filter(|c| c.kind_name() == "call") else {
        return Effect::Escape;
    };
    let Some(function) = call.field(Field::Function) else {
        return Effect::Escape;
    };
    let callee = context.text_of(function);
    let builtin = function.kind_name() == "identifier"
        && READING_BUILTINS.contains(&callee)
        && context.qualified_name(function).is_none();
    if !builtin {
        return Effect::Escape;
    }
    if callee == "len"
        && call
            .parent()
            .is_some_and(|p| p.kind_name() == "comparison_operator")
    {
        return Effect::Bound;
    }
    Effect::Read
}

/// Whether a boolean expression is (part of) an `if`/`while`/`assert` condition.
fn in_condition(mut node: Node) -> bool {
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "boolean_operator" | "not_operator" | "parenthesized_expression" => node = parent,
            "if_statement" | "elif_clause" | "while_statement" | "assert_statement" => {
                return parent
                    .field(Field::Condition)
                    .is_none_or(|c| c.id() == node.id());
            }
            _ => return false,
        }
    }
    false
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
        .descendant(scope.range.clone())
        .filter(|n| n.byte_range() == scope.range)
    else {
        return false;
    };
    let Some(body) = node.field(Field::Body) else {
        return false;
    };
    let defines = |name: &str| {
        scope.children.iter().any(|&c| {
            let child = context.scopes.scope(c);
            child.kind == ScopeKind::Function && child.name == name
        })
    };
    let decorated = |value: Node| {
        if value.kind_name() != "identifier" {
            return false;
        }
        let name = context.text_of(value);
        if name == parameter {
            return true;
        }
        let bindings = context.bindings(function, name);
        !bindings.is_empty()
            && bindings.iter().all(|b| {
                b.statement.kind_name() == "function_definition"
                    || b.statement.kind_name() == "decorated_definition"
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
        match child.kind_name() {
            "return_statement" => returns.push(child),
            "function_definition" | "class_definition" | "lambda" => {}
            _ => collect_returns(child, returns),
        }
    }
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
    // `del helper` at module level: nobody outside can call it, called here or not.
    let mut called = context
        .scopes
        .scope(ScopeId(0))
        .symbol(name)
        .is_some_and(|s| s.occurrences.iter().any(|o| o.role == Role::Delete));
    for symbol in global_symbols(context, name) {
        for occurrence in symbol.occurrences.iter().filter(|o| o.role == Role::Use) {
            let Some(node) = context.descendant(occurrence.range.clone()) else {
                return false;
            };
            let Some(parent) = node.parent() else {
                return false;
            };
            let is_callee = parent.kind_name() == "call"
                && parent
                    .field(Field::Function)
                    .is_some_and(|f| f.id() == node.id());
            if !(is_callee || parent.kind_name() == "decorator") {
                return false;
            }
            if let Some(caller) = context.runtime_function(node)
                && !runs_only_at_import(context, caller, visiting)
            {
                return false;
            }
            called = true;
        }
    }
    called
}

/// The fix for a module-level dict that one function uses as its memo: the function gets
/// `@functools.lru_cache(maxsize=N)` and loses its look-up and its store, and the dict goes.
/// `None` unless the dict is `{}` or `dict()`, on a line of its own, mentioned nowhere but in
/// one recognised memoizing function (see [`memo_shape`]).
fn memo_fix(context: &Context, binding: Node, target: Node, value: Node) -> Option<Fix> {
    let empty = match value.kind_name() {
        "dictionary" => named_children(value).is_empty(),
        "call" => value
            .field(Field::Arguments)
            .is_some_and(|a| named_children(a).is_empty()),
        _ => false,
    };
    let statement = binding
        .parent()
        .filter(|s| s.kind_name() == "expression_statement" && named_children(*s).len() == 1)?;
    if !empty {
        return None;
    }
    let name = context.text_of(target);
    let mut uses = Vec::new();
    for symbol in global_symbols(context, name) {
        for occurrence in &symbol.occurrences {
            match occurrence.role {
                Role::Bind if occurrence.range == target.byte_range() => {}
                Role::Use => uses.push(context.descendant(occurrence.range.clone())?),
                _ => return None,
            }
        }
    }
    let function = context.scope_containing(*uses.first()?);
    if uses
        .iter()
        .any(|node| context.scope_containing(*node) != function)
    {
        return None;
    }
    let scope = context.scopes.scope(function);
    if scope.kind != ScopeKind::Function || scope.parent != Some(ScopeId(0)) {
        return None;
    }
    let definition = context
        .descendant(scope.range.clone())
        .filter(|d| d.byte_range() == scope.range && d.kind_name() == "function_definition")?;
    let memo = Memo {
        context,
        cache: name,
        function,
        parameters: plain_parameters(context, definition, function)?,
    };
    let mut edits = memo.shape(definition, uses.len())?;
    edits.push(remove_statement(context.text, statement)?);
    let lines = StatementLines::of(context.text, definition);
    if !lines.indented() {
        return None;
    }
    let (indent, eol) = (lines.indent, lines.newline);
    let imported = context.import(Needed::Module("functools"), definition.start_byte())?;
    let maxsize = context.settings.lru_cache_maxsize;
    edits.push(Edit {
        range: definition.start_byte()..definition.start_byte(),
        text: format!(
            "@{}.lru_cache(maxsize={maxsize}){eol}{indent}",
            imported.reference
        ),
    });
    let mut edits = with_import(edits, imported.edit)?;
    let overlapping = edits
        .windows(2)
        .any(|pair| overlap(&pair[0].range, &pair[1].range));
    if overlapping {
        return None;
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    Some(Fix {
        title: format!(
            "Cache `{}` with `@functools.lru_cache(maxsize={maxsize})` instead of `{name}` \
             (at most {maxsize} entries kept; evicted ones are recomputed; other modules \
             that use `{name}` are not updated)",
            scope.name
        ),
        safety: Safety::Unsafe,
        edits,
    })
}

/// The parameter names of a function that `lru_cache` can key on as the memo did: plain or
/// defaulted (annotated or not), no `*args` / `**kwargs`, never rebound in the body. `None`
/// for an `async` or decorated function, or a generator.
fn plain_parameters<'t>(
    context: &Context<'t>,
    definition: Node<'t>,
    function: ScopeId,
) -> Option<Vec<&'t str>> {
    let is_async = definition
        .child(0)
        .is_some_and(|c| c.kind_name() == "async");
    let decorated = definition
        .parent()
        .is_some_and(|p| p.kind_name() == "decorated_definition");
    if is_async || decorated || suspends(definition.field(Field::Body)?) {
        return None;
    }
    let scope = context.scopes.scope(function);
    let mut names = Vec::new();
    for parameter in named_children(definition.field(Field::Parameters)?) {
        let name = match parameter.kind_name() {
            "identifier" => parameter,
            "typed_parameter" => named_children(parameter)
                .into_iter()
                .find(|c| c.kind_name() == "identifier")?,
            "default_parameter" | "typed_default_parameter" => parameter.field(Field::Name)?,
            "positional_separator" | "keyword_separator" => continue,
            _ => return None,
        };
        let name = context.text_of(name);
        let rebound = scope.symbol(name).is_none_or(|s| {
            s.occurrences
                .iter()
                .any(|o| !matches!(o.role, Role::Param | Role::Use))
        });
        if rebound {
            return None;
        }
        names.push(name);
    }
    (!names.is_empty()).then_some(names)
}

/// Whether a body (not counting functions defined in it) has `yield` or `await`.
fn suspends(node: Node) -> bool {
    match node.kind_name() {
        "yield" | "await" => true,
        "function_definition" | "lambda" | "class_definition" => false,
        _ => named_children(node).into_iter().any(suspends),
    }
}

/// A function that may memoize its parameters in the module dict `cache`.
struct Memo<'c, 't> {
    context: &'c Context<'t>,
    cache: &'t str,
    function: ScopeId,
    parameters: Vec<&'t str>,
}

impl<'t> Memo<'_, 't> {
    /// The edits that leave the function computing its value without the dict, for the shapes
    /// (after an optional docstring, `KEY` being the parameters, alone or as a tuple):
    ///
    /// - `if KEY in cache: return cache[KEY]`, statements, `cache[KEY] = value`,
    ///   `return value` (the check and the store go), or `cache[KEY] = expression`,
    ///   `return cache[KEY]` at the end (they become `return expression`);
    /// - `if KEY not in cache: cache[KEY] = expression`, `return cache[KEY]`, which become
    ///   `return expression`;
    /// - `value = cache.get(KEY)`, `if value is not None: return value`, statements that
    ///   assign `value`, `cache[KEY] = value`, `return value` (the look-up, check and store go);
    /// - `value = cache.get(KEY)`, `if value is None: value = expression; cache[KEY] = value`,
    ///   `return value`, which become `return expression`.
    ///
    /// `uses` is how many times the function names the dict: every one must be in the shape.
    fn shape(&self, definition: Node<'t>, uses: usize) -> Option<Vec<Edit>> {
        let text = self.context.text;
        let body = definition.field(Field::Body)?;
        let mut statements = named_children(body);
        if statements.first().is_some_and(|s| is_docstring(*s)) {
            statements.remove(0);
        }
        let [head, rest @ ..] = statements.as_slice() else {
            return None;
        };
        let replace = |from: Node, to: Node, expression: Node| Edit {
            range: from.start_byte()..to.end_byte(),
            text: format!("return {}", self.context.text_of(expression)),
        };
        let head_if = self.if_without_else(*head);
        let head_if = head_if.as_ref().map(|(c, b)| (*c, b.as_slice()));
        // `if KEY not in cache: cache[KEY] = expression` / `return cache[KEY]`
        if let Some((condition, [store])) = head_if
            && let [ret] = rest
            && self.membership(condition, "not in").is_some()
            && let Some(expression) = self.store(*store, None)
            && self.returns_entry(*ret)
            && uses == 3
        {
            return Some(vec![replace(*head, *ret, expression)]);
        }
        // `if KEY in cache: return cache[KEY]` ... `cache[KEY] = value` / `return value`
        if let Some((condition, [hit])) = head_if
            && self.membership(condition, "in").is_some()
            && self.returns_entry(*hit)
            && let [middle @ .., store, ret] = rest
            && !middle.iter().any(|s| has_return(*s))
        {
            if let Some(value) = self.store(*store, None)
                && value.kind_name() == "identifier"
                && returns_name(self.context, *ret, self.context.text_of(value))
                && !middle.is_empty()
                && uses == 3
            {
                return Some(vec![
                    remove_statement(text, *head)?,
                    remove_statement(text, *store)?,
                ]);
            }
            if let Some(expression) = self.store(*store, None)
                && self.returns_entry(*ret)
                && uses == 4
            {
                return Some(vec![
                    remove_statement(text, *head)?,
                    replace(*store, *ret, expression),
                ]);
            }
            return None;
        }
        // `value = cache.get(KEY)` ...
        let value = self.lookup(*head)?;
        let [check, rest @ ..] = rest else {
            return None;
        };
        let (condition, block) = self.if_without_else(*check)?;
        let operator = self.none_test(condition, value)?;
        match (operator, block.as_slice(), rest) {
            ("is not", [hit], [middle @ .., store, ret])
                if returns_name(self.context, *hit, value)
                    && !middle.iter().any(|s| has_return(*s))
                    && middle.iter().any(|s| assigns(self.context, *s, value))
                    && self.store(*store, Some(value)).is_some()
                    && returns_name(self.context, *ret, value)
                    && uses == 2 =>
            {
                Some(vec![
                    remove_statement(text, *head)?,
                    remove_statement(text, *check)?,
                    remove_statement(text, *store)?,
                ])
            }
            ("is", [compute, store], [ret])
                if self.store(*store, Some(value)).is_some()
                    && returns_name(self.context, *ret, value)
                    && uses == 2 =>
            {
                let expression = assigned_value(self.context, *compute, value)?;
                Some(vec![replace(*head, *ret, expression)])
            }
            _ => None,
        }
    }

    /// The condition and the statements of an `if` without `elif` / `else`.
    fn if_without_else(&self, statement: Node<'t>) -> Option<(Node<'t>, Vec<Node<'t>>)> {
        if statement.kind_name() != "if_statement" || statement.field(Field::Alternative).is_some()
        {
            return None;
        }
        Some((
            statement.field(Field::Condition)?,
            named_children(statement.field(Field::Consequence)?),
        ))
    }

    fn is_cache(&self, node: Node) -> bool {
        node.kind_name() == "identifier"
            && self.context.text_of(node) == self.cache
            && self.context.scope_containing(node) == self.function
    }

    /// Whether the expressions are the key: the parameters (all, each once), alone or as a
    /// tuple, parentheses or not.
    fn is_key(&self, parts: &[Node]) -> bool {
        let mut names = Vec::new();
        let mut stack: Vec<Node> = parts.to_vec();
        while let Some(part) = stack.pop() {
            match part.kind_name() {
                "identifier" => names.push(self.context.text_of(part)),
                "tuple" | "parenthesized_expression" | "expression_list" if parts.len() == 1 => {
                    stack.extend(named_children(part))
                }
                _ => return false,
            }
        }
        let mut expected = self.parameters.clone();
        names.sort_unstable();
        expected.sort_unstable();
        names == expected
    }

    /// `KEY in cache` / `KEY not in cache`, for `operator`.
    fn membership(&self, condition: Node, operator: &str) -> Option<()> {
        if condition.kind_name() != "comparison_operator" {
            return None;
        }
        let operands = named_children(condition);
        let [key, cache] = operands.as_slice() else {
            return None;
        };
        let spelled = self.context.text[key.end_byte()..cache.start_byte()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (spelled == operator && self.is_key(&[*key]) && self.is_cache(*cache)).then_some(())
    }

    /// `cache[KEY]`.
    fn is_entry(&self, node: Node) -> bool {
        if node.kind_name() != "subscript" {
            return false;
        }
        let mut cursor = node.walk();
        let key: Vec<Node> = node
            .children_by_field_name("subscript", &mut cursor)
            .collect();
        node.field(Field::Value).is_some_and(|v| self.is_cache(v)) && self.is_key(&key)
    }

    /// `return cache[KEY]`.
    fn returns_entry(&self, statement: Node) -> bool {
        statement.kind_name() == "return_statement"
            && matches!(named_children(statement).as_slice(), [entry] if self.is_entry(*entry))
    }

    /// The stored expression of `cache[KEY] = expression` (the name `value`, when given).
    fn store(&self, statement: Node<'t>, value: Option<&str>) -> Option<Node<'t>> {
        let assignment = only_assignment(statement)?;
        let stored = assignment.field(Field::Right)?;
        let stored_ok = match value {
            Some(value) => {
                stored.kind_name() == "identifier" && self.context.text_of(stored) == value
            }
            None => !matches!(stored.kind_name(), "assignment" | "yield"),
        };
        (self.is_entry(assignment.field(Field::Left)?) && stored_ok).then_some(stored)
    }

    /// The name bound by `value = cache.get(KEY)`.
    fn lookup(&self, statement: Node<'t>) -> Option<&'t str> {
        let assignment = only_assignment(statement)?;
        let target = assignment
            .field(Field::Left)
            .filter(|l| l.kind_name() == "identifier")?;
        let call = assignment
            .field(Field::Right)
            .filter(|r| r.kind_name() == "call")?;
        let method = call
            .field(Field::Function)
            .filter(|f| f.kind_name() == "attribute")?;
        let arguments = named_children(call.field(Field::Arguments)?);
        let is_get = method
            .field(Field::Attribute)
            .is_some_and(|a| self.context.text_of(a) == "get")
            && method
                .field(Field::Object)
                .is_some_and(|o| self.is_cache(o));
        let name = self.context.text_of(target);
        (is_get && arguments.len() == 1 && self.is_key(&arguments) && name != self.cache)
            .then_some(name)
    }

    /// `value is None` / `value is not None`: the operator.
    fn none_test(&self, condition: Node, value: &str) -> Option<&'static str> {
        let operands = named_children(condition);
        let [name, none] = operands.as_slice() else {
            return None;
        };
        if condition.kind_name() != "comparison_operator"
            || name.kind_name() != "identifier"
            || self.context.text_of(*name) != value
            || none.kind_name() != "none"
        {
            return None;
        }
        let spelled = self.context.text[name.end_byte()..none.start_byte()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        match spelled.as_str() {
            "is" => Some("is"),
            "is not" => Some("is not"),
            _ => None,
        }
    }
}

fn is_docstring(statement: Node) -> bool {
    statement.kind_name() == "expression_statement"
        && matches!(named_children(statement).as_slice(), [s] if s.kind_name() == "string")
}

/// The assignment of an expression statement that is one plain `target = value`.
fn only_assignment(statement: Node) -> Option<Node> {
    if statement.kind_name() != "expression_statement" {
        return None;
    }
    match named_children(statement).as_slice() {
        [assignment]
            if assignment.kind_name() == "assignment"
                && assignment.field(Field::Type).is_none() =>
        {
            Some(*assignment)
        }
        _ => None,
    }
}

/// `return name`.
fn returns_name(context: &Context, statement: Node, name: &str) -> bool {
    statement.kind_name() == "return_statement"
        && matches!(named_children(statement).as_slice(),
            [value] if value.kind_name() == "identifier" && context.text_of(*value) == name)
}

/// The value of `name = value` (a plain expression, not a chain or a tuple).
fn assigned_value<'t>(context: &Context<'t>, statement: Node<'t>, name: &str) -> Option<Node<'t>> {
    let assignment = only_assignment(statement)?;
    let target = assignment.field(Field::Left)?;
    let value = assignment.field(Field::Right)?;
    (target.kind_name() == "identifier"
        && context.text_of(target) == name
        && !matches!(value.kind_name(), "assignment" | "yield"))
    .then_some(value)
}

/// Whether a statement is `name = ...`.
fn assigns(context: &Context, statement: Node, name: &str) -> bool {
    only_assignment(statement)
        .and_then(|a| a.field(Field::Left))
        .is_some_and(|l| l.kind_name() == "identifier" && context.text_of(l) == name)
}

/// Whether a statement has a `return` (not counting functions defined in it).
fn has_return(node: Node) -> bool {
    match node.kind_name() {
        "return_statement" => true,
        "function_definition" | "lambda" | "class_definition" => false,
        _ => named_children(node).into_iter().any(has_return),
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::fixes::apply_edits;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::Settings;

    /// The text after the fix of the only finding, with the given `lru-cache-maxsize`.
    fn fixed(text: &str, maxsize: u64) -> Option<String> {
        let settings = Settings {
            rules: vec![Rule::UnboundedModuleCache],
            lru_cache_maxsize: maxsize,
            strict: true,
            ..Settings::default()
        };
        let found = check(text, &parse(text), &settings);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = found[0].fixes.first()?;
        assert!(
            fix.title
                .contains(&format!("at most {maxsize} entries kept"))
        );
        Some(apply_edits(text, &fix.edits))
    }

    const MEMO: &str = "import functools as ft\n_c = {}\ndef f(a, b):\n    if (a, b) not in _c:\n        _c[a, b] = [a] * b\n    return _c[a, b]\nhandlers = [f]\n";

    #[test]
    fn memo_becomes_lru_cache_of_the_configured_size() {
        assert_eq!(
            fixed(MEMO, 16).as_deref(),
            Some(
                "import functools as ft\n@ft.lru_cache(maxsize=16)\ndef f(a, b):\n    return [a] * b\nhandlers = [f]\n"
            )
        );
    }

    fn levels(text: &str) -> Vec<crate::analysis::findings::Level> {
        crate::analysis::rules::levels_of(Rule::UnboundedModuleCache, text)
    }

    #[test]
    fn strict_reports_local_classes_fixed_keys_reset_values_and_keys_not_from_callers() {
        use crate::analysis::findings::Level::{Default, Strict};
        let local_class = "def test_purge():\n    class C:\n        purged = []\n        def purge(self, q):\n            self.purged.append(q)\n";
        assert_eq!(levels(local_class), [Strict]);
        let fixed = "_OK = frozenset({'a', 'b'})\n_c = {}\ndef get(code):\n    assert code in _OK\n    _c[code] = [code]\n";
        assert_eq!(levels(fixed), [Strict]);
        let reset = "_b = {}\ndef put(k, v):\n    _b[k] = v\ndef take(k):\n    _b[k] = []\n";
        assert_eq!(levels(reset), [Strict]);
        let not_from_callers = "import os\n_p = {}\ndef conn():\n    _p[os.getpid()] = 1\n";
        assert_eq!(levels(not_from_callers), [Strict]);
        let by_request = "_r = {}\ndef handle(request):\n    _r[request.path] = request\n";
        assert_eq!(levels(by_request), [Default]);
        let by_identity = "_i = {}\ndef keep(obj):\n    _i[id(obj)] = len(obj)\n";
        assert_eq!(levels(by_identity), []);
        // The entry keeps `obj`: RH301's, strict as nothing says `obj` is made per request.
        let keeps_object = "_i = {}\ndef keep(obj):\n    _i[id(obj)] = obj\n";
        assert_eq!(levels(keeps_object), [Strict]);
        let by_name = "_n = {}\ndef compile(fmt):\n    _n[fmt] = fmt.split()\n";
        assert_eq!(levels(by_name), [Strict]);
    }

    #[test]
    fn no_fix_when_the_key_misses_a_parameter_or_the_dict_is_used_elsewhere() {
        let partial_key = MEMO.replace("def f(a, b)", "def f(a, b, c)");
        assert_eq!(fixed(&partial_key, 128), None);
        let read_elsewhere = format!("{MEMO}def size():\n    return len(_c)\n");
        assert_eq!(fixed(&read_elsewhere, 128), None);
        let async_function = MEMO.replace("def f", "async def f");
        assert_eq!(fixed(&async_function, 128), None);
    }
}
