//! Question versions, decoded once (by the store): the cache that holds them (and the banks'
//! pools) is `caches::QuestionCache`.

use crate::store;

/// One question version, decoded.
pub use store::banks::Version;

impl Version {
    pub fn key(&self) -> Vec<bool> {
        self.options.iter().map(|o| o.correct).collect()
    }
}
