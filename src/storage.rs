//! Where the bytes of uploaded documents live: a folder on the local disk (`KC_STORAGE_DIR`)
//! or an S3-compatible bucket (`KC_S3_*`), both through `object_store`. Objects are named by
//! the SHA-256 of their content only (`sha256/ab/abcdef…`), which the server computed itself:
//! no name from a request ever becomes a path.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::{
    ObjectStore, ObjectStoreExt, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem,
    path::Path,
};

use crate::{
    config::Config,
    error::{AppError, Result},
};

/// The document store.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    prefix: Option<String>,
    /// Where it is, for logs (`s3://bucket` or the folder).
    pub location: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("location", &self.location)
            .finish()
    }
}

/// Whether a string is the lower-case hex of a SHA-256.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

impl Storage {
    /// The store the configuration asks for; the local folder is created when missing.
    pub fn from_config(config: &Config) -> Result<Self> {
        if let Some(s3) = &config.s3 {
            let mut b = AmazonS3Builder::from_env().with_bucket_name(&s3.bucket);
            if let Some(e) = &s3.endpoint {
                b = b
                    .with_endpoint(e)
                    .with_allow_http(e.starts_with("http://"))
                    // S3-compatible servers answer on the path (`endpoint/bucket/key`).
                    .with_virtual_hosted_style_request(false);
            }
            if let Some(r) = &s3.region {
                b = b.with_region(r);
            } else if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
            {
                b = b.with_region("us-east-1");
            }
            if let Some(k) = &s3.access_key_id {
                b = b.with_access_key_id(k);
            }
            if let Some(k) = &s3.secret_access_key {
                b = b.with_secret_access_key(k);
            }
            let store = b.build().map_err(|e| {
                AppError::internal(format!("the S3 bucket {} (KC_S3_*): {e}", s3.bucket))
            })?;
            return Ok(Self {
                store: Arc::new(store),
                prefix: s3.prefix.clone().filter(|p| !p.is_empty()),
                location: format!("s3://{}", s3.bucket),
            });
        }
        let dir = config.documents_dir();
        std::fs::create_dir_all(&dir).map_err(|e| {
            AppError::internal(format!(
                "cannot create the document folder {} (KC_STORAGE_DIR): {e}",
                dir.display()
            ))
        })?;
        let store = LocalFileSystem::new_with_prefix(&dir).map_err(|e| {
            AppError::internal(format!(
                "the document folder {} (KC_STORAGE_DIR): {e}",
                dir.display()
            ))
        })?;
        Ok(Self {
            store: Arc::new(store),
            prefix: None,
            location: dir.display().to_string(),
        })
    }

    /// The object of a content hash. Only a well-formed hash is accepted.
    fn path(&self, sha256: &str) -> Result<Path> {
        if !is_sha256_hex(sha256) {
            return Err(AppError::internal("not a SHA-256 object name"));
        }
        let name = format!("sha256/{}/{sha256}", &sha256[..2]);
        Ok(match &self.prefix {
            Some(p) => Path::from(format!("{p}/{name}")),
            None => Path::from(name),
        })
    }

    /// Stores the bytes of `sha256` unless they are already there (content-addressed: the same
    /// bytes are kept once).
    pub async fn put_if_absent(&self, sha256: &str, bytes: Bytes) -> Result<bool> {
        let path = self.path(sha256)?;
        match self.store.head(&path).await {
            Ok(meta) if meta.size == bytes.len() as u64 => return Ok(false),
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(storage_error(e)),
        }
        self.store
            .put(&path, PutPayload::from_bytes(bytes))
            .await
            .map_err(storage_error)?;
        Ok(true)
    }

    /// Whether the bytes of `sha256` are stored.
    pub async fn exists(&self, sha256: &str) -> Result<bool> {
        match self.store.head(&self.path(sha256)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// The bytes of `sha256` as a stream, with their size.
    pub async fn get(
        &self,
        sha256: &str,
    ) -> Result<(u64, BoxStream<'static, object_store::Result<Bytes>>)> {
        let got = self
            .store
            .get(&self.path(sha256)?)
            .await
            .map_err(storage_error)?;
        let size = got.meta.size;
        Ok((size, got.into_stream()))
    }

    /// Removes the bytes of `sha256` (nothing when they are already gone).
    pub async fn delete(&self, sha256: &str) -> Result<()> {
        match self.store.delete(&self.path(sha256)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage_error(e)),
        }
    }
}

fn storage_error(e: object_store::Error) -> AppError {
    tracing::error!(error = %e, "document storage failed");
    AppError::internal(format!("document storage: {e}"))
}
