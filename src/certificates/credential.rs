//! The portable credential: one certificate as an Open Badges 3.0 `AchievementCredential`
//! (a W3C Verifiable Credential, data model 2.0) secured with a Data Integrity proof,
//! cryptosuite `eddsa-jcs-2022` (W3C "Data Integrity EdDSA Cryptosuites v1.0").
//!
//! The proof covers RFC 8785 (JCS) bytes, not JSON-LD canonical forms, so a verifier needs only
//! a JCS library, SHA-256 and Ed25519 — no context documents fetched, no call to this service.
//! The verification method is the signer's `did:key`, which carries the public key itself.
//!
//! Choices worth knowing:
//! - The issuer profile's `id` is the same `did:key`. Verifiers (Open Badges validators in
//!   particular) check that the proof's verification method is controlled by the issuer; with a
//!   `did:key` issuer that holds by construction and needs no fetch of `{public_url}/issuer`,
//!   which would also stop resolving if the service moved. The profile's `url` still points
//!   readers to the service. After a key rotation new credentials name the new key's DID;
//!   old ones stay valid under the old DID (retired keys stay published).
//! - No `credentialStatus`: revocation is recorded on the certificate, not in a status list,
//!   and a status entry we cannot serve as a `BitstringStatusListCredential` would only make
//!   wallets report an error. The credential's `id` is the public verification URL, where the
//!   current status (valid, revoked, superseded) is shown. A revoked certificate's credential
//!   is not changed: it is signed, and what it states stays true as at issuance.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::certificates::signing::{Signer, did_key, multibase_key};
use crate::domain::certificate::{Achievement, Facts, canonical_json};

/// The two contexts every Open Badges 3.0 credential starts with, in this order.
pub const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];

/// The only cryptosuite this module writes and reads.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";

/// The Open Badges 3.0 credential for `facts`, signed by `signer` at `created`.
///
/// `public_url` is the service's public base URL (`SOIDUONG_PUBLIC_URL`); the credential's id
/// is the certificate's verification page under it.
pub fn credential(
    facts: &Facts,
    signer: &Signer,
    public_url: &str,
    created: DateTime<Utc>,
) -> Value {
    let base = public_url.trim_end_matches('/');
    let public = signer.verifying_key();
    let did = did_key(&public);
    let mut document = unsecured(facts, base, &did);
    let proof_options = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created.to_rfc3339_opts(SecondsFormat::Secs, true),
        "verificationMethod": format!("{did}#{}", multibase_key(&public)),
        "proofPurpose": "assertionMethod",
    });
    let hash_data = hash_data(&document, &proof_options);
    let signature = signer.sign_raw(&hash_data);
    let mut proof = proof_options;
    if let Value::Object(p) = &mut proof {
        p.insert(
            "proofValue".into(),
            Value::String(format!("z{}", bs58::encode(signature).into_string())),
        );
    }
    if let Value::Object(d) = &mut document {
        d.insert("proof".into(), proof);
    }
    document
}

/// Verifies an `eddsa-jcs-2022` proof on a credential with the given public key (used by tests
/// and the CLI).
///
/// False when the document has no single proof object, the proof is not a `DataIntegrityProof`
/// of this cryptosuite, its verification method is a `did:key` of another key, the proof's
/// `@context` is not a prefix of the document's, or the signature does not verify over the
/// document and proof options exactly as they are.
pub fn verify_credential(doc: &Value, key: &VerifyingKey) -> bool {
    let Some(secured) = doc.as_object() else {
        return false;
    };
    let Some(Value::Object(proof)) = secured.get("proof") else {
        return false;
    };
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof")
        || proof.get("cryptosuite").and_then(Value::as_str) != Some(CRYPTOSUITE)
    {
        return false;
    }
    // A did:key names its own key: one that is not `key` means this proof is not ours to pass.
    if let Some(method) = proof.get("verificationMethod").and_then(Value::as_str)
        && let Some(did) = method
            .split('#')
            .next()
            .filter(|d| d.starts_with("did:key:"))
        && did != did_key(key)
    {
        return false;
    }
    let Some(signature) = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(|v| v.strip_prefix('z'))
        .and_then(|b58| bs58::decode(b58).into_vec().ok())
        .and_then(|raw| <[u8; 64]>::try_from(raw.as_slice()).ok())
    else {
        return false;
    };

    let mut document = secured.clone();
    document.remove("proof");
    let mut options = proof.clone();
    options.remove("proofValue");
    // A proof that carries its own @context must only restate the document's leading contexts
    // (spec: verify proof, step on proofOptions.@context); it then replaces the document's.
    if let Some(proof_context) = options.get("@context") {
        let proof_list = context_list(proof_context);
        let doc_list = document
            .get("@context")
            .map(context_list)
            .unwrap_or_default();
        if proof_list.len() > doc_list.len() || doc_list[..proof_list.len()] != proof_list[..] {
            return false;
        }
        document.insert("@context".into(), proof_context.clone());
    }
    let hash_data = hash_data(&Value::Object(document), &Value::Object(options));
    key.verify_strict(&hash_data, &Signature::from_bytes(&signature))
        .is_ok()
}

