//! Codes (countries, products) to dense indices: what the trade readers and the trade store share.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// A fast multiplicative hash (FxHash's) for interning short codes; not for untrusted keys in long-lived
/// maps, which a file's codes are not.
#[derive(Default)]
pub struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed with [`Fx`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Codes to dense indices into a list of names (the list grows as new codes come).
#[derive(Default)]
pub struct Interner {
    map: FxHashMap<Arc<str>, u32>,
}

impl Interner {
    /// The index of `s` in `list`, appending it when new.
    pub fn get(&mut self, s: &str, list: &mut Vec<String>) -> u32 {
        self.entry(s, list).1
    }

    fn entry(&mut self, s: &str, list: &mut Vec<String>) -> (Arc<str>, u32) {
        if let Some((k, &i)) = self.map.get_key_value(s) {
            return (k.clone(), i);
        }
        let k: Arc<str> = Arc::from(s);
        let i = list.len() as u32;
        list.push(s.to_string());
        self.map.insert(k.clone(), i);
        (k, i)
    }
}

/// The last code one column looked up, with its index: files sorted by a column repeat its codes in runs,
/// which then need no hash lookup.
#[derive(Default)]
pub struct Last(Option<(Arc<str>, u32)>);

impl Last {
    /// [`Interner::get`], remembering the answer.
    pub fn get(&mut self, s: &str, codes: &mut Interner, list: &mut Vec<String>) -> u32 {
        match &self.0 {
            Some((k, i)) if &**k == s => *i,
            _ => {
                let (k, i) = codes.entry(s, list);
                self.0 = Some((k, i));
                i
            }
        }
    }
}
