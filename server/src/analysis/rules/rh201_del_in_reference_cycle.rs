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

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, remove_statement, with_import};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::classes::{
    Classes, DEPTH, Hold, HoldKind, Holding, InMethod, Store, describe, snippet, store_target,
    wrap_in_weakref,
};
use crate::analysis::settings::PythonVersion;
use crate::analysis::syntax::chain_base;
use crate::analysis::syntax::named_children;

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
    self_name: String,
    /// Whether the statement is a back reference a proxy can replace: `child.parent = self`,
    /// the instance itself stored in an attribute of another object.
    back_reference: bool,
}

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    for (index, class) in classes.classes.iter().enumerate() {
        let Some((del_class, del)) = classes.find_def(index, "__del__") else {
            continue;
        };
        let mut closing: Vec<(usize, Closing)> = Vec::new();
        for owner in classes.lineage(index) {
            for method in &classes.classes[owner].methods {
                let analysis = InMethod::new(classes, index, method);
                for store in classes.stores_in(method) {
                    if closing
                        .iter()
                        .any(|(_, c)| c.statement.id() == store.statement.id())
                        || !analysis.reachable(store.object, DEPTH)
                    {
                        continue;
                    }
                    if let Some(hold) = store
                        .values
                        .iter()
                        .find_map(|v| analysis.holds(*v, Holding::Any, DEPTH))
                    {
                        closing.push((
                            owner,
                            Closing {
                                statement: store.statement,
                                target: store_target(store),
                                object: store.object,
                                on_instance: analysis.is_self(chain_base(store.object)),
                                back_reference: is_back_reference(&analysis, store, &hold),
                                hold,
                                self_name: method.self_name.clone(),
                            },
                        ));
                    }
                }
            }
        }
        // A subclass that adds neither the `__del__` nor a cycle is its base's finding.
        if closing.is_empty() || (del_class != index && closing.iter().all(|(o, _)| *o != index)) {
            continue;
        }
        closing.sort_by_key(|(_, c)| c.statement.start_byte());
        let del_name = del.child_by_field_name("name").unwrap_or(del);
        let del_line = context.lines.line_of(del_name.start_byte());
        let del_where = if del_class == index {
            format!("line {del_line}")
        } else {
            format!(
                "inherited from `{}`, line {del_line}",
                classes.classes[del_class].name
            )
        };
        let first = &closing[0].1;
        let more = match closing.len() {
            1 => String::new(),
            2 => " (1 more statement closes a cycle)".to_string(),
            n => format!(" ({} more statements close cycles)", n - 1),
        };
        // Worth acting on when some cycle is neither on a once-per-process object nor broken
        // by the code (`self._writer = None` in `connection_lost`).
        let evidence: Vec<_> = closing
            .iter()
            .map(|(_, c)| {
                checker
                    .semantic
                    .instance_evidence(context, index, c.target, Level::Strict)
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
            first.explain(context),
            consequence(context.settings.target_version),
            evidence.text,
        );
        let mut related: Vec<Related> = closing
            .iter()
            .map(|(_, c)| Related {
                range: c.statement.byte_range(),
                message: format!("closes the cycle: {}", c.explain(context)),
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
            fixes: proxy_fix(classes, index, &closing)
                .into_iter()
                .chain(finalize_fix(classes, index, del_class, del))
                .collect(),
        });
    }
    findings
}

/// Whether `store` is `object.attr = self` with `object` not the instance itself: one plain
/// target, the bare instance as the value.
fn is_back_reference(analysis: &InMethod, store: &Store, hold: &Hold) -> bool {
    let statement = store.statement;
    // A statement of its own: in `a.x = b.y = self` the value is stored twice.
    hold.kind == HoldKind::Instance
        && statement.kind() == "assignment"
        && statement
            .parent()
            .is_some_and(|p| p.kind() == "expression_statement")
        && statement.child_by_field_name("type").is_none()
        && statement
            .child_by_field_name("right")
            .is_some_and(|right| right.id() == hold.node.id())
        && statement
            .child_by_field_name("left")
            .is_some_and(|left| left.kind() == "attribute" && left.id() == store_target(store).id())
        && !analysis.is_self(store.object)
}

