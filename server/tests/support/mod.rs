//! An in-process LSP client for end-to-end tests.
//!
//! The server runs exactly as `refhound server` runs it (`tower_lsp_server::Server::serve`, the
//! real JSON-RPC framing and concurrency), but over an in-memory duplex instead of stdio, so a test
//! needs no binary, no process and no pipes, and can talk to the server in typed LSP messages.
//!
//! The client answers the requests a server sends on its own (`workspace/configuration`,
//! `window/workDoneProgress/create`, `client/registerCapability`, ...) the way an editor does, and
//! records them, so a test can check that they happened. Waits time out after [`TIMEOUT`] only so
//! that a broken server fails the test instead of hanging it; no test asserts on timing.

#![allow(dead_code)] // Each test file uses its own part of the harness.

pub mod random;
pub mod text;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::notification::{
    Exit, Initialized, LogMessage, Notification, PublishDiagnostics, ShowMessage,
};
use tower_lsp_server::ls_types::request::{
    Initialize, RegisterCapability, Request, UnregisterCapability, WorkDoneProgressCreate,
    WorkspaceConfiguration,
};
use tower_lsp_server::ls_types::{
    ClientCapabilities, Diagnostic, GeneralClientCapabilities, InitializeParams, InitializeResult,
    InitializedParams, LogMessageParams, PositionEncodingKind, PublishDiagnosticsParams,
    ShowMessageParams, Uri,
};
use tower_lsp_server::{ClientSocket, LanguageServer, LspService, Server};

pub use text::Encoding;

/// How long any single wait may take before the test fails instead of hanging. Generous: it only
/// has to be longer than anything a working server does on a slow, busy machine.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs an async test on a runtime built like the server's own (`lsp::serve_stdio`): analysis
/// recurses deeply, so every runtime thread, `spawn_blocking` ones included, gets
/// [`refhound::analysis::scope::STACK_SIZE`] bytes of stack. The test body itself runs as a task
/// on that runtime too, so it has the same stack; its panic is the test's panic.
pub fn run<F>(test: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(refhound::analysis::scope::STACK_SIZE)
        .build()
        .expect("a tokio runtime starts");
    let task = runtime.spawn(test);
    let outcome = runtime.block_on(task);
    // Let the server's tasks end with the runtime instead of outliving the test.
    runtime.shutdown_timeout(Duration::from_secs(5));
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test task did not finish: {error}"),
        }
    }
}

/// Client capabilities that offer UTF-8 positions (and UTF-16, which every client must support).
pub fn utf8_capabilities() -> ClientCapabilities {
    ClientCapabilities {
        general: Some(GeneralClientCapabilities {
            position_encodings: Some(vec![
                PositionEncodingKind::UTF8,
                PositionEncodingKind::UTF16,
            ]),
            ..GeneralClientCapabilities::default()
        }),
        ..ClientCapabilities::default()
    }
}

/// Client capabilities for `encoding`: UTF-8 offered, or nothing offered (UTF-16, LSP's default).
pub fn capabilities_for(encoding: Encoding) -> ClientCapabilities {
    match encoding {
        Encoding::Utf8 => utf8_capabilities(),
        Encoding::Utf16 => ClientCapabilities::default(),
    }
}

/// A `file://` URI for a test document; tests use made-up paths so that snapshots do not depend
/// on where the repository is checked out.
pub fn uri(path: &str) -> Uri {
    format!("file:///{}", path.trim_start_matches('/'))
        .parse()
        .expect("a valid file URI")
}

/// A request the server sent to the client, with the answer the client gave.
#[derive(Debug, Clone)]
pub struct ServerRequest {
    pub method: String,
    pub params: Value,
    pub answer: Value,
}

/// What the client's reader task shares with the test: how to answer, and what it has seen.
#[derive(Default)]
struct Shared {
    /// The value answered for each item of a `workspace/configuration` request.
    configuration: Mutex<Value>,
    server_requests: Mutex<Vec<ServerRequest>>,
    logs: Mutex<Vec<LogMessageParams>>,
    shown: Mutex<Vec<ShowMessageParams>>,
    /// Callers waiting for the response to a request, by id.
    pending: Mutex<HashMap<i64, oneshot::Sender<Value>>>,
}

