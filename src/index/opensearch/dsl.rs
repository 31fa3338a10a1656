//! lookout's query language on OpenSearch: the query is parsed by tantivy's own grammar and
//! translated, leaf by leaf, into the query DSL the way tantivy's `QueryParser` (conjunction
//! by default, default fields `message` and `fields`) turns it into a tantivy query, so that
//! both backends find the same events: the same tokens (`mapping`'s analyzer mirrors tantivy's
//! default tokenizer), terms that yield no token dropped, all-negative queries refused, and a
//! clause without a positive part matching nothing.

use serde_json::{Value, json};
use tantivy::query_grammar::{
    Occur, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral,
};
use tantivy::time::OffsetDateTime;
use tantivy::time::format_description::well_known::Rfc3339;
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};

use super::doc::field_path;
use super::mapping::KEYWORDS;
use crate::index::{IndexError, Result};

/// What a field of the tantivy schema is, for translation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Whole value, lower-cased.
    Keyword,
    /// `message`: tantivy's default tokenizer, positions.
    Text,
    /// `fields`: the original fields, tokenized like `message`, each under its name.
    Json,
    /// `ts`: RFC 3339 in queries, microseconds in the index.
    Date,
    /// `key`, `pid`.
    Unsigned,
    /// `doc`: stored only.
    Stored,
}

fn kind(name: &str) -> Option<Kind> {
    Some(match name {
        "message" => Kind::Text,
        "fields" => Kind::Json,
        "ts" => Kind::Date,
        "key" | "pid" => Kind::Unsigned,
        "doc" => Kind::Stored,
        n if KEYWORDS.contains(&n) => Kind::Keyword,
        _ => return None,
    })
}

/// The OpenSearch field of a schema field.
fn os_field(name: &str) -> &str {
    if name == "ts" { "ts_us" } else { name }
}

/// The DSL of `query`: `match_all` for an empty query or `*`.
pub fn translate(query: &str) -> Result<Value> {
    if query.trim().is_empty() || query.trim() == "*" {
        return Ok(json!({ "match_all": {} }));
    }
    let err = |reason: String| IndexError::Query {
        query: query.to_string(),
        reason,
    };
    let ast = crate::index::grammar::parse(query).map_err(|()| err("syntax error".into()))?;
    let logical = logical(ast).map_err(err)?;
    if let Logical::Clause(children) = &logical
        && children.is_empty()
    {
        return Ok(match_none());
    }
    if all_negative(&logical) {
        return Err(err(
            "a query of only negative terms (NOT x) is refused: add a positive term, e.g. `* AND NOT x`"
                .into(),
        ));
    }
    Ok(to_dsl(trim(logical)))
}

/// tantivy's `LogicalAst`, with leaves already in the DSL.
#[derive(Debug, Clone, PartialEq)]
enum Logical {
    Clause(Vec<(Occur, Logical)>),
    Boost(Box<Logical>),
    Leaf(Value),
}

fn match_none() -> Value {
    json!({ "match_none": {} })
}

fn logical(ast: UserInputAst) -> std::result::Result<Logical, String> {
    Ok(match ast {
        UserInputAst::Clause(children) => {
            let mut out = Vec::with_capacity(children.len());
            for (occur, child) in children {
                // Conjunction by default, as `EventIndex::parse_query` sets it.
                out.push((occur.unwrap_or(Occur::Must), logical(child)?));
            }
            Logical::Clause(out)
        }
        UserInputAst::Boost(child, _) => Logical::Boost(Box::new(logical(*child)?)),
        // A leaf that yields nothing is an empty clause, trimmed later.
        UserInputAst::Leaf(leaf) => leaf_logical(*leaf)?.unwrap_or(Logical::Clause(Vec::new())),
    })
}

fn all_negative(ast: &Logical) -> bool {
    match ast {
        Logical::Leaf(_) => false,
        Logical::Boost(child) => all_negative(child),
        Logical::Clause(children) => children
            .iter()
            .all(|(occur, child)| *occur == Occur::MustNot || all_negative(child)),
    }
}

/// Drops empty clauses; `None` when nothing is left.
fn trim(ast: Logical) -> Option<Logical> {
    match ast {
        Logical::Clause(children) => {
            let kept: Vec<_> = children
                .into_iter()
                .filter_map(|(o, c)| trim(c).map(|c| (o, c)))
                .collect();
            (!kept.is_empty()).then_some(Logical::Clause(kept))
        }
        other => Some(other),
    }
}

