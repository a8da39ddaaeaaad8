//! Access tokens: HS256 JWTs signed with `KC_JWT_SECRET`, optionally also RS256/ES256 tokens
//! of an external identity provider. The algorithm is always fixed by the server, never
//! taken from the token, and `exp` is required.

use std::{path::Path, time::Duration};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::{
    auth::actor::Actor,
    enums::Role,
    error::{AppError, Result},
};

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// `COMMUNE`, `PROVINCE` or `NATIONAL`.
    pub role: String,
    /// Province code of the user's area.
    #[serde(default)]
    pub province: Option<String>,
    /// Commune code of the user's area.
    #[serde(default)]
    pub commune: Option<String>,
    /// Administrator of its area.
    #[serde(default)]
    pub admin: bool,
    /// Read-only account.
    #[serde(default)]
    pub ro: bool,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    #[serde(default)]
    pub iat: i64,
    /// The user's token epoch when issued: a token behind the user's current epoch is
    /// refused (see `guard::epochs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ep: Option<i64>,
}

/// The keys that sign and verify access tokens.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The key id of the signing secret, sent as `kid` in every token's header.
    kid: String,
    /// Earlier secrets still accepted during a rotation, by key id.
    previous: Vec<(String, DecodingKey)>,
    external: Option<(DecodingKey, Vec<Algorithm>)>,
    ttl: Duration,
}

impl Keys {
    /// Keys from a shared secret, with an optional external public key (PEM).
    pub fn new(secret: &[u8], external_pem: Option<&str>, ttl: Duration) -> Result<Self> {
        let external = match external_pem {
            None => None,
            Some(pem) => {
                let pem = pem.as_bytes();
                if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
                    Some((k, vec![Algorithm::RS256]))
                } else {
                    let k = DecodingKey::from_ec_pem(pem).map_err(|e| {
                        AppError::internal(format!("KC_JWT_PUBLIC_KEY_PEM is not RSA or EC: {e}"))
                    })?;
                    Some((k, vec![Algorithm::ES256]))
                }
            }
        };
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            kid: kid_of(secret),
            previous: Vec::new(),
            external,
            ttl,
        })
    }

    /// Also accepts tokens signed with earlier secrets (`KC_JWT_PREVIOUS_SECRETS`) until they
    /// expire: rotate by moving the old secret there and setting a new `KC_JWT_SECRET`.
    pub fn with_previous(mut self, secrets: &[String]) -> Result<Self> {
        for s in secrets {
            if s.len() < 32 {
                return Err(AppError::internal(
                    "every KC_JWT_PREVIOUS_SECRETS entry must be at least 32 characters",
                ));
            }
            self.previous
                .push((kid_of(s.as_bytes()), DecodingKey::from_secret(s.as_bytes())));
        }
        Ok(self)
    }

    /// The key id of the current signing secret.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs an access token for the actor; returns it with its expiry.
    pub fn issue(&self, actor: &Actor) -> Result<(String, DateTime<Utc>)> {
        self.issue_at_epoch(actor, None)
    }

    /// Signs an access token carrying the user's token epoch.
    pub fn issue_at_epoch(
        &self,
        actor: &Actor,
        epoch: Option<i64>,
    ) -> Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let exp = now + chrono::Duration::from_std(self.ttl).map_err(AppError::internal)?;
        let claims = Claims {
            sub: actor.user_id.to_string(),
            role: actor.role.as_str().to_owned(),
            province: actor.province_code.clone(),
            commune: actor.commune_code.clone(),
            admin: actor.is_admin,
            ro: actor.read_only,
            exp: exp.timestamp(),
            iat: now.timestamp(),
            ep: epoch,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let token = encode(&header, &claims, &self.encoding).map_err(AppError::internal)?;
        Ok((token, exp))
    }

    /// Verifies a token and returns its actor; anything wrong is `UNAUTHENTICATED`.
    pub fn verify(&self, token: &str) -> Result<Actor> {
        self.verify_with_epoch(token).map(|(a, _)| a)
    }

    /// Verifies a token and returns its actor and the token epoch it carries.
    pub fn verify_with_epoch(&self, token: &str) -> Result<(Actor, Option<i64>)> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AppError::unauthenticated())?;
        let data = if header.alg == Algorithm::HS256 {
            let mut v = Validation::new(Algorithm::HS256);
            v.leeway = 5;
            // The key named by `kid`; tokens without one (issued before key ids) may match
            // any accepted secret.
            let keys: Vec<&DecodingKey> = std::iter::once((&self.kid, &self.decoding))
                .chain(self.previous.iter().map(|(k, d)| (k, d)))
                .filter(|(k, _)| header.kid.as_ref().is_none_or(|want| want == *k))
                .map(|(_, d)| d)
                .collect();
            keys.iter()
                .find_map(|key| decode::<Claims>(token, key, &v).ok())
                .ok_or_else(AppError::unauthenticated)
        } else {
            match &self.external {
                Some((key, algs)) if algs.contains(&header.alg) => {
                    let mut v = Validation::new(header.alg);
                    v.leeway = 5;
                    decode::<Claims>(token, key, &v)
                }
                _ => return Err(AppError::unauthenticated()),
            }
            .map_err(|_| AppError::unauthenticated())
        }?;
        let c = data.claims;
        let role = Role::parse(&c.role).ok_or_else(AppError::unauthenticated)?;
        let user_id = c.sub.parse().map_err(|_| AppError::unauthenticated())?;
        Ok((
            Actor {
                user_id,
                role,
                province_code: c.province,
                commune_code: c.commune,
                is_admin: c.admin,
                read_only: c.ro,
            },
            c.ep,
        ))
    }
}

