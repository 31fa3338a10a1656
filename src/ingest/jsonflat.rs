//! Flattens one JSON object straight into `key.sub = value` string pairs while parsing, without
//! building a `serde_json::Value` tree first: JSON lines are the bulk of what ingest reads.
//!
//! Rules: nested object keys are joined with `.`; strings are kept as is, numbers and booleans
//! as their JSON text; `null` and empty strings are dropped (they carry nothing searchable);
//! arrays are kept whole as compact JSON text under their key.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// Flattened pairs in document order (keys may repeat only if the JSON repeats them).
pub(crate) type Pairs = Vec<(String, String)>;

/// Parses `text` as one JSON object and appends its flattened pairs to `out`.
/// Anything but an object at the top (an array, a number) is an error.
pub(crate) fn flatten_object(text: &str, out: &mut Pairs) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut prefix = String::new();
    de.deserialize_any(Top {
        out,
        prefix: &mut prefix,
    })?;
    de.end()
}

/// Flattens an already parsed value (used for JSON documents and Slips alerts).
pub(crate) fn flatten_value(v: &serde_json::Value, prefix: &mut String, out: &mut Pairs) {
    use serde_json::Value;
    match v {
        Value::Null => {}
        Value::Bool(b) => push(out, prefix, if *b { "true" } else { "false" }.to_string()),
        Value::Number(n) => push(out, prefix, n.to_string()),
        Value::String(s) if s.is_empty() => {}
        Value::String(s) => push(out, prefix, s.clone()),
        Value::Array(_) => push(out, prefix, v.to_string()),
        Value::Object(map) => {
            for (k, v) in map {
                let len = prefix.len();
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(k);
                flatten_value(v, prefix, out);
                prefix.truncate(len);
            }
        }
    }
}

fn push(out: &mut Pairs, prefix: &str, value: String) {
    out.push((prefix.to_string(), value));
}

struct Top<'a> {
    out: &'a mut Pairs,
    prefix: &'a mut String,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        visit_object(map, self.out, self.prefix)
    }
}

fn visit_object<'de, A: MapAccess<'de>>(
    mut map: A,
    out: &mut Pairs,
    prefix: &mut String,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<KeyStr<'de>>()? {
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(key.as_str());
        map.next_value_seed(Field {
            out,
            prefix: &mut *prefix,
        })?;
        prefix.truncate(len);
    }
    Ok(())
}

/// A key, borrowed from the input when it holds no escapes.
enum KeyStr<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl KeyStr<'_> {
    fn as_str(&self) -> &str {
        match self {
            KeyStr::Borrowed(s) => s,
            KeyStr::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr::Owned(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

struct Field<'a> {
    out: &'a mut Pairs,
    prefix: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for Field<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Field<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        push(
            self.out,
            self.prefix,
            if v { "true" } else { "false" }.to_string(),
        );
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        push(self.out, self.prefix, v.to_string());
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        push(self.out, self.prefix, v.to_string());
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        // serde_json's own float text (shortest round-trip), so `22.335172` stays as written.
        let text = serde_json::Number::from_f64(v)
            .map(|n| n.to_string())
            .unwrap_or_default();
        push(self.out, self.prefix, text);
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        if !v.is_empty() {
            push(self.out, self.prefix, v.to_string());
        }
        Ok(())
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<(), E> {
        if !v.is_empty() {
            self.out.push((self.prefix.to_string(), v));
        }
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        visit_object(map, self.out, self.prefix)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Arrays are rare and small: keep them whole as JSON text.
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            items.push(v);
        }
        let text = serde_json::to_string(&items).map_err(A::Error::custom)?;
        push(self.out, self.prefix, text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(s: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten_object(s, &mut out).unwrap();
        out
    }

    #[test]
    fn flattens_nested_objects_and_keeps_arrays_whole() {
        let got = flat(
            r#"{"ts":22.335172,"id.orig_h":"10.0.0.1","a":{"b":{"c":1},"d":true},"n":null,"e":"","t":["x",1],"esc":"q\"\u00e9"}"#,
        );
        let want: Vec<(String, String)> = [
            ("ts", "22.335172"),
            ("id.orig_h", "10.0.0.1"),
            ("a.b.c", "1"),
            ("a.d", "true"),
            ("t", r#"["x",1]"#),
            ("esc", "q\"é"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn rejects_non_objects_and_trailing_garbage() {
        let mut out = Vec::new();
        assert!(flatten_object("[1,2]", &mut out).is_err());
        assert!(flatten_object("{\"a\":1} x", &mut out).is_err());
        assert!(flatten_object("{\"a\":", &mut out).is_err());
        assert!(flatten_object("{\"a\":1}  ", &mut out).is_ok());
    }

    #[test]
    fn value_and_stream_flattening_agree() {
        let s = r#"{"a":{"b":[{"c":1}],"x":-5,"f":1.5},"s":"v"}"#;
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        let mut out = Vec::new();
        flatten_value(&v, &mut String::new(), &mut out);
        assert_eq!(out, flat(s));
    }
}
