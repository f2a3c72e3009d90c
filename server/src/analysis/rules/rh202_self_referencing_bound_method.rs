//! # RH202 self-referencing-bound-method
//!
//! ## What it does
//! Flags a method that stores, on its own instance, a callable bound to that instance:
//! `self.x = self.method` (a bound method), `self.cb = lambda: self.go()` or a nested function
//! that captures `self`, or `functools.partial(self.method, ...)`; stored on an attribute, in an
//! item, or added to a container the instance owns (`self.handlers.append(self.on_close)`,
//! `self.dispatch = {"get": self.do_get}`), or set on an object the instance owns
//! (`self.parser.handler = self.on_event`; `sock.callback = self.on_data` after
//! `self.sock = sock`), directly or through a local (`cb = self.method` followed by
//! `self.cb = cb`). The finding is on the stored value, what the fix wraps.
//!
//! Not flagged: a bound method of another object, anything wrapped in `weakref.WeakMethod`,
//! `weakref.ref` or `weakref.proxy`, a lambda that does not capture `self`, a bound method kept
//! in a local only, class-level aliases (`close = shutdown`), and `self.name` where `name` is a
//! property, a static or class method, or something the class also assigns on instances.
//! `self.method` counts as a bound method only when the class (or a base class in the same
//! file) defines `method` with a plain `def`. The same cycle one call away is flagged too: a
//! handle that keeps a bound method as its callback (`self._timer = loop.call_later(30,
//! self._beat)`, `threading.Timer(5, self._beat)`).
//!
//! Not flagged either: a store into an object the instance does not make (`frame.f_trace =
//! self.dispatch` where the frame was handed in). Reported only with `strict = true`: the code
//! breaks the cycle (`self.on_data = None` or `self._timer.cancel()` in any method but
//! `__init__`, a list of callbacks drained by its consumer), the class is made once per process
//! (only at module level), or the store only runs when `hasattr(self, "x")` finds no such
//! attribute (a fallback for subclasses that define it). The message says which, or that the
//! class is made per call or connection and nothing breaks the cycle.
//!
//! ## Why is this bad?
//! A bound method holds its instance (`__self__`), and a closure holds the cell of `self`. Stored
//! on the instance, it makes a cycle: instance → attribute → bound method → instance. Reference
//! counting never frees a cycle, so when the last outside reference goes, the instance and
//! everything it holds stay in memory until the cyclic garbage collector runs, which may be much
//! later (or never, with `gc.disable()` or a `__del__` before Python 3.4, see RH201).
//!
//! ## Example
//! ```python
//! class Connection:
//!     def __init__(self, sock):
//!         self.sock = sock
//!         self.on_data = self.handle_data      # instance -> bound method -> instance
//!
//!     def handle_data(self, data):
//!         ...
//! ```
//!
//! ## Use instead
//! ```python
//! class Connection:
//!     def __init__(self, sock):
//!         self.sock = sock
//!
//!     def close(self):
//!         self.sock.close()
//!
//!     def on_data(self, data):            # look the method up when it is needed
//!         self.handle_data(data)
//! ```
//! Or set the attribute back to `None` (or cancel the handle) when the object's use ends.
//!
//! ## Fix safety
//! Offered (unsafe) for `self.x = self.method`: the store becomes
//! `self.x = weakref.WeakMethod(self.method)` and every call `self.x(args)` in the class becomes
//! `self.x()(args)` (`import weakref` is added when the file has no top-level import of it).
//! Inside the class's own methods the instance is alive, so the weak method always resolves
//! there; unsafe because a caller holding the attribute after the instance is gone gets `None`
//! from it (calling that raises `TypeError`), and copies or pickles of the instance differ.
//! Offered only when the file shows every use: each other occurrence of the name `x` in the
//! file (a read, a store, a definition, a keyword, a string `"x"`) is such a call or another
//! `self.x = self.other_method` (wrapped too), on the instance in a method of the same class;
//! the class and all its bases are classes of this file (a base elsewhere may call `self.x()`
//! itself, as `threading.Thread` calls `run`); the instances can be weakly referenced (no
//! `__slots__`, no base such as `tuple`); and `weakref` can be named there without changing a
//! name's meaning. Lambdas, nested functions, `functools.partial` and containers get no edit.
//!
//! By hand: call the weak method through `self.on_data()(data)`, checking for `None`; or look
//! the method up when it is needed instead of storing it; or make the closure take the
//! instance as an argument.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::with_import;
use crate::analysis::rules::Rule;
use crate::analysis::semantic::{Checker, Evidence};
use crate::analysis::semantic::classes::{
    DEPTH, Hold, HoldKind, Holding, InMethod, Store, describe, snippet, store_attribute,
    store_target, wrap_in_weakref,
};
use crate::analysis::syntax::named_children;

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    for (index, class) in classes.classes.iter().enumerate() {
        for method in &class.methods {
            let analysis = InMethod::new(classes, index, method);
            let self_name = &method.self_name;
            for store in classes.stores_in(method) {
                if !analysis.reachable(store.object, DEPTH) {
                    continue;
                }
                for &value in &store.values {
                    let Some(hold) = analysis.holds(value, Holding::Callable, DEPTH) else {
                        continue;
                    };
                    let place = if store.statement.kind() == "call" {
                        format!("added to `{}`", snippet(context, store_target(store)))
                    } else {
                        format!("stored in `{}`", snippet(context, store_target(store)))
                    };
                    let what = describe(context, &hold, self_name);
                    let mut related = Vec::new();
                    // Every piece of a container or conditional that holds `self` needs the fix.
                    for piece in pieces(value) {
                        let Some(hold) = analysis.holds(piece, Holding::Callable, DEPTH) else {
                            continue;
                        };
                        let what = describe(context, &hold, self_name);
                        if hold.node != value {
                            related.push(Related {
                                range: hold.node.byte_range(),
                                message: format!("{what} holds `{self_name}`"),
                            });
                        }
                        if let Some(origin) = hold.origin {
                            let message = match &hold.kind {
                                HoldKind::BoundMethod(name) => format!("`{name}` is defined here"),
                                HoldKind::Closure(name) => {
                                    format!("`{name}` is defined here and captures `{self_name}`")
                                }
                                _ => "defined here".to_string(),
                            };
                            related.push(Related {
                                range: origin.byte_range(),
                                message,
                            });
                        }
                    }
                    let fixes = weak_method_fix(&analysis, store, value, &hold)
                        .into_iter()
                        .collect();
                    // A handle to a scheduled call on an object is a connection's or a
                    // session's far more often than an application's.
                    let unknown = if matches!(hold.kind, HoldKind::Handle(_)) {
                        Level::Default
                    } else {
                        Level::Strict
                    };
                    let mut evidence = checker.semantic.instance_evidence(
                        context,
                        index,
                        store_target(store),
                        unknown,
                    );
                    if evidence.level == Level::Default
                        && let Some(why) = released_elsewhere(checker, &analysis, store, unknown)
                    {
                        evidence = why;
                    }
                    if let Some(guard) = hasattr_guard(context, store) {
                        evidence.level = Level::Strict;
                        evidence.text = format!(
                            "the store runs only when `{}` finds no such attribute, and a \
                             subclass usually defines it",
                            context.text_of(guard)
                        );
                    }
                    findings.push(Finding {
                        level: evidence.level,
                        rule: Rule::SelfReferencingBoundMethod,
                        range: value.byte_range(),
                        message: format!(
                            "{what} is {place}, so the `{}` instance refers to \
                             itself: a cycle reference counting never frees; the instance and \
                             everything it holds stay alive until the cyclic garbage collector \
                             runs. {}",
                            class.name, evidence.text
                        ),
                        related,
                        fixes,
                    });
                }
            }
        }
    }
    findings
}

