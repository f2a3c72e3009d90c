//! `textDocument/inlayHint`: what each closure captures (see `analysis::capture_hints`), when
//! the setting `inlay-hints` (`inlayHints` in the editor) is on for the document. Each captured
//! name is a label part that links to where its cell is bound and says what that binding is.
//!
//! Computed from the document's current version on a blocking thread over a snapshot, as hovers
//! are; a document too large to analyse gets no hints (the editor asks on its own, so an error
//! would only be noise). "No hints" is an empty list, never `null`: Neovim keeps the hints it
//! shows when the answer is `null`, so hints turned off would stay on screen.

use std::sync::Arc;

use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::position::{offset_of, position_of};
use super::{MAX_ANALYSED_BYTES, State, blocking, show_problems, unknown_document};
use crate::analysis::capture_hints::capture_hints;
use crate::analysis::scope::ScopeTree;

pub async fn inlay_hints(
    client: &Client,
    state: &Arc<State>,
    params: InlayHintParams,
) -> Result<Option<Vec<InlayHint>>> {
    let uri = params.text_document.uri;
    let Some(snapshot) = state.documents.get(&uri).map(|d| d.snapshot()) else {
        return Err(unknown_document(&uri));
    };
    if snapshot.text.len_bytes() > MAX_ANALYSED_BYTES {
        return Ok(Some(Vec::new()));
    }
    let encoding = state.encoding();
    let shared = Arc::clone(state);
    let (hints, problems) = blocking(move || {
        let path = uri.to_file_path();
        let (settings, problems) = shared.settings.for_path(path.as_deref());
        if !settings.inlay_hints {
            return (Vec::new(), problems);
        }
        let tree = snapshot.tree();
        let text = snapshot.text.to_string();
        let scopes = ScopeTree::new(&text, &tree, settings.target_version);
        let within = offset_of(&snapshot.text, params.range.start, encoding)
            ..offset_of(&snapshot.text, params.range.end, encoding);
        let position = |offset| position_of(&snapshot.text, offset, encoding);
        let hints = capture_hints(&text, &tree, &scopes, within)
            .into_iter()
            .map(|hint| {
                let mut label = vec![part("captures(")];
                for (i, capture) in hint.captures.into_iter().enumerate() {
                    if i > 0 {
                        label.push(part(", "));
                    }
                    label.push(InlayHintLabelPart {
                        value: capture.name,
                        tooltip: Some(InlayHintLabelPartTooltip::String(capture.description)),
                        location: capture.binding.map(|binding| Location {
                            uri: uri.clone(),
                            range: Range::new(position(binding.start), position(binding.end)),
                        }),
                        command: None,
                    });
                }
                label.push(part(")"));
                self::hint(position(hint.offset), label, &hint.closure)
            })
            .collect();
        shared.keep_tree(&uri, &snapshot, tree);
        (hints, problems)
    })
    .await?;
    show_problems(client, problems).await;
    Ok(Some(hints))
}

/// The hint after `closure`'s parameters, its label parts naming what it captures.
pub fn hint(position: Position, label: Vec<InlayHintLabelPart>, closure: &str) -> InlayHint {
    InlayHint {
        position,
        label: InlayHintLabel::LabelParts(label),
        kind: None,
        text_edits: None,
        tooltip: Some(InlayHintTooltip::String(format!(
            "What {closure} captures (`co_freevars`): it keeps these variables alive as long as \
             it lives"
        ))),
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

pub fn part(value: &str) -> InlayHintLabelPart {
    InlayHintLabelPart {
        value: value.to_string(),
        ..InlayHintLabelPart::default()
    }
}
