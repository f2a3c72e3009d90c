//! Where a name is spelled in a file, found without reading the whole text for each name.
//!
//! The rules and the semantic layer ask where a name occurs in the module ([`Context::words`],
//! [`Context::identifiers`]) a dozen times per analysis; on a keystroke in a large file each
//! question read the whole text again. [`WordSpans`] cuts the text into its top-level
//! statements and gives each a [`WordFilter`] of the words it holds: a question reads only the
//! statements that may hold its name, and the comments between them. [`WordCache`] keeps each
//! statement's filter by its text, so an edit makes at most the filter of the statement it
//! changed, once that stops changing (until then, it is read). (Not by the statements of a class's body, as the scope and match caches are: a keystroke would
//! look up a thousand texts, not 170, to save making the filter of one 30 KB class.)
//!
//! [`Context::words`]: super::context::Context::words
//! [`Context::identifiers`]: super::context::Context::identifiers

use std::ops::Range;
use std::sync::Arc;

use tree_sitter::Node;

use super::statement_text::ByStatementText;

/// Whether `c` continues a word, as [`super::context::Context::words`] reads one.
pub fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The words (maximal runs of [`is_word_char`]) a text holds, approximately: a Bloom filter,
/// which may say yes to a word the text lacks (a few in a hundred) but never no to one it holds.
pub struct WordFilter {
    bits: Box<[u64]>,
}

/// Bits per byte of the text: code has a word every six bytes or so, so this gives each word
/// of it (repeats counted) a dozen bits, and with two probes a few words in a hundred the text
/// lacks pass.
const BITS_PER_BYTE: usize = 2;

impl WordFilter {
    pub fn of(text: &str) -> WordFilter {
        let bits = (text.len() * BITS_PER_BYTE).next_power_of_two().max(64);
        let mut filter = WordFilter {
            bits: vec![0; bits / 64].into_boxed_slice(),
        };
        for word in of(text) {
            for bit in filter.probes(hash(word)) {
                filter.bits[bit / 64] |= 1 << (bit % 64);
            }
        }
        filter
    }

    /// Whether `word` may be one of the text's words (`false`: it is not).
    pub fn may_hold(&self, word: &str) -> bool {
        self.may_hold_hashed(hash(word))
    }

    /// [`Self::may_hold`] for a word of this hash ([`hash`]).
    fn may_hold_hashed(&self, hash: u64) -> bool {
        self.probes(hash)
            .into_iter()
            .all(|bit| self.bits[bit / 64] & (1 << (bit % 64)) != 0)
    }

    /// The two bits a word's hash sets.
    fn probes(&self, hash: u64) -> [usize; 2] {
        let mask = self.bits.len() * 64 - 1;
        [hash as usize & mask, (hash >> 32) as usize & mask]
    }
}

/// A word's hash: FNV-1a over its bytes, then mixed (murmur3's finaliser) so that both halves
/// the probes take vary. A general hasher's set-up per word cost more than the scan.
fn hash(word: &str) -> u64 {
    let mut hash = word.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The words of `text`: its maximal runs of [`is_word_char`]. Byte by byte where the text is
/// ASCII (a character at a time cost three times as much).
pub fn of(text: &str) -> impl Iterator<Item = &str> {
    // Whether the character at `at` is a word character, and its length.
    let at_word = |at: usize| match text.as_bytes()[at] {
        byte if byte.is_ascii() => (byte == b'_' || byte.is_ascii_alphanumeric(), 1),
        _ => {
            let c = text[at..].chars().next().expect("a character starts here");
            (is_word_char(c), c.len_utf8())
        }
    };
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() {
            let (word, len) = at_word(at);
            if word {
                break;
            }
            at += len;
        }
        let start = at;
        while at < text.len() {
            let (word, len) = at_word(at);
            if !word {
                break;
            }
            at += len;
        }
        (start < at).then(|| &text[start..at])
    })
}

/// The parts of a file's text that hold words, in order, each with the filter of its words
/// where it is a top-level statement (else `None`: read whenever asked).
pub struct WordSpans {
    spans: Vec<(Range<usize>, Option<Arc<WordFilter>>)>,
}

impl WordSpans {
    /// The parts of `range` where the word `name` may be spelled, in order. A name that is not
    /// one word (`a.b`, or empty) may be anywhere.
    pub fn to_search(&self, range: Range<usize>, name: &str) -> Vec<Range<usize>> {
        if name.is_empty() || !name.chars().all(is_word_char) {
            return vec![range];
        }
        let hash = hash(name);
        let first = self
            .spans
            .partition_point(|(span, _)| span.end <= range.start);
        let mut parts: Vec<Range<usize>> = Vec::new();
        for (span, filter) in &self.spans[first..] {
            if span.start >= range.end {
                break;
            }
            if filter.as_ref().is_some_and(|f| !f.may_hold_hashed(hash)) {
                continue;
            }
            let part = span.start.max(range.start)..span.end.min(range.end);
            // Neighbours read as one, so that no occurrence is cut in two.
            match parts.last_mut() {
                Some(last) if last.end == part.start => last.end = part.end,
                _ => parts.push(part),
            }
        }
        parts
    }
}

/// The filters of one document's last analysis, by statement text; `None` for a statement
/// seen once.
#[derive(Default)]
pub struct WordCache {
    units: ByStatementText<Option<Arc<WordFilter>>>,
}

