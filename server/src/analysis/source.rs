//! Turning a Python file's bytes into text, as CPython does (PEP 263).
//!
//! A UTF-8 byte order mark means UTF-8. Otherwise a coding cookie (`# -*- coding: latin-1 -*-`) on
//! the first line, or on the second when the first is blank or a comment, names the encoding. With
//! neither, the file is UTF-8. Bytes that do not decode are an error for that file, as they are for
//! CPython, never a panic.

use std::fmt;

/// Why a file's bytes could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The coding cookie names an encoding refhound does not know.
    UnknownEncoding(String),
    /// A UTF-8 byte order mark together with a cookie naming another encoding.
    BomConflict(String),
    /// The bytes are not valid in the file's encoding; `line` is 1-based.
    Invalid { encoding: String, line: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownEncoding(name) => {
                write!(f, "unknown encoding in coding cookie: {name}")
            }
            DecodeError::BomConflict(name) => {
                write!(
                    f,
                    "UTF-8 byte order mark together with coding cookie {name}"
                )
            }
            DecodeError::Invalid { encoding, line } => {
                write!(f, "line {line} is not valid {encoding}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Decodes a Python source file. The byte order mark, if any, is not part of the text.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    let (has_bom, body) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let encoding = coding_cookie(body).map(|name| normalize_encoding_name(&name));
    match encoding.as_deref() {
        None | Some("utf-8") => decode_utf8(body),
        Some(other) if has_bom => Err(DecodeError::BomConflict(other.to_string())),
        Some("iso-8859-1") => Ok(body.iter().map(|&b| char::from(b)).collect()),
        Some("ascii") => {
            if let Some(pos) = body.iter().position(|b| !b.is_ascii()) {
                Err(invalid("ascii", body, pos))
            } else {
                decode_utf8(body)
            }
        }
        Some(name) => decode_with_label(body, name),
    }
}

fn decode_utf8(body: &[u8]) -> Result<String, DecodeError> {
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(err) => Err(invalid("utf-8", body, err.valid_up_to())),
    }
}

fn decode_with_label(body: &[u8], name: &str) -> Result<String, DecodeError> {
    let encoding = encoding_rs::Encoding::for_label_no_replacement(name.as_bytes())
        .ok_or_else(|| DecodeError::UnknownEncoding(name.to_string()))?;
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        // encoding_rs does not say where; the first replacement character tells the line.
        let line = text
            .find('\u{fffd}')
            .map_or(1, |pos| text[..pos].matches('\n').count() + 1);
        return Err(DecodeError::Invalid {
            encoding: name.to_string(),
            line,
        });
    }
    Ok(text.into_owned())
}

fn invalid(encoding: &str, body: &[u8], pos: usize) -> DecodeError {
    let line = body[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
    DecodeError::Invalid {
        encoding: encoding.to_string(),
        line,
    }
}

/// The encoding named by a coding cookie on line 1, or on line 2 when line 1 holds only a comment
/// or whitespace (CPython's rule).
fn coding_cookie(body: &[u8]) -> Option<String> {
    let mut lines = body.split(|&b| b == b'\n');
    let first = lines.next()?;
    if let Some(name) = cookie_in_line(first) {
        return Some(name);
    }
    let first_is_blank_or_comment = first
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r'))
        .is_none_or(|&b| b == b'#');
    if first_is_blank_or_comment {
        return lines.next().and_then(cookie_in_line);
    }
    None
}

/// Matches `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on one line.
fn cookie_in_line(line: &[u8]) -> Option<String> {
    let rest = line.trim_ascii_start();
    let comment = rest.strip_prefix(b"#")?;
    let mut search = comment;
    while let Some(pos) = find(search, b"coding") {
        let after = &search[pos + b"coding".len()..];
        if let Some(value) = after
            .strip_prefix(b":")
            .or_else(|| after.strip_prefix(b"="))
        {
            let value = value.trim_ascii_start();
            let len = value
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                .count();
            if len > 0 {
                return Some(String::from_utf8_lossy(&value[..len]).into_owned());
            }
        }
        search = after;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// CPython's `get_normal_name`: spellings of UTF-8 and Latin-1 collapse to one name; the rest is
/// lower-cased with `_` as `-`, which is how encoding labels are written.
fn normalize_encoding_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    let prefixed = |base: &str| lower == base || lower.starts_with(&format!("{base}-"));
    if prefixed("utf-8") || lower == "utf8" {
        "utf-8".to_string()
    } else if ["latin-1", "iso-8859-1", "iso-latin-1"]
        .iter()
        .any(|b| prefixed(b))
        || lower == "latin1"
    {
        "iso-8859-1".to_string()
    } else if matches!(lower.as_str(), "ascii" | "us-ascii" | "646") {
        "ascii".to_string()
    } else {
        lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_utf8() {
        assert_eq!(decode("x = 'é'\n".as_bytes()).unwrap(), "x = 'é'\n");
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(decode(b"\xef\xbb\xbfx = 1\n").unwrap(), "x = 1\n");
    }

    #[test]
    fn latin1_cookie_on_first_or_second_line() {
        let first = b"# -*- coding: latin-1 -*-\ns = '\xe9'\n";
        assert_eq!(
            decode(first).unwrap(),
            "# -*- coding: latin-1 -*-\ns = 'é'\n"
        );
        let second = b"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-1 :\ns = '\xe9'\n";
        assert!(decode(second).unwrap().ends_with("s = 'é'\n"));
    }

    #[test]
    fn cookie_on_second_line_ignored_after_code() {
        let text = b"x = 1\n# coding: latin-1\ns = '\xe9'\n";
        assert_eq!(
            decode(text),
            Err(DecodeError::Invalid {
                encoding: "utf-8".into(),
                line: 3
            })
        );
    }

    #[test]
    fn other_encodings_through_labels() {
        let koi8 = b"# coding: koi8-r\ns = '\xf0\xf2\xe9'\n";
        assert_eq!(decode(koi8).unwrap(), "# coding: koi8-r\ns = 'ПРИ'\n");
    }

    #[test]
    fn errors_are_reported_not_panicked() {
        assert_eq!(
            decode(b"# coding: no-such-codec\nx = 1\n"),
            Err(DecodeError::UnknownEncoding("no-such-codec".into()))
        );
        assert!(matches!(
            decode(b"x = 1\n\xff\xfe\x00"),
            Err(DecodeError::Invalid { line: 2, .. })
        ));
        assert!(matches!(
            decode(b"\xef\xbb\xbf# coding: latin-1\n"),
            Err(DecodeError::BomConflict(_))
        ));
    }
}
