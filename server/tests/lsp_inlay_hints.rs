//! Inlay hints of captured variables through the server (in process, see `support`): off by
//! default; with `inlayHints` on, the demo's closures get `captures(...)` hints whose names are
//! CPython's `co_freevars` (checked against `refhound freevars` and CPython itself), each linking
//! to its binding; positions in the negotiated encoding on lines with non-ASCII text; a range
//! request gets only the hints inside the range; a bad `inlay-hints` in `refhound.toml` is shown
//! and ignored; a settings change asks the client to refresh.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{Client, Encoding, run};
use tower_lsp_server::ls_types::notification::{DidChangeConfiguration, DidOpenTextDocument};
use tower_lsp_server::ls_types::request::InlayHintRequest;
use tower_lsp_server::ls_types::*;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/demo/leaky_service");
const ORACLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/oracle/cpython_freevars.py"
);

fn open(client: &Client, uri: &Uri, text: &str) {
    client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
        text_document: TextDocumentItem::new(uri.clone(), "python".into(), 1, text.into()),
    });
}

/// The hints for `range` of the document (the whole of it when `None`).
async fn hints(client: &Client, uri: &Uri, range: Option<Range>) -> Vec<InlayHint> {
    let range = range.unwrap_or(Range::new(Position::new(0, 0), Position::new(100_000, 0)));
    client
        .request::<InlayHintRequest>(InlayHintParams {
            work_done_progress_params: WorkDoneProgressParams::default(),
            text_document: TextDocumentIdentifier::new(uri.clone()),
            range,
        })
        .await
        .expect("an inlay hint answer")
        // `null` would leave the hints Neovim shows on screen when they are turned off.
        .expect("a list, never null")
}

fn parts(hint: &InlayHint) -> &[InlayHintLabelPart] {
    match &hint.label {
        InlayHintLabel::LabelParts(parts) => parts,
        InlayHintLabel::String(label) => panic!("label parts, not the string {label:?}"),
    }
}

fn label(hint: &InlayHint) -> String {
    parts(hint).iter().map(|p| p.value.as_str()).collect()
}

/// The parts that name a captured variable (the others are `captures(`, `, ` and `)`).
fn names(hint: &InlayHint) -> Vec<&InlayHintLabelPart> {
    parts(hint)
        .iter()
        .filter(|p| !matches!(p.value.as_str(), "captures(" | ", " | ")"))
        .collect()
}

fn tooltip(part: &InlayHintLabelPart) -> &str {
    match &part.tooltip {
        Some(InlayHintLabelPartTooltip::String(text)) => text,
        other => panic!("a plain tooltip, not {other:?}"),
    }
}

/// (1-based line of the hint, captured names) of each hint, in order.
fn lines_and_names(hints: &[InlayHint]) -> Vec<(u32, Vec<String>)> {
    hints
        .iter()
        .map(|h| {
            let names = names(h).iter().map(|p| p.value.clone()).collect();
            (h.position.line + 1, names)
        })
        .collect()
}

