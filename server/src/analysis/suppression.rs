//! Suppression comments: `# refhound: ignore[RH101, RH102]`, a bare `# refhound: ignore`, and
//! ruff-style `# noqa: RH101`, each on the line where a finding starts. A bare `# noqa` is left
//! to the other linters it is usually meant for.

use foldhash::HashMap;
use std::ops::Range;

use super::line_index::LineIndex;
use super::parse::{comments, tokens};
use super::rule::Rule;

/// What the comments of a file suppress, by 1-based line.
#[derive(Debug, Default)]
pub struct Suppressions {
    lines: HashMap<usize, Suppressed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Suppressed {
    All,
    Codes(Vec<String>),
}

impl Suppressions {
    /// Reads the comments from the text itself, so they count even where the parse failed.
    pub fn new(text: &str, lines: &LineIndex) -> Suppressions {
        let mut suppressions = Suppressions::default();
        // Most files have no directive at all, which a search for them says far sooner than
        // a scan through every string literal for the comments.
        if !may_have_directive(text) {
            return suppressions;
        }
        for comment in comments(text) {
            if let Some(suppressed) = parse_comment(&text[comment.clone()]) {
                suppressions
                    .lines
                    .insert(lines.line_of(comment.start), suppressed);
            }
        }
        suppressions
    }

    pub fn suppresses(&self, line: usize, rule: Rule) -> bool {
        match self.lines.get(&line) {
            Some(Suppressed::All) => true,
            Some(Suppressed::Codes(codes)) => {
                codes.iter().any(|c| Rule::from_code(c) == Some(rule))
            }
            None => false,
        }
    }
}

/// Whether some `#` has `refhound:` or `noqa:` (in any case) after it on its line, as every
/// directive does.
fn may_have_directive(text: &str) -> bool {
    let bytes = text.as_bytes();
    let has = |line: &[u8], directive: &[u8]| {
        line.windows(directive.len())
            .any(|w| w.eq_ignore_ascii_case(directive))
    };
    memchr::memchr_iter(b'#', bytes).any(|hash| {
        let rest = &bytes[hash..];
        let line = &rest[..memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len())];
        has(line, b"refhound:") || has(line, b"noqa:")
    })
}

/// Reads one comment; `None` when it suppresses nothing of refhound's.
fn parse_comment(comment: &str) -> Option<Suppressed> {
    let body = comment.trim_start_matches('#').trim();
    if let Some(rest) = find_directive(body, "refhound:") {
        let rest = rest.trim_start();
        let rest = rest.strip_prefix("ignore")?;
        return Some(match rest.trim_start().strip_prefix('[') {
            Some(list) => Suppressed::Codes(codes(list.split(']').next().unwrap_or(""))),
            None => Suppressed::All,
        });
    }
    let rest = find_directive(body, "noqa:")?;
    let codes = codes(rest.split('#').next().unwrap_or(""));
    (!codes.is_empty()).then_some(Suppressed::Codes(codes))
}

/// The text after `directive` (case-insensitive) anywhere in the comment.
fn find_directive<'c>(body: &'c str, directive: &str) -> Option<&'c str> {
    let lower = body.to_ascii_lowercase();
    lower
        .find(directive)
        .map(|at| &body[at + directive.len()..])
}

