//! A guard run before every parse: input whose indentation tree-sitter-python cannot hold.
//!
//! tree-sitter-python's external scanner keeps a stack of indentation widths and must serialize
//! it into tree-sitter's 1,024-byte buffer (two bytes a level, plus up to 256 bytes of string
//! delimiters). Past about 384 levels it overflows, and tree-sitter's assertion aborts the whole
//! process. No real program comes near: CPython itself refuses 100 levels or more ("too many
//! levels of indentation"). So a text is refused, with CPython's message, when
//!
//! - its lines nest 100 levels deep or more, counted as CPython's tokenizer counts them on
//!   every non-blank line (brackets and strings are not tracked, which can only count more), or
//! - the scanner could stack more than [`SCANNER_LEVELS`] widths, whatever it skips: its stack
//!   only ever holds strictly increasing widths of lines in file order, so the longest strictly
//!   increasing run of line widths bounds it, or
//! - a line's width does not fit the scanner's 16-bit stack entries.
//!
//! The widths are measured as the scanner measures them: a space counts 1, a tab 8, a carriage
//! return or form feed starts again at 0, and a backslash line continuation carries on counting.

/// The most levels CPython accepts (its tokenizer's `MAXINDENT` is 100, and it refuses the
/// hundredth).
pub const CPYTHON_LEVELS: usize = 99;

/// How many widths the scanner's stack may hold: (1,024 − 1 − 255) / 2 = 384, with a margin.
const SCANNER_LEVELS: usize = 300;

/// Why a text was not parsed: a message and the 1-based line it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Measures a text given in pieces (a rope's chunks, say).
#[derive(Default)]
pub struct Guard {
    line: usize,
    /// At the start of a line, measuring its indentation.
    measuring: bool,
    /// The width so far of the line being measured.
    width: u64,
    /// After a backslash while measuring: a line continuation if a line break follows.
    backslash: bool,
    /// CPython's view: the widths of the enclosing blocks.
    blocks: Vec<u64>,
    /// The smallest last width of a strictly increasing run of each length (patience sorting).
    runs: Vec<u64>,
    refusal: Option<Refusal>,
}

impl Guard {
    pub fn new() -> Guard {
        Guard {
            line: 1,
            measuring: true,
            ..Guard::default()
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        if self.refusal.is_some() {
            return;
        }
        let mut at = 0;
        while at < bytes.len() {
            let b = bytes[at];
            at += 1;
            if !self.measuring {
                // Past a line's indentation only its end matters: skip to it.
                match memchr::memchr(b'\n', &bytes[at - 1..]) {
                    Some(end) => {
                        at += end;
                        self.new_line();
                    }
                    None => return,
                }
                continue;
            }
            if self.backslash {
                self.backslash = false;
                match b {
                    b'\r' => {
                        self.backslash = true; // `\` `\r` `\n`: still a continuation
                        continue;
                    }
                    b'\n' => {
                        self.line += 1;
                        continue;
                    }
                    _ => {
                        self.line_content();
                        continue;
                    }
                }
            }
            match b {
                b' ' => self.width += 1,
                b'\t' => self.width += 8,
                b'\r' | b'\x0c' => self.width = 0,
                b'\n' => self.new_line(),
                b'\\' => self.backslash = true,
                _ => {
                    self.line_content();
                    if self.refusal.is_some() {
                        return;
                    }
                }
            }
        }
    }

    fn new_line(&mut self) {
        self.line += 1;
        self.measuring = true;
        self.width = 0;
    }

    /// The first character of a line after its indentation.
    fn line_content(&mut self) {
        self.measuring = false;
        let width = self.width;
        if width > u64::from(u16::MAX) {
            self.refuse(format!(
                "an indentation of {width} columns is more than refhound's parser handles"
            ));
            return;
        }
        while self.blocks.last().is_some_and(|&top| top > width) {
            self.blocks.pop();
        }
        if width > 0 && self.blocks.last().is_none_or(|&top| top < width) {
            self.blocks.push(width);
            if self.blocks.len() > CPYTHON_LEVELS {
                self.refuse("too many levels of indentation".to_string());
                return;
            }
        }
        let at = self.runs.partition_point(|&last| last < width);
        if at == self.runs.len() {
            self.runs.push(width);
            if self.runs.len() > SCANNER_LEVELS {
                self.refuse(format!(
                    "too many levels of indentation: more than {SCANNER_LEVELS} increasing \
                     indentation widths"
                ));
            }
        } else {
            self.runs[at] = width;
        }
    }

    fn refuse(&mut self, message: String) {
        self.refusal = Some(Refusal {
            line: self.line,
            message,
        });
    }

    pub fn finish(self) -> Option<Refusal> {
        self.refusal
    }
}

/// Why `text` must not be parsed, if it must not.
pub fn check(text: &str) -> Option<Refusal> {
    let mut guard = Guard::new();
    guard.feed(text.as_bytes());
    guard.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize, step: &str) -> String {
        (0..levels)
            .map(|i| format!("{}def f{i}():\n", step.repeat(i)))
            .collect::<String>()
            + &step.repeat(levels)
            + "pass\n"
    }

    #[test]
    fn ninety_nine_levels_pass_and_one_more_is_refused_as_cpython_does() {
        assert_eq!(check(&nested(CPYTHON_LEVELS, " ")), None);
        let refusal = check(&nested(CPYTHON_LEVELS + 1, " ")).unwrap();
        assert_eq!(refusal.message, "too many levels of indentation");
        assert_eq!(refusal.line, CPYTHON_LEVELS + 2);
    }

    #[test]
    fn widths_increasing_over_the_file_are_refused_even_between_dedents() {
        // Never more than two levels deep, but 400 ever wider lines: what the scanner might stack
        // if it skipped the lines in between.
        let text: String = (1..=400)
            .map(|i| format!("if x:\n{}y = (\n0)\n", " ".repeat(i)))
            .collect();
        assert!(check(&text).unwrap().message.contains("increasing"));
    }

    #[test]
    fn ordinary_code_blank_lines_comments_and_continuations_pass() {
        let text = "class A:\n\tdef f(self):\n\t\treturn (1,\n\t\t        2)\n\n   # c\nx = 1 \\\n  + 2\r\ny = 3\rz = 4\n";
        assert_eq!(check(text), None);
    }

    #[test]
    fn bytes_after_a_lines_indentation_never_count() {
        // Tabs, form feeds, carriage returns and backslashes after a line's first character
        // would each change its width if they were read as indentation.
        let text: String = (0..=CPYTHON_LEVELS)
            .map(|i| format!("{}if x:  # \t\t\t\x0c\r\\\r\n", " ".repeat(i)))
            .collect::<String>()
            + &" ".repeat(CPYTHON_LEVELS + 1)
            + "pass\n";
        let refusal = check(&text).unwrap();
        assert_eq!(refusal.message, "too many levels of indentation");
        assert_eq!(refusal.line, CPYTHON_LEVELS + 2);
        let shallow = "if x:  # \t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\\\n    pass\n".repeat(400);
        assert_eq!(check(&shallow), None);
        for size in [1, 3, 64] {
            let mut guard = Guard::new();
            for piece in text.as_bytes().chunks(size) {
                guard.feed(piece);
            }
            assert_eq!(guard.finish(), Some(refusal.clone()), "pieces of {size}");
        }
    }

    #[test]
    fn pieces_give_what_the_whole_gives() {
        let text = nested(CPYTHON_LEVELS + 1, "\t");
        let mut guard = Guard::new();
        for piece in text.as_bytes().chunks(7) {
            guard.feed(piece);
        }
        assert_eq!(guard.finish(), check(&text));
    }
}
