//! # RH304 unbounded-instance-cache
//!
//! ## What it does
//! Flags a container attribute of an instance (`self._rendered = {}` in `__init__`: a dict,
//! list, set, `defaultdict`, `OrderedDict`, `Counter` or `deque` without `maxlen`) that the
//! class's methods add to (`self._rendered[key] = value`, `.add`, `.append`, `.setdefault`,
//! `.update`, `.extend`, `.insert`, `+=`) while nothing in the file removes from it (no
//! `del self._rendered[key]`, `.pop`, `.popitem`, `.clear`, `.remove`, `.discard`, no
//! reassignment outside `__init__`, no `len(...)` size check, no `.discard` / `.remove` handed
//! out as a callback), in two cases:
//!
//! - a cache on an object made once per process: the class is instantiated only at module
//!   level (`app = Application()`), and the keys come from the methods' arguments (one entry
//!   per distinct request path, user, ...);
//! - a set or list of tasks (`asyncio.create_task(...)`, `ensure_future(...)`,
//!   `loop.create_task(...)`) that nothing discards when they finish (the usual
//!   `task.add_done_callback(self._tasks.discard)` is missing), on an object not made per call.
//!
//! Silent for adds with literal keys (they only replace), for `self.name[i] = None` (a slot let
//! go of), and for containers that something empties while the object is in use (including a
//! swap, `batch, self.name = self.name, []`), and for methods that configure the object from
//! code (`register_*`, `add_*`, `allow*`, `declare_*`).
//!
//! Reported only with `strict = true`: the same growth on an object made per call or per
//! connection, or not made in this file (it may die with its work), on a test class (named
//! `Test*`, a `TestCase`, or made in the body of one), a mapping or set whose keys do not come
//! from the methods' arguments (a list or deque grows by one entry per call whatever the item),
//! on a service (a `Service` subclass) the file does not make, or emptied only in a lifecycle
//! method (`close`, `shutdown`, `__exit__`, ...).
//!
//! ## Why is this bad?
//! An object that lives for the whole process (an application, a server, a client made at
//! import time) keeps every entry its methods put in its containers. When a method runs per
//! request and keys by request data, memory grows with the traffic served. A finished
//! `asyncio.Task` kept in a set holds its result or exception (with its traceback and every
//! frame's locals) until the set lets go of it.
//!
//! ## Example
//! ```python
//! class Application:
//!     def __init__(self):
//!         self._rendered = {}
//!
//!     def handle(self, request):
//!         if request.path not in self._rendered:
//!             self._rendered[request.path] = self.render(request)   # forever
//!         return self._rendered[request.path]
//!
//! app = Application()
//! ```
//!
//! ## Use instead
//! ```python
//! class Application:
//!     def handle(self, request):
//!         ...
//!         self._rendered[request.path] = self.render(request)
//!         if len(self._rendered) > 1024:                       # bounded
//!             self._rendered.pop(next(iter(self._rendered)))
//!
//! class Server:
//!     def on_request(self, coro):
//!         task = asyncio.ensure_future(coro)
//!         self._tasks.add(task)
//!         task.add_done_callback(self._tasks.discard)         # let go when done
//! ```
//!
//! Bound the cache (an LRU, evict when `len(...)` passes a limit), key it weakly
//! (`weakref.WeakValueDictionary`), or discard each task when it is done.
//!
//! ## Fix safety
//! No fix is offered: the right bound, or where a task is done with, is the author's call.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::classes::{Class, Classes, InMethod, store_attribute, store_target};
use crate::analysis::semantic::containers::{
    depends_on_arguments, growing_container, is_keyed, is_literal, is_registration_name,
};
use crate::analysis::semantic::function_kind::{defining_class, receiver};
use crate::analysis::semantic::lifetime::Made;
use crate::analysis::semantic::release::Release;
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

/// Calls (by their last name) that make an `asyncio` task or future.
const TASK_FACTORIES: &[&str] = &[
    "create_task",
    "ensure_future",
    "Task",
    "run_coroutine_threadsafe",
];
/// Methods Python calls with an attribute name the reading code spells out: a fixed key set.
const ATTRIBUTE_HOOKS: &[&str] = &["__getattr__", "__getattribute__"];
/// Methods that take something out of a container, handed out uncalled as a callback.
const REMOVING_CALLBACKS: &[&str] = &["discard", "remove", "pop"];