/// Evidence that the code lets go of what `store` adds, other than a release of its own target:
/// `handlers -= handler` beside `handlers += handler`; a release of the instance attribute that
/// reaches the object stored into (`del self.parser` for `parser.handler = self.on_event`); or
/// that attribute set only by a base class of another module, which owns its lifecycle.
fn released_elsewhere<'t>(
    checker: &Checker<'_, 't>,
    analysis: &InMethod<'_, '_, 't>,
    store: &Store<'t>,
    unknown: Level,
) -> Option<Evidence> {
    let context = checker.context;
    let strict = |text: String| Evidence {
        level: Level::Strict,
        text,
    };
    if store.statement.kind() == "augmented_assignment" {
        let left = context.text_of(store.statement.child_by_field_name("left")?);
        let right = context.text_of(store.statement.child_by_field_name("right")?);
        let removal = format!("{left} -= {right}");
        if let Some(at) = context.text.find(&removal) {
            return Some(strict(format!(
                "`{removal}` (line {}) takes it off again",
                context.lines.line_of(at)
            )));
        }
    }
    for attribute in analysis.reaching_attributes(store.object, DEPTH) {
        let evidence =
            checker
                .semantic
                .instance_evidence(context, analysis.class, attribute, unknown);
        if evidence.level == Level::Strict {
            return Some(evidence);
        }
        // A handler set on an object that a base class of another module makes (its parser,
        // its transport): the base's lifecycle (`close()`, `reset()`) owns that object. A
        // container of the instance's own (`self.handlers[key] = ...`) is not such an object.
        let name = context.text_of(attribute.child_by_field_name("attribute")?);
        let on_object = store.statement.kind() == "assignment"
            && store_target(store).kind() == "attribute"
            && !analysis.is_self(store.object);
        if on_object && analysis.set_by_foreign_base(name) {
            return Some(strict(format!(
                "`{}` is set by a base class of another module, which owns the object and \
                 lets it go in its own lifecycle",
                context.text_of(attribute)
            )));
        }
    }
    None
}

