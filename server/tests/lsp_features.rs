//! The language server's features beyond one document's push diagnostics, in process (see
//! `support`): pull diagnostics, the workspace scan with progress (pushed and pulled), settings
//! from every source (initializationOptions, workspace/configuration, watched configuration
//! files, bad values shown), the rules' fixes and fix-all (the result compiles with CPython),
//! fixes withheld where they would remove a name another module of the workspace uses, and bad
//! input (syntax errors, a 20 MB document, 5,000 nested brackets, malformed params).

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{Client, run, text};
use tower_lsp_server::jsonrpc::ErrorCode;
use tower_lsp_server::ls_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument,
    DidOpenTextDocument, DidSaveTextDocument, Progress, PublishDiagnostics,
};
use tower_lsp_server::ls_types::request::{
    CodeActionRequest, CodeActionResolveRequest, DocumentDiagnosticRequest, HoverRequest,
    WorkspaceDiagnosticRequest,
};
use tower_lsp_server::ls_types::*;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/demo/leaky_service");

fn demo(name: &str) -> String {
    std::fs::read_to_string(format!("{DEMO}/{name}")).unwrap()
}

/// A fresh directory under `target/tmp` holding a copy of the demo package.
fn workspace(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-features-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("leaky_service")).unwrap();
    for entry in std::fs::read_dir(DEMO).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.join("leaky_service").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

fn file_uri(path: &Path) -> Uri {
    Uri::from_file_path(path).unwrap()
}

fn open(client: &Client, uri: &Uri, text: &str, version: i32) {
    client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
        text_document: TextDocumentItem::new(uri.clone(), "python".into(), version, text.into()),
    });
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| match &d.code {
            Some(NumberOrString::String(code)) => code.clone(),
            other => panic!("a string code, not {other:?}"),
        })
        .collect()
}

fn pull_capabilities() -> ClientCapabilities {
    ClientCapabilities {
        text_document: Some(TextDocumentClientCapabilities {
            diagnostic: Some(DiagnosticClientCapabilities::default()),
            ..TextDocumentClientCapabilities::default()
        }),
        workspace: Some(WorkspaceClientCapabilities {
            diagnostics: Some(DiagnosticWorkspaceClientCapabilities {
                refresh_support: Some(true),
            }),
            ..WorkspaceClientCapabilities::default()
        }),
        ..ClientCapabilities::default()
    }
}

fn with_workspace(capabilities: ClientCapabilities, root: &Path) -> InitializeParams {
    InitializeParams {
        capabilities,
        workspace_folders: Some(vec![WorkspaceFolder {
            uri: file_uri(root),
            name: "test".into(),
        }]),
        ..InitializeParams::default()
    }
}

async fn pull(client: &Client, uri: &Uri, previous: Option<String>) -> DocumentDiagnosticReport {
    let result = client
        .request::<DocumentDiagnosticRequest>(DocumentDiagnosticParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
            identifier: None,
            previous_result_id: previous,
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        })
        .await
        .expect("a diagnostic report");
    match result {
        DocumentDiagnosticReportResult::Report(report) => report,
        other => panic!("a whole report, not {other:?}"),
    }
}

fn full(report: DocumentDiagnosticReport) -> FullDocumentDiagnosticReport {
    match report {
        DocumentDiagnosticReport::Full(full) => full.full_document_diagnostic_report,
        other => panic!("a full report, not {other:?}"),
    }
}

#[test]
fn clients_that_pull_get_reports_with_result_ids_and_nothing_pushed() {
    run(async {
        let mut client = Client::start();
        let result = client.initialize(pull_capabilities(), None).await;
        let Some(DiagnosticServerCapabilities::Options(options)) =
            result.capabilities.diagnostic_provider
        else {
            panic!("pull diagnostics are announced to a client that pulls");
        };
        assert!(options.workspace_diagnostics);
        assert!(!options.inter_file_dependencies);

        let uri = support::uri("pull/events.py");
        let source = demo("events.py");
        open(&client, &uri, &source, 1);
        let first = full(pull(&client, &uri, None).await);
        assert_eq!(codes(&first.items), ["RH301", "RH501", "RH101"]);
        let id = first.result_id.clone().expect("a result id");

        // Nothing changed: the client keeps what it has.
        match pull(&client, &uri, Some(id.clone())).await {
            DocumentDiagnosticReport::Unchanged(unchanged) => {
                assert_eq!(unchanged.unchanged_document_diagnostic_report.result_id, id)
            }
            other => panic!("an unchanged report, not {other:?}"),
        }

        // The listener line goes: a new report without RH501.
        let line = source
            .lines()
            .position(|l| l.trim_start().starts_with("add_listener("))
            .unwrap() as u32;
        client.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier::new(uri.clone(), 2),
            content_changes: vec![TextDocumentContentChangeEvent {
                range: Some(Range::new(
                    Position::new(line, 0),
                    Position::new(line + 1, 0),
                )),
                range_length: None,
                text: String::new(),
            }],
        });
        let second = full(pull(&client, &uri, Some(id.clone())).await);
        assert_ne!(second.result_id, Some(id));
        assert!(!codes(&second.items).contains(&"RH501".to_string()));

        assert!(
            client
                .published_so_far()
                .iter()
                .all(|p| p.uri != uri || p.diagnostics.is_empty()),
            "a client that pulls gets nothing pushed"
        );
    });
}

