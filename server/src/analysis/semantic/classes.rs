//! The classes of a file and their methods, which expressions in a method are its instance
//! (`self`), which values hold the instance (bound methods, closures capturing `self`, objects
//! given `self`), and which stores put a value somewhere the instance reaches. A cycle is a
//! store of a value that holds the instance into an object the instance reaches.
//!
//! Everything is decided per method and from this file only: a name is followed through its
//! bindings in the method, a class through the file's class definitions; anything else is doubt,
//! and doubt is not a cycle.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use tree_sitter::Node;

use crate::analysis::beside;
use crate::analysis::context::Context;
use crate::analysis::findings::Edit;
use crate::analysis::fixes::imports::Needed;
use crate::analysis::queries::Family;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind, SymbolFlags};
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::syntax::{chain_base, decorators, named_children};

use super::function_kind::{self, FUNCTION_KEEPING_DECORATORS, Receiver};

mod kept;
pub use kept::ClassCache;

/// Calls that return a handle keeping the callback they schedule.
const HANDLE_RETURNING: &[&str] = &[
    "call_later",
    "call_at",
    "call_soon",
    "call_soon_threadsafe",
    "callLater",
];

/// Callables whose result keeps the callable given to them: callback wrappers (`vine`'s
/// promises, celery's and kombu's callbacks).
const WRAPPING_FACTORIES: &[&str] = &["promise", "maybe_promise", "ensure_promise"];

/// Classes given a callback that they drop once it has run: a thread or process deletes its
/// `target` when `run()` returns.
const DROPPING_CALLABLES: &[&str] = &["Thread", "Process", "Greenlet", "Task", "Future"];

/// How many names or stores deep a value or object is followed.
pub const DEPTH: usize = 4;
/// One store: `object.attr = value`, `object[key] = value`, `object.append(value)`, ...
#[derive(Debug, Clone)]
pub struct Store<'t> {
    /// The assignment or call.
    pub statement: Node<'t>,
    /// What is stored into.
    pub object: Node<'t>,
    /// What is stored.
    pub values: Vec<Node<'t>>,
}

/// A method: a `def` in a class body that receives the instance as its first parameter.
#[derive(Debug, Clone)]
pub struct Method<'t> {
    pub node: Node<'t>,
    pub scope: ScopeId,
    /// The first parameter's name, `self` by convention.
    pub self_name: &'t str,
}

#[derive(Debug, Clone)]
pub struct Class<'t> {
    pub node: Node<'t>,
    pub name_node: Node<'t>,
    pub name: &'t str,
    /// Same-file base classes, by index into [`Classes::classes`].
    pub bases: Vec<usize>,
    /// The bases named by one identifier, as written: what `bases` is found from, kept so that
    /// a class made from the cache is not read again for them.
    base_names: Vec<&'t str>,
    pub methods: Vec<Method<'t>>,
    /// The name of each `def` in the body, its decorators and the node.
    defs: Vec<(&'t str, Vec<Node<'t>>, Node<'t>)>,
    /// Names bound in the class body (class attributes), other than by `def`.
    class_attributes: HashSet<&'t str>,
    /// `method = other_method` aliases in the class body.
    aliases: HashMap<&'t str, &'t str>,
    /// Attributes its methods assign on the instance (`self.name = value`), with the values
    /// of plain assignments.
    instance_attributes: HashMap<&'t str, Vec<Node<'t>>>,
}

/// Every class of a file.
pub struct Classes<'c, 't> {
    pub context: &'c Context<'t>,
    pub classes: Vec<Class<'t>>,
    /// Every store in the file, in source order.
    stores: Vec<Store<'t>>,
}

/// What holds the instance, and where.
#[derive(Debug, Clone)]
pub struct Hold<'t> {
    pub kind: HoldKind,
    /// The sub-expression that holds the instance.
    pub node: Node<'t>,
    /// The name of the `def` of a bound method, nested function or constructed class; the
    /// statement that links a [`HoldKind::Linked`] local to the instance.
    pub origin: Option<Node<'t>>,
    /// For an object of a class of this file that keeps what it is given: where its
    /// `__init__` keeps it (`self.parent` of `self.parent = parent`).
    pub kept_in: Option<Node<'t>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldKind {
    /// The instance itself, `self`.
    Instance,
    /// `self.method`, a bound method of the instance.
    BoundMethod(String),
    /// A lambda whose free variables include `self`.
    Lambda,
    /// A nested function, by name, whose free variables include `self`.
    Closure(String),
    /// `functools.partial(...)` or `types.MethodType(...)` bound to the instance.
    Partial(String),
    /// An object of a class, by name, constructed with the instance as an argument that its
    /// `__init__` keeps.
    Constructed(String),
    /// A scheduled call's handle (`loop.call_later(...)`, by the callee) whose callback is
    /// bound to the instance.
    Handle(String),
    /// An object made with a callable bound to the instance, which it keeps: a callback
    /// wrapper or a class given a callback (`PeriodicCallback(self.tick, 1000)`), by the
    /// callee, with the text of the callable.
    Wrapped { callee: String, held: String },
    /// A local (by name) that holds the instance through its own attribute or item, set by the
    /// statement in [`Hold::origin`] (`child.parent = self`).
    Linked(String),
}

/// Which values count as holding the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holding {
    /// Anything that keeps a strong reference to the instance (RH201).
    Any,
    /// Only callables bound to the instance: bound methods, closures capturing `self`,
    /// `functools.partial` over them (RH202).
    Callable,
}

/// Where to split `class_nodes` into two runs of about the same size of source: the index
/// whose prefix is nearest half of it. (A scan: a binary search's predicate sees only the
/// entries it probes, so no running sum in one adds up.)
fn half_by_size(class_nodes: &[(Node, Node)]) -> usize {
    let total: usize = class_nodes.iter().map(|(n, _)| n.byte_range().len()).sum();
    let prefixes = std::iter::once(0).chain(class_nodes.iter().scan(0, |sum, (n, _)| {
        *sum += n.byte_range().len();
        Some(*sum)
    }));
    prefixes
        .enumerate()
        .min_by_key(|&(_, prefix)| (2 * prefix).abs_diff(total))
        .map_or(0, |(at, _)| at)
}

impl<'c, 't> Classes<'c, 't> {
    /// The classes of the file. With `two_threads` (someone waits for this file), half the
    /// classes are read on a second thread: the rest of the facts wait for this one.
    pub fn new(context: &'c Context<'t>, two_threads: bool) -> Classes<'c, 't> {
        Classes::kept(context, two_threads, None)
    }

