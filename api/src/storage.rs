//! Where document bytes live: files in a local directory, one per document, named by its
//! storage key. A file is durable before the row that names it commits: written to a staging
//! name, flushed, renamed into place, and its directory entry flushed too. A file that no row
//! names (a crash between the two, a refused upload) is removed, by the upload that wrote it or
//! by the sweep at start-up. Every download is checked against the SHA-256 recorded at upload.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Files still being written carry this in their name until they are renamed into place.
const STAGING: &str = ".staging-";

pub struct DocumentStore {
    dir: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` at `path` durably: staged, flushed, renamed, the directory flushed.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("a document path has a folder"))?;
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("document");
    let staged = dir.join(format!("{name}{STAGING}{}", uuid::Uuid::now_v7().simple()));
    let written = (|| {
        let mut file = std::fs::File::create(&staged)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&staged, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written
}

impl DocumentStore {
    /// Documents under `dir`, created if missing.
    pub fn local(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Self { dir: dir.to_owned() })
    }

    fn path(&self, key: &str) -> PathBuf {
        // Keys are made of ids (`tenders/<uuid>/<uuid>`), never of input.
        self.dir.join(key)
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
        let path = self.path(key);
        crate::blocking(move || {
            write_durably(&path, &bytes).map_err(|e| {
                tracing::error!(error = %e, "cannot store a document");
                ApiError::Unavailable
            })
        })
        .await
    }

    /// Removes a file whose row was not recorded; a failure leaves it to the next sweep.
    pub async fn discard(&self, key: &str) {
        let path = self.path(key);
        let _ = crate::blocking(move || {
            let _ = std::fs::remove_file(&path);
            Ok(())
        })
        .await;
    }

    /// The bytes stored under `key`, if their hash is still the one recorded.
    pub async fn get_verified(&self, key: &str, sha256: &str) -> Result<Bytes, ApiError> {
        let path = self.path(key);
        let bytes = crate::blocking(move || {
            std::fs::read(&path).map_err(|e| {
                tracing::error!(error = %e, "cannot read a stored document");
                ApiError::Internal
            })
        })
        .await?;
        if sha256_hex(&bytes) != sha256 {
            tracing::error!(key, "a stored document does not match its recorded SHA-256");
            return Err(ApiError::DocumentCorrupted);
        }
        Ok(Bytes::from(bytes))
    }

    /// Removes the files no row names (`is_recorded` says which are named), and staging files,
    /// once older than `grace`: younger ones may belong to an upload of another process still
    /// under way. Returns how many were removed.
    pub fn sweep(&self, is_recorded: impl Fn(&str) -> bool, grace: Duration) -> std::io::Result<usize> {
        let mut removed = 0;
        let mut folders = vec![self.dir.clone()];
        let now = SystemTime::now();
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    folders.push(entry.path());
                    continue;
                }
                let age = entry.metadata()?.modified().ok().and_then(|m| now.duration_since(m).ok());
                if age.is_none_or(|age| age < grace) {
                    continue;
                }
                let path = entry.path();
                let key = path.strip_prefix(&self.dir).ok().and_then(Path::to_str).unwrap_or_default().to_owned();
                if key.contains(STAGING) || !is_recorded(&key) {
                    std::fs::remove_file(&path)?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
