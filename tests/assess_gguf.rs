//! The GGUF header reader on arbitrary bytes: errors, never panics; and on the real model.

mod common;

use lookout::assess::gguf::{SUPPORTED_ARCHITECTURES, check_supported, read_info};
use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        // Half the cases start with a valid magic and version, to get past the first checks.
        if bytes.len() > 8 && bytes[0] % 2 == 0 {
            bytes[..4].copy_from_slice(b"GGUF");
            bytes[4..8].copy_from_slice(&3u32.to_le_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gguf");
        std::fs::write(&p, &bytes).unwrap();
        let _ = read_info(&p);
    }
}

#[test]
fn the_default_model_header() {
    let Some(path) = common::model_file() else {
        return;
    };
    let info = check_supported(&path).unwrap();
    assert_eq!(info.architecture(), Some("llama"));
    assert!(SUPPORTED_ARCHITECTURES.contains(&"llama"));
    assert_eq!(info.vocab_size, 49152);
    assert!(info.has_chat_template());
    // <|endoftext|> (0) ends the constrained JSON, <|im_end|> (2) the chat turn.
    assert_eq!(info.end_token_ids, vec![0, 2]);
}
