//! Which rules run and how they speak. Filled from `pyproject.toml` / `refhound.toml` and the
//! command line or the editor; the analysis only reads it.

use super::rules::{RULES, Rule};

#[derive(Debug, Clone)]
pub struct Settings {
    /// The rules that run.
    pub rules: Vec<Rule>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rules: RULES.iter().map(|info| info.rule).collect(),
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
}
