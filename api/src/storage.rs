//! Where document bytes live. `object_store` is the abstraction: a local directory by default,
//! and S3-compatible storage in production by enabling its `aws` feature, without touching the
//! callers. Every download is checked against the SHA-256 recorded at upload.

use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub struct DocumentStore {
    inner: Arc<dyn ObjectStore>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl DocumentStore {
    /// Documents under `dir`, created if missing.
    pub fn local(dir: &std::path::Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(|e| e.to_string())?;
        Ok(Self { inner: Arc::new(store) })
    }

    /// Whether documents can be stored under `dir`, leaving nothing behind: the nearest existing
    /// folder on its path must be a directory this process can create files in.
    pub fn check_writable(dir: &std::path::Path) -> Result<(), String> {
        let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let refuse = |e: &dyn std::fmt::Display| {
            format!("the documents directory {} is not writable (AMBITO_DOCUMENTS_DIR): {e}", shown.display())
        };
        let mut existing = shown.as_path();
        while !existing.exists() {
            existing = existing.parent().ok_or_else(|| refuse(&"no existing parent folder"))?;
        }
        if !existing.is_dir() {
            return Err(refuse(&format!("{} is not a directory", existing.display())));
        }
        let probe = existing.join(format!(".ambito-write-check-{}", std::process::id()));
        std::fs::File::create(&probe).map_err(|e| refuse(&e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), ApiError> {
        self.inner.put(&Path::from(key), bytes.into()).await.map(|_| ()).map_err(|e| {
            tracing::error!(error = %e, "cannot store a document");
            ApiError::Unavailable
        })
    }

    /// The bytes stored under `key`, if their hash is still the one recorded.
    pub async fn get_verified(&self, key: &str, sha256: &str) -> Result<Bytes, ApiError> {
        let bytes = async { self.inner.get(&Path::from(key)).await?.bytes().await }.await.map_err(|e| {
            tracing::error!(error = %e, key, "cannot read a stored document");
            ApiError::Internal
        })?;
        if sha256_hex(&bytes) != sha256 {
            tracing::error!(key, "a stored document does not match its recorded SHA-256");
            return Err(ApiError::DocumentCorrupted);
        }
        Ok(bytes)
    }
}
