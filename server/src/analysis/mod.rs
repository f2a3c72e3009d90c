//! The pure core: source text in, results out. Nothing here reads files or knows about LSP.

pub mod line_index;
pub mod parse;
pub mod scope;
pub mod source;
