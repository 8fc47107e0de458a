//! Question versions, decoded once: the cache that holds them (and the banks' pools) is
//! `caches::QuestionCache`.

use crate::{
    domain::banks::{OptionDef, QuestionKind},
    store,
};

/// One question version, decoded.
#[derive(Debug, Clone)]
pub struct Version {
    pub id: i32,
    pub question_id: i32,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<OptionDef>,
    pub explanation: String,
    pub source: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
}

impl Version {
    pub(crate) fn from_model(v: store::banks::Version) -> Self {
        Version {
            id: v.id,
            question_id: v.question_id,
            kind: v.kind,
            stem: v.stem,
            options: v.options,
            explanation: v.explanation,
            source: v.source,
            tags: v.tags,
            difficulty: v.difficulty,
        }
    }

    pub fn key(&self) -> Vec<bool> {
        self.options.iter().map(|o| o.correct).collect()
    }
}