/// Every back reference of the finding (`child.parent = self`) becomes
/// `child.parent = weakref.proxy(self)`. Offered when the finding has at least one, and the
/// instance can be weakly referenced.
fn proxy_fix(classes: &Classes, class: usize, closing: &[(usize, Closing)]) -> Option<Fix> {
    let context = classes.context;
    let back_references: Vec<&Closing> = closing
        .iter()
        .map(|(_, c)| c)
        .filter(|c| c.back_reference)
        .collect();
    if back_references.is_empty() || !classes.weakly_referenceable(class) {
        return None;
    }
    let mut edits = Vec::new();
    let mut import = None;
    for back_reference in &back_references {
        let (wrapped, needed) = wrap_in_weakref(context, back_reference.hold.node, "proxy")?;
        edits.push(wrapped);
        // The import goes at one place whichever statement asked for it.
        import = import.or(needed);
    }
    let targets: Vec<String> = back_references
        .iter()
        .map(|c| format!("`{}`", snippet(context, c.target)))
        .collect();
    let self_name = &back_references[0].self_name;
    let class_name = &classes.classes[class].name;
    Some(Fix {
        title: format!(
            "Store `weakref.proxy({self_name})` in {} (unsafe: it no longer keeps the `{class_name}` \
             alive and raises ReferenceError once it is gone; it is not `{self_name}` to `is` \
             and cannot be hashed)",
            targets.join(", ")
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, import)?,
    })
}

/// `__del__` whose whole body releases one resource held in an attribute
/// (`self.file.close()`) becomes `weakref.finalize(self, self.file.close)`, registered in
/// `__init__` right after the statement that sets the attribute, and `__del__` goes. Offered
/// only when that is the same call on the same object: `__init__` sets the attribute once, in a
/// statement of its own at the top of its body, and the file mentions the attribute's name
/// nowhere else and `__del__` only as the definition (nothing calls it or extends it).
fn finalize_fix(classes: &Classes, class: usize, del_class: usize, del: Node) -> Option<Fix> {
    let context = classes.context;
    if del_class != class
        || del.kind() != "function_definition"
        || del.parent()?.kind() != "block"
        || context
            .identifiers("__del__")
            .iter()
            .any(|n| n.parent().and_then(|p| p.child_by_field_name("name")) != Some(*n))
        || !classes.weakly_referenceable(class)
    {
        return None;
    }
    let del_self = only_parameter(context, del)?;
    let release = single_statement(del)?;
    // `self.file.close()`: a call without arguments of a method of one attribute.
    let call = (release.kind() == "expression_statement" && release.named_child_count() == 1)
        .then(|| release.named_child(0))
        .flatten()
        .filter(|c| c.kind() == "call")?;
    if call.child_by_field_name("arguments")?.named_child_count() != 0 {
        return None;
    }
    let method = call.child_by_field_name("function")?;
    let held = method
        .child_by_field_name("object")
        .filter(|h| method.kind() == "attribute" && h.kind() == "attribute")?;
    let owner = held.child_by_field_name("object")?;
    if owner.kind() != "identifier" || context.text_of(owner) != del_self {
        return None;
    }
    let attribute = context.text_of(held.child_by_field_name("attribute")?);
    let method_name = context.text_of(method.child_by_field_name("attribute")?);
    // The attribute is named twice in the file's code: set in `__init__`, used in `__del__`;
    // a string naming it (`getattr(x, "file")`) counts too.
    let in_strings = context
        .text
        .match_indices(&format!("\"{attribute}\""))
        .chain(context.text.match_indices(&format!("'{attribute}'")))
        .count();
    if context.identifiers(attribute).len() != 2 || in_strings != 0 {
        return None;
    }
    let (init_class, init) = classes.find_def(class, "__init__")?;
    if init_class != class || init.kind() != "function_definition" {
        return None;
    }
    let init_self = first_parameter(context, init)?;
    let set = context
        .text_of(init)
        .find(&format!("{init_self}.{attribute}"))
        .and_then(|offset| {
            let start = init.start_byte() + offset;
            init.descendant_for_byte_range(start, start)
        })?;
    // `self.file = open(path)` as a statement of the `__init__` body itself.
    let target = set.parent()?;
    let assignment = target.parent()?;
    let statement = assignment.parent()?;
    let sets_attribute = set.kind() == "identifier"
        && assignment.kind() == "assignment"
        && assignment.child_by_field_name("type").is_none()
        && assignment
            .child_by_field_name("left")
            .is_some_and(|left| left.kind() == "attribute" && left.id() == target.id())
        && assignment
            .child_by_field_name("right")
            .is_some_and(|right| right.kind() != "assignment")
        && statement.kind() == "expression_statement"
        && statement.parent().map(|b| b.id()) == init.child_by_field_name("body").map(|b| b.id());
    if !sets_attribute {
        return None;
    }
    let lines = StatementLines::of(context.text, statement);
    if !lines.alone() || !lines.terminated() {
        return None;
    }
    let weakref = context.import(Needed::Module("weakref"), lines.end)?;
    let register = Edit {
        range: lines.end..lines.end,
        text: format!(
            "{}{}.finalize({init_self}, {init_self}.{attribute}.{method_name}){}",
            lines.indent, weakref.reference, lines.newline
        ),
    };
    let removal = remove_statement(context.text, del)?;
    let class_name = &classes.classes[class].name;
    Some(Fix {
        title: format!(
            "Replace `__del__` with `weakref.finalize({init_self}, {init_self}.{attribute}.{method_name})` \
             in `__init__` (unsafe: it also runs at interpreter exit, and not at all when \
             `__init__` fails before setting `{attribute}`; subclasses of `{class_name}` elsewhere \
             that call `super().__del__()` break)"
        ),
        safety: Safety::Unsafe,
        edits: with_import(vec![register, removal], weakref.edit)?,
    })
}

