//! Code actions: for each refhound diagnostic in range, the rule's fixes (carried in the
//! diagnostic's `data`, so nothing is analysed again) and "Ignore RHxxx on this line"; on request,
//! `source.fixAll.refhound`, which applies every safe fix of the document at once.

use std::collections::HashMap;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::diagnostics::{DiagnosticData, lsp_range};
use super::position::offset_of;
use super::{State, unknown_document};

/// The kind of the action that applies every safe fix.
pub const FIX_ALL: CodeActionKind = CodeActionKind::new("source.fixAll.refhound");

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
                actions.push(action(
                    fix.title,
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic.clone()),
                    edit(&uri, fix.edits),
                    index == 0 && fix.safe,
                ));
            }
            let text = text.get_or_insert_with(|| snapshot.text.to_string());
            let offset = offset_of(&snapshot.text, diagnostic.range.start, state.encoding());
            if let Some((range, new_text)) =
                crate::analysis::suppression::ignore_edit(text, offset, code)
            {
                let ignore = TextEdit {
                    range: lsp_range(&snapshot.text, &range, state.encoding()),
                    new_text,
                };
                actions.push(action(
                    format!("Ignore {code} on this line"),
                    CodeActionKind::QUICKFIX,
                    Some(diagnostic.clone()),
                    edit(&uri, vec![ignore]),
                    false,
                ));
            }
        }
    }
    // Only on request: editors ask for it on save (`source.fixAll`), not on every cursor move.
    if params.context.only.is_some() && wanted(&FIX_ALL) {
        let (analysis, _) = state.analysis(&uri).await?;
        if let Some(analysis) = analysis {
            let edits = safe_edits(&analysis.diagnostics);
            if !edits.is_empty() {
                actions.push(action(
                    "Fix all safe refhound findings".to_string(),
                    FIX_ALL,
                    None,
                    edit(&uri, edits),
                    false,
                ));
            }
        }
    }
    Ok(Some(actions))
}

/// The edits of every safe fix, skipping a fix that overlaps one taken before.
fn safe_edits(diagnostics: &[Diagnostic]) -> Vec<TextEdit> {
    let key = |p: Position| (p.line, p.character);
    let mut taken: Vec<TextEdit> = Vec::new();
    for diagnostic in diagnostics {
        let Some(fix) = DiagnosticData::of(diagnostic)
            .fixes
            .into_iter()
            .find(|fix| fix.safe)
        else {
            continue;
        };
        let overlaps = fix.edits.iter().any(|new| {
            taken.iter().any(|old| {
                key(new.range.start) < key(old.range.end)
                    && key(old.range.start) < key(new.range.end)
            })
        });
        if !overlaps {
            taken.extend(fix.edits);
        }
    }
    taken.sort_by_key(|edit| key(edit.range.start));
    taken
}

fn edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

fn action(
    title: String,
    kind: CodeActionKind,
    diagnostic: Option<Diagnostic>,
    edit: WorkspaceEdit,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(kind),
        diagnostics: diagnostic.map(|d| vec![d]),
        edit: Some(edit),
        is_preferred: preferred.then_some(true),
        ..CodeAction::default()
    })
}
