//! The OpenSearch index of a case: its settings (an analyzer that splits and lower-cases text
//! as tantivy's default tokenizer does, so a query finds the same events on both backends)
//! and its explicit mapping.

use serde_json::{Value, json};

use super::super::url::OpenSearchUrl;

/// The keyword fields, as in the tantivy schema (`index::schema`): matched whole and
/// case-insensitively; their original spelling is in `_source`.
pub const KEYWORDS: [&str; 10] = [
    "host", "user", "process", "format", "event_id", "channel", "src_ip", "dst_ip", "label",
    "source",
];

/// The body of `PUT /INDEX`.
pub fn index_body(url: &OpenSearchUrl) -> Value {
    let keyword = json!({
        "type": "keyword",
        "normalizer": "lookout_lower",
        // Lucene refuses terms over 32 KB, and a longer value would fail the whole event.
        "ignore_above": 8191
    });
    let mut props = serde_json::Map::new();
    for name in KEYWORDS {
        props.insert(name.to_string(), keyword.clone());
    }
    // Addresses are keywords for lookout's queries (a value that is not an address, such as
    // a host name or `-`, must still match as in tantivy) with an `ip` sub-field for CIDR
    // queries and aggregations in OpenSearch's own tools.
    for name in ["src_ip", "dst_ip"] {
        let mut f = keyword.clone();
        f["fields"] = json!({ "ip": { "type": "ip", "ignore_malformed": true } });
        props.insert(name.to_string(), f);
    }
    props.insert("key".into(), json!({ "type": "unsigned_long" }));
    // Microseconds, exact, for lookout's ranges and order (a `date` keeps milliseconds);
    // `@timestamp` for date histograms and OpenSearch Dashboards.
    props.insert("ts_us".into(), json!({ "type": "long" }));
    props.insert("@timestamp".into(), json!({ "type": "date" }));
    props.insert("pid".into(), json!({ "type": "long" }));
    props.insert(
        "message".into(),
        json!({ "type": "text", "analyzer": "lookout_text" }),
    );
    // The original fields: each a text field made on first sight (dynamic template below).
    props.insert(
        "fields".into(),
        json!({ "type": "object", "dynamic": true }),
    );
    // The whole event in lookout's stored form: kept, never searched.
    props.insert(
        "doc".into(),
        json!({ "type": "binary", "doc_values": false }),
    );
    json!({
        "settings": {
            "number_of_shards": url.shards,
            "number_of_replicas": url.replicas,
            // EVTX and JSON logs bring many distinct field names.
            "index.mapping.total_fields.limit": 10000,
            "analysis": {
                "tokenizer": {
                    // tantivy's SimpleTokenizer: runs of alphanumeric characters.
                    "lookout_simple": {
                        "type": "pattern",
                        "pattern": "[^\\p{IsAlphabetic}\\p{N}]+"
                    }
                },
                "filter": {
                    // tantivy's RemoveLongFilter(40): tokens of 40 bytes or more are dropped
                    // (counted here in characters: the same for ASCII).
                    "lookout_long": { "type": "length", "max": 39 }
                },
                "analyzer": {
                    "lookout_text": {
                        "type": "custom",
                        "tokenizer": "lookout_simple",
                        "filter": ["lookout_long", "lowercase"]
                    }
                },
                "normalizer": {
                    "lookout_lower": { "type": "custom", "filter": ["lowercase"] }
                }
            }
        },
        "mappings": {
            "dynamic": "strict",
            "date_detection": false,
            "numeric_detection": false,
            "dynamic_templates": [{
                "original_fields": {
                    "path_match": "fields.*",
                    "mapping": { "type": "text", "analyzer": "lookout_text" }
                }
            }],
            "properties": Value::Object(props)
        }
    })
}

/// The body of `PUT /_index_template/NAME` for a case kept one index per month: every index
/// whose name matches `pattern` gets the case's settings and mapping and joins the alias
/// `alias`, which reads (search, count, scans, refresh) go through.
pub fn monthly_template(url: &OpenSearchUrl, alias: &str, pattern: &str) -> Value {
    let mut template = index_body(url);
    template["aliases"] = json!({ alias: {} });
    json!({
        "index_patterns": [pattern],
        "priority": 100,
        "template": template
    })
}