/// Waits for the end of the workspace scan's progress and returns every progress value seen.
async fn scan_progress(client: &mut Client) -> Vec<Value> {
    let mut values = Vec::new();
    loop {
        let progress = client.notification::<Progress>(|_| true).await;
        let value = serde_json::to_value(&progress.value).unwrap();
        let end = value["kind"] == "end";
        values.push(value);
        if end {
            return values;
        }
    }
}

#[test]
fn the_workspace_scan_pushes_closed_files_with_progress_and_open_documents_win() {
    run(async {
        let root = workspace("scan-push");
        std::fs::write(root.join(".gitignore"), "ignored.py\n").unwrap();
        std::fs::write(
            root.join("ignored.py"),
            "import gc\ngc.set_debug(gc.DEBUG_SAVEALL)\n",
        )
        .unwrap();
        let mut client = Client::start();
        let capabilities = ClientCapabilities {
            window: Some(WindowClientCapabilities {
                work_done_progress: Some(true),
                ..WindowClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        client
            .initialize_with(with_workspace(capabilities, &root))
            .await;
        // Opened before the scan reaches it, without its leak: the editor's text wins.
        let events = file_uri(&root.join("leaky_service/events.py"));
        open(&client, &events, "x = 1\n", 7);
        assert!(client.diagnostics(&events, 7).await.is_empty());

        let progress = scan_progress(&mut client).await;
        assert_eq!(progress[0]["kind"], "begin");
        assert_eq!(progress[0]["title"], "refhound");
        let end = progress.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        // The six demo modules; `ignored.py` is in `.gitignore`.
        assert!(end.contains("6 files"), "{end}");
        let created = client
            .server_request("window/workDoneProgress/create")
            .await;
        assert_eq!(created.params["token"], "refhound/scan/1");

        let published = client.published_so_far();
        let closed: Vec<(String, Vec<String>)> = published
            .iter()
            .filter(|p| p.version.is_none() && !p.diagnostics.is_empty())
            .map(|p| {
                let path = p.uri.to_file_path().unwrap();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, codes(&p.diagnostics))
            })
            .collect();
        let mut names: Vec<&str> = closed.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            ["debug.py", "reports.py", "tree.py", "workers.py"],
            "closed files with findings; not the open one, not the ignored one"
        );
        assert!(
            published
                .iter()
                .filter(|p| p.uri == events)
                .all(|p| p.version == Some(7)),
            "the open document's diagnostics come from its text only"
        );
    });
}

/// A document opened with the text the workspace scan analysed takes the scan's findings over
/// (the same as its own analysis would find); one opened with other text gets its own; either,
/// once edited, is analysed afresh.
#[test]
fn a_file_opened_as_scanned_takes_the_scans_findings_and_other_text_its_own() {
    run(async {
        let root = workspace("scan-then-open");
        let mut client = scanned_workspace(&root).await;
        let scanned = |client: &mut Client, name: &str| -> Vec<String> {
            let uri = file_uri(&root.join("leaky_service").join(name));
            let published = client.published_so_far();
            let on_disk = published
                .iter()
                .rfind(|p| p.uri == uri && p.version.is_none())
                .unwrap_or_else(|| panic!("the scan pushed {name}"));
            codes(&on_disk.diagnostics)
        };
        let debug_on_disk = scanned(&mut client, "debug.py");
        let tree_on_disk = scanned(&mut client, "tree.py");
        assert!(!debug_on_disk.is_empty() && !tree_on_disk.is_empty());

        // As on disk: the scan's findings, with the document's version.
        let debug = file_uri(&root.join("leaky_service/debug.py"));
        open(&client, &debug, &demo("debug.py"), 3);
        assert_eq!(codes(&client.diagnostics(&debug, 3).await), debug_on_disk);
        // Other text: its own findings (none), not the file's on disk.
        let tree = file_uri(&root.join("leaky_service/tree.py"));
        let edited = demo("tree.py").replace("__del__", "close");
        open(&client, &tree, &edited, 5);
        let own = codes(&client.diagnostics(&tree, 5).await);
        assert!(
            !own.contains(&"RH201".to_string()),
            "{own:?} for text without __del__"
        );
        assert!(
            tree_on_disk.contains(&"RH201".to_string()),
            "{tree_on_disk:?}"
        );

        // Edited after it took the scan's findings over: analysed afresh.
        let line = demo("debug.py")
            .lines()
            .position(|l| l.contains("set_debug("))
            .expect("debug.py calls gc.set_debug") as u32;
        client.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier::new(debug.clone(), 4),
            content_changes: vec![TextDocumentContentChangeEvent {
                range: Some(Range::new(
                    Position::new(line, 0),
                    Position::new(line + 1, 0),
                )),
                range_length: None,
                text: "    pass\n".into(),
            }],
        });
        let after = codes(&client.diagnostics(&debug, 4).await);
        assert!(!after.contains(&"RH601".to_string()), "{after:?}");
        assert!(
            debug_on_disk.contains(&"RH601".to_string()),
            "{debug_on_disk:?}"
        );
    });
}

/// The whole `workspace/diagnostic` report.
async fn workspace_report(client: &Client) -> WorkspaceDiagnosticReport {
    let result = client
        .request::<WorkspaceDiagnosticRequest>(WorkspaceDiagnosticParams {
            identifier: None,
            previous_result_ids: Vec::new(),
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        })
        .await
        .unwrap();
    let WorkspaceDiagnosticReportResult::Report(report) = result else {
        panic!("a whole report");
    };
    report
}

