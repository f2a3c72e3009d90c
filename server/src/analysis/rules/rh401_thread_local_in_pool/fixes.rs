//! RH401's fix: `name = threading.local()` becomes one `contextvars.ContextVar` per attribute.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Fix, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, with_import};
use crate::analysis::scope::{Role, ScopeId};
use crate::analysis::semantic::thread_local::{THREAD_LOCALS, global_mentions};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

/// One use of the local the fix rewrites, and its new text.
struct Rewrite<'t> {
    attribute: &'t str,
    range: std::ops::Range<usize>,
    /// What goes in place of the use, around the variable's name: `(prefix, suffix)`.
    around: (String, String),
}

/// `name = threading.local()` becomes one `contextvars.ContextVar` per attribute:
/// `name.attr = value` → `name_attr.set(value)`, `name.attr` → `name_attr.get()`,
/// `getattr(name, "attr", default)` → `name_attr.get(default)`. `None` unless every use of the
/// local in the file is one of those (outside `try` blocks, whose handlers may expect an
/// `AttributeError`), and each new name is free in every scope of the file.
pub(super) fn context_var_fix(context: &Context, binding: Node, target: Node) -> Option<Fix> {
    let value = binding.field(Field::Right)?;
    let plain_local = value.kind_name() == "call"
        && value
            .field(Field::Function)
            .and_then(|f| context.qualified_name(f))
            .is_some_and(|q| THREAD_LOCALS.contains(&q.as_str()))
        && value
            .field(Field::Arguments)
            .is_some_and(|a| named_children(a).is_empty());
    let statement = binding
        .parent()
        .filter(|s| s.kind_name() == "expression_statement" && named_children(*s).len() == 1)?;
    if !plain_local || binding.field(Field::Type).is_some() {
        return None;
    }
    let mut rewrites = Vec::new();
    for node in global_mentions(context, target)? {
        rewrites.push(rewrite(context, node)?);
    }
    let name = context.text_of(target);
    let mut variables: Vec<(&str, String)> = Vec::new();
    for rewrite in &rewrites {
        if variables.iter().all(|(a, _)| *a != rewrite.attribute) {
            let variable = free_name(context, name, rewrite.attribute, &variables)?;
            variables.push((rewrite.attribute, variable));
        }
    }
    if variables.is_empty() {
        return None;
    }
    let imported = context.import(
        Needed::Member {
            module: "contextvars",
            name: "ContextVar",
        },
        statement.start_byte(),
    )?;
    let lines = StatementLines::of(context.text, statement);
    let (indent, eol) = (lines.indent, lines.newline);
    let reference = &imported.reference;
    let declarations: Vec<String> = variables
        .iter()
        .map(|(_, v)| format!("{v}: {reference} = {reference}(\"{v}\")"))
        .collect();
    let mut edits = vec![Edit {
        range: binding.byte_range(),
        text: declarations.join(&format!("{eol}{indent}")),
    }];
    for rewrite in rewrites {
        let variable = &variables.iter().find(|(a, _)| *a == rewrite.attribute)?.1;
        edits.push(Edit {
            range: rewrite.range,
            text: format!("{}{variable}{}", rewrite.around.0, rewrite.around.1),
        });
    }
    let attributes: Vec<String> = variables.iter().map(|(a, _)| format!("`{a}`")).collect();
    Some(Fix {
        title: format!(
            "Replace `{name}` with a `contextvars.ContextVar` per attribute ({}) (unsafe: a value \
             lives in the context, not the thread: a new thread, or a task run in a copied \
             context, starts without it; an unset one raises `LookupError`, not \
             `AttributeError`)",
            attributes.join(", ")
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, imported.edit)?,
    })
}

/// `local_attr`, or `local_attr_var` when that is taken: a name no scope of the file uses.
fn free_name(
    context: &Context,
    local: &str,
    attribute: &str,
    taken: &[(&str, String)],
) -> Option<String> {
    let base = format!("{local}_{attribute}");
    [base.clone(), format!("{base}_var")]
        .into_iter()
        .find(|candidate| {
            context
                .scopes
                .scopes
                .iter()
                .all(|scope| scope.symbol(candidate).is_none())
                && taken.iter().all(|(_, v)| v != candidate)
        })
}

