//! The language server end to end, in process: the real `tower_lsp_server::Server` over an
//! in-memory duplex, driven by the typed client in `support`. Covers what an editor sees
//! (capabilities, diagnostics, hovers, code actions), a fast typist's stream of incremental
//! changes, and the protocol's edges (before `initialize`, unknown documents, shutdown).

mod support;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{Client, Encoding, capabilities_for, run, text, uri, utf8_capabilities};
use tower_lsp_server::jsonrpc::{self, ErrorCode};
use tower_lsp_server::ls_types::notification::{
    DidChangeTextDocument, DidOpenTextDocument, ShowMessage,
};
use tower_lsp_server::ls_types::request::{
    CodeActionRequest, HoverRequest, Request, Shutdown, WorkDoneProgressCreate,
};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{LanguageServer, LspService};

/// The demo project: one module per family of leaks (see `tests/demo/README.md`).
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/demo/leaky_service");

fn demo(name: &str) -> String {
    std::fs::read_to_string(format!("{DEMO}/{name}"))
        .unwrap_or_else(|error| panic!("{DEMO}/{name}: {error}"))
}

/// The URI a demo module is opened under: made up, so snapshots do not depend on the checkout.
fn demo_uri(name: &str) -> Uri {
    uri(&format!("demo/leaky_service/{name}"))
}

fn open(client: &Client, uri: &Uri, text: &str, version: i32) {
    client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
        text_document: TextDocumentItem::new(uri.clone(), "python".into(), version, text.into()),
    });
}

fn change(client: &Client, uri: &Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
    client.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
        text_document: VersionedTextDocumentIdentifier::new(uri.clone(), version),
        content_changes: changes,
    });
}

fn edit(range: Range, text: &str) -> TextDocumentContentChangeEvent {
    TextDocumentContentChangeEvent {
        range: Some(range),
        range_length: None,
        text: text.to_string(),
    }
}

fn code(diagnostic: &Diagnostic) -> String {
    match &diagnostic.code {
        Some(NumberOrString::String(code)) => code.clone(),
        other => panic!("a refhound diagnostic has a string code, not {other:?}"),
    }
}

fn hover_params(uri: &Uri, position: Position) -> HoverParams {
    HoverParams {
        text_document_position_params: TextDocumentPositionParams::new(
            TextDocumentIdentifier::new(uri.clone()),
            position,
        ),
        work_done_progress_params: WorkDoneProgressParams::default(),
    }
}

fn code_action_params(uri: &Uri, range: Range, diagnostics: Vec<Diagnostic>) -> CodeActionParams {
    CodeActionParams {
        text_document: TextDocumentIdentifier::new(uri.clone()),
        range,
        context: CodeActionContext {
            diagnostics,
            only: None,
            trigger_kind: None,
        },
        work_done_progress_params: WorkDoneProgressParams::default(),
        partial_result_params: PartialResultParams::default(),
    }
}