/// What each function and lambda captures, by file name: (`co_firstlineno`, `co_freevars`) of
/// those that capture anything but the implicit `__class__`, from JSON lines in the oracle's
/// format (`refhound freevars`, `tests/oracle/cpython_freevars.py`).
fn captures_by_file(json_lines: &str) -> BTreeMap<String, Vec<(u32, Vec<String>)>> {
    let mut files: BTreeMap<String, Vec<(u32, Vec<String>)>> = BTreeMap::new();
    for line in json_lines.lines() {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        let file = record["file"].as_str().unwrap().to_string();
        let entry = files.entry(file).or_default();
        if !matches!(record["kind"].as_str(), Some("function" | "lambda")) {
            continue;
        }
        let freevars: Vec<String> = record["freevars"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .filter(|v| v != "__class__")
            .collect();
        if !freevars.is_empty() {
            entry.push((record["firstlineno"].as_u64().unwrap() as u32, freevars));
        }
    }
    for entry in files.values_mut() {
        entry.sort();
    }
    files
}

fn output_of(command: &mut std::process::Command) -> String {
    let output = command.output().expect("the command runs");
    assert!(output.status.success(), "{command:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn hints_are_off_by_default() {
    run(async {
        let mut client = Client::start();
        let result = client.initialize(ClientCapabilities::default(), None).await;
        assert!(
            matches!(
                result.capabilities.inlay_hint_provider,
                Some(OneOf::Left(true))
            ),
            "{:?}",
            result.capabilities.inlay_hint_provider
        );
        let uri = support::uri("inlay-off/events.py");
        open(
            &client,
            &uri,
            &std::fs::read_to_string(format!("{DEMO}/events.py")).unwrap(),
        );
        assert!(hints(&client, &uri, None).await.is_empty());
    });
}

#[test]
fn the_demo_closures_list_co_freevars_each_linked_to_its_binding() {
    let freevars = output_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_refhound"))
            .arg("freevars")
            .arg(DEMO),
    );
    let cpython = output_of(std::process::Command::new("python3").arg(ORACLE).arg(DEMO));
    let expected = captures_by_file(&freevars);
    assert_eq!(
        expected,
        captures_by_file(&cpython),
        "refhound agrees with CPython"
    );
    let closures: usize = expected.values().map(Vec::len).sum();
    assert_eq!(closures, 2, "the demo's two closures: {expected:?}");
    run(async move {
        let mut client = Client::start();
        client
            .initialize(
                ClientCapabilities::default(),
                Some(json!({"inlayHints": true})),
            )
            .await;
        for (file, expected) in expected {
            let text = std::fs::read_to_string(format!("{DEMO}/{file}")).unwrap();
            let uri = support::uri(&format!("inlay-on/{file}"));
            open(&client, &uri, &text);
            let hints = hints(&client, &uri, None).await;
            assert_eq!(lines_and_names(&hints), expected, "{file}");
            for hint in &hints {
                assert_eq!(hint.padding_left, Some(true));
                // Right after the parameters: `(value)` or `lambda report_id`, then `:`.
                let line = text.lines().nth(hint.position.line as usize).unwrap();
                let (before, after) = line.split_at(hint.position.character as usize);
                assert!(
                    (before.ends_with(')') || before.ends_with("report_id"))
                        && after.starts_with(':'),
                    "{file}: hint at {before}|{after}"
                );
                for part in names(hint) {
                    let location = part.location.as_ref().expect("a link to the binding");
                    assert_eq!(location.uri, uri);
                    let start = support::text::offset(&text, location.range.start, client.encoding);
                    let end = support::text::offset(&text, location.range.end, client.encoding);
                    assert_eq!(&text[start..end], part.value, "{file}");
                }
            }
        }
        // What each binding is, as the tooltips say it.
        let events = support::uri("inlay-on/events.py");
        let hint = &hints(&client, &events, None).await[0];
        assert_eq!(label(hint), "captures(big)");
        assert_eq!(tooltip(names(hint)[0]), "assigned in `watch` line 20");
        let location = names(hint)[0].location.as_ref().unwrap();
        assert_eq!(
            location.range,
            Range::new(Position::new(19, 4), Position::new(19, 7))
        );
        let reports = support::uri("inlay-on/reports.py");
        let hint = &hints(&client, &reports, None).await[0];
        assert_eq!(label(hint), "captures(dataset)");
        assert_eq!(
            tooltip(names(hint)[0]),
            "assigned in `make_formatter` line 29"
        );
    });
}

/// A lambda on a line with non-ASCII text before it (`é` is 2 UTF-8 bytes and 1 UTF-16 unit,
/// `𝄞` 4 bytes and 2 units), capturing a parameter that follows non-ASCII text too.
const UNICODE: &str = "\
def make(ünï, données):
    titre = \"é𝄞\"; f = lambda: (données, titre, ünï)
    return f
";

#[test]
fn positions_count_in_the_negotiated_encoding() {
    // (encoding, column of the hint, columns of `données`, end column of `ünï`).
    for (encoding, hint_column, donnees, uni_end) in [
        // `    titre = "é𝄞"; f = lambda`: 28 characters, 𝄞 counting 2 UTF-16 units.
        (Encoding::Utf16, 29, (14, 21), 12),
        // The same in bytes: é, ü and ï are 2 bytes, 𝄞 4.
        (Encoding::Utf8, 32, (16, 24), 14),
    ] {
        run(async move {
            let mut client = Client::start();
            client
                .initialize(
                    support::capabilities_for(encoding),
                    Some(json!({"inlayHints": true})),
                )
                .await;
            assert_eq!(client.encoding, encoding);
            let uri = support::uri("inlay-unicode/make.py");
            open(&client, &uri, UNICODE);
            let hints = hints(&client, &uri, None).await;
            assert_eq!(hints.len(), 1, "{hints:?}");
            assert_eq!(
                hints[0].position,
                Position::new(1, hint_column),
                "{encoding:?}"
            );
            assert_eq!(label(&hints[0]), "captures(données, titre, ünï)");
            let ranges: Vec<Range> = names(&hints[0])
                .iter()
                .map(|p| p.location.as_ref().unwrap().range)
                .collect();
            assert_eq!(
                ranges,
                [
                    Range::new(Position::new(0, donnees.0), Position::new(0, donnees.1)),
                    Range::new(Position::new(1, 4), Position::new(1, 9)),
                    Range::new(Position::new(0, 9), Position::new(0, uni_end)),
                ],
                "{encoding:?}"
            );
            assert_eq!(tooltip(names(&hints[0])[0]), "parameter of `make`");
            assert_eq!(tooltip(names(&hints[0])[1]), "assigned in `make` line 2");
        });
    }
}

#[test]
fn a_range_request_gets_only_the_hints_inside_it() {
    run(async {
        let mut client = Client::start();
        client
            .initialize(
                ClientCapabilities::default(),
                Some(json!({"inlayHints": true})),
            )
            .await;
        let text = "\
def outer(a, b, c):
    first = lambda: a
    def second():
        return b
    third = lambda: c
    return first, second, third
";
        let uri = support::uri("inlay-range/outer.py");
        open(&client, &uri, text);
        let all = hints(&client, &uri, None).await;
        assert_eq!(
            lines_and_names(&all),
            [
                (2, vec!["a".to_string()]),
                (3, vec!["b".to_string()]),
                (5, vec!["c".to_string()])
            ]
        );
        // Lines 3 and 4 (0-based 2..4): `def second()` only.
        let some = hints(
            &client,
            &uri,
            Some(Range::new(Position::new(2, 0), Position::new(4, 0))),
        )
        .await;
        assert_eq!(lines_and_names(&some), [(3, vec!["b".to_string()])]);
        let none = hints(
            &client,
            &uri,
            Some(Range::new(Position::new(3, 0), Position::new(3, 20))),
        )
        .await;
        assert!(none.is_empty(), "{none:?}");
    });
}

/// A fresh directory under `target/tmp` holding `refhound.toml` and `closure.py`.
fn project(name: &str, config: &str) -> (PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-inlay-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("refhound.toml"), config).unwrap();
    let text = "def f(x):\n    return lambda: x\n".to_string();
    std::fs::write(dir.join("closure.py"), &text).unwrap();
    (dir.join("closure.py"), text)
}

