//! Code actions: for each refhound diagnostic in range, the rule's fixes (carried in the
//! diagnostic's `data`, so nothing is analysed again) and "Ignore RHxxx on this line"; when the
//! request names its kind or the user asked for the actions (see [`fix_all_wanted`]),
//! `source.fixAll.refhound`, which applies every safe fix of the document at once. A fix that
//! would remove or rename a module-level name another module of the workspace uses is not
//! offered; its finding stays reported.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use super::diagnostics::{Analysis, DiagnosticData, FixData, lsp_range, text_edits};
use super::document::Snapshot;
use super::position::offset_of;
use super::{State, blocking, unknown_document, workspace};
use crate::analysis::findings::Edit;
use crate::analysis::fix_all::{Kept, select_fixes_keeping};
use crate::analysis::fixes::Allowed;

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
    let wanted = |kind: &CodeActionKind| kind_wanted(params.context.only.as_deref(), kind);
    // Refhound's diagnostics in range, each with its code and fixes.
    let ours: Vec<(&Diagnostic, &String, Vec<FixData>)> = if wanted(&CodeActionKind::QUICKFIX) {
        ours(&params.context.diagnostics)
            .map(|(d, code)| (d, code, DiagnosticData::of(d).fixes))
            .collect()
    } else {
        Vec::new()
    };
    let fix_all = if fix_all_wanted(&params.context) && wanted(&FIX_ALL) {
        let (analysis, _) = state.analysis(&uri).await?;
        analysis.filter(|a| !a.fix_all.is_empty())
    } else {
        None
    };
    let fixes: Vec<Vec<TextEdit>> = ours
        .iter()
        .flat_map(|(_, _, fixes)| fixes.iter().map(|fix| fix.edits.clone()))
        .collect();
    // A fix that would unbind a name another module uses is not offered.
    let Guarded { withheld, fix_all } = if fixes.is_empty() && fix_all.is_none() {
        Guarded::default()
    } else {
        let (state, uri, snapshot) = (Arc::clone(state), uri.clone(), snapshot.clone());
        blocking(move || guarded(&state, &uri, &snapshot, &fixes, fix_all.as_deref())).await?
    };
    let mut withheld = withheld.into_iter();
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
    // Clients ask on every cursor move: the text is copied only when there is a finding.
    let mut text = None;
    for (diagnostic, code, fixes) in ours {
        for (index, fix) in fixes.into_iter().enumerate() {
            if withheld.next().unwrap_or(false) {
                continue;
            }
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
    if let Some(edits) = fix_all {
        actions.push((
            action(
                "Fix all safe refhound findings".to_string(),
                FIX_ALL,
                None,
                edits,
            ),
            PendingEdit::FixAll,
        ));
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

/// Whether actions of `kind` answer a request for the kinds `only` (all kinds when absent).
pub fn kind_wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    match only {
        None => true,
        // `source` asks for `source.fixAll.refhound` too: kinds are hierarchical.
        Some(only) => only.iter().any(|o| {
            kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str()))
        }),
    }
}

/// Whether a code-action request is one to offer fix-all to (when the document has safe fixes):
/// - the client names its kind (`only: ["source.fixAll"]`, `["source"]`): VS Code's
///   `editor.codeActionsOnSave`, Neovim's `vim.lsp.buf.code_action({ context = { only = ... } })`;
/// - the user asked for the actions without naming a kind (`only` absent, `triggerKind`
///   `Invoked`): Helix's `space a`, Neovim's `vim.lsp.buf.code_action()`, VS Code's `Ctrl+.`
///   (which leaves source actions out of its menu itself).
///
/// Not to requests a client makes on its own as the cursor moves (`triggerKind` `Automatic`, or
/// absent, as before LSP 3.17): those feed a lightbulb, where a document-wide action would light
/// every line of a file with one safe fix (VS Code drops source actions from its lightbulb, so
/// they would only cost the work of computing fix-all on every move).
pub fn fix_all_wanted(context: &CodeActionContext) -> bool {
    context.only.is_some() || context.trigger_kind == Some(CodeActionTriggerKind::INVOKED)
}

