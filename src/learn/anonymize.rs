//! Anonymisation for exported datasets: user and host names, domains, IP addresses (keeping
//! private/public and subnet structure), e-mail addresses, SIDs and home-directory paths are
//! replaced by consistent pseudonyms from a keyed hash, in prompts and answers alike.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::{Captures, Regex};
use sha2::{Digest, Sha256};

/// Replaces identifiers with pseudonyms. The same original always maps to the same pseudonym
/// under one key; without the key the mapping cannot be reversed or recomputed.
pub struct Anonymizer {
    key: Vec<u8>,
    /// Known names (users, hosts) from the case, longest first so that `WS01.corp.local`
    /// is replaced before `WS01`.
    names: Vec<(String, String)>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| unreachable!("static regex: {e}")))
}

static EMAIL: OnceLock<Regex> = OnceLock::new();
static SID: OnceLock<Regex> = OnceLock::new();
static IPV4: OnceLock<Regex> = OnceLock::new();
static WIN_HOME: OnceLock<Regex> = OnceLock::new();
static NIX_HOME: OnceLock<Regex> = OnceLock::new();
static DOMAIN_USER: OnceLock<Regex> = OnceLock::new();
static FQDN: OnceLock<Regex> = OnceLock::new();

impl Anonymizer {
    /// `users` and `hosts`: the identifiers known from the case's sessions and events.
    pub fn new(key: &[u8], users: &[String], hosts: &[String]) -> Self {
        let mut a = Anonymizer {
            key: key.to_vec(),
            names: Vec::new(),
        };
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for h in hosts.iter().filter(|h| h.len() >= 2) {
            names.insert(h.to_lowercase(), a.pseudonym("host", h));
            if let Some((short, _)) = h.split_once('.') {
                names.insert(short.to_lowercase(), a.pseudonym("host", short));
            }
        }
        for u in users {
            let bare = u.rsplit('\\').next().unwrap_or(u);
            // Checked on the bare name: an empty one (a user logged as `DOMAIN\`) would match
            // everywhere and never advance the replacement.
            if bare.len() >= 2 {
                names.insert(bare.to_lowercase(), a.pseudonym("user", bare));
            }
        }
        let mut names: Vec<(String, String)> = names.into_iter().collect();
        names.sort_by(|x, y| y.0.len().cmp(&x.0.len()).then(x.0.cmp(&y.0)));
        a.names = names;
        a
    }

    fn digest(&self, kind: &str, value: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(&self.key);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(value.to_lowercase().as_bytes());
        h.finalize().into()
    }

    /// `user-3fa2c1`-style pseudonym of `value` for identifiers of `kind`.
    pub fn pseudonym(&self, kind: &str, value: &str) -> String {
        let d = self.digest(kind, value);
        format!("{kind}-{}", hex::encode(&d[..3]))
    }

    /// Maps an IPv4 address keeping its class (private ranges stay in the same private range,
    /// public stay public, loopback stays) and its subnet structure: two addresses in one /24
    /// stay in one /24, and so on for /16.
    pub fn ip(&self, ip: &str) -> String {
        let Ok(addr) = ip.parse::<std::net::Ipv4Addr>() else {
            return self.pseudonym("ip", ip);
        };
        let o = addr.octets();
        let h = |prefix: &str| self.digest("ip", prefix);
        let b = h(&format!("{}.{}", o[0], o[1]))[0];
        let c = h(&format!("{}.{}.{}", o[0], o[1], o[2]))[0];
        let d = 1 + h(ip)[0] % 254;
        if addr.is_loopback() || addr.is_unspecified() || addr.is_broadcast() {
            return ip.to_string();
        }
        match (o[0], o[1]) {
            (10, _) => format!("10.{b}.{c}.{d}"),
            (172, 16..=31) => format!("172.{}.{c}.{d}", 16 + b % 16),
            (192, 168) => format!("192.168.{c}.{d}"),
            (169, 254) => format!("169.254.{c}.{d}"),
            _ => {
                // Public stays public: pick a first octet outside private/reserved blocks.
                const PUBLIC_FIRST: [u8; 8] = [23, 45, 64, 81, 104, 145, 185, 203];
                let a = PUBLIC_FIRST[(h(&o[0].to_string())[0] % 8) as usize];
                format!("{a}.{b}.{c}.{d}")
            }
        }
    }

