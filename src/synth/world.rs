//! The synthetic estate: a small company's hosts, accounts and long-running processes, the
//! same for every seed so that attacks, admin work and misconfigurations meet the same
//! machines and people.

use super::atomics::Platform;
use super::rng::Rng;

/// The Windows domain every Windows host belongs to.
pub const DOMAIN: &str = "CORP";
pub const DOMAIN_FQDN: &str = "corp.local";
/// Domain SID prefix; account RIDs are appended.
pub const DOMAIN_SID: &str = "S-1-5-21-1004336348-1177238915-682003330";

/// A person or service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: &'static str,
    /// Windows RID in the domain; Linux uid.
    pub id: u32,
    pub admin: bool,
}

impl Account {
    pub fn sid(&self) -> String {
        format!("{DOMAIN_SID}-{}", self.id)
    }
    /// `CORP\alice`, as Sysmon writes the user.
    pub fn qualified(&self) -> String {
        format!("{DOMAIN}\\{}", self.name)
    }
}

/// Process ids of what runs from boot (their start is before any log we write, as in real
/// exports), so that children of services, WMI or cron have a parent that exists.
#[derive(Debug, Clone, Default)]
pub struct Boot {
    pub services: u32,
    pub lsass: u32,
    pub winlogon: u32,
    pub wmiprvse: u32,
    /// The svchost hosting the Task Scheduler service.
    pub schedule: u32,
    /// The svchost hosting DcomLaunch (parent of WinRM and COM servers).
    pub dcom: u32,
    pub sshd: u32,
    pub cron: u32,
    pub systemd: u32,
}

impl Boot {
    pub fn pids(&self) -> [u32; 9] {
        [
            self.services,
            self.dcom,
            self.lsass,
            self.winlogon,
            self.wmiprvse,
            self.schedule,
            self.sshd,
            self.cron,
            self.systemd,
        ]
    }
}

#[derive(Debug, Clone)]
pub struct Host {
    /// Short name as the labels name it (`WS01`, `web01`).
    pub name: String,
    /// The name the logs carry (`WS01.corp.local`; Linux logs the short name).
    pub fqdn: String,
    pub ip: String,
    pub platform: Platform,
    /// Who works here, most frequent first; `[0]` is the usual attack victim.
    pub users: Vec<Account>,
    pub server: bool,
    /// Sysmon ProcessGuid prefix (one per machine, as Sysmon derives it from the machine).
    pub guid_prefix: String,
    pub boot: Boot,
}

const fn acct(name: &'static str, id: u32, admin: bool) -> Account {
    Account { name, id, admin }
}

pub const IT_ADMIN: Account = acct("it_admin", 1110, true);
pub const SVC_BACKUP: Account = acct("svc_backup", 1120, false);
pub const SVC_SQL: Account = acct("svc_sql", 1121, false);

/// Every named account of the estate (Windows RIDs and Linux uids share the table).
pub const ACCOUNTS: [Account; 16] = [
    acct("alice", 1104, false),
    acct("bob", 1105, false),
    acct("carol", 1106, false),
    acct("dave", 1107, true),
    acct("erin", 1108, false),
    acct("frank", 1109, true),
    IT_ADMIN,
    SVC_BACKUP,
    SVC_SQL,
    acct("ops", 1000, true),
    acct("deploy", 1001, true),
    acct("dba", 1002, true),
    acct("dev", 1003, false),
    acct("backup", 1004, true),
    acct("root", 0, true),
    acct("www-data", 33, false),
];

/// The estate's account of that name.
pub fn account(name: &str) -> Option<Account> {
    ACCOUNTS
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .cloned()
}

/// The estate: Windows hosts first, then Linux, in a fixed order.
#[derive(Debug, Clone)]
pub struct World {
    pub hosts: Vec<Host>,
}