/// The `hasattr(self, "x")` test that guards a store into `self.x`: a fallback for subclasses
/// that do not define `x`.
fn hasattr_guard<'t>(context: &Context<'t>, store: &Store<'t>) -> Option<Node<'t>> {
    let attribute = context.text_of(store_attribute(store)?);
    let mut node = store.statement;
    while let Some(parent) = node.parent() {
        if parent.kind() == "function_definition" {
            return None;
        }
        if parent.kind() == "if_statement"
            && let Some(condition) = parent.child_by_field_name("condition")
        {
            let text = context.text_of(condition);
            if text.contains("hasattr(")
                && (text.contains(&format!("\"{attribute}\""))
                    || text.contains(&format!("'{attribute}'")))
            {
                return Some(condition);
            }
        }
        node = parent;
    }
    None
}

/// `self.x = self.method` becomes `self.x = weakref.WeakMethod(self.method)`, and every call
/// `self.x(...)` in the class becomes `self.x()(...)`. Offered only when every other use of the
/// name `x` in the file (read, store, definition, keyword or string naming it) is such a call
/// or another `self.x = self.other_method` (wrapped too), each on the instance in a method of
/// this class, the class and its bases are all of this file (a base elsewhere may call
/// `self.x()` itself, as `unittest` calls `setUp`), and the instance can be weakly referenced. Inside its own methods the instance
/// is alive, so the weak method always resolves there; what changes is a copy or pickle of the
/// instance, and any caller the file does not show.
fn weak_method_fix(analysis: &InMethod, store: &Store, value: Node, hold: &Hold) -> Option<Fix> {
    let classes = analysis.classes;
    let context = classes.context;
    let HoldKind::BoundMethod(method_name) = &hold.kind else {
        return None;
    };
    if hold.node.id() != value.id()
        || weak_method_store(analysis, store).is_none_or(|v| v.id() != value.id())
        || !classes.weakly_referenceable(analysis.class)
        || !classes.only_local_bases(analysis.class)
    {
        return None;
    }
    let name = context.text_of(store_attribute(store)?);
    let mut edits = Vec::new();
    let mut import = None;
    for use_ in uses_of_name(context.tree.root_node(), context.text, name) {
        match use_in_class(analysis, use_)? {
            Use::Call(callee) => edits.push(Edit {
                range: callee.end_byte()..callee.end_byte(),
                text: "()".to_string(),
            }),
            Use::Store(value) => {
                let (wrapped, needed) = wrap_in_weakref(context, value, "WeakMethod")?;
                edits.push(wrapped);
                import = import.or(needed);
            }
        }
    }
    let self_name = &analysis.method.self_name;
    Some(Fix {
        title: format!(
            "Store `weakref.WeakMethod({self_name}.{method_name})` in `{self_name}.{name}` and \
             call it as `{self_name}.{name}()(...)` (unsafe: calling it once the instance is \
             gone raises TypeError)"
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, import)?,
    })
}