fn to_dsl(ast: Option<Logical>) -> Value {
    match ast {
        None => match_none(),
        Some(Logical::Leaf(v)) => v,
        // Boosts change scores only, and results are ordered by time.
        Some(Logical::Boost(child)) => to_dsl(trim(*child)),
        Some(Logical::Clause(children)) => {
            let (mut must, mut should, mut must_not) = (Vec::new(), Vec::new(), Vec::new());
            for (occur, child) in children {
                let q = to_dsl(Some(child));
                match occur {
                    Occur::Must => must.push(q),
                    Occur::Should => should.push(q),
                    Occur::MustNot => must_not.push(q),
                }
            }
            // tantivy matches nothing where a clause has no positive part; OpenSearch would
            // match everything but the excluded.
            if must.is_empty() && should.is_empty() {
                return match_none();
            }
            let min_should = if must.is_empty() { 1 } else { 0 };
            json!({ "bool": {
                "must": must,
                "should": should,
                "must_not": must_not,
                "minimum_should_match": min_should
            }})
        }
    }
}

/// tantivy's `default` tokenizer, which `message` and `fields` are indexed with.
fn tokens(text: &str) -> Vec<String> {
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build();
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    stream.process(&mut |t| out.push(t.text.clone()));
    out
}

/// A field as the query names it: a schema field and a path inside `fields`, as tantivy's
/// `Schema::find_field` splits it (the longest field name before an unescaped dot).
fn find_field(full: &str) -> Option<(&str, &str)> {
    if kind(full).is_some() {
        return Some((full, ""));
    }
    let mut escaped = false;
    let mut dots = Vec::new();
    for (i, b) in full.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'.' => dots.push(i),
            _ => {}
        }
    }
    dots.into_iter()
        .rev()
        .find(|&i| kind(&full[..i]).is_some())
        .map(|i| (&full[..i], &full[i + 1..]))
}

/// The OpenSearch field of path `path` inside `fields`, or `None` for a nested path (the
/// original fields are flat: a nested path names nothing).
fn json_field(path: &str) -> Option<String> {
    let mut name = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.push(chars.next().unwrap_or('\\')),
            '.' => return None,
            c => name.push(c),
        }
    }
    // `field_path` replaces the dots that escaping kept (`a\.b` names the field `a.b`).
    Some(field_path(&name))
}

fn leaf_logical(leaf: UserInputLeaf) -> std::result::Result<Option<Logical>, String> {
    match leaf {
        UserInputLeaf::All => Ok(Some(Logical::Leaf(json!({ "match_all": {} })))),
        UserInputLeaf::Literal(lit) => literal(&lit),
        UserInputLeaf::Range {
            field,
            lower,
            upper,
        } => {
            let full = field.ok_or("a range needs a field (`ts:[… TO …]`)")?;
            let (name, path) = find_field(&full).ok_or(format!("no field `{full}`"))?;
            range(name, path, &lower, &upper)
        }
        UserInputLeaf::Set { field, elements } => {
            let full = field.ok_or("a set needs a field (`host: IN [a b]`)")?;
            let (name, path) = find_field(&full).ok_or(format!("no field `{full}`"))?;
            let k = kind(name).ok_or(format!("no field `{full}`"))?;
            let mut values = Vec::with_capacity(elements.len());
            for e in &elements {
                match bound_value(k, name, path, e)? {
                    Bounded::Value(v) => values.push(v),
                    Bounded::Nothing => {}
                }
            }
            let target = match k {
                Kind::Json => match json_field(path) {
                    Some(f) => f,
                    None => return Ok(Some(Logical::Leaf(match_none()))),
                },
                _ => os_field(name).to_string(),
            };
            Ok(Some(Logical::Leaf(json!({ "terms": { target: values } }))))
        }
        UserInputLeaf::Exists { field } => Err(format!(
            "`{field}:*` (field exists) is not supported by the query parser"
        )),
    }
}

/// A term or phrase, on its field or (no field) on `message` and `fields`.
fn literal(lit: &UserInputLiteral) -> std::result::Result<Option<Logical>, String> {
    let phrase = lit.phrase.as_str();
    let Some(full) = &lit.field_name else {
        // Default fields: `message`, and `fields` at the empty path, which holds nothing (a
        // nameless original field is not indexed): the JSON side only matters where the
        // message side fails, and then it matches nothing.
        return match text_literal("message", phrase, lit.slop, lit.prefix) {
            Ok(found) => Ok(found),
            Err(_) => Ok(Some(Logical::Leaf(match_none()))),
        };
    };
    let Some((name, path)) = find_field(full) else {
        // tantivy sends a field it does not know to the default JSON field: `CommandLine:x`
        // is `fields.CommandLine:x`.
        return json_literal(full, phrase);
    };
    let k = kind(name).ok_or(format!("no field `{full}`"))?;
    if k != Kind::Json && !path.is_empty() {
        return Err(format!("no field `{full}`"));
    }
    match k {
        Kind::Json => json_literal(path, phrase),
        Kind::Text => text_literal(name, phrase, lit.slop, lit.prefix),
        Kind::Keyword => {
            if lit.prefix {
                return Err(format!("`{full}:\"{phrase}\"*` needs at least two terms"));
            }
            Ok(Some(term(name, json!(phrase.to_lowercase()))))
        }
        Kind::Date => Ok(Some(term("ts_us", json!(micros(phrase)?)))),
        Kind::Unsigned => Ok(Some(term(name, json!(unsigned(phrase)?)))),
        Kind::Stored => Err(format!("field `{name}` is not indexed")),
    }
}

