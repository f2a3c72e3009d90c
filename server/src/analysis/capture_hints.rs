//! What the editor's inlay hints show of closures: after a nested `def`'s parameter list, or a
//! `lambda`'s parameters, `captures(rows, label)`: the variables the function captures, in the
//! order of CPython's `co_freevars` (the scope model's, as the hover lists them), each with the
//! place where the enclosing function binds its cell and what that binding is.
//!
//! Only functions and lambdas that capture something get a hint. The implicit `__class__` cell
//! that `super()` (or a `__class__` reference) gives a method is left out: it holds the class,
//! which lives as long as the class does anyway, and no code the user wrote binds it, so a hint
//! on every method calling `super()` would say nothing about what keeps memory alive. Class
//! bodies and comprehensions get no hint: they have no parameter list to put one after.
//!
//! Pure data, byte offsets; `lsp::inlay_hints` turns it into LSP inlay hints.

use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::escape::label;
use super::hover::captured_binding;
use super::line_index::LineIndex;
use super::scope::{Occurrence, Role, ScopeId, ScopeKind, ScopeTree};
use crate::analysis::syntax::{Field, NodeLookups};

/// One hint: where it goes and what it lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureHint {
    /// Byte offset of the hint: right after the parameter list's `)`, after a lambda's last
    /// parameter, or after the `lambda` keyword of a lambda without parameters.
    pub offset: usize,
    /// How messages name the closure: "`formatter` (line 31)", "the lambda (line 22)".
    pub closure: String,
    /// In `co_freevars` order.
    pub captures: Vec<Capture>,
}

/// One captured variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// As `co_freevars` spells it (mangled inside a class: `_C__x`).
    pub name: String,
    /// Byte range of the name where the enclosing function binds it (the parameter, the
    /// assignment's target, the `def` name, ...); `None` when the model finds none.
    pub binding: Option<Range<usize>>,
    /// What that binding is: "parameter of `load`", "assigned in `load` line 12".
    pub description: String,
}

/// The hints of the functions and lambdas whose hint offset lies in `within` (bytes, both ends
/// included), in source order.
pub fn capture_hints(
    text: &str,
    tree: &Tree,
    scopes: &ScopeTree,
    within: Range<usize>,
) -> Vec<CaptureHint> {
    let lines = LineIndex::new(text);
    let mut hints = Vec::new();
    for id in scopes.preorder() {
        let scope = scopes.scope(id);
        if !matches!(scope.kind, ScopeKind::Function | ScopeKind::Lambda)
            || !scope.has_code_object
            || scope.freevars.is_empty()
        {
            continue;
        }
        let Some(offset) = definition(tree, scope.range.clone()).and_then(hint_offset) else {
            continue;
        };
        if offset < within.start || offset > within.end {
            continue;
        }
        let captures: Vec<Capture> = scope
            .freevars
            .iter()
            .filter_map(|name| capture(tree, &lines, scopes, id, name))
            .collect();
        if captures.is_empty() {
            continue;
        }
        hints.push(CaptureHint {
            offset,
            closure: label(scope, &lines),
            captures,
        });
    }
    hints.sort_by_key(|hint| hint.offset);
    hints
}

fn capture(
    tree: &Tree,
    lines: &LineIndex,
    scopes: &ScopeTree,
    scope: ScopeId,
    name: &str,
) -> Option<Capture> {
    let Some((owner, occurrence)) = captured_binding(scopes, scope, name) else {
        // The class body's implicit cell (see the module's documentation).
        if name == "__class__" {
            return None;
        }
        return Some(Capture {
            name: name.to_string(),
            binding: None,
            description: "bound in an enclosing function".to_string(),
        });
    };
    Some(Capture {
        name: name.to_string(),
        binding: Some(occurrence.range.clone()),
        description: describe(tree, lines, scopes, owner, occurrence),
    })
}

