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
//! - `opened`: the server's didOpen of a large file no analysis saw: the text parsed in halves
//!   (`parse_in_halves`), then `check_parts`;
//! - `keystroke`: one character typed in a method in mid-file, alternately typed and deleted:
//!   the tree edited and parsed again incrementally, then `check_edited`, as the server does.
//!
//! The set-up (parsing, compiling the queries, the cache of an opened document) runs whatever N
//! is, so the cost of one run of PATH is (count at N) - (count at 0), divided by N. The runs
//! spawn threads, which callgrind's `--toggle-collect` would not follow: hence the difference.

use refhound::analysis::parse::{parse_in_halves, python_parser};
use refhound::analysis::settings::Settings;
use refhound::analysis::{Cache, check, check_edited, check_parts};

#[path = "support/allocator.rs"]
mod allocator;
#[path = "support/keystroke.rs"]
mod keystroke;
use keystroke::Keystroke;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: instructions FILE whole|open|opened|keystroke N";
    let path = args.next().expect(usage);
    let mode = args.next().expect(usage);
    let runs: usize = args.next().expect(usage).parse().expect(usage);
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let settings = Settings::default();
    let mut parser = python_parser();
    let tree = parser.parse(&text, None).expect("a tree");
    // Parsed again twice with nothing changed, as the server settles an opened document's tree
    // before its first edit: tree-sitter's first reparses after a whole parse redo much of it.
    let once = parser.parse(&text, Some(&tree)).expect("a tree");
    let tree = parser.parse(&text, Some(&once)).expect("a tree");
    // Compiles the queries and anything else built once per process.
    let found = check(&text, &tree, &settings);
    // As the server builds it once the document is opened.
    let mut cache = Cache::new(&text, &tree, &settings);
    if mode == "keystroke" {
        assert_eq!(check_edited(&text, &tree, &settings, &mut cache), found);
    }
    let mut keystroke = Keystroke::new(&text);
    let mut last = tree.clone();
    for _ in 0..runs {
        let count = match mode.as_str() {
            "whole" => check(&text, &tree, &settings).len(),
            "open" => check_edited(&text, &tree, &settings, &mut Cache::default()).len(),
            "opened" => match parse_in_halves(&text) {
                Some(halves) => check_parts(&text, &halves, &settings).len(),
                None => panic!("{path} is not parsed in halves"),
            },
            "keystroke" => {
                let (text, tree) = keystroke.next(&mut parser, &mut last);
                let count = check_edited(text, &tree, &settings, &mut cache).len();
                last = tree;
                count
            }
            _ => panic!("{usage}"),
        };
        std::hint::black_box(count);
    }
    println!("{} findings", found.len());
}
