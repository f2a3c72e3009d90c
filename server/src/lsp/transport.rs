//! The wire between the editor and tower-lsp-server.
//!
//! tower-lsp-server reads its input through a framed codec that ends the stream at the first
//! message it cannot decode, and the server with it: one truncated frame, a lone surrogate in a
//! string or a float id and the editor loses its server. The base protocol asks for better: a
//! body that is not JSON is answered with a parse error (-32700), JSON that is not a JSON-RPC
//! message with an invalid request error (-32600), and the server reads on.
//!
//! So the server's input passes through here first. [`Frames`] cuts the byte stream into frames
//! (`Content-Length` headers, a blank line, the body), skips whatever is not a frame up to the
//! next `Content-Length` header, and [`judge`] sorts each body: a message tower-lsp-server
//! decodes is passed on, re-framed; anything else is answered here, through the same writer the
//! server's own output goes through (whole frames only, so the two never interleave).
//!
//! The input task also notes what ends the session: the end of the input, and the `exit`
//! notification, after which the server must stop whatever is still in flight.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// Headers longer than this are not headers: the bytes are skipped to the next frame.
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Bodies larger than this are refused (and skipped): a client that means it sends files, not
/// gigabytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

const CONTENT_LENGTH: &[u8] = b"content-length:";

/// What the frame reader found next in the input.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A complete body.
    Body(Vec<u8>),
    /// Bytes that were not a frame, skipped; why, for the log and the error answer.
    Garbage(String),
}

/// Cuts an input byte stream into frames; resynchronises on the next `Content-Length` header.
#[derive(Default)]
pub struct Frames {
    buffer: Vec<u8>,
    /// The body length of the frame whose headers were read.
    body: Option<usize>,
}

impl Frames {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next frame, or `None` until more input arrives.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(length) = self.body {
                if self.buffer.len() < length {
                    return None;
                }
                self.body = None;
                let body: Vec<u8> = self.buffer.drain(..length).collect();
                // A `Content-Length` too large swallows the next frame's header: if the body is
                // not a message and holds a header, the input starts again from that header.
                // Only whether it parses as JSON (escapes unchecked): nothing is built.
                if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err()
                    && let Some(at) = find_header(&body, 1)
                {
                    let rest = body[at..].to_vec();
                    self.buffer.splice(0..0, rest);
                    return Some(Frame::Garbage(
                        "a frame's body is cut short by the next frame's header".to_string(),
                    ));
                }
                return Some(Frame::Body(body));
            }
            if self.buffer.is_empty() {
                return None;
            }
            // Whatever comes before a header is skipped.
            match find_header(&self.buffer, 0) {
                Some(0) => {}
                Some(at) => {
                    self.buffer.drain(..at);
                    return Some(Frame::Garbage(format!(
                        "{at} bytes before a Content-Length header"
                    )));
                }
                None => {
                    // Keep a tail that may be the start of a header still arriving.
                    if self.buffer.len() > MAX_HEADER_BYTES {
                        let keep = CONTENT_LENGTH.len();
                        let skipped = self.buffer.len() - keep;
                        self.buffer.drain(..skipped);
                        return Some(Frame::Garbage(format!(
                            "{skipped} bytes without a Content-Length header"
                        )));
                    }
                    return None;
                }
            }
            let Some(end) = find(&self.buffer, b"\r\n\r\n") else {
                if self.buffer.len() > MAX_HEADER_BYTES {
                    self.buffer.drain(..1);
                    return Some(Frame::Garbage("headers too long".to_string()));
                }
                return None;
            };
            let headers = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
            // A second header in the block means the first frame's headers never ended.
            if let Some(at) = find_header(&self.buffer[..end], 1) {
                self.buffer.drain(..at);
                return Some(Frame::Garbage(
                    "a Content-Length header without a blank line after it".to_string(),
                ));
            }
            self.buffer.drain(..end + 4);
            match content_length(&headers) {
                Ok(length) if length <= MAX_BODY_BYTES => self.body = Some(length),
                Ok(length) => {
                    return Some(Frame::Garbage(format!(
                        "a body of {length} bytes, more than the {MAX_BODY_BYTES} accepted"
                    )));
                }
                Err(why) => return Some(Frame::Garbage(why)),
            }
        }
    }
}

/// The `Content-Length` of a header block (other headers, `Content-Type` say, are ignored).
fn content_length(headers: &str) -> Result<usize, String> {
    let mut length = None;
    for line in headers.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("a header line without a colon: {line:?}"));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("a bad Content-Length: {:?}", value.trim()))?,
            );
        }
    }
    length.ok_or_else(|| "headers without a Content-Length".to_string())
}

/// Where the first `Content-Length` header at or after `from` starts.
fn find_header(bytes: &[u8], from: usize) -> Option<usize> {
    let tail = bytes.get(from..)?;
    find_ignore_case(tail, CONTENT_LENGTH).map(|at| from + at)
}