/// "parameter of `load`", "assigned in `load` line 12", "loop variable in the comprehension
/// line 4".
fn describe(
    tree: &Tree,
    lines: &LineIndex,
    scopes: &ScopeTree,
    owner: ScopeId,
    occurrence: &Occurrence,
) -> String {
    let scope = scopes.scope(owner);
    let place = match scope.kind {
        ScopeKind::Lambda => "the lambda".to_string(),
        ScopeKind::Comprehension(_) => "the comprehension".to_string(),
        _ => format!("`{}`", scope.name),
    };
    let line = lines.line_of(occurrence.range.start);
    match occurrence.role {
        Role::Param if matches!(scope.kind, ScopeKind::Function) => format!("parameter of {place}"),
        Role::Param => format!("parameter of {place} line {line}"),
        Role::Import => format!("imported in {place} line {line}"),
        _ => format!(
            "{} in {place} line {line}",
            binding_kind(tree, occurrence.range.clone())
        ),
    }
}

/// What kind of statement or clause binds the name at `range`.
fn binding_kind(tree: &Tree, range: Range<usize>) -> &'static str {
    let Some(name) = tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end)
    else {
        return "bound";
    };
    let mut node = name;
    while let Some(parent) = node.parent() {
        let is_name_of = |parent: Node| {
            parent
                .field(Field::Name)
                .is_some_and(|n| n.id() == node.id())
        };
        match parent.kind_name() {
            "named_expression" => return "assigned with `:=`",
            "assignment" | "augmented_assignment" => return "assigned",
            "for_statement" | "for_in_clause" => return "loop variable",
            "with_item" | "with_statement" => return "bound by `with`",
            "except_clause" | "except_group_clause" => return "bound by `except`",
            "case_clause" | "case_pattern" => return "bound by `case`",
            "function_definition" if is_name_of(parent) => return "function defined",
            "class_definition" if is_name_of(parent) => return "class defined",
            "block" | "module" | "function_definition" | "class_definition" | "lambda" => break,
            _ => node = parent,
        }
    }
    "bound"
}

/// The `def` or `lambda` node spanning exactly `range`.
fn definition(tree: &Tree, range: Range<usize>) -> Option<Node<'_>> {
    let mut node = tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end)?;
    loop {
        if node.byte_range() == range
            && matches!(node.kind_name(), "function_definition" | "lambda")
        {
            return Some(node);
        }
        if node.start_byte() < range.start || node.end_byte() > range.end {
            return None;
        }
        node = node.parent()?;
    }
}

