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
    let lazy = state.support().resolve_edits;
    let wanted = |kind: &CodeActionKind| match &params.context.only {
        None => true,
        // `source` asks for `source.fixAll.refhound` too: kinds are hierarchical.
        Some(only) => only.iter().any(|o| {
            kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str()))
        }),
    };
    // An action's edit, now or (for a client that resolves lazily) on request.
    let offer = |title: String,
                 kind: CodeActionKind,
                 diagnostic: Option<&Diagnostic>,
                 fix_all: &[TextEdit],
                 pending: PendingEdit,
                 preferred: bool|
     -> Option<CodeActionOrCommand> {
        let mut action = CodeAction {
            title,
            kind: Some(kind),
            diagnostics: diagnostic.map(|d| vec![d.clone()]),
            is_preferred: preferred.then_some(true),
            ..CodeAction::default()
        };
        let pending = Pending {
            uri: uri.clone(),
            version: snapshot.version,
            edit: pending,
        };
        if lazy {
            action.data = serde_json::to_value(pending).ok();
        } else {
            action.edit = Some(pending.edit_now(state, &snapshot.text, diagnostic, fix_all)?);
        }
        Some(CodeActionOrCommand::CodeAction(action))
    };
    let mut actions = Vec::new();
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
                actions.extend(offer(
                    fix.title,
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic),
                    &[],
                    PendingEdit::Fix(index),
                    index == 0 && fix.safe,
                ));
            }
            // Offered only where a comment can go: known before the edit is made.
            let text = text.get_or_insert_with(|| snapshot.text.to_string());
            if ignore_edit(text, &snapshot.text, diagnostic, code, state).is_some() {
                actions.extend(offer(
                    format!("Ignore {code} on this line"),
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic),
                    &[],
                    PendingEdit::Ignore(code.clone()),
                    false,
                ));
            }
        }
    }
    // Only on request: editors ask for it on save (`source.fixAll`), not on every cursor move.
    if params.context.only.is_some() && wanted(&FIX_ALL) {
        let (analysis, _) = state.analysis(&uri).await?;
        let fix_all = analysis.as_ref().map_or(&[][..], |a| &a.fix_all[..]);
        if !fix_all.is_empty() {
            actions.extend(offer(
                "Fix all safe refhound findings".to_string(),
                FIX_ALL,
                None,
                fix_all,
                PendingEdit::FixAll,
                false,
            ));
        }
    }
    Ok(Some(actions))
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
    let analysis = match pending.edit {
        PendingEdit::FixAll => state.analysis(&pending.uri).await?.0,
        _ => None,
    };
    let diagnostic = action.diagnostics.as_ref().and_then(|d| d.first());
    let fix_all = analysis.as_ref().map_or(&[][..], |a| &a.fix_all[..]);
    let edit = pending.edit_now(state, &snapshot.text, diagnostic, fix_all);
    action.edit = Some(edit.ok_or_else(|| Error::invalid_params("the action has no edit"))?);
    Ok(action)
}

impl Pending {
    /// The edit, from the diagnostic the action is for (a fix, an ignore comment) or from all
    /// edits of the document's safe fixes (fix-all), and the document's text.
    fn edit_now(
        &self,
        state: &State,
        text: &ropey::Rope,
        diagnostic: Option<&Diagnostic>,
        fix_all: &[TextEdit],
    ) -> Option<WorkspaceEdit> {
        match &self.edit {
            PendingEdit::Fix(index) => {
                let fix = DiagnosticData::of(diagnostic?)
                    .fixes
                    .into_iter()
                    .nth(*index)?;
                Some(edit(&self.uri, fix.edits))
            }
            PendingEdit::Ignore(code) => {
                let ignore = ignore_edit(&text.to_string(), text, diagnostic?, code, state)?;
                Some(edit(&self.uri, vec![ignore]))
            }
            PendingEdit::FixAll => Some(edit(&self.uri, fix_all.to_vec())),
        }
    }
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
