//! Byte offsets ⇄ LSP positions, in the encoding negotiated at `initialize`.
//!
//! LSP counts lines by `\n`, `\r\n` and `\r` (the rope is built with exactly those line breaks)
//! and columns in UTF-16 code units unless client and server agree on UTF-8 bytes. Positions
//! past the end of a line or of the file are clamped, never an error: clients send them.

use ropey::Rope;
use tower_lsp_server::ls_types::{Position, PositionEncodingKind};

/// How columns are counted; UTF-16 is LSP's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it, else UTF-16 (the protocol's default).
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }

    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// The byte offset of `position`, clamped to its line's content and to the text.
pub fn offset_of(rope: &Rope, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let start = rope.line_to_byte(line);
    let wanted = position.character as usize;
    let mut units = 0;
    let mut offset = start;
    for c in rope.line(line).chars() {
        if c == '\n' || c == '\r' || units >= wanted {
            break;
        }
        units += encoding.width(c);
        if units > wanted {
            // Inside a character (half a surrogate pair, part of a UTF-8 sequence): its start.
            break;
        }
        offset += c.len_utf8();
    }
    offset
}

/// The position of byte `offset` (clamped to the text, and down to a character boundary).
pub fn position_of(rope: &Rope, offset: usize, encoding: Encoding) -> Position {
    let offset = rope.char_to_byte(rope.byte_to_char(offset.min(rope.len_bytes())));
    let line = rope.byte_to_line(offset);
    let start = rope.line_to_byte(line);
    let column: usize = rope
        .byte_slice(start..offset)
        .chars()
        .map(|c| encoding.width(c))
        .sum();
    Position::new(line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, offset: usize, encoding: Encoding) -> (Position, usize) {
        let rope = Rope::from_str(text);
        let position = position_of(&rope, offset, encoding);
        (position, offset_of(&rope, position, encoding))
    }

    #[test]
    fn emoji_count_two_utf16_units_and_four_bytes() {
        let text = "x = '😀'  # ok\n";
        let after = text.find("'  #").unwrap();
        let (utf16, back) = round_trip(text, after, Encoding::Utf16);
        assert_eq!(utf16, Position::new(0, 7));
        assert_eq!(back, after);
        let (utf8, back) = round_trip(text, after, Encoding::Utf8);
        assert_eq!(utf8, Position::new(0, 9));
        assert_eq!(back, after);
        // Half a surrogate pair lands on the character's start.
        let rope = Rope::from_str(text);
        assert_eq!(
            offset_of(&rope, Position::new(0, 6), Encoding::Utf16),
            text.find('😀').unwrap()
        );
    }

    #[test]
    fn cjk_tabs_and_crlf() {
        let text = "名前 = 1\r\n\tvalue = 名前\r\nend";
        let value = text.find("value").unwrap();
        let (position, back) = round_trip(text, value, Encoding::Utf16);
        assert_eq!(position, Position::new(1, 1));
        assert_eq!(back, value);
        let after_cjk = text.find(" = 1").unwrap();
        assert_eq!(
            round_trip(text, after_cjk, Encoding::Utf16).0,
            Position::new(0, 2)
        );
        assert_eq!(
            round_trip(text, after_cjk, Encoding::Utf8).0,
            Position::new(0, 6)
        );
        assert_eq!(
            round_trip(text, text.find("end").unwrap(), Encoding::Utf16).0,
            Position::new(2, 0)
        );
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd\n";
        let rope = Rope::from_str(text);
        // Past the end of a line: the end of its content, before `\r\n`.
        assert_eq!(offset_of(&rope, Position::new(0, 99), Encoding::Utf16), 2);
        // Past the last line: the end of the text.
        assert_eq!(
            offset_of(&rope, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(
            position_of(&rope, 1_000, Encoding::Utf8),
            Position::new(2, 0)
        );
    }

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        let both = [PositionEncodingKind::UTF16, PositionEncodingKind::UTF8];
        assert_eq!(Encoding::negotiate(Some(&both)), Encoding::Utf8);
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF32])),
            Encoding::Utf16
        );
    }
}