fn codes(list: &str) -> Vec<String> {
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The edit (a byte range to replace, and its new text) that silences `code` on the line
/// holding byte `offset`: a code added to the line's `# refhound: ignore[...]` list, or a new
/// `  # refhound: ignore[CODE]` at the end of the line. `None` when the line already silences
/// everything of refhound's.
pub fn ignore_edit(text: &str, offset: usize, code: &str) -> Option<(Range<usize>, String)> {
    let start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let end = text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| offset + i);
    let tokens = tokens(text);
    let comment = tokens
        .comments
        .into_iter()
        .find(|c| c.start >= start && c.start < end);
    if let Some(comment) = comment {
        let body = &text[comment.clone()];
        match parse_comment(body) {
            Some(Suppressed::All) => return None,
            Some(Suppressed::Codes(_)) if find_directive(body, "refhound:").is_some() => {
                let lower = body.to_ascii_lowercase();
                let directive = lower.find("refhound:")?;
                let open = directive + lower[directive..].find('[')?;
                let close = comment.start + open + body[open..].find(']')?;
                return Some((close..close, format!(", {code}")));
            }
            _ => {}
        }
    }
    let content_end = start + text[start..end].trim_end().len();
    // A comment cannot go after a line continuation, nor where the line ends inside a
    // triple-quoted string: there it would break the code or change the string. No edit then.
    if text[..content_end].ends_with('\\')
        || tokens
            .strings
            .iter()
            .any(|s| s.start < content_end && content_end < s.end)
    {
        return None;
    }
    Some((
        content_end..content_end,
        format!("  # refhound: ignore[{code}]"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms() {
        assert_eq!(parse_comment("# refhound: ignore"), Some(Suppressed::All));
        assert_eq!(
            parse_comment("# refhound: ignore[RH101, RH102]"),
            Some(Suppressed::Codes(vec!["RH101".into(), "RH102".into()]))
        );
        assert_eq!(
            parse_comment("# noqa: RH601"),
            Some(Suppressed::Codes(vec!["RH601".into()]))
        );
        assert_eq!(
            parse_comment("# type: ignore  # noqa: E501,RH302"),
            Some(Suppressed::Codes(vec!["E501".into(), "RH302".into()]))
        );
        assert_eq!(parse_comment("# noqa"), None);
        assert_eq!(parse_comment("# an ordinary comment"), None);
    }

    #[test]
    fn reads_directives_in_any_case_and_only_in_comments() {
        let text = "a = 1  # REFHOUND: ignore[RH301]\nb = '# noqa: RH302'\nc = 2  # NoQA: RH302\nd = 3  # note\n";
        let lines = LineIndex::new(text);
        let suppressions = Suppressions::new(text, &lines);
        assert!(suppressions.suppresses(1, Rule::UnboundedModuleCache));
        assert!(!suppressions.suppresses(2, Rule::CachedInstanceMethod));
        assert!(suppressions.suppresses(3, Rule::CachedInstanceMethod));
        assert!(!suppressions.suppresses(4, Rule::CachedInstanceMethod));
        let plain = "x = '#'  # a comment\ny = 1\n";
        assert!(!may_have_directive(plain));
        assert!(
            !Suppressions::new(plain, &LineIndex::new(plain))
                .suppresses(1, Rule::UnboundedModuleCache)
        );
    }

    fn silenced(text: &str, needle: &str, rule: Rule) -> String {
        let offset = text.find(needle).unwrap();
        let (range, insert) = ignore_edit(text, offset, rule.code()).unwrap();
        let mut edited = text.to_string();
        edited.replace_range(range, &insert);
        let lines = LineIndex::new(&edited);
        let line = lines.line_of(edited.find(needle).unwrap());
        assert!(
            Suppressions::new(&edited, &lines).suppresses(line, rule),
            "{edited}"
        );
        edited
    }

    #[test]
    fn no_ignore_edit_after_a_continuation_or_inside_a_string() {
        assert_eq!(ignore_edit("x = f() or \\\n    g()\n", 0, "RH601"), None);
        let opens_string = "f = lambda: (rows, \"\"\"\nnote\"\"\")\n";
        assert_eq!(ignore_edit(opens_string, 0, "RH101"), None);
        // A string that closes on its line is no obstacle.
        assert!(ignore_edit("f = lambda: (rows, \"\"\"x\"\"\")\n", 0, "RH101").is_some());
    }

    #[test]
    fn ignore_edits_append_or_extend() {
        assert_eq!(
            silenced("x = f()\r\ny = 2\n", "f()", Rule::GcDebugSaveall),
            "x = f()  # refhound: ignore[RH601]\r\ny = 2\n"
        );
        assert_eq!(
            silenced(
                "x = f()  # refhound: ignore[RH101]\n",
                "f()",
                Rule::GcDebugSaveall
            ),
            "x = f()  # refhound: ignore[RH101, RH601]\n"
        );
        assert_eq!(
            silenced("x = f()  # noqa: E501\n", "f()", Rule::GcDebugSaveall),
            "x = f()  # noqa: E501  # refhound: ignore[RH601]\n"
        );
        assert_eq!(
            ignore_edit("x = f()  # refhound: ignore\n", 0, "RH601"),
            None
        );
    }
}
