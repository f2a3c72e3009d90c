//! # RH201 del-in-reference-cycle
//!
//! ## What it does
//! Flags a class that defines `__del__` (itself or through a base class in the same file) and whose
//! methods put its instance in a reference cycle: a store of something that holds the instance
//! into an object the instance reaches. Seen:
//! - back references: `child.parent = self` where the instance owns `child` (`self.children.append(child)`,
//!   `self.child = child`, `child = self.child`, `for child in self.children`), and
//!   `self.parent = parent` together with `parent.children.append(self)`;
//! - `self.child = Child(self)` where `Child` is a class of the same file whose `__init__` keeps
//!   that argument (`self.parent = parent`), or an imported class made with the instance itself
//!   as an argument (`self.writer = StreamWriter(transport, self, None, loop)`: an object made
//!   with its protocol or owner keeps it);
//! - callables bound to the instance stored on it: `self.cb = self.method`, a lambda or nested
//!   function capturing `self`, `functools.partial(self.method)` (these are RH202 findings too);
//! - the instance stored in itself: `self.me = self`, `self.items.append(self)`.
//! - the class with `__del__` as the child: another class of the file makes one with its own
//!   instance and keeps it (`self._transport = AppTransport(loop, self)`, where
//!   `AppTransport.__init__` keeps `self._protocol = protocol`), or children made in a
//!   comprehension (`self.devices = [Device(self, h) for h in handles]`).
//!
//! The finding is on the class name: the class is what has to change, either its `__del__` or
//! its back reference. Related information points to each statement that closes a cycle and to
//! `__del__`. Not flagged: weak references (`weakref.ref(self)`, `weakref.proxy(self)`,
//! `weakref.WeakMethod`, weak containers), `self.parent = parent` alone (a reference to another
//! object is not a cycle through the instance), functions (not classes) of other modules handed
//! `self`, and class-level registries (a different leak, RH301).
//!
//! Reported only with `strict = true`: every cycle the class makes is broken by the code
//! (`self._writer = None` in `connection_lost`, `del self.root.drag` in `finish`, a queue of
//! callbacks drained by `clear()`), or the class is made once per process (only at module
//! level). The message says which, or that the class is made per call or connection and
//! nothing breaks the cycle.
//!
//! A release that runs only through `__del__` (in `__del__`, or in a `close()` that the file
//! calls only from `__del__`) does not count: `__del__` is the fallback for callers that forget
//! `close()`, and the cycle keeps it from running until the collector does. An imported class
//! given the bare instance (`CommandsParser(self)`) is taken to keep it by default only in a
//! protocol or connection, whose helpers keep their owner by convention.
//!
//! ## Why is this bad?
//! Reference counting never frees a cycle. Before Python 3.4 the cyclic garbage collector did not
//! free cycles containing an object with `__del__` either: it moved them to `gc.garbage`, where
//! they stayed for the life of the process. Since Python 3.4 (PEP 442) the collector frees them,
//! but only when it runs, long after the last outside reference went, and it calls the `__del__`
//! methods of the objects in the cycle in no defined order: a `__del__` may see objects whose own
//! `__del__` already ran. Cleanup that `__del__` was meant to do promptly (closing files,
//! releasing locks or connections) happens late or at exit. The message follows the configured
//! `target-version`.
//!
//! ## Example
//! ```python
//! class Node:
//!     def __init__(self):
//!         self.children = []
//!
//!     def add(self, child):
//!         child.parent = self             # child -> parent
//!         self.children.append(child)     # parent -> child: a cycle
//!
//!     def __del__(self):
//!         print("bye")
//! ```
//!
//! ## Use instead
//! ```python
//! import weakref
//!
//! class Node:
//!     def add(self, child):
//!         child.parent = weakref.proxy(self)   # no cycle: freed as soon as it is unused
//!         self.children.append(child)
//! ```
//! Or break the cycle when the object's use ends (`close()`, `__exit__`), or replace `__del__`
//! with `weakref.finalize` or a context manager, which do not depend on when the object is
//! collected.
//!
//! ## Fix safety
//! Offered (unsafe): each back reference of the finding, `child.parent = self` (the instance
//! itself assigned to an attribute of another object, in a statement of its own), becomes
//! `child.parent = weakref.proxy(self)`, and `import weakref` is added when the file has no
//! top-level import of it. The cycle is gone, so reference counting frees the instance (and
//! runs `__del__`) as soon as the last outside reference goes. Unsafe because the child no
//! longer keeps the instance alive: using `child.parent` after that raises `ReferenceError`,
//! `child.parent is self` is false, and a proxy cannot be hashed. Not offered when the finding
//! has no such back reference (callbacks, containers, `self.me = self`, objects constructed
//! with `self`: see RH202 for bound methods), when `weakref` cannot be named there without
//! changing a name's meaning, or when the instances may not be weakly referenceable
//! (`__slots__` or `@dataclass(slots=True)` in the class or a same-file base; a base such as
//! `tuple`, `int`, `bytes`, `NamedTuple`, or one this file cannot name, like `namedtuple(...)`).
//!
//! Also offered (unsafe), when `__del__`'s whole body releases one resource held in an
//! attribute (`self.file.close()`, a docstring aside): `__del__` goes, and `__init__` registers
//! `weakref.finalize(self, self.file.close)` right after the statement that sets `self.file`.
//! Only when that is provably the same call on the same object: `__init__` sets the attribute
//! once, in a statement of its own at the top of its body; the file's code names the attribute
//! nowhere else (nor a string spells it) and names `__del__` only in `def`s (no
//! `super().__del__()`). `weakref.finalize` does not resurrect the object, runs at most once,
//! and also runs at interpreter exit; on Python 3.4 and later it frees nothing sooner than
//! `__del__` did while the cycle stands, so the proxy fix comes first when both are offered.
//! Unsafe because of those differences, and because subclasses elsewhere that extend
//! `__del__` break.
//!
//! By hand: `weakref.ref(self)` (called to get the object) for the back reference; for
//! callbacks, `weakref.WeakMethod(self.method)`; or a context manager (`with` / `close()`),
//! which does not depend on when the object is collected.
//!
//! ## Options
//! `target-version`: before 3.4 the message says the cycle is never collected.