#[test]
fn clients_that_pull_get_the_workspace_after_a_refresh() {
    run(async {
        let root = workspace("scan-pull");
        let mut client = Client::start();
        client
            .initialize_with(with_workspace(pull_capabilities(), &root))
            .await;
        client.server_request("workspace/diagnostic/refresh").await;
        let report = workspace_report(&client).await;
        let mut found: Vec<String> = report
            .items
            .iter()
            .flat_map(|item| match item {
                WorkspaceDocumentDiagnosticReport::Full(full) => {
                    codes(&full.full_document_diagnostic_report.items)
                }
                other => panic!("full reports, not {other:?}"),
            })
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "RH101", "RH102", "RH201", "RH202", "RH301", "RH302", "RH401", "RH501", "RH601"
            ]
        );
    });
}

/// A file opened before the scan reaches it is analysed on disk once the document's own first
/// analysis is done: closed again, its findings are in the workspace's report.
#[test]
fn a_file_open_during_the_scan_is_in_the_workspace_report_once_closed() {
    run(async {
        let root = workspace("scan-open");
        let mut client = Client::start();
        client
            .initialize_with(with_workspace(pull_capabilities(), &root))
            .await;
        let path = root.join("leaky_service/events.py");
        let events = file_uri(&path);
        open(&client, &events, &demo("events.py"), 1);
        let open_codes = codes(&full(pull(&client, &events, None).await).items);
        assert!(!open_codes.is_empty());
        client.server_request("workspace/diagnostic/refresh").await;
        client.notify::<DidCloseTextDocument>(DidCloseTextDocumentParams {
            text_document: TextDocumentIdentifier::new(events.clone()),
        });
        let report = workspace_report(&client).await;
        let on_disk: Vec<Vec<String>> = report
            .items
            .iter()
            .filter_map(|item| match item {
                WorkspaceDocumentDiagnosticReport::Full(full) if full.uri == events => {
                    Some(codes(&full.full_document_diagnostic_report.items))
                }
                _ => None,
            })
            .collect();
        assert_eq!(on_disk, [open_codes]);
    });
}

