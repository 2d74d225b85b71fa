//! Dimension keys normalised once: a run's metrics share a handful of keys (`endpoint`,
//! `http_method`, ...), so each distinct key is put through the rules the first time it is met
//! and copied after that. The cache is bounded: past [`MAX_KEYS`] distinct keys, new ones are
//! normalised every time, so memory stays flat whatever the input.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::classic::write_dimension_key;

/// Distinct keys kept at most.
const MAX_KEYS: usize = 4096;
/// Longer keys are not kept (they are rare, and would make the cache's memory depend on them).
const MAX_KEY_BYTES: usize = 128;

#[derive(Default)]
pub struct DimensionKeyCache {
    /// Raw key to its normalised form; `None` when nothing is left of it.
    keys: HashMap<Box<str>, Option<Box<str>>, FxBuildHasher>,
}

impl DimensionKeyCache {
    /// [`write_dimension_key`]: writes the normalised key onto `out`; false (and nothing
    /// written) when nothing is left of it.
    pub fn write(&mut self, raw: &str, out: &mut String) -> bool {
        if let Some(normalised) = self.keys.get(raw) {
            return match normalised {
                Some(key) => {
                    out.push_str(key);
                    true
                }
                None => false,
            };
        }
        let start = out.len();
        let written = write_dimension_key(raw, out);
        if raw.len() <= MAX_KEY_BYTES && self.keys.len() < MAX_KEYS {
            let normalised = written.then(|| Box::from(&out[start..]));
            self.keys.insert(Box::from(raw), normalised);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_rules(raw: &str) -> (bool, String) {
        let mut out = String::from("x=");
        (write_dimension_key(raw, &mut out), out)
    }

    fn cached(cache: &mut DimensionKeyCache, raw: &str) -> (bool, String) {
        let mut out = String::from("x=");
        (cache.write(raw, &mut out), out)
    }

    proptest! {
        #[test]
        fn cached_keys_are_the_rules_keys_the_first_time_and_after(
            keys in proptest::collection::vec("[A-Za-z0-9_.:\\- İé東]{0,12}", 1..40),
        ) {
            let mut cache = DimensionKeyCache::default();
            for _ in 0..2 {
                for raw in &keys {
                    prop_assert_eq!(cached(&mut cache, raw), by_rules(raw), "{:?}", raw);
                }
            }
        }
    }

    #[test]
    fn past_its_bound_the_cache_still_normalises_and_grows_no_more() {
        let mut cache = DimensionKeyCache::default();
        for i in 0..MAX_KEYS + 10 {
            let raw = format!("Key.{i}");
            assert_eq!(cached(&mut cache, &raw), by_rules(&raw));
        }
        assert_eq!(cache.keys.len(), MAX_KEYS);
        let long = "K".repeat(MAX_KEY_BYTES + 1);
        assert_eq!(cached(&mut cache, &long), by_rules(&long));
        assert_eq!(cached(&mut cache, "..."), (false, "x=".to_owned()));
    }
}
