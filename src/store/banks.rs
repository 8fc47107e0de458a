//! Question banks, questions and their immutable versions.
//!
//! Rows leave this module decoded: a bank's purpose as [`Purpose`], a version's kind, options
//! and tags as domain values. A stored value that does not decode is an error naming its
//! column, never a default (an empty option list would grade every answer wrong).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{question_banks, question_versions, questions};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::{Conn, json};
use crate::{
    domain::{
        banks::{BankDef, OptionDef, QuestionDef, QuestionKind},
        content::Validity,
        paper::Purpose,
    },
    error::ApiResult,
};

/// A question bank as the services see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bank {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub origin: String,
    /// Bumped by every import that changed a question.
    pub version: i32,
    /// The unit whose organizers (and those above) read and change the bank.
    pub unit_id: Option<i32>,
    /// Unset until a round or a course first draws from the bank.
    pub purpose: Option<Purpose>,
    pub updated_at: DateTime<Utc>,
}

fn purpose_of(column: Option<&str>) -> Result<Option<Purpose>, DbErr> {
    column
        .map(|p| {
            Purpose::parse(p).ok_or_else(|| {
                DbErr::Type(format!(
                    "question_banks.purpose holds an unknown purpose: {p:?}"
                ))
            })
        })
        .transpose()
}

impl TryFrom<question_banks::Model> for Bank {
    type Error = DbErr;

    fn try_from(b: question_banks::Model) -> Result<Self, DbErr> {
        Ok(Bank {
            purpose: purpose_of(b.purpose.as_deref())?,
            id: b.id,
            slug: b.slug,
            title: b.title,
            description: b.description,
            origin: b.origin,
            version: b.version,
            unit_id: b.unit_id,
            updated_at: b.updated_at,
        })
    }
}

fn banks(rows: Vec<question_banks::Model>) -> Result<Vec<Bank>, DbErr> {
    rows.into_iter().map(Bank::try_from).collect()
}

/// One immutable question version, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: i32,
    pub question_id: i32,
    pub version: i32,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<OptionDef>,
    pub explanation: String,
    pub source: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
    pub content_hash: String,
    pub family: Option<String>,
    pub validity: Validity,
    pub documents: Vec<String>,
}

impl TryFrom<question_versions::Model> for Version {
    type Error = DbErr;

    fn try_from(v: question_versions::Model) -> Result<Self, DbErr> {
        let bad = |column: &str, what: String| {
            DbErr::Type(format!("question_versions.{column} holds {what}"))
        };
        Ok(Version {
            kind: QuestionKind::parse(&v.kind)
                .ok_or_else(|| bad("kind", format!("an unknown kind: {:?}", v.kind)))?,
            options: json::decode("question_versions", "options", &v.options)?,
            tags: json::decode("question_versions", "tags", &v.tags)?,
            difficulty: u8::try_from(v.difficulty)
                .map_err(|_| bad("difficulty", format!("{} (not 0..=255)", v.difficulty)))?,
            id: v.id,
            question_id: v.question_id,
            version: v.version,
            stem: v.stem,
            explanation: v.explanation,
            source: v.source,
            content_hash: v.content_hash,
            family: v.family,
            validity: Validity {
                from: v.valid_from,
                until: v.valid_until,
            },
            documents: json::decode("question_versions", "documents", &v.documents)?,
        })
    }
}

impl Version {
    /// The question as a file would define it (for checks that read files and the database
    /// alike, such as the content report).
    pub fn to_def(&self, key: &str) -> QuestionDef {
        QuestionDef {
            key: key.to_owned(),
            kind: self.kind,
            stem: self.stem.clone(),
            options: self.options.clone(),
            explanation: self.explanation.clone(),
            source: self.source.clone(),
            tags: self.tags.clone(),
            difficulty: self.difficulty,
            family: self.family.clone(),
            validity: self.validity,
            documents: self.documents.clone(),
            line: 0,
        }
    }
}

fn versions(rows: Vec<question_versions::Model>) -> Result<Vec<Version>, DbErr> {
    rows.into_iter().map(Version::try_from).collect()
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub added: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub retired: u32,
}

