//! Where uploads live: an `object_store` built from `STORAGE_URL`, opened the
//! same way by the API (which writes) and the worker (which reads), so a
//! document's `storage_key` names one file for both.
//!
//! A plain path or a `file://` URL is a local directory (created if
//! missing); `memory://` is an in-process store. `s3://` needs object_store's
//! `aws` feature, which is not built (its HTTP stack is a second reqwest
//! major): such a URL is refused at start-up rather than failing uploads.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

/// A cloneable handle on the upload store.
#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("store", &self.store.to_string())
            .finish()
    }
}

impl FileStore {
    /// Opens the store named by `STORAGE_URL`.
    pub fn open(storage_url: &str) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match storage_url.split_once("://") {
            None => local(PathBuf::from(storage_url))?,
            Some(("file", _)) => {
                let url = url::Url::parse(storage_url).context("STORAGE_URL")?;
                let dir = url
                    .to_file_path()
                    .map_err(|()| anyhow::anyhow!("STORAGE_URL: not a local file URL"))?;
                local(dir)?
            }
            Some((scheme, _)) => {
                let url = url::Url::parse(storage_url).context("STORAGE_URL")?;
                let (store, prefix) = object_store::parse_url(&url).with_context(|| {
                    format!("STORAGE_URL: `{scheme}://` stores are not built into this binary")
                })?;
                if prefix.as_ref().is_empty() {
                    Arc::from(store)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
                }
            }
        };
        Ok(Self { store })
    }

    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// A streaming writer of `key`; finish it with `shutdown`, or `abort` it.
    pub fn writer(&self, key: &str) -> object_store::buffered::BufWriter {
        // 8 MiB: larger than S3's 5 MiB minimum part, small enough that an
        // upload never holds much more than that in memory.
        object_store::buffered::BufWriter::with_capacity(
            self.store.clone(),
            Path::from(key),
            8 * 1024 * 1024,
        )
    }

    /// Removes `key`, ignoring a missing file (cleanup after a failed insert).
    pub async fn delete(&self, key: &str) {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => tracing::warn!(storage.key = key, error = %error, "upload not removed"),
        }
    }
}

fn local(dir: PathBuf) -> anyhow::Result<Arc<dyn ObjectStore>> {
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("STORAGE_URL: creating {}", dir.display()))?;
    Ok(Arc::new(
        LocalFileSystem::new_with_prefix(&dir).context("STORAGE_URL")?,
    ))
}

/// A file name safe as one object-store path segment and in a
/// Content-Disposition: ASCII letters, digits, `.`, `-` and `_`, at most
/// 120 characters, never empty, never `.` or `..`.
pub fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.len() > 120 {
        // Keep the extension: the worker tells formats apart by it.
        let ext = out
            .rfind('.')
            .filter(|&i| out.len() - i <= 16)
            .map(|i| out[i..].to_owned())
            .unwrap_or_default();
        out.truncate(120 - ext.len());
        out.push_str(&ext);
    }
    let trimmed = out.trim_matches('.');
    if trimmed.is_empty() {
        "upload".into()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_segments() {
        assert_eq!(sanitize_name("report.pdf"), "report.pdf");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_name("C:\\Users\\a b\\Ré sumé.docx"),
            "R__sum_.docx"
        );
        assert_eq!(sanitize_name(".."), "upload");
        assert_eq!(sanitize_name(""), "upload");
        let long = format!("{}.md", "x".repeat(300));
        let clean = sanitize_name(&long);
        assert_eq!(clean.len(), 120);
        assert!(clean.ends_with(".md"));
    }

    #[tokio::test]
    async fn plain_paths_and_file_urls_name_the_same_root() {
        let dir = std::env::temp_dir().join(format!("esx-fs-{}", uuid::Uuid::new_v4().simple()));
        let by_path = FileStore::open(dir.to_str().unwrap()).unwrap();
        let mut w = by_path.writer("org/doc/a.txt");
        w.put(bytes::Bytes::from_static(b"hello")).await.unwrap();
        tokio::io::AsyncWriteExt::shutdown(&mut w).await.unwrap();
        let by_url = FileStore::open(&format!("file://{}", dir.display())).unwrap();
        let got = by_url
            .store()
            .get(&Path::from("org/doc/a.txt"))
            .await
            .unwrap();
        assert_eq!(&got.bytes().await.unwrap()[..], b"hello");
        assert!(FileStore::open("s3://bucket/uploads").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
