//! `refhound server` over standard input and output, driven like an editor would: initialize,
//! open the demo's `events.py`, edit it incrementally, shut down.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_refhound"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("refhound server starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    if stdout.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(value) = header.strip_prefix("Content-Length: ") {
                        length = value.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                stdout.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message `accept` takes, skipping others (log messages, ...).
    fn wait_for(&self, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {what} from the server"));
            if accept(&message) {
                return message;
            }
        }
    }

    fn diagnostics(&self, version: i64) -> Vec<Value> {
        let message = self.wait_for("publishDiagnostics", |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    codes
}

#[test]
fn open_edit_and_shut_down() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/demo/leaky_service/events.py"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let uri = "file:///demo/events.py";
    let mut client = Client::start();
    client.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "capabilities": {"general": {"positionEncodings": ["utf-16", "utf-8"]}}}}),
    );
    let initialized = client.wait_for("initialize result", |m| m["id"] == 1);
    assert_eq!(
        initialized["result"]["capabilities"]["positionEncoding"],
        "utf-8"
    );
    assert_eq!(
        initialized["result"]["capabilities"]["textDocumentSync"]["change"],
        2
    );
    client.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}}),
    );
    let opened = client.diagnostics(1);
    assert_eq!(codes(&opened), ["RH101", "RH301", "RH501"]);
    let listener = opened.iter().find(|d| d["code"] == "RH501").unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("add_listener(lambda"))
        .unwrap();
    assert_eq!(listener["range"]["start"]["line"], line);
    assert_eq!(listener["range"]["start"]["character"], 4);
    assert_eq!(listener["source"], "refhound");

    // The lambda's hover lists what it captures, as co_freevars would.
    let lambda = text.lines().nth(line).unwrap().find("lambda").unwrap();
    client.send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": lambda}}}),
    );
    let hover = client.wait_for("hover result", |m| m["id"] == 3);
    let markdown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.starts_with(
            "lambda captures (`co_freevars`, as CPython 3.13 stores it):\n- `big`, bound line"
        ),
        "{markdown}"
    );

    // A document that is not open is an error, and the server keeps serving.
    client.send(
        json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": 0, "character": 0}}}),
    );
    let error = client.wait_for("hover error", |m| m["id"] == 4);
    assert_eq!(error["error"]["code"], -32602, "{error}");

    // "Ignore RH501 on this line" appends the suppression comment at the end of the line.
    client.send(
        json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri}, "range": listener["range"],
        "context": {"diagnostics": [listener]}}}),
    );
    let actions = client.wait_for("code actions", |m| m["id"] == 5);
    let action = &actions["result"][0];
    assert_eq!(action["title"], "Ignore RH501 on this line");
    let edit = &action["edit"]["changes"][uri][0];
    let end = text.lines().nth(line).unwrap().len();
    assert_eq!(
        edit["range"]["start"],
        json!({"line": line, "character": end})
    );
    assert_eq!(edit["newText"], "  # refhound: ignore[RH501]");

    // Comment out the registration: RH101 and RH501 go, RH301 stays.
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": {"start": {"line": line, "character": 4},
                                      "end": {"line": line, "character": 4}}, "text": "# "}]}}),
    );
    assert_eq!(codes(&client.diagnostics(2)), ["RH301"]);

    client.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    client.wait_for("shutdown result", |m| m["id"] == 2);
    client.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = client.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// The protocol's exit status: `exit` without `shutdown` first is an error (1).
#[test]
fn exit_without_shutdown_is_status_one() {
    let mut client = Client::start();
    client.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"capabilities": {}}}));
    client.wait_for("initialize result", |m| m["id"] == 1);
    client.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    client.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = client.child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status}");
}
