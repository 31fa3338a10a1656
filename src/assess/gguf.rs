//! A small GGUF header reader: enough metadata to refuse files the engine cannot load (it
//! panics on unknown architectures), find the end-of-turn tokens, and describe the model.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Architectures mistral.rs 0.8.1 builds from GGUF.
pub const SUPPORTED_ARCHITECTURES: &[&str] = &[
    "llama",
    "mistral3",
    "phi2",
    "phi3",
    "starcoder2",
    "qwen2",
    "qwen3",
    "qwen3moe",
];

/// Token texts that end a turn or the text in the chat formats we meet; their ids are looked
/// up in the vocabulary because the GGUF's `eos_token_id` names only one of them.
const END_TOKEN_TEXTS: &[&str] = &[
    "<|endoftext|>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|end|>",
    "<end_of_turn>",
    "</s>",
];

/// Larger strings or arrays than these mean a corrupt file, not a model.
const MAX_STRING: u64 = 64 << 20;
const MAX_ARRAY: u64 = 1 << 26;
const MAX_KV: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("model file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model file {path} is not a GGUF file (no `GGUF` magic)")]
    NotGguf { path: PathBuf },
    #[error("model file {path} is truncated or corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("model file {path}: GGUF version {version} is not supported (2 or 3 expected)")]
    Version { path: PathBuf, version: u32 },
    #[error(
        "model file {path}: architecture `{arch}` is not supported by the engine (supported: {})",
        SUPPORTED_ARCHITECTURES.join(", ")
    )]
    Unsupported { path: PathBuf, arch: String },
}

/// One metadata value; arrays are summarised (element type and length), not kept.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    Array { elem_type: u32, len: u64 },
}

/// What lookout needs from a GGUF header.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufInfo {
    pub version: u32,
    pub tensor_count: u64,
    /// Scalars and strings by key (`general.architecture`, `tokenizer.chat_template`, …).
    pub metadata: BTreeMap<String, MetaValue>,
    /// Vocabulary size (length of `tokenizer.ggml.tokens`).
    pub vocab_size: u64,
    /// Ids of the end tokens found: the declared eos/eot/eom ids and known end texts.
    pub end_token_ids: Vec<u32>,
}

impl GgufInfo {
    pub fn architecture(&self) -> Option<&str> {
        self.str("general.architecture")
    }

    pub fn name(&self) -> Option<&str> {
        self.str("general.name")
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key) {
            Some(MetaValue::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> Option<i128> {
        match self.metadata.get(key) {
            Some(MetaValue::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn has_chat_template(&self) -> bool {
        self.str("tokenizer.chat_template").is_some()
    }
}

/// Reads the header of `path` and checks that the engine supports its architecture.
pub fn check_supported(path: &Path) -> Result<GgufInfo, GgufError> {
    let info = read_info(path)?;
    match info.architecture() {
        Some(a) if SUPPORTED_ARCHITECTURES.contains(&a) => Ok(info),
        other => Err(GgufError::Unsupported {
            path: path.into(),
            arch: other.unwrap_or("(none)").to_string(),
        }),
    }
}

/// `general.architecture` of a GGUF file, whatever the engine supports (e.g. to describe what
/// a conversion produced).
pub fn architecture(path: &Path) -> Result<String, GgufError> {
    let info = read_info(path)?;
    match info.architecture() {
        Some(a) => Ok(a.to_string()),
        None => Err(GgufError::Corrupt {
            path: path.into(),
            reason: "no general.architecture".into(),
        }),
    }
}

/// Reads the header (metadata, not tensors) of a GGUF file.
pub fn read_info(path: &Path) -> Result<GgufInfo, GgufError> {
    let file = File::open(path).map_err(|source| GgufError::Io {
        path: path.into(),
        source,
    })?;
    let mut r = Reader {
        inner: BufReader::with_capacity(1 << 16, file),
        path,
    };
    let mut magic = [0u8; 4];
    r.bytes(&mut magic)?;
    if &magic != b"GGUF" {
        return Err(GgufError::NotGguf { path: path.into() });
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::Version {
            path: path.into(),
            version,
        });
    }
    let tensor_count = r.u64()?;
    let kv_count = r.u64()?;
    if kv_count > MAX_KV {
        return Err(r.corrupt(format!("{kv_count} metadata entries")));
    }
    let mut metadata = BTreeMap::new();
    let mut vocab_size = 0;
    let mut end_ids = Vec::new();
    for _ in 0..kv_count {
        let key = r.string()?;
        let ty = r.u32()?;
        if key == "tokenizer.ggml.tokens" && ty == T_ARRAY {
            let (n, found) = r.token_array()?;
            vocab_size = n;
            end_ids.extend(found);
            metadata.insert(
                key,
                MetaValue::Array {
                    elem_type: T_STRING,
                    len: n,
                },
            );
            continue;
        }
        let v = r.value(ty)?;
        metadata.insert(key, v);
    }
    let mut info = GgufInfo {
        version,
        tensor_count,
        metadata,
        vocab_size,
        end_token_ids: Vec::new(),
    };
    for key in [
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.eom_token_id",
    ] {
        if let Some(id) = info.int(key).and_then(|i| u32::try_from(i).ok()) {
            end_ids.push(id);
        }
    }
    end_ids.sort_unstable();
    end_ids.dedup();
    info.end_token_ids = end_ids;
    Ok(info)
}

const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;

struct Reader<'a, R> {
    inner: R,
    path: &'a Path,
}

impl<R: Read> Reader<'_, R> {
    fn corrupt(&self, reason: String) -> GgufError {
        GgufError::Corrupt {
            path: self.path.into(),
            reason,
        }
    }

    fn bytes(&mut self, buf: &mut [u8]) -> Result<(), GgufError> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => self.corrupt("unexpected end of file".into()),
            _ => GgufError::Io {
                path: self.path.into(),
                source: e,
            },
        })
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        let mut b = [0u8; 4];
        self.bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        let mut b = [0u8; 8];
        self.bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn len(&mut self, max: u64, what: &str) -> Result<u64, GgufError> {
        let n = self.u64()?;
        if n > max {
            return Err(self.corrupt(format!("{what} of length {n}")));
        }
        Ok(n)
    }