/// How one use of the local is rewritten; `None` for any use but a plain set, read or
/// `getattr` with a literal name.
fn rewrite<'t>(context: &Context<'t>, node: Node<'t>) -> Option<Rewrite<'t>> {
    let parent = node.parent()?;
    if in_try(node) {
        return None;
    }
    if parent.kind_name() == "argument_list" {
        let call = parent.parent().filter(|c| c.kind_name() == "call")?;
        let function = call.field(Field::Function)?;
        let builtin_getattr = function.kind_name() == "identifier"
            && context.text_of(function) == "getattr"
            && context.qualified_name(function).is_none()
            && context
                .scopes
                .scope(ScopeId(0))
                .symbol("getattr")
                .is_none_or(|s| s.occurrences.iter().all(|o| o.role == Role::Use));
        let arguments = named_children(parent);
        let (object, attribute, default) = match arguments.as_slice() {
            [object, attribute] => (*object, *attribute, None),
            [object, attribute, default] => (*object, *attribute, Some(*default)),
            _ => return None,
        };
        let attribute = literal_identifier(context, attribute)?;
        let plain_default = default.is_none_or(|d| {
            !matches!(
                d.kind_name(),
                "keyword_argument" | "list_splat" | "dictionary_splat"
            )
        });
        if !builtin_getattr || object.id() != node.id() || !plain_default {
            return None;
        }
        let default = default.map_or("", |d| context.text_of(d));
        return Some(Rewrite {
            attribute,
            range: call.byte_range(),
            around: (String::new(), format!(".get({default})")),
        });
    }
    let attribute_node = parent
        .field(Field::Attribute)
        .filter(|_| parent.kind_name() == "attribute")?;
    if parent.field(Field::Object)?.id() != node.id() {
        return None;
    }
    let attribute = context.text_of(attribute_node);
    if attribute.starts_with("__") {
        return None;
    }
    let outer = parent.parent()?;
    let is_left = outer
        .field(Field::Left)
        .is_some_and(|l| l.id() == parent.id());
    if outer.kind_name() == "assignment" && is_left {
        let value = outer.field(Field::Right)?;
        let statement_alone = outer.parent().is_some_and(|s| {
            s.kind_name() == "expression_statement" && named_children(s).len() == 1
        });
        if !statement_alone
            || outer.field(Field::Type).is_some()
            || matches!(value.kind_name(), "assignment" | "yield")
        {
            return None;
        }
        let value_text = context.text_of(value);
        let argument = if value.kind_name() == "expression_list" {
            format!("({value_text})")
        } else {
            value_text.to_string()
        };
        return Some(Rewrite {
            attribute,
            range: outer.byte_range(),
            around: (String::new(), format!(".set({argument})")),
        });
    }
    if !is_load(parent) {
        return None;
    }
    Some(Rewrite {
        attribute,
        range: parent.byte_range(),
        around: (String::new(), ".get()".to_string()),
    })
}

/// Whether an expression is read, not a target: not (inside) the left side of an assignment,
/// a loop or `with ... as` target, or a `del`.
fn is_load(expression: Node) -> bool {
    let mut node = expression;
    while let Some(parent) = node.parent() {
        let is = |field: Field| parent.field(field).is_some_and(|c| c.id() == node.id());
        match parent.kind_name() {
            "parenthesized_expression"
            | "tuple"
            | "list"
            | "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "expression_list"
            | "list_splat_pattern"
            | "list_splat" => node = parent,
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                return !is(Field::Left);
            }
            "delete_statement" | "as_pattern_target" => return false,
            _ => return true,
        }
    }
    true
}

/// Whether a node is in the body of a `try` statement (in its function).
fn in_try(node: Node) -> bool {
    let mut node = node;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "try_statement" => return true,
            "function_definition" | "lambda" | "class_definition" => return false,
            _ => node = parent,
        }
    }
    false
}

/// The name in a plain string literal that spells an identifier: `"user"`.
fn literal_identifier<'t>(context: &Context<'t>, string: Node<'t>) -> Option<&'t str> {
    if string.kind_name() != "string" {
        return None;
    }
    let parts = named_children(string);
    let content = parts.iter().find(|p| p.kind_name() == "string_content")?;
    let only_content = parts.iter().all(|p| {
        matches!(
            p.kind_name(),
            "string_start" | "string_content" | "string_end"
        )
    });
    let start = parts.first().map_or("", |s| context.text_of(*s));
    let plain_prefix = !start.contains(['f', 'F', 'b', 'B']);
    let text = context.text_of(*content);
    let identifier = text
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_alphabetic())
        && text.chars().all(|c| c == '_' || c.is_alphanumeric());
    (only_content && plain_prefix && identifier && !text.starts_with("__")).then_some(text)
}
