//! Password hashing with argon2id, run on the blocking pool so it never stalls the async
//! workers, at most one hash per core at a time: each argon2 hash takes 19 MiB, and the soak
//! (bench/soak.sh) showed sign-ins running on every admitted request slot at once (40) grow
//! the server's memory by hundreds of MiB that the allocator keeps; more hashes at once than
//! cores never finish sooner anyway.

use std::sync::LazyLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::{AppError, Result};

/// How many argon2 hashes run at once: one per core (at least one, at most eight).
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8))
}

/// The longest wait for a hashing slot.
pub const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

static HASHING: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(hashing_slots()));

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    // A sign-in waits at most a few seconds for a slot, then is told to come back
    // (`UNAVAILABLE` + `Retry-After`), never held until the 30 s request timeout.
    let _slot = match tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await {
        Ok(slot) => slot.map_err(AppError::internal)?,
        Err(_) => return Err(AppError::busy(crate::error::BUSY_RETRY_AFTER_SECS)),
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)
}

/// Hashes a password to a PHC string (`$argon2id$…`).
pub async fn hash(password: String) -> Result<String> {
    hashing(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
    })
    .await?
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool> {
    hashing(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
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
