//! The rule catalog. One file per rule; each file starts with the rule's documentation as `//!`
//! lines in ruff's sections (What it does / Why is this bad? / Example / Use instead / Fix
//! safety / Options), which `refhound rule CODE` prints: the source file is the documentation.

mod rh101_escaping_closure_large_object;
mod rh102_closure_captures_whole_object;
mod rh201_del_in_reference_cycle;
mod rh202_self_referencing_bound_method;
mod rh203_exception_kept_on_object;
mod rh301_unbounded_module_cache;
mod rh302_cached_instance_method;
mod rh303_default_argument_cache;
mod rh304_unbounded_instance_cache;
mod rh305_identity_keyed_cache;
mod rh401_thread_local_in_pool;
mod rh501_listener_never_removed;
mod rh601_gc_debug_saveall;
mod rh701_notebook_output_history;

use super::findings::Finding;
pub use super::rule::Rule;
use super::semantic::Checker;

/// What the catalog knows about a rule.
pub struct RuleInfo {
    pub rule: Rule,
    /// The rule's source file, whose leading `//!` lines are its documentation.
    source: &'static str,
    check: fn(&Checker) -> Vec<Finding>,
    pub reach: Reach,
    /// The rule asks its questions of every call or every definition in the file, and takes
    /// several times what another does (a keystroke in the standard library's largest file:
    /// RH501 0.9 ms, RH302 0.5 ms, the others 0.25 ms or less): the driver starts it first, so
    /// that the threads sharing the rules end together.
    pub heavy: bool,
}

/// What a rule's findings in one top-level statement depend on, which says whether an editor
/// may keep them while the statement is unchanged ([`crate::analysis::statement_findings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Anything in the file.
    Module,
    /// The statement's own text and first line, and of the rest of the file only the settings,
    /// the imports, the names bound or used at module level and whether the file has syntax
    /// errors. Such a rule checks only what [`Checker::checks`] lets through, and reports each
    /// finding in the statement of what it checked.
    Statement,
}

/// Every rule, in code order.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        rule: Rule::EscapingClosureLargeObject,
        source: include_str!("rh101_escaping_closure_large_object.rs"),
        check: rh101_escaping_closure_large_object::check,
        reach: Reach::Statement,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::ClosureCapturesWholeObject,
        source: include_str!("rh102_closure_captures_whole_object.rs"),
        check: rh102_closure_captures_whole_object::check,
        reach: Reach::Statement,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::DelInReferenceCycle,
        source: include_str!("rh201_del_in_reference_cycle.rs"),
        check: rh201_del_in_reference_cycle::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::SelfReferencingBoundMethod,
        source: include_str!("rh202_self_referencing_bound_method.rs"),
        check: rh202_self_referencing_bound_method::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::ExceptionKeptOnObject,
        source: include_str!("rh203_exception_kept_on_object.rs"),
        check: rh203_exception_kept_on_object::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::UnboundedModuleCache,
        source: include_str!("rh301_unbounded_module_cache.rs"),
        check: rh301_unbounded_module_cache::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::CachedInstanceMethod,
        source: include_str!("rh302_cached_instance_method.rs"),
        check: rh302_cached_instance_method::check,
        reach: Reach::Module,
        heavy: true,
    },
    RuleInfo {
        rule: Rule::DefaultArgumentCache,
        source: include_str!("rh303_default_argument_cache.rs"),
        check: rh303_default_argument_cache::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::UnboundedInstanceCache,
        source: include_str!("rh304_unbounded_instance_cache.rs"),
        check: rh304_unbounded_instance_cache::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::IdentityKeyedCache,
        source: include_str!("rh305_identity_keyed_cache.rs"),
        check: rh305_identity_keyed_cache::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::ThreadLocalInPool,
        source: include_str!("rh401_thread_local_in_pool.rs"),
        check: rh401_thread_local_in_pool::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::ListenerNeverRemoved,
        source: include_str!("rh501_listener_never_removed.rs"),
        check: rh501_listener_never_removed::check,
        reach: Reach::Module,
        heavy: true,
    },
    RuleInfo {
        rule: Rule::GcDebugSaveall,
        source: include_str!("rh601_gc_debug_saveall.rs"),
        check: rh601_gc_debug_saveall::check,
        reach: Reach::Module,
        heavy: false,
    },
    RuleInfo {
        rule: Rule::NotebookOutputHistory,
        source: include_str!("rh701_notebook_output_history.rs"),
        check: rh701_notebook_output_history::check,
        reach: Reach::Module,
        heavy: false,
    },
];

impl Rule {
    pub fn info(self) -> &'static RuleInfo {
        RULES
            .iter()
            .find(|info| info.rule == self)
            .expect("every rule is in the catalog")
    }
}

impl RuleInfo {
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }

    pub fn name(&self) -> &'static str {
        self.rule.name()
    }

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

    pub fn run(&self, checker: &Checker) -> Vec<Finding> {
        (self.check)(checker)
    }

    /// Where the rule's documentation is published: `docs/rules/CODE.md` of the repository,
    /// generated from [`RuleInfo::documentation`] (a test keeps the pages current).
    pub fn url(&self) -> String {
        format!("{DOCS_URL}{}.md", self.code())
    }
}

/// The published `docs/rules/` directory; editors link each diagnostic's code here.
pub const DOCS_URL: &str = "https://github.com/refhound/refhound/blob/main/docs/rules/";

/// What one rule reports in `text`, for the rules' unit tests.
#[cfg(test)]
pub(crate) fn findings_of(rule: Rule, text: &str, strict: bool) -> Vec<Finding> {
    let settings = super::settings::Settings {
        rules: vec![rule],
        strict,
        ..Default::default()
    };
    super::check(text, &super::parse::parse(text), &settings)
}

/// The level of each finding of one rule in `text`, with `strict = true`.
#[cfg(test)]
pub(crate) fn levels_of(rule: Rule, text: &str) -> Vec<super::findings::Level> {
    findings_of(rule, text, true)
        .into_iter()
        .map(|f| f.level)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_documents_the_fixed_sections() {
        // ruff's sections, in this order.
        const SECTIONS: &[&str] = &[
            "What it does",
            "Why is this bad?",
            "Example",
            "Use instead",
            "Fix safety",
            "Options",
        ];
        for info in RULES {
            let doc = info.documentation();
            let mut last = 0;
            for section in SECTIONS {
                let at = doc.find(&format!("\n## {section}\n"));
                assert!(
                    at.is_some_and(|at| at >= last),
                    "{} lacks '## {section}' after the sections before it",
                    info.code()
                );
                last = at.unwrap_or(last);
            }
            assert!(
                doc.starts_with(&format!("# {} {}", info.code(), info.name())),
                "{} title",
                info.code()
            );
        }
    }

    /// `docs/rules/CODE.md` is each rule's documentation; `REFHOUND_UPDATE_DOCS=1 cargo test`
    /// rewrites the pages after a rule's documentation changed.
    #[test]
    fn docs_pages_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules");
        let update = std::env::var_os("REFHOUND_UPDATE_DOCS").is_some();
        for info in RULES {
            let path = dir.join(format!("{}.md", info.code()));
            let expected = info.documentation();
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &expected).unwrap();
            }
            let found = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                found == expected,
                "{} is out of date: run REFHOUND_UPDATE_DOCS=1 cargo test docs_pages",
                path.display()
            );
        }
    }

    #[test]
    fn every_rule_is_in_the_catalog_in_code_order() {
        let catalog: Vec<Rule> = RULES.iter().map(|info| info.rule).collect();
        assert_eq!(catalog, Rule::all().collect::<Vec<_>>());
    }
}
