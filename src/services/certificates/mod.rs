//! Certificates: issued automatically when a course is completed and when a round's prizes are
//! allocated, exactly once per achievement and person (inside the transaction that records the
//! achievement); issued by hand, revoked and re-issued by the organizers of the holder's unit
//! (or above); verified by anyone holding a code.
//!
//! What is signed is fixed at issuance (`domain::certificate::Facts`): the holder's name and
//! unit as they were then, stay on the certificate even when the person moves or renames.
//! A correction is a re-issue: a new certificate, the old one marked superseded by it.

pub mod export;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    certificates::{self, CertificateKind},
    courses, rounds, units, users,
};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::Caller,
    certificates::{credential, pdf},
    domain::{
        certificate::{
            Achievement, Code, FACTS_TYPE, FACTS_VERSION, Facts, Status, Verification,
            public_holder,
        },
        text::has_hidden,
        time::{age_on, vn_today},
    },
    error::{ApiError, ApiResult, Code as E},
    limiter,
    state::AppState,
    store::{
        self, Conn,
        certificates::NewCertificate,
        contests::{Contest, NewResult},
    },
};

/// Who issues: the unit (when there is one) and the name printed.
#[derive(Clone, Debug)]
struct IssuerUnit {
    id: Option<i32>,
    name: String,
}

/// One certificate to sign.
struct Draft<'a> {
    holder: &'a users::Model,
    holder_unit: Option<(i32, String)>,
    achievement: Achievement,
    issuer: &'a IssuerUnit,
    seq: i32,
    issued_by: Option<Uuid>,
}

fn kind_of(a: &Achievement) -> CertificateKind {
    match a {
        Achievement::Course { .. } => CertificateKind::Course,
        Achievement::ContestAward { .. } => CertificateKind::ContestAward,
    }
}

/// Signs a draft: a fresh id and code, the facts in canonical form, the signature.
fn sign(state: &AppState, d: Draft<'_>, now: DateTime<Utc>) -> NewCertificate {
    let id = Uuid::new_v4();
    let code = Code::generate(&mut rand::rng());
    let issued_on = vn_today(now);
    let facts = Facts {
        kind: FACTS_TYPE.into(),
        version: FACTS_VERSION,
        id,
        code: code.as_str().to_owned(),
        holder: d.holder.full_name.nfc().collect(),
        holder_unit: d.holder_unit.as_ref().map(|u| u.1.clone()),
        achievement: d.achievement.clone(),
        issued_on,
        issuer: d.issuer.name.clone(),
        key_id: state.signer.key_id().to_owned(),
    };
    let canonical = facts.canonical();
    let signature = state.signer.sign(&canonical);
    let (course_id, round_id) = match &d.achievement {
        Achievement::Course { course_id, .. } => (Some(*course_id), None),
        Achievement::ContestAward { round_id, .. } => (None, Some(*round_id)),
    };
    NewCertificate {
        id,
        code: code.as_str().to_owned(),
        achievement: d.achievement.key(d.holder.id),
        seq: d.seq,
        kind: kind_of(&d.achievement),
        user_id: d.holder.id,
        course_id,
        round_id,
        unit_id: d.holder_unit.map(|u| u.0),
        issuer_unit_id: d.issuer.id,
        masked: d
            .holder
            .birth_date
            .is_some_and(|b| age_on(b, issued_on) < 18),
        facts: String::from_utf8_lossy(&canonical).into_owned(),
        signature,
        key_id: state.signer.key_id().to_owned(),
        issued_at: now,
        issued_by: d.issued_by,
    }
}

/// The issuer of course certificates: the province's union (the root unit of kind province),
/// or the configured name when the tree has none.
async fn province_issuer(db: &impl Conn, state: &AppState) -> ApiResult<IssuerUnit> {
    let root = store::units::roots(db)
        .await?
        .into_iter()
        .find(|u| u.kind == units::UnitKind::Province);
    Ok(match root {
        Some(u) => IssuerUnit {
            id: Some(u.id),
            name: u.name,
        },
        None => IssuerUnit {
            id: None,
            name: state.settings.issuer_name.clone(),
        },
    })
}

