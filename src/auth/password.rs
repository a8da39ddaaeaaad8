//! Password hashing with argon2id, run on the blocking pool so it never stalls the async
//! workers.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::{AppError, Result};

/// Hashes a password to a PHC string (`$argon2id$…`).
pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(AppError::internal)
}

/// A valid hash of an unguessable password, verified when the username is unknown so that
/// a wrong username takes as long as a wrong password.
pub async fn dummy_hash() -> Result<String> {
    hash(uuid::Uuid::new_v4().to_string()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let h = hash("đúng mật khẩu".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("đúng mật khẩu".into(), h.clone())
                .await
                .expect("verify")
        );
        assert!(!verify("sai".into(), h).await.expect("verify"));
        assert!(
            !verify("x".into(), "not a hash".into())
                .await
                .expect("verify")
        );
    }
}