/// A key id for a secret: 16 hex digits of its SHA-256 (tells secrets apart, reveals
/// nothing usable).
fn kid_of(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(secret);
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The secret from the configuration, or on SQLite one generated once and kept in
/// `<database file>.jwt-secret` (mode 0600) so tokens survive a restart.
pub fn secret_for(configured: Option<&str>, database_url: &str) -> Result<Vec<u8>> {
    if let Some(s) = configured {
        if s.len() < 32 {
            return Err(AppError::internal(
                "KC_JWT_SECRET must be at least 32 characters",
            ));
        }
        return Ok(s.as_bytes().to_vec());
    }
    let Some(db_file) = crate::config::sqlite_file(database_url) else {
        if database_url.starts_with("sqlite:") {
            // An in-memory database: a secret for this process only.
            return Ok(random_secret().into_bytes());
        }
        return Err(AppError::internal(
            "KC_JWT_SECRET is required with PostgreSQL: every instance must share it",
        ));
    };
    let path = format!("{db_file}.jwt-secret");
    let path = Path::new(&path);
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing.into_bytes());
        }
    }
    let secret = random_secret();
    write_private(path, &secret).map_err(AppError::internal)?;
    tracing::info!(path = %path.display(), "generated a JWT secret beside the database");
    Ok(secret.into_bytes())
}

/// A random secret for a process that signs no token (the CLI's `migrate`, `users`,
/// `export`).
pub fn throwaway_secret() -> String {
    random_secret()
}

fn random_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(&[7u8; 32], None, Duration::from_secs(900)).expect("keys")
    }

    fn actor() -> Actor {
        Actor {
            user_id: 42,
            role: Role::Province,
            province_code: Some("66".into()),
            commune_code: None,
            is_admin: true,
            read_only: false,
        }
    }

    #[test]
    fn an_issued_token_verifies_to_its_actor() {
        let k = keys();
        let (t, _) = k.issue(&actor()).expect("issue");
        assert_eq!(k.verify(&t).expect("verify"), actor());
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let other = Keys::new(&[8u8; 32], None, Duration::from_secs(900)).expect("keys");
        let (t, _) = other.issue(&actor()).expect("issue");
        assert!(keys().verify(&t).is_err());
    }

    #[test]
    fn previous_secrets_verify_during_a_rotation_and_tokens_carry_a_kid() {
        let old = Keys::new(&[8u8; 32], None, Duration::from_secs(900)).expect("keys");
        let (t, _) = old.issue_at_epoch(&actor(), Some(3)).expect("issue");
        let header = jsonwebtoken::decode_header(&t).expect("header");
        assert_eq!(header.kid.as_deref(), Some(old.kid()));
        let prev = String::from_utf8(vec![8u8; 32]).expect("ascii");
        let rotated = keys().with_previous(&[prev]).expect("rotated");
        assert_eq!(
            rotated.verify_with_epoch(&t).expect("verify"),
            (actor(), Some(3))
        );
        assert!(keys().verify(&t).is_err());
        assert_ne!(rotated.kid(), old.kid());
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            crate::config::sqlite_file("sqlite://khuyencong.db?mode=rwc").as_deref(),
            Some("khuyencong.db")
        );
        assert_eq!(crate::config::sqlite_file("sqlite::memory:"), None);
        assert_eq!(crate::config::sqlite_file("postgres://x@y/z"), None);
    }
}
