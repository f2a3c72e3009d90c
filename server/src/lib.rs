//! refhound: finds the Python code shapes that keep objects alive longer than their authors think.
//!
//! Layers, outer to inner (see `README.md`, "Architecture"):
//! - [`cli`]: the command line, a thin adapter that reads files and prints results;
//! - [`analysis`]: pure functions from source text and a tree-sitter tree to results, with no I/O
//!   and no LSP types.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod lsp;
