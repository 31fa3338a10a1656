//! Logsource routing: which events a rule's `logsource` (product/category/service) applies to.
//!
//! Sigma leaves the meaning of a logsource to each backend's "pipeline". This module is ours:
//! it turns a rule's logsource into a [`Route`] (checked once per event and rule group) and an
//! event into [`Facts`] (computed once per event), so that most rules are skipped per event
//! without looking at their detection.

use super::refusal::RefusalKind;
use crate::event::{Event, Format};

/// The kind of record an event is, derived once per event from its format and channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    Sysmon,
    Security,
    System,
    Application,
    /// `Microsoft-Windows-PowerShell/Operational` (4103/4104).
    PowerShell,
    /// The classic `Windows PowerShell` channel (400/600/800).
    PowerShellClassic,
    /// The `Microsoft-Windows-Kernel-File` ETW provider (file access and renames).
    KernelFile,
    /// Any other Windows channel (compared by name when a rule names a service).
    OtherWindows,
    /// Sysmon for Linux (`Linux-Sysmon/Operational`).
    LinuxSysmon,
    AuthLog,
    Syslog,
    /// Linux audit events (`audit.log`), the records of one event merged.
    Auditd,
    WebAccess,
    WebError,
    Zeek,
    Suricata,
    Flow,
    Other,
}

impl Source {
    fn is_windows(self) -> bool {
        matches!(
            self,
            Source::Sysmon
                | Source::Security
                | Source::System
                | Source::Application
                | Source::PowerShell
                | Source::PowerShellClassic
                | Source::KernelFile
                | Source::OtherWindows
        )
    }
}

/// What routing needs to know about one event; borrowed, computed without allocation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub source: Source,
    pub channel: Option<&'a str>,
    /// Windows event id, Zeek log path, EVE event type, syslog program (as the parser set it).
    pub event_id: Option<&'a str>,
    /// Numeric Windows event id, when `event_id` is a number.
    pub eid: Option<u32>,
    /// Syslog program (`sshd`, `sudo`, `CRON`) for line formats.
    pub program: Option<&'a str>,
}

const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const PS_CHANNEL: &str = "Microsoft-Windows-PowerShell/Operational";
/// PowerShell 7's channel; pySigma's `powershell` service names both.
const PS_CORE_CHANNEL: &str = "PowerShellCore/Operational";
const KERNEL_FILE: &str = "Microsoft-Windows-Kernel-File";
const PS_CLASSIC_CHANNEL: &str = "Windows PowerShell";
const LINUX_SYSMON_CHANNEL: &str = "Linux-Sysmon/Operational";

impl<'a> Facts<'a> {
    pub fn of(ev: &'a Event) -> Facts<'a> {
        let channel = ev
            .channel
            .as_deref()
            .or_else(|| ev.fields.get("Channel").map(String::as_str));
        let event_id = ev
            .event_id
            .as_deref()
            .or_else(|| ev.fields.get("EventID").map(String::as_str));
        let eid = event_id.and_then(|s| s.trim().parse::<u32>().ok());
        let program = match ev.format {
            // The auth.log parser's event ids name the program and the kind of line
            // (`sshd:failed_password`): the program is the part before the `:`.
            Format::AuthLog | Format::Syslog => event_id
                .map(|e| e.split(':').next().unwrap_or(e))
                .or_else(|| {
                    ["program", "app", "ident", "process"]
                        .iter()
                        .find_map(|k| ev.fields.get(*k).map(String::as_str))
                }),
            _ => None,
        };
        let source = classify(ev, channel);
        Facts {
            source,
            channel,
            event_id,
            eid,
            program,
        }
    }
}

fn classify(ev: &Event, channel: Option<&str>) -> Source {
    let is = |name: &str| channel.is_some_and(|c| c.eq_ignore_ascii_case(name));
    match ev.format {
        Format::AuthLog => return Source::AuthLog,
        Format::Syslog => return Source::Syslog,
        Format::Auditd => return Source::Auditd,
        Format::WebAccess => return Source::WebAccess,
        Format::ApacheError => return Source::WebError,
        Format::ZeekJson | Format::ZeekTsv => return Source::Zeek,
        Format::SuricataEve => return Source::Suricata,
        Format::Binetflow | Format::Slips => return Source::Flow,
        _ => {}
    }
    let sysmon_provider = ev
        .provider
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("Microsoft-Windows-Sysmon"));
    if is(SYSMON_CHANNEL) || (sysmon_provider && !is(LINUX_SYSMON_CHANNEL)) {
        return Source::Sysmon;
    }
    if is(LINUX_SYSMON_CHANNEL) {
        return Source::LinuxSysmon;
    }
    if is("Security") {
        return Source::Security;
    }
    if is("System") {
        return Source::System;
    }
    if is("Application") {
        return Source::Application;
    }
    if is(PS_CHANNEL) || is(PS_CORE_CHANNEL) {
        return Source::PowerShell;
    }
    if is(PS_CLASSIC_CHANNEL) {
        return Source::PowerShellClassic;
    }
    let kernel_file = ev
        .provider
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case(KERNEL_FILE))
        || channel.is_some_and(|c| {
            c.get(..KERNEL_FILE.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(KERNEL_FILE))
        });
    if kernel_file {
        return Source::KernelFile;
    }
    // Windows records without a channel we know: EVTX and Windows JSON are Windows by
    // construction; other JSON counts when it carries a Windows-looking channel.
    let windowsish = matches!(ev.format, Format::Evtx | Format::WinJson)
        || channel.is_some_and(|c| c.starts_with("Microsoft-Windows-"));
    if windowsish {
        Source::OtherWindows
    } else {
        Source::Other
    }
}