/// The issuer of a contest's award certificates: the contest's owning unit.
async fn contest_issuer(db: &impl Conn, state: &AppState, c: &Contest) -> ApiResult<IssuerUnit> {
    Ok(match store::units::find(db, c.owner_unit_id).await? {
        Some(u) => IssuerUnit {
            id: Some(u.id),
            name: u.name,
        },
        None => province_issuer(db, state).await?,
    })
}

/// Issues the certificate of a course just completed, inside the transaction that records the
/// completion (`db`): both land or neither. A retried completion issues nothing new.
///
/// Fails when the database does not answer.
pub async fn issue_for_course(
    db: &impl Conn,
    state: &AppState,
    holder: Uuid,
    holder_unit: Option<(i32, String)>,
    course: &courses::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let Some(user) = store::users::find(db, holder).await? else {
        return Ok(false);
    };
    let issuer = province_issuer(db, state).await?;
    let draft = Draft {
        holder: &user,
        holder_unit,
        achievement: Achievement::Course {
            course_id: course.id,
            course: course.title.clone(),
        },
        issuer: &issuer,
        seq: 1,
        issued_by: None,
    };
    let new = sign(state, draft, now);
    Ok(store::certificates::insert_new(db, vec![new]).await? == 1)
}

/// Issues the award certificates of a round's prize winners, inside the finaliser's
/// transaction (`db`). A second run issues nothing (each achievement's first issue exists).
/// Returns how many were issued.
///
/// Fails when the database does not answer.
pub async fn issue_for_round(
    db: &impl Conn,
    state: &AppState,
    contest: &Contest,
    round: &rounds::Model,
    results: &[NewResult],
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let winners: Vec<&NewResult> = results.iter().filter(|r| r.prize.is_some()).collect();
    if winners.is_empty() {
        return Ok(0);
    }
    let issuer = contest_issuer(db, state, contest).await?;
    let mut people: HashMap<Uuid, users::Model> = HashMap::new();
    for chunk in winners.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|r| r.user_id).collect();
        people.extend(
            store::users::find_many(db, &ids)
                .await?
                .into_iter()
                .map(|u| (u.id, u)),
        );
    }
    let new: Vec<NewCertificate> = winners
        .iter()
        .filter_map(|r| {
            let holder = people.get(&r.user_id)?;
            // An erased account keeps its result row but gets no certificate.
            if holder.deleted_at.is_some() {
                return None;
            }
            Some(sign(
                state,
                Draft {
                    holder,
                    holder_unit: r.unit_id.zip(r.unit_name.clone()),
                    achievement: Achievement::ContestAward {
                        contest_id: contest.id,
                        contest: contest.title.clone(),
                        round_id: round.id,
                        round: round.title.clone(),
                        rank: r.rank,
                        prize: r.prize.clone(),
                    },
                    issuer: &issuer,
                    seq: 1,
                    issued_by: None,
                },
                now,
            ))
        })
        .collect();
    store::certificates::insert_new(db, new).await
}

/// A certificate as its holder and the organizers see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificateView {
    pub id: Uuid,
    /// The printed code (`XXXX-XXXX-XXXX-XX`).
    pub code: String,
    #[serde(flatten)]
    pub status: Status,
    pub kind: CertificateKind,
    /// The holder's full name as signed.
    pub holder: String,
    pub holder_unit: Option<String>,
    pub achievement: Achievement,
    pub description: String,
    pub issued_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub issuer: String,
    /// 1 for the first issue of this achievement, then one more per re-issue.
    pub seq: i32,
    /// The public verification page (what the QR code encodes).
    pub verify_url: String,
    pub pdf_url: String,
    pub credential_url: String,
    pub key_id: String,
    pub signature: String,
    /// The exact signed bytes (RFC 8785 JSON).
    pub signed_facts: String,
}