    /// [`Classes::new`], reading only the classes of top-level statements that changed since
    /// the analysis that left `kept` (a cache and the tree of this analysis), then keeping
    /// this analysis's classes there for the next.
    pub fn kept(
        context: &'c Context<'t>,
        two_threads: bool,
        kept: Option<(&mut ClassCache, &tree_sitter::Tree)>,
    ) -> Classes<'c, 't> {
        let mut class_nodes = Vec::new();
        let mut stores = Vec::new();
        for captures in context.matches(Family::Cycles) {
            if let (Some(class), Some(name)) = (captures.get("class"), captures.get("name")) {
                class_nodes.push((class, name));
            } else if let (Some(statement), Some(object)) =
                (captures.get("store"), captures.get("object"))
                && let Some(store) = store(context, statement, object, captures.get("value"))
            {
                stores.push(store);
            }
        }
        stores.sort_by_key(|s| s.statement.start_byte());
        stores.dedup_by_key(|s| s.statement.id());
        let read = |part: &[(Node<'t>, Node<'t>)]| -> Vec<Option<Class<'t>>> {
            part.iter()
                .map(|&(node, name)| class(context, node, name))
                .collect()
        };
        let (kept, mut plan) = match kept {
            Some((cache, tree)) => {
                let plan = cache.plan(context, &class_nodes);
                (Some((cache, tree)), Some(plan))
            }
            None => (None, None),
        };
        let to_read = match &plan {
            Some(plan) => plan.to_read(&class_nodes),
            None => class_nodes,
        };
        let (first, second) = to_read.split_at(half_by_size(&to_read));
        let (mut read, later) = beside(two_threads, || read(first), || read(second));
        read.extend(later);
        let mut classes = match &mut plan {
            Some(plan) => plan.assemble(read),
            None => read.into_iter().flatten().collect(),
        };
        let by_name: HashMap<&str, Vec<usize>> =
            classes
                .iter()
                .enumerate()
                .fold(HashMap::new(), |mut map, (i, c)| {
                    map.entry(context.text_of(c.name_node)).or_default().push(i);
                    map
                });
        let bases: Vec<Vec<usize>> = classes
            .iter()
            .enumerate()
            .map(|(index, class)| {
                class
                    .base_names
                    .iter()
                    .filter_map(|base| match by_name.get(base) {
                        Some(found) if found.len() == 1 && found[0] != index => Some(found[0]),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        for (class, bases) in classes.iter_mut().zip(bases) {
            class.bases = bases;
        }
        let mut classes = Classes {
            context,
            classes,
            stores,
        };
        // Those made from the cache came with theirs.
        let read: Vec<usize> = match &plan {
            Some(plan) => plan
                .units
                .iter()
                .filter(|unit| unit.is_read())
                .flat_map(|unit| unit.classes.clone())
                .collect(),
            None => (0..classes.classes.len()).collect(),
        };
        let attributes: Vec<_> = read
            .iter()
            .map(|&c| classes.collect_instance_attributes(c))
            .collect();
        for (&c, attributes) in read.iter().zip(attributes) {
            classes.classes[c].instance_attributes = attributes;
        }
        if let (Some((cache, tree)), Some(plan)) = (kept, plan) {
            cache.keep(&classes, plan, tree);
        }
        classes
    }

    /// The class and its same-file ancestors, nearest first.
    pub fn lineage(&self, class: usize) -> Vec<usize> {
        let mut order = vec![class];
        let mut next = 0;
        while next < order.len() {
            for &base in &self.classes[order[next]].bases {
                if !order.contains(&base) {
                    order.push(base);
                }
            }
            next += 1;
        }
        order
    }

    /// The `def` named `name` in the class or a same-file ancestor.
    pub fn find_def(&self, class: usize, name: &str) -> Option<(usize, Node<'t>)> {
        self.lineage(class).into_iter().find_map(|c| {
            self.classes[c]
                .defs
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, node)| (c, *node))
        })
    }

    /// The method whose body runs `node` (directly, not in a nested function), with its class.
    pub fn method_at(&self, node: Node) -> Option<(usize, &Method<'t>)> {
        let scope = self.context.scope_containing(node);
        self.classes.iter().enumerate().find_map(|(index, class)| {
            class
                .methods
                .iter()
                .find(|m| m.scope == scope)
                .map(|m| (index, m))
        })
    }

    /// The stores a method runs (nested functions included).
    pub fn stores_in(&self, method: &Method<'t>) -> impl Iterator<Item = &Store<'t>> {
        let range = method.node.byte_range();
        let first = self
            .stores
            .partition_point(|s| s.statement.start_byte() < range.start);
        self.stores[first..]
            .iter()
            .take_while(move |s| s.statement.start_byte() < range.end)
            .filter(move |s| s.statement.end_byte() <= range.end)
    }

    /// Whether `self.name` is a bound method in `class`: a plain `def` (or an alias of one) in
    /// the class or a same-file ancestor, never assigned on an instance.
    fn bound_method(&self, class: usize, name: &str) -> Option<Node<'t>> {
        let lineage = self.lineage(class);
        if lineage.iter().any(|&c| self.assigned_on_instances(c, name)) {
            return None;
        }
        for &c in &lineage {
            let class = &self.classes[c];
            let target = class.aliases.get(name).copied().unwrap_or(name);
            if let Some((_, decorators, node)) =
                class.defs.iter().rev().find(|(n, _, _)| *n == target)
            {
                let plain = decorators.iter().all(|d| {
                    self.context
                        .qualified_name(*d)
                        .is_some_and(|q| FUNCTION_KEEPING_DECORATORS.contains(&q.as_str()))
                });
                return plain.then_some(*node);
            }
            if class.class_attributes.contains(name) {
                return None;
            }
        }
        None
    }

    /// Whether some method of `class` assigns `self.name = ...`.
    fn assigned_on_instances(&self, class: usize, name: &str) -> bool {
        self.classes[class].instance_attributes.contains_key(name)
    }

    /// Whether `self.name` is assigned on instances of `class` or its same-file ancestors, and
    /// the values assigned.
    fn instance_values(&self, class: usize, name: &str) -> (bool, Vec<Node<'t>>) {
        let mut assigned = false;
        let mut values = Vec::new();
        for c in self.lineage(class) {
            if let Some(found) = self.classes[c].instance_attributes.get(name) {
                assigned = true;
                values.extend(found.iter().copied());
            }
        }
        (assigned, values)
    }

    /// `self.name = value` and `self.name += value` in each method of `class`, by name.
    fn collect_instance_attributes(&self, class: usize) -> HashMap<&'t str, Vec<Node<'t>>> {
        let mut attributes: HashMap<&'t str, Vec<Node<'t>>> = HashMap::new();
        for method in &self.classes[class].methods {
            let analysis = InMethod::new(self, class, method);
            for store in self.stores_in(method) {
                if store.statement.kind_name() != "call"
                    && analysis.is_self(store.object)
                    && let Some(attribute) = store_attribute(store)
                {
                    let values = attributes
                        .entry(self.context.text_of(attribute))
                        .or_default();
                    if store.statement.kind_name() == "assignment" {
                        values.extend(store.values.iter().copied());
                    }
                }
            }
        }
        attributes
    }

    /// Whether constructing class `class` with `arguments` keeps an argument that holds the
    /// instance (as `analysis` sees it); the first such argument.
    fn constructor_keeps(
        &self,
        class: usize,
        arguments: Node<'t>,
        analysis: &InMethod<'_, 'c, 't>,
        holding: Holding,
        depth: usize,
    ) -> Option<(Hold<'t>, Node<'t>)> {
        let context = self.context;
        let (init_class, init) = self.find_def(class, "__init__")?;
        let method = self.classes[init_class]
            .methods
            .iter()
            .find(|m| m.node.id() == init.id())?;
        let parameters = positional_parameters(context, method.node);
        let init_analysis = InMethod::new(self, init_class, method);
        let mut positional = 1;
        for argument in named_children(arguments) {
            let (parameter, value) = match argument.kind_name() {
                "keyword_argument" => {
                    let Some(name) = argument.field(Field::Name) else {
                        continue;
                    };
                    let Some(value) = argument.field(Field::Value) else {
                        continue;
                    };
                    (Some(context.text_of(name)), value)
                }
                "list_splat" | "dictionary_splat" => return None,
                _ => {
                    positional += 1;
                    (parameters.get(positional - 1).copied(), argument)
                }
            };
            let Some(parameter) = parameter else {
                continue;
            };
            let Some(hold) = analysis.holds(value, holding, depth) else {
                continue;
            };
            if let Some(kept_in) = init_analysis.keeps_parameter(parameter) {
                return Some((hold, kept_in));
            }
        }
        None
    }
}

impl<'t> Classes<'_, 't> {
    /// The class of this file that `function`, the callee of a call, names: a module-level
    /// class bound once, not a local or parameter that shadows it.
    pub fn class_named(&self, function: Node<'t>) -> Option<usize> {
        let context = self.context;
        if function.kind_name() != "identifier" {
            return None;
        }
        let name = context.text_of(function);
        let candidates: Vec<usize> = self
            .classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.name == name)
            .map(|(i, _)| i)
            .collect();
        let [class] = candidates[..] else {
            return None;
        };
        let global = is_global(context, function);
        let module_binds_once = context
            .scopes
            .scope(ScopeId(0))
            .symbol(name)
            .is_some_and(|s| {
                s.occurrences
                    .iter()
                    .filter(|o| o.role == Role::Bind)
                    .count()
                    == 1
            });
        (global && module_binds_once).then_some(class)
    }

    /// Where the `__init__` of class `class` keeps the argument `argument` of a call of the
    /// class (`self.exc` of `self.exc = exc`), if it does.
    pub fn init_keeps(&self, class: usize, argument: Node<'t>) -> Option<Node<'t>> {
        let arguments = argument.parent()?;
        let (init_class, init) = self.find_def(class, "__init__")?;
        let method = self.classes[init_class]
            .methods
            .iter()
            .find(|m| m.node.id() == init.id())?;
        let parameters = positional_parameters(self.context, method.node);
        let mut positional = 0;
        let mut parameter = None;
        for each in named_children(arguments) {
            match each.kind_name() {
                "keyword_argument" if each.field(Field::Value) == Some(argument) => {
                    parameter = each.field(Field::Name).map(|n| self.context.text_of(n));
                }
                "keyword_argument" => {}
                "list_splat" | "dictionary_splat" => return None,
                _ => {
                    positional += 1;
                    if each.id() == argument.id() {
                        parameter = parameters.get(positional).copied();
                    }
                }
            }
        }
        InMethod::new(self, init_class, method).keeps_parameter(parameter?)
    }
}