/// The position of the first `needle` on the (0-based) `line` of `text`.
fn find_on_line(text: &str, line: usize, needle: &str, encoding: Encoding) -> Position {
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let column = text[start..]
        .lines()
        .next()
        .and_then(|l| l.find(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not on line {line}"));
    text::position(text, start + column, encoding)
}

/// `refhound/syntaxTree`: the server's own copy of a document, for checking its incremental
/// state against the client's text and a fresh parse.
enum SyntaxTreeRequest {}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyntaxTreeParams {
    text_document: TextDocumentIdentifier,
}

#[derive(Debug, Serialize, Deserialize)]
struct SyntaxTree {
    version: i32,
    text: String,
    tree: String,
}

impl Request for SyntaxTreeRequest {
    type Params = SyntaxTreeParams;
    type Result = SyntaxTree;
    const METHOD: &'static str = "refhound/syntaxTree";
}

async fn syntax_tree(client: &Client, uri: &Uri) -> jsonrpc::Result<SyntaxTree> {
    client
        .request::<SyntaxTreeRequest>(SyntaxTreeParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
        })
        .await
}

// 1. initialize

#[test]
fn initialize_announces_capabilities_and_negotiates_the_position_encoding() {
    run(async {
        let mut client = Client::start();
        let result = client.initialize(ClientCapabilities::default(), None).await;
        let info = result.server_info.expect("server info");
        assert_eq!(info.name, "refhound");
        assert_eq!(info.version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
        insta::assert_json_snapshot!("capabilities", result.capabilities);
        assert_eq!(client.encoding, Encoding::Utf16);

        // UTF-8 when offered, wherever it is in the list; UTF-16 when it is not.
        for (offered, expected) in [
            (vec!["utf-8", "utf-16"], PositionEncodingKind::UTF8),
            (vec!["utf-16", "utf-8"], PositionEncodingKind::UTF8),
            (vec!["utf-16"], PositionEncodingKind::UTF16),
            (vec!["utf-32", "utf-16"], PositionEncodingKind::UTF16),
            (vec![], PositionEncodingKind::UTF16),
        ] {
            let capabilities = ClientCapabilities {
                general: Some(GeneralClientCapabilities {
                    position_encodings: Some(
                        offered
                            .iter()
                            .map(|&k| PositionEncodingKind::from(k))
                            .collect(),
                    ),
                    ..GeneralClientCapabilities::default()
                }),
                ..ClientCapabilities::default()
            };
            let mut client = Client::start();
            let negotiated = client.initialize(capabilities, None).await.capabilities;
            assert_eq!(
                negotiated.position_encoding,
                Some(expected.clone()),
                "{offered:?}"
            );
            // Nothing else depends on the encoding.
            assert_eq!(
                ServerCapabilities {
                    position_encoding: None,
                    ..negotiated
                },
                ServerCapabilities {
                    position_encoding: None,
                    ..result.capabilities.clone()
                }
            );
        }
    });
}

// 2. diagnostics of the demo

#[test]
fn every_demo_module_gets_its_diagnostics_and_together_all_nine_rules() {
    run(async {
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let mut names: Vec<String> = std::fs::read_dir(DEMO)
            .expect("the demo directory")
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".py"))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "__init__.py",
                "debug.py",
                "events.py",
                "reports.py",
                "tree.py",
                "workers.py"
            ]
        );
        let mut codes = BTreeSet::new();
        for name in &names {
            let uri = demo_uri(name);
            open(&client, &uri, &demo(name), 1);
            let diagnostics = client.diagnostics(&uri, 1).await;
            for diagnostic in &diagnostics {
                assert_eq!(diagnostic.source.as_deref(), Some("refhound"));
                codes.insert(code(diagnostic));
            }
            let stem = name.trim_end_matches(".py").trim_matches('_');
            insta::assert_json_snapshot!(format!("diagnostics_{stem}"), diagnostics);
        }
        assert_eq!(
            codes.into_iter().collect::<Vec<_>>(),
            [
                "RH101", "RH102", "RH201", "RH202", "RH301", "RH302", "RH401", "RH501", "RH601"
            ]
        );
    });
}

/// (rule code, line) of each finding `check` makes of `text`: what the diagnostics must say.
fn expected_findings(text: &str) -> Vec<(String, u32)> {
    let tree = refhound::analysis::parse::parse(text);
    let settings = refhound::analysis::settings::Settings::default();
    refhound::analysis::check(text, &tree, &settings)
        .iter()
        .map(|f| {
            let line = text[..f.range.start].matches('\n').count() as u32;
            (f.rule.code().to_string(), line)
        })
        .collect()
}

fn codes_and_lines(diagnostics: &[Diagnostic]) -> Vec<(String, u32)> {
    diagnostics
        .iter()
        .map(|d| (code(d), d.range.start.line))
        .collect()
}

#[test]
fn a_large_file_opened_in_halves_gets_the_whole_files_diagnostics_then_its_edits() {
    run(async {
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        // Findings in both halves of a file large enough to be parsed in halves.
        let filler: String = (0..1200)
            .map(|i| format!("def filler_{i}(a, b=1):\n    return [a + b for _ in range(b)]\n\n\n"))
            .collect();
        let text = format!("{}\n\n{filler}{}", demo("events.py"), demo("reports.py"));
        assert!(refhound::analysis::parse::parse_in_halves(&text).is_some());
        let expected = expected_findings(&text);
        let middle = text[..text.len() / 2].matches('\n').count() as u32;
        assert!(expected.iter().any(|(_, line)| *line < middle));
        assert!(expected.iter().any(|(_, line)| *line > middle));
        let uri = uri("large.py");
        open(&client, &uri, &text, 1);
        assert_eq!(
            codes_and_lines(&client.diagnostics(&uri, 1).await),
            expected
        );
        // An edit after the open: a memo in a default argument, at the end.
        let last = text.matches('\n').count() as u32;
        let added = "def memo(key, cache={}):\n    cache[key] = key\n    return cache[key]\n";
        change(
            &client,
            &uri,
            2,
            vec![edit(
                Range::new(Position::new(last, 0), Position::new(last, 0)),
                added,
            )],
        );
        let edited = format!("{text}{added}");
        let expected = expected_findings(&edited);
        assert!(expected.iter().any(|(code, _)| code == "RH303"));
        assert_eq!(
            codes_and_lines(&client.diagnostics(&uri, 2).await),
            expected
        );
    });
}

