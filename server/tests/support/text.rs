//! The client's copy of a document: LSP positions ⇄ byte offsets in the negotiated encoding, and
//! edits applied the way an editor applies them. Written independently of the server's own
//! conversion, so that a test compares two implementations rather than one with itself.
//!
//! Strict on purpose: a position inside a character or past the end of a line is a panic here,
//! because the server should never send one and the tests never do.

use tower_lsp_server::ls_types::{Position, Range, TextEdit};

/// How LSP columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// Byte offsets where each line starts; LSP ends lines at `\n`, `\r\n` and `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 2;
                continue;
            }
            b'\r' | b'\n' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// The byte offset of `position` in `text`.
pub fn offset(text: &str, position: Position, encoding: Encoding) -> usize {
    let starts = line_starts(text);
    let line = position.line as usize;
    assert!(line < starts.len(), "{position:?} is past the last line");
    let start = starts[line];
    let content = text[start..].split(['\r', '\n']).next().unwrap_or("");
    let mut units = 0;
    for (index, c) in content.char_indices() {
        if units == position.character as usize {
            return start + index;
        }
        units += encoding.width(c);
        if units > position.character as usize {
            panic!("{position:?} is inside the character {c:?} ({encoding:?})");
        }
    }
    assert_eq!(
        units, position.character as usize,
        "{position:?} is past the end of its line ({encoding:?})"
    );
    start + content.len()
}

/// The position of byte `offset` (a character boundary) in `text`.
pub fn position(text: &str, offset: usize, encoding: Encoding) -> Position {
    assert!(
        text.is_char_boundary(offset),
        "{offset} is inside a character"
    );
    let starts = line_starts(text);
    let line = starts.partition_point(|&start| start <= offset) - 1;
    let column: usize = text[starts[line]..offset]
        .chars()
        .map(|c| encoding.width(c))
        .sum();
    Position::new(line as u32, column as u32)
}

/// The range covering bytes `start..end` of `text`.
pub fn range(text: &str, start: usize, end: usize, encoding: Encoding) -> Range {
    Range::new(
        position(text, start, encoding),
        position(text, end, encoding),
    )
}

/// Replaces `range` with `new_text`: one `didChange` content change.
pub fn apply_change(text: &mut String, range: Range, new_text: &str, encoding: Encoding) {
    let start = offset(text, range.start, encoding);
    let end = offset(text, range.end, encoding);
    assert!(start <= end, "{range:?} ends before it starts");
    text.replace_range(start..end, new_text);
}

/// Applies the edits of one `WorkspaceEdit` for a document: all their ranges refer to the text
/// before any of them, and they must not overlap.
pub fn apply_edits(text: &str, edits: &[TextEdit], encoding: Encoding) -> String {
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| {
            let start = offset(text, edit.range.start, encoding);
            let end = offset(text, edit.range.end, encoding);
            assert!(start <= end, "{:?} ends before it starts", edit.range);
            (start, end, edit.new_text.as_str())
        })
        .collect();
    spans.sort_by_key(|&(start, end, _)| (start, end));
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "overlapping edits: {edits:?}");
    }
    let mut result = text.to_string();
    for &(start, end, new_text) in spans.iter().rev() {
        result.replace_range(start..end, new_text);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_in_both_encodings() {
        let text = "a😀é\r\n名前 = 1\rx\n";
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            for (at, _) in text.char_indices() {
                if text[at..].starts_with('\n') && text[..at].ends_with('\r') {
                    continue; // Between `\r` and `\n`: no position names it.
                }
                assert_eq!(offset(text, position(text, at, encoding), encoding), at);
            }
        }
        let after_emoji = text.find('é').unwrap();
        assert_eq!(
            position(text, after_emoji, Encoding::Utf16),
            Position::new(0, 3)
        );
        assert_eq!(
            position(text, after_emoji, Encoding::Utf8),
            Position::new(0, 5)
        );
        assert_eq!(
            position(text, text.find('x').unwrap(), Encoding::Utf8),
            Position::new(2, 0)
        );
    }
}