/// Base classes (by their last name) whose subclasses cannot be weakly referenced: variable-size
/// built-in types get no `__weakref__` slot.
const UNREFERENCEABLE_BASES: &[&str] = &[
    "int",
    "bool",
    "tuple",
    "bytes",
    "NamedTuple",
    "IntEnum",
    "IntFlag",
    "struct_time",
];

impl<'t> Classes<'_, 't> {
    /// Whether `class` and its ancestors are all classes of this file (or `object`): then no
    /// base the file cannot see defines or calls a method under an attribute's name.
    pub fn only_local_bases(&self, class: usize) -> bool {
        let context = self.context;
        self.lineage(class).into_iter().all(|c| {
            let class = &self.classes[c];
            class
                .node
                .field(Field::Superclasses)
                .is_none_or(|arguments| {
                    named_children(arguments).into_iter().all(|base| {
                        let name = context.text_of(base);
                        base.kind_name() == "keyword_argument"
                            || (base.kind_name() == "identifier"
                                && (name == "object"
                                    || class.bases.iter().any(|&b| self.classes[b].name == name)))
                    })
                })
        })
    }

    /// Whether every instance of `class` can be weakly referenced, as a weak-reference fix
    /// needs: no `__slots__` (nor `@dataclass(slots=True)`) in the class or its same-file
    /// ancestors, and no base class that is, or may be, a variable-size built-in type. A base
    /// this file cannot name (a call such as `namedtuple(...)`, a splat) is doubt.
    pub fn weakly_referenceable(&self, class: usize) -> bool {
        let context = self.context;
        self.lineage(class).into_iter().all(|c| {
            let class = &self.classes[c];
            let slotted = class.class_attributes.contains("__slots__")
                || class.aliases.contains_key("__slots__")
                || decorators(class.node)
                    .iter()
                    .any(|d| context.text_of(*d).contains("slots"));
            let bases_ok = class
                .node
                .field(Field::Superclasses)
                .is_none_or(|arguments| {
                    named_children(arguments).into_iter().all(|base| {
                        let base = match base.kind_name() {
                            "keyword_argument" => return true,
                            // `Generic[T]`, `Base[int]`: the class subscripted.
                            "subscript" => match base.field(Field::Value) {
                                Some(value) => value,
                                None => return false,
                            },
                            _ => base,
                        };
                        let last = match base.kind_name() {
                            "identifier" => base,
                            "attribute" => match base.field(Field::Attribute) {
                                Some(attribute) => attribute,
                                None => return false,
                            },
                            _ => return false,
                        };
                        !UNREFERENCEABLE_BASES.contains(&context.text_of(last))
                    })
                });
            !slotted && bases_ok
        })
    }
}

/// The edit that wraps `node` in `weakref.<function>(...)`, and the `weakref` import to add
/// when the file has none that serves; `None` when naming `weakref` at `node` would change
/// what a name means.
pub fn wrap_in_weakref(
    context: &Context,
    node: Node,
    function: &str,
) -> Option<(Edit, Option<Edit>)> {
    let weakref = context.import(Needed::Module("weakref"), node.start_byte())?;
    let wrapped = Edit {
        range: node.byte_range(),
        text: format!(
            "{}.{function}({})",
            weakref.reference,
            context.text_of(node)
        ),
    };
    Some((wrapped, weakref.edit))
}