fn facts_of(m: &certificates::Model) -> ApiResult<Facts> {
    Ok(store::json::decode("certificates", "facts", &m.facts)?)
}

fn printed_code(code: &str) -> String {
    Code::parse(code).map_or_else(|_| code.to_owned(), |c| c.display())
}

fn verify_url(state: &AppState, code: &str) -> String {
    format!("{}/verify/{code}", state.settings.public_url)
}

/// The status of `m`; `codes` holds the codes of the certificates that superseded others.
fn status_of(m: &certificates::Model, codes: &HashMap<Uuid, String>) -> Status {
    if let Some(at) = m.revoked_at {
        return Status::Revoked {
            revoked_at: at,
            reason: m.revoked_reason.clone().unwrap_or_default(),
        };
    }
    match (m.superseded_by, m.superseded_at) {
        (Some(by), Some(at)) => Status::Superseded {
            superseded_at: at,
            superseded_by: codes.get(&by).map(|c| printed_code(c)).unwrap_or_default(),
        },
        _ => Status::Valid,
    }
}

/// The status of one stored certificate (reads the successor's code when it was superseded).
///
/// Fails when the database does not answer.
pub async fn stored_status(db: &impl Conn, m: &certificates::Model) -> ApiResult<Status> {
    let codes = successor_codes(db, std::slice::from_ref(m)).await?;
    Ok(status_of(m, &codes))
}

/// The codes of the certificates that superseded any of `ms`.
async fn successor_codes(
    db: &impl Conn,
    ms: &[certificates::Model],
) -> ApiResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ms.iter().filter_map(|m| m.superseded_by).collect();
    Ok(store::certificates::find_many(db, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.code))
        .collect())
}

fn view(state: &AppState, m: &certificates::Model, status: Status) -> ApiResult<CertificateView> {
    let f = facts_of(m)?;
    let base = format!("{}/api/v1/certificates/{}", state.settings.public_url, m.id);
    Ok(CertificateView {
        id: m.id,
        code: printed_code(&m.code),
        status,
        kind: m.kind,
        description: f.achievement.describe(),
        holder: f.holder,
        holder_unit: f.holder_unit,
        achievement: f.achievement,
        issued_on: f.issued_on,
        issued_at: m.issued_at,
        issuer: f.issuer,
        seq: m.seq,
        verify_url: verify_url(state, &m.code),
        pdf_url: format!("{base}.pdf"),
        credential_url: format!("{base}/credential.json"),
        key_id: m.key_id.clone(),
        signature: m.signature.clone(),
        signed_facts: m.facts.clone(),
    })
}

/// The caller's own certificates, newest first.
///
/// Fails when the database does not answer.
pub async fn mine(state: &AppState, caller: &Caller) -> ApiResult<Vec<CertificateView>> {
    of_holder(state, caller.id).await
}

/// The certificates of `holder`, newest first (their own view, and their personal export).
///
/// Fails when the database does not answer.
pub async fn of_holder(state: &AppState, holder: Uuid) -> ApiResult<Vec<CertificateView>> {
    let ms = store::certificates::of_user(&state.db, holder).await?;
    let codes = successor_codes(&state.db, &ms).await?;
    ms.iter()
        .map(|m| view(state, m, status_of(m, &codes)))
        .collect()
}

/// Whether the caller organizes the holder's unit at issuance (or a unit above it).
async fn organizes_holder_unit(
    db: &impl Conn,
    caller: &Caller,
    m: &certificates::Model,
) -> ApiResult<bool> {
    if caller.is_admin {
        return Ok(true);
    }
    let Some(unit) = m.unit_id else {
        return Ok(false);
    };
    Ok(store::units::find(db, unit)
        .await?
        .is_some_and(|u| caller.may_act_within(&u)))
}