/// One add to the container: the statement, and its key (or item).
struct Add<'t> {
    statement: Node<'t>,
    method: &'t str,
    /// Whether the key (or item) depends on the method's arguments (other than `self`).
    from_arguments: bool,
    is_task: bool,
}

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    for (index, class) in classes.classes.iter().enumerate() {
        for (name, setup, container) in initialised_containers(classes, class) {
            let adds = adds(checker, index, class, name, container);
            if adds.is_empty() || emptied_in_use(checker, class, name) {
                continue;
            }
            let made = checker.semantic.made(index);
            findings.extend(finding(checker, class, name, setup, container, &adds, made));
        }
    }
    findings
}

/// `self.name = <container>` in `__init__`: the name, the assignment, the container's kind.
/// Among the file's stores, those `__init__` runs itself (not a function or class inside it).
fn initialised_containers<'t>(
    classes: &Classes<'_, 't>,
    class: &Class<'t>,
) -> Vec<(&'t str, Node<'t>, &'static str)> {
    let context = classes.context;
    let Some(init) = class.methods.iter().find(|m| {
        m.node
            .field(Field::Name)
            .is_some_and(|n| context.text_of(n) == "__init__")
    }) else {
        return Vec::new();
    };
    classes
        .stores_in(init)
        .filter(|store| {
            store.statement.kind_name() == "assignment"
                && context.text_of(store.object) == init.self_name
                && context.scope_containing(store.statement) == init.scope
        })
        .filter_map(|store| {
            let left = store
                .statement
                .field(Field::Left)
                .filter(|l| l.kind_name() == "attribute")?;
            let attribute = left.field(Field::Attribute)?;
            // The assignment's own right-hand side: of `self.a = self.b = {}`, only `b` is
            // set to the container.
            let container = store
                .statement
                .field(Field::Right)
                .and_then(|v| growing_container(context, v))?;
            Some((context.text_of(attribute), store.statement, container))
        })
        .collect()
}

/// The adds to `self.name` in the class's methods (other than `__init__`), with a non-literal
/// key for a keyed container.
fn adds<'t>(
    checker: &Checker<'_, 't>,
    index: usize,
    class: &Class<'t>,
    name: &str,
    container: &str,
) -> Vec<Add<'t>> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut found = Vec::new();
    for method in &class.methods {
        if method
            .node
            .field(Field::Name)
            .is_some_and(|n| context.text_of(n) == "__init__")
        {
            continue;
        }
        let name_of_method = method_name(context, method.node);
        let in_method = InMethod::new(classes, index, method);
        // Asked once the method is seen adding: a text search per method and container is the
        // rule's costliest step on files with large classes.
        let mut helper_of_init = None;
        for store in classes.stores_in(method) {
            let Some(key) = added_to(context, &in_method, store, name) else {
                continue;
            };
            // A helper of `__init__` fills the container once, as the object is set up.
            if *helper_of_init
                .get_or_insert_with(|| only_called_from_init(context, class, name_of_method))
            {
                break;
            }
            if is_keyed(container) && is_literal(key) || stores_none(store) {
                continue;
            }
            let is_task = is_task(context, method.scope, key);
            // A registry filled through `add_listener(...)`: whether registrations pile up is
            // RH501's question.
            if !is_task && configures(context, method_name(context, method.node)) {
                continue;
            }
            found.push(Add {
                statement: store.statement,
                method: method_name(context, method.node),
                from_arguments: is_task
                    || depends_on_arguments(context, method.scope, key, &[method.self_name]),
                is_task,
            });
        }
    }
    found
}

/// Leading words of methods that configure an object from code (`allowTypes`,
/// `declare_queue`), beside the registration words of [`is_registration_name`].
const CONFIGURING_WORDS: &[&str] = &["allow", "declare"];

/// `add_listener`, `register_codec`, `allowTypes`, `declare_queue`: a method through which
/// callers configure what the container holds, so they decide how much goes in.
fn configures(context: &Context, name: &str) -> bool {
    let bare = name.trim_start_matches('_');
    is_registration_name(context, name)
        || CONFIGURING_WORDS.iter().any(|word| {
            bare.len() > word.len()
                && bare[..word.len()].eq_ignore_ascii_case(word)
                && bare[word.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c == '_' || c.is_ascii_uppercase())
        })
}

/// Whether every mention of `name` in the file is a `self.name(...)` call in the class's
/// `__init__`.
fn only_called_from_init(context: &Context, class: &Class, name: &str) -> bool {
    let mentions: Vec<Node> = context
        .identifiers(name)
        .into_iter()
        .filter(|i| i.parent().is_some_and(|p| p.kind_name() == "attribute"))
        .collect();
    let Some(init) = class.methods.iter().find(|m| {
        m.node
            .field(Field::Name)
            .is_some_and(|n| context.text_of(n) == "__init__")
    }) else {
        return false;
    };
    !mentions.is_empty()
        && mentions.iter().all(|m| {
            init.node.byte_range().contains(&m.start_byte())
                && m.parent()
                    .and_then(|a| a.parent())
                    .is_some_and(|c| c.kind_name() == "call")
        })
}

