//! HMAC-SHA-256 (RFC 2104) over `sha2`, in place of the `hmac` crate.
//!
//! lookout patch: the `hmac` crate turns on `digest`'s `mac` feature, and `digest` is shared
//! with mistral.rs's dependency tree, so a new feature there would rebuild mistral.rs. The
//! few calls SCRAM needs are written out here with the same names (`new_from_slice`,
//! `update`, `finalize().into_bytes()`, `verify_slice`).

use sha2::digest::generic_array::GenericArray;
use sha2::digest::typenum::U32;
use sha2::{Digest, Sha256};

const BLOCK: usize = 64;

/// The key is any length, as with `hmac::Hmac`; the error type is never produced.
#[derive(Debug)]
pub struct InvalidLength;

/// The tag was not the expected one.
#[derive(Debug)]
pub struct MacError;

pub struct HmacSha256 {
    inner: Sha256,
    outer: Sha256,
}

pub struct Output(GenericArray<u8, U32>);

impl Output {
    pub fn into_bytes(self) -> GenericArray<u8, U32> {
        self.0
    }
}

impl HmacSha256 {
    pub fn new_from_slice(key: &[u8]) -> Result<HmacSha256, InvalidLength> {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha256::new();
        let mut outer = Sha256::new();
        inner.update(block.map(|b| b ^ 0x36));
        outer.update(block.map(|b| b ^ 0x5c));
        Ok(HmacSha256 { inner, outer })
    }

    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    pub fn finalize(self) -> Output {
        let mut outer = self.outer;
        outer.update(self.inner.finalize());
        Output(outer.finalize())
    }

    /// Compares in constant time, as `hmac`'s `verify_slice` does.
    pub fn verify_slice(self, tag: &[u8]) -> Result<(), MacError> {
        let mac = self.finalize().into_bytes();
        if tag.len() != mac.len() {
            return Err(MacError);
        }
        let diff = mac.iter().zip(tag).fold(0u8, |d, (a, b)| d | (a ^ b));
        if diff == 0 { Ok(()) } else { Err(MacError) }
    }
}

#[cfg(test)]
mod test {
    use super::HmacSha256;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    // RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
    #[test]
    fn rfc4231() {
        let mut h = HmacSha256::new_from_slice(&[0x0b; 20]).unwrap();
        h.update(b"Hi There");
        assert_eq!(
            hex(&h.finalize().into_bytes()),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let mut h = HmacSha256::new_from_slice(b"Jefe").unwrap();
        h.update(b"what do ya want ");
        h.update(b"for nothing?");
        assert_eq!(
            hex(&h.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut h = HmacSha256::new_from_slice(&[0xaa; 131]).unwrap();
        h.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex(&h.finalize().into_bytes()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert!(HmacSha256::new_from_slice(b"k").unwrap().verify_slice(&[0; 31]).is_err());
    }
}
