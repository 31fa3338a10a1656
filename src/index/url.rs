//! Where a case's events are indexed: `--index URL` / `index.url` / `LOOKOUT_INDEX`, parsed,
//! and chosen once per process like the store (`store::set_default_url`).

use std::sync::OnceLock;

use super::{IndexError, Result};

/// Where the cases' indexes live.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IndexUrl {
    /// The per-case tantivy index under the data dir (the default).
    #[default]
    Local,
    OpenSearch(OpenSearchUrl),
}

/// An OpenSearch cluster and how lookout names and shapes its indexes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSearchUrl {
    /// `http://host:port` or `https://host:port`, no trailing slash: the first answers, the
    /// others stand in when it cannot be reached (the nodes of one cluster).
    pub hosts: Vec<String>,
    /// Basic authentication, from `user:password@` in the URL.
    pub auth: Option<(String, String)>,
    /// Index names are `PREFIX-CASE`.
    pub prefix: String,
    /// Primary shards of a new case index (`?shards=N`, default 1).
    pub shards: u32,
    /// Replicas of each shard (`?replicas=N`, default 0: a one-node cluster could not place
    /// them; 1 on a cluster that must survive a node).
    pub replicas: u32,
    /// A new case gets one index per month of its events' time (`?per=month`), read through an
    /// alias named as the one index would be: for cases too large for one index. A case keeps
    /// the layout it was made with.
    pub per_month: bool,
}

const DEFAULT_PREFIX: &str = "lookout";

impl IndexUrl {
    /// `tantivy` (or empty) for the local index; `opensearch://HOST[:PORT][,HOST…][/PREFIX]`
    /// (HTTP; several nodes of one cluster comma-separated),
    /// `opensearch+https://…` (TLS), with optional `USER:PASSWORD@` and
    /// `?shards=N&replicas=N&per=month`.
    pub fn parse(s: &str) -> Result<IndexUrl> {
        let s = s.trim();
        let bad = |why: &str| IndexError::Url {
            url: s.to_string(),
            reason: why.to_string(),
        };
        if s.is_empty() || s == "tantivy" || s == "local" {
            return Ok(IndexUrl::Local);
        }
        let (scheme, rest) = if let Some(r) = s.strip_prefix("opensearch://") {
            ("http", r)
        } else if let Some(r) = s.strip_prefix("opensearch+http://") {
            ("http", r)
        } else if let Some(r) = s.strip_prefix("opensearch+https://") {
            ("https", r)
        } else {
            return Err(bad("expected opensearch://HOST:PORT/PREFIX or tantivy"));
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (auth, hostport) = match authority.rsplit_once('@') {
            Some((cred, hp)) => {
                let (u, p) = cred.split_once(':').unwrap_or((cred, ""));
                (Some((u.to_string(), p.to_string())), hp)
            }
            None => (None, authority),
        };
        let mut hosts = Vec::new();
        for hp in hostport.split(',') {
            hosts.push(format!("{scheme}://{}", with_port(hp).map_err(&bad)?));
        }
        let prefix = match path.trim_end_matches('/') {
            "" => DEFAULT_PREFIX.to_string(),
            p => p.to_string(),
        };
        if !valid_name_part(&prefix) {
            return Err(bad(
                "the prefix takes lower-case letters, digits, `-` and `_`, and starts with a letter or digit",
            ));
        }
        let mut url = OpenSearchUrl {
            hosts,
            auth,
            prefix,
            shards: 1,
            replicas: 0,
            per_month: false,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if k == "per" {
                match v {
                    "month" => url.per_month = true,
                    "case" => url.per_month = false,
                    _ => return Err(bad(&format!("`per` takes `case` or `month`, not `{v}`"))),
                }
                continue;
            }
            let n: u32 = v
                .parse()
                .map_err(|_| bad(&format!("`{k}` takes a number, not `{v}`")))?;
            match k {
                "shards" if n >= 1 => url.shards = n,
                "replicas" => url.replicas = n,
                _ => return Err(bad(&format!("unknown or invalid option `{pair}`"))),
            }
        }
        Ok(IndexUrl::OpenSearch(url))
    }
}

impl OpenSearchUrl {
    /// The index of case `case`: `PREFIX-CASE`, lower-cased as OpenSearch requires; a case
    /// name with capitals gets a short digest of its spelling so that `Demo` and `demo` stay
    /// apart.
    pub fn index_name(&self, case: &str) -> String {
        let lower = case.to_ascii_lowercase();
        if lower == case {
            format!("{}-{lower}", self.prefix)
        } else {
            let digest = xxhash_rust::xxh3::xxh3_64(case.as_bytes());
            format!("{}-{lower}-{:08x}", self.prefix, digest as u32)
        }
    }
}

/// `host:port`, with 9200 when the port is left out (`[::1]` and `[::1]:9201` for IPv6).
fn with_port(hp: &str) -> std::result::Result<String, &'static str> {
    if hp.is_empty() {
        return Err("no host");
    }
    let port_part = if hp.starts_with('[') {
        match hp.split_once("]") {
            Some((_, "")) => None,
            Some((_, rest)) => Some(rest.strip_prefix(':').ok_or("bad IPv6 address")?),
            None => return Err("bad IPv6 address"),
        }
    } else {
        hp.split_once(':').map(|(_, p)| p)
    };
    match port_part {
        None => Ok(format!("{hp}:9200")),
        Some(p) if p.parse::<u16>().is_ok() => Ok(hp.to_string()),
        Some(_) => Err("the port is not a number"),
    }
}

