//! Which rules run and how they speak. Filled from `pyproject.toml` / `refhound.toml` (see
//! `crate::config`) and the command line or the editor; the analysis only reads it.

use foldhash::{HashMap, HashMapExt};

use super::rule::{Rule, Severity};

/// A Python version, `(3, 11)`: what the analysed code runs on (`target-version = "py311"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PythonVersion {
    pub major: u8,
    pub minor: u8,
}

impl PythonVersion {
    pub const fn new(major: u8, minor: u8) -> PythonVersion {
        PythonVersion { major, minor }
    }

    /// Parses ruff's spelling, `py38` / `py311`, and the dotted one, `3.8`.
    pub fn parse(text: &str) -> Option<PythonVersion> {
        let (major, minor) = if let Some(digits) = text.strip_prefix("py") {
            let (major, minor) = digits.split_at_checked(1)?;
            (major, minor)
        } else {
            text.split_once('.')?
        };
        let version = PythonVersion::new(major.parse().ok()?, minor.parse().ok()?);
        (version.major >= 2).then_some(version)
    }
}

impl std::fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The rules that run.
    pub rules: Vec<Rule>,
    /// Severity per rule; rules not listed have their default severity.
    pub severity: HashMap<Rule, Severity>,
    /// The Python the code runs on: the scope model (hover, inlay hints, the rules) follows its
    /// compiler (3.8 to 3.13), and some messages depend on it (RH201).
    pub target_version: PythonVersion,
    /// Dotted names of callables whose result counts as large (RH101), beside the built-in list:
    /// `"mylib.load_frame"`, or a module prefix ending in `.*` (`"mylib.io.*"`).
    pub large_constructors: Vec<String>,
    /// Method or function names that register a callback (RH501), beside the built-in list.
    pub registration_names: Vec<String>,
    /// Method or function names that unregister a callback (RH501), beside the built-in list.
    pub unregistration_names: Vec<String>,
    /// The `maxsize` of the `functools.lru_cache` an RH301 fix puts on a memoizing function.
    pub lru_cache_maxsize: u64,
    /// Also report findings that lack the evidence a default finding needs: the shape is there,
    /// but the object is made once per process, the cache's keys are bounded, or the code
    /// releases the reference in a lifecycle method ([`Level::Strict`](super::findings::Level)).
    pub strict: bool,
    /// The editor shows what each closure captures as inlay hints (the language server only).
    pub inlay_hints: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rules: Rule::all().collect(),
            severity: HashMap::new(),
            // The newest CPython the scope model reproduces.
            target_version: PythonVersion::new(3, 13),
            large_constructors: Vec::new(),
            registration_names: Vec::new(),
            unregistration_names: Vec::new(),
            lru_cache_maxsize: 128,
            strict: false,
            inlay_hints: false,
        }
    }
}

impl Settings {
    /// Keeps the selected rules (all when `select` is empty) less the ignored ones.
    pub fn select(&mut self, select: &[Rule], ignore: &[Rule]) {
        self.rules
            .retain(|rule| (select.is_empty() || select.contains(rule)) && !ignore.contains(rule));
    }

    pub fn enabled(&self, rule: Rule) -> bool {
        self.rules.contains(&rule)
    }

    pub fn severity(&self, rule: Rule) -> Severity {
        self.severity
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_severity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_in_both_spellings() {
        assert_eq!(PythonVersion::parse("py38"), Some(PythonVersion::new(3, 8)));
        assert_eq!(
            PythonVersion::parse("py311"),
            Some(PythonVersion::new(3, 11))
        );
        assert_eq!(
            PythonVersion::parse("3.12"),
            Some(PythonVersion::new(3, 12))
        );
        assert_eq!(PythonVersion::parse("py3"), None);
        assert_eq!(PythonVersion::parse("three"), None);
    }
}