fn term(field: &str, value: Value) -> Logical {
    Logical::Leaf(json!({ "term": { field: value } }))
}

/// `message`: no token, no clause; one token, a term; more, a phrase (with slop or prefix).
fn text_literal(
    field: &str,
    phrase: &str,
    slop: u32,
    prefix: bool,
) -> std::result::Result<Option<Logical>, String> {
    let toks = tokens(phrase);
    if toks.len() <= 1 && prefix {
        return Err(format!("`\"{phrase}\"*` needs at least two terms"));
    }
    Ok(match toks.len() {
        0 => None,
        1 => Some(term(field, json!(toks[0]))),
        _ if prefix => Some(Logical::Leaf(json!({ "match_phrase_prefix": {
            field: { "query": phrase, "max_expansions": 50 }
        }}))),
        _ => Some(Logical::Leaf(json!({ "match_phrase": {
            field: { "query": phrase, "slop": slop }
        }}))),
    })
}

/// An original field: tokenized like `message`; tantivy ignores slop and prefix there.
fn json_literal(path: &str, phrase: &str) -> std::result::Result<Option<Logical>, String> {
    let Some(field) = json_field(path) else {
        return Ok(Some(Logical::Leaf(match_none())));
    };
    text_literal(&field, phrase, 0, false)
}

fn micros(phrase: &str) -> std::result::Result<i64, String> {
    let t = OffsetDateTime::parse(phrase, &Rfc3339)
        .map_err(|e| format!("`{phrase}` is not an RFC 3339 time ({e})"))?;
    i64::try_from(t.unix_timestamp_nanos() / 1000)
        .map_err(|_| format!("`{phrase}` is out of range"))
}

fn unsigned(phrase: &str) -> std::result::Result<u64, String> {
    phrase
        .parse::<u64>()
        .map_err(|_| format!("`{phrase}` is not a whole number"))
}

enum Bounded {
    Value(Value),
    /// A bound no stored value can meet (a number on an original field, which holds text).
    Nothing,
}

/// One bound of a range or element of a set, as tantivy's `compute_boundary_term` makes it.
fn bound_value(
    k: Kind,
    name: &str,
    path: &str,
    text: &str,
) -> std::result::Result<Bounded, String> {
    if k != Kind::Json && !path.is_empty() {
        return Err(format!("no field `{name}.{path}`"));
    }
    let one_token = |toks: Vec<String>| match <[String; 1]>::try_from(toks) {
        Ok([t]) => Ok(json!(t)),
        Err(_) => Err(format!("a bound must be one term: `{text}`")),
    };
    Ok(Bounded::Value(match k {
        Kind::Keyword => json!(text.to_lowercase()),
        Kind::Text => one_token(tokens(text))?,
        Kind::Date => json!(micros(text)?),
        Kind::Unsigned => json!(unsigned(text)?),
        Kind::Stored => return Err(format!("field `{name}` is not indexed")),
        Kind::Json => {
            let typed = text.parse::<i64>().is_ok()
                || text.parse::<u64>().is_ok()
                || text.parse::<f64>().is_ok()
                || text.parse::<bool>().is_ok()
                || OffsetDateTime::parse(text, &Rfc3339).is_ok();
            if typed {
                return Ok(Bounded::Nothing);
            }
            // tantivy compares the bound as written, neither split nor lower-cased.
            json!(text)
        }
    }))
}

fn range(
    name: &str,
    path: &str,
    lower: &UserInputBound,
    upper: &UserInputBound,
) -> std::result::Result<Option<Logical>, String> {
    let k = kind(name).ok_or(format!("no field `{name}`"))?;
    let mut body = serde_json::Map::new();
    let mut nothing = false;
    for (bound, incl, excl) in [(lower, "gte", "gt"), (upper, "lte", "lt")] {
        let (text, op) = match bound {
            UserInputBound::Inclusive(t) if t != "*" => (t, incl),
            UserInputBound::Exclusive(t) if t != "*" => (t, excl),
            _ => continue,
        };
        match bound_value(k, name, path, text)? {
            Bounded::Value(v) => {
                body.insert(op.to_string(), v);
            }
            Bounded::Nothing => nothing = true,
        }
    }
    if body.is_empty() && !nothing {
        // `[* TO *]`: tantivy drops the range.
        return Ok(None);
    }
    if nothing {
        return Ok(Some(Logical::Leaf(match_none())));
    }
    let field = match k {
        Kind::Json => match json_field(path) {
            Some(f) => f,
            None => return Ok(Some(Logical::Leaf(match_none()))),
        },
        _ => os_field(name).to_string(),
    };
    Ok(Some(Logical::Leaf(json!({ "range": { field: body } }))))
}

#[cfg(test)]
#[path = "dsl_tests.rs"]
mod tests;