// 3. hovers

#[test]
fn hovers_show_what_closures_capture_and_nothing_on_blank_space() {
    run(async {
        let mut client = Client::start();
        client.initialize(utf8_capabilities(), None).await;
        let events = demo("events.py");
        let reports = demo("reports.py");
        let (events_uri, reports_uri) = (demo_uri("events.py"), demo_uri("reports.py"));
        open(&client, &events_uri, &events, 1);
        open(&client, &reports_uri, &reports, 1);
        let encoding = client.encoding;
        let hover = |uri: &Uri, position: Position| {
            client.request::<HoverRequest>(hover_params(uri, position))
        };

        // `add_listener(lambda report_id: print(report_id, len(big)))`
        let lambda = find_on_line(&events, 21, "lambda", encoding);
        let found = hover(&events_uri, lambda).await.unwrap();
        insta::assert_json_snapshot!("hover_lambda", found);
        assert!(found.is_some());

        // `def formatter(value):` in `make_formatter`, capturing `dataset`.
        let formatter = find_on_line(&reports, 30, "formatter", encoding);
        let found = hover(&reports_uri, formatter).await.unwrap();
        insta::assert_json_snapshot!("hover_def_formatter", found);
        assert!(found.is_some());

        // `big = [...]`: the variable the lambda captures.
        let big = find_on_line(&events, 19, "big", encoding);
        let found = hover(&events_uri, big).await.unwrap();
        insta::assert_json_snapshot!("hover_captured_big", found);
        assert!(found.is_some());

        // `dataset = Dataset(path)`: captured by `formatter`.
        let dataset = find_on_line(&reports, 28, "dataset", encoding);
        let found = hover(&reports_uri, dataset).await.unwrap();
        insta::assert_json_snapshot!("hover_captured_dataset", found);
        assert!(found.is_some());

        // A blank line, and the indentation before a statement.
        for position in [Position::new(2, 0), Position::new(21, 2)] {
            let found = hover(&events_uri, position).await.unwrap();
            assert_eq!(found, None, "{position:?}");
        }
    });
}

// 4. code actions

#[test]
fn ignoring_a_finding_on_its_line_removes_it_and_keeps_the_others() {
    for encoding in [Encoding::Utf16, Encoding::Utf8] {
        run(async move {
            let mut client = Client::start();
            client.initialize(capabilities_for(encoding), None).await;
            assert_eq!(client.encoding, encoding);
            // Characters of one, two and three UTF-8 bytes and one astral-plane character before
            // the end of the line, so the edit's column differs between the encodings.
            let line = "    add_listener(lambda report_id: print(report_id, len(big)))";
            let wide =
                "    add_listener(lambda report_id: print(\"é 名前 😀\", report_id, len(big)))";
            let original = demo("events.py").replace(line, wide);
            let uri = uri("demo/wide/events.py");
            open(&client, &uri, &original, 1);
            let before = client.diagnostics(&uri, 1).await;
            let listener = before
                .iter()
                .find(|d| code(d) == "RH501")
                .expect("RH501 on the listener")
                .clone();

            let response = client
                .request::<CodeActionRequest>(code_action_params(
                    &uri,
                    listener.range,
                    vec![listener.clone()],
                ))
                .await
                .unwrap()
                .expect("code actions");
            let label = match encoding {
                Encoding::Utf8 => "ignore_action_utf8",
                Encoding::Utf16 => "ignore_action_utf16",
            };
            insta::assert_json_snapshot!(label, response);
            let action = response
                .iter()
                .find_map(|action| match action {
                    CodeActionOrCommand::CodeAction(a)
                        if a.title == "Ignore RH501 on this line" =>
                    {
                        Some(a)
                    }
                    _ => None,
                })
                .expect("an ignore action");
            assert_eq!(action.kind, Some(CodeActionKind::QUICKFIX));
            let edits = &action.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri];
            let edited = text::apply_edits(&original, edits, encoding);
            let commented = format!("{wide}  # refhound: ignore[RH501]");
            assert_eq!(edited, original.replace(wide, &commented));

            // The editor applies the edit and sends it as an incremental change, last edit first
            // so that every range still refers to the text it was computed on.
            let mut edits = edits.clone();
            edits.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
            let changes = edits.iter().map(|e| edit(e.range, &e.new_text)).collect();
            change(&client, &uri, 2, changes);
            let after = client.diagnostics(&uri, 2).await;
            let expected: Vec<Diagnostic> =
                before.into_iter().filter(|d| code(d) != "RH501").collect();
            assert!(!expected.is_empty());
            assert_eq!(after, expected);
            let server = syntax_tree(&client, &uri).await.unwrap();
            assert_eq!(server.text, edited);
        });
    }
}

