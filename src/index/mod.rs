//! Index: the per-case tantivy index of events (schema, the single writer, queries).
//! The only module that imports tantivy; the rest of the crate sees `Event`s and `EventMeta`s.

mod query;
mod scan;
mod schema;
mod writer;

use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};

pub use query::{Order, SearchHits};
pub use scan::EventMeta;
pub use writer::{EventWriter, Mode as WriteMode};

use schema::Fields;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index at {path}: {source}")]
    Open {
        path: String,
        source: tantivy::TantivyError,
    },
    #[error("index {path} is being written by another lookout process (ingest running?): {source}")]
    Locked {
        path: String,
        source: tantivy::TantivyError,
    },
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("query `{query}`: {reason}")]
    Query { query: String, reason: String },
    #[error("stored event: {0}")]
    Stored(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, IndexError>;

/// A case's event index. Readers are cheap and many; there is at most one writer at a time.
pub struct EventIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
}

impl EventIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open(dir: &Path) -> Result<EventIndex> {
        let open_err = |source| IndexError::Open {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| open_err(tantivy::TantivyError::IoError(std::sync::Arc::new(e))))?;
        let (schema, fields) = schema::build();
        let mmap =
            MmapDirectory::open(dir).map_err(|e| open_err(tantivy::TantivyError::from(e)))?;
        let index = Index::open_or_create(mmap, schema).map_err(open_err)?;
        schema::register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(open_err)?;
        Ok(EventIndex {
            index,
            reader,
            fields,
            path: dir.to_path_buf(),
        })
    }

    /// Takes the index's single writer (fails clearly if another process holds it).
    pub fn writer(&self, threads: usize, memory_bytes: usize) -> Result<EventWriter> {
        let w = self
            .index
            .writer_with_num_threads(threads.max(1), memory_bytes)
            .map_err(|source| IndexError::Locked {
                path: self.path.display().to_string(),
                source,
            })?;
        Ok(EventWriter::new(w, self.fields, self.reader.searcher()))
    }

    /// Sees the latest commit (after an ingest in this or another process).
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    pub fn num_events(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
