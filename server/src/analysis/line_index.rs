//! Byte offsets to line numbers.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as CPython's tokenizer counts them. Positions are
//! taken from byte offsets rather than tree-sitter's rows, because the parser may have been given
//! a respelled copy of the text (see `parse`) whose bytes, but not rows, line up with the original.

/// Where each line of a text starts.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32);
        starts.push(0);
        // memchr's vectorised search: a byte-by-byte loop costs as much as a whole rule.
        starts.extend(
            memchr::memchr2_iter(b'\n', b'\r', bytes)
                .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
                .map(|i| i + 1),
        );
        LineIndex { starts }
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line.saturating_sub(1).min(self.starts.len() - 1)]
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn counts_every_line_ending() {
        let index = LineIndex::new("a\nb\r\nc\rd");
        let lines: Vec<usize> = [0, 1, 2, 4, 5, 7]
            .iter()
            .map(|&o| index.line_of(o))
            .collect();
        assert_eq!(lines, [1, 1, 2, 2, 3, 4]);
        // A carriage return before a CRLF, and one ending the text.
        let index = LineIndex::new("a\r\r\nb\r");
        let lines: Vec<usize> = (0..=6).map(|o| index.line_of(o)).collect();
        assert_eq!(lines, [1, 1, 2, 2, 3, 3, 4]);
    }
}