/// A certificate the caller may see (its holder, the organizers of its unit's subtree), and
/// whether they may also manage it (revoke, re-issue); else 404: whoever may not see one
/// learns nothing of it, not even that it exists.
async fn visible(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<(certificates::Model, bool)> {
    let m = store::certificates::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(E::CertificateNotFound))?;
    let manages = organizes_holder_unit(&state.db, caller, &m).await?;
    if m.user_id == caller.id || manages {
        Ok((m, manages))
    } else {
        Err(E::CertificateNotFound.into())
    }
}

/// One certificate, for its holder and the organizers of its unit's subtree.
///
/// Fails with 404 `certificate_not_found` when it does not exist or the caller may not see it.
pub async fn get(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<CertificateView> {
    let (m, _) = visible(state, caller, id).await?;
    let status = stored_status(&state.db, &m).await?;
    view(state, &m, status)
}

/// What the PDF prints over a certificate no longer valid.
fn status_note(status: &Status) -> Option<&'static str> {
    match status {
        Status::Valid => None,
        Status::Revoked { .. } => Some("ĐÃ THU HỒI"),
        Status::Superseded { .. } => Some("ĐÃ ĐƯỢC THAY THẾ"),
    }
}

/// Renders a stored certificate on the blocking pool, at most a few at a time.
async fn render(state: &AppState, m: &certificates::Model, status: &Status) -> ApiResult<Vec<u8>> {
    let facts = facts_of(m)?;
    let signature = m.signature.clone();
    let url = verify_url(state, &m.code);
    let note = status_note(status);
    let _permit = state
        .renders
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    actix_web::web::block(move || {
        pdf::render(&pdf::Printed {
            facts: &facts,
            signature: &signature,
            verify_url: &url,
            status_note: note,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("PDF rendering stopped: {e}")))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("PDF rendering failed: {e}")))
}