impl World {
    pub fn new(seed: u64) -> World {
        let win = |name: &str, ip: &str, users: Vec<Account>, server: bool| {
            (
                name.to_string(),
                ip.to_string(),
                users,
                server,
                Platform::Windows,
            )
        };
        let lin = |name: &str, ip: &str, users: Vec<Account>| {
            (
                name.to_string(),
                ip.to_string(),
                users,
                true,
                Platform::Linux,
            )
        };
        let specs = vec![
            win("WS01", "10.0.1.11", vec![ACCOUNTS[0].clone()], false),
            win("WS02", "10.0.1.12", vec![ACCOUNTS[1].clone()], false),
            win("WS03", "10.0.1.13", vec![ACCOUNTS[2].clone()], false),
            win("WS04", "10.0.1.14", vec![ACCOUNTS[3].clone()], false),
            win("WS05", "10.0.1.15", vec![ACCOUNTS[4].clone()], false),
            win("LAPTOP06", "10.0.1.16", vec![ACCOUNTS[5].clone()], false),
            win("FS01", "10.0.0.20", vec![IT_ADMIN, SVC_BACKUP], true),
            win("SQL01", "10.0.0.30", vec![IT_ADMIN, SVC_SQL], true),
            win("DC01", "10.0.0.10", vec![IT_ADMIN], true),
            lin(
                "web01",
                "10.0.2.10",
                vec![ACCOUNTS[10].clone(), ACCOUNTS[9].clone()],
            ),
            lin(
                "db01",
                "10.0.2.20",
                vec![ACCOUNTS[11].clone(), ACCOUNTS[9].clone()],
            ),
            lin("app01", "10.0.2.30", vec![ACCOUNTS[12].clone()]),
            lin("backup01", "10.0.2.40", vec![ACCOUNTS[13].clone()]),
            lin("bastion", "10.0.2.5", vec![ACCOUNTS[9].clone()]),
        ];
        let hosts = specs
            .into_iter()
            .map(|(name, ip, users, server, platform)| {
                let mut r = Rng::derive(seed, &["host", &name]);
                let fqdn = match platform {
                    Platform::Windows => format!("{name}.{DOMAIN_FQDN}"),
                    Platform::Linux => name.clone(),
                };
                let boot = match platform {
                    Platform::Windows => Boot {
                        services: win_pid(&mut r, 600, 800),
                        lsass: win_pid(&mut r, 800, 900),
                        winlogon: win_pid(&mut r, 500, 600),
                        wmiprvse: win_pid(&mut r, 3000, 5000),
                        schedule: win_pid(&mut r, 1200, 1800),
                        dcom: win_pid(&mut r, 900, 1100),
                        ..Boot::default()
                    },
                    Platform::Linux => Boot {
                        sshd: r.between(600, 900) as u32,
                        cron: r.between(400, 599) as u32,
                        systemd: 1,
                        ..Boot::default()
                    },
                };
                Host {
                    guid_prefix: r.hex(8),
                    name,
                    fqdn,
                    ip,
                    platform,
                    users,
                    server,
                    boot,
                }
            })
            .collect();
        World { hosts }
    }

    pub fn of(&self, p: Platform) -> impl Iterator<Item = &Host> {
        self.hosts.iter().filter(move |h| h.platform == p)
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

/// The address of an estate host by name (`FS01`, `fs01.corp.local`), for connections to it.
pub fn estate_ip(name: &str) -> Option<String> {
    let short = name.split('.').next().unwrap_or(name);
    World::new(0)
        .hosts
        .into_iter()
        .find(|h| h.name.eq_ignore_ascii_case(short))
        .map(|h| h.ip)
}

/// A Windows-looking process id in `lo..hi` (multiples of 4).
pub fn win_pid(r: &mut Rng, lo: u64, hi: u64) -> u32 {
    (r.between(lo / 4, hi / 4) * 4) as u32
}

/// A public-looking address for a domain name (stable per name): downloads and callbacks
/// must resolve to the same place in the DNS and the network records.
pub fn resolve(domain: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(domain.to_ascii_lowercase().as_bytes());
    address_in(&PROVIDER_BLOCKS, h)
}

/// An attacker's server for `key` (a story's id or name): rented hosting blocks that no
/// ordinary service of the estate resolves to, and never the documentation ranges the
/// project's sample logs use, so the model cannot learn the demo's address by heart.
pub fn attacker_ip(key: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(format!("attacker:{key}").as_bytes());
    address_in(&ATTACKER_BLOCKS, h)
}

/// Blocks of the large providers that ordinary software talks to (Microsoft, Google, Akamai,
/// Fastly, Cloudflare): a named service is reached at such an address.
const PROVIDER_BLOCKS: [&str; 8] = [
    "13.107.21",
    "20.42.65",
    "52.113.194",
    "142.250.74",
    "172.217.22",
    "23.50.54",
    "151.101.65",
    "104.18.32",
];

/// Rented hosting blocks, for attackers' servers only.
const ATTACKER_BLOCKS: [&str; 8] = [
    "45.137.21",
    "91.92.240",
    "185.196.8",
    "194.165.16",
    "5.42.92",
    "141.98.11",
    "77.91.124",
    "193.233.20",
];

/// The address `h` picks in `blocks`: a block, then a host in it (.2 to .251).
fn address_in(blocks: &[&str], h: u64) -> String {
    let block = blocks[(h % blocks.len() as u64) as usize];
    format!("{block}.{}", 2 + (h >> 8) % 250)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estate_is_stable() {
        let a = World::new(1);
        let b = World::new(1);
        assert_eq!(a.hosts.len(), b.hosts.len());
        assert_eq!(a.hosts[0].boot.lsass, b.hosts[0].boot.lsass);
        assert_eq!(a.of(Platform::Linux).count(), 5);
        assert_eq!(a.host("WS01").unwrap().fqdn, "WS01.corp.local");
        assert_eq!(resolve("Example.com"), resolve("example.com"));
        // Attackers' servers and ordinary services never share an address.
        let named: Vec<String> = (0..500).map(|i| resolve(&format!("svc{i}.com"))).collect();
        let evil: Vec<String> = (0..500).map(|i| attacker_ip(&i.to_string())).collect();
        assert!(named.iter().all(|ip| !evil.contains(ip)));
        assert!(
            evil.iter()
                .all(|ip| !ip.starts_with("198.51.100.") && !ip.starts_with("203.0.113."))
        );
        assert_eq!(a.hosts[0].boot.services % 4, 0);
    }
}
