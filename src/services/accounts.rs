//! Accounts: registration, login with throttling, token refresh and logout, the profile, data
//! export and erasure.

use chrono::{DateTime, NaiveDate, Utc};
use entity::users;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    membership::{self, MembershipRequest},
    units::{Unit, find_active},
};
use crate::{
    auth::{password, tokens},
    domain::{
        login::{Login, parse_email},
        person::{self, Category, Profile},
        phone::Phone,
        text::FullName,
        time::vn_today,
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// 2 to 100 letters (any diacritics), spaces and `-`, `.`, `'`.
    #[schema(min_length = 2, max_length = 100)]
    pub full_name: String,
    /// Any common Vietnamese form: `0912 345 678`, `+84912345678`, `84912345678`.
    pub phone: Option<String>,
    pub email: Option<String>,
    #[schema(format = Password)]
    pub password: String,
    /// `YYYY-MM-DD`.
    pub birth_date: NaiveDate,
    pub unit_id: i32,
    pub categories: Vec<Category>,
    /// Admission date, required for `new_member`.
    pub admitted_on: Option<NaiveDate>,
    /// Required (true) under 16.
    #[serde(default)]
    pub guardian_consent: bool,
}

/// The account as its owner sees it. Never carries the password hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub unit: Option<Unit>,
    pub categories: Vec<Category>,
    pub admitted_on: Option<NaiveDate>,
    pub guardian_consent: bool,
    pub roles: Roles,
    pub created_at: DateTime<Utc>,
    /// A change of unit or of a staff-assigned category (`cadre`, `new_member`) waiting for
    /// an organizer of the receiving unit; `unit` and `categories` above do not include it yet.
    pub pending_change: Option<MembershipRequest>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Roles {
    pub admin: bool,
    /// Units this person organizes (each with its subtree).
    pub organizer_of: Vec<Unit>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Phone number (any common form) or e-mail.
    pub login: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime of the access token, in seconds.
    pub expires_in: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub unit_id: Option<i32>,
    pub categories: Option<Vec<Category>>,
    pub admitted_on: Option<NaiveDate>,
    pub guardian_consent: Option<bool>,
    /// Required with `new_password`.
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// Everything the platform keeps about a person, for `GET /me/export`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonalExport {
    pub exported_at: DateTime<Utc>,
    pub profile: Me,
    pub sessions: Vec<SessionRecord>,
    pub certificates: Vec<super::certificates::CertificateView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionRecord {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn rule(e: person::RuleError) -> ApiError {
    e.code.field_with(e.field, e.message)
}

fn parse_phone(input: &str) -> ApiResult<String> {
    Phone::parse(input)
        .map(Phone::into_string)
        .map_err(|e| Code::InvalidPhone.field_with("phone", e.to_string()))
}

fn parse_mail(input: &str) -> ApiResult<String> {
    parse_email(input).map_err(|e| Code::InvalidEmail.field_with("email", e.to_string()))
}

fn parse_name(input: &str) -> ApiResult<String> {
    FullName::parse(input)
        .map(FullName::into_string)
        .map_err(|e| Code::InvalidFullName.field_with("full_name", e.to_string()))
}

pub async fn register(state: &AppState, reg: Registration) -> ApiResult<Me> {
    let full_name = parse_name(&reg.full_name)?;
    let phone = reg
        .phone
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(parse_phone)
        .transpose()?;
    let email = reg
        .email
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(parse_mail)
        .transpose()?;
    if phone.is_none() && email.is_none() {
        return Err(Code::LoginRequired.field("phone"));
    }
    person::check_password(&reg.password).map_err(rule)?;
    let today = vn_today(state.clock.now());
    person::check_profile(
        &Profile {
            birth_date: reg.birth_date,
            categories: &reg.categories,
            admitted_on: reg.admitted_on,
            guardian_consent: reg.guardian_consent,
        },
        today,
    )
    .map_err(rule)?;
    let unit = find_active(state, reg.unit_id, "unit_id").await?;
    let password_hash = password::hash(reg.password).await?;
    // Staff confirm who is a cadre; a new member's admission is confirmed later by the roster.
    let (staff, categories): (Vec<Category>, Vec<Category>) =
        reg.categories.iter().partition(|c| **c == Category::Cadre);
    let now = state.clock.now();
    let tx = store::begin(&state.db).await?;
    let user = store::users::insert(
        &tx,
        store::users::NewUser {
            id: Uuid::new_v4(),
            full_name,
            phone,
            email,
            password_hash,
            birth_date: Some(reg.birth_date),
            unit_id: Some(unit.id),
            admitted_on: reg.admitted_on,
            guardian_consent: reg.guardian_consent,
            is_admin: false,
            categories,
        },
        now,
    )
    .await?;
    if !staff.is_empty() {
        store::users::insert_membership_request(
            &tx,
            store::users::NewMembershipRequest {
                user_id: user.id,
                from_unit_id: None,
                unit_id: unit.id,
                add: staff,
                remove: Vec::new(),
                admitted_on: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(user_id = %user.id, unit_id = unit.id, "account registered");
    me_from(state, user).await
}

/// The throttle key of an account: its id when it exists (so its phone, its e-mail and
/// `PATCH /me` share one count), else a hash of the login (never the phone or e-mail itself).
fn account_key(user: Option<Uuid>, login: &str) -> String {
    match user {
        Some(id) => format!("login:acct:{}", id.simple()),
        None => {
            let digest = Sha256::digest(login.as_bytes());
            let short: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
            format!("login:acct:{short}")
        }
    }
}

fn address_key(address: &str) -> String {
    format!("login:addr:{address}")
}

/// Counts one password check under each key BEFORE it runs, atomically, so concurrent
/// attempts cannot all slip under the limit: a count is the failures of the window plus the
/// checks in flight. Refused attempts take their count back; so do successful ones (see
/// `release`), which leaves the failures of others standing.
async fn admit(state: &AppState, keys: &[(String, u64)]) -> ApiResult<()> {
    let window = state.settings.login_failure_window;
    for (i, (key, limit)) in keys.iter().enumerate() {
        let count = state
            .limiter
            .hit(key, window)
            .await
            .map_err(ApiError::Unavailable)?;
        if count > *limit {
            let retry_after_secs =
                crate::limiter::retry_after(state.limiter.as_ref(), key, window).await;
            release(state, &keys[..=i]).await;
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
    }
    Ok(())
}

/// Takes back the counts of an admitted check that did not fail (a success, or a check that
/// never ran). Best effort: a backend error leaves a count that expires with its window.
async fn release(state: &AppState, keys: &[(String, u64)]) {
    for (key, _) in keys {
        if let Err(e) = state.limiter.undo(key).await {
            tracing::warn!(error = %e, "login throttle: count not taken back");
        }
    }
}

/// Checks a password through the throttle: `Ok(true)` only for the right password of an
/// existing account. Fails with 429 when a limit is reached, or when hashing is saturated.
async fn checked_password(
    state: &AppState,
    account: String,
    address: &str,
    password_text: String,
    stored: Option<String>,
) -> ApiResult<bool> {
    let s = &state.settings;
    let keys = [
        (account, s.login_failures_per_account),
        (address_key(address), s.login_failures_per_address),
    ];
    admit(state, &keys).await?;
    match password::verify(password_text, stored).await {
        Ok(true) => {
            release(state, &keys).await;
            Ok(true)
        }
        Ok(false) => Ok(false),
        Err(e) => {
            release(state, &keys).await;
            Err(e.into())
        }
    }
}

pub async fn login(
    state: &AppState,
    creds: Credentials,
    client_address: &str,
) -> ApiResult<TokenPair> {
    let bad = || ApiError::from(Code::InvalidCredentials);
    let login = Login::parse(&creds.login).map_err(|_| bad())?;
    let user = store::users::find_by_login(&state.db, &login)
        .await?
        .filter(|u| u.deleted_at.is_none());
    let account = account_key(user.as_ref().map(|u| u.id), login.as_str());
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let exists = stored.is_some();
    if !checked_password(state, account, client_address, creds.password, stored).await? {
        tracing::info!("login failed");
        return Err(bad());
    }
    let Some(user) = user.filter(|_| exists) else {
        return Err(bad());
    };
    tracing::info!(user_id = %user.id, "logged in");
    issue_pair(state, &state.db, &user, Uuid::new_v4()).await
}

/// Signs an access token and stores a new refresh token of `family` through `db`.
async fn issue_pair(
    state: &AppState,
    db: &impl store::Conn,
    user: &users::Model,
    family: Uuid,
) -> ApiResult<TokenPair> {
    let now = state.clock.now();
    let ttl = state.settings.access_token_ttl;
    let access_token =
        state
            .jwt
            .issue_at(user.id, user.is_admin, user.token_generation, now, ttl)?;
    let user = user.id;
    let refresh_token = tokens::new_refresh_token();
    let refresh_ttl = chrono::Duration::from_std(state.settings.refresh_token_ttl)
        .map_err(|e| ApiError::Internal(e.into()))?;
    store::tokens::insert(
        db,
        user,
        family,
        tokens::refresh_token_hash(&refresh_token),
        now,
        now + refresh_ttl,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: ttl.as_secs(),
    })
}

/// Spends a refresh token for a new pair (one transaction: the old token is spent only if the
/// new one is stored). A replayed token revokes its family and ends the person's access tokens.
pub async fn refresh(state: &AppState, req: RefreshRequest) -> ApiResult<TokenPair> {
    let now = state.clock.now();
    let hash = tokens::refresh_token_hash(req.refresh_token.trim());
    let invalid = || ApiError::from(Code::InvalidRefreshToken);
    let tx = store::begin(&state.db).await?;
    match store::tokens::consume(&tx, &hash, now).await? {
        store::tokens::Consumed::Fresh(token) => {
            let user = store::users::find_live(&tx, token.user_id)
                .await?
                .ok_or_else(invalid)?;
            let pair = issue_pair(state, &tx, &user, token.family_id).await?;
            tx.commit().await?;
            Ok(pair)
        }
        store::tokens::Consumed::Replayed(user) => {
            // What a stolen token looks like: end the access tokens too.
            store::users::bump_token_generation(&tx, user).await?;
            tx.commit().await?;
            state.callers.forget(user);
            tracing::warn!(user_id = %user, "refresh token replayed; its family is revoked");
            Err(invalid())
        }
        store::tokens::Consumed::Expired => Err(ApiError::from(Code::RefreshTokenExpired)),
        store::tokens::Consumed::Unknown => Err(invalid()),
    }
}

/// Revokes the session (the refresh token's whole family) and ends the person's access
/// tokens, in one transaction. Unknown tokens are accepted silently: logging out twice is not
/// an error.
pub async fn logout(state: &AppState, req: RefreshRequest) -> ApiResult<()> {
    let hash = tokens::refresh_token_hash(req.refresh_token.trim());
    let tx = store::begin(&state.db).await?;
    if let Some(token) = store::tokens::find_by_hash(&tx, &hash).await? {
        // Access tokens carry no session id: logging out ends all of this person's access
        // tokens (other devices refresh and carry on with their own sessions).
        store::users::bump_token_generation(&tx, token.user_id).await?;
        store::tokens::revoke_family(&tx, token.family_id, state.clock.now()).await?;
        tx.commit().await?;
        state.callers.forget(token.user_id);
        tracing::info!(user_id = %token.user_id, "logged out");
    }
    Ok(())
}

async fn current(state: &AppState, id: Uuid) -> ApiResult<users::Model> {
    store::users::find_live(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::AccountNotFound))
}

async fn me_from(state: &AppState, user: users::Model) -> ApiResult<Me> {
    let unit = match user.unit_id {
        Some(id) => store::units::find(&state.db, id).await?.map(Unit::from),
        None => None,
    };
    let categories = store::users::categories(&state.db, user.id).await?;
    let pending_change = match store::users::pending_membership_request(&state.db, user.id).await? {
        Some(r) => Some(membership::describe(state, r, None).await?),
        None => None,
    };
    let organizer_of = store::users::organized_units(&state.db, user.id)
        .await?
        .into_iter()
        .map(Unit::from)
        .collect();
    Ok(Me {
        id: user.id,
        full_name: user.full_name,
        phone: user.phone,
        email: user.email,
        birth_date: user.birth_date,
        unit,
        categories,
        admitted_on: user.admitted_on,
        guardian_consent: user.guardian_consent,
        roles: Roles {
            admin: user.is_admin,
            organizer_of,
        },
        created_at: user.created_at,
        pending_change,
    })
}

pub async fn me(state: &AppState, id: Uuid) -> ApiResult<Me> {
    let user = current(state, id).await?;
    me_from(state, user).await
}

/// What `PATCH /me` did: the profile, and whether part of the change waits for an organizer.
pub struct Updated {
    pub me: Me,
    pub pending: bool,
}

/// Applies a profile change. A password change checks `current_password` through the login
/// throttle (same account and address counts), so `PATCH /me` is no password oracle, and ends
/// every session. A change of unit or of a staff-assigned category becomes a membership
/// request (the rest applies). Everything is written in one transaction.
pub async fn update_me(
    state: &AppState,
    id: Uuid,
    change: ProfileChange,
    client_address: &str,
) -> ApiResult<Updated> {
    let user = current(state, id).await?;
    let old_categories = store::users::categories(&state.db, id).await?;
    let categories = change
        .categories
        .clone()
        .unwrap_or_else(|| old_categories.clone());
    let birth_date = change.birth_date.or(user.birth_date);
    let admitted_on = change.admitted_on.or(user.admitted_on);
    let consent = change.guardian_consent.unwrap_or(user.guardian_consent);
    if let Some(birth_date) = birth_date {
        person::check_profile(
            &Profile {
                birth_date,
                categories: &categories,
                admitted_on,
                guardian_consent: consent,
            },
            vn_today(state.clock.now()),
        )
        .map_err(rule)?;
    }

    let mut patch = store::users::ProfilePatch {
        full_name: change.full_name.as_deref().map(parse_name).transpose()?,
        birth_date,
        admitted_on,
        guardian_consent: Some(consent),
        ..Default::default()
    };
    if let Some(phone) = &change.phone {
        patch.phone = Some(
            Some(phone)
                .filter(|p| !p.trim().is_empty())
                .map(|p| parse_phone(p))
                .transpose()?,
        );
    }
    if let Some(email) = &change.email {
        patch.email = Some(
            Some(email)
                .filter(|e| !e.trim().is_empty())
                .map(|e| parse_mail(e))
                .transpose()?,
        );
    }
    let phone_left = change
        .phone
        .as_ref()
        .map_or(user.phone.is_some(), |p| !p.trim().is_empty());
    let email_left = change
        .email
        .as_ref()
        .map_or(user.email.is_some(), |e| !e.trim().is_empty());
    if !phone_left && !email_left {
        return Err(Code::LoginRequired.field_with(
            "phone",
            "Cần giữ lại số điện thoại hoặc e-mail để đăng nhập",
        ));
    }
    let new_unit = match change.unit_id {
        Some(unit_id) if Some(unit_id) != user.unit_id => {
            Some(find_active(state, unit_id, "unit_id").await?.id)
        }
        _ => None,
    };
    // Self-declared categories apply now; staff-assigned ones wait for a decision.
    let (applied_categories, add, remove) = match &change.categories {
        None => (None, Vec::new(), Vec::new()),
        Some(wanted) => {
            let (applied, add, remove) = person::split_category_change(&old_categories, wanted);
            (Some(applied), add, remove)
        }
    };
    let request = if new_unit.is_some() || !add.is_empty() || !remove.is_empty() {
        let unit_id = new_unit
            .or(user.unit_id)
            .ok_or_else(|| Code::UnitRequired.field("unit_id"))?;
        let admitted = add
            .contains(&Category::NewMember)
            .then_some(admitted_on)
            .flatten();
        Some(store::users::NewMembershipRequest {
            user_id: id,
            from_unit_id: user.unit_id,
            unit_id,
            add,
            remove,
            admitted_on: admitted,
        })
    } else {
        None
    };

    if let Some(new_password) = change.new_password {
        let current_password = change.current_password.unwrap_or_default();
        let account = account_key(Some(id), "");
        let stored = user.password_hash.clone();
        if !checked_password(state, account, client_address, current_password, stored).await? {
            return Err(Code::WrongPassword.field("current_password"));
        }
        person::check_password(&new_password).map_err(rule)?;
        // Hashed before the transaction: the hash takes long, the transaction must not.
        patch.password_hash = Some(password::hash(new_password).await?);
    }
    let password_changed = patch.password_hash.is_some();
    let now = state.clock.now();
    let pending = request.is_some();

    let tx = store::begin(&state.db).await?;
    let saved = store::users::update_profile(&tx, id, patch, now).await?;
    if let Some(categories) = &applied_categories {
        store::users::set_categories(&tx, id, categories).await?;
    }
    let filed = match request {
        Some(request) => Some(store::users::insert_membership_request(&tx, request, now).await?),
        None => None,
    };
    if password_changed {
        // A new password ends every access token and every other session.
        store::users::bump_token_generation(&tx, id).await?;
        store::tokens::revoke_all(&tx, id, now).await?;
    }
    tx.commit().await?;
    state.callers.forget(id);
    state.names.forget_person(id);
    if let Some(filed) = filed {
        tracing::info!(user_id = %id, request_id = filed.id, "membership change requested");
    }
    tracing::info!(user_id = %id, password_changed, "profile updated");
    Ok(Updated {
        me: me_from(state, saved).await?,
        pending,
    })
}

pub async fn export(state: &AppState, id: Uuid) -> ApiResult<PersonalExport> {
    let profile = me(state, id).await?;
    let sessions = store::tokens::list_for_user(&state.db, id)
        .await?
        .into_iter()
        .map(|t| SessionRecord {
            created_at: t.created_at,
            expires_at: t.expires_at,
            used_at: t.used_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    Ok(PersonalExport {
        exported_at: state.clock.now(),
        profile,
        sessions,
        certificates: super::certificates::of_holder(state, id).await?,
    })
}

/// Erases the caller's personal data (see `store::users::erase`) and masks their name on the
/// public pages of their certificates, in one transaction.
pub async fn erase(state: &AppState, id: Uuid) -> ApiResult<()> {
    current(state, id).await?;
    let tx = store::begin(&state.db).await?;
    store::users::erase(&tx, id, state.clock.now()).await?;
    store::certificates::mask_holder(&tx, id).await?;
    tx.commit().await?;
    state.callers.erased(id);
    state.names.forget_person(id);
    tracing::info!(user_id = %id, "personal data erased");
    Ok(())
}

/// Creates the first admin, or makes an existing account an admin with this password (see
/// [`create_admin_in`]).
pub async fn create_admin(
    state: &AppState,
    login: &str,
    password_text: String,
) -> anyhow::Result<(Uuid, bool)> {
    let made = create_admin_in(&state.db, state.clock.now(), login, password_text).await?;
    state.callers.forget(made.0);
    Ok(made)
}

/// Creates the first admin, or makes an existing account an admin with this password, with
/// the database alone (the `create-admin` command needs no Redis). Returns the account and
/// whether it is new.
///
/// Fails when the login or password is unusable or the database refuses.
pub async fn create_admin_in(
    db: &store::Db,
    now: DateTime<Utc>,
    login: &str,
    password_text: String,
) -> anyhow::Result<(Uuid, bool)> {
    let login = Login::parse(login).map_err(|e| anyhow::anyhow!("{e}"))?;
    person::check_password(&password_text).map_err(|e| anyhow::anyhow!(e.message))?;
    let hash = password::hash(password_text).await?;
    let tx = store::begin(db).await?;
    if let Some(existing) = store::users::find_by_login(&tx, &login).await? {
        store::users::promote_to_admin(&tx, existing.id, hash, now).await?;
        tx.commit().await?;
        return Ok((existing.id, false));
    }
    let root = store::units::list(&tx, false).await?.into_iter().next();
    let (phone, email) = match login {
        Login::Phone(p) => (Some(p.into_string()), None),
        Login::Email(e) => (None, Some(e)),
    };
    let user = store::users::insert(
        &tx,
        store::users::NewUser {
            id: Uuid::new_v4(),
            full_name: "Quản trị viên".into(),
            phone,
            email,
            password_hash: hash,
            birth_date: None,
            unit_id: root.map(|u| u.id),
            admitted_on: None,
            guardian_consent: false,
            is_admin: true,
            categories: vec![Category::Cadre],
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((user.id, true))
}