use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::classes::{
    Classes, DEPTH, Hold, HoldKind, Holding, InMethod, Store, describe, snippet, store_target,
};
use crate::analysis::semantic::lifetime::cycle_evidence;
use crate::analysis::settings::PythonVersion;
use crate::analysis::syntax::chain_base;
use crate::analysis::syntax::{Field, NodeLookups};
use tree_sitter::Node;

mod fixes;

/// One statement that closes a cycle, and what it stores.
struct Closing<'t> {
    statement: Node<'t>,
    /// What the store puts its value in (`child.parent`, `self.children`).
    target: Node<'t>,
    /// The object stored into (`child`, `self.children`).
    object: Node<'t>,
    /// Whether that object is the instance or one of its attributes (`self`, `self.children`).
    on_instance: bool,
    hold: Hold<'t>,
    self_name: &'t str,
    /// Whether the statement is a back reference a proxy can replace: `child.parent = self`,
    /// the instance itself stored in an attribute of another object.
    back_reference: bool,
    /// The class whose method runs the statement: the class with `__del__` or a base of it,
    /// or another class that makes one and keeps it (`self.transport = AppTransport(self)`).
    owner: usize,
    /// Whether `owner` is that other class.
    keeper: bool,
}

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    for (index, class) in classes.classes.iter().enumerate() {
        let Some((del_class, del)) = classes.find_def(index, "__del__") else {
            continue;
        };
        let mut closing = closings(classes, index);
        // A subclass that adds neither the `__del__` nor a cycle is its base's finding.
        if closing.is_empty() || (del_class != index && closing.iter().all(|c| c.owner != index)) {
            continue;
        }
        closing.sort_by_key(|c| c.statement.start_byte());
        let del_name = del.field(Field::Name).unwrap_or(del);
        let del_line = context.lines.line_of(del_name.start_byte());
        let del_where = if del_class == index {
            format!("line {del_line}")
        } else {
            format!(
                "inherited from `{}`, line {del_line}",
                classes.classes[del_class].name
            )
        };
        let first = &closing[0];
        let more = match closing.len() {
            1 => String::new(),
            2 => " (1 more statement closes a cycle)".to_string(),
            n => format!(" ({} more statements close cycles)", n - 1),
        };
        // Worth acting on when some cycle is neither on a once-per-process object nor broken
        // by the code (`self._writer = None` in `connection_lost`).
        let evidence: Vec<_> = closing
            .iter()
            .map(|c| {
                let mut targets = vec![(c.target, c.owner)];
                if let (Some(kept_in), Some(kept_by)) = (c.hold.kept_in, c.hold.origin) {
                    let kept_by = classes.classes.iter().position(|k| k.name_node == kept_by);
                    targets.extend(kept_by.map(|k| (kept_in, k)));
                }
                let imported = match &c.hold.kind {
                    HoldKind::Constructed(name) if c.hold.origin.is_none() => Some(name.as_str()),
                    _ => None,
                };
                let made_by = if c.keeper { c.owner } else { index };
                cycle_evidence(checker.semantic, made_by, &targets, imported)
            })
            .collect();
        let evidence = evidence
            .iter()
            .find(|e| e.level == Level::Default)
            .unwrap_or(&evidence[0]);
        let message = format!(
            "`{}` defines `__del__` ({del_where}) and its instances are in a reference cycle: \
             `{}` (line {}) {}{more}. {}. {}",
            class.name,
            snippet(context, first.statement),
            context.lines.line_of(first.statement.start_byte()),
            first.explain(classes),
            consequence(context.settings.target_version),
            evidence.text,
        );
        let mut related: Vec<Related> = closing
            .iter()
            .map(|c| Related {
                range: c.statement.byte_range(),
                message: format!("closes the cycle: {}", c.explain(classes)),
            })
            .collect();
        related.push(Related {
            range: del_name.byte_range(),
            message: format!(
                "`__del__` of `{}`: {}",
                classes.classes[del_class].name,
                if context.settings.target_version < PythonVersion::new(3, 4) {
                    "keeps the cycle out of the garbage collector's reach"
                } else {
                    "runs only when the cyclic garbage collector frees the cycle"
                }
            ),
        });
        findings.push(Finding {
            level: evidence.level,
            rule: Rule::DelInReferenceCycle,
            range: class.name_node.byte_range(),
            message,
            related,
            fixes: fixes::proxy_fix(classes, index, &closing)
                .into_iter()
                .chain(fixes::finalize_fix(classes, index, del_class, del))
                .collect(),
            release_elsewhere: None,
        });
    }
    findings
}