impl WordCache {
    /// The spans of `text`, whose module's children are `statements` (in order): each
    /// statement's filter is the last version's where its text is unchanged. A statement not
    /// seen before gets one only when `eager` (a document just opened), else when it is seen
    /// again unchanged: the statement being typed in changes with each keystroke, and making
    /// its filter each time would cost more than reading it for each question. The cache then
    /// holds this version's statements only.
    pub fn spans(&mut self, text: &str, statements: &[Node], eager: bool) -> WordSpans {
        let mut last = std::mem::take(&mut self.units);
        let mut spans = Vec::new();
        // Where the text not yet in a span starts.
        let mut end = 0;
        let gap = |spans: &mut Vec<_>, range: Range<usize>| {
            // Blank lines and indentation hold no word to look for.
            if text[range.clone()].contains(is_word_char) {
                spans.push((range, None));
            }
        };
        for statement in statements {
            let range = statement.byte_range();
            // A statement of a clean tree starts and ends a word; others are read every time.
            let bounded = !statement.has_error()
                && !text[..range.start].ends_with(is_word_char)
                && !text[range.end..].starts_with(is_word_char);
            if !bounded {
                continue;
            }
            let source = &text[range.clone()];
            let make = || Some(Arc::new(WordFilter::of(source)));
            let filter = match last.remove_entry(source) {
                Some((key, filter)) => self
                    .units
                    .entry(key)
                    .or_insert_with(|| filter.or_else(make))
                    .clone(),
                None => self
                    .units
                    .entry(source.into())
                    .or_insert_with(|| if eager { make() } else { None })
                    .clone(),
            };
            if filter.is_some() {
                gap(&mut spans, end..range.start);
                end = range.end;
                spans.push((range, filter));
            }
        }
        gap(&mut spans, end..text.len());
        WordSpans { spans }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::context::module_children;
    use crate::analysis::parse::parse;
    use crate::analysis::syntax::Module;

    fn whole_words(text: &str, parts: &[Range<usize>], name: &str) -> Vec<usize> {
        parts
            .iter()
            .flat_map(|part| {
                memchr::memmem::find_iter(&text.as_bytes()[part.clone()], name)
                    .map(move |at| part.start + at)
            })
            .filter(|&at| {
                !text[..at].ends_with(is_word_char)
                    && !text[at + name.len()..].starts_with(is_word_char)
            })
            .collect()
    }

    #[test]
    fn words_are_the_maximal_runs_of_word_characters() {
        let text = "größe(self,x_1)+1if  ŝ→über_2 ";
        let expected: Vec<&str> = text
            .split(|c: char| !is_word_char(c))
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(of(text).collect::<Vec<_>>(), expected);
        assert_eq!(expected.len(), 6);
    }

    #[test]
    fn a_filter_holds_every_word_of_its_text_and_few_others() {
        let text = "def größe(self, x_1):\n    return self.ŝ + 1if x_1 else 2  # über\n";
        let filter = WordFilter::of(text);
        for word in [
            "def", "größe", "self", "x_1", "return", "ŝ", "1if", "else", "2", "über",
        ] {
            assert!(filter.may_hold(word), "{word}");
        }
        let absent = (0..1000)
            .filter(|i| filter.may_hold(&format!("absent_{i}")))
            .count();
        assert!(absent < 100, "{absent} of 1000 absent words pass");
    }

    /// Every word of a file, looked for through its spans, is found where a search of the
    /// whole text finds it, in the module and in ranges cut anywhere.
    #[test]
    fn spans_find_every_word_a_whole_text_search_finds() {
        let text = "\"\"\"Doc: Cache, size.\"\"\"\nimport os  # os here\n\n@dec(size=1)\n\
                    class Cache(Base):\n    size = 3\n    # size in a comment\n    def get(self, key):\n        \
                    return self.items[key]  # key\n\n    def put(self, key, value): self.items[key] = value\n\n\
                    if os.environ:\n    size = len(os.environ)\nx = = 1\ndef f(): return size\n# end Cache\n";
        let tree = parse(text);
        let roots = [tree.root_node()];
        let statements = module_children(Module::new(&roots));
        let mut cache = WordCache::default();
        // Seen once: no filter yet, and the whole text is read.
        let first = cache.spans(text, &statements, false);
        assert!(first.spans.iter().all(|(_, filter)| filter.is_none()));
        let spans = cache.spans(text, &statements, false);
        let names: std::collections::BTreeSet<&str> = of(text).collect();
        assert!(names.len() >= 25, "{names:?}");
        let eager = WordCache::default().spans(text, &statements, true);
        for name in names
            .iter()
            .copied()
            .chain(["absent", "a.b", "os.environ", ""])
        {
            for range in [0..text.len(), 40..200, 101..102, 150..text.len()] {
                let expected = whole_words(text, std::slice::from_ref(&range), name);
                for spans in [&first, &spans, &eager] {
                    assert_eq!(
                        whole_words(text, &spans.to_search(range.clone(), name), name),
                        expected,
                        "{name:?} in {range:?}"
                    );
                }
            }
        }
        // The statements were given filters, and a rare word skips most of the text.
        assert!(spans.spans.iter().filter(|(_, f)| f.is_some()).count() >= 6);
        let searched: usize = spans
            .to_search(0..text.len(), "environ")
            .iter()
            .map(|part| part.len())
            .sum();
        assert!(
            searched < text.len() / 2,
            "{searched} of {} bytes",
            text.len()
        );
        // Kept for the next version: an unchanged unit's filter is the same one.
        let again = cache.spans(text, &statements, false);
        for ((_, a), (_, b)) in spans.spans.iter().zip(&again.spans) {
            assert_eq!(a.is_some(), b.is_some());
            if let (Some(a), Some(b)) = (a, b) {
                assert!(Arc::ptr_eq(a, b));
            }
        }
    }
}
