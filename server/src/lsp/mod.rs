//! The language server (`refhound server`): tower-lsp glue over the analysis. Only this module
//! knows LSP types; it converts positions at its edge (`position`) and keeps the open documents
//! (`document`).
//!
//! Ordering: tower-lsp may run several handlers at once, notifications included. So every
//! notification changes the document store before its first `.await`, no `DashMap` guard lives
//! across an `.await`, and analysis runs on `spawn_blocking` over a snapshot whose version
//! travels with the results: diagnostics for a version the document has left are dropped.

mod document;
mod position;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dashmap::DashMap;
use ropey::Rope;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, ClientSocket, LanguageServer, LspService, Server};

use crate::analysis::findings::Finding;
use crate::analysis::scope::ScopeTree;
use crate::analysis::settings::{Settings, Severity};
use document::{Change, Document};
use position::{Encoding, offset_of, position_of};

/// The server's state: the client handle, the open documents and the negotiated settings.
pub struct Backend {
    client: Client,
    documents: DashMap<Uri, Document>,
    /// Negotiated at `initialize`; UTF-16 until then.
    utf8: AtomicBool,
    settings: Arc<Settings>,
}

impl Backend {
    fn encoding(&self) -> Encoding {
        if self.utf8.load(Ordering::Relaxed) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    /// Analyses the document's current version off the serving task and publishes its findings,
    /// unless the document moved on meanwhile.
    async fn publish(&self, uri: Uri) {
        let Some(snapshot) = self.documents.get(&uri).map(|d| d.clone()) else {
            return;
        };
        let settings = Arc::clone(&self.settings);
        let encoding = self.encoding();
        let version = snapshot.version;
        let target = uri.clone();
        let computed = tokio::task::spawn_blocking(move || {
            let text = snapshot.text.to_string();
            crate::analysis::check(&text, &snapshot.tree, &settings)
                .iter()
                .map(|f| diagnostic(f, &snapshot.text, &settings, encoding, &target))
                .collect::<Vec<_>>()
        })
        .await;
        let diagnostics = match computed {
            Ok(diagnostics) => diagnostics,
            Err(error) => {
                self.client
                    .log_message(MessageType::ERROR, format!("analysis failed: {error}"))
                    .await;
                return;
            }
        };
        let current = self.documents.get(&uri).map(|d| d.version);
        if current == Some(version) {
            self.client
                .publish_diagnostics(uri, diagnostics, Some(version))
                .await;
        }
    }
}

/// `refhound/syntaxTree`: a document as the server holds it, for debugging and for tests that
/// check the server's incremental state against a fresh parse.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyntaxTreeParams {
    pub text_document: TextDocumentIdentifier,
}

#[derive(Debug, serde::Serialize)]
pub struct SyntaxTree {
    pub version: i32,
    pub text: String,
    /// [`crate::analysis::parse::outline`] of the document's tree.
    pub tree: String,
}

