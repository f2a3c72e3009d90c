//! The fixes RH201 offers: the back reference becomes `weakref.proxy(self)`, or `__del__`
//! becomes `weakref.finalize` (see the rule's documentation, "Fix safety").

use tree_sitter::Node;

use super::Closing;
use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Fix, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, remove_statement, with_import};
use crate::analysis::semantic::classes::{Classes, snippet, wrap_in_weakref};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

/// Every back reference of the finding (`child.parent = self`) becomes
/// `child.parent = weakref.proxy(self)`. Offered when the finding has at least one, and the
/// instance can be weakly referenced.
pub(super) fn proxy_fix(classes: &Classes, class: usize, closing: &[Closing]) -> Option<Fix> {
    let context = classes.context;
    let back_references: Vec<&Closing> = closing.iter().filter(|c| c.back_reference).collect();
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
pub(super) fn finalize_fix(
    classes: &Classes,
    class: usize,
    del_class: usize,
    del: Node,
) -> Option<Fix> {
    let context = classes.context;
    if del_class != class
        || del.kind_name() != "function_definition"
        || del.parent()?.kind_name() != "block"
        || context
            .identifiers("__del__")
            .iter()
            .any(|n| n.parent().and_then(|p| p.field(Field::Name)) != Some(*n))
        || !classes.weakly_referenceable(class)
    {
        return None;
    }
    let del_self = only_parameter(context, del)?;
    let release = single_statement(del)?;
    // `self.file.close()`: a call without arguments of a method of one attribute.
    let call = (release.kind_name() == "expression_statement" && release.named_child_count() == 1)
        .then(|| release.named_child(0))
        .flatten()
        .filter(|c| c.kind_name() == "call")?;
    if call.field(Field::Arguments)?.named_child_count() != 0 {
        return None;
    }
    let method = call.field(Field::Function)?;
    let held = method
        .field(Field::Object)
        .filter(|h| method.kind_name() == "attribute" && h.kind_name() == "attribute")?;
    let owner = held.field(Field::Object)?;
    if owner.kind_name() != "identifier" || context.text_of(owner) != del_self {
        return None;
    }
    let attribute = context.text_of(held.field(Field::Attribute)?);
    let method_name = context.text_of(method.field(Field::Attribute)?);
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
    if init_class != class || init.kind_name() != "function_definition" {
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
    let sets_attribute = set.kind_name() == "identifier"
        && assignment.kind_name() == "assignment"
        && assignment.field(Field::Type).is_none()
        && assignment
            .field(Field::Left)
            .is_some_and(|left| left.kind_name() == "attribute" && left.id() == target.id())
        && assignment
            .field(Field::Right)
            .is_some_and(|right| right.kind_name() != "assignment")
        && statement.kind_name() == "expression_statement"
        && statement.parent().map(|b| b.id()) == init.field(Field::Body).map(|b| b.id());
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
    let first = def.field(Field::Parameters)?.named_child(0)?;
    (first.kind_name() == "identifier").then(|| context.text_of(first))
}

/// The name of a `def`'s only parameter, when it has exactly one, plain.
fn only_parameter<'t>(context: &Context<'t>, def: Node) -> Option<&'t str> {
    let parameters = def.field(Field::Parameters)?;
    let all = named_children(parameters);
    (all.len() == 1)
        .then(|| first_parameter(context, def))
        .flatten()
}

/// A `def`'s one statement, a docstring before it aside.
fn single_statement(def: Node) -> Option<Node> {
    let mut statements = named_children(def.field(Field::Body)?);
    let is_docstring = |n: &Node| {
        n.kind_name() == "expression_statement"
            && n.named_child(0)
                .is_some_and(|s| s.kind_name() == "string" && n.named_child_count() == 1)
    };
    if statements.len() == 2 && is_docstring(&statements[0]) {
        statements.remove(0);
    }
    (statements.len() == 1).then(|| statements[0])
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