/// The bound method of `self.x = self.method`: exactly one plain attribute of the instance as
/// the target, and the bound method itself as the value.
fn weak_method_store<'t>(analysis: &InMethod<'_, '_, 't>, store: &Store<'t>) -> Option<Node<'t>> {
    let statement = store.statement;
    let value = statement.child_by_field_name("right")?;
    // A statement of its own: in `self.a = self.b = value` the value is stored twice.
    let plain = statement.kind() == "assignment"
        && statement.parent()?.kind() == "expression_statement"
        && statement.child_by_field_name("type").is_none()
        && statement.child_by_field_name("left")?.id() == store.object.parent()?.id()
        && store.values.iter().any(|v| v.id() == value.id())
        && analysis.is_self(store.object);
    let hold = analysis.holds(value, Holding::Callable, DEPTH)?;
    (plain && matches!(hold.kind, HoldKind::BoundMethod(_)) && hold.node.id() == value.id())
        .then_some(value)
}

/// A use of the stored attribute's name that the weak-method fix can rewrite.
enum Use<'t> {
    /// `self.x` called: `self.x(...)`.
    Call(Node<'t>),
    /// `self.x = self.method`: the bound method stored.
    Store(Node<'t>),
}

/// What `use_`, an occurrence of the attribute's name, is: a call `self.x(...)` or a store
/// `self.x = self.method` on the instance in a method of the analysed class; `None` for
/// anything else.
fn use_in_class<'t>(analysis: &InMethod<'_, '_, 't>, use_: Node<'t>) -> Option<Use<'t>> {
    let classes = analysis.classes;
    let method = classes.classes[analysis.class]
        .methods
        .iter()
        .find(|m| m.node.byte_range().contains(&use_.start_byte()))?;
    let in_method = InMethod::new(classes, analysis.class, method);
    if let Some(store) = classes
        .stores_in(method)
        .find(|s| store_attribute(s).is_some_and(|a| a.id() == use_.id()))
    {
        return weak_method_store(&in_method, store).map(Use::Store);
    }
    let attribute = use_.parent().filter(|p| p.kind() == "attribute")?;
    let call = attribute.parent().filter(|p| p.kind() == "call")?;
    let object = attribute.child_by_field_name("object")?;
    (attribute.child_by_field_name("attribute")?.id() == use_.id()
        && call.child_by_field_name("function")?.id() == attribute.id()
        && in_method.is_self(object))
    .then_some(Use::Call(attribute))
}

/// Every identifier spelled `name` in the file, and every string literal whose whole text is
/// `name` (`getattr(obj, "name")`).
fn uses_of_name<'t>(root: Node<'t>, text: &str, name: &str) -> Vec<Node<'t>> {
    let mut uses = Vec::new();
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" if &text[node.byte_range()] == name => uses.push(node),
            "string_content" if text[node.byte_range()].trim() == name => uses.push(node),
            _ => stack.extend(node.children(&mut cursor)),
        }
    }
    uses
}