/// What may be offered of a document's fixes: for each of `fixes` (one fix's edits each),
/// whether it is withheld, and the edits of fix-all for `analysis` (`None`: nothing to offer).
#[derive(Default)]
struct Guarded {
    withheld: Vec<bool>,
    fix_all: Option<Vec<TextEdit>>,
}

/// [`Guarded`] for the document `uri` at `snapshot`: a fix, or fix-all, that would leave a
/// module-level name unbound that another module of the workspace uses (`module.name`,
/// `from module import name`) is withheld, as `refhound check --fix` withholds it; fix-all then
/// chooses among the other safe fixes. The findings stay reported. Runs off the serving task:
/// it parses the text as each fix would leave it.
fn guarded(
    state: &State,
    uri: &Uri,
    snapshot: &Snapshot,
    fixes: &[Vec<TextEdit>],
    analysis: Option<&Analysis>,
) -> Guarded {
    let keep = workspace::used_elsewhere(state, uri);
    let offered = analysis
        .map(|a| a.fix_all.clone())
        .filter(|e| !e.is_empty());
    if keep.is_empty() {
        return Guarded {
            withheld: vec![false; fixes.len()],
            fix_all: offered,
        };
    }
    let text = snapshot.text.to_string();
    let tree = snapshot.tree();
    let kept = Kept::new(&text, &tree, &keep);
    state.keep_tree(uri, snapshot, tree);
    if kept.is_empty() {
        return Guarded {
            withheld: vec![false; fixes.len()],
            fix_all: offered,
        };
    }
    let encoding = state.encoding();
    let withheld = fixes
        .iter()
        .map(|edits| {
            let edits: Vec<Edit> = edits
                .iter()
                .map(|edit| Edit {
                    range: offset_of(&snapshot.text, edit.range.start, encoding)
                        ..offset_of(&snapshot.text, edit.range.end, encoding),
                    text: edit.new_text.clone(),
                })
                .collect();
            kept.unbound_by(&text, &edits)
        })
        .collect();
    // The fixable findings' byte ranges are those of the analysed text: a document that moved
    // on since gets no fix-all until it is analysed again.
    let fix_all = analysis
        .filter(|a| a.revision == snapshot.revision)
        .map(|a| select_fixes_keeping(&text, &a.fixable, Allowed::Safe, &kept).0)
        .filter(|edits| !edits.is_empty())
        .map(|edits| text_edits(&edits, &snapshot.text, encoding));
    Guarded { withheld, fix_all }
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
        PendingEdit::Fix(index) => {
            let fix = diagnostic.and_then(|d| DiagnosticData::of(d).fixes.into_iter().nth(*index));
            match fix {
                Some(fix) => {
                    // What other modules use may have changed since the action was offered.
                    let (worker, uri, snapshot) =
                        (Arc::clone(state), pending.uri.clone(), snapshot.clone());
                    let edits = vec![fix.edits.clone()];
                    let guarded =
                        blocking(move || guarded(&worker, &uri, &snapshot, &edits, None)).await?;
                    if guarded.withheld.first().copied().unwrap_or(false) {
                        return Err(Error::invalid_params(
                            "refhound: the fix would remove a name another module uses",
                        ));
                    }
                    Some(fix.edits)
                }
                None => None,
            }
        }
        PendingEdit::Ignore(code) => diagnostic
            .and_then(|d| ignore_edit(&snapshot.text.to_string(), &snapshot.text, d, code, state))
            .map(|ignore| vec![ignore]),
        PendingEdit::FixAll => match state.analysis(&pending.uri).await?.0 {
            Some(analysis) => {
                let (worker, uri) = (Arc::clone(state), pending.uri.clone());
                blocking(move || guarded(&worker, &uri, &snapshot, &[], Some(&analysis)))
                    .await?
                    .fix_all
            }
            None => None,
        },
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

/// The client's diagnostics that are refhound's, each with its rule code.
pub fn ours(diagnostics: &[Diagnostic]) -> impl Iterator<Item = (&Diagnostic, &String)> {
    diagnostics
        .iter()
        .filter(|d| d.source.as_deref() == Some("refhound"))
        .filter_map(|d| match &d.code {
            Some(NumberOrString::String(code)) => Some((d, code)),
            _ => None,
        })
}
