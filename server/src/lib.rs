//! refhound: finds the Python code shapes that keep objects alive longer than their authors think.
//!
//! Layers, outer to inner (see `README.md`, "Architecture"):
//! - [`cli`]: the command line, a thin adapter that reads files and prints results;
//! - [`lsp`]: the language server, a thin adapter between LSP and the analysis;
//! - [`files`]: finding Python files and configuration files on disk, shared by both;
//! - [`ipynb`]: notebook files: cells read from the JSON, cell sources written back;
//! - [`project`]: what the modules of a project use of each other (so that no fix removes a
//!   name another module reads), shared by both;
//! - [`config`]: configuration text (TOML, JSON) to settings, pure;
//! - [`baseline`]: the accepted findings of a baseline file, and the filter that drops them, pure;
//! - [`analysis`]: pure functions from source text and a tree-sitter tree to results, with no I/O
//!   and no LSP types.

pub mod analysis;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod files;
pub mod ipynb;
pub mod lsp;
pub mod project;