fn valid_name_part(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The index chosen for this process (`--index`, `index.url`); unset means the local index.
/// Process-wide for the reason the store's is: every command opens its case from the data
/// dir it is handed, and the choice belongs to the process.
static CHOSEN: OnceLock<IndexUrl> = OnceLock::new();

/// Makes every later [`super::open_case`] use `url`. Set once, at start-up; a second call is
/// refused (returns false).
pub fn set_default_url(url: IndexUrl) -> bool {
    CHOSEN.set(url).is_ok()
}

/// The index this process uses.
pub fn chosen() -> IndexUrl {
    CHOSEN.get().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> OpenSearchUrl {
        match IndexUrl::parse(s).unwrap() {
            IndexUrl::OpenSearch(u) => u,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn url_forms() {
        assert_eq!(IndexUrl::parse("").unwrap(), IndexUrl::Local);
        assert_eq!(IndexUrl::parse("tantivy").unwrap(), IndexUrl::Local);
        let u = os("opensearch://127.0.0.1:9201/ir-2026");
        assert_eq!(u.hosts, ["http://127.0.0.1:9201"]);
        assert_eq!(u.prefix, "ir-2026");
        assert_eq!((u.shards, u.replicas), (1, 0));
        let u = os("opensearch://search.local");
        assert_eq!(u.hosts, ["http://search.local:9200"]);
        assert_eq!(u.prefix, "lookout");
        let u = os("opensearch+https://ana:s3cret@os:443/team?shards=2&replicas=1");
        assert_eq!(u.hosts, ["https://os:443"]);
        assert_eq!(u.auth, Some(("ana".into(), "s3cret".into())));
        assert_eq!((u.shards, u.replicas), (2, 1));
        assert!(!u.per_month);
        assert!(os("opensearch://h/x?per=month&replicas=1").per_month);
        assert!(!os("opensearch://h/x?per=case").per_month);
        assert_eq!(os("opensearch://[::1]/x").hosts, ["http://[::1]:9200"]);
        assert_eq!(os("opensearch://[::1]:9201/x").hosts, ["http://[::1]:9201"]);
        assert_eq!(
            os("opensearch://127.0.0.1:9200,127.0.0.1:9201/x").hosts,
            ["http://127.0.0.1:9200", "http://127.0.0.1:9201"]
        );
        for bad in [
            "postgres://x",
            "opensearch://",
            "opensearch://h:port/x",
            "opensearch://h/Upper",
            "opensearch://h/x?shards=0",
            "opensearch://h/x?color=red",
            "opensearch://h/x?per=year",
        ] {
            assert!(IndexUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn index_names_are_lower_case_and_keep_cases_apart() {
        let u = os("opensearch://h/team");
        assert_eq!(u.index_name("demo"), "team-demo");
        let upper = u.index_name("Demo");
        assert!(upper.starts_with("team-demo-"), "{upper}");
        assert_ne!(upper, u.index_name("DEMO"));
    }
}
