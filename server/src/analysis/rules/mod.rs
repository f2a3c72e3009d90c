//! The rule catalog. One file per rule; each file starts with the rule's documentation as `//!`
//! lines in fixed sections (What it flags / Why it leaks / Example / Fix / Options), which
//! `refhound rule CODE` prints: the source file is the documentation.

mod rh302_cached_instance_method;
mod rh601_gc_debug_saveall;

use super::context::Context;
use super::findings::Finding;

/// A rule's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    CachedInstanceMethod,
    GcDebugSaveall,
}

/// What the catalog knows about a rule.
pub struct RuleInfo {
    pub rule: Rule,
    pub code: &'static str,
    pub name: &'static str,
    /// The rule's source file, whose leading `//!` lines are its documentation.
    source: &'static str,
    check: fn(&Context) -> Vec<Finding>,
}

/// Every rule, in code order.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        rule: Rule::CachedInstanceMethod,
        code: "RH302",
        name: "cached-instance-method",
        source: include_str!("rh302_cached_instance_method.rs"),
        check: rh302_cached_instance_method::check,
    },
    RuleInfo {
        rule: Rule::GcDebugSaveall,
        code: "RH601",
        name: "gc-debug-saveall",
        source: include_str!("rh601_gc_debug_saveall.rs"),
        check: rh601_gc_debug_saveall::check,
    },
];

impl Rule {
    pub fn info(self) -> &'static RuleInfo {
        RULES
            .iter()
            .find(|info| info.rule == self)
            .expect("every rule is in the catalog")
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The rule for a code (`RH302`) or a name (`cached-instance-method`).
    pub fn from_code(code: &str) -> Option<Rule> {
        RULES
            .iter()
            .find(|info| info.code.eq_ignore_ascii_case(code) || info.name == code)
            .map(|info| info.rule)
    }
}

impl RuleInfo {
    /// The documentation: the `//!` lines at the top of the rule's file, without the markers.
    pub fn documentation(&self) -> String {
        let mut doc = String::new();
        for line in self
            .source
            .lines()
            .take_while(|line| line.starts_with("//!"))
        {
            let text = line.trim_start_matches("//!");
            doc.push_str(text.strip_prefix(' ').unwrap_or(text));
            doc.push('\n');
        }
        doc
    }

    pub fn run(&self, context: &Context) -> Vec<Finding> {
        (self.check)(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_documents_the_fixed_sections() {
        for info in RULES {
            let doc = info.documentation();
            for section in ["What it flags", "Why it leaks", "Example", "Fix", "Options"] {
                assert!(
                    doc.contains(&format!("## {section}")),
                    "{} lacks '## {section}'",
                    info.code
                );
            }
            assert!(
                doc.starts_with(&format!("# {} {}", info.code, info.name)),
                "{} title",
                info.code
            );
        }
    }

    #[test]
    fn codes_and_names_resolve() {
        assert_eq!(Rule::from_code("rh601"), Some(Rule::GcDebugSaveall));
        assert_eq!(
            Rule::from_code("cached-instance-method"),
            Some(Rule::CachedInstanceMethod)
        );
        assert_eq!(Rule::from_code("RH999"), None);
    }
}
