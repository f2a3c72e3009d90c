//! Maps keyed by a statement's text, as the caches kept between keystrokes are
//! ([`crate::analysis::Cache`]).

use std::hash::{BuildHasher, Hasher};

use foldhash::fast::FixedState;

/// A map from statements' texts, hashed by [`EndsHash`].
pub type ByStatementText<V> = std::collections::HashMap<Box<str>, V, EndsHash>;

/// Hashes a long text by its length and its ends only. Every keystroke looks up every
/// statement of the file in each cache, and hashing whole texts (a 30 KB test class, several
/// times over) cost more than the rest of a lookup; texts of equal hashes are still compared
/// whole.
#[derive(Debug, Default, Clone, Copy)]
pub struct EndsHash;

/// How many bytes of each end of a long text are hashed.
const END: usize = 64;

impl BuildHasher for EndsHash {
    type Hasher = EndsHasher;

    fn build_hasher(&self) -> EndsHasher {
        EndsHasher(FixedState::default().build_hasher())
    }
}

pub struct EndsHasher(<FixedState as BuildHasher>::Hasher);

impl Hasher for EndsHasher {
    fn write(&mut self, bytes: &[u8]) {
        if bytes.len() <= 2 * END {
            self.0.write(bytes);
        } else {
            self.0.write_usize(bytes.len());
            self.0.write(&bytes[..END]);
            self.0.write(&bytes[bytes.len() - END..]);
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.0.write_u8(byte);
    }

    fn write_usize(&mut self, value: usize) {
        self.0.write_usize(value);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_differing_only_inside_share_a_hash_and_stay_apart() {
        let middle = |c: &str| format!("{}{c}{}", "a".repeat(100), "b".repeat(100));
        let hash = |text: &str| EndsHash.hash_one(text);
        assert_eq!(hash(&middle("x")), hash(&middle("y")));
        assert_ne!(hash(&middle("x")), hash(&middle("xy")));
        assert_ne!(hash("short x"), hash("short y"));
        let mut map = ByStatementText::default();
        map.insert(middle("x").into(), 1);
        map.insert(middle("y").into(), 2);
        assert_eq!(map.get(middle("x").as_str()), Some(&1));
        assert_eq!(map.get(middle("y").as_str()), Some(&2));
        assert_eq!(map.get(middle("z").as_str()), None);
    }
}