/// A rule's logsource compiled into checks on [`Facts`]; every present part must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Route {
    product: Option<Product>,
    category: Option<Vec<Alt>>,
    service: Option<Vec<Alt>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Product {
    Windows,
    Linux,
    Zeek,
    Suricata,
    /// Web servers (apache, nginx, iis, …): access and error logs.
    Web,
}

/// One way an event can satisfy a category or service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Alt {
    /// A source, optionally restricted to some numeric event ids.
    Src(Source, &'static [u32]),
    /// A Windows channel of our table, compared ignoring case (as pySigma's `Channel`
    /// condition on a table whose columns collate without case, like Zircolite's).
    ChannelIs(&'static str),
    /// A Windows channel not in our table, compared ignoring case and punctuation.
    Channel(String),
    /// A syslog program (`sshd`, `sudo`), ignoring case.
    Program(&'static [&'static str]),
    /// A Zeek log path or EVE event type (`conn`, `alert`), compared with the event id.
    Kind(Source, String),
}

impl Route {
    /// Compiles a logsource; `Err` names the part lookout cannot route and its value (the
    /// rule is then reported as refused rather than silently matching nothing or everything).
    pub fn new(
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> Result<Route, (RefusalKind, String)> {
        let norm = |s: Option<&str>| {
            s.map(|v| v.trim().to_ascii_lowercase())
                .filter(|v| !v.is_empty())
        };
        let (p, c, s) = (norm(product), norm(category), norm(service));
        let product = match p.as_deref() {
            None => None,
            Some("windows") => Some(Product::Windows),
            Some("linux") => Some(Product::Linux),
            Some("zeek") => Some(Product::Zeek),
            Some("suricata") => Some(Product::Suricata),
            Some("apache" | "nginx" | "iis" | "tomcat" | "apache2" | "webserver") => {
                Some(Product::Web)
            }
            Some(other) => return Err((RefusalKind::Product, other.to_string())),
        };
        let category = match c.as_deref() {
            None => None,
            Some(cat) => Some(
                category_alts(product, cat)
                    .ok_or_else(|| (RefusalKind::Category, cat.to_string()))?,
            ),
        };
        let service = match s.as_deref() {
            None => None,
            Some(svc) => Some(
                service_alts(product, svc)
                    .ok_or_else(|| (RefusalKind::Service, svc.to_string()))?,
            ),
        };
        Ok(Route {
            product,
            category,
            service,
        })
    }

    pub fn accepts(&self, f: &Facts<'_>) -> bool {
        if let Some(p) = self.product {
            let ok = match p {
                Product::Windows => f.source.is_windows(),
                Product::Linux => {
                    matches!(
                        f.source,
                        Source::AuthLog | Source::Syslog | Source::LinuxSysmon | Source::Auditd
                    )
                }
                Product::Zeek => f.source == Source::Zeek,
                Product::Suricata => f.source == Source::Suricata,
                Product::Web => matches!(f.source, Source::WebAccess | Source::WebError),
            };
            if !ok {
                return false;
            }
        }
        let any = |alts: &Option<Vec<Alt>>| {
            alts.as_ref()
                .is_none_or(|alts| alts.iter().any(|a| alt_accepts(a, f)))
        };
        any(&self.category) && any(&self.service)
    }
}

fn alt_accepts(alt: &Alt, f: &Facts<'_>) -> bool {
    match alt {
        Alt::Src(src, ids) => {
            *src == f.source && (ids.is_empty() || f.eid.is_some_and(|e| ids.contains(&e)))
        }
        Alt::ChannelIs(wanted) => {
            f.source.is_windows() && f.channel.is_some_and(|c| c.eq_ignore_ascii_case(wanted))
        }
        Alt::Channel(wanted) => {
            f.source.is_windows() && f.channel.is_some_and(|c| loose_contains(c, wanted))
        }
        Alt::Program(names) => {
            matches!(f.source, Source::AuthLog | Source::Syslog)
                && f.program.is_some_and(|p| {
                    // `sshd(pam_unix)[42]` is sshd: compare the name before any `(` or `[`.
                    let p = p.trim();
                    let name = p.split(['(', '[']).next().unwrap_or(p);
                    names.iter().any(|n| name.eq_ignore_ascii_case(n))
                })
        }
        Alt::Kind(src, kind) => {
            *src == f.source && f.event_id.is_some_and(|k| k.eq_ignore_ascii_case(kind))
        }
    }
}

/// True when `hay`, with non-alphanumerics dropped and lower-cased, contains `needle`
/// (already in that form). Used only for Windows channels outside our table; naive search
/// without allocation, channel names are short.
fn loose_contains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return false;
    }
    (0..h.len()).any(|start| {
        let mut rest = h[start..]
            .iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(u8::to_ascii_lowercase);
        h[start].is_ascii_alphanumeric() && n.iter().all(|&want| rest.next() == Some(want))
    })
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