/// Where the hint of a `def` or `lambda` goes (see [`CaptureHint::offset`]).
fn hint_offset(node: Node) -> Option<usize> {
    if let Some(parameters) = node.field(Field::Parameters) {
        return Some(parameters.end_byte());
    }
    // `lambda: ...`: after the keyword.
    let keyword = node.child(0)?;
    (node.kind_name() == "lambda" && keyword.kind_name() == "lambda").then(|| keyword.end_byte())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    fn hints(text: &str) -> Vec<CaptureHint> {
        let tree = parse(text);
        let scopes = ScopeTree::new(text, &tree, crate::analysis::scope::NEWEST_MODELLED);
        capture_hints(text, &tree, &scopes, 0..text.len())
    }

    /// Each hint as the text with `captures(...)` written in, and each capture's description
    /// with the text its binding points at.
    fn shown(text: &str) -> (String, Vec<String>) {
        let mut out = text.to_string();
        let mut described = Vec::new();
        for hint in hints(text).iter().rev() {
            let names: Vec<&str> = hint.captures.iter().map(|c| c.name.as_str()).collect();
            out.insert_str(hint.offset, &format!(" captures({})", names.join(", ")));
        }
        for hint in hints(text) {
            for capture in hint.captures {
                let at = capture.binding.map_or("-", |r| &text[r]);
                described.push(format!("{}: {} [{at}]", capture.name, capture.description));
            }
        }
        (out, described)
    }

    #[test]
    fn defs_and_lambdas_that_capture_get_a_hint_after_their_parameters() {
        let text = "\
def load(path, *, label='x'):
    rows = [l for l in open(path)]
    def count(limit=3) -> int:
        return len(rows) + limit
    by_label = lambda key, /: (label, key)
    return count, by_label, lambda: path, lambda: 1
";
        let (out, described) = shown(text);
        assert_eq!(
            out,
            "\
def load(path, *, label='x'):
    rows = [l for l in open(path)]
    def count(limit=3) captures(rows) -> int:
        return len(rows) + limit
    by_label = lambda key, / captures(label): (label, key)
    return count, by_label, lambda captures(path): path, lambda: 1
"
        );
        assert_eq!(
            described,
            [
                "rows: assigned in `load` line 2 [rows]",
                "label: parameter of `load` [label]",
                "path: parameter of `load` [path]",
            ]
        );
    }

    #[test]
    fn names_in_co_freevars_order_each_with_its_binding() {
        let text = "\
import os
def outer(flag):
    import json
    zeta = 1
    for item in range(3):
        pass
    with open(os.devnull) as handle:
        pass
    try:
        pass
    except OSError as error:
        pass
    def helper():
        pass
    class Box:
        pass
    if (found := flag):
        pass
    def inner():
        return zeta, json, item, handle, error, helper, Box, found, flag
    return inner
";
        let (out, described) = shown(text);
        assert!(
            out.contains(
                "def inner() captures(Box, error, flag, found, handle, helper, item, json, zeta):"
            ),
            "{out}"
        );
        assert_eq!(
            described,
            [
                "Box: class defined in `outer` line 15 [Box]",
                "error: bound by `except` in `outer` line 11 [error]",
                "flag: parameter of `outer` [flag]",
                "found: assigned with `:=` in `outer` line 17 [found]",
                "handle: bound by `with` in `outer` line 7 [handle]",
                "helper: function defined in `outer` line 13 [helper]",
                "item: loop variable in `outer` line 5 [item]",
                "json: imported in `outer` line 3 [json]",
                "zeta: assigned in `outer` line 4 [zeta]",
            ]
        );
    }

    #[test]
    fn pass_through_variables_point_at_the_function_that_binds_them() {
        let text = "\
def a():
    x = 1
    def b():
        def c():
            return x
        return c
    return b
";
        let (out, described) = shown(text);
        assert!(out.contains("def b() captures(x):"), "{out}");
        assert!(out.contains("def c() captures(x):"), "{out}");
        assert_eq!(
            described,
            [
                "x: assigned in `a` line 2 [x]",
                "x: assigned in `a` line 2 [x]"
            ]
        );
    }

    #[test]
    fn super_alone_gives_no_hint_and_nothing_else_does_either() {
        let text = "\
class Base:
    def __init__(self):
        super().__init__()

def make(size):
    class Sized(Base):
        def __init__(self):
            super().__init__()
            self.size = size
    return Sized

def plain(x):
    return [x for _ in range(3)], (lambda y: y)
";
        let (out, described) = shown(text);
        assert_eq!(
            out.matches("captures(").count(),
            1,
            "only the method using `size`: {out}"
        );
        assert!(out.contains("def __init__(self) captures(size):"), "{out}");
        assert_eq!(described, ["size: parameter of `make` [size]"]);
    }

    #[test]
    fn a_comprehension_and_a_lambda_can_own_the_cell() {
        let text = "\
def f(items):
    return [lambda: i for i in items], (lambda n: lambda: n)
";
        let (out, described) = shown(text);
        assert!(
            out.contains("[lambda captures(i): i for i in items]"),
            "{out}"
        );
        assert!(out.contains("(lambda n: lambda captures(n): n)"), "{out}");
        assert_eq!(
            described,
            [
                "i: loop variable in the comprehension line 2 [i]",
                "n: parameter of the lambda line 2 [n]",
            ]
        );
    }

    #[test]
    fn only_hints_inside_the_range() {
        let text = "def f(a, b):\n    g = lambda: a\n    h = lambda: b\n    return g, h\n";
        let tree = parse(text);
        let scopes = ScopeTree::new(text, &tree, crate::analysis::scope::NEWEST_MODELLED);
        let second = text.find("h =").unwrap();
        let hints = capture_hints(text, &tree, &scopes, second..text.len());
        assert_eq!(hints.len(), 1);
        assert_eq!(hints[0].captures[0].name, "b");
        assert_eq!(hints[0].closure, "the lambda (line 3)");
    }
}