impl Backend {
    async fn syntax_tree(&self, params: SyntaxTreeParams) -> Result<SyntaxTree> {
        let uri = params.text_document.uri;
        let Some(snapshot) = self.documents.get(&uri).map(|d| d.clone()) else {
            return Err(unknown_document(&uri));
        };
        Ok(SyntaxTree {
            version: snapshot.version,
            text: snapshot.text.to_string(),
            tree: crate::analysis::parse::outline(&snapshot.tree),
        })
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref());
        let encoding = Encoding::negotiate(offered);
        self.utf8
            .store(encoding == Encoding::Utf8, Ordering::Relaxed);
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "refhound".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        self.documents.insert(
            document.uri.clone(),
            Document::new(&document.text, document.version),
        );
        self.publish(document.uri).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let changes = params
            .content_changes
            .into_iter()
            .map(|c| Change {
                range: c.range,
                text: c.text,
            })
            .collect();
        // The guard is dropped before the first `.await`.
        match self.documents.get_mut(&uri) {
            Some(mut document) => {
                document.apply_changes(changes, params.text_document.version, self.encoding())
            }
            None => {
                drop(changes);
                self.client
                    .log_message(
                        MessageType::WARNING,
                        format!(
                            "didChange for a document that is not open: {}",
                            uri.as_str()
                        ),
                    )
                    .await;
                return;
            }
        }
        self.publish(uri).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let Some(snapshot) = self
            .documents
            .get(&position.text_document.uri)
            .map(|d| d.clone())
        else {
            return Err(unknown_document(&position.text_document.uri));
        };
        let encoding = self.encoding();
        let found = tokio::task::spawn_blocking(move || {
            let offset = offset_of(&snapshot.text, position.position, encoding);
            let text = snapshot.text.to_string();
            let scopes = ScopeTree::new(&text, &snapshot.tree);
            crate::analysis::hover::hover(&text, &snapshot.tree, &scopes, offset).map(|hover| {
                Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: hover.markdown,
                    }),
                    range: Some(Range::new(
                        position_of(&snapshot.text, hover.range.start, encoding),
                        position_of(&snapshot.text, hover.range.end, encoding),
                    )),
                }
            })
        })
        .await;
        found.map_err(|error| tower_lsp_server::jsonrpc::Error {
            message: format!("hover failed: {error}").into(),
            ..tower_lsp_server::jsonrpc::Error::internal_error()
        })
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let Some(snapshot) = self.documents.get(&uri).map(|d| d.clone()) else {
            return Err(unknown_document(&uri));
        };
        let encoding = self.encoding();
        // Clients ask on every cursor move: copy the text only when there is a finding to act on.
        let ours: Vec<(Diagnostic, String)> = params
            .context
            .diagnostics
            .into_iter()
            .filter(|d| d.source.as_deref() == Some("refhound"))
            .filter_map(|d| match d.code.clone() {
                Some(NumberOrString::String(code)) => Some((d, code)),
                _ => None,
            })
            .collect();
        if ours.is_empty() {
            return Ok(None);
        }
        let text = snapshot.text.to_string();
        let mut actions = Vec::new();
        for (diagnostic, code) in ours {
            let offset = offset_of(&snapshot.text, diagnostic.range.start, encoding);
            let Some((range, new_text)) =
                crate::analysis::suppression::ignore_edit(&text, offset, &code)
            else {
                continue;
            };
            let edit = TextEdit {
                range: Range::new(
                    position_of(&snapshot.text, range.start, encoding),
                    position_of(&snapshot.text, range.end, encoding),
                ),
                new_text,
            };
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Ignore {code} on this line"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic]),
                edit: Some(WorkspaceEdit {
                    changes: Some([(uri.clone(), vec![edit])].into_iter().collect()),
                    ..WorkspaceEdit::default()
                }),
                ..CodeAction::default()
            }));
        }
        Ok(Some(actions))
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.documents.remove(&uri);
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}

fn unknown_document(uri: &Uri) -> tower_lsp_server::jsonrpc::Error {
    tower_lsp_server::jsonrpc::Error::invalid_params(format!("{} is not open", uri.as_str()))
}

/// A finding as an LSP diagnostic of the document `uri`.
fn diagnostic(
    finding: &Finding,
    text: &Rope,
    settings: &Settings,
    encoding: Encoding,
    uri: &Uri,
) -> Diagnostic {
    let range = |r: &std::ops::Range<usize>| {
        Range::new(
            position_of(text, r.start, encoding),
            position_of(text, r.end, encoding),
        )
    };
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
            location: Location::new(uri.clone(), range(&r.range)),
            message: r.message.clone(),
        })
        .collect::<Vec<_>>();
    Diagnostic {
        range: range(&finding.range),
        severity: Some(severity),
        code: Some(NumberOrString::String(finding.rule.code().to_string())),
        source: Some("refhound".to_string()),
        message: finding.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

/// A fresh server and the socket its client side talks through; `serve_stdio` runs it over
/// standard streams, tests over an in-memory duplex.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::build(|client| Backend {
        client,
        documents: DashMap::new(),
        utf8: AtomicBool::new(false),
        settings: Arc::new(Settings::default()),
    })
    .custom_method("refhound/syntaxTree", Backend::syntax_tree)
    .finish()
}

/// Serves LSP on standard input and output until the client exits.
pub fn serve_stdio() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::analysis::scope::STACK_SIZE)
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(async {
        let (service, socket) = service();
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
}
