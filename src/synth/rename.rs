//! Other names for the synthetic estate in training examples: each session's hosts, domain,
//! people, service accounts and subnet are replaced, consistently across the prompt and the
//! target answer, by names drawn for that session.
//!
//! Why: the estate is fixed (WS01…WS05, DC01, web01, alice, bob, `CORP`), so a model tuned on
//! it learned the names themselves: it wrote "On WS04, …" for a Linux host it had never seen
//! and "On WS01, …" for a real capture's `PEDRO01`. With the names varied per session, the
//! only way to say the right host is to read it from the prompt.

use std::sync::OnceLock;

use regex::{Captures, Regex};

use super::Platform;
use super::rng::Rng;
use super::world::{ACCOUNTS, DOMAIN, DOMAIN_FQDN, World};

/// Whether `host` (short or fully qualified, any case) is a host of the synthetic estate.
pub fn is_estate_host(host: &str) -> bool {
    let short = host.split('.').next().unwrap_or(host);
    estate()
        .hosts
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case(short))
}

/// Replaces the estate's names in `texts` by names drawn for `key` (a session id): the same
/// key always gives the same names, and every text of one example gets the same ones.
pub fn vary_estate_names(texts: &mut [&mut String], key: &str) {
    let names = Names::draw(key);
    let e = estate();
    for text in texts.iter_mut() {
        let replaced = e.pattern.replace_all(text, |c: &Captures| names.replace(c));
        let replaced = e.subnet.replace_all(&replaced, |c: &Captures| {
            format!("{}{}.{}", names.subnet, &c[1], &c[2])
        });
        **text = replaced.into_owned();
    }
}

struct EstateHost {
    name: String,
    platform: Platform,
    server: bool,
}

/// The estate's names and the patterns that find them.
struct Estate {
    hosts: Vec<EstateHost>,
    /// Account names that are people or service accounts (not `root`, `ops`, `deploy`,
    /// `backup`, `dev`: those are words of paths and commands too).
    people: Vec<&'static str>,
    /// Any of the names, as a whole word, any case; the domain's FQDN first.
    pattern: Regex,
    /// Addresses of the estate's networks (10.0.0.0/22): octets 3 and 4 captured.
    subnet: Regex,
}

fn estate() -> &'static Estate {
    static E: OnceLock<Estate> = OnceLock::new();
    E.get_or_init(|| {
        let hosts: Vec<EstateHost> = World::new(0)
            .hosts
            .into_iter()
            .map(|h| EstateHost {
                name: h.name,
                platform: h.platform,
                server: h.server,
            })
            .collect();
        let people: Vec<&'static str> = ACCOUNTS
            .iter()
            .map(|a| a.name)
            .filter(|n| PEOPLE.contains(n))
            .collect();
        let mut words: Vec<String> = vec![regex::escape(DOMAIN_FQDN), regex::escape(DOMAIN)];
        words.extend(hosts.iter().map(|h| regex::escape(&h.name)));
        words.extend(people.iter().map(|n| regex::escape(n)));
        // Longest first, so that `svc_backup` is not read as a shorter name.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let alternatives = words.join("|");
        let pattern = Regex::new(&format!(r"(?i)(^|[^A-Za-z0-9_])({alternatives})\b"))
            .unwrap_or_else(|e| unreachable!("estate pattern: {e}"));
        let subnet = Regex::new(r"\b10\.0\.([0-3])\.(\d{1,3})\b")
            .unwrap_or_else(|e| unreachable!("subnet pattern: {e}"));
        Estate {
            hosts,
            people,
            pattern,
            subnet,
        }
    })
}

/// The estate's accounts that get other names.
const PEOPLE: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "it_admin",
    "svc_backup",
    "svc_sql",
];

