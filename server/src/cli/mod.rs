//! The command line: a thin layer that finds files, runs the analysis and prints results.

mod check;
mod fix;
mod freevars;
mod notebook;
mod parse;
mod rule;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Finds the Python code shapes that leak memory.
#[derive(Debug, Parser)]
#[command(name = "refhound", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report the code shapes that leak memory. Exits 0 when clean, 1 on findings, 2 on errors.
    Check(check::Options),
    /// Print a rule's documentation (`refhound rule RH101`), or every rule's (`--all`).
    Rule {
        code: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Print every code object's free and cell variables as JSON lines, as CPython would store
    /// them in `co_freevars` / `co_cellvars`.
    Freevars {
        /// Python files, or directories to search for `*.py` files.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// The CPython whose compiler to reproduce, 3.8 to 3.13 (`3.12` or `py312`).
        #[arg(long, default_value = "3.13", value_parser = parse_modelled_version)]
        target_version: crate::analysis::settings::PythonVersion,
    },
    /// Parse files with tree-sitter only and print a summary (the parse alone, for benchmarks).
    Parse {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
    },
    /// Serve the Language Server Protocol on standard input and output.
    Server,
}

/// Exit status when `check` has findings.
const EXIT_FINDINGS: u8 = 1;

/// Exit status for usage and I/O errors.
const EXIT_ERROR: u8 = 2;

/// A `--target-version` the scope model reproduces: 3.8 to 3.13.
fn parse_modelled_version(text: &str) -> Result<crate::analysis::settings::PythonVersion, String> {
    use crate::analysis::scope::{NEWEST_MODELLED, OLDEST_MODELLED};
    let version = crate::analysis::settings::PythonVersion::parse(text)
        .ok_or_else(|| format!("expected a version such as 3.12 or py312, not {text:?}"))?;
    if version < OLDEST_MODELLED || version > NEWEST_MODELLED {
        return Err(format!(
            "{version} is not modelled: choose {OLDEST_MODELLED} to {NEWEST_MODELLED}"
        ));
    }
    Ok(version)
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(options) => match check::run(&options) {
            Ok(check::Outcome::Findings) => return ExitCode::from(EXIT_FINDINGS),
            Ok(check::Outcome::Clean) => Ok(()),
            // Each unreadable file was already reported.
            Ok(check::Outcome::Unreadable) => return ExitCode::from(EXIT_ERROR),
            Err(message) => Err(message),
        },
        Command::Rule { code, all } => rule::run(code.as_deref(), all),
        Command::Freevars {
            paths,
            target_version,
        } => freevars::run(&paths, target_version),
        Command::Parse { paths } => parse::run(&paths),
        Command::Server => return crate::lsp::serve_stdio(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("refhound: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