/// A document put aside while many others are opened (the server keeps the trees of the
/// documents used last only) still gets the same hover and code actions, and its next edit gets
/// the diagnostics of its new text.
#[test]
fn a_document_put_aside_for_many_others_still_gets_hovers_actions_and_diagnostics() {
    run(async {
        let mut client = Client::start();
        client.initialize(utf8_capabilities(), None).await;
        let events = demo("events.py");
        let events_uri = demo_uri("events.py");
        open(&client, &events_uri, &events, 1);
        let diagnostics = client.diagnostics(&events_uri, 1).await;
        let listener = diagnostics
            .iter()
            .find(|d| code(d) == "RH501")
            .expect("RH501 on the listener")
            .clone();
        let lambda = find_on_line(&events, 21, "lambda", client.encoding);
        let hover_params = hover_params(&events_uri, lambda);
        let actions_params =
            code_action_params(&events_uri, listener.range, vec![listener.clone()]);
        let hover_before = client
            .request::<HoverRequest>(hover_params.clone())
            .await
            .unwrap()
            .expect("a hover on the lambda");
        let actions_before = client
            .request::<CodeActionRequest>(actions_params.clone())
            .await
            .unwrap()
            .expect("code actions");

        // Far more documents than an editor's handful of working files, each analysed (its
        // diagnostics published) and used after `events.py`.
        for i in 0..40 {
            let name = ["reports.py", "workers.py", "tree.py", "debug.py"][i % 4];
            let other = uri(&format!("demo/others/{i}/{name}"));
            open(&client, &other, &demo(name), 1);
            client.diagnostics(&other, 1).await;
        }

        assert_eq!(
            client
                .request::<HoverRequest>(hover_params.clone())
                .await
                .unwrap(),
            Some(hover_before)
        );
        assert_eq!(
            client
                .request::<CodeActionRequest>(actions_params.clone())
                .await
                .unwrap(),
            Some(actions_before)
        );
        // The listener's lambda stops capturing `big`: the findings about it change.
        let line = "    add_listener(lambda report_id: print(report_id, len(big)))";
        let start =
            events.find(line).expect("the listener's line") + line.find("len(big)").unwrap();
        let range = Range::new(
            text::position(&events, start, client.encoding),
            text::position(&events, start + "len(big)".len(), client.encoding),
        );
        change(&client, &events_uri, 2, vec![edit(range, "0")]);
        let after = client.diagnostics(&events_uri, 2).await;
        let edited = events.replace("len(big)))", "0))");
        let fresh_uri = uri("demo/fresh/events.py");
        open(&client, &fresh_uri, &edited, 1);
        let fresh = client.diagnostics(&fresh_uri, 1).await;
        let summary = |diagnostics: &[Diagnostic]| -> Vec<(String, Range, String)> {
            diagnostics
                .iter()
                .map(|d| (code(d), d.range, d.message.clone()))
                .collect()
        };
        assert_ne!(summary(&after), summary(&diagnostics));
        assert_eq!(summary(&after), summary(&fresh));
        let server = syntax_tree(&client, &events_uri).await.unwrap();
        assert_eq!(server.text, edited);
        assert_eq!(
            server.tree,
            syntax_tree(&client, &fresh_uri).await.unwrap().tree
        );
    });
}

// 5. the fast typist

use support::random::Lcg;

/// What the typist types anywhere, to be undone later: code, brackets that open blocks and
/// strings, multi-byte characters (two-byte, CJK, astral-plane) and line breaks.
const PIECES: &[&str] = &[
    "a",
    "big",
    "é",
    "😀",
    "名前",
    "é😀名",
    "\n",
    "    ",
    "(",
    ")",
    ":",
    "\"",
    "#",
    "lambda: big",
    "x = [i for i in y]\n",
    "def f(x):\n    return x\n",
];

/// Whole statements the typist adds for good, each at the start of a line and indented like it.
const LINES: &[&str] = &[
    "label = \"é 名前 😀\"  # 名前\n",
    "rows = [i for i in range(10)]\n",
    "pass\n",
    "callback = lambda: None\n",
    "total = len(\"😀😀\") + 1\n",
];

/// An edit the typist will undo: text it typed at a byte offset, or text it cut from one.
enum Undo {
    Typed { at: usize, text: String },
    Cut { at: usize, text: String },
}

