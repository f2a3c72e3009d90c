//! # RH701 notebook-output-history
//!
//! ## What it does
//! In a Jupyter notebook, flags a code cell whose last statement is an expression that is
//! evidently large (the same notion as RH101: a comprehension over a file, `[...] * n`, a
//! `pandas`/`numpy` reader or constructor, `json.load`, a whole stream read, a configured
//! `large-constructors` name), or a variable last bound to one.
//!
//! Stays silent on a small summary of a large value (`df.head()`, `len(rows)`, `df.shape`,
//! `df.describe()`), on a cell whose last statement is not an expression or ends with `;`, and
//! in `.py` files.
//!
//! ## Why is this bad?
//! IPython displays a cell's last expression and keeps its value in the output history:
//! `Out[n]`, `_`, `__` and `___`. Deleting or rebinding the variable (`del df`, running the
//! cell again) then frees nothing: the history still holds every value it displayed, for as
//! long as the kernel lives, which in a notebook is hours.
//!
//! ## Example
//! ```python
//! df = pd.read_csv("events.csv")
//! df                                  # Out[3] keeps this DataFrame after `del df`
//! ```
//!
//! ## Use instead
//! ```python
//! df = pd.read_csv("events.csv")
//! df.head()                           # a small summary is what is kept
//! ```
//! or end the line with `;`, which displays nothing and keeps nothing.
//!
//! ## Fix safety
//! Offered (unsafe: the value is no longer displayed): end the expression with `;`.
//!
//! ## Options
//! `large-constructors`, as for RH101.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::escape::large::large_value;
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::{Field, NodeLookups};

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    // A module that is no notebook has no cells.
    if context.cells.is_empty() {
        return Vec::new();
    }
    let statements: Vec<Node> = context.module.statements().collect();
    let mut findings = Vec::new();
    for cell in context.cells {
        // The cell's last statement: the last one that starts in it.
        let Some(last) = statements
            .iter()
            .rev()
            .find(|s| cell.contains(&s.start_byte()))
        else {
            continue;
        };
        let Some(expression) = displayed(context, *last, cell.end) else {
            continue;
        };
        let Some((what, made)) = large_displayed(context, expression, &statements) else {
            continue;
        };
        let shown = context.text_of(expression);
        findings.push(Finding {
            rule: Rule::NotebookOutputHistory,
            range: expression.byte_range(),
            message: format!(
                "`{shown}` is the cell's last expression and is {what}: IPython keeps it in its \
                 output history (`Out[n]`, `_`) for the life of the kernel, even after the \
                 variable is deleted or rebound"
            ),
            related: made
                .map(|value| Related {
                    range: value.byte_range(),
                    message: format!("{what}, made here"),
                })
                .into_iter()
                .collect(),
            fixes: vec![Fix {
                title: "End the line with `;` (the value is no longer displayed)".to_string(),
                safety: Safety::Unsafe,
                edits: vec![Edit {
                    range: expression.end_byte()..expression.end_byte(),
                    text: ";".to_string(),
                }],
            }],
            level: Level::Default,
            release_elsewhere: None,
        });
    }
    findings
}

/// The expression IPython displays when `statement` is a cell's last: an expression statement
/// not followed by `;` before the cell's end.
fn displayed<'t>(context: &Context<'t>, statement: Node<'t>, cell_end: usize) -> Option<Node<'t>> {
    if statement.kind_name() != "expression_statement" || statement.named_child_count() != 1 {
        return None;
    }
    let after = &context.text[statement.end_byte()..cell_end];
    if after.trim_start_matches([' ', '\t']).starts_with(';') {
        return None;
    }
    statement.named_child(0)
}

/// What makes a displayed expression large, and the value a displayed variable was last bound
/// to at module level.
fn large_displayed<'t>(
    context: &Context<'t>,
    expression: Node<'t>,
    statements: &[Node<'t>],
) -> Option<(String, Option<Node<'t>>)> {
    if expression.kind_name() != "identifier" {
        return Some((large_value(context, expression)?, None));
    }
    let name = context.text_of(expression);
    let value = statements
        .iter()
        .take_while(|s| s.end_byte() <= expression.start_byte())
        .filter_map(|s| last_module_binding(context, *s, name))
        .last()?;
    Some((large_value(context, value)?, Some(value)))
}

/// The value of the last plain assignment `name = value` in `statement`, looking into the blocks
/// of `if`, `for`, `while`, `with` and `try` (they run at module level), not into functions or
/// classes.
fn last_module_binding<'t>(
    context: &Context<'t>,
    statement: Node<'t>,
    name: &str,
) -> Option<Node<'t>> {
    match statement.kind_name() {
        "expression_statement" => {
            let assignment = statement.named_child(0)?;
            let target = assignment.field(Field::Left)?;
            (assignment.kind_name() == "assignment"
                && target.kind_name() == "identifier"
                && context.text_of(target) == name)
                .then(|| assignment.field(Field::Right))
                .flatten()
        }
        "function_definition" | "class_definition" | "decorated_definition" => None,
        _ => {
            let mut found = None;
            for child in statement.named_children(&mut statement.walk()) {
                let binding = match child.kind_name() {
                    "block" => child
                        .named_children(&mut child.walk())
                        .filter_map(|s| last_module_binding(context, s, name))
                        .last(),
                    "else_clause" | "elif_clause" | "except_clause" | "finally_clause" => {
                        last_module_binding(context, child, name)
                    }
                    _ => None,
                };
                found = binding.or(found);
            }
            found
        }
    }
}