/// What one method's code means for its instance.
pub struct InMethod<'m, 'c, 't> {
    pub classes: &'m Classes<'c, 't>,
    pub class: usize,
    pub method: &'m Method<'t>,
    /// What each local name holds, by name, kind of holding and depth left: a name bound many
    /// times to values that read it again (`a = a + b` fifty times in a test) would otherwise be
    /// followed once per path, exponentially in the depth.
    names: std::cell::RefCell<HashMap<(String, Holding, usize), Option<Hold<'t>>>>,
    /// Whether each local name reaches the instance, by name and depth left (see `names`: a
    /// test method with a hundred `a.append(x)` would follow every store at every depth).
    reaching: std::cell::RefCell<HashMap<(String, usize), bool>>,
}

impl<'m, 'c, 't> InMethod<'m, 'c, 't> {
    pub fn new(classes: &'m Classes<'c, 't>, class: usize, method: &'m Method<'t>) -> Self {
        InMethod {
            classes,
            class,
            method,
            names: std::cell::RefCell::default(),
            reaching: std::cell::RefCell::default(),
        }
    }

    fn context(&self) -> &'c Context<'t> {
        self.classes.context
    }

    /// Whether `node` is the method's first parameter, read in the method or a scope nested in
    /// it that captures it.
    pub fn is_self(&self, node: Node) -> bool {
        node.kind_name() == "identifier"
            && self.context().text_of(node) == self.method.self_name
            && self.binding_scope(self.scope_of(node), self.method.self_name)
                == Some(self.method.scope)
    }

    /// The scope whose binding of `name` a read in `scope` sees, following free variables out.
    fn binding_scope(&self, mut scope: ScopeId, name: &str) -> Option<ScopeId> {
        let scopes = self.context().scopes;
        loop {
            let symbol = scopes.scope(scope).symbol(name)?;
            match symbol.scope {
                NameScope::Local | NameScope::Cell => return Some(scope),
                NameScope::Free => {
                    // A free name is bound in the nearest enclosing function-like scope.
                    scope = scopes.scope(scope).parent?;
                    while scopes.scope(scope).kind == ScopeKind::Class {
                        scope = scopes.scope(scope).parent?;
                    }
                }
                _ => return None,
            }
        }
    }

    /// The scope whose code runs `node`, a node of the method. Most nodes are directly in the
    /// method's body; only those inside a nested scope need the full (slower) walk.
    fn scope_of(&self, node: Node) -> ScopeId {
        let scopes = self.context().scopes;
        let start = node.start_byte();
        let nested = scopes
            .scope(self.method.scope)
            .children
            .iter()
            .any(|&child| scopes.scope(child).range.contains(&start));
        if nested || !self.method.node.byte_range().contains(&start) {
            self.context().scope_containing(node)
        } else {
            self.method.scope
        }
    }

    fn is_parameter(&self, name: &str) -> bool {
        self.context()
            .scopes
            .scope(self.method.scope)
            .symbol(name)
            .is_some_and(|s| s.flags.contains_any(SymbolFlags::PARAM))
    }

    /// Whether a scope nested in the method captures the method's `self`.
    fn captures_self(&self, scope: ScopeId) -> bool {
        let scopes = self.context().scopes;
        let name = self.method.self_name;
        scope != self.method.scope
            && scopes.scope(scope).freevars.iter().any(|v| v == name)
            && self.binding_scope(scope, name) == Some(self.method.scope)
    }

    /// Whether the object `node` evaluates to is reached from the instance: the instance itself,
    /// an attribute or item of an object the instance owns, or a local bound to one or stored
    /// into one.
    pub fn reachable(&self, node: Node<'t>, depth: usize) -> bool {
        if depth == 0 {
            return false;
        }
        let context = self.context();
        match node.kind_name() {
            "identifier" if self.is_self(node) => true,
            "identifier" => {
                let name = context.text_of(node);
                if self.binding_scope(self.scope_of(node), name) != Some(self.method.scope) {
                    return false;
                }
                let key = (name.to_string(), depth);
                if let Some(&known) = self.reaching.borrow().get(&key) {
                    return known;
                }
                let found = self.local_name_reachable(node, name, depth);
                self.reaching.borrow_mut().insert(key, found);
                found
            }
            "attribute" => {
                let Some(object) = node.field(Field::Object) else {
                    return false;
                };
                if self.is_self(object) {
                    let Some(attribute) = node.field(Field::Attribute) else {
                        return false;
                    };
                    return self.owned_attribute(context.text_of(attribute));
                }
                // `self.frame.f_back`: what an attribute's object refers to belongs to the
                // instance only when the instance made that object (`self.parser = Parser()`);
                // a frame, a request or a parent handed in is someone else's.
                if object.kind_name() == "attribute"
                    && object.field(Field::Object).is_some_and(|o| self.is_self(o))
                    && !object
                        .field(Field::Attribute)
                        .is_some_and(|a| self.made_attribute(context.text_of(a)))
                {
                    return false;
                }
                self.reachable(object, depth - 1)
            }
            "subscript" => node
                .field(Field::Value)
                .is_some_and(|value| self.reachable(value, depth - 1)),
            "parenthesized_expression" => node
                .named_child(0)
                .is_some_and(|inner| self.reachable(inner, depth)),
            _ => false,
        }
    }

    /// [`InMethod::reachable`] for a name bound in the method itself.
    fn local_name_reachable(&self, node: Node<'t>, name: &str, depth: usize) -> bool {
        let context = self.context();
        let bindings = context.bindings(self.method.scope, name);
        let bound_to_owned = !self.is_parameter(name)
            && !bindings.is_empty()
            && bindings.iter().all(|b| match b.value {
                Some(value) => self.reachable(value, depth - 1),
                None => {
                    b.statement.kind_name() == "for_statement"
                        && b.statement
                            .field(Field::Left)
                            .is_some_and(|left| left.id() == b.target.id())
                        && b.statement
                            .field(Field::Right)
                            .is_some_and(|right| self.reachable(right, depth - 1))
                }
            });
        bound_to_owned
            || self.classes.stores_in(self.method).any(|store| {
                store
                    .values
                    .iter()
                    .any(|v| self.contains_name(*v, name, node.start_byte()))
                    && self.reachable(store.object, depth - 1)
            })
    }

