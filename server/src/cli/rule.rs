//! `refhound rule CODE` / `refhound rule --all`: the rules' documentation.

use crate::analysis::rules::{RULES, Rule};

pub fn run(code: Option<&str>, all: bool) -> Result<(), String> {
    if all || code.is_none() {
        for info in RULES {
            println!("{}\n", info.documentation().trim_end());
        }
        return Ok(());
    }
    let code = code.unwrap_or_default();
    let rule = Rule::from_code(code).ok_or_else(|| {
        let known: Vec<&str> = RULES.iter().map(|info| info.code()).collect();
        format!("unknown rule {code}; the rules are {}", known.join(", "))
    })?;
    print!("{}", rule.info().documentation());
    Ok(())
}