/// The PDF of a certificate (same access as [`get`]), with its printed code for the file name.
///
/// Fails with 404 like [`get`], or 500 when rendering fails.
pub async fn pdf(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<(String, Vec<u8>)> {
    let (m, _) = visible(state, caller, id).await?;
    let bytes = render(state, &m, &stored_status(&state.db, &m).await?).await?;
    Ok((printed_code(&m.code), bytes))
}

/// The certificate as an Open Badges 3.0 credential with an `eddsa-jcs-2022` proof (same
/// access as [`get`]).
///
/// Fails with 404 like [`get`].
pub async fn credential(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<serde_json::Value> {
    let (m, _) = visible(state, caller, id).await?;
    let facts = facts_of(&m)?;
    Ok(credential::credential(
        &facts,
        &state.signer,
        &state.settings.public_url,
        m.issued_at,
    ))
}

/// What anyone holding a code may see (see [`Verification`]), or `None` when no certificate
/// has it. A code that fails its check symbol is not looked up at all; one that passes is one
/// indexed lookup, so every request costs the same whatever the code.
///
/// Fails when the database does not answer.
pub async fn verify(state: &AppState, code_typed: &str) -> ApiResult<Option<Verification>> {
    let Ok(code) = Code::parse(code_typed) else {
        return Ok(None);
    };
    let Some(m) = store::certificates::by_code(&state.db, code.as_str()).await? else {
        return Ok(None);
    };
    let status = stored_status(&state.db, &m).await?;
    let f = facts_of(&m)?;
    Ok(Some(Verification {
        status,
        code: code.display(),
        holder: public_holder(&f.holder, m.masked),
        holder_masked: m.masked,
        holder_unit: f.holder_unit,
        description: f.achievement.describe(),
        achievement: f.achievement,
        issued_on: f.issued_on,
        issuer: f.issuer,
        key_id: m.key_id.clone(),
        signature: m.signature.clone(),
        signed_facts: (!m.masked).then(|| m.facts.clone()),
    }))
}

/// A reason given for a revocation or a re-issue: NFC, 3 to 500 characters, one line.
fn reason(text: &str) -> ApiResult<String> {
    let r: String = text.trim().nfc().collect();
    let n = r.chars().count();
    if !(3..=500).contains(&n) || has_hidden(&r) {
        return Err(E::InvalidReason.field_with(
            "reason",
            "Lý do cần từ 3 đến 500 ký tự, không chứa ký tự điều khiển",
        ));
    }
    Ok(r)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// Why (3–500 characters); shown on the verification page.
    #[schema(min_length = 3, max_length = 500)]
    pub reason: String,
}

/// Revokes a valid certificate. Organizers of the holder's unit (or above) and admins.
///
/// Fails with 404 when the caller may not see it, 403 when they may see it but not manage it
/// (its holder), 409 `certificate_not_valid` when it is revoked or superseded already, 422
/// `invalid_reason`.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    body: &Revoke,
) -> ApiResult<CertificateView> {
    let why = reason(&body.reason)?;
    let (m, manages) = visible(state, caller, id).await?;
    caller.require(manages)?;
    let tx = store::begin(&state.db).await?;
    if !store::certificates::revoke(&tx, m.id, &why, caller.id, state.clock.now()).await? {
        return Err(E::CertificateNotValid.into());
    }
    tx.commit().await?;
    tracing::info!(certificate_id = %m.id, by = %caller.id, "certificate revoked");
    get(state, caller, id).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reissue {
    /// Why (optional, 3–500 characters when given); kept in the log.
    #[schema(min_length = 3, max_length = 500)]
    pub reason: Option<String>,
}

/// Re-issues a certificate: a new one for the same achievement with the holder's current
/// name (the usual reason is a corrected name), the unit and achievement as first certified;
/// the old one is marked superseded by it (not deleted). A revoked certificate may be
/// re-issued (a revocation made by mistake). Organizers of the holder's unit and admins.
///
/// Fails like [`revoke`]; 409 `certificate_not_valid` when it was superseded already.
pub async fn reissue(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    body: &Reissue,
) -> ApiResult<CertificateView> {
    let why = body.reason.as_deref().map(reason).transpose()?;
    let (old, manages) = visible(state, caller, id).await?;
    caller.require(manages)?;
    if old.superseded_by.is_some() {
        return Err(E::CertificateNotValid.into());
    }
    let f = facts_of(&old)?;
    let now = state.clock.now();
    let tx = store::begin(&state.db).await?;
    let holder = store::users::find(&tx, old.user_id)
        .await?
        .ok_or_else(|| ApiError::from(E::CertificateNotFound))?;
    let issuer = IssuerUnit {
        id: old.issuer_unit_id,
        name: f.issuer.clone(),
    };
    let seq = store::certificates::last_seq(&tx, &old.achievement).await? + 1;
    let new = sign(
        state,
        Draft {
            holder: &holder,
            holder_unit: old.unit_id.zip(f.holder_unit.clone()),
            achievement: f.achievement,
            issuer: &issuer,
            seq,
            issued_by: Some(caller.id),
        },
        now,
    );
    let new_id = new.id;
    if store::certificates::insert_new(&tx, vec![new]).await? != 1
        || !store::certificates::supersede(&tx, old.id, new_id, now).await?
    {
        return Err(E::CertificateNotValid.into());
    }
    tx.commit().await?;
    tracing::info!(certificate_id = %old.id, new_id = %new_id, by = %caller.id, reason = ?why, "certificate re-issued");
    get(state, caller, new_id).await
}

/// A person and a course they completed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ByCourse {
    pub user_id: Uuid,
    pub course_id: i32,
}

/// A person and a finalised round they have a result in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ByRound {
    pub user_id: Uuid,
    pub round_id: i32,
}

/// What a certificate issued by hand is for: `{"user_id", "course_id"}` or
/// `{"user_id", "round_id"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum IssueByHand {
    Course(ByCourse),
    Round(ByRound),
}

