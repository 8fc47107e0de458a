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
    pub(crate) fn from_model(v: &entity::question_versions::Model) -> Self {
        Version {
            id: v.id,
            question_id: v.question_id,
            kind: QuestionKind::parse(&v.kind).unwrap_or(QuestionKind::Single),
            stem: v.stem.clone(),
            options: store::banks::options_of(v),
            explanation: v.explanation.clone(),
            source: v.source.clone(),
            tags: store::banks::tags_of(v),
            difficulty: u8::try_from(v.difficulty).unwrap_or(1),
        }
    }

    pub fn key(&self) -> Vec<bool> {
        self.options.iter().map(|o| o.correct).collect()
    }
}
