//! Question banks, questions and their immutable versions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{question_banks, question_versions, questions};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::Db;
use crate::{
    domain::banks::{BankDef, OptionDef, QuestionDef},
    error::{ApiError, ApiResult},
};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub added: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub retired: u32,
}

fn json<T: serde::Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(|e| ApiError::Internal(e.into()))
}

async fn insert_version(
    txn: &impl ConnectionTrait,
    question_id: i32,
    version: i32,
    q: &QuestionDef,
    hash: String,
    now: DateTime<Utc>,
) -> ApiResult<i32> {
    let row = question_versions::ActiveModel {
        question_id: Set(question_id),
        version: Set(version),
        kind: Set(q.kind.as_str().to_owned()),
        stem: Set(q.stem.clone()),
        options: Set(json(&q.options)?),
        explanation: Set(q.explanation.clone()),
        source: Set(q.source.clone()),
        tags: Set(json(&q.tags)?),
        difficulty: Set(i16::from(q.difficulty)),
        content_hash: Set(hash),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}

/// Applies a parsed bank in one transaction: new questions are added, edited ones get a new
/// version, unchanged ones stay, questions missing from the file are retired. The bank's
/// version is bumped when anything changed. A new bank belongs to `owner`; the file's purpose,
/// when it states one, replaces the bank's.
pub async fn apply(
    db: &Db,
    def: &BankDef,
    origin: &str,
    now: DateTime<Utc>,
    owner: Option<i32>,
) -> ApiResult<(question_banks::Model, Counts)> {
    let txn = db.begin().await?;
    let bank = match question_banks::Entity::find()
        .filter(question_banks::Column::Slug.eq(&def.slug))
        .one(&txn)
        .await?
    {
        Some(b) => b,
        None => {
            question_banks::ActiveModel {
                slug: Set(def.slug.clone()),
                title: Set(def.title.clone()),
                description: Set(def.description.clone()),
                origin: Set(origin.to_owned()),
                version: Set(0),
                unit_id: Set(owner),
                purpose: Set(def.purpose.map(|p| p.as_str().to_owned())),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let existing = questions::Entity::find()
        .filter(questions::Column::BankId.eq(bank.id))
        .all(&txn)
        .await?;
    let version_ids: Vec<i32> = existing
        .iter()
        .filter_map(|q| q.current_version_id)
        .collect();
    let current: HashMap<i32, question_versions::Model> = question_versions::Entity::find()
        .filter(question_versions::Column::Id.is_in(version_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| (v.question_id, v))
        .collect();
    let by_key: HashMap<&str, &questions::Model> =
        existing.iter().map(|q| (q.key.as_str(), q)).collect();

    let mut counts = Counts::default();
    for q in &def.questions {
        let hash = q.content_hash();
        match by_key.get(q.key.as_str()) {
            None => {
                let row = questions::ActiveModel {
                    bank_id: Set(bank.id),
                    key: Set(q.key.clone()),
                    current_version_id: Set(None),
                    retired_at: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let vid = insert_version(&txn, row.id, 1, q, hash, now).await?;
                let mut active: questions::ActiveModel = row.into();
                active.current_version_id = Set(Some(vid));
                active.update(&txn).await?;
                counts.added += 1;
            }
            Some(row) => {
                let cur = current.get(&row.id);
                let same = cur.is_some_and(|v| v.content_hash == hash);
                if same && row.retired_at.is_none() {
                    counts.unchanged += 1;
                    continue;
                }
                let mut active: questions::ActiveModel = (*row).clone().into();
                if !same {
                    let next = cur.map_or(1, |v| v.version + 1);
                    let vid = insert_version(&txn, row.id, next, q, hash, now).await?;
                    active.current_version_id = Set(Some(vid));
                }
                active.retired_at = Set(None);
                active.update(&txn).await?;
                counts.updated += 1;
            }
        }
    }
    let keep: std::collections::HashSet<&str> =
        def.questions.iter().map(|q| q.key.as_str()).collect();
    for row in existing
        .iter()
        .filter(|q| q.retired_at.is_none() && !keep.contains(q.key.as_str()))
    {
        let mut active: questions::ActiveModel = row.clone().into();
        active.retired_at = Set(Some(now));
        active.update(&txn).await?;
        counts.retired += 1;
    }
    let changed = counts.added + counts.updated + counts.retired > 0;
    let purpose = def
        .purpose
        .map(|p| p.as_str().to_owned())
        .or_else(|| bank.purpose.clone());
    let meta_changed = bank.title != def.title
        || bank.description != def.description
        || bank.origin != origin
        || bank.purpose != purpose;
    let bank = if changed || meta_changed {
        let version = bank.version + i32::from(changed);
        let mut active: question_banks::ActiveModel = bank.into();
        active.title = Set(def.title.clone());
        active.description = Set(def.description.clone());
        active.origin = Set(origin.to_owned());
        active.purpose = Set(purpose);
        active.version = Set(version);
        active.updated_at = Set(now);
        active.update(&txn).await?
    } else {
        bank
    };
    txn.commit().await?;
    Ok((bank, counts))
}

pub async fn list(db: &Db) -> ApiResult<Vec<question_banks::Model>> {
    Ok(question_banks::Entity::find()
        .order_by_asc(question_banks::Column::Slug)
        .all(db)
        .await?)
}

pub async fn find(db: &Db, id: i32) -> ApiResult<Option<question_banks::Model>> {
    Ok(question_banks::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_slugs(db: &Db, slugs: &[String]) -> ApiResult<Vec<question_banks::Model>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(question_banks::Entity::find()
        .filter(question_banks::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?)
}

/// Gives the banks named that have no purpose yet this one (a bank that has one keeps it).
pub async fn claim_purpose(db: &Db, slugs: &[String], purpose: &str) -> ApiResult<()> {
    if slugs.is_empty() {
        return Ok(());
    }
    question_banks::Entity::update_many()
        .col_expr(
            question_banks::Column::Purpose,
            sea_orm::sea_query::Expr::value(purpose),
        )
        .filter(question_banks::Column::Slug.is_in(slugs.iter().cloned()))
        .filter(question_banks::Column::Purpose.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Current versions of the banks named, by slug.
pub async fn versions_by_slug(db: &Db, slugs: &[String]) -> ApiResult<HashMap<String, (i32, i32)>> {
    Ok(question_banks::Entity::find()
        .filter(question_banks::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.slug, (b.id, b.version)))
        .collect())
}

/// The live questions of a bank with their current versions.
pub async fn live_questions(
    db: &Db,
    bank_id: i32,
) -> ApiResult<Vec<(questions::Model, question_versions::Model)>> {
    let qs = questions::Entity::find()
        .filter(questions::Column::BankId.eq(bank_id))
        .filter(questions::Column::RetiredAt.is_null())
        .order_by_asc(questions::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = qs.iter().filter_map(|q| q.current_version_id).collect();
    let mut versions: HashMap<i32, question_versions::Model> = question_versions::Entity::find()
        .filter(question_versions::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(qs
        .into_iter()
        .filter_map(|q| {
            let v = versions.remove(&q.current_version_id?)?;
            Some((q, v))
        })
        .collect())
}

pub async fn versions_by_id(db: &Db, ids: &[i32]) -> ApiResult<Vec<question_versions::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(question_versions::Entity::find()
        .filter(question_versions::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Counts of live and retired questions per bank id.
pub async fn question_counts(db: &Db) -> ApiResult<HashMap<i32, (u32, u32)>> {
    let mut out: HashMap<i32, (u32, u32)> = HashMap::new();
    for q in questions::Entity::find().all(db).await? {
        let e = out.entry(q.bank_id).or_default();
        if q.retired_at.is_none() {
            e.0 += 1
        } else {
            e.1 += 1
        }
    }
    Ok(out)
}

/// Decodes the options column.
pub fn options_of(v: &question_versions::Model) -> Vec<OptionDef> {
    serde_json::from_str(&v.options).unwrap_or_default()
}

pub fn tags_of(v: &question_versions::Model) -> Vec<String> {
    serde_json::from_str(&v.tags).unwrap_or_default()
}

/// Quizzes (of any kind) whose draw rules name the bank `slug`.
pub async fn quizzes_drawing_from(db: &Db, slug: &str) -> ApiResult<Vec<entity::quizzes::Model>> {
    // Draw rules are JSON written by serde: `{"bank":"slug",…}`.
    let needle = format!("%\"bank\":\"{slug}\"%");
    Ok(entity::quizzes::Entity::find()
        .filter(entity::quizzes::Column::DrawRules.like(needle))
        .all(db)
        .await?)
}