use Source as S;

fn category_alts(product: Option<Product>, cat: &str) -> Option<Vec<Alt>> {
    let sysmon = |ids: &'static [u32]| Alt::Src(S::Sysmon, ids);
    let lsysmon = |ids: &'static [u32]| Alt::Src(S::LinuxSysmon, ids);
    let linux = product == Some(Product::Linux);
    let windows = !linux;
    let alts = match cat {
        // 4688 carries the same facts as Sysmon 1 under other field names; fields.rs maps them.
        // On Linux, audit's merged execve events carry them too (image, command line, ppid).
        "process_creation" if linux => {
            vec![lsysmon(&[1]), Alt::Kind(S::Auditd, "EXECVE".into())]
        }
        "process_creation" => vec![sysmon(&[1]), Alt::Src(S::Security, &[4688])],
        "network_connection" if linux => vec![lsysmon(&[3])],
        "network_connection" => vec![sysmon(&[3])],
        "file_event" | "file_create" if linux => vec![lsysmon(&[11])],
        "file_delete" if linux => vec![lsysmon(&[23])],
        "process_termination" if linux => vec![lsysmon(&[5])],
        "process_termination" => vec![sysmon(&[5])],
        "file_change" if windows => vec![sysmon(&[2])],
        "sysmon_status" => vec![sysmon(&[4, 16])],
        "driver_load" if windows => vec![sysmon(&[6])],
        "image_load" if windows => vec![sysmon(&[7])],
        "create_remote_thread" if windows => vec![sysmon(&[8])],
        "raw_access_thread" if windows => vec![sysmon(&[9])],
        "process_access" if windows => vec![sysmon(&[10])],
        "file_event" if windows => vec![sysmon(&[11])],
        "registry_add" | "registry_delete" if windows => vec![sysmon(&[12])],
        "registry_set" if windows => vec![sysmon(&[13])],
        "registry_rename" if windows => vec![sysmon(&[14])],
        "registry_event" if windows => vec![sysmon(&[12, 13, 14])],
        "create_stream_hash" if windows => vec![sysmon(&[15])],
        "pipe_created" if windows => vec![sysmon(&[17, 18])],
        "wmi_event" if windows => vec![sysmon(&[19, 20, 21])],
        "dns_query" if windows => vec![sysmon(&[22])],
        "file_delete" if windows => vec![sysmon(&[23, 26])],
        // pySigma's sysmon pipeline names 26 separately; SigmaHQ folds it into file_delete.
        "file_delete_detected" if windows => vec![sysmon(&[26])],
        // No Sysmon event records a read. SigmaHQ writes these rules for the Kernel-File ETW
        // provider (12 `Create`, whose FileName is the path opened); Security 4663 ("an
        // attempt was made to access an object", with object access auditing and a SACL on
        // the files) carries the same fact as ObjectName/ProcessName, which fields.rs maps
        // onto FileName/Image when its ObjectType is File.
        "file_access" if windows => vec![
            Alt::Src(S::KernelFile, &[12]),
            Alt::Src(S::Security, &[4663]),
        ],
        // Renames: only Kernel-File records them (19 `Rename`, 27 `RenamePath`); Sysmon and
        // Security do not. Rules read SourceFilename/TargetFilename, which collectors that
        // resolve the rename (as SigmaHQ's rule assumes) add to the record.
        "file_rename" if windows => vec![Alt::Src(S::KernelFile, &[19, 27])],
        "clipboard_capture" if windows => vec![sysmon(&[24])],
        "process_tampering" if windows => vec![sysmon(&[25])],
        "file_block_executable" if windows => vec![sysmon(&[27])],
        "file_block_shredding" if windows => vec![sysmon(&[28])],
        "file_executable_detected" if windows => vec![sysmon(&[29])],
        "sysmon_error" if windows => vec![sysmon(&[255])],
        "ps_script" if windows => vec![Alt::Src(S::PowerShell, &[4104])],
        "ps_module" if windows => vec![Alt::Src(S::PowerShell, &[4103])],
        "ps_classic_start" if windows => vec![Alt::Src(S::PowerShellClassic, &[400])],
        "ps_classic_provider_start" if windows => vec![Alt::Src(S::PowerShellClassic, &[600])],
        "ps_classic_script" if windows => vec![Alt::Src(S::PowerShellClassic, &[800])],
        "webserver" | "proxy" => vec![Alt::Src(S::WebAccess, &[])],
        "firewall" => vec![Alt::Kind(S::Zeek, "conn".into()), Alt::Src(S::Flow, &[])],
        "dns" => vec![Alt::Kind(S::Zeek, "dns".into())],
        _ => return None,
    };
    Some(alts)
}