fn find(bytes: &[u8], needle: &[u8]) -> Option<usize> {
    bytes.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(bytes: &[u8], needle: &[u8]) -> Option<usize> {
    bytes
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// What to do with one frame's body.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A message tower-lsp-server decodes: pass it on. `method` for requests and notifications.
    Pass { method: Option<String> },
    /// Answer this error frame (body) here.
    Answer(Vec<u8>),
}

/// Sorts one body: a JSON-RPC message passes; other JSON gets -32600, and what is not JSON at
/// all -32700, with the message's id where one can be read.
pub fn judge(body: &[u8]) -> Verdict {
    // Tried in tower-lsp-server's order: a response first.
    if serde_json::from_slice::<Response>(body).is_ok() {
        return Verdict::Pass { method: None };
    }
    // tower-lsp-server takes a missing method for an empty one: that is no request.
    if let Ok(request) = serde_json::from_slice::<Request>(body)
        && !request.method().is_empty()
    {
        return Verdict::Pass {
            method: Some(request.method().to_string()),
        };
    }
    let (code, message, id) = match serde_json::from_slice::<Value>(body) {
        Err(error) => (-32700, format!("Parse error: {error}"), Value::Null),
        Ok(value) => {
            let id = match value.get("id") {
                Some(id @ Value::String(_)) => id.clone(),
                Some(Value::Number(n)) if n.is_i64() => Value::Number(n.clone()),
                _ => Value::Null,
            };
            (
                -32600,
                "Invalid request: not a JSON-RPC 2.0 request, notification or response \
                 (a method name, an integer or string id, `\"jsonrpc\": \"2.0\"`)"
                    .to_string(),
                id,
            )
        }
    };
    Verdict::Answer(error_body(id, code, &message))
}

fn error_body(id: Value, code: i64, message: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message},
    }))
    .expect("a JSON value serializes")
}

/// The answer to bytes that were not a frame.
pub fn garbage_answer(why: &str) -> Vec<u8> {
    error_body(Value::Null, -32700, &format!("Parse error: {why}"))
}

/// `body` with its header.
pub fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Cuts the server's own output (always well formed) into whole frames.
#[derive(Default)]
pub struct OutputFrames {
    buffer: Vec<u8>,
}

impl OutputFrames {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame, header included.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        let end = find(&self.buffer, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&self.buffer[..end]).ok()?;
        let length = content_length(headers).ok()?;
        let total = end + 4 + length;
        if self.buffer.len() < total {
            return None;
        }
        Some(self.buffer.drain(..total).collect())
    }
}

/// How the client's input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The input closed (the client is gone).
    Closed,
    /// The `exit` notification was passed on.
    Exit,
}

/// Reads the client's input: messages go on to the server (`server`), answers to what is not a
/// message go to `answers`. Returns when the input ends or after `exit`; `shutdown` is set once a
/// `shutdown` request has been read.
pub async fn pump_input(
    mut input: impl AsyncRead + Unpin,
    mut server: impl AsyncWrite + Unpin,
    answers: mpsc::UnboundedSender<Vec<u8>>,
    shutdown: &AtomicBool,
) -> End {
    let mut frames = Frames::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = match input.read(&mut chunk).await {
            Ok(0) | Err(_) => return End::Closed,
            Ok(read) => read,
        };
        frames.push(&chunk[..read]);
        while let Some(frame) = frames.next_frame() {
            let answer = match frame {
                Frame::Body(body) => match judge(&body) {
                    Verdict::Pass { method } => {
                        if server.write_all(&framed(&body)).await.is_err() {
                            return End::Closed;
                        }
                        match method.as_deref() {
                            Some("shutdown") => shutdown.store(true, Ordering::Release),
                            Some("exit") => {
                                let _ = server.flush().await;
                                return End::Exit;
                            }
                            _ => {}
                        }
                        continue;
                    }
                    Verdict::Answer(answer) => answer,
                },
                Frame::Garbage(why) => {
                    eprintln!("refhound: skipped input that is not a message: {why}");
                    garbage_answer(&why)
                }
            };
            let _ = answers.send(framed(&answer));
        }
        if server.flush().await.is_err() {
            return End::Closed;
        }
    }
}

/// Passes the server's output on to `frames`, one whole frame at a time.
pub async fn pump_output(
    mut output: impl AsyncRead + Unpin,
    frames: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut cut = OutputFrames::default();
    let mut chunk = vec![0u8; 64 * 1024];
    while let Ok(read) = output.read(&mut chunk).await {
        if read == 0 {
            return;
        }
        cut.push(&chunk[..read]);
        while let Some(frame) = cut.next_frame() {
            if frames.send(frame).is_err() {
                return;
            }
        }
    }
}