/// The fast typist: the client's copy of the document, and the edits still to undo. Edits are
/// undone newest first, so each undo restores exactly the text before its edit, whatever that
/// edit touched; with the stack empty the text is the original plus whole, indented statements,
/// which is valid Python with the original's findings, while the text in between is anything.
struct Typist {
    random: Lcg,
    text: String,
    encoding: Encoding,
    undo: Vec<Undo>,
    /// The most edits that were waiting to be undone at once: how mangled the text got.
    deepest: usize,
}

impl Typist {
    /// Replaces bytes `start..end` of the copy, returning the change that does the same.
    fn replace(&mut self, start: usize, end: usize, new: &str) -> TextDocumentContentChangeEvent {
        let range = text::range(&self.text, start, end, self.encoding);
        text::apply_change(&mut self.text, range, new, self.encoding);
        edit(range, new)
    }

    /// A random character boundary, never the middle of a `\r\n`, which no position names.
    fn random_boundary(&mut self) -> usize {
        let boundaries: Vec<usize> = self
            .text
            .char_indices()
            .map(|(i, _)| i)
            .chain([self.text.len()])
            .filter(|&i| !splits_crlf(&self.text, i))
            .collect();
        boundaries[self.random.below(boundaries.len())]
    }

    fn push(&mut self, undo: Undo) {
        self.undo.push(undo);
        self.deepest = self.deepest.max(self.undo.len());
    }

    /// Types a random piece anywhere.
    fn type_piece(&mut self) -> TextDocumentContentChangeEvent {
        let at = self.random_boundary();
        let piece = PIECES[self.random.below(PIECES.len())];
        self.push(Undo::Typed {
            at,
            text: piece.to_string(),
        });
        self.replace(at, at, piece)
    }

    /// Cuts one to four characters anywhere, line breaks and multi-byte characters included.
    fn cut(&mut self) -> TextDocumentContentChangeEvent {
        let at = self.random_boundary();
        let length = 1 + self.random.below(4);
        let mut end = self.text[at..]
            .char_indices()
            .nth(length)
            .map_or(self.text.len(), |(i, _)| at + i);
        if splits_crlf(&self.text, end) {
            end += 1;
        }
        self.push(Undo::Cut {
            at,
            text: self.text[at..end].to_string(),
        });
        self.replace(at, end, "")
    }

    /// Undoes the newest edit in full: deletes what was typed, or pastes back what was cut.
    fn undo(&mut self) -> TextDocumentContentChangeEvent {
        match self.undo.pop().expect("an edit to undo") {
            Undo::Typed { at, text } => self.replace(at, at + text.len(), ""),
            Undo::Cut { at, text } => self.replace(at, at, &text),
        }
    }

    /// Deletes the last one or two characters of what was typed last (a backspace), or undoes
    /// the newest edit when that is a cut.
    fn backspace(&mut self) -> TextDocumentContentChangeEvent {
        let count = 1 + self.random.below(2);
        let Some(Undo::Typed { at, text }) = self.undo.last_mut() else {
            return self.undo();
        };
        let at = *at;
        let keep = text
            .char_indices()
            .rev()
            .nth(count - 1)
            .map_or(0, |(i, _)| i);
        let (start, end) = (at + keep, at + text.len());
        text.truncate(keep);
        if keep == 0 {
            self.undo.pop();
        }
        self.replace(start, end, "")
    }

    /// With nothing to undo: one of [`LINES`] at the start of a random line, indented like that
    /// line (or, for a blank one, like the next line with code), typed in one to three chunks.
    fn new_line(&mut self) -> Vec<TextDocumentContentChangeEvent> {
        assert!(self.undo.is_empty());
        let starts: Vec<usize> = std::iter::once(0)
            .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < self.text.len())
            .collect();
        let at = starts[self.random.below(starts.len())];
        let indent = self.text[at..]
            .lines()
            .find(|line| !line.trim().is_empty())
            .map_or(0, |line| line.len() - line.trim_start().len());
        let line = format!(
            "{}{}",
            " ".repeat(indent),
            LINES[self.random.below(LINES.len())]
        );
        let cuts: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
        let mut chunks = vec![0, line.len()];
        for _ in 0..self.random.below(3) {
            chunks.push(cuts[self.random.below(cuts.len())]);
        }
        chunks.sort_unstable();
        chunks.dedup();
        chunks
            .windows(2)
            .map(|w| self.replace(at + w[0], at + w[0], &line[w[0]..w[1]]))
            .collect()
    }

    /// The changes of one notification, `remaining` notifications (this one included) before
    /// the end, by which every edit has been undone.
    fn notification(&mut self, remaining: usize) -> Vec<TextDocumentContentChangeEvent> {
        if self.undo.len() >= remaining {
            return vec![self.undo()];
        }
        let count = if self.random.below(8) == 0 {
            2 + self.random.below(3)
        } else {
            1
        };
        let mut changes = Vec::new();
        for _ in 0..count {
            // An edit to undo may be added only while the notifications left can undo them all.
            let room = self.undo.len() + 1 < remaining;
            match self.random.below(10) {
                _ if self.undo.is_empty() && self.random.below(4) == 0 => {
                    changes.extend(self.new_line());
                }
                0..=2 if room => changes.push(self.type_piece()),
                3..=4 if room && !self.text.is_empty() => changes.push(self.cut()),
                5..=7 if !self.undo.is_empty() => changes.push(self.backspace()),
                _ if !self.undo.is_empty() => changes.push(self.undo()),
                _ => changes.extend(self.new_line()),
            }
        }
        changes
    }
}