#[test]
fn settings_come_from_options_then_configuration_and_bad_ones_are_shown() {
    run(async {
        let mut client = Client::start();
        let capabilities = ClientCapabilities {
            workspace: Some(WorkspaceClientCapabilities {
                configuration: Some(true),
                ..WorkspaceClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        client
            .initialize(
                capabilities,
                Some(json!({"ignore": ["RH601"], "severty": {"RH101": "error"}})),
            )
            .await;
        let uri = support::uri("settings/debug.py");
        let source = demo("debug.py");
        open(&client, &uri, &source, 1);
        assert!(
            client.diagnostics(&uri, 1).await.is_empty(),
            "RH601 ignored"
        );
        let asked = client.server_request("workspace/configuration").await;
        assert_eq!(asked.params["items"][0]["section"], "refhound");
        let shown = client.shown_messages();
        assert!(
            shown
                .iter()
                .any(|m| m.message.contains("unknown key \"severty\"")
                    && m.typ == MessageType::WARNING),
            "{shown:?}"
        );

        // The editor's settings change: pulled again, and the document is analysed again.
        client.set_configuration(json!({"severity": {"RH601": "error"}, "targetVersion": "3.8"}));
        client.notify::<DidChangeConfiguration>(DidChangeConfigurationParams {
            settings: Value::Null,
        });
        let diagnostics = client
            .notification::<PublishDiagnostics>(|p| p.uri == uri && !p.diagnostics.is_empty())
            .await
            .diagnostics;
        assert_eq!(codes(&diagnostics), ["RH601"]);
        assert_eq!(diagnostics[0].severity, Some(DiagnosticSeverity::ERROR));

        client.set_configuration(json!({"select": "RH601"}));
        client.notify::<DidChangeConfiguration>(DidChangeConfigurationParams {
            settings: Value::Null,
        });
        let deadline = tokio::time::Instant::now() + support::TIMEOUT;
        while !client
            .shown_messages()
            .iter()
            .any(|m| m.message.contains("select"))
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bad select is shown"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
}

#[test]
fn a_changed_configuration_file_is_read_again() {
    run(async {
        let root = workspace("watched");
        std::fs::write(root.join("refhound.toml"), "ignore = []\n").unwrap();
        let mut client = Client::start();
        let capabilities = ClientCapabilities {
            workspace: Some(WorkspaceClientCapabilities {
                did_change_watched_files: Some(DidChangeWatchedFilesClientCapabilities {
                    dynamic_registration: Some(true),
                    relative_pattern_support: None,
                }),
                ..WorkspaceClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        client
            .initialize_with(with_workspace(capabilities, &root))
            .await;
        let registered = client.server_request("client/registerCapability").await;
        let globs =
            registered.params["registrations"][0]["registerOptions"]["watchers"].to_string();
        assert!(globs.contains("**/pyproject.toml") && globs.contains("**/refhound.toml"));

        let path = root.join("leaky_service/debug.py");
        let uri = file_uri(&path);
        open(&client, &uri, &std::fs::read_to_string(&path).unwrap(), 1);
        assert_eq!(codes(&client.diagnostics(&uri, 1).await), ["RH601"]);

        std::fs::write(root.join("refhound.toml"), "ignore = [\"RH601\"]\n").unwrap();
        client.notify::<DidChangeWatchedFiles>(DidChangeWatchedFilesParams {
            changes: vec![FileEvent::new(
                file_uri(&root.join("refhound.toml")),
                FileChangeType::CHANGED,
            )],
        });
        client
            .notification::<PublishDiagnostics>(|p| {
                p.uri == uri && p.version == Some(1) && p.diagnostics.is_empty()
            })
            .await;
    });
}

/// Whether CPython compiles `source` (the guarantee every edit must keep).
fn compiles(source: &str) -> bool {
    let mut python = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; compile(sys.stdin.read(), 'fixed.py', 'exec')",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    python.wait().unwrap().success()
}

fn edits_of(action: &CodeActionOrCommand, uri: &Uri) -> (CodeAction, Vec<TextEdit>) {
    let CodeActionOrCommand::CodeAction(action) = action else {
        panic!("a code action, not a command");
    };
    let edits = action.edit.as_ref().unwrap().changes.as_ref().unwrap()[uri].clone();
    (action.clone(), edits)
}

/// The code actions for `diagnostics` (or, with `only`, the source actions) of the document.
async fn code_actions(
    client: &Client,
    uri: &Uri,
    diagnostics: &[Diagnostic],
    only: Option<Vec<CodeActionKind>>,
) -> Vec<CodeActionOrCommand> {
    client
        .request::<CodeActionRequest>(CodeActionParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
            range: diagnostics.first().map_or(Range::default(), |d| d.range),
            context: CodeActionContext {
                diagnostics: diagnostics.to_vec(),
                only,
                trigger_kind: None,
            },
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        })
        .await
        .unwrap()
        .unwrap()
}

/// A file with two RH601 findings, both with a safe fix.
fn two_debug_calls() -> String {
    format!(
        "{}\n\ndef twice():\n    gc.set_debug(gc.DEBUG_LEAK)  # again\n    return 2\n",
        demo("debug.py")
    )
}

#[test]
fn fixes_travel_in_the_diagnostic_and_fix_all_applies_the_safe_ones() {
    run(async {
        let mut client = Client::start();
        client.initialize(support::utf8_capabilities(), None).await;
        let uri = support::uri("fixes/debug.py");
        let source = two_debug_calls();
        open(&client, &uri, &source, 1);
        let diagnostics = client.diagnostics(&uri, 1).await;
        assert_eq!(codes(&diagnostics), ["RH601", "RH601"]);

        // The quick fix comes from the diagnostic's data, preferred, beside the ignore action.
        let actions = code_actions(&client, &uri, &diagnostics[..1], None).await;
        let titles: Vec<String> = actions.iter().map(|a| edits_of(a, &uri).0.title).collect();
        assert_eq!(
            titles,
            [
                "Remove the `gc.set_debug(...)` call",
                "Ignore RH601 on this line"
            ]
        );
        let (fix, edits) = edits_of(&actions[0], &uri);
        assert_eq!(fix.is_preferred, Some(true));
        let fixed = text::apply_edits(&source, &edits, client.encoding);
        assert!(!fixed.contains("DEBUG_SAVEALL") && fixed.contains("DEBUG_LEAK"));
        assert!(compiles(&fixed), "{fixed}");

        // Fix-all, asked for as editors do on save: both calls go, and the file compiles.
        let actions = code_actions(
            &client,
            &uri,
            &[],
            Some(vec![CodeActionKind::SOURCE_FIX_ALL]),
        )
        .await;
        assert_eq!(actions.len(), 1);
        let (fix_all, edits) = edits_of(&actions[0], &uri);
        assert_eq!(
            fix_all.kind,
            Some(CodeActionKind::new("source.fixAll.refhound"))
        );
        let fixed = text::apply_edits(&source, &edits, client.encoding);
        assert!(!fixed.contains("set_debug(gc.DEBUG_SAVEALL)"), "{fixed}");
        assert!(!fixed.contains("DEBUG_LEAK"), "{fixed}");
        assert!(fixed.contains("return 2"));
        assert!(compiles(&fixed), "{fixed}");
    });
}

#[test]
fn clients_that_resolve_get_each_edit_when_they_pick_the_action() {
    run(async {
        let mut client = Client::start();
        let mut capabilities = support::utf8_capabilities();
        capabilities
            .text_document
            .get_or_insert_default()
            .code_action = Some(CodeActionClientCapabilities {
            resolve_support: Some(CodeActionCapabilityResolveSupport {
                properties: vec!["edit".to_string()],
            }),
            ..CodeActionClientCapabilities::default()
        });
        let result = client.initialize(capabilities, None).await;
        let Some(CodeActionProviderCapability::Options(options)) =
            result.capabilities.code_action_provider
        else {
            panic!("code action options are advertised");
        };
        assert_eq!(options.resolve_provider, Some(true));
        let uri = support::uri("fixes/resolve.py");
        let source = two_debug_calls();
        open(&client, &uri, &source, 1);
        let diagnostics = client.diagnostics(&uri, 1).await;

        // The actions come without edits; resolving each gives the edit the title promises.
        let mut actions = code_actions(&client, &uri, &diagnostics[..1], None).await;
        actions.extend(
            code_actions(
                &client,
                &uri,
                &[],
                Some(vec![CodeActionKind::SOURCE_FIX_ALL]),
            )
            .await,
        );
        let mut resolved = Vec::new();
        for action in &actions {
            let CodeActionOrCommand::CodeAction(action) = action else {
                panic!("a code action, not a command");
            };
            assert!(action.edit.is_none() && action.data.is_some(), "{action:?}");
            let action = client
                .request::<CodeActionResolveRequest>(action.clone())
                .await
                .expect("the action resolves");
            let edits = action.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri].clone();
            resolved.push((
                action.title,
                text::apply_edits(&source, &edits, client.encoding),
            ));
        }
        let titles: Vec<&str> = resolved.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Remove the `gc.set_debug(...)` call",
                "Ignore RH601 on this line",
                "Fix all safe refhound findings"
            ]
        );
        let (fix, ignore, fix_all) = (&resolved[0].1, &resolved[1].1, &resolved[2].1);
        assert!(
            !fix.contains("DEBUG_SAVEALL") && fix.contains("DEBUG_LEAK"),
            "{fix}"
        );
        assert!(
            ignore.contains("DEBUG_SAVEALL)  # refhound: ignore[RH601]"),
            "{ignore}"
        );
        assert!(!fix_all.contains("DEBUG_SAVEALL") && !fix_all.contains("DEBUG_LEAK"));
        for fixed in [fix, ignore, fix_all] {
            assert!(compiles(fixed), "{fixed}");
        }

        // An action offered for an older version is not resolved against the new text.
        let CodeActionOrCommand::CodeAction(stale) = actions[0].clone() else {
            unreachable!()
        };
        client.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier::new(uri.clone(), 2),
            content_changes: vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: format!("x = 1\n{source}"),
            }],
        });
        client.diagnostics(&uri, 2).await;
        let error = client
            .request::<CodeActionResolveRequest>(stale)
            .await
            .expect_err("a stale action is refused");
        assert_eq!(error.code, ErrorCode::ContentModified);
    });
}