/// The credential without its proof.
fn unsecured(facts: &Facts, base: &str, did: &str) -> Value {
    let (kind, achievement_id, achievement_name, criteria) = match &facts.achievement {
        Achievement::Course { course_id, course } => (
            "Course",
            format!("{base}/achievements/course/{course_id}"),
            course.clone(),
            format!(
                "Hoàn thành mọi bài học và bài kiểm tra của khóa học «{course}» trên Soi Đường."
            ),
        ),
        Achievement::ContestAward {
            round_id,
            contest,
            round,
            ..
        } => (
            "Competition",
            format!("{base}/achievements/round/{round_id}"),
            format!("{round} — cuộc thi «{contest}»"),
            format!(
                "Đạt thứ hạng hoặc giải theo kết quả chung cuộc của {round}, cuộc thi «{contest}», do ban tổ chức công bố."
            ),
        ),
    };
    let description = facts.achievement.describe();
    json!({
        "@context": CONTEXTS,
        "id": format!("{base}/verify/{}", facts.code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": format!("Chứng nhận: {achievement_name}"),
        "description": description,
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": facts.issuer,
            "url": base,
        },
        "validFrom": valid_from(facts.issued_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": facts.holder,
            // Open Badges 3.0 wants an `id` or an `identifier` for the subject; holders have
            // no DID, so their name (as signed) is the identifier.
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": facts.holder,
                "identityType": "name",
                "hashed": false,
            }],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": kind,
                "name": achievement_name,
                "description": description,
                "criteria": { "narrative": criteria },
            },
        },
    })
}

/// Midnight of the issue day in Vietnam. Asia/Ho_Chi_Minh has been UTC+7 without daylight
/// saving since 1975, so a fixed offset is exact for every certificate we issue.
fn valid_from(day: NaiveDate) -> String {
    format!("{}T00:00:00+07:00", day.format("%Y-%m-%d"))
}

/// `hashData` of eddsa-jcs-2022: SHA-256 of the JCS proof configuration (the proof options
/// with the document's `@context`), then SHA-256 of the JCS document without its proof.
fn hash_data(document: &Value, proof_options: &Value) -> Vec<u8> {
    let mut config = proof_options.as_object().cloned().unwrap_or_default();
    if let Some(context) = document.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    let mut out = Sha256::digest(canonical_json(&Value::Object(config))).to_vec();
    out.extend_from_slice(&Sha256::digest(canonical_json(document)));
    out
}