    /// The attributes of the instance through which it reaches `object` (`self.parser` for a
    /// local `parser` stored in it or bound from it; `self.app` for `self.app.callbacks`): a
    /// release of one of them lets go of everything stored into the object.
    pub fn reaching_attributes(&self, object: Node<'t>, depth: usize) -> Vec<Node<'t>> {
        if depth == 0 {
            return Vec::new();
        }
        let context = self.context();
        let mut node = object;
        // Down the chain to the attribute right on the instance, or a local.
        loop {
            match node.kind_name() {
                "attribute" => {
                    let Some(inner) = node.field(Field::Object) else {
                        return Vec::new();
                    };
                    if self.is_self(inner) {
                        return vec![node];
                    }
                    node = inner;
                }
                "subscript" => match node.field(Field::Value) {
                    Some(inner) => node = inner,
                    None => return Vec::new(),
                },
                "parenthesized_expression" => match node.named_child(0) {
                    Some(inner) => node = inner,
                    None => return Vec::new(),
                },
                _ => break,
            }
        }
        if node.kind_name() != "identifier" || self.is_self(node) {
            return Vec::new();
        }
        let name = context.text_of(node);
        if self.binding_scope(self.scope_of(node), name) != Some(self.method.scope) {
            return Vec::new();
        }
        let mut found = Vec::new();
        for binding in context.bindings(self.method.scope, name) {
            if let Some(value) = binding.value {
                found.extend(self.reaching_attributes(value, depth - 1));
            }
        }
        for store in self.classes.stores_in(self.method) {
            if store.statement.kind_name() != "call"
                && self.is_self(store.object)
                && store
                    .values
                    .iter()
                    .any(|v| self.contains_name(*v, name, node.start_byte()))
            {
                found.push(store_target(store));
                // `self.a = self.b = value`: every target of the chain.
                let mut outer = store.statement;
                while let Some(parent) = outer.parent().filter(|p| p.kind_name() == "assignment") {
                    found.extend(parent.field(Field::Left));
                    outer = parent;
                }
            }
        }
        found
    }

    /// Whether `self.name` is set nowhere in this file's classes of the lineage, while a base
    /// class of another module may set it: that base owns the object and its lifecycle.
    pub fn set_by_foreign_base(&self, name: &str) -> bool {
        !self.classes.only_local_bases(self.class)
            && !self.classes.instance_values(self.class, name).0
            && !self
                .classes
                .lineage(self.class)
                .iter()
                .any(|&c| self.classes.classes[c].class_attributes.contains(name))
    }

    /// Whether `self.name` is an object each instance owns strongly: not a class attribute
    /// shared by every instance (a registry: that keeps instances forever, a different leak),
    /// not a weak container.
    fn owned_attribute(&self, name: &str) -> bool {
        let (assigned, values) = self.classes.instance_values(self.class, name);
        let shared = !assigned
            && self
                .classes
                .lineage(self.class)
                .iter()
                .any(|&c| self.classes.classes[c].class_attributes.contains(name));
        let weak = values.iter().any(|v| {
            v.kind_name() == "call"
                && v.field(Field::Function)
                    .and_then(|f| self.context().qualified_name(f))
                    .is_some_and(|q| q.starts_with("weakref."))
        });
        !shared && !weak
    }

    /// Whether every value the class assigns to `self.name` is an object it makes (a call or a
    /// container literal).
    fn made_attribute(&self, name: &str) -> bool {
        let (_, values) = self.classes.instance_values(self.class, name);
        !values.is_empty()
            && values.iter().all(|v| {
                matches!(
                    v.kind_name(),
                    "call" | "list" | "dictionary" | "set" | "list_comprehension"
                )
            })
    }

    /// Whether `value` is the name `name` (the same variable as the read at `at`), or a
    /// container literal holding it.
    fn contains_name(&self, value: Node<'t>, name: &str, at: usize) -> bool {
        match value.kind_name() {
            "identifier" => {
                self.context().text_of(value) == name && {
                    let context = self.context();
                    let here = self.binding_scope(self.scope_of(value), name);
                    here.is_some()
                        && here
                            == context
                                .module
                                .root_at(at)
                                .descendant_for_byte_range(at, at)
                                .and_then(|n| self.binding_scope(self.scope_of(n), name))
                }
            }
            "list" | "tuple" | "set" | "expression_list" | "parenthesized_expression" => {
                named_children(value)
                    .into_iter()
                    .any(|c| self.contains_name(c, name, at))
            }
            "dictionary" => named_children(value).into_iter().any(|pair| {
                pair.field(Field::Value)
                    .is_some_and(|v| self.contains_name(v, name, at))
            }),
            _ => false,
        }
    }

    /// What in `node` holds the instance strongly, if anything.
    pub fn holds(&self, node: Node<'t>, holding: Holding, depth: usize) -> Option<Hold<'t>> {
        if depth == 0 {
            return None;
        }
        let context = self.context();
        let hold = |kind, origin| {
            Some(Hold {
                kind,
                node,
                origin,
                kept_in: None,
            })
        };
        match node.kind_name() {
            "identifier" if self.is_self(node) => (holding == Holding::Any).then_some(Hold {
                kind: HoldKind::Instance,
                node,
                origin: None,
                kept_in: None,
            }),
            "identifier" => self.name_holds(node, holding, depth),
            "attribute" => {
                let object = node.field(Field::Object)?;
                let attribute = node.field(Field::Attribute)?;
                if !self.is_self(object) {
                    return None;
                }
                let name = context.text_of(attribute);
                let definition = self.classes.bound_method(self.class, name)?;
                hold(
                    HoldKind::BoundMethod(name.to_string()),
                    definition.field(Field::Name),
                )
            }
            "lambda" => {
                let scope = context.scopes.scope_of_node(node.byte_range())?;
                self.captures_self(scope).then_some(())?;
                hold(HoldKind::Lambda, None)
            }
            "call" => self.call_holds(node, holding, depth),
            // `[Device(self, h) for h in handles]`: each element the comprehension makes.
            "list_comprehension" | "set_comprehension" | "generator_expression" => {
                self.holds(node.field(Field::Body)?, holding, depth - 1)
            }
            "dictionary_comprehension" => self.holds(
                node.field(Field::Body)?.field(Field::Value)?,
                holding,
                depth - 1,
            ),
            "list" | "tuple" | "set" | "expression_list" => named_children(node)
                .into_iter()
                .find_map(|c| self.holds(c, holding, depth - 1)),
            "dictionary" => named_children(node).into_iter().find_map(|pair| {
                pair.field(Field::Value)
                    .and_then(|v| self.holds(v, holding, depth - 1))
            }),
            "parenthesized_expression" => self.holds(node.named_child(0)?, holding, depth),
            "conditional_expression" => {
                // `a if test else b`: either branch is a path the code takes.
                let children = named_children(node);
                [children.first(), children.get(2)]
                    .into_iter()
                    .flatten()
                    .find_map(|c| self.holds(*c, holding, depth - 1))
            }
            _ => None,
        }
    }

    /// What a local name holds: a nested function capturing `self`, a value bound to it, or a
    /// link stored into it (`child.parent = self`).
    fn name_holds(&self, node: Node<'t>, holding: Holding, depth: usize) -> Option<Hold<'t>> {
        let context = self.context();
        let name = context.text_of(node);
        let scope = self.binding_scope(self.scope_of(node), name)?;
        if scope != self.method.scope {
            return None;
        }
        let key = (name.to_string(), holding, depth);
        if let Some(known) = self.names.borrow().get(&key) {
            return known.clone().map(|hold| Hold { node, ..hold });
        }
        let found = self.local_name_holds(node, name, scope, holding, depth);
        self.names.borrow_mut().insert(key, found.clone());
        found
    }

    /// [`InMethod::name_holds`] for a name bound in the method itself.
    fn local_name_holds(
        &self,
        node: Node<'t>,
        name: &str,
        scope: ScopeId,
        holding: Holding,
        depth: usize,
    ) -> Option<Hold<'t>> {
        let context = self.context();
        let bindings = context.bindings(scope, name);
        let defined = bindings
            .iter()
            .filter(|b| b.statement.kind_name() == "function_definition")
            .find(|b| {
                context
                    .scopes
                    .scope_of_node(b.statement.byte_range())
                    .is_some_and(|s| self.captures_self(s))
            });
        if let Some(definition) = defined {
            return Some(Hold {
                kind: HoldKind::Closure(name.to_string()),
                node,
                origin: Some(definition.target),
                kept_in: None,
            });
        }
        // A value bound to the name: every binding must hold, so the name holds on every path
        // (a parameter may hold anything its caller passed).
        if !self.is_parameter(name)
            && !bindings.is_empty()
            && bindings.iter().all(|b| b.value.is_some())
        {
            let holds: Vec<_> = bindings
                .iter()
                .filter_map(|b| self.holds(b.value?, holding, depth - 1))
                .collect();
            if holds.len() == bindings.len() {
                return Some(Hold {
                    node,
                    ..holds[0].clone()
                });
            }
        }
        if holding == Holding::Callable {
            return None;
        }
        // A link stored into the object the name refers to: `child.parent = self`.
        self.classes.stores_in(self.method).find_map(|store| {
            let base = chain_base(store.object);
            (base.kind_name() == "identifier"
                && context.text_of(base) == name
                && self.binding_scope(self.scope_of(base), name) == Some(scope)
                && store
                    .values
                    .iter()
                    .any(|v| self.holds(*v, holding, depth - 1).is_some()))
            .then(|| Hold {
                kind: HoldKind::Linked(name.to_string()),
                node,
                origin: Some(store.statement),
                kept_in: None,
            })
        })
    }

    fn call_holds(&self, node: Node<'t>, holding: Holding, depth: usize) -> Option<Hold<'t>> {
        let context = self.context();
        let function = node.field(Field::Function)?;
        let arguments = node.field(Field::Arguments)?;
        if arguments.kind_name() != "argument_list" {
            return None;
        }
        // `promise(self.on_ready, weak=True)`: the library keeps a weak reference.
        let weak = named_children(arguments).into_iter().any(|a| {
            a.kind_name() == "keyword_argument"
                && a.field(Field::Name)
                    .is_some_and(|n| context.text_of(n) == "weak")
                && a.field(Field::Value)
                    .is_some_and(|v| v.kind_name() == "true")
        });
        if weak {
            return None;
        }
        let qualified = context.qualified_name(function);
        let kind = |name: &str| {
            Some(Hold {
                kind: HoldKind::Partial(name.to_string()),
                node,
                origin: None,
                kept_in: None,
            })
        };
        match qualified.as_deref() {
            // Weak references and finalizers do not keep their referent alive.
            Some(q) if q.starts_with("weakref.") => return None,
            Some(q @ ("functools.partial" | "types.MethodType")) => {
                // `partial(f, self)` is as good as a bound method.
                return named_children(arguments)
                    .into_iter()
                    .map(|a| a.field(Field::Value).unwrap_or(a))
                    .any(|a| self.holds(a, Holding::Any, depth - 1).is_some())
                    .then_some(())
                    .and_then(|_| kind(q));
            }
            _ => {}
        }
        // `loop.call_later(30, self.beat)`, `threading.Timer(5, self.beat)`: the handle keeps
        // its callback (a fired asyncio handle too), so it holds the instance one call away.
        let scheduler = match function.kind_name() {
            "attribute" => function.field(Field::Attribute),
            _ => Some(function),
        }
        .map(|name| context.text_of(name));
        if scheduler.is_some_and(|name| HANDLE_RETURNING.contains(&name))
            || qualified.as_deref() == Some("threading.Timer")
        {
            return named_children(arguments)
                .into_iter()
                .map(|a| a.field(Field::Value).unwrap_or(a))
                .find_map(|a| self.holds(a, Holding::Callable, depth - 1))
                .map(|held| Hold {
                    kind: HoldKind::Handle(context.text_of(function).to_string()),
                    node,
                    origin: held.origin,
                    kept_in: None,
                });
        }
        // The arguments that hold the instance: the bare instance (`Writer(self)`) counts only
        // where any holder does; a callable bound to it (`Button("OK", self.on_click)`) always.
        let held_arguments: Vec<(Node<'t>, Hold<'t>)> = named_children(arguments)
            .into_iter()
            .map(|a| a.field(Field::Value).unwrap_or(a))
            .filter_map(|a| Some((a, self.holds(a, holding, depth - 1)?)))
            .collect();
        if held_arguments.is_empty() {
            return None;
        }
        let callee = context.text_of(function);
        let last = callee.rsplit('.').next().unwrap_or(callee);
        let callable = held_arguments
            .iter()
            .find(|(_, hold)| hold.kind != HoldKind::Instance);
        // A class of this file constructed with something holding the instance, which its
        // `__init__` keeps.
        if let Some(class) = self.classes.class_named(function) {
            let (kept, kept_in) =
                self.classes
                    .constructor_keeps(class, arguments, self, holding, depth - 1)?;
            let kind = match kept.kind {
                HoldKind::Instance | HoldKind::Constructed(_) | HoldKind::Linked(_) => {
                    HoldKind::Constructed(callee.to_string())
                }
                _ => HoldKind::Wrapped {
                    callee: callee.to_string(),
                    held: context.text_of(kept.node).to_string(),
                },
            };
            return Some(Hold {
                kind,
                node,
                origin: Some(self.classes.classes[class].name_node),
                kept_in: Some(kept_in),
            });
        }
        let class_like = last.starts_with(|c: char| c.is_ascii_uppercase());
        let module_level = qualified.is_some()
            || (function.kind_name() == "identifier" && is_global(context, function));
        // A tkinter widget's command is kept by the Tcl interpreter, not the widget, and
        // deleted when the widget is destroyed.
        if !module_level
            || DROPPING_CALLABLES.contains(&last)
            || qualified
                .as_deref()
                .is_some_and(|q| q.starts_with("tkinter."))
        {
            return None;
        }
        // A callable bound to the instance given to a class or a callback wrapper
        // (`PeriodicCallback(self.tick, 1000)`, `promise(self.on_ready)`, `CFUNCTYPE(...)(hook)`):
        // what is made keeps its callback, that is what the callback is for.
        if let Some((argument, _)) = callable
            && (class_like || WRAPPING_FACTORIES.contains(&last))
        {
            return Some(Hold {
                kind: HoldKind::Wrapped {
                    callee: callee.to_string(),
                    held: context.text_of(*argument).to_string(),
                },
                node,
                origin: None,
                kept_in: None,
            });
        }
        // A class imported from elsewhere, given the instance itself
        // (`StreamWriter(transport, self, ...)`): objects made with a protocol, owner or parent
        // keep it; the call's class name says it is a class.
        (qualified.is_some() && class_like && holding == Holding::Any)
            .then(|| held_arguments.iter().find(|(a, _)| self.is_self(*a)))
            .flatten()
            .map(|_| Hold {
                kind: HoldKind::Constructed(callee.to_string()),
                node,
                origin: None,
                kept_in: None,
            })
    }

    /// Whether this method (an `__init__`) stores its parameter `name` where the instance
    /// reaches it: `self.parent = parent`.
    fn keeps_parameter(&self, name: &str) -> Option<Node<'t>> {
        let context = self.context();
        let symbol = context.scopes.scope(self.method.scope).symbol(name)?;
        if !symbol.flags.contains_any(SymbolFlags::PARAM) || name == self.method.self_name {
            return None;
        }
        self.classes
            .stores_in(self.method)
            .find(|store| {
                store.values.iter().any(|v| {
                    v.kind_name() == "identifier"
                        && context.text_of(*v) == name
                        && self.binding_scope(self.scope_of(*v), name) == Some(self.method.scope)
                }) && self.reachable(store.object, DEPTH)
            })
            .map(store_target)
    }
}

/// Whether the name `name` (an identifier read) is the module's global.
fn is_global(context: &Context, name: Node) -> bool {
    let at = context.scopes.scope(context.scope_containing(name));
    at.symbol(context.text_of(name)).is_some_and(|s| {
        matches!(
            s.scope,
            NameScope::GlobalImplicit | NameScope::GlobalExplicit
        ) || (at.kind == ScopeKind::Module && s.scope == NameScope::Local)
    })
}

/// Where a store puts its value: `child.parent` for `child.parent = self`, `self.children` for
/// `self.children.append(child)`.
pub fn store_target<'t>(store: &Store<'t>) -> Node<'t> {
    if store.statement.kind_name() == "call" {
        store.object
    } else {
        object_parent(store).unwrap_or(store.object)
    }
}