fn service_alts(product: Option<Product>, svc: &str) -> Option<Vec<Alt>> {
    let src = |s: Source| vec![Alt::Src(s, &[])];
    let alts = match product {
        Some(Product::Linux) => match svc {
            "auth" => src(S::AuthLog),
            "syslog" => vec![Alt::Src(S::Syslog, &[]), Alt::Src(S::AuthLog, &[])],
            "sshd" => vec![Alt::Program(&["sshd"])],
            "sudo" => vec![Alt::Program(&["sudo"])],
            "su" => vec![Alt::Program(&["su"])],
            "cron" => vec![Alt::Program(&["cron", "crond", "crontab", "anacron"])],
            "useradd" | "groupadd" | "usermod" => {
                vec![Alt::Program(&[
                    "useradd", "groupadd", "usermod", "userdel", "passwd",
                ])]
            }
            "sysmon" => src(S::LinuxSysmon),
            "auditd" => src(S::Auditd),
            // clamav, vsftpd, …: no parser produces those records.
            _ => return None,
        },
        Some(Product::Zeek) => vec![Alt::Kind(S::Zeek, svc.to_string())],
        Some(Product::Suricata) => vec![Alt::Kind(S::Suricata, svc.to_string())],
        Some(Product::Web) => match svc {
            "access" => src(S::WebAccess),
            "error" => src(S::WebError),
            _ => return None,
        },
        // Windows or no product: Windows services are event channels.
        _ => match svc {
            "security" => src(S::Security),
            "system" => src(S::System),
            "application" => src(S::Application),
            "sysmon" => src(S::Sysmon),
            "powershell" => src(S::PowerShell),
            "powershell-classic" => src(S::PowerShellClassic),
            other => {
                let alts: Vec<Alt> = match windows_channels(other) {
                    Some(channels) => channels.iter().map(|c| Alt::ChannelIs(c)).collect(),
                    // A service outside the table: its name is usually the channel's
                    // distinctive part (`bits-client` in `Microsoft-Windows-Bits-Client/…`).
                    None => vec![Alt::Channel(squash(other))],
                };
                if alts
                    .iter()
                    .any(|a| matches!(a, Alt::Channel(c) if c.is_empty()))
                {
                    return None;
                }
                alts
            }
        },
    };
    Some(alts)
}