/// The name of a `def`'s first parameter, when it is a plain one.
fn first_parameter<'t>(context: &Context<'t>, def: Node) -> Option<&'t str> {
    let first = def.child_by_field_name("parameters")?.named_child(0)?;
    (first.kind() == "identifier").then(|| context.text_of(first))
}

/// The name of a `def`'s only parameter, when it has exactly one, plain.
fn only_parameter<'t>(context: &Context<'t>, def: Node) -> Option<&'t str> {
    let parameters = def.child_by_field_name("parameters")?;
    let all = named_children(parameters);
    (all.len() == 1)
        .then(|| first_parameter(context, def))
        .flatten()
}

/// A `def`'s one statement, a docstring before it aside.
fn single_statement(def: Node) -> Option<Node> {
    let mut statements = named_children(def.child_by_field_name("body")?);
    let is_docstring = |n: &Node| {
        n.kind() == "expression_statement"
            && n.named_child(0)
                .is_some_and(|s| s.kind() == "string" && n.named_child_count() == 1)
    };
    if statements.len() == 2 && is_docstring(&statements[0]) {
        statements.remove(0);
    }
    (statements.len() == 1).then(|| statements[0])
}

impl Closing<'_> {
    /// "stores `self` in `child.parent`, and the instance reaches `child`"
    fn explain(&self, context: &Context) -> String {
        let reach = if self.on_instance {
            String::new()
        } else {
            format!(
                ", and the instance reaches `{}`",
                snippet(context, self.object)
            )
        };
        let what = describe(context, &self.hold, &self.self_name);
        // "stores `child`, which holds `self` through ..., in `self.children`"
        let comma = if what.contains(", which") { "," } else { "" };
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

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::{PythonVersion, Settings};

    const TREE: &str = "\
class Node:
    def __init__(self):
        self.children = []

    def add(self, child):
        child.parent = self
        self.children.append(child)

    def __del__(self):
        print('bye')
";

    fn findings(target: PythonVersion) -> Vec<crate::analysis::findings::Finding> {
        let settings = Settings {
            rules: vec![Rule::DelInReferenceCycle],
            target_version: target,
            strict: true,
            ..Settings::default()
        };
        check(TREE, &parse(TREE), &settings)
    }

    #[test]
    fn a_class_this_file_never_makes_is_strict_only() {
        let default = Settings {
            rules: vec![Rule::DelInReferenceCycle],
            ..Settings::default()
        };
        assert!(check(TREE, &parse(TREE), &default).is_empty());
        let per_call = format!("{TREE}\n\ndef handle(request):\n    return Node()\n");
        let found = check(&per_call, &parse(&per_call), &default);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.ends_with(
                "`Node` is made per call in `handle()` (line 14); nothing in this file sets \
                 `child.parent` back to None or deletes it"
            ),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn message_before_3_4_says_never_collected() {
        let found = findings(PythonVersion::new(3, 3));
        assert_eq!(found.len(), 1);
        let finding = &found[0];
        assert_eq!(&TREE[finding.range.clone()], "Node");
        assert!(
            finding.message.starts_with(
                "`Node` defines `__del__` (line 9) and its instances are in a reference cycle: \
                 `child.parent = self` (line 6) stores `self` in `child.parent`, and the \
                 instance reaches `child` (1 more statement closes a cycle)"
            ),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains(
                "Before Python 3.4 (target 3.3) the garbage collector never frees a cycle"
            ),
            "{}",
            finding.message
        );
        assert!(finding.message.contains("`gc.garbage`"));
        // Related: both statements of the cycle, then `__del__`.
        let related: Vec<&str> = finding
            .related
            .iter()
            .map(|r| &TREE[r.range.clone()])
            .collect();
        assert_eq!(
            related,
            [
                "child.parent = self",
                "self.children.append(child)",
                "__del__"
            ]
        );
        assert!(
            finding.related[2]
                .message
                .contains("out of the garbage collector's reach")
        );
    }

    #[test]
    fn message_from_3_4_says_collected_late_in_no_order() {
        let found = findings(PythonVersion::new(3, 12));
        assert_eq!(found.len(), 1);
        let message = &found[0].message;
        assert!(
            message.contains("only the cyclic garbage collector does, late")
                && message.contains("in no defined order"),
            "{message}"
        );
        assert!(!message.contains("gc.garbage"), "{message}");
        assert!(
            found[0].related[1]
                .message
                .contains("`child`, which holds `self` through `child.parent = self` (line 6)"),
            "{}",
            found[0].related[1].message
        );
    }

    /// The text after applying the RH201 fix for `source` (at the latest target); `None`
    /// when the cycle is found but no fix is offered.
    fn fixed(source: &str) -> Option<String> {
        let settings = Settings {
            rules: vec![Rule::DelInReferenceCycle],
            strict: true,
            ..Settings::default()
        };
        let found = check(source, &parse(source), &settings);
        assert_eq!(found.len(), 1, "{found:?}");
        let fix = found[0].fixes.first()?;
        Some(crate::analysis::fixes::apply_edits(source, &fix.edits))
    }

    #[test]
    fn the_back_reference_becomes_a_proxy() {
        assert_eq!(
            fixed(&format!("import weakref as wr\n{TREE}"))
                .unwrap()
                .replace("import weakref as wr\n", ""),
            TREE.replace("child.parent = self", "child.parent = wr.proxy(self)")
        );
    }

    #[test]
    fn no_proxy_for_other_shapes_or_unreferenceable_instances() {
        for (from, to) in [
            ("child.parent = self", "child.parent = child.owner = self"),
            ("child.parent = self", "child.parent: object = self"),
            ("child.parent = self", "child.parent = (self)"),
            ("class Node:", "class Node(tuple):"),
            (
                "class Node:\n",
                "class Node:\n    __slots__ = ('children', '__dict__')\n",
            ),
        ] {
            let source = TREE.replacen(from, to, 1);
            assert_eq!(fixed(&source), None, "{to}");
        }
        // The instance stored in itself: a cycle, but no back reference to weaken.
        let selfish = "class S:\n    def __init__(self):\n        self.me = self\n\n    def __del__(self):\n        pass\n";
        assert_eq!(fixed(selfish), None);
    }
}