fn method_name<'t>(context: &Context<'t>, definition: Node) -> &'t str {
    definition
        .field(Field::Name)
        .map_or("", |n| context.text_of(n))
}

/// The key (or item) a store adds to `self.name`: `self.name[key] = ...`,
/// `self.name.add(item)`, `self.name += [item]`.
fn added_to<'t>(
    context: &Context<'t>,
    in_method: &InMethod<'_, '_, 't>,
    store: &crate::analysis::semantic::classes::Store<'t>,
    name: &str,
) -> Option<Node<'t>> {
    let is_self_name = |node: Node| {
        node.kind_name() == "attribute"
            && node
                .field(Field::Object)
                .is_some_and(|o| in_method.is_self(o))
            && node
                .field(Field::Attribute)
                .is_some_and(|a| context.text_of(a) == name)
    };
    match store.statement.kind_name() {
        "call" if is_self_name(store.object) => {
            let arguments = named_children(store.statement.field(Field::Arguments)?);
            arguments.first().copied()
        }
        "assignment" | "augmented_assignment" if is_self_name(store.object) => {
            // `self.name[key] = value`
            let target = store_target(store);
            (target.kind_name() == "subscript")
                .then(|| target.field(Field::Subscript))
                .flatten()
        }
        "augmented_assignment" if in_method.is_self(store.object) => {
            // `self.name += [item]`
            let attribute = store_attribute(store)?;
            (context.text_of(attribute) == name)
                .then(|| store.values.first().copied())
                .flatten()
        }
        _ => None,
    }
}

/// `self.name[key] = None`: a slot emptied, not an entry added.
fn stores_none(store: &crate::analysis::semantic::classes::Store) -> bool {
    store.statement.kind_name() == "assignment"
        && store
            .statement
            .field(Field::Right)
            .is_some_and(|r| r.kind_name() == "none")
}

/// The test class (`class TestX`, a `...TestCase` base) whose body makes `call`, if one does.
fn in_test_class<'t>(context: &Context<'t>, call: Node) -> Option<&'t str> {
    std::iter::successors(call.parent(), |n| n.parent())
        .filter(|n| n.kind_name() == "class_definition")
        .find_map(|class| {
            let name = context.text_of(class.field(Field::Name)?);
            let test_base = class.field(Field::Superclasses).is_some_and(|bases| {
                named_children(bases)
                    .into_iter()
                    .any(|b| context.text_of(b).ends_with("TestCase"))
            });
            (name.starts_with("Test") || test_base).then_some(name)
        })
}

/// Whether an added item is a task: a call of a task factory, or a local bound to one.
fn is_task(context: &Context, function: crate::analysis::scope::ScopeId, item: Node) -> bool {
    let makes_task = |value: Node| {
        value.kind_name() == "call"
            && value.field(Field::Function).is_some_and(|f| {
                let last = match f.kind_name() {
                    "attribute" => f.field(Field::Attribute),
                    _ => Some(f),
                };
                last.is_some_and(|l| TASK_FACTORIES.contains(&context.text_of(l)))
            })
    };
    match item.kind_name() {
        "call" => makes_task(item),
        "identifier" => {
            let bindings = context.bindings(function, context.text_of(item));
            !bindings.is_empty() && bindings.iter().all(|b| b.value.is_some_and(makes_task))
        }
        _ => false,
    }
}