    /// Replaces every identifier in `text`.
    pub fn apply(&self, text: &str) -> String {
        let email = re(&EMAIL, r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b");
        let sid = re(&SID, r"\bS-1-5-21(?:-\d+){3,4}\b");
        let ipv4 = re(
            &IPV4,
            r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
        );
        let win_home = re(&WIN_HOME, r"(?i)(\b[a-z]:\\+users\\+)([^\\\s\x22']+)");
        let nix_home = re(&NIX_HOME, r"(/home/)([^/\s\x22']+)");
        let domain_user = re(
            &DOMAIN_USER,
            r"\b([A-Za-z][A-Za-z0-9-]{1,14})\\\\?([A-Za-z0-9._$-]+)",
        );
        let fqdn = re(
            &FQDN,
            r"(?i)\b(?:[a-z0-9-]+\.)+(?:local|lan|corp|internal|com|net|org|io|example)\b",
        );
        let mut s = email
            .replace_all(text, |c: &Captures| {
                self.pseudonym("email", &c[0]) + "@example.invalid"
            })
            .into_owned();
        s = sid
            .replace_all(&s, |c: &Captures| {
                format!(
                    "S-1-5-21-{}",
                    u32::from_be_bytes(first4(&self.digest("sid", &c[0])))
                )
            })
            .into_owned();
        s = ipv4
            .replace_all(&s, |c: &Captures| self.ip(&c[0]))
            .into_owned();
        s = win_home
            .replace_all(&s, |c: &Captures| {
                format!("{}{}", &c[1], self.pseudonym("user", &c[2]))
            })
            .into_owned();
        s = nix_home
            .replace_all(&s, |c: &Captures| {
                format!("{}{}", &c[1], self.pseudonym("user", &c[2]))
            })
            .into_owned();
        s = domain_user
            .replace_all(&s, |c: &Captures| {
                let domain = &c[1];
                // Leave well-known Windows authorities alone: they identify nobody.
                if matches!(
                    domain.to_ascii_uppercase().as_str(),
                    "NT AUTHORITY"
                        | "NT"
                        | "BUILTIN"
                        | "HKLM"
                        | "HKU"
                        | "HKCU"
                        | "HKCR"
                        | "C"
                        | "D"
                ) {
                    return c[0].to_string();
                }
                let sep = if c[0].contains("\\\\") { "\\\\" } else { "\\" };
                format!(
                    "{}{sep}{}",
                    self.pseudonym("domain", domain),
                    self.pseudonym("user", &c[2])
                )
            })
            .into_owned();
        s = fqdn
            .replace_all(&s, |c: &Captures| {
                self.pseudonym("domain", &c[0]) + ".invalid"
            })
            .into_owned();
        self.replace_names(&s)
    }

    /// Known user and host names, case-insensitively, on identifier boundaries.
    fn replace_names(&self, text: &str) -> String {
        let lower = text.to_lowercase();
        if lower.len() != text.len() {
            // Lower-casing changed byte offsets (rare non-ASCII case mappings): fall back to
            // exact-case replacement.
            let mut s = text.to_string();
            for (name, p) in &self.names {
                s = s.replace(name.as_str(), p);
            }
            return s;
        }
        let bytes = text.as_bytes();
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'outer: while i < text.len() {
            if (i == 0 || !is_ident(bytes[i - 1])) && text.is_char_boundary(i) {
                for (name, p) in &self.names {
                    let end = i + name.len();
                    if end <= text.len()
                        && lower.is_char_boundary(end)
                        && &lower[i..end] == name
                        && (end == text.len() || !is_ident(bytes[end]))
                    {
                        out.push_str(p);
                        i = end;
                        continue 'outer;
                    }
                }
            }
            let ch_len = text[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
        out
    }
}

fn first4(d: &[u8; 32]) -> [u8; 4] {
    [d[0], d[1], d[2], d[3]]
}

/// The case's anonymisation key: created once (random), kept in the case folder.
pub fn case_key(case_dir: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let path = case_dir.join("anonymize.key");
    if let Ok(hexkey) = std::fs::read_to_string(&path)
        && let Ok(k) = hex::decode(hexkey.trim())
        && k.len() == 32
    {
        return Ok(k);
    }
    let key: [u8; 32] = rand::random();
    std::fs::create_dir_all(case_dir)?;
    std::fs::write(&path, hex::encode(key))?;
    Ok(key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon() -> Anonymizer {
        Anonymizer::new(
            b"k",
            &["CORP\\alice".into(), "svc_backup".into()],
            &["WS01.corp.local".into(), "FS01".into()],
        )
    }

    #[test]
    fn replaces_every_identifier_consistently() {
        let a = anon();
        let text = "alice@corp.local logged on to WS01.corp.local from 10.0.2.21 as CORP\\alice; \
                    C:\\Users\\alice\\AppData and /home/deploy; sid S-1-5-21-1111-2222-3333-1001; \
                    svc_backup failed on FS01 (ws01) from 203.0.113.45";
        let out = a.apply(text);
        for original in [
            "alice",
            "corp.local",
            "WS01",
            "ws01",
            "10.0.2.21",
            "deploy",
            "1111-2222-3333",
            "svc_backup",
            "FS01",
            "203.0.113.45",
        ] {
            assert!(
                !out.to_lowercase().contains(&original.to_lowercase()),
                "{original} left in {out}"
            );
        }
        assert_eq!(out, a.apply(text), "deterministic");
        assert_eq!(a.ip("10.0.2.21"), a.ip("10.0.2.21"));
    }

    #[test]
    fn ips_keep_class_and_subnet() {
        let a = anon();
        let x = a.ip("10.0.2.21");
        let y = a.ip("10.0.2.99");
        assert!(x.starts_with("10."));
        let prefix = |s: &str| s.rsplit_once('.').map(|x| x.0).unwrap_or("").to_string();
        assert_eq!(prefix(&x), prefix(&y), "same /24 stays one /24");
        assert!(a.ip("192.168.1.5").starts_with("192.168."));
        let p: std::net::Ipv4Addr = a.ip("203.0.113.45").parse().unwrap();
        assert!(!p.is_private());
        assert_eq!(a.ip("127.0.0.1"), "127.0.0.1");
    }

    /// Regression: a user name ending in a backslash (attacker-written `DOMAIN\`) made an
    /// empty name that matched at every position without advancing: `export --preview` grew
    /// without bound (found by tests/hostile_text.rs).
    #[test]
    fn a_user_with_an_empty_bare_name_is_ignored() {
        let a = Anonymizer::new(b"k", &["CORP\\".into(), "x\\y\\".into()], &[]);
        assert_eq!(a.apply("plain text, here"), "plain text, here");
    }

    #[test]
    fn different_keys_give_different_pseudonyms() {
        let b = Anonymizer::new(b"other", &[], &[]);
        assert_ne!(
            anon().pseudonym("user", "alice"),
            b.pseudonym("user", "alice")
        );
    }
}