/// The client side of one server. Dropping it closes the connection.
pub struct Client {
    outgoing: mpsc::UnboundedSender<Value>,
    notifications: mpsc::UnboundedReceiver<Value>,
    /// Notifications received while waiting for another one, kept for later waits.
    backlog: VecDeque<Value>,
    shared: Arc<Shared>,
    next_id: AtomicI64,
    server: Option<JoinHandle<()>>,
    /// The position encoding the server chose at `initialize` (UTF-16 until then).
    pub encoding: Encoding,
}

impl Client {
    /// Starts a fresh refhound server and connects to it. Call from inside [`run`].
    pub fn start() -> Client {
        let (service, socket) = refhound::lsp::service();
        Client::connect(service, socket)
    }

    /// Serves `service` over an in-memory duplex and connects to it; any language server works,
    /// which lets the harness be tested against a server that makes requests refhound does not.
    pub fn connect<S: LanguageServer>(service: LspService<S>, socket: ClientSocket) -> Client {
        let (client_end, server_end) = tokio::io::duplex(1 << 16);
        let (server_read, server_write) = tokio::io::split(server_end);
        let server = tokio::spawn(async move {
            Server::new(server_read, server_write, socket)
                .serve(service)
                .await;
        });

        let (client_read, mut client_write) = tokio::io::split(client_end);
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<Value>();
        // One writer task frames every outgoing message, so sending never awaits: a test can fire
        // a thousand notifications back to back, in order.
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                let body = message.to_string();
                let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
                if client_write.write_all(frame.as_bytes()).await.is_err() {
                    return; // The server is gone; the test learns it from a missing answer.
                }
            }
        });

        let shared = Arc::new(Shared {
            configuration: Mutex::new(Value::Null),
            ..Shared::default()
        });
        let (notify, notifications) = mpsc::unbounded_channel();
        tokio::spawn(read_messages(
            BufReader::new(client_read),
            Arc::clone(&shared),
            outgoing.clone(),
            notify,
        ));

        Client {
            outgoing,
            notifications,
            backlog: VecDeque::new(),
            shared,
            next_id: AtomicI64::new(1),
            server: Some(server),
            encoding: Encoding::Utf16,
        }
    }

    /// `initialize` with these capabilities and options, then `initialized`; remembers the
    /// negotiated position encoding for the text helpers.
    pub async fn initialize(
        &mut self,
        capabilities: ClientCapabilities,
        initialization_options: Option<Value>,
    ) -> InitializeResult {
        self.initialize_with(InitializeParams {
            capabilities,
            initialization_options,
            ..InitializeParams::default()
        })
        .await
    }

    /// `initialize` with any parameters (workspace folders, ...), then `initialized`.
    pub async fn initialize_with(&mut self, params: InitializeParams) -> InitializeResult {
        let result = self
            .request::<Initialize>(params)
            .await
            .expect("initialize succeeds");
        self.encoding = match &result.capabilities.position_encoding {
            Some(kind) if *kind == PositionEncodingKind::UTF8 => Encoding::Utf8,
            _ => Encoding::Utf16,
        };
        self.notify::<Initialized>(InitializedParams {});
        result
    }

    /// Waits until the server has sent a request with this method (answered by the client).
    pub async fn server_request(&self, method: &str) -> ServerRequest {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(request) = self
                .server_requests()
                .into_iter()
                .find(|r| r.method == method)
            {
                return request;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {method} request within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Sends a request and waits for its response: the typed result, or the JSON-RPC error.
    pub async fn request<R: Request>(&self, params: R::Params) -> jsonrpc::Result<R::Result> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer, response) = oneshot::channel();
        self.shared.pending.lock().unwrap().insert(id, answer);
        let mut message = json!({"jsonrpc": "2.0", "id": id, "method": R::METHOD});
        set_params(&mut message, params);
        self.send(message);
        let response = tokio::time::timeout(TIMEOUT, response)
            .await
            .unwrap_or_else(|_| panic!("no response to {} within {TIMEOUT:?}", R::METHOD))
            .unwrap_or_else(|_| panic!("the server closed before answering {}", R::METHOD));
        if let Some(error) = response.get("error") {
            return Err(serde_json::from_value(error.clone()).expect("a JSON-RPC error object"));
        }
        let result = response.get("result").cloned().unwrap_or(Value::Null);
        Ok(serde_json::from_value(result)
            .unwrap_or_else(|error| panic!("the result of {} does not parse: {error}", R::METHOD)))
    }

    /// Sends a request with any parameters, well-formed or not, and returns the whole response
    /// (`result` or `error`).
    pub async fn request_raw(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer, response) = oneshot::channel();
        self.shared.pending.lock().unwrap().insert(id, answer);
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        tokio::time::timeout(TIMEOUT, response)
            .await
            .unwrap_or_else(|_| panic!("no response to {method} within {TIMEOUT:?}"))
            .unwrap_or_else(|_| panic!("the server closed before answering {method}"))
    }

    /// Sends a notification without waiting for anything.
    pub fn notify<N: Notification>(&self, params: N::Params) {
        let mut message = json!({"jsonrpc": "2.0", "method": N::METHOD});
        set_params(&mut message, params);
        self.send(message);
    }

    /// Sends any JSON-RPC message as is, for what the typed calls cannot express.
    pub fn send(&self, message: Value) {
        // A closed channel means the connection is gone; a later wait reports it.
        let _ = self.outgoing.send(message);
    }

    /// The next notification `N` whose parameters `accept` takes (earlier ones that were skipped
    /// by other waits included); others stay for later waits.
    pub async fn notification<N: Notification>(
        &mut self,
        accept: impl Fn(&N::Params) -> bool,
    ) -> N::Params {
        let take = |message: &Value| -> Option<N::Params> {
            if message["method"] != N::METHOD {
                return None;
            }
            let params = message.get("params").cloned().unwrap_or(Value::Null);
            let params: N::Params = serde_json::from_value(params).unwrap_or_else(|error| {
                panic!("{} parameters do not parse: {error}: {message}", N::METHOD)
            });
            accept(&params).then_some(params)
        };
        if let Some(index) = self.backlog.iter().position(|m| take(m).is_some()) {
            let message = self.backlog.remove(index).unwrap();
            return take(&message).unwrap();
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.notifications.recv())
                .await
                .unwrap_or_else(|_| panic!("no matching {} within {TIMEOUT:?}", N::METHOD))
                .unwrap_or_else(|| panic!("the server closed before sending {}", N::METHOD));
            match take(&message) {
                Some(params) => return params,
                None => self.backlog.push_back(message),
            }
        }
    }

    /// The diagnostics published for `uri` at `version`.
    pub async fn diagnostics(&mut self, uri: &Uri, version: i32) -> Vec<Diagnostic> {
        self.notification::<PublishDiagnostics>(|p| &p.uri == uri && p.version == Some(version))
            .await
            .diagnostics
    }

    /// Every `publishDiagnostics` received so far and not yet taken by a wait, in order; for
    /// checks over the whole stream (versions never going back, ...).
    pub fn published_so_far(&mut self) -> Vec<PublishDiagnosticsParams> {
        while let Ok(message) = self.notifications.try_recv() {
            self.backlog.push_back(message);
        }
        self.backlog
            .iter()
            .filter(|m| m["method"] == PublishDiagnostics::METHOD)
            .map(|m| serde_json::from_value(m["params"].clone()).expect("publishDiagnostics"))
            .collect()
    }

    /// What to answer for each item of a `workspace/configuration` request from now on (`null`,
    /// "no settings", until set).
    pub fn set_configuration(&self, value: Value) {
        *self.shared.configuration.lock().unwrap() = value;
    }

    /// The requests the server has sent to the client so far, with the answers given.
    pub fn server_requests(&self) -> Vec<ServerRequest> {
        self.shared.server_requests.lock().unwrap().clone()
    }

    /// `window/logMessage` notifications so far.
    pub fn logs(&self) -> Vec<LogMessageParams> {
        self.shared.logs.lock().unwrap().clone()
    }

    /// `window/showMessage` notifications so far.
    pub fn shown_messages(&self) -> Vec<ShowMessageParams> {
        self.shared.shown.lock().unwrap().clone()
    }

    /// Sends `exit` and waits until the server's `serve` returns, as a process would exit.
    pub async fn exit(&mut self) {
        self.notify::<Exit>(());
        let server = self.server.take().expect("the server is still running");
        tokio::time::timeout(TIMEOUT, server)
            .await
            .unwrap_or_else(|_| panic!("serve did not return within {TIMEOUT:?} of exit"))
            .expect("the serving task ends without panicking");
    }
}

