//! The tantivy schema of a case index: keyword fields (lower-cased for search, original case
//! in fast columns), full-text message and original fields, time, and the stored event.
//!
//! Events are found by `key` (the low 64 bits of their id). Indexes made before version 0.2
//! also index the full text `id`; they are still opened and written, with their own schema.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, JsonObjectOptions,
    STORED, Schema, TEXT, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};

/// Tokenizer for keyword fields: the whole value as one token, lower-cased, so that
/// `host:ws01` finds `WS01`.
pub const KEYWORD_TOKENIZER: &str = "keyword_lower";

#[derive(Clone, Copy)]
pub struct Fields {
    /// Only in indexes made by earlier versions (a unique 32-byte term per event was the most
    /// expensive part of building the term dictionary).
    pub id: Option<Field>,
    pub key: Field,
    pub ts: Field,
    pub host: Field,
    pub user: Field,
    pub process: Field,
    pub pid: Field,
    pub format: Field,
    pub event_id: Field,
    pub channel: Field,
    pub src_ip: Field,
    pub dst_ip: Field,
    pub label: Field,
    pub source: Field,
    pub message: Field,
    pub fields: Field,
    pub doc: Field,
}

/// The schema of a new case index; [`Fields::of`] resolves its fields (and those of an
/// existing index) by name.
pub fn build() -> Schema {
    let mut sb = Schema::builder();
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD_TOKENIZER)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_fast(None);
    sb.add_u64_field("key", INDEXED | FAST);
    sb.add_date_field(
        "ts",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_precision(DateTimePrecision::Microseconds),
    );
    for name in [
        "host", "user", "process", "format", "event_id", "channel", "src_ip", "dst_ip", "label",
        "source",
    ] {
        sb.add_text_field(name, keyword.clone());
    }
    sb.add_u64_field("pid", INDEXED | FAST);
    sb.add_text_field("message", TEXT);
    sb.add_json_field(
        "fields",
        JsonObjectOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        ),
    );
    sb.add_bytes_field("doc", STORED);
    sb.build()
}

impl Fields {
    /// The fields of an existing index, by name: its own schema, whichever version made it.
    pub fn of(schema: &Schema) -> Result<Fields, String> {
        let get = |name: &str| {
            schema
                .get_field(name)
                .map_err(|_| format!("the index has no `{name}` field"))
        };
        Ok(Fields {
            id: schema.get_field("id").ok(),
            key: get("key")?,
            ts: get("ts")?,
            host: get("host")?,
            user: get("user")?,
            process: get("process")?,
            pid: get("pid")?,
            format: get("format")?,
            event_id: get("event_id")?,
            channel: get("channel")?,
            src_ip: get("src_ip")?,
            dst_ip: get("dst_ip")?,
            label: get("label")?,
            source: get("source")?,
            message: get("message")?,
            fields: get("fields")?,
            doc: get("doc")?,
        })
    }
}

pub fn register_tokenizers(index: &tantivy::Index) {
    index.tokenizers().register(
        KEYWORD_TOKENIZER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}