/// The stored attribute of `object.attr = value`.
pub fn store_attribute<'t>(store: &Store<'t>) -> Option<Node<'t>> {
    let target = object_parent(store)?;
    (target.kind_name() == "attribute")
        .then(|| target.field(Field::Attribute))
        .flatten()
}

/// The parent of the store's `object` (`queries/cycles.scm`): the left side of an assignment,
/// the callee of a call. Read from the statement: a node's parent is found by descending
/// from the root.
fn object_parent<'t>(store: &Store<'t>) -> Option<Node<'t>> {
    match store.statement.kind_name() {
        "call" => store.statement.field(Field::Function),
        _ => store.statement.field(Field::Left),
    }
}

fn store<'t>(
    context: &Context<'t>,
    statement: Node<'t>,
    object: Node<'t>,
    value: Option<Node<'t>>,
) -> Option<Store<'t>> {
    if let Some(mut value) = value {
        // `x.handlers -= handler` removes; only `+=` and `|=` add.
        if statement.kind_name() == "augmented_assignment"
            && statement
                .field(Field::Operator)
                .is_some_and(|o| !matches!(context.text_of(o), "+=" | "|="))
        {
            return None;
        }
        // `widget["yscrollcommand"] = self.on_scroll`: a tkinter option, which the Tcl
        // interpreter keeps until the widget is destroyed, as it does `Button(command=...)`.
        if statement.kind_name() == "assignment"
            && let Some(key) = statement
                .field(Field::Left)
                .filter(|l| l.kind_name() == "subscript")
                .and_then(|l| l.field(Field::Subscript))
            && key.kind_name() == "string"
            && context
                .text_of(key)
                .trim_matches(|c| c == '"' || c == '\'')
                .ends_with("command")
        {
            return None;
        }
        // `a.x = b.y = value`: the value is the innermost right-hand side.
        while value.kind_name() == "assignment" {
            value = value.field(Field::Right)?;
        }
        return Some(Store {
            statement,
            object,
            values: vec![value],
        });
    }
    let method = statement.field(Field::Function)?.field(Field::Attribute)?;
    let arguments = statement.field(Field::Arguments)?;
    // Only the container methods' own shapes, so that `tracer.add(var, callback)` of some other
    // class is not taken for `set.add`.
    let arguments_list = named_children(arguments);
    let positional = arguments_list
        .iter()
        .filter(|a| a.kind_name() != "keyword_argument")
        .count();
    let keywords = arguments_list.len() - positional;
    let method_name = context.text_of(method);
    let shaped = match method_name {
        "append" | "appendleft" | "add" | "extend" => positional == 1 && keywords == 0,
        "insert" | "setdefault" => positional == 2 && keywords == 0,
        "update" => positional <= 1,
        _ => false,
    };
    if !shaped {
        return None;
    }
    let skip_first = matches!(method_name, "insert" | "setdefault");
    let values = arguments_list
        .into_iter()
        .skip(usize::from(skip_first))
        .filter_map(|a| match a.kind_name() {
            "keyword_argument" => a.field(Field::Value),
            "list_splat" | "dictionary_splat" => None,
            _ => Some(a),
        })
        .collect();
    Some(Store {
        statement,
        object,
        values,
    })
}