const FIRST: &[&str] = &[
    "anna", "ben", "chen", "diego", "elif", "fatima", "george", "hana", "ivan", "jonas", "kemal",
    "lucia", "marta", "nikhil", "olga", "pedro", "quinn", "rosa", "sami", "tomas", "umar", "vera",
    "wei", "yusuf", "zoe", "laura", "mike", "sara", "peter", "nina", "omar", "julia",
];
const LAST: &[&str] = &[
    "smith", "garcia", "nguyen", "mueller", "rossi", "kowalski", "tanaka", "silva", "jensen",
    "novak", "okafor", "dubois", "haddad", "larsen", "moreau", "petrov",
];
const ORGS: &[&str] = &[
    "ACME",
    "CONTOSO",
    "NORTHWIND",
    "FABRIKAM",
    "GLOBEX",
    "INITECH",
    "UMBRELLA",
    "HOOLI",
    "STARK",
    "WAYNE",
    "TYRELL",
    "OSCORP",
    "VANDELAY",
    "MERIDIAN",
    "BLUEFIN",
    "REDWOOD",
];
const DEPTS: &[&str] = &[
    "FIN", "HR", "OPS", "DEV", "SALES", "MKT", "LEGAL", "IT", "RND",
];
const SERVER_ROLES: &[&str] = &["FILE", "APP", "DB", "SQL", "PRINT", "WEB", "MAIL", "BKP"];
const LINUX_ROLES: &[&str] = &[
    "web", "api", "db", "pg", "mysql", "app", "worker", "backup", "nas", "jump", "gw", "proxy",
    "git", "ci", "mon", "log",
];

/// One session's replacement names.
struct Names {
    /// Replacement per lower-case estate name.
    map: Vec<(String, String)>,
    /// `A.B.` prefix replacing `10.0.`.
    subnet: String,
}

impl Names {
    fn draw(key: &str) -> Names {
        let mut r = Rng::derive(7, &["estate-names", key]);
        let e = estate();
        let org = r.pick(ORGS).to_string();
        let fqdn = match r.below(4) {
            0 => format!("{}.local", org.to_lowercase()),
            1 => format!("ad.{}.com", org.to_lowercase()),
            2 => format!("{}.lan", org.to_lowercase()),
            _ => format!("corp.{}.net", org.to_lowercase()),
        };
        let mut map = vec![
            (DOMAIN_FQDN.to_string(), fqdn),
            (DOMAIN.to_lowercase(), org),
        ];
        let mut taken: Vec<String> = Vec::new();
        for h in &e.hosts {
            let new = unique(&mut taken, || host_name(&mut r, h));
            map.push((h.name.to_lowercase(), new));
        }
        for p in &e.people {
            let new = unique(&mut taken, || person_name(&mut r, p));
            map.push((p.to_string(), new));
        }
        let subnet = match r.below(3) {
            0 => format!("10.{}.", r.between(1, 250)),
            1 => format!("172.{}.", r.between(16, 31)),
            // The estate's third octet (0-3) stays as it is.
            _ => "192.168.".to_string(),
        };
        Names { map, subnet }
    }

    /// The replacement of one match, in the case the text wrote the original in.
    fn replace(&self, c: &Captures) -> String {
        let (lead, word) = (&c[1], &c[2]);
        let lower = word.to_lowercase();
        let Some((_, new)) = self.map.iter().find(|(o, _)| *o == lower) else {
            return c[0].to_string();
        };
        let cased = if word.chars().any(char::is_lowercase) && !word.chars().any(char::is_uppercase)
        {
            new.to_lowercase()
        } else if word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase) {
            new.to_uppercase()
        } else {
            new.clone()
        };
        format!("{lead}{cased}")
    }
}

/// Draws until the name is one no other estate name of the session got.
fn unique(taken: &mut Vec<String>, mut draw: impl FnMut() -> String) -> String {
    for _ in 0..20 {
        let n = draw();
        if !taken.iter().any(|t| t.eq_ignore_ascii_case(&n)) {
            taken.push(n.clone());
            return n;
        }
    }
    let n = format!("{}{}", draw(), taken.len());
    taken.push(n.clone());
    n
}