/// The parts of a stored value that may each hold the instance: the elements of a container
/// literal, the branches of a conditional, or the value itself.
fn pieces(value: Node) -> Vec<Node> {
    match value.kind() {
        "list" | "tuple" | "set" | "expression_list" | "parenthesized_expression" => {
            named_children(value).into_iter().flat_map(pieces).collect()
        }
        "dictionary" => named_children(value)
            .into_iter()
            .filter_map(|pair| pair.child_by_field_name("value"))
            .flat_map(pieces)
            .collect(),
        "conditional_expression" => {
            let children = named_children(value);
            [children.first(), children.get(2)]
                .into_iter()
                .flatten()
                .flat_map(|c| pieces(*c))
                .collect()
        }
        _ => vec![value],
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::fixes::apply_edits;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::Settings;

    /// The messages RH202 reports in `source`, with `strict` on or off.
    fn messages(source: &str, strict: bool) -> Vec<String> {
        crate::analysis::rules::findings_of(Rule::SelfReferencingBoundMethod, source, strict)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn cycles_without_evidence_are_strict_only_and_say_why() {
        let released = "class C:\n    def __init__(self):\n        self.cb = self.go\n\n    \
                        def close(self):\n        self.cb = None\n\n    def go(self):\n        \
                        pass\n";
        assert!(messages(released, false).is_empty());
        let strict = messages(released, true);
        assert_eq!(strict.len(), 1);
        assert!(
            strict[0].contains("`self.cb = None` in `close()` (line 6) lets it go"),
            "{strict:?}"
        );
        let once = format!("{}\nc = C()\n", released.replace("self.cb = None", "pass"));
        assert!(messages(&once, false).is_empty());
        assert!(messages(&once, true)[0].contains("`C` is made once, at module level (line 11)"));
        let per_call = once.replace("c = C()", "def connect():\n    return C()");
        assert!(messages(&per_call, false)[0].contains(
            "`C` is made per call in `connect()` (line 12); nothing in this file sets `self.cb` \
             back to None or deletes it"
        ));
    }

    /// The text after applying the first fix RH202 offers; `None` when it finds the cycle but
    /// offers no fix.
    fn fixed(source: &str) -> Option<String> {
        let settings = Settings {
            rules: vec![Rule::SelfReferencingBoundMethod],
            strict: true,
            ..Settings::default()
        };
        let found = check(source, &parse(source), &settings);
        assert!(!found.is_empty());
        let fix = found.iter().find_map(|f| f.fixes.first())?;
        Some(apply_edits(source, &fix.edits))
    }

    const CLASS: &str = "\
class C:
    def __init__(self):
        self.cb = self.go

    def go(self, n):
        return n

    def use(self):
        return self.cb(1)
";

    #[test]
    fn wraps_the_store_calls_through_the_weak_method_and_imports_weakref() {
        assert_eq!(
            fixed(CLASS).as_deref(),
            Some(
                "import weakref\n\
                 class C:\n    def __init__(self):\n        self.cb = weakref.WeakMethod(self.go)\n\n\
                 \x20   def go(self, n):\n        return n\n\n\
                 \x20   def use(self):\n        return self.cb()(1)\n"
            )
        );
        let aliased = format!("import weakref as wr\n{CLASS}");
        assert!(
            fixed(&aliased)
                .unwrap()
                .contains("self.cb = wr.WeakMethod(self.go)")
        );
    }

    #[test]
    fn withheld_when_a_use_of_the_name_is_not_a_call_in_the_class() {
        for extra in [
            "\n    def get(self):\n        return self.cb\n",
            "\n    def clear(self):\n        self.cb = None\n",
            "\n    def name(self):\n        return getattr(self, \"cb\")\n",
            "\n    def other(self, peer):\n        return peer.cb(2)\n",
            "\n    @staticmethod\n    def make(obj):\n        return obj.cb(3)\n",
            "\nclass D(C):\n    def use(self):\n        return self.cb(4)\n",
            "\nprint(C().cb(5))\n",
            "\ndef f(cb=None):\n    return cb\n",
        ] {
            assert_eq!(fixed(&format!("{CLASS}{extra}")), None, "{extra}");
        }
    }

    #[test]
    fn withheld_when_the_instance_cannot_be_weakly_referenced_or_has_outside_bases() {
        for header in [
            "class C(tuple):",
            "class C(threading.Thread):",
            "class C(Base):",
            "class C(namedtuple('P', 'a')):",
        ] {
            let source = CLASS.replacen("class C:", header, 1);
            assert_eq!(fixed(&source), None, "{header}");
        }
        let slotted = CLASS.replacen("class C:\n", "class C:\n    __slots__ = ()\n", 1);
        assert_eq!(fixed(&slotted), None);
        let dataclass = format!("import dataclasses\n@dataclasses.dataclass(slots=True)\n{CLASS}");
        assert_eq!(fixed(&dataclass), None);
        // A base class of the same file is seen whole.
        let local_base = format!(
            "class Base:\n    pass\n\n{}",
            CLASS.replacen("class C:", "class C(Base):", 1)
        );
        assert!(fixed(&local_base).is_some());
    }

    #[test]
    fn withheld_for_shapes_other_than_a_plain_store() {
        for store in [
            "self.cb: object = self.go",
            "self.cb = self.other = self.go",
            "self.cb = (self.go)",
        ] {
            let source = CLASS.replacen("self.cb = self.go", store, 1);
            assert_eq!(fixed(&source), None, "{store}");
        }
    }
}