/// Writes whole frames to the client, in the order they come. Each is written holding
/// `writing`: whoever ends the process takes it first, so that no frame is cut short.
pub async fn write_frames(
    mut out: impl AsyncWrite + Unpin,
    mut frames: mpsc::UnboundedReceiver<Vec<u8>>,
    writing: std::sync::Arc<tokio::sync::Mutex<()>>,
) {
    while let Some(frame) = frames.recv().await {
        let _writing = writing.lock().await;
        if out.write_all(&frame).await.is_err() || out.flush().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames_of(input: &[u8]) -> Vec<Frame> {
        let mut frames = Frames::default();
        frames.push(input);
        std::iter::from_fn(|| frames.next_frame()).collect()
    }

    const HOVER: &str = r#"{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{}}"#;

    fn body(frame: &Frame) -> &[u8] {
        match frame {
            Frame::Body(body) => body,
            Frame::Garbage(why) => panic!("garbage: {why}"),
        }
    }

    #[test]
    fn a_truncated_frame_is_answered_and_the_next_one_read() {
        let mut input = b"Content-Length: 16\r\n\r\n{\"jsonrpc\":\"2.0\"".to_vec();
        input.extend(framed(HOVER.as_bytes()));
        let frames = frames_of(&input);
        assert_eq!(frames.len(), 2);
        assert!(matches!(judge(body(&frames[0])), Verdict::Answer(_)));
        assert_eq!(body(&frames[1]), HOVER.as_bytes());
    }

    #[test]
    fn a_content_length_too_large_gives_the_next_frame_back() {
        let mut input = b"Content-Length: 90\r\n\r\n{\"jsonrpc\":".to_vec();
        input.extend(framed(HOVER.as_bytes()));
        input.extend(framed(HOVER.as_bytes()));
        let frames = frames_of(&input);
        assert!(matches!(frames[0], Frame::Garbage(_)));
        assert_eq!(body(&frames[1]), HOVER.as_bytes());
        assert_eq!(body(&frames[2]), HOVER.as_bytes());
    }

    #[test]
    fn bad_headers_are_skipped_to_the_next_frame() {
        for bad in [
            &b"Content-Length: x\r\n\r\n"[..],
            b"Content-Type: application/json\r\n\r\n{}",
            b"Content-Length: 5\r\nContent-Length: 5\r\n",
            b"garbage\r\n",
            b"Content-Length: 3\r\nX: y\r\nZ\r\n\r\n{}",
        ] {
            let mut input = bad.to_vec();
            input.extend(framed(HOVER.as_bytes()));
            let frames = frames_of(&input);
            assert!(
                frames.iter().any(|f| matches!(f, Frame::Garbage(_))),
                "{bad:?}"
            );
            assert_eq!(body(frames.last().unwrap()), HOVER.as_bytes(), "{bad:?}");
        }
    }

    #[test]
    fn headers_in_any_case_and_other_headers_are_accepted() {
        let mut input =
            b"content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}"
                .to_vec();
        input.extend(framed(HOVER.as_bytes()));
        let frames = frames_of(&input);
        assert_eq!(body(&frames[0]), b"{}");
        assert_eq!(body(&frames[1]), HOVER.as_bytes());
    }

    fn answer(body: &str) -> Value {
        match judge(body.as_bytes()) {
            Verdict::Answer(answer) => serde_json::from_slice(&answer).unwrap(),
            Verdict::Pass { .. } => panic!("passed: {body}"),
        }
    }

    #[test]
    fn bodies_are_judged_as_json_rpc_asks() {
        assert_eq!(
            judge(HOVER.as_bytes()),
            Verdict::Pass {
                method: Some("textDocument/hover".into())
            }
        );
        assert_eq!(
            judge(br#"{"jsonrpc":"2.0","id":1,"result":null}"#),
            Verdict::Pass { method: None }
        );
        let parse_error =
            answer(r#"{"jsonrpc":"2.0","id":3,"method":"x","params":{"a":"\ud800"}}"#);
        assert_eq!(parse_error["error"]["code"], -32700);
        assert_eq!(parse_error["id"], Value::Null);
        let float_id = answer(r#"{"jsonrpc":"2.0","id":1.5,"method":"textDocument/hover"}"#);
        assert_eq!(float_id["error"]["code"], -32600);
        let no_method = answer(r#"{"jsonrpc":"2.0","id":7}"#);
        assert_eq!(
            (no_method["error"]["code"].clone(), no_method["id"].clone()),
            (json!(-32600), json!(7))
        );
        assert_eq!(answer("[1, 2]")["error"]["code"], -32600);
        assert_eq!(
            answer(r#"{"jsonrpc":"1.0","id":"a","method":"m"}"#)["id"],
            "a"
        );
    }

    #[test]
    fn output_is_cut_into_whole_frames() {
        let mut output = OutputFrames::default();
        let both = [framed(HOVER.as_bytes()), framed(b"{}")].concat();
        output.push(&both[..10]);
        assert_eq!(output.next_frame(), None);
        output.push(&both[10..]);
        assert_eq!(output.next_frame(), Some(framed(HOVER.as_bytes())));
        assert_eq!(output.next_frame(), Some(framed(b"{}")));
        assert_eq!(output.next_frame(), None);
    }
}