/// Whether byte `at` of `text` is between the `\r` and the `\n` of a line break.
fn splits_crlf(text: &str, at: usize) -> bool {
    text[..at].ends_with('\r') && text[at..].starts_with('\n')
}

/// Where the first lines of two outlines differ, for a readable failure.
fn first_difference(left: &str, right: &str) -> Option<String> {
    let (l, r): (Vec<_>, Vec<_>) = (left.lines().collect(), right.lines().collect());
    let at = (0..l.len().max(r.len())).find(|&i| l.get(i) != r.get(i))?;
    let from = at.saturating_sub(3);
    Some(format!(
        "first difference at outline line {at}:\nserver:\n{}\nfresh:\n{}",
        l[from..(at + 3).min(l.len())].join("\n"),
        r[from..(at + 3).min(r.len())].join("\n")
    ))
}

/// A thousand incremental changes sent back to back, without waiting for anything, as a fast
/// typist's editor sends them: the server must end with exactly the client's text, the tree a
/// fresh parse of it gives, and the diagnostics that text gets when opened fresh. With `crlf`,
/// the document starts with Windows line ends (and gets `\n` ones too from the typist).
/// `pause`: the typist starts once the first diagnostics arrived and the server had a moment to
/// prepare the document for edits (its tree settled and its cache built in the background), else
/// right after opening it, racing that preparation.
async fn fast_typist(encoding: Encoding, crlf: bool, pause: bool) {
    let mut client = Client::start();
    client.initialize(capabilities_for(encoding), None).await;
    assert_eq!(client.encoding, encoding);
    let uri = uri("typist/events.py");
    let mut original = demo("events.py");
    if crlf {
        original = original.replace('\n', "\r\n");
    }
    open(&client, &uri, &original, 1);
    if pause {
        client.diagnostics(&uri, 1).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    let mut typist = Typist {
        random: Lcg(0x5eed),
        text: original.clone(),
        encoding,
        undo: Vec::new(),
        deepest: 0,
    };
    let mut sent = Vec::new();
    let last: i32 = 1001;
    for version in 2..=last {
        let changes = typist.notification((last - version + 1) as usize);
        sent.push(json!({"version": version, "changes": changes}));
        change(&client, &uri, version, changes);
    }
    let copy = typist.text;
    // The typist did what it is meant to: mangled the text well beyond one edit at a time, and
    // ended with valid Python that still has the original's findings and every kind of
    // character.
    assert!(typist.undo.is_empty());
    assert!(
        typist.deepest >= 20,
        "at most {} edits at once",
        typist.deepest
    );
    assert!(copy.len() > original.len());
    for wide in ['é', '😀', '名'] {
        assert!(copy.contains(wide), "{wide:?} is not in the final text");
    }

    let server = syntax_tree(&client, &uri)
        .await
        .expect("the document is open");
    let fresh = refhound::analysis::parse::python_parser()
        .parse(&copy, None)
        .expect("a tree");
    let outline = refhound::analysis::parse::outline(&fresh);
    let consistent = server.version == last && server.text == copy && server.tree == outline;
    if !consistent {
        // Keep what reproduces the failure: every notification's changes and the final states.
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fast_typist");
        std::fs::create_dir_all(&dir).unwrap();
        let tag = format!("{encoding:?}{}", if crlf { "_crlf" } else { "" }).to_lowercase();
        let save = |name: &str, contents: &str| {
            std::fs::write(dir.join(format!("{tag}_{name}")), contents).unwrap();
        };
        save(
            "changes.json",
            &serde_json::to_string_pretty(&sent).unwrap(),
        );
        save("client.py", &copy);
        save("server.py", &server.text);
        save("server_tree.txt", &server.tree);
        save("fresh_tree.txt", &outline);
        eprintln!("fast typist: states saved in {}", dir.display());
    }
    assert_eq!(server.version, last);
    assert!(server.text == copy, "the server's text is not the client's");
    if let Some(difference) = first_difference(&server.tree, &outline) {
        panic!("the server's tree is not a fresh parse's: {difference}");
    }
    assert!(!fresh.root_node().has_error(), "the final text parses");

    let diagnostics = client.diagnostics(&uri, last).await;
    // Results for a version the document has left are dropped, so versions only go up.
    let versions: Vec<i32> = client
        .published_so_far()
        .into_iter()
        .filter(|p| p.uri == uri)
        .map(|p| p.version.expect("a version"))
        .chain([last])
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "published versions go back: {versions:?}"
    );

    let reopened = support::uri("typist/fresh.py");
    open(&client, &reopened, &copy, 1);
    let expected = client.diagnostics(&reopened, 1).await;
    let codes: BTreeSet<String> = expected.iter().map(code).collect();
    for rule in ["RH101", "RH301", "RH501"] {
        assert!(
            codes.contains(rule),
            "{rule} is not found in the final text"
        );
    }
    let essentials = |diagnostics: &[Diagnostic]| -> Vec<(String, Range, String)> {
        diagnostics
            .iter()
            .map(|d| (code(d), d.range, d.message.clone()))
            .collect()
    };
    assert_eq!(essentials(&diagnostics), essentials(&expected));
}

