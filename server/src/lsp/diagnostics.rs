//! Findings as LSP diagnostics: positions in the negotiated encoding, the rule's code with a link
//! to its documentation, the configured severity, related locations, and the rule's fixes as
//! ready-made edits in `data`, so a code action needs no second analysis.

use std::ops::Range as ByteRange;
use std::str::FromStr;

use ropey::Rope;
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::*;

use super::position::{Encoding, position_of};
use crate::analysis::findings::{Edit, Finding, Safety};
use crate::analysis::fixes::{Allowed, select_fixes};
use crate::analysis::rule::Severity;
use crate::analysis::settings::Settings;

/// The findings of one document version, under one settings generation.
#[derive(Clone)]
pub struct Analysis {
    pub version: i32,
    /// The document state analysed (see `document::REVISIONS`): unique within the server's life.
    pub revision: u64,
    pub generation: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// The edits of "fix all" (`source.fixAll.refhound`): the safe fixes, chosen as
    /// `refhound check --fix` chooses them in one round.
    pub fix_all: Vec<TextEdit>,
    /// The findings with a safe fix, in byte ranges of the analysed text: fix-all chooses again
    /// among them when some fix would unbind a name another module uses.
    pub fixable: Vec<Finding>,
    /// Why the document was not analysed, when it was not.
    pub skipped: Option<String>,
    /// For the workspace scan's analysis of a file on disk, the [`source_hash`] of the text it
    /// analysed: a document opened with that very text takes the analysis over.
    pub source: Option<u64>,
}

/// A hash of a file's text, to tell whether a document opened is the file the workspace scan
/// analysed (the same within one server's life; not kept anywhere).
pub fn source_hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(text)
}

impl Analysis {
    /// The findings of `text` (the document `uri`) as diagnostics.
    pub fn new(
        findings: &[Finding],
        text: &Rope,
        (version, revision): (i32, u64),
        generation: u64,
        settings: &Settings,
        encoding: Encoding,
        uri: &Uri,
    ) -> Analysis {
        let diagnostics = findings
            .iter()
            .map(|f| diagnostic(f, text, settings, encoding, uri))
            .collect();
        let (safe, _) = select_fixes(findings, Allowed::Safe);
        Analysis {
            version,
            revision,
            generation,
            diagnostics,
            fix_all: text_edits(&safe, text, encoding),
            fixable: findings
                .iter()
                .filter(|f| Allowed::Safe.fix_for(f).is_some())
                .cloned()
                .collect(),
            skipped: None,
            source: None,
        }
    }

    /// The pull-diagnostics result id: changes with the text and with the settings, and never
    /// repeats within the server's life (a document reopened at version 1 with other text gets
    /// another one).
    pub fn result_id(&self) -> String {
        format!("{}:{}", self.generation, self.revision)
    }
}

/// One fix of a diagnostic, as it travels in `Diagnostic.data`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FixData {
    pub title: String,
    pub safe: bool,
    pub edits: Vec<TextEdit>,
    /// In a notebook, the cell the edits are of (it may not be the diagnostic's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<Uri>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DiagnosticData {
    #[serde(default)]
    pub fixes: Vec<FixData>,
}

impl DiagnosticData {
    /// What a diagnostic (as the client sends it back) carries; nothing for another server's.
    pub fn of(diagnostic: &Diagnostic) -> DiagnosticData {
        diagnostic
            .data
            .clone()
            .and_then(|data| serde_json::from_value(data).ok())
            .unwrap_or_default()
    }
}

/// A byte range of `text` as an LSP range.
pub fn lsp_range(text: &Rope, range: &ByteRange<usize>, encoding: Encoding) -> Range {
    Range::new(
        position_of(text, range.start, encoding),
        position_of(text, range.end, encoding),
    )
}

/// Byte-range edits of `text` as LSP edits.
pub fn text_edits(edits: &[Edit], text: &Rope, encoding: Encoding) -> Vec<TextEdit> {
    edits
        .iter()
        .map(|edit| TextEdit {
            range: lsp_range(text, &edit.range, encoding),
            new_text: edit.text.clone(),
        })
        .collect()
}

/// A finding as an LSP diagnostic of the document `uri`.
pub fn diagnostic(
    finding: &Finding,
    text: &Rope,
    settings: &Settings,
    encoding: Encoding,
    uri: &Uri,
) -> Diagnostic {
    let severity = match settings.severity(finding.rule) {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    };
    let related = finding
        .related
        .iter()
        .map(|r| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), lsp_range(text, &r.range, encoding)),
            message: r.message.clone(),
        })
        .collect::<Vec<_>>();
    let fixes = finding
        .fixes
        .iter()
        .map(|fix| FixData {
            title: fix.title.clone(),
            safe: fix.safety == Safety::Safe,
            edits: text_edits(&fix.edits, text, encoding),
            cell: None,
        })
        .collect::<Vec<_>>();
    let info = finding.rule.info();
    Diagnostic {
        range: lsp_range(text, &finding.range, encoding),
        severity: Some(severity),
        code: Some(NumberOrString::String(info.code().to_string())),
        code_description: Uri::from_str(&info.url())
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("refhound".to_string()),
        message: finding.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        data: (!fixes.is_empty())
            .then(|| serde_json::to_value(DiagnosticData { fixes }).ok())
            .flatten(),
        ..Diagnostic::default()
    }
}