/// A module cache that RH301's (unsafe) memo rewrite deletes: `_translations` goes, the
/// memoized `translation` stays (Django's `trans_real.py` in small).
const MEMO_MODULE: &str = "import json\n\n_translations = {}\n\n\ndef translation(language):\n    \
                           if language not in _translations:\n        \
                           _translations[language] = json.loads(language)\n    \
                           return _translations[language]\n";

/// Two RH601 findings with a safe fix each; removing the first call unbinds `flags`.
const DEBUG_MODULE: &str = "import gc\n\ngc.set_debug(flags := gc.DEBUG_SAVEALL)\n\n\n\
                            def leak():\n    gc.set_debug(gc.DEBUG_LEAK)\n";

/// A fresh workspace under `target/tmp`: package `pkg` with `trans.py`, `dbg.py` and a
/// `reloader.py` holding `user`, and a `refhound.toml` with `strict = true` (a memo keyed by a
/// parameter with no sign of per-request keys is a strict-level finding).
fn package(name: &str, user: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-features-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("refhound.toml"), "strict = true\n").unwrap();
    for (file, text) in [
        ("__init__.py", ""),
        ("trans.py", MEMO_MODULE),
        ("dbg.py", DEBUG_MODULE),
        ("reloader.py", user),
    ] {
        std::fs::write(dir.join("pkg").join(file), text).unwrap();
    }
    dir
}

/// A server (UTF-8 positions, work-done progress) on the workspace `root`, once its scan has
/// finished.
async fn scanned_workspace(root: &Path) -> Client {
    let mut client = Client::start();
    let capabilities = ClientCapabilities {
        window: Some(WindowClientCapabilities {
            work_done_progress: Some(true),
            ..WindowClientCapabilities::default()
        }),
        ..support::utf8_capabilities()
    };
    client
        .initialize_with(with_workspace(capabilities, root))
        .await;
    scan_progress(&mut client).await;
    client
}

/// A server on the workspace `root` whose scan has finished, with `pkg/trans.py` and
/// `pkg/dbg.py` open; their URIs and diagnostics.
async fn scanned_package(root: &Path) -> (Client, [(Uri, Vec<Diagnostic>); 2]) {
    let mut client = scanned_workspace(root).await;
    let mut opened = Vec::new();
    for (name, text, expected) in [
        ("trans.py", MEMO_MODULE, vec!["RH301"]),
        ("dbg.py", DEBUG_MODULE, vec!["RH601", "RH601"]),
    ] {
        let uri = file_uri(&root.join("pkg").join(name));
        open(&client, &uri, text, 1);
        let diagnostics = client.diagnostics(&uri, 1).await;
        assert_eq!(codes(&diagnostics), expected, "{name}");
        opened.push((uri, diagnostics));
    }
    (client, opened.try_into().unwrap())
}

/// The titles of the rule's fixes offered for one diagnostic (the ignore action left out).
async fn fix_titles(client: &Client, uri: &Uri, diagnostic: &Diagnostic) -> Vec<String> {
    code_actions(client, uri, std::slice::from_ref(diagnostic), None)
        .await
        .iter()
        .map(|action| edits_of(action, uri).0.title)
        .filter(|title| !title.starts_with("Ignore "))
        .collect()
}