fn context_list(context: &Value) -> Vec<Value> {
    match context {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts(achievement: Achievement) -> Facts {
        Facts {
            achievement,
            ..Facts::example()
        }
    }

    fn course() -> Achievement {
        Achievement::Course {
            course_id: 4,
            course: "Lý luận chính trị".into(),
        }
    }

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 3, 15, 0).unwrap()
    }

    fn signed() -> (Value, Signer) {
        let signer = Signer::new([5; 32], &[]);
        let doc = credential(&facts(course()), &signer, "https://soiduong.vn/", created());
        (doc, signer)
    }

    #[test]
    fn a_fresh_credential_verifies_with_the_signers_key() {
        let (doc, signer) = signed();
        assert!(verify_credential(&doc, &signer.verifying_key()));
    }

    #[test]
    fn credential_has_the_open_badges_shape() {
        let (doc, signer) = signed();
        assert_eq!(doc["@context"], json!(CONTEXTS));
        assert_eq!(
            doc["type"],
            json!(["VerifiableCredential", "OpenBadgeCredential"])
        );
        assert_eq!(doc["id"], "https://soiduong.vn/verify/7K2QM9XD4HRTV0");
        assert_eq!(doc["validFrom"], "2026-11-30T00:00:00+07:00");
        assert_eq!(doc["issuer"]["id"], json!(signer.keys()[0].did));
        assert_eq!(doc["issuer"]["name"], "Tỉnh Đoàn An Giang");
        let subject = &doc["credentialSubject"];
        assert_eq!(subject["name"], "Nguyễn Thị Ánh");
        assert_eq!(
            subject["achievement"]["id"],
            "https://soiduong.vn/achievements/course/4"
        );
        assert_eq!(
            subject["achievement"]["description"],
            "Đã hoàn thành khóa học «Lý luận chính trị»"
        );
        let proof = &doc["proof"];
        assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
        assert_eq!(proof["created"], "2026-11-30T03:15:00Z");
        let method = proof["verificationMethod"].as_str().unwrap();
        let (did, fragment) = method.split_once('#').unwrap();
        assert!(did.starts_with("did:key:z6Mk") && did.ends_with(fragment));
        assert!(proof["proofValue"].as_str().unwrap().starts_with('z'));
        assert!(proof.get("@context").is_none());
    }

    #[test]
    fn contest_awards_name_the_round() {
        let signer = Signer::new([5; 32], &[]);
        let award = Achievement::ContestAward {
            contest_id: 2,
            contest: "Tìm hiểu Hiến pháp".into(),
            round_id: 9,
            round: "Vòng chung kết".into(),
            rank: 1,
            prize: Some("Giải Nhất".into()),
        };
        let doc = credential(&facts(award), &signer, "https://soiduong.vn", created());
        let achievement = &doc["credentialSubject"]["achievement"];
        assert_eq!(
            achievement["id"],
            "https://soiduong.vn/achievements/round/9"
        );
        assert!(
            achievement["description"]
                .as_str()
                .unwrap()
                .starts_with("Đạt Giải Nhất")
        );
        assert!(verify_credential(&doc, &signer.verifying_key()));
    }

    #[test]
    fn one_changed_byte_in_the_holder_name_fails() {
        let (mut doc, signer) = signed();
        // "Ánh" → "Ánj": one byte of the UTF-8 text.
        doc["credentialSubject"]["name"] = json!("Nguyễn Thị Ánj");
        assert!(!verify_credential(&doc, &signer.verifying_key()));
    }

    #[test]
    fn a_changed_proof_created_time_fails() {
        let (mut doc, signer) = signed();
        doc["proof"]["created"] = json!("2026-11-30T03:15:01Z");
        assert!(!verify_credential(&doc, &signer.verifying_key()));
    }

    #[test]
    fn another_key_or_a_damaged_proof_fails() {
        let (doc, _) = signed();
        let other = Signer::new([6; 32], &[]);
        assert!(!verify_credential(&doc, &other.verifying_key()));

        let (mut no_proof, signer) = signed();
        no_proof.as_object_mut().unwrap().remove("proof");
        assert!(!verify_credential(&no_proof, &signer.verifying_key()));

        let (mut bad_value, signer) = signed();
        bad_value["proof"]["proofValue"] = json!("zzz");
        assert!(!verify_credential(&bad_value, &signer.verifying_key()));

        let (mut other_suite, signer) = signed();
        other_suite["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
        assert!(!verify_credential(&other_suite, &signer.verifying_key()));
    }

    #[test]
    fn a_proof_context_must_prefix_the_documents() {
        let (mut doc, signer) = signed();
        doc["proof"]["@context"] = json!([CONTEXTS[0]]);
        // Restating the leading context is allowed by the spec, but it is outside what we
        // signed (our proof options carry no @context), so the signature no longer matches.
        assert!(!verify_credential(&doc, &signer.verifying_key()));
        doc["proof"]["@context"] = json!(["https://example.org/other"]);
        assert!(!verify_credential(&doc, &signer.verifying_key()));
    }

    /// Writes a credential for the independent Python verifier (`.ci/check_credential.py`)
    /// when `CREDENTIAL_OUT` names a file; otherwise only checks it verifies here.
    #[test]
    fn credential_for_the_independent_verifier() {
        let (doc, signer) = signed();
        assert!(verify_credential(&doc, &signer.verifying_key()));
        if let Ok(path) = std::env::var("CREDENTIAL_OUT") {
            std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        }
    }
}