#[test]
fn a_thousand_fast_changes_end_in_the_clients_text_and_a_fresh_tree_utf16() {
    run(fast_typist(Encoding::Utf16, false, false));
}

#[test]
fn a_thousand_fast_changes_after_a_pause_end_in_the_clients_text_and_a_fresh_tree_utf8() {
    run(fast_typist(Encoding::Utf8, false, true));
}

#[test]
fn a_thousand_fast_changes_to_a_crlf_document_utf16() {
    run(fast_typist(Encoding::Utf16, true, false));
}

// 6. protocol edges

fn error_code(result: jsonrpc::Result<impl std::fmt::Debug>) -> i64 {
    match result {
        Err(error) => error.code.code(),
        Ok(value) => panic!("expected an error, got {value:?}"),
    }
}

#[test]
fn requests_before_initialize_are_refused_as_server_not_initialized() {
    run(async {
        let mut client = Client::start();
        let uri = demo_uri("events.py");
        let early = client
            .request::<HoverRequest>(hover_params(&uri, Position::new(0, 0)))
            .await;
        assert_eq!(error_code(early), -32002);
        assert_eq!(error_code(syntax_tree(&client, &uri).await), -32002);
        // Refusing them did not break the server: it initializes and serves as usual.
        client.initialize(ClientCapabilities::default(), None).await;
        open(&client, &uri, &demo("events.py"), 1);
        assert!(!client.diagnostics(&uri, 1).await.is_empty());
    });
}

#[test]
fn unknown_documents_are_invalid_params_and_the_server_keeps_serving() {
    run(async {
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let nowhere = uri("nowhere.py");
        let hover = client
            .request::<HoverRequest>(hover_params(&nowhere, Position::new(0, 0)))
            .await;
        assert_eq!(error_code(hover), ErrorCode::InvalidParams.code());
        let actions = client
            .request::<CodeActionRequest>(code_action_params(&nowhere, Range::default(), vec![]))
            .await;
        assert_eq!(error_code(actions), ErrorCode::InvalidParams.code());
        assert_eq!(
            error_code(syntax_tree(&client, &nowhere).await),
            ErrorCode::InvalidParams.code()
        );
        // A change to a document that is not open is a notification: a log line, no answer.
        change(&client, &nowhere, 2, vec![edit(Range::default(), "x")]);

        let uri = demo_uri("events.py");
        let text = demo("events.py");
        open(&client, &uri, &text, 1);
        assert!(!client.diagnostics(&uri, 1).await.is_empty());
        let lambda = find_on_line(&text, 21, "lambda", client.encoding);
        let hover = client
            .request::<HoverRequest>(hover_params(&uri, lambda))
            .await;
        assert!(matches!(hover, Ok(Some(_))), "{hover:?}");
        // The log line was sent before the open's diagnostics, which have arrived.
        assert!(
            client
                .logs()
                .iter()
                .any(|log| log.typ == MessageType::WARNING
                    && log.message.contains("not open")
                    && log.message.contains("nowhere.py")),
            "{:?}",
            client.logs()
        );
    });
}