/// A host name in one of the styles real estates use, by the estate host's kind.
fn host_name(r: &mut Rng, h: &EstateHost) -> String {
    match h.platform {
        Platform::Linux => {
            let role = r.pick(LINUX_ROLES);
            match r.below(3) {
                0 => format!("{role}{:02}", r.between(1, 30)),
                1 => format!("{role}-prod-{}", r.between(1, 9)),
                _ => format!("{}-{role}", r.pick(&["lon", "fra", "nyc", "sgp", "ams"])),
            }
        }
        _ if h.server => {
            let role = r.pick(SERVER_ROLES);
            match r.below(3) {
                0 => format!("SRV-{role}{:02}", r.between(1, 20)),
                1 => format!("{role}SRV{}", r.between(1, 9)),
                _ => format!(
                    "{}{role}{:02}",
                    r.pick(&["HQ-", "BR1-", "NY-", "DE-"]),
                    r.between(1, 9)
                ),
            }
        }
        _ => match r.below(4) {
            0 => format!("DESKTOP-{}", r.hex(7).to_uppercase()),
            1 => format!("{}-LT{:03}", r.pick(DEPTS), r.between(1, 400)),
            2 => format!("{}PC{:02}", r.pick(FIRST).to_uppercase(), r.between(1, 9)),
            _ => format!("WIN10-{:03}", r.between(1, 400)),
        },
    }
}

/// A user or service account name in one of the usual conventions.
fn person_name(r: &mut Rng, estate_name: &str) -> String {
    let (first, last) = (r.pick(FIRST), r.pick(LAST));
    match estate_name {
        "svc_backup" => r
            .pick(&["svc_veeam", "svc-bkp", "backupsvc", "svc_backupexec"])
            .to_string(),
        "svc_sql" => r
            .pick(&["svc_mssql", "sqlsvc", "svc-sqlagent", "mssql_svc"])
            .to_string(),
        "it_admin" => match r.below(3) {
            0 => format!("adm_{first}"),
            1 => format!("{first}.admin"),
            _ => format!("{}{}-adm", &first[..1], last),
        },
        _ => match r.below(4) {
            0 => first.to_string(),
            1 => format!("{first}.{last}"),
            2 => format!("{}{last}", &first[..1]),
            _ => format!("{first}{}", &last[..1]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_change_consistently_across_the_texts_of_one_example() {
        let mut prompt = "Host: WS01.corp.local\nUser: CORP\\alice\n10.0.1.11 -> 10.0.0.10 (DC01)\nC:\\Users\\alice\\x.exe on ws01; alice2 and alicex stay".to_string();
        let mut answer = "On WS01, alice ran x.exe against DC01".to_string();
        vary_estate_names(&mut [&mut prompt, &mut answer], "session-1");
        for old in [
            "WS01",
            "corp.local",
            "CORP\\",
            "\\alice",
            "DC01",
            "10.0.1.11",
        ] {
            assert!(!prompt.contains(old), "{old} left in {prompt}");
        }
        assert!(prompt.contains("alice2 and alicex stay"), "{prompt}");
        // The answer names what the prompt now names.
        let host = prompt.lines().next().unwrap().trim_start_matches("Host: ");
        let short = host.split('.').next().unwrap();
        assert!(
            answer.starts_with(&format!("On {short}, ")),
            "{answer} / {host}"
        );
        let user = prompt.lines().nth(1).unwrap().rsplit('\\').next().unwrap();
        assert!(
            answer.contains(&format!(", {user} ran")),
            "{answer} / {user}"
        );
        // Lower case in, lower case out.
        assert!(
            prompt.contains(&format!("on {}", short.to_lowercase())),
            "{prompt}"
        );
    }

    #[test]
    fn the_same_session_gets_the_same_names_and_others_get_others() {
        let text = || "On WS01, alice used web01 and DC01".to_string();
        let (mut a, mut b) = (text(), text());
        vary_estate_names(&mut [&mut a], "s1");
        vary_estate_names(&mut [&mut b], "s1");
        assert_eq!(a, b);
        let others: std::collections::BTreeSet<String> = (0..20)
            .map(|i| {
                let mut t = text();
                vary_estate_names(&mut [&mut t], &format!("s{i}"));
                t
            })
            .collect();
        assert!(others.len() >= 18, "{others:?}");
    }

    #[test]
    fn estate_hosts_are_recognised_and_others_are_not() {
        assert!(is_estate_host("WS04.corp.local"));
        assert!(is_estate_host("web01"));
        assert!(!is_estate_host("PEDRO01.pedro.local"));
        assert!(!is_estate_host("MSEDGEWIN10"));
    }
}