#[test]
fn the_configuration_file_turns_hints_on_and_a_bad_value_is_shown_and_ignored() {
    run(async {
        let (path, text) = project("good", "inlay-hints = true\n");
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let uri = Uri::from_file_path(&path).unwrap();
        open(&client, &uri, &text);
        assert_eq!(label(&hints(&client, &uri, None).await[0]), "captures(x)");

        let (path, text) = project("bad", "inlay-hints = \"yes\"\nignore = [\"RH101\"]\n");
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let uri = Uri::from_file_path(&path).unwrap();
        open(&client, &uri, &text);
        assert!(
            hints(&client, &uri, None).await.is_empty(),
            "the default applies"
        );
        let deadline = tokio::time::Instant::now() + support::TIMEOUT;
        loop {
            let shown = client.shown_messages();
            if shown.iter().any(|m| {
                m.typ == MessageType::WARNING
                    && m.message
                        .contains("inlay-hints: expected true or false, not a string")
            }) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not shown: {shown:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // The editor's setting still turns them on over the file's bad value.
        client.notify::<DidChangeConfiguration>(DidChangeConfigurationParams {
            settings: json!({"refhound": {"inlayHints": true}}),
        });
        let deadline = tokio::time::Instant::now() + support::TIMEOUT;
        while hints(&client, &uri, None).await.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no hints after the change"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
}

#[test]
fn a_settings_change_asks_the_client_to_refresh_its_hints() {
    run(async {
        let mut client = Client::start();
        let capabilities = ClientCapabilities {
            workspace: Some(WorkspaceClientCapabilities {
                configuration: Some(true),
                inlay_hint: Some(InlayHintWorkspaceClientCapabilities {
                    refresh_support: Some(true),
                }),
                ..WorkspaceClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        client.initialize(capabilities, None).await;
        let uri = support::uri("inlay-refresh/make.py");
        open(&client, &uri, UNICODE);
        // The server has pulled the (empty) configuration once it answers a request after it.
        client.server_request("workspace/configuration").await;
        assert!(hints(&client, &uri, None).await.is_empty());
        let refreshes = |client: &Client| {
            client
                .server_requests()
                .iter()
                .filter(|r| r.method == "workspace/inlayHint/refresh")
                .count()
        };
        let before = refreshes(&client);
        client.set_configuration(json!({"inlayHints": true}));
        client.notify::<DidChangeConfiguration>(DidChangeConfigurationParams {
            settings: Value::Null,
        });
        let deadline = tokio::time::Instant::now() + support::TIMEOUT;
        while refreshes(&client) == before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no workspace/inlayHint/refresh"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(hints(&client, &uri, None).await.len(), 1);
    });
}