#[test]
fn positions_past_the_end_are_clamped_not_errors() {
    run(async {
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let uri = demo_uri("events.py");
        let text = demo("events.py");
        open(&client, &uri, &text, 1);
        let diagnostics = client.diagnostics(&uri, 1).await;
        let far = [
            Position::new(0, 10_000),
            Position::new(10_000, 0),
            Position::new(u32::MAX, u32::MAX),
        ];
        for position in far {
            let hover = client
                .request::<HoverRequest>(hover_params(&uri, position))
                .await;
            assert!(hover.is_ok(), "{position:?}: {hover:?}");
            // A client holding stale diagnostics asks for actions at positions that moved away.
            let mut stale = diagnostics[0].clone();
            stale.range = Range::new(position, position);
            let actions = client
                .request::<CodeActionRequest>(code_action_params(&uri, stale.range, vec![stale]))
                .await;
            assert!(actions.is_ok(), "{position:?}: {actions:?}");
        }
        // A change past the end of the text lands at the end of the text.
        let past = Position::new(10_000, 7);
        change(
            &client,
            &uri,
            2,
            vec![edit(Range::new(past, past), "\nx = 1\n")],
        );
        client.diagnostics(&uri, 2).await;
        let server = syntax_tree(&client, &uri).await.unwrap();
        assert_eq!(server.text, format!("{text}\nx = 1\n"));
    });
}

#[test]
fn after_shutdown_requests_are_invalid_and_exit_ends_serving() {
    run(async {
        let mut client = Client::start();
        client.initialize(ClientCapabilities::default(), None).await;
        let uri = demo_uri("events.py");
        open(&client, &uri, &demo("events.py"), 1);
        client.diagnostics(&uri, 1).await;
        client.request::<Shutdown>(()).await.expect("shutdown");
        let hover = client
            .request::<HoverRequest>(hover_params(&uri, Position::new(0, 0)))
            .await;
        assert_eq!(error_code(hover), ErrorCode::InvalidRequest.code());
        assert_eq!(
            error_code(client.request::<Shutdown>(()).await),
            ErrorCode::InvalidRequest.code()
        );
        client.exit().await;
    });
}

// The harness itself: refhound makes no requests to the client yet, so a small server that does
// checks that the harness answers and records them as an editor would.

struct Asking {
    client: tower_lsp_server::Client,
}

impl LanguageServer for Asking {
    async fn initialize(&self, _: InitializeParams) -> jsonrpc::Result<InitializeResult> {
        Ok(InitializeResult::default())
    }

    async fn initialized(&self, _: InitializedParams) {
        let item = ConfigurationItem {
            scope_uri: None,
            section: Some("refhound".into()),
        };
        let settings = self.client.configuration(vec![item.clone(), item]).await;
        self.client
            .log_message(
                MessageType::INFO,
                serde_json::to_string(&settings.unwrap()).unwrap(),
            )
            .await;
        let token = NumberOrString::String("scan".into());
        self.client
            .send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams { token })
            .await
            .unwrap();
        let registration = Registration {
            id: "watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: None,
        };
        self.client
            .register_capability(vec![registration])
            .await
            .unwrap();
        let unregistration = Unregistration {
            id: "watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
        };
        self.client
            .unregister_capability(vec![unregistration])
            .await
            .unwrap();
        self.client.show_message(MessageType::INFO, "done").await;
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        Ok(())
    }
}

#[test]
fn the_harness_answers_and_records_server_requests() {
    run(async {
        let (service, socket) = LspService::new(|client| Asking { client });
        let mut client = Client::connect(service, socket);
        let settings = json!({"select": ["RH101"]});
        client.set_configuration(settings.clone());
        client.initialize(ClientCapabilities::default(), None).await;
        client
            .notification::<ShowMessage>(|shown| shown.message == "done")
            .await;
        let requests = client.server_requests();
        let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(
            methods,
            [
                "workspace/configuration",
                "window/workDoneProgress/create",
                "client/registerCapability",
                "client/unregisterCapability"
            ]
        );
        assert_eq!(requests[0].answer, json!([settings, settings]));
        assert_eq!(requests[1].params, json!({"token": "scan"}));
        assert!(requests[1..].iter().all(|r| r.answer == Value::Null));
        let logs = client.logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(
            serde_json::from_str::<Value>(&logs[0].message).unwrap(),
            json!([settings, settings])
        );
        assert_eq!(client.shown_messages().len(), 1);
        client.request::<Shutdown>(()).await.unwrap();
        client.exit().await;
    });
}