async fn insert_version(
    db: &impl Conn,
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
        options: Set(json::encode(&q.options)?),
        explanation: Set(q.explanation.clone()),
        source: Set(q.source.clone()),
        tags: Set(json::encode(&q.tags)?),
        difficulty: Set(i16::from(q.difficulty)),
        content_hash: Set(hash),
        created_at: Set(now),
        family: Set(q.family.clone()),
        valid_from: Set(q.validity.from),
        valid_until: Set(q.validity.until),
        documents: Set(json::encode(&q.documents)?),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

async fn set_current(
    db: &impl Conn,
    question_id: i32,
    version_id: Option<i32>,
    retired_at: Option<DateTime<Utc>>,
) -> ApiResult<()> {
    let mut update = questions::Entity::update_many()
        .col_expr(questions::Column::RetiredAt, Expr::value(retired_at))
        .filter(questions::Column::Id.eq(question_id));
    if let Some(v) = version_id {
        update = update.col_expr(questions::Column::CurrentVersionId, Expr::value(v));
    }
    update.exec(db).await?;
    Ok(())
}

/// Applies a parsed bank: new questions are added, edited ones get a new version, unchanged
/// ones stay, questions missing from the file are retired. The bank's version is bumped when
/// anything changed. A new bank belongs to `owner`; the file's purpose, when it states one,
/// replaces the bank's.
///
/// Several statements: the caller passes its [`super::Tx`] so the file lands whole or not at
/// all.
pub async fn apply(
    db: &impl Conn,
    def: &BankDef,
    origin: &str,
    now: DateTime<Utc>,
    owner: Option<i32>,
) -> ApiResult<(Bank, Counts)> {
    let bank = match question_banks::Entity::find()
        .filter(question_banks::Column::Slug.eq(&def.slug))
        .one(db)
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
            .insert(db)
            .await?
        }
    };
    let existing = questions::Entity::find()
        .filter(questions::Column::BankId.eq(bank.id))
        .all(db)
        .await?;
    let version_ids: Vec<i32> = existing
        .iter()
        .filter_map(|q| q.current_version_id)
        .collect();
    // Only the hash and the number are compared: no need to decode the content.
    let current: HashMap<i32, (i32, String)> = question_versions::Entity::find()
        .filter(question_versions::Column::Id.is_in(version_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.question_id, (v.version, v.content_hash)))
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
                .insert(db)
                .await?;
                let vid = insert_version(db, row.id, 1, q, hash, now).await?;
                set_current(db, row.id, Some(vid), None).await?;
                counts.added += 1;
            }
            Some(row) => {
                let cur = current.get(&row.id);
                let same = cur.is_some_and(|(_, h)| *h == hash);
                if same && row.retired_at.is_none() {
                    counts.unchanged += 1;
                    continue;
                }
                let vid = if same {
                    None
                } else {
                    let next = cur.map_or(1, |(v, _)| v + 1);
                    Some(insert_version(db, row.id, next, q, hash, now).await?)
                };
                set_current(db, row.id, vid, None).await?;
                counts.updated += 1;
            }
        }
    }
    let keep: HashSet<&str> = def.questions.iter().map(|q| q.key.as_str()).collect();
    for row in existing
        .iter()
        .filter(|q| q.retired_at.is_none() && !keep.contains(q.key.as_str()))
    {
        set_current(db, row.id, None, Some(now)).await?;
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
        active.update(db).await?
    } else {
        bank
    };
    Ok((bank.try_into()?, counts))
}

pub async fn list(db: &impl Conn) -> ApiResult<Vec<Bank>> {
    let rows = question_banks::Entity::find()
        .order_by_asc(question_banks::Column::Slug)
        .all(db)
        .await?;
    Ok(banks(rows)?)
}

pub async fn find(db: &impl Conn, id: i32) -> ApiResult<Option<Bank>> {
    let row = question_banks::Entity::find_by_id(id).one(db).await?;
    Ok(row.map(Bank::try_from).transpose()?)
}

pub async fn by_slugs(db: &impl Conn, slugs: &[String]) -> ApiResult<Vec<Bank>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = question_banks::Entity::find()
        .filter(question_banks::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?;
    Ok(banks(rows)?)
}

/// Gives every bank named this purpose unless it has the other one, in one conditional
/// statement (a concurrent claim of the other purpose cannot slip between a check and the
/// write). Returns whether every named bank that exists now has this purpose; when not,
/// nothing was written and the caller's transaction should be dropped.
pub async fn claim_purpose(db: &impl Conn, slugs: &[String], purpose: Purpose) -> ApiResult<bool> {
    let mut slugs = slugs.to_vec();
    slugs.sort();
    slugs.dedup();
    if slugs.is_empty() {
        return Ok(true);
    }
    let existing = question_banks::Entity::find()
        .filter(question_banks::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?
        .len();
    let claimed = question_banks::Entity::update_many()
        .col_expr(
            question_banks::Column::Purpose,
            Expr::value(purpose.as_str()),
        )
        .filter(question_banks::Column::Slug.is_in(slugs))
        .filter(
            sea_orm::Condition::any()
                .add(question_banks::Column::Purpose.is_null())
                .add(question_banks::Column::Purpose.eq(purpose.as_str())),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok(usize::try_from(claimed).is_ok_and(|n| n == existing))
}

/// Current versions of the banks named, by slug.
pub async fn versions_by_slug(
    db: &impl Conn,
    slugs: &[String],
) -> ApiResult<HashMap<String, (i32, i32)>> {
    Ok(question_banks::Entity::find()
        .filter(question_banks::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.slug, (b.id, b.version)))
        .collect())
}

/// The live questions of a bank, each with its key and current version.
pub async fn live_questions(db: &impl Conn, bank_id: i32) -> ApiResult<Vec<(String, Version)>> {
    let qs = questions::Entity::find()
        .filter(questions::Column::BankId.eq(bank_id))
        .filter(questions::Column::RetiredAt.is_null())
        .order_by_asc(questions::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = qs.iter().filter_map(|q| q.current_version_id).collect();
    let mut current: HashMap<i32, Version> = versions_by_id(db, &ids)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(qs
        .into_iter()
        .filter_map(|q| {
            let v = current.remove(&q.current_version_id?)?;
            Some((q.key, v))
        })
        .collect())
}

pub async fn versions_by_id(db: &impl Conn, ids: &[i32]) -> ApiResult<Vec<Version>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = question_versions::Entity::find()
        .filter(question_versions::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(versions(rows)?)
}

/// Counts of live and retired questions per bank id.
pub async fn question_counts(db: &impl Conn) -> ApiResult<HashMap<i32, (u32, u32)>> {
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

/// Whether a quiz of another kind than `kind` draws from the bank `slug`.
pub async fn drawn_from_by_other_than(
    db: &impl Conn,
    slug: &str,
    kind: entity::quizzes::QuizKind,
) -> ApiResult<bool> {
    // Draw rules are JSON written by serde: `{"bank":"slug",…}`.
    let needle = format!("%\"bank\":\"{slug}\"%");
    Ok(entity::quizzes::Entity::find()
        .filter(entity::quizzes::Column::DrawRules.like(needle))
        .filter(entity::quizzes::Column::Kind.ne(kind))
        .one(db)
        .await?
        .is_some())
}