/// Whether something empties `x.name` while the object is in use: a release outside a
/// lifecycle method, a reassignment outside `__init__`, a size check, or its `.discard` /
/// `.remove` handed out as a callback (`task.add_done_callback(self._tasks.discard)`).
fn emptied_in_use<'t>(checker: &Checker<'_, 't>, class: &Class<'t>, name: &str) -> bool {
    let context = checker.context;
    if releases(checker, class, name)
        .iter()
        .any(|r| !r.in_lifecycle(context))
    {
        return true;
    }
    context.identifiers(name).into_iter().any(|identifier| {
        let Some(attribute) = identifier.parent().filter(|p| {
            p.kind_name() == "attribute"
                && p.field(Field::Attribute)
                    .is_some_and(|a| a.id() == identifier.id())
                && !another_instance(context, class, *p)
        }) else {
            return false;
        };
        let Some(parent) = attribute.parent() else {
            return false;
        };
        match parent.kind_name() {
            // `x.name.discard` not called: handed out as a callback.
            "attribute" => {
                let method = parent
                    .field(Field::Attribute)
                    .map_or("", |a| context.text_of(a));
                let called = parent.parent().is_some_and(|c| c.kind_name() == "call");
                REMOVING_CALLBACKS.contains(&method) && !called
            }
            // `len(x.name) > N`
            "argument_list" => parent.parent().is_some_and(|call| {
                call.field(Field::Function)
                    .is_some_and(|f| context.text_of(f) == "len")
                    && call
                        .parent()
                        .is_some_and(|p| p.kind_name() == "comparison_operator")
            }),
            // `x.name = other` outside `__init__`
            "assignment" => {
                parent
                    .field(Field::Left)
                    .is_some_and(|l| l.id() == attribute.id())
                    && enclosing_def_name(context, parent) != Some("__init__")
            }
            // `batch, x.name = x.name, []`: swapped for a fresh container.
            "pattern_list" | "tuple_pattern" => parent.parent().is_some_and(|assignment| {
                assignment.kind_name() == "assignment"
                    && assignment
                        .field(Field::Left)
                        .is_some_and(|l| l.id() == parent.id())
                    && enclosing_def_name(context, assignment) != Some("__init__")
            }),
            // `x.name[i] = None`: an entry let go of.
            "subscript" => parent.parent().is_some_and(|assignment| {
                assignment.kind_name() == "assignment"
                    && assignment
                        .field(Field::Left)
                        .is_some_and(|l| l.id() == parent.id())
                    && assignment
                        .field(Field::Right)
                        .is_some_and(|r| r.kind_name() == "none")
            }),
            _ => false,
        }
    })
}

/// The releases of `x.name` that may be this class's: not `self.name` in a method of another
/// class, which is that class's attribute.
fn releases<'t>(checker: &Checker<'_, 't>, class: &Class<'t>, name: &str) -> Vec<Release<'t>> {
    let context = checker.context;
    let mut releases = checker.semantic.releases.of_attribute(name);
    releases.retain(|release| {
        let attributes = attribute_nodes_in(context, release.node, name);
        !attributes
            .iter()
            .all(|a| another_instance(context, class, *a))
    });
    releases
}

/// The `x.name` attributes in a node.
fn attribute_nodes_in<'t>(context: &Context<'t>, node: Node<'t>, name: &str) -> Vec<Node<'t>> {
    let mut found = Vec::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node.kind_name() == "attribute"
            && node
                .field(Field::Attribute)
                .is_some_and(|a| context.text_of(a) == name)
        {
            found.push(node);
        }
        stack.extend(named_children(node));
    }
    found
}

/// Whether `x.name` is `self.name` in a method of a class other than `class`: an attribute of
/// that class's instances, not of this one's.
fn another_instance(context: &Context, class: &Class, attribute: Node) -> bool {
    let Some(object) = attribute.field(Field::Object) else {
        return false;
    };
    let Some(function) = context.enclosing_def(attribute) else {
        return false;
    };
    // The class first: telling the receiver reads the whole class.
    defining_class(function).is_some_and(|owner| owner.id() != class.node.id())
        && receiver(context, function)
            .is_some_and(|(_, first)| context.text_of(first) == context.text_of(object))
}

fn enclosing_def_name<'t>(context: &Context<'t>, node: Node<'t>) -> Option<&'t str> {
    context
        .enclosing_def(node)
        .map(|function| method_name(context, function))
}