/// The document's text after the fix-all action, if one is offered.
async fn fixed_all(client: &Client, uri: &Uri, source: &str) -> Option<String> {
    let actions = code_actions(client, uri, &[], Some(vec![CodeActionKind::SOURCE_FIX_ALL])).await;
    let action = actions.first()?;
    Some(text::apply_edits(
        source,
        &edits_of(action, uri).1,
        client.encoding,
    ))
}

/// As `refhound check --fix` does (issue 14, item 10): a quick fix or fix-all that would
/// unbind a module-level name another module of the workspace uses (`from . import trans` then
/// `trans._translations = {}`; `from .dbg import flags`) is not offered, and the finding stays
/// reported; where no other module uses the name, the same fixes are offered.
#[test]
fn a_fix_that_would_remove_a_name_another_module_uses_is_not_offered() {
    run(async {
        let root = package(
            "fix-used",
            "from . import trans\nfrom .dbg import flags\n\n\ndef reset():\n    \
             trans._translations = {}\n    return flags\n",
        );
        let (client, [(trans, memo), (dbg, debug)]) = scanned_package(&root).await;
        assert!(fix_titles(&client, &trans, &memo[0]).await.is_empty());
        assert!(fix_titles(&client, &dbg, &debug[0]).await.is_empty());
        // The other call binds nothing: its fix is offered, and fix-all removes it alone.
        assert_eq!(
            fix_titles(&client, &dbg, &debug[1]).await,
            ["Remove the `gc.set_debug(...)` call"]
        );
        let fixed = fixed_all(&client, &dbg, DEBUG_MODULE)
            .await
            .expect("fix-all");
        assert!(fixed.contains("flags := gc.DEBUG_SAVEALL"), "{fixed}");
        assert!(!fixed.contains("DEBUG_LEAK"), "{fixed}");
        assert!(compiles(&fixed), "{fixed}");
    });
}

