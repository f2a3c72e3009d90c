//! Runs one of the analysis's paths on one file N times, for an instruction counter (valgrind's
//! callgrind), whose counts, unlike times, do not move with the machine's load:
//!
//! ```sh
//! cargo build --release --example instructions
//! valgrind --tool=callgrind target/release/examples/instructions FILE PATH N
//! ```
//!
//! PATH is one of
//! - `whole`: `check`, the CLI's and the workspace scan's path;
//! - `open`: `check_edited` with an empty cache, a document's first analysis;
//! - `keystroke`: `check_edited` after one character typed in a method in mid-file, alternately
//!   typed and deleted.
//!
//! The set-up (parsing, compiling the queries, a first analysis for `keystroke`) runs whatever N
//! is, so the cost of one run of PATH is (count at N) - (count at 0), divided by N. The runs
//! spawn threads, which callgrind's `--toggle-collect` would not follow: hence the difference.

use refhound::analysis::parse::python_parser;
use refhound::analysis::settings::Settings;
use refhound::analysis::{Cache, check, check_edited};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: instructions FILE whole|open|keystroke N";
    let path = args.next().expect(usage);
    let mode = args.next().expect(usage);
    let runs: usize = args.next().expect(usage).parse().expect(usage);
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let settings = Settings::default();
    let mut parser = python_parser();
    let tree = parser.parse(&text, None).expect("a tree");
    // One character typed after `self.` in a method in mid-file.
    let at = text.len() / 2 + text[text.len() / 2..].find("self.").unwrap_or(0) + 5;
    let edited = format!("{}x{}", &text[..at], &text[at..]);
    let edited_tree = parser.parse(&edited, None).expect("a tree");
    // Compiles the queries and anything else built once per process.
    let found = check(&text, &tree, &settings);
    let mut cache = Cache::default();
    if mode == "keystroke" {
        assert_eq!(check_edited(&text, &tree, &settings, &mut cache), found);
    }
    let versions = [(&edited, &edited_tree), (&text, &tree)];
    for run in 0..runs {
        let count = match mode.as_str() {
            "whole" => check(&text, &tree, &settings).len(),
            "open" => check_edited(&text, &tree, &settings, &mut Cache::default()).len(),
            "keystroke" => {
                let (text, tree) = versions[run % 2];
                check_edited(text, tree, &settings, &mut cache).len()
            }
            _ => panic!("{usage}"),
        };
        std::hint::black_box(count);
    }
    println!("{} findings", found.len());
}
