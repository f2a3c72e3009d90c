//! Suppression comments: `# refhound: ignore[RH101, RH102]`, a bare `# refhound: ignore`, and
//! ruff-style `# noqa: RH101`, each on the line where a finding starts. A bare `# noqa` is left
//! to the other linters it is usually meant for.

use std::collections::HashMap;

use super::line_index::LineIndex;
use super::parse::comments;
use super::rules::Rule;

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
}