fn class<'t>(context: &Context<'t>, node: Node<'t>, name_node: Node<'t>) -> Option<Class<'t>> {
    context.scopes.scope_of_node(node.byte_range())?;
    let body = node.field(Field::Body)?;
    let mut defs = Vec::new();
    let mut class_attributes = HashSet::new();
    let mut aliases = HashMap::new();
    let statements = named_children(body);
    let rewraps = function_kind::Rewraps::new(context, &statements);
    for &statement in &statements {
        let (definition, decorators) = match statement.kind_name() {
            "decorated_definition" => (statement.field(Field::Definition), decorators(statement)),
            "function_definition" => (Some(statement), Vec::new()),
            _ => (None, Vec::new()),
        };
        if let Some(definition) = definition.filter(|d| d.kind_name() == "function_definition") {
            if let Some(name) = definition.field(Field::Name) {
                defs.push((context.text_of(name), decorators, definition));
            }
            continue;
        }
        if statement.kind_name() == "expression_statement"
            && let Some(assignment) = statement.named_child(0)
            && assignment.kind_name() == "assignment"
        {
            let mut current = Some(assignment);
            let mut targets = Vec::new();
            let mut value = None;
            while let Some(a) = current {
                if let Some(left) = a.field(Field::Left) {
                    targets.push(left);
                }
                let right = a.field(Field::Right);
                current = right.filter(|r| r.kind_name() == "assignment");
                value = right.filter(|r| r.kind_name() != "assignment");
            }
            for target in targets {
                if target.kind_name() == "identifier" {
                    let name = context.text_of(target);
                    match value.filter(|v| v.kind_name() == "identifier") {
                        Some(v) => {
                            aliases.insert(name, context.text_of(v));
                        }
                        None => {
                            class_attributes.insert(name);
                        }
                    }
                } else {
                    // Unpacking: every name in it is a class attribute.
                    let mut stack = vec![target];
                    while let Some(n) = stack.pop() {
                        if n.kind_name() == "identifier" {
                            class_attributes.insert(context.text_of(n));
                        } else {
                            stack.extend(named_children(n));
                        }
                    }
                }
            }
        }
    }
    let base_names: Vec<&str> = node
        .field(Field::Superclasses)
        .map(named_children)
        .unwrap_or_default()
        .into_iter()
        .filter(|base| base.kind_name() == "identifier")
        .map(|base| context.text_of(base))
        .collect();
    let is_metaclass = base_names.contains(&"type");
    let methods = if is_metaclass {
        Vec::new()
    } else {
        defs.iter()
            .filter_map(|(_, decorators, definition)| {
                let kind = function_kind::method_kind(context, *definition, decorators, &rewraps);
                method(context, kind, *definition)
            })
            .collect()
    };
    Some(Class {
        node,
        name_node,
        name: context.text_of(name_node),
        bases: Vec::new(),
        base_names,
        methods,
        defs,
        class_attributes,
        aliases,
        instance_attributes: HashMap::new(),
    })
}