/// Issues a certificate by hand for a person of the caller's subtree, for an achievement the
/// platform recorded (a completed course, a result in a finalised round) that has no valid
/// certificate: one that automatic issuance missed, or a revoked one to replace.
///
/// Fails with 422 `user_not_found`, 403 when the person is outside the caller's subtree, 422
/// `not_eligible` without the achievement, 409 `certificate_exists` when a valid certificate
/// exists (re-issue that one instead).
pub async fn issue_by_hand(
    state: &AppState,
    caller: &Caller,
    body: &IssueByHand,
) -> ApiResult<CertificateView> {
    let now = state.clock.now();
    let tx = store::begin(&state.db).await?;
    let user_id = match body {
        IssueByHand::Course(b) => b.user_id,
        IssueByHand::Round(b) => b.user_id,
    };
    let holder = store::users::find_live(&tx, user_id)
        .await?
        .ok_or_else(|| E::UserNotFound.field("user_id"))?;
    let unit = match holder.unit_id {
        Some(u) => store::units::find(&tx, u).await?,
        None => None,
    };
    caller.require(caller.is_admin || unit.as_ref().is_some_and(|u| caller.may_act_within(u)))?;
    let (achievement, holder_unit, issuer) = match body {
        IssueByHand::Course(ByCourse { course_id, .. }) => {
            let course_id = *course_id;
            let course = store::courses::find(&tx, course_id)
                .await?
                .ok_or_else(|| E::CourseNotFound.field("course_id"))?;
            let done = store::courses::completion(&tx, holder.id, course_id)
                .await?
                .ok_or_else(|| E::NotEligible.field("course_id"))?;
            (
                Achievement::Course {
                    course_id,
                    course: course.title,
                },
                done.unit_id.zip(done.unit_name),
                province_issuer(&tx, state).await?,
            )
        }
        IssueByHand::Round(ByRound { round_id, .. }) => {
            let round_id = *round_id;
            let round = store::contests::round(&tx, round_id)
                .await?
                .ok_or_else(|| E::RoundNotFound.field("round_id"))?;
            let contest = store::contests::contest(&tx, round.contest_id)
                .await?
                .ok_or_else(|| E::RoundNotFound.field("round_id"))?;
            let result = store::contests::results(&tx, round.id)
                .await?
                .into_iter()
                .find(|r| r.user_id == holder.id)
                .ok_or_else(|| E::NotEligible.field("round_id"))?;
            (
                Achievement::ContestAward {
                    contest_id: contest.id,
                    contest: contest.title.clone(),
                    round_id: round.id,
                    round: round.title.clone(),
                    rank: result.rank,
                    prize: result.prize,
                },
                result.unit_id.zip(result.unit_name),
                contest_issuer(&tx, state, &contest).await?,
            )
        }
    };
    let key = achievement.key(holder.id);
    if store::certificates::has_valid(&tx, &key).await? {
        return Err(E::CertificateExists.into());
    }
    let seq = store::certificates::last_seq(&tx, &key).await? + 1;
    let new = sign(
        state,
        Draft {
            holder: &holder,
            holder_unit,
            achievement,
            issuer: &issuer,
            seq,
            issued_by: Some(caller.id),
        },
        now,
    );
    let id = new.id;
    if store::certificates::insert_new(&tx, vec![new]).await? != 1 {
        return Err(E::CertificateExists.into());
    }
    tx.commit().await?;
    tracing::info!(certificate_id = %id, user_id = %holder.id, by = %caller.id, "certificate issued by hand");
    get(state, caller, id).await
}

/// Lookups of codes allowed per client address per minute: plenty for people scanning
/// certificates, far too few to enumerate 2^65 codes.
const LOOKUPS_PER_MINUTE: u64 = 60;

/// Counts one code lookup from `address`.
///
/// Fails with 429 (and when to retry) past [`LOOKUPS_PER_MINUTE`], 503 when the limiter's
/// store does not answer.
pub async fn admit_lookup(state: &AppState, address: &str) -> ApiResult<()> {
    let key = format!("verify:addr:{address}");
    let window = std::time::Duration::from_secs(60);
    let count = state
        .limiter
        .hit(&key, window)
        .await
        .map_err(ApiError::Unavailable)?;
    if count > LOOKUPS_PER_MINUTE {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: limiter::retry_after(state.limiter.as_ref(), &key, window).await,
        });
    }
    Ok(())
}