/// The statements that close a cycle through instances of class `index`: stores, in its
/// methods or a base's, of something holding the instance into an object the instance reaches;
/// and stores, in another class's methods, of an instance of it made with that class's own
/// instance, which its `__init__` keeps (`self._transport = AppTransport(loop, self)`).
fn closings<'t>(classes: &Classes<'_, 't>, index: usize) -> Vec<Closing<'t>> {
    let lineage = classes.lineage(index);
    let name_node = classes.classes[index].name_node;
    let mut closing: Vec<Closing<'t>> = Vec::new();
    for owner in 0..classes.classes.len() {
        let keeper = !lineage.contains(&owner);
        for method in &classes.classes[owner].methods {
            let analysis = InMethod::new(classes, if keeper { owner } else { index }, method);
            for store in classes.stores_in(method) {
                if closing
                    .iter()
                    .any(|c| c.statement.id() == store.statement.id())
                    || !analysis.reachable(store.object, DEPTH)
                {
                    continue;
                }
                let hold = store.values.iter().find_map(|v| {
                    let hold = analysis.holds(*v, Holding::Any, DEPTH)?;
                    // Another class's store counts when what it keeps is one of ours.
                    (!keeper
                        || (matches!(hold.kind, HoldKind::Constructed(_))
                            && hold.origin == Some(name_node)))
                    .then_some(hold)
                });
                let Some(hold) = hold else {
                    continue;
                };
                closing.push(Closing {
                    statement: store.statement,
                    target: store_target(store),
                    object: store.object,
                    on_instance: analysis.is_self(chain_base(store.object)),
                    back_reference: !keeper && is_back_reference(&analysis, store, &hold),
                    hold,
                    self_name: method.self_name,
                    owner,
                    keeper,
                });
            }
        }
    }
    closing
}

/// Whether `store` is `object.attr = self` with `object` not the instance itself: one plain
/// target, the bare instance as the value.
fn is_back_reference(analysis: &InMethod, store: &Store, hold: &Hold) -> bool {
    let statement = store.statement;
    // A statement of its own: in `a.x = b.y = self` the value is stored twice.
    hold.kind == HoldKind::Instance
        && statement.kind_name() == "assignment"
        && statement
            .parent()
            .is_some_and(|p| p.kind_name() == "expression_statement")
        && statement.field(Field::Type).is_none()
        && statement
            .field(Field::Right)
            .is_some_and(|right| right.id() == hold.node.id())
        && statement.field(Field::Left).is_some_and(|left| {
            left.kind_name() == "attribute" && left.id() == store_target(store).id()
        })
        && !analysis.is_self(store.object)
}

impl Closing<'_> {
    /// "stores `self` in `child.parent`, and the instance reaches `child`"
    fn explain(&self, classes: &Classes) -> String {
        let context = classes.context;
        let reach = if self.on_instance {
            String::new()
        } else {
            format!(
                ", and the instance reaches `{}`",
                snippet(context, self.object)
            )
        };
        let what = describe(context, &self.hold, self.self_name);
        // "stores `child`, which holds `self` through ..., in `self.children`"
        let comma = if what.contains(", which") { "," } else { "" };
        if self.keeper {
            let owner = &classes.classes[self.owner].name;
            return format!(
                "in `{owner}` stores {what}{comma} in `{}`: the `{owner}` and the object it \
                 made refer to each other",
                snippet(context, self.target)
            );
        }
        format!(
            "stores {what}{comma} in `{}`{reach}",
            snippet(context, self.target)
        )
    }
}

/// What happens to such a cycle on the target Python.
fn consequence(target: PythonVersion) -> String {
    if target < PythonVersion::new(3, 4) {
        format!(
            "Before Python 3.4 (target {target}) the garbage collector never frees a cycle \
             holding an object with `__del__`: these instances, and everything they reference, \
             stay in `gc.garbage` for the life of the process"
        )
    } else {
        "Reference counting never frees them: only the cyclic garbage collector does, late, \
         and it runs the `__del__` methods in the cycle in no defined order"
            .to_string()
    }
}
