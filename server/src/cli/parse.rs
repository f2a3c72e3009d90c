//! `refhound parse`: tree-sitter alone, to see what parsing costs and which files have errors.

use std::path::PathBuf;

use crate::analysis::parse::parse;
use crate::files::{EXCLUDED_DIRECTORIES, for_each_file, python_files, read_source};

pub fn run(paths: &[PathBuf]) -> Result<(), String> {
    let files = python_files(paths, EXCLUDED_DIRECTORIES)?;
    let results = for_each_file(&files, |file| {
        let text = read_source(file)?;
        Ok::<_, String>((text.len(), parse(&text).root_node().has_error()))
    });
    let (mut bytes, mut with_errors, mut unreadable) = (0, Vec::new(), 0);
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok((len, has_error)) => {
                bytes += len;
                if has_error {
                    with_errors.push(&file.display);
                }
            }
            Err(message) => {
                eprintln!("refhound: {message}");
                unreadable += 1;
            }
        }
    }
    for file in &with_errors {
        println!("syntax errors: {file}");
    }
    println!(
        "{} files, {:.1} MB, {} with syntax errors, {} unreadable",
        files.len(),
        bytes as f64 / 1e6,
        with_errors.len(),
        unreadable
    );
    Ok(())
}