fn finding<'t>(
    checker: &Checker<'_, 't>,
    class: &Class<'t>,
    name: &str,
    setup: Node,
    container: &str,
    adds: &[Add],
    made: Made,
) -> Option<Finding> {
    let context = checker.context;
    let line = |node: Node| context.lines.line_of(node.start_byte());
    let tasks = adds.iter().any(|a| a.is_task);
    let first = adds.first()?;
    let releases = releases(checker, class, name);
    let made_text = made.describe(context, class.name);
    let mut message = if tasks {
        format!(
            "`self.{name}` of `{}` (a {container}, line {}) keeps every task `{}()` adds to it \
             (line {}), finished or not: nothing discards them (no \
             `task.add_done_callback(self.{name}.discard)`), so each finished task, with its \
             result or exception and traceback, stays alive as long as the `{}`",
            class.name,
            line(setup),
            first.method,
            line(first.statement),
            class.name
        )
    } else {
        format!(
            "`self.{name}` of `{}` (a {container}, line {}) only grows: `{}()` adds to it \
             (line {}) and nothing removes entries, so everything put in it stays alive as long \
             as the `{}`, one entry per distinct {}",
            class.name,
            line(setup),
            first.method,
            line(first.statement),
            class.name,
            if is_keyed(container) { "key" } else { "call" }
        )
    };
    // A list or deque grows by one entry per call, whatever the item; a mapping or set only
    // by distinct keys, which must come from the callers to be unbounded.
    let keys_from_callers = !is_keyed(container) || adds.iter().any(|a| a.from_arguments);
    let harmless = if let Some(release) = releases.first() {
        Some(format!(
            "it is emptied only when the object's use ends ({})",
            release.describe(context)
        ))
    } else if tasks {
        match made {
            Made::PerCall { .. } | Made::PerConnection(_) => {
                Some(format!("{made_text}: the set dies with it"))
            }
            _ => None,
        }
    } else if matches!(made, Made::InTests(_)) {
        Some(made_text.clone())
    } else if let Made::Once(call) = made
        && let Some(test) = in_test_class(context, call)
    {
        Some(format!(
            "`{}` is made once in the body of the test class `{test}`: it lives for the test run",
            class.name
        ))
    } else if !made.is_once() {
        Some(format!(
            "{made_text}; a cache on an object made once per process is what grows for good"
        ))
    } else if made.is_service() {
        Some(format!(
            "{made_text}, but not by this file, which shows no callers whose keys keep coming \
             (a service's keys are often its configured names)"
        ))
    } else if adds.iter().all(|a| ATTRIBUTE_HOOKS.contains(&a.method)) {
        Some(format!(
            "`{}()` keys it by attribute names, which the code that reads them spells out",
            first.method
        ))
    } else if !keys_from_callers {
        Some("the keys do not come from the methods' arguments".to_string())
    } else {
        None
    };
    let level = match harmless {
        Some(reason) => Level::strict_because(&mut message, &reason),
        None => {
            if !matches!(made, Made::Unknown) {
                message.push_str(&format!("; {made_text}"));
            }
            Level::Default
        }
    };
    Some(Finding {
        rule: Rule::UnboundedInstanceCache,
        range: setup.byte_range(),
        message,
        related: adds
            .iter()
            .map(|add| Related {
                range: add.statement.byte_range(),
                message: format!("`{}()` adds to `self.{name}` here", add.method),
            })
            .collect(),
        fixes: Vec::new(),
        level,
        release_elsewhere: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::analysis::findings::Level::{self, Default, Strict};
    use crate::analysis::rules::Rule;

    fn levels(text: &str) -> Vec<Level> {
        crate::analysis::rules::levels_of(Rule::UnboundedInstanceCache, text)
    }

    const CACHE: &str = "class A:\n    def __init__(self):\n        self._c = {}\n    def get(self, key):\n        self._c[key] = key\n";

    #[test]
    fn a_cache_is_default_only_on_an_object_made_once() {
        assert_eq!(levels(&format!("{CACHE}app = A()\n")), [Default]);
        assert_eq!(levels(CACHE), [Strict]);
        assert_eq!(
            levels(&format!("{CACHE}def serve(r):\n    return A().get(r)\n")),
            [Strict]
        );
        let closed = format!("{CACHE}    def close(self):\n        self._c.clear()\napp = A()\n");
        assert_eq!(levels(&closed), [Strict]);
        let constant_key = "import os\nclass A:\n    def __init__(self):\n        self._c = {}\n    def get(self):\n        self._c[os.getpid()] = 1\napp = A()\n";
        assert_eq!(levels(constant_key), [Strict]);
        let attribute_names = "class S:\n    def __init__(self):\n        self._s = {}\n    def __getattr__(self, name):\n        return self._s.setdefault(name, object())\ns = S()\n";
        assert_eq!(levels(attribute_names), [Strict]);
        let setup = "class N:\n    def __init__(self, t):\n        self.h = {}\n        self._parse(t)\n    def _parse(self, t):\n        self.h[t] = t\nn = N('')\n";
        assert_eq!(levels(setup), []);
    }

    #[test]
    fn a_task_set_is_default_unless_its_holder_is_made_per_call() {
        let tasks = "import asyncio\nclass S:\n    def __init__(self):\n        self._t = set()\n    def run(self, coro):\n        self._t.add(asyncio.ensure_future(coro))\n";
        assert_eq!(levels(tasks), [Default]);
        let per_call = format!("{tasks}def handle(c):\n    S().run(c)\n");
        assert_eq!(levels(&per_call), [Strict]);
        let discarded = tasks.replace(
            "        self._t.add(asyncio.ensure_future(coro))\n",
            "        t = asyncio.ensure_future(coro)\n        self._t.add(t)\n        t.add_done_callback(self._t.discard)\n",
        );
        assert_eq!(levels(&discarded), []);
    }
}
