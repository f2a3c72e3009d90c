//! Code actions: for each refhound diagnostic in range, the rule's fixes (carried in the
//! diagnostic's `data`, so nothing is analysed again) and "Ignore RHxxx on this line"; on request,
//! `source.fixAll.refhound`, which applies every safe fix of the document at once.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use super::diagnostics::{DiagnosticData, lsp_range};
use super::position::offset_of;
use super::{State, unknown_document};

/// The kind of the action that applies every safe fix.
pub const FIX_ALL: CodeActionKind = CodeActionKind::new("source.fixAll.refhound");

/// What a code action sent without its edit (to a client that resolves edits lazily) needs to
/// compute it in `codeAction/resolve`. The client sends it back with the action, together with
/// the action's diagnostic, whose `data` holds the rule's fixes.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    uri: Uri,
    /// The document version the action was offered for: a resolve for another is refused.
    version: i32,
    edit: PendingEdit,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum PendingEdit {
    /// The diagnostic's fix at this index.
    Fix(usize),
    /// The suppression comment for this code on the diagnostic's line.
    Ignore(String),
    /// Every safe fix of the document.
    FixAll,
}

pub async fn code_actions(
    state: &Arc<State>,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri;
    let Some(snapshot) = state.documents.get(&uri).map(|d| d.snapshot()) else {
        return Err(unknown_document(&uri));
    };
    let wanted = |kind: &CodeActionKind| match &params.context.only {
        None => true,
        // `source` asks for `source.fixAll.refhound` too: kinds are hierarchical.
        Some(only) => only.iter().any(|o| {
            kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str()))
        }),
    };
    // Each action with its edit, and what recomputes the edit on `codeAction/resolve`.
    let mut actions: Vec<(CodeAction, PendingEdit)> = Vec::new();
    let action =
        |title: String, kind: CodeActionKind, diagnostic: Option<&Diagnostic>, edits| CodeAction {
            title,
            kind: Some(kind),
            diagnostics: diagnostic.map(|d| vec![d.clone()]),
            edit: Some(edit(&uri, edits)),
            ..CodeAction::default()
        };
    if wanted(&CodeActionKind::QUICKFIX) {
        let ours = params
            .context
            .diagnostics
            .iter()
            .filter(|d| d.source.as_deref() == Some("refhound"));
        // Clients ask on every cursor move: the text is copied only when there is a finding.
        let mut text = None;
        for diagnostic in ours {
            let Some(NumberOrString::String(code)) = &diagnostic.code else {
                continue;
            };
            for (index, fix) in DiagnosticData::of(diagnostic).fixes.into_iter().enumerate() {
                let mut quick_fix = action(
                    fix.title,
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic),
                    fix.edits,
                );
                quick_fix.is_preferred = (index == 0 && fix.safe).then_some(true);
                actions.push((quick_fix, PendingEdit::Fix(index)));
            }
            let text = text.get_or_insert_with(|| snapshot.text.to_string());
            // Offered only where a comment can go.
            if let Some(ignore) = ignore_edit(text, &snapshot.text, diagnostic, code, state) {
                actions.push((
                    action(
                        format!("Ignore {code} on this line"),
                        CodeActionKind::QUICKFIX,
                        Some(diagnostic),
                        vec![ignore],
                    ),
                    PendingEdit::Ignore(code.clone()),
                ));
            }
        }
    }
    // Only on request: editors ask for it on save (`source.fixAll`), not on every cursor move.
    if params.context.only.is_some() && wanted(&FIX_ALL) {
        let (analysis, _) = state.analysis(&uri).await?;
        if let Some(analysis) = analysis.filter(|a| !a.fix_all.is_empty()) {
            actions.push((
                action(
                    "Fix all safe refhound findings".to_string(),
                    FIX_ALL,
                    None,
                    analysis.fix_all.clone(),
                ),
                PendingEdit::FixAll,
            ));
        }
    }
    // A client that resolves lazily gets the actions without their edits.
    let lazy = state.support().resolve_edits;
    let actions = actions.into_iter().map(|(mut action, pending)| {
        if lazy {
            action.edit = None;
            action.data = serde_json::to_value(Pending {
                uri: uri.clone(),
                version: snapshot.version,
                edit: pending,
            })
            .ok();
        }
        CodeActionOrCommand::CodeAction(action)
    });
    Ok(Some(actions.collect()))
}

/// `codeAction/resolve`: the edit of an action sent without one.
pub async fn resolve(state: &Arc<State>, mut action: CodeAction) -> Result<CodeAction> {
    if action.edit.is_some() {
        return Ok(action);
    }
    let pending: Pending = action
        .data
        .clone()
        .and_then(|data| serde_json::from_value(data).ok())
        .ok_or_else(|| Error::invalid_params("not a code action refhound offered"))?;
    let Some(snapshot) = state.documents.get(&pending.uri).map(|d| d.snapshot()) else {
        return Err(unknown_document(&pending.uri));
    };
    if snapshot.version != pending.version {
        return Err(Error {
            code: ErrorCode::ContentModified,
            message: "refhound: the document changed since the action was offered".into(),
            data: None,
        });
    }
    let diagnostic = action.diagnostics.as_ref().and_then(|d| d.first());
    let edits = match &pending.edit {
        PendingEdit::Fix(index) => diagnostic
            .and_then(|d| DiagnosticData::of(d).fixes.into_iter().nth(*index))
            .map(|fix| fix.edits),
        PendingEdit::Ignore(code) => diagnostic
            .and_then(|d| ignore_edit(&snapshot.text.to_string(), &snapshot.text, d, code, state))
            .map(|ignore| vec![ignore]),
        PendingEdit::FixAll => (state.analysis(&pending.uri).await?.0).map(|a| a.fix_all.clone()),
    };
    let edit = edits.map(|edits| edit(&pending.uri, edits));
    action.edit = Some(edit.ok_or_else(|| Error::invalid_params("the action has no edit"))?);
    Ok(action)
}

/// The suppression comment's edit for `code` on the diagnostic's first line, if one can go
/// there without changing the code.
fn ignore_edit(
    text: &str,
    rope: &ropey::Rope,
    diagnostic: &Diagnostic,
    code: &str,
    state: &State,
) -> Option<TextEdit> {
    let offset = offset_of(rope, diagnostic.range.start, state.encoding());
    let (range, new_text) = crate::analysis::suppression::ignore_edit(text, offset, code)?;
    Some(TextEdit {
        range: lsp_range(rope, &range, state.encoding()),
        new_text,
    })
}

fn edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}