/// The channels of each Windows service, as pySigma's Windows pipelines name them
/// (`sigma.pipelines.common.windows_logsource_mapping`, the reference Zircolite and sigma-cli
/// use), plus the services SigmaHQ rules use that the table lacks (`ldap`,
/// `iis-configuration`, `smbserver-connectivity`) and two older spellings.
fn windows_channels(service: &str) -> Option<&'static [&'static str]> {
    Some(match service {
        "taskscheduler" => &["Microsoft-Windows-TaskScheduler/Operational"],
        "wmi" => &["Microsoft-Windows-WMI-Activity/Operational"],
        "dns-server" => &["DNS Server"],
        "dns-server-audit" => &["Microsoft-Windows-DNS-Server/Audit"],
        "dns-server-analytic" => &["Microsoft-Windows-DNS-Server/Analytical"],
        "driver-framework" => &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
        "ntlm" => &["Microsoft-Windows-NTLM/Operational"],
        "dhcp" => &["Microsoft-Windows-DHCP-Server/Operational"],
        "msexchange-management" => &["MSExchange Management"],
        "applocker" => &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
        "printservice-admin" => &["Microsoft-Windows-PrintService/Admin"],
        "printservice-operational" => &["Microsoft-Windows-PrintService/Operational"],
        "codeintegrity-operational" => &["Microsoft-Windows-CodeIntegrity/Operational"],
        "smbclient-security" => &["Microsoft-Windows-SmbClient/Security"],
        "firewall-as" => &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
        "bits-client" => &["Microsoft-Windows-Bits-Client/Operational"],
        "windefend" => &["Microsoft-Windows-Windows Defender/Operational"],
        "terminalservices-localsessionmanager" => {
            &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"]
        }
        "microsoft-servicebus-client" => &["Microsoft-ServiceBus-Client"],
        "ldap_debug" | "ldap" => &["Microsoft-Windows-LDAP-Client/Debug"],
        "security-mitigations" => &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
        "diagnosis-scripted" => &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
        "shell-core" => &["Microsoft-Windows-Shell-Core/Operational"],
        "openssh" => &["OpenSSH/Operational"],
        "bitlocker" => &["Microsoft-Windows-BitLocker/BitLocker Management"],
        "vhdmp" => &["Microsoft-Windows-VHDMP/Operational"],
        "appxdeployment-server" => &["Microsoft-Windows-AppXDeploymentServer/Operational"],
        "lsa-server" => &["Microsoft-Windows-LSA/Operational"],
        "appxpackaging-om" => &["Microsoft-Windows-AppxPackaging/Operational"],
        "dns-client" => &["Microsoft-Windows-DNS Client Events/Operational"],
        "appmodel-runtime" => &["Microsoft-Windows-AppModel-Runtime/Admin"],
        "capi2" => &["Microsoft-Windows-CAPI2/Operational"],
        "certificateservicesclient-lifecycle-system" => {
            &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"]
        }
        "iis-configuration" => &["Microsoft-IIS-Configuration/Operational"],
        "smbserver-connectivity" => &["Microsoft-Windows-SMBServer/Connectivity"],
        "terminalservices-remoteconnectionmanager" | "rdp" => {
            &["Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"]
        }
        _ => return None,
    })
}