fn method<'t>(
    context: &Context<'t>,
    kind: function_kind::Kind,
    definition: Node<'t>,
) -> Option<Method<'t>> {
    if kind.receiver() != Some(Receiver::Instance) {
        return None;
    }
    let scope = context.scopes.scope_of_node(definition.byte_range())?;
    let positional = positional_parameters(context, definition);
    let self_name = *positional.first()?;
    // A method that rebinds its `self` is not followed.
    let rebound = context
        .scopes
        .scope(scope)
        .symbol(self_name)
        .is_none_or(|s| s.occurrences.iter().any(|o| o.role == Role::Bind));
    if rebound {
        return None;
    }
    Some(Method {
        node: definition,
        scope,
        self_name,
    })
}

/// The names of a function's positional parameters, in order.
fn positional_parameters<'t>(context: &Context<'t>, definition: Node) -> Vec<&'t str> {
    let Some(parameters) = definition.field(Field::Parameters) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for parameter in named_children(parameters) {
        let name = match parameter.kind_name() {
            "identifier" => Some(parameter),
            "typed_parameter" => parameter
                .named_child(0)
                .filter(|n| n.kind_name() == "identifier"),
            "default_parameter" | "typed_default_parameter" => parameter.field(Field::Name),
            "positional_separator" => continue,
            _ => break,
        };
        match name {
            Some(name) => names.push(context.text_of(name)),
            None => break,
        }
    }
    names
}

/// A node's text for a message: its first line, shortened.
pub fn snippet(context: &Context, node: Node) -> String {
    let text = context.text_of(node);
    let first = text.lines().next().unwrap_or_default().trim_end();
    let mut short: String = first.chars().take(60).collect();
    if short.len() < text.trim_end().len() {
        short.push_str(" ...");
    }
    short
}

/// What holds the instance, in words: "the bound method `self.close`".
pub fn describe(context: &Context, hold: &Hold, self_name: &str) -> String {
    let line = |node: Node| context.lines.line_of(node.start_byte());
    match &hold.kind {
        HoldKind::Instance => format!("`{self_name}`"),
        HoldKind::BoundMethod(name) => match hold.origin {
            Some(def) => format!(
                "the bound method `{self_name}.{name}` (defined line {})",
                line(def)
            ),
            None => format!("the bound method `{self_name}.{name}`"),
        },
        HoldKind::Lambda => format!("a lambda that captures `{self_name}`"),
        HoldKind::Closure(name) => match hold.origin {
            Some(def) => format!(
                "nested function `{name}` (line {}), which captures `{self_name}`",
                line(def)
            ),
            None => format!("nested function `{name}`, which captures `{self_name}`"),
        },
        HoldKind::Partial(function) => format!("a `{function}` bound to `{self_name}`"),
        HoldKind::Constructed(class) if hold.origin.is_some() => {
            format!("a `{class}` given `{self_name}`, which its `__init__` keeps")
        }
        HoldKind::Constructed(class) => format!(
            "a `{class}` made with `{self_name}` as an argument (an object made with its owner \
             keeps it)"
        ),
        HoldKind::Wrapped { callee, held } if hold.origin.is_some() => {
            format!("a `{callee}` given `{held}`, which its `__init__` keeps")
        }
        HoldKind::Wrapped { callee, held } => format!(
            "a `{callee}` made with `{held}` (an object given a callback keeps it to call it)"
        ),
        HoldKind::Handle(callee) => format!(
            "the handle `{callee}(...)` returns, which keeps its callback bound to `{self_name}`"
        ),
        HoldKind::Linked(name) => match hold.origin {
            Some(statement) => format!(
                "`{name}`, which holds `{self_name}` through `{}` (line {})",
                snippet(context, statement),
                line(statement)
            ),
            None => format!("`{name}`, which holds `{self_name}`"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    /// Where `Classes::new` splits the top-level classes of `text`: how many go first.
    fn split(text: &str) -> usize {
        let tree = parse(text);
        let root = tree.root_node();
        let mut cursor = root.walk();
        let nodes: Vec<_> = root
            .named_children(&mut cursor)
            .map(|class| (class, class.field(Field::Name).unwrap()))
            .collect();
        half_by_size(&nodes)
    }

    #[test]
    fn classes_split_into_halves_of_about_the_same_source() {
        let small = |name: &str| format!("class {name}:\n    x = 1\n");
        let equal: String = ["A", "B", "C", "D", "E", "F"].map(small).concat();
        assert_eq!(split(&equal), 3);
        // One large class first: it alone is the first half's.
        let large = format!("class Big:\n{}", "    x = 1\n".repeat(50));
        assert_eq!(split(&format!("{large}{equal}")), 1);
        // One large class last: every other class goes first.
        assert_eq!(split(&format!("{equal}{large}")), 6);
        // Two large ones: one each.
        assert_eq!(split(&format!("{large}{large}")), 1);
        assert_eq!(split(""), 0);
    }
}