#[test]
fn the_same_fixes_are_offered_when_no_other_module_uses_the_names() {
    run(async {
        // `translation` is used, and the memo rewrite keeps it.
        let root = package(
            "fix-unused",
            "from . import trans\n\nprint(trans.translation('en'))\n",
        );
        let (mut client, [(trans, memo), (dbg, debug)]) = scanned_package(&root).await;
        let titles = fix_titles(&client, &trans, &memo[0]).await;
        assert_eq!(titles.len(), 1, "{titles:?}");
        assert!(titles[0].starts_with("Cache `translation`"), "{titles:?}");
        assert_eq!(
            fix_titles(&client, &dbg, &debug[0]).await,
            ["Remove the `gc.set_debug(...)` call"]
        );
        let fixed = fixed_all(&client, &dbg, DEBUG_MODULE)
            .await
            .expect("fix-all");
        assert!(!fixed.contains("set_debug"), "{fixed}");
        assert!(compiles(&fixed), "{fixed}");

        // A module saved with a use of `_translations`: the memo rewrite is withheld from then on.
        let reloader = file_uri(&root.join("pkg/reloader.py"));
        let user = "from . import trans\n\n\ndef reset():\n    trans._translations = {}\n";
        open(&client, &reloader, user, 1);
        client.diagnostics(&reloader, 1).await;
        client.notify::<DidSaveTextDocument>(DidSaveTextDocumentParams {
            text_document: TextDocumentIdentifier::new(reloader.clone()),
            text: None,
        });
        let mut withheld = false;
        for _ in 0..100 {
            if fix_titles(&client, &trans, &memo[0]).await.is_empty() {
                withheld = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(withheld, "the saved use is seen");

        // A new file on disk that imports `flags`, announced as watched files are.
        std::fs::write(root.join("pkg/other.py"), "from pkg.dbg import flags\n").unwrap();
        client.notify::<DidChangeWatchedFiles>(DidChangeWatchedFilesParams {
            changes: vec![FileEvent::new(
                file_uri(&root.join("pkg/other.py")),
                FileChangeType::CREATED,
            )],
        });
        let mut withheld = false;
        for _ in 0..100 {
            if fix_titles(&client, &dbg, &debug[0]).await.is_empty() {
                withheld = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(withheld, "the new file's use is seen");
        // Deleted again: the fix comes back.
        std::fs::remove_file(root.join("pkg/other.py")).unwrap();
        client.notify::<DidChangeWatchedFiles>(DidChangeWatchedFilesParams {
            changes: vec![FileEvent::new(
                file_uri(&root.join("pkg/other.py")),
                FileChangeType::DELETED,
            )],
        });
        let mut offered = false;
        for _ in 0..100 {
            if !fix_titles(&client, &dbg, &debug[0]).await.is_empty() {
                offered = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(offered, "the deleted file's use is forgotten");
    });
}

#[test]
fn bad_input_gets_findings_or_a_log_line_and_the_server_keeps_serving() {
    run(async {
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;

        // Syntax errors elsewhere: the leaks that parsed are still found.
        let broken = support::uri("bad/broken.py");
        open(
            &client,
            &broken,
            &format!("{}\ndef oops(:\n    return (\n", demo("events.py")),
            1,
        );
        let found = codes(&client.diagnostics(&broken, 1).await);
        assert!(found.contains(&"RH501".to_string()), "{found:?}");

        // 5,000 nested brackets: diagnostics (none) rather than a crash.
        let nested = support::uri("bad/nested.py");
        let deep = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
        open(&client, &nested, &deep, 1);
        assert!(client.diagnostics(&nested, 1).await.is_empty());

        // A 20 MB document: not analysed, and a log line says why.
        let huge = support::uri("bad/huge.py");
        let line = "value = [index for index in range(10)]\n";
        let big = line.repeat(20 * 1024 * 1024 / line.len());
        open(&client, &huge, &big, 1);
        assert!(client.diagnostics(&huge, 1).await.is_empty());
        assert!(
            client
                .logs()
                .iter()
                .any(|l| l.message.contains("bad/huge.py is 20.0 MB")),
            "{:?}",
            client.logs()
        );

        // Malformed parameters: an error for that request only.
        let response = client
            .request_raw(
                "textDocument/hover",
                json!({"textDocument": "not an object", "position": {"line": 0}}),
            )
            .await;
        assert_eq!(response["error"]["code"], -32602, "{response}");
        let hover = client
            .request::<HoverRequest>(HoverParams {
                text_document_position_params: TextDocumentPositionParams::new(
                    TextDocumentIdentifier::new(nested.clone()),
                    Position::new(0, 0),
                ),
                work_done_progress_params: WorkDoneProgressParams::default(),
            })
            .await;
        assert!(hover.is_ok(), "the server still answers: {hover:?}");
    });
}

/// A caught exception stored on another object by a class made per call.
const AUTH_MODULE: &str = "class AuthHandler:\n    def __init__(self, transport):\n        \
                           self.transport = transport\n\n    def parse(self, message):\n        \
                           try:\n            return message.decode()\n        \
                           except ValueError as e:\n            \
                           self.transport.saved_exception = e\n\n\n\
                           def handle(transport, message):\n    \
                           return AuthHandler(transport).parse(message)\n";

/// The transport's class, which lets go of the exception.
const TRANSPORT_MODULE: &str = "class Transport:\n    def get_exception(self):\n        \
                                e = self.saved_exception\n        \
                                self.saved_exception = None\n        return e\n";

/// The codes of the diagnostics of `pkg/auth.py`, opened in a scanned workspace holding `files`.
async fn auth_codes(name: &str, files: &[(&str, &str)]) -> Vec<String> {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-features-{name}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    for (file, text) in files {
        std::fs::write(root.join("pkg").join(file), text).unwrap();
    }
    let mut client = scanned_workspace(&root).await;
    let uri = file_uri(&root.join("pkg/auth.py"));
    open(&client, &uri, AUTH_MODULE, 1);
    codes(&client.diagnostics(&uri, 1).await)
}

/// As `refhound check` does: a finding on another object's attribute is reported while the
/// workspace shows nothing letting go of it, and not when another module does.
#[test]
fn a_release_in_another_workspace_module_is_seen() {
    run(async {
        assert_eq!(
            auth_codes("release-alone", &[("auth.py", AUTH_MODULE)]).await,
            ["RH203"]
        );
        assert!(
            auth_codes(
                "release-elsewhere",
                &[("auth.py", AUTH_MODULE), ("transport.py", TRANSPORT_MODULE)]
            )
            .await
            .is_empty()
        );
    });
}

/// The code actions for `range` as an editor asks for them: with the diagnostics under the
/// cursor, `only` (the kinds it filters by, if any) and why it asks.
async fn code_actions_asked(
    client: &Client,
    uri: &Uri,
    range: Range,
    diagnostics: &[Diagnostic],
    only: Option<Vec<CodeActionKind>>,
    trigger_kind: Option<CodeActionTriggerKind>,
) -> Vec<CodeAction> {
    client
        .request::<CodeActionRequest>(CodeActionParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
            range,
            context: CodeActionContext {
                diagnostics: diagnostics.to_vec(),
                only,
                trigger_kind,
            },
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        })
        .await
        .unwrap()
        .unwrap_or_default()
        .into_iter()
        .map(|action| match action {
            CodeActionOrCommand::CodeAction(action) => action,
            other => panic!("a code action, not {other:?}"),
        })
        .collect()
}

/// The code-action capabilities Helix 25.07 announces: edits resolved lazily.
fn helix_capabilities() -> ClientCapabilities {
    let mut capabilities = support::utf8_capabilities();
    capabilities
        .text_document
        .get_or_insert_default()
        .code_action = Some(CodeActionClientCapabilities {
        is_preferred_support: Some(true),
        disabled_support: Some(true),
        data_support: Some(true),
        resolve_support: Some(CodeActionCapabilityResolveSupport {
            properties: vec!["edit".to_string(), "command".to_string()],
        }),
        ..CodeActionClientCapabilities::default()
    });
    capabilities
}

/// Issue 15, item 4: Helix's `space a` asks with no kind (`only` absent) and `triggerKind`
/// Invoked, as Neovim's `vim.lsp.buf.code_action()` does; fix-all is among what it gets, after
/// the quick fixes, and applies every safe fix. Requests that filter by another kind, and those
/// a client makes on its own as the cursor moves (a lightbulb's), do not get it; nor does a
/// document with nothing to fix.
#[test]
fn helix_gets_fix_all_when_it_asks_for_actions_without_a_kind() {
    run(async {
        let mut client = Client::start();
        client.initialize(helix_capabilities(), None).await;
        let uri = support::uri("helix/debug.py");
        let source = two_debug_calls();
        open(&client, &uri, &source, 1);
        let diagnostics = client.diagnostics(&uri, 1).await;
        assert_eq!(codes(&diagnostics), ["RH601", "RH601"]);
        let invoked = Some(CodeActionTriggerKind::INVOKED);
        let first = diagnostics[0].range;

        // On a finding: its fix, its ignore action, then fix-all.
        let actions =
            code_actions_asked(&client, &uri, first, &diagnostics[..1], None, invoked).await;
        let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Remove the `gc.set_debug(...)` call",
                "Ignore RH601 on this line",
                "Fix all safe refhound findings"
            ]
        );
        let fix_all = actions.last().unwrap().clone();
        assert_eq!(
            fix_all.kind,
            Some(CodeActionKind::new("source.fixAll.refhound"))
        );
        // Helix resolves the edit of the action picked, and applies it.
        assert!(fix_all.edit.is_none());
        let resolved = client
            .request::<CodeActionResolveRequest>(fix_all)
            .await
            .expect("fix-all resolves");
        let (_, edits) = edits_of(&CodeActionOrCommand::CodeAction(resolved), &uri);
        let fixed = text::apply_edits(&source, &edits, client.encoding);
        assert!(!fixed.contains("DEBUG_SAVEALL") && !fixed.contains("DEBUG_LEAK"));
        assert!(fixed.contains("return 2"));
        assert!(compiles(&fixed), "{fixed}");

        // Away from any finding: fix-all alone.
        let nowhere = Range::new(Position::new(0, 0), Position::new(0, 0));
        let actions = code_actions_asked(&client, &uri, nowhere, &[], None, invoked).await;
        let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Fix all safe refhound findings"]);

        // A lightbulb's request, or one from a client that does not say why it asks: the
        // finding's actions only.
        for trigger in [Some(CodeActionTriggerKind::AUTOMATIC), None] {
            let actions =
                code_actions_asked(&client, &uri, first, &diagnostics[..1], None, trigger).await;
            assert!(
                actions
                    .iter()
                    .all(|a| a.kind == Some(CodeActionKind::QUICKFIX)),
                "{trigger:?}: {actions:?}"
            );
            assert_eq!(actions.len(), 2, "{trigger:?}");
        }
        // Filtered by kind: quick fixes only, or fix-all only (VS Code on save).
        let quick_fixes = Some(vec![CodeActionKind::QUICKFIX]);
        let actions = code_actions_asked(
            &client,
            &uri,
            first,
            &diagnostics[..1],
            quick_fixes,
            invoked,
        )
        .await;
        assert!(
            actions
                .iter()
                .all(|a| a.kind == Some(CodeActionKind::QUICKFIX))
        );
        let on_save = Some(vec![CodeActionKind::SOURCE_FIX_ALL]);
        let actions = code_actions_asked(
            &client,
            &uri,
            nowhere,
            &[],
            on_save,
            Some(CodeActionTriggerKind::AUTOMATIC),
        )
        .await;
        let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Fix all safe refhound findings"]);

        // Nothing to fix: nothing offered.
        let clean = support::uri("helix/clean.py");
        open(&client, &clean, "import gc\n\nx = gc.collect()\n", 1);
        assert!(client.diagnostics(&clean, 1).await.is_empty());
        assert!(
            code_actions_asked(&client, &clean, nowhere, &[], None, invoked)
                .await
                .is_empty()
        );
    });
}

/// Waits for the findings of the closed demo modules under `root` that have some, pushed by the
/// workspace scan (version `None`).
async fn closed_files_pushed(client: &mut Client, root: &Path) {
    for name in ["debug.py", "reports.py", "tree.py", "workers.py"] {
        let uri = file_uri(&root.join("leaky_service").join(name));
        let pushed = client
            .notification::<PublishDiagnostics>(|p| p.uri == uri && p.version.is_none())
            .await;
        assert!(!pushed.diagnostics.is_empty(), "{name}");
    }
}

/// Issue 15, item 5: a client that names no workspace directory (no workspace folders, no
/// `rootUri`, no `rootPath`) gets the project of the first document it opens scanned: the
/// nearest directory above it with a project marker (here `pyproject.toml`).
#[test]
fn a_client_naming_no_workspace_gets_the_first_documents_project_scanned() {
    run(async {
        let root = workspace("no-root");
        std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"demo\"\n").unwrap();
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let events = file_uri(&root.join("leaky_service/events.py"));
        open(&client, &events, &demo("events.py"), 1);
        assert_eq!(
            codes(&client.diagnostics(&events, 1).await),
            ["RH301", "RH501", "RH101"]
        );
        closed_files_pushed(&mut client, &root).await;
    });
}

/// Issue 15, item 5: what Helix sends when none of Python's root markers is found (its
/// workspace is a git checkout): empty workspace folders, no `rootUri`, its workspace as
/// `rootPath`. The scan runs on that directory, with no document opened.
#[test]
#[allow(deprecated)]
fn helix_without_a_python_root_marker_gets_its_workspace_scanned() {
    run(async {
        let root = workspace("helix-root-path");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let mut client = Client::start();
        client
            .initialize_with(InitializeParams {
                capabilities: helix_capabilities(),
                workspace_folders: Some(Vec::new()),
                root_uri: None,
                root_path: Some(root.to_string_lossy().into_owned()),
                ..InitializeParams::default()
            })
            .await;
        closed_files_pushed(&mut client, &root).await;
    });
}
