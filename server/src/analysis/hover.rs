//! What a hover shows: for a `def`, `class` or `lambda`, the variables it captures exactly as
//! CPython's `co_freevars` lists them, each with where it is bound and to what, and its cell
//! variables; for a variable, the closures that capture it. Markdown, short.

use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::escape::label;
use super::line_index::LineIndex;
use super::scope::{NameScope, Occurrence, Role, ScopeId, ScopeKind, ScopeTree};
use crate::analysis::syntax::{Field, NodeLookups};

/// A hover's text and the span it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub range: Range<usize>,
    pub markdown: String,
}

/// The hover at byte `offset`, if there is something to say there.
pub fn hover(text: &str, tree: &Tree, scopes: &ScopeTree, offset: usize) -> Option<Hover> {
    let lines = LineIndex::new(text);
    let node = tree.root_node().descendant_for_byte_range(offset, offset)?;
    let definition = match (node.kind_name(), node.parent()) {
        ("lambda", Some(parent)) if parent.kind_name() == "lambda" => Some(parent),
        ("identifier", Some(parent))
            if matches!(
                parent.kind_name(),
                "function_definition" | "class_definition"
            ) && parent
                .field(Field::Name)
                .is_some_and(|n| n.id() == node.id()) =>
        {
            Some(parent)
        }
        _ => None,
    };
    if let Some(definition) = definition {
        let scope = scopes.scope_of_node(definition.byte_range())?;
        return Some(Hover {
            range: node.byte_range(),
            markdown: describe_scope(text, &lines, scopes, scope),
        });
    }
    if node.kind_name() == "identifier" {
        let markdown = describe_variable(text, &lines, scopes, node)?;
        return Some(Hover {
            range: node.byte_range(),
            markdown,
        });
    }
    None
}

fn describe_scope(text: &str, lines: &LineIndex, scopes: &ScopeTree, id: ScopeId) -> String {
    let scope = scopes.scope(id);
    let what = match scope.kind {
        ScopeKind::Lambda => "lambda".to_string(),
        ScopeKind::Class => format!("class `{}`", scope.name),
        _ => format!("`{}`", scope.qualname),
    };
    let mut out = String::new();
    if scope.freevars.is_empty() {
        out.push_str(&format!(
            "{what} captures nothing (`co_freevars` is empty, as CPython {} stores it)",
            scopes.version
        ));
    } else {
        out.push_str(&format!(
            "{what} captures (`co_freevars`, as CPython {} stores it):\n",
            scopes.version
        ));
        for name in &scope.freevars {
            out.push_str(&format!("- `{name}`"));
            if let Some((line, excerpt)) = binding_of(text, lines, scopes, id, name) {
                out.push_str(&format!(", bound line {line}: `{excerpt}`"));
            }
            out.push('\n');
        }
    }
    if !scope.cellvars.is_empty() {
        let cells: Vec<String> = scope.cellvars.iter().map(|c| format!("`{c}`")).collect();
        out.push_str(&format!(
            "\n\nShared with inner functions (`co_cellvars`): {}",
            cells.join(", ")
        ));
    }
    out.trim_end().to_string()
}

/// Where CPython binds the cell of `name`, a variable `scope` captures: the function holding the
/// cell, and the first binding of the name there (parameter, assignment, import, `def`, ...).
/// `None` for the implicit `__class__` cell of a class body, which no code binds. Hovers and
/// inlay hints both point there.
pub fn captured_binding<'s>(
    scopes: &'s ScopeTree,
    scope: ScopeId,
    name: &str,
) -> Option<(ScopeId, &'s Occurrence)> {
    let owner = scopes.cell_owner(scopes.scope(scope).parent?, name)?;
    let occurrence = scopes
        .scope(owner)
        .symbol(name)?
        .occurrences
        .iter()
        .find(|o| matches!(o.role, Role::Bind | Role::Param | Role::Import))?;
    Some((owner, occurrence))
}

