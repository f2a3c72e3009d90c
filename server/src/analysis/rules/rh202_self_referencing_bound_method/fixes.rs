//! The fix RH202 offers: `self.x = self.method` becomes `weakref.WeakMethod(self.method)` and
//! its calls `self.x()(...)` (see the rule's documentation, "Fix safety").

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Fix, Safety};
use crate::analysis::fixes::with_import;
use crate::analysis::semantic::classes::{
    DEPTH, Hold, HoldKind, Holding, InMethod, Store, store_attribute, wrap_in_weakref,
};
use crate::analysis::syntax::{Field, NodeLookups};

/// `self.x = self.method` becomes `self.x = weakref.WeakMethod(self.method)`, and every call
/// `self.x(...)` in the class becomes `self.x()(...)`. Offered only when every other use of the
/// name `x` in the file (read, store, definition, keyword or string naming it) is such a call
/// or another `self.x = self.other_method` (wrapped too), each on the instance in a method of
/// this class, the class and its bases are all of this file (a base elsewhere may call
/// `self.x()` itself, as `unittest` calls `setUp`), and the instance can be weakly referenced. Inside its own methods the instance
/// is alive, so the weak method always resolves there; what changes is a copy or pickle of the
/// instance, and any caller the file does not show.
pub(super) fn weak_method_fix<'t>(
    analysis: &InMethod<'_, '_, 't>,
    store: &Store<'t>,
    value: Node<'t>,
    hold: &Hold<'t>,
) -> Option<Fix> {
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
    for use_ in uses_of_name(context, name) {
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
    let value = statement.field(Field::Right)?;
    // A statement of its own: in `self.a = self.b = value` the value is stored twice.
    let plain = statement.kind_name() == "assignment"
        && statement.parent()?.kind_name() == "expression_statement"
        && statement.field(Field::Type).is_none()
        && statement.field(Field::Left)?.id() == store.object.parent()?.id()
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
    let attribute = use_.parent().filter(|p| p.kind_name() == "attribute")?;
    let call = attribute.parent().filter(|p| p.kind_name() == "call")?;
    let object = attribute.field(Field::Object)?;
    (attribute.field(Field::Attribute)?.id() == use_.id()
        && call.field(Field::Function)?.id() == attribute.id()
        && in_method.is_self(object))
    .then_some(Use::Call(attribute))
}

/// Every identifier spelled `name` in the file, and every string literal whose whole text is
/// `name` (`getattr(obj, "name")`). Found through the text, as [`Context::identifiers`] finds
/// names: a walk of the whole tree for each finding was 7 % of the analysis of the standard
/// library's top-level modules.
fn uses_of_name<'t>(context: &Context<'t>, name: &str) -> Vec<Node<'t>> {
    context
        .words(name)
        .filter_map(|at| {
            let node = context.descendant(at..at + name.len())?;
            match node.kind_name() {
                "identifier" if node.byte_range() == (at..at + name.len()) => Some(node),
                "string_content" if context.text_of(node).trim() == name => Some(node),
                _ => None,
            }
        })
        .collect()
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