    fn raw_string(&mut self) -> Result<Vec<u8>, GgufError> {
        let n = self.len(MAX_STRING, "string")?;
        let mut buf = vec![0u8; n as usize];
        self.bytes(&mut buf)?;
        Ok(buf)
    }

    fn string(&mut self) -> Result<String, GgufError> {
        let raw = self.raw_string()?;
        Ok(String::from_utf8_lossy(&raw).into_owned())
    }

    /// Reads the vocabulary, keeping only the ids of known end tokens.
    fn token_array(&mut self) -> Result<(u64, Vec<u32>), GgufError> {
        let elem = self.u32()?;
        if elem != T_STRING {
            return Err(self.corrupt("tokenizer.ggml.tokens is not a string array".into()));
        }
        let n = self.len(MAX_ARRAY, "array")?;
        let mut found = Vec::new();
        for i in 0..n {
            let t = self.raw_string()?;
            if END_TOKEN_TEXTS.iter().any(|e| e.as_bytes() == t.as_slice()) {
                found.push(i as u32);
            }
        }
        Ok((n, found))
    }

    fn value(&mut self, ty: u32) -> Result<MetaValue, GgufError> {
        Ok(match ty {
            0 => MetaValue::Int(self.fixed::<1>()?[0] as i128),
            1 => MetaValue::Int(self.fixed::<1>()?[0] as i8 as i128),
            2 => MetaValue::Int(u16::from_le_bytes(self.fixed()?) as i128),
            3 => MetaValue::Int(i16::from_le_bytes(self.fixed()?) as i128),
            4 => MetaValue::Int(u32::from_le_bytes(self.fixed()?) as i128),
            5 => MetaValue::Int(i32::from_le_bytes(self.fixed()?) as i128),
            6 => MetaValue::Float(f32::from_le_bytes(self.fixed()?) as f64),
            7 => MetaValue::Bool(self.fixed::<1>()?[0] != 0),
            T_STRING => MetaValue::Str(self.string()?),
            T_ARRAY => {
                let elem_type = self.u32()?;
                let len = self.len(MAX_ARRAY, "array")?;
                for _ in 0..len {
                    if elem_type == T_ARRAY {
                        return Err(self.corrupt("nested arrays".into()));
                    }
                    self.value(elem_type)?;
                }
                MetaValue::Array { elem_type, len }
            }
            10 => MetaValue::Int(u64::from_le_bytes(self.fixed()?) as i128),
            11 => MetaValue::Int(i64::from_le_bytes(self.fixed()?) as i128),
            12 => MetaValue::Float(f64::from_le_bytes(self.fixed()?)),
            other => return Err(self.corrupt(format!("unknown value type {other}"))),
        })
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], GgufError> {
        let mut b = [0u8; N];
        self.bytes(&mut b)?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal GGUF v3 header with the given string metadata and vocabulary.
    fn gguf(kv: &[(&str, &str)], tokens: &[&str], eos: Option<u32>) -> Vec<u8> {
        fn s(out: &mut Vec<u8>, v: &str) {
            out.extend((v.len() as u64).to_le_bytes());
            out.extend(v.as_bytes());
        }
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        let n = kv.len() + 1 + usize::from(eos.is_some());
        out.extend((n as u64).to_le_bytes());
        for (k, v) in kv {
            s(&mut out, k);
            out.extend(T_STRING.to_le_bytes());
            s(&mut out, v);
        }
        s(&mut out, "tokenizer.ggml.tokens");
        out.extend(T_ARRAY.to_le_bytes());
        out.extend(T_STRING.to_le_bytes());
        out.extend((tokens.len() as u64).to_le_bytes());
        for t in tokens {
            s(&mut out, t);
        }
        if let Some(e) = eos {
            s(&mut out, "tokenizer.ggml.eos_token_id");
            out.extend(4u32.to_le_bytes());
            out.extend(e.to_le_bytes());
        }
        out
    }

    fn write(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        std::fs::write(&p, bytes).unwrap();
        (dir, p)
    }

    #[test]
    fn reads_architecture_and_end_tokens() {
        let b = gguf(
            &[("general.architecture", "llama"), ("general.name", "tiny")],
            &["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a"],
            Some(2),
        );
        let (_d, p) = write(&b);
        let info = check_supported(&p).unwrap();
        assert_eq!(info.architecture(), Some("llama"));
        assert_eq!(info.name(), Some("tiny"));
        assert_eq!(info.vocab_size, 4);
        assert_eq!(info.end_token_ids, vec![0, 2]);
    }

    #[test]
    fn refuses_unsupported_architecture_by_name() {
        let (_d, p) = write(&gguf(&[("general.architecture", "gemma3")], &["a"], None));
        let e = check_supported(&p).unwrap_err();
        assert!(matches!(&e, GgufError::Unsupported { arch, .. } if arch == "gemma3"));
        assert!(e.to_string().contains("gemma3"));
        let (_d, p) = write(&gguf(&[], &["a"], None));
        assert!(matches!(
            check_supported(&p),
            Err(GgufError::Unsupported { .. })
        ));
    }

    #[test]
    fn truncated_or_foreign_files_are_errors() {
        let full = gguf(
            &[("general.architecture", "llama")],
            &["<|im_end|>"],
            Some(0),
        );
        for cut in [0, 3, 4, 9, 20, 30, full.len() - 1] {
            let (_d, p) = write(&full[..cut]);
            assert!(read_info(&p).is_err(), "cut at {cut}");
        }
        let (_d, p) = write(b"PK\x03\x04 not a model");
        assert!(matches!(read_info(&p), Err(GgufError::NotGguf { .. })));
        let mut huge = full.clone();
        huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        let (_d, p) = write(&huge);
        assert!(matches!(read_info(&p), Err(GgufError::Corrupt { .. })));
        assert!(matches!(
            read_info(Path::new("/nonexistent/m.gguf")),
            Err(GgufError::Io { .. })
        ));
    }

    fn kv_bytes(kvs: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend((kvs.len() as u64).to_le_bytes());
        for (k, ty, v) in kvs {
            b.extend((k.len() as u64).to_le_bytes());
            b.extend(k.as_bytes());
            b.extend(ty.to_le_bytes());
            b.extend(v);
        }
        b
    }

    fn str_bytes(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u64).to_le_bytes().to_vec();
        v.extend(s.as_bytes());
        v
    }

    #[test]
    fn reads_the_architecture_after_other_keys() {
        let mut arr = T_STRING.to_le_bytes().to_vec(); // array of 2 strings
        arr.extend(2u64.to_le_bytes());
        arr.extend(str_bytes("a"));
        arr.extend(str_bytes("bc"));
        let bytes = kv_bytes(&[
            (
                "general.quantization_version",
                4,
                2u32.to_le_bytes().to_vec(),
            ),
            ("general.tags", T_ARRAY, arr),
            ("general.size", 10, 7u64.to_le_bytes().to_vec()),
            ("general.architecture", T_STRING, str_bytes("llama")),
        ]);
        let (_d, p) = write(&bytes);
        assert_eq!(architecture(&p).unwrap(), "llama");
        let (_d, p) = write(&bytes[..bytes.len() - 3]);
        assert!(architecture(&p).is_err());
        let (_d, p) = write(b"NOPE....");
        assert!(architecture(&p).is_err());
        let (_d, p) = write(&kv_bytes(&[("general.name", T_STRING, str_bytes("x"))]));
        assert!(matches!(architecture(&p), Err(GgufError::Corrupt { .. })));
    }
}