/// Where a variable captured by `scope` is first bound, as (line, one-line excerpt).
fn binding_of(
    text: &str,
    lines: &LineIndex,
    scopes: &ScopeTree,
    scope: ScopeId,
    name: &str,
) -> Option<(usize, String)> {
    let (_, occurrence) = captured_binding(scopes, scope, name)?;
    let line = lines.line_of(occurrence.range.start);
    let start = lines.line_start(line);
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    let mut excerpt = text[start..end].trim().to_string();
    if excerpt.chars().count() > 80 {
        excerpt = excerpt.chars().take(77).collect::<String>() + "...";
    }
    Some((line, excerpt.replace('`', "'")))
}

/// "`rows` is captured by `count` (line 12), the lambda (line 14)" for a variable that closures
/// capture; `None` for the others.
fn describe_variable(
    text: &str,
    lines: &LineIndex,
    scopes: &ScopeTree,
    node: Node,
) -> Option<String> {
    let name = &text[node.byte_range()];
    let range = node.byte_range();
    // The scope whose symbol table holds this very occurrence.
    let owner = (0..scopes.scopes.len()).map(ScopeId).find(|&id| {
        scopes
            .scope(id)
            .symbol(name)
            .is_some_and(|s| s.occurrences.iter().any(|o| o.range == range))
    })?;
    let symbol = scopes.scope(owner).symbol(name)?;
    let home = match symbol.scope {
        NameScope::Cell => owner,
        NameScope::Free => scopes.cell_owner(scopes.scope(owner).parent?, name)?,
        _ => return None,
    };
    let mut captors = Vec::new();
    let mut pending: Vec<ScopeId> = scopes.scope(home).children.clone();
    while let Some(id) = pending.pop() {
        let scope = scopes.scope(id);
        if scope.freevars.iter().any(|f| f == name) {
            // Direct users, not the scopes it only passes through.
            let uses = scope
                .symbol(name)
                .is_some_and(|s| s.occurrences.iter().any(|o| o.role == Role::Use));
            if uses {
                captors.push((scope.range.start, label(scope, lines)));
            }
            pending.extend(scope.children.iter().copied());
        }
    }
    captors.sort();
    let captors: Vec<String> = captors.into_iter().map(|(_, c)| c).collect();
    let keeps = if captors.len() == 1 {
        "it keeps it alive as long as it lives"
    } else {
        "they keep it alive as long as they live"
    };
    Some(format!(
        "`{name}` is captured by {}: {keeps}",
        captors.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    fn hover_at(text: &str, needle: &str) -> String {
        let tree = parse(text);
        let scopes = ScopeTree::new(text, &tree, crate::analysis::scope::NEWEST_MODELLED);
        let offset = text.find(needle).expect("needle in text");
        hover(text, &tree, &scopes, offset)
            .map(|h| h.markdown)
            .unwrap_or_default()
    }

    const TEXT: &str = "def make(path):\n    rows = [l for l in open(path)]\n    total = 0\n    def count():\n        return len(rows) + total\n    return count, lambda: path\n";

    #[test]
    fn a_def_lists_its_freevars_in_cpython_order_with_bindings() {
        let markdown = hover_at(TEXT, "count():");
        assert!(
            markdown.starts_with("`make.<locals>.count` captures"),
            "{markdown}"
        );
        let rows = markdown.find("`rows`, bound line 2: `rows = [l for l in open(path)]`");
        let total = markdown.find("`total`, bound line 3");
        assert!(
            rows.is_some() && total.is_some() && rows < total,
            "{markdown}"
        );
    }

    #[test]
    fn the_outer_function_lists_its_cells() {
        let markdown = hover_at(TEXT, "make");
        assert!(markdown.contains("captures nothing"), "{markdown}");
        assert!(
            markdown.contains("(`co_cellvars`): `path`, `rows`, `total`"),
            "{markdown}"
        );
    }

    #[test]
    fn a_lambda_and_a_captured_variable() {
        let markdown = hover_at(TEXT, "lambda");
        assert!(
            markdown.contains("- `path`, bound line 1: `def make(path):`"),
            "{markdown}"
        );
        let markdown = hover_at(TEXT, "rows =");
        assert_eq!(
            markdown,
            "`rows` is captured by `count` (line 4): it keeps it alive as long as it lives"
        );
        assert_eq!(hover_at(TEXT, "l for"), "");
    }
}