/// Adds `params` to a message unless they are `()`, which JSON-RPC spells as no `params` at all.
fn set_params<P: serde::Serialize>(message: &mut Value, params: P) {
    let params = serde_json::to_value(params).expect("parameters serialize");
    if !params.is_null() {
        message["params"] = params;
    }
}

/// Reads the server's messages until it closes: routes responses to their waiting requests,
/// answers server requests, keeps log messages, and passes every notification on.
async fn read_messages<R: tokio::io::AsyncRead + Unpin>(
    mut reader: BufReader<R>,
    shared: Arc<Shared>,
    outgoing: mpsc::UnboundedSender<Value>,
    notifications: mpsc::UnboundedSender<Value>,
) {
    while let Some(message) = read_frame(&mut reader).await {
        let method = message.get("method").and_then(Value::as_str);
        match (method, message.get("id")) {
            // A response to one of our requests.
            (None, Some(id)) => {
                let waiting = id
                    .as_i64()
                    .and_then(|id| shared.pending.lock().unwrap().remove(&id));
                match waiting {
                    // The test may have stopped waiting; nothing to do then.
                    Some(waiting) => drop(waiting.send(message)),
                    None => panic!("a response to no request: {message}"),
                }
            }
            // A request from the server: answer as an editor would.
            (Some(method), Some(id)) => {
                let params = message.get("params").cloned().unwrap_or(Value::Null);
                let answer = answer(&shared, method, &params);
                let mut reply = json!({"jsonrpc": "2.0", "id": id});
                match &answer {
                    Ok(result) => reply["result"] = result.clone(),
                    Err(error) => reply["error"] = error.clone(),
                }
                shared.server_requests.lock().unwrap().push(ServerRequest {
                    method: method.to_string(),
                    params,
                    answer: answer.unwrap_or_else(|error| error),
                });
                let _ = outgoing.send(reply);
            }
            (Some(method), None) => {
                let params = message.get("params").cloned().unwrap_or(Value::Null);
                if method == LogMessage::METHOD {
                    let log = serde_json::from_value(params).expect("logMessage parameters");
                    shared.logs.lock().unwrap().push(log);
                } else if method == ShowMessage::METHOD {
                    let shown = serde_json::from_value(params).expect("showMessage parameters");
                    shared.shown.lock().unwrap().push(shown);
                }
                let _ = notifications.send(message);
            }
            (None, None) => panic!("not a JSON-RPC message: {message}"),
        }
    }
}

/// The client's answer to a server request: a result, or a JSON-RPC error for methods an
/// editor would not know either.
fn answer(shared: &Shared, method: &str, params: &Value) -> Result<Value, Value> {
    match method {
        m if m == WorkspaceConfiguration::METHOD => {
            let items = params["items"].as_array().map_or(0, Vec::len);
            let value = shared.configuration.lock().unwrap().clone();
            Ok(Value::Array(vec![value; items]))
        }
        m if m == WorkDoneProgressCreate::METHOD
            || m == RegisterCapability::METHOD
            || m == UnregisterCapability::METHOD =>
        {
            Ok(Value::Null)
        }
        _ => Err(json!({"code": -32601, "message": format!("the test client has no {method}")})),
    }
}

/// One `Content-Length`-framed JSON-RPC message, or `None` at the end of the stream.
async fn read_frame<R: tokio::io::AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).await.ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .expect("a numeric Content-Length"),
            );
        }
    }
    let mut body = vec![0; length.expect("a Content-Length header")];
    reader.read_exact(&mut body).await.ok()?;
    Some(serde_json::from_slice(&body).expect("the server sends JSON"))
}
