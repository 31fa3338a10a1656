//! Augmentation without a model: the ways attackers vary the same procedure (renamed and
//! relocated binaries, flag spelling, order and case, quoting, paths, users, hosts, time,
//! how the command is launched). A variant is a seeded choice of these; the evaluator keeps it
//! only when it still parses and still fires its rule.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::atomics::Platform;
use super::rng::Rng;

/// The knobs of one candidate. `Variant::base()` is the procedure as written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Variant {
    pub round: u32,
    /// Names of the augmentations applied, for the report.
    pub ops: Vec<&'static str>,
    /// Each line of the command runs in its own executor process.
    pub split_lines: bool,
    /// A PowerShell executor is started with `-EncodedCommand`.
    pub encode: bool,
    /// What starts the executor.
    pub launch: Launch,
    /// A PowerShell executor gets its script with `-NoProfile -ExecutionPolicy Bypass
    /// -Command` rather than as a script block (`& {…}`).
    pub explicit: bool,
    /// The first system binary the command starts is a renamed copy in this folder.
    pub relocate: Option<String>,
    /// Which of the host's users acts, and which host (indexes into the candidates).
    pub user_pick: u64,
    pub host_pick: u64,
    /// Minutes added to the session's start.
    pub offset_minutes: i64,
    /// Text rewrites applied to the command before it runs.
    rewrites: Vec<Rewrite>,
}

/// Where the executor is started from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Launch {
    /// The desktop (explorer) or the ssh login shell.
    #[default]
    Session,
    /// A cmd.exe console (an interactive bash on Linux).
    Console,
    /// An operator's PowerShell, as Invoke-AtomicTest runs tests (bash on Linux).
    PowerShell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Rewrite {
    SwitchCase,
    LongFlags,
    ShortFlags,
    ExeSuffix,
    BinaryCase,
    FlagOrder,
    EnvPaths,
    Quoting,
    AbsoluteBinaries,
    ShmPaths,
}

impl Rewrite {
    fn name(self) -> &'static str {
        match self {
            Rewrite::SwitchCase => "switch-case",
            Rewrite::LongFlags => "long-flags",
            Rewrite::ShortFlags => "short-flags",
            Rewrite::ExeSuffix => "exe-suffix",
            Rewrite::BinaryCase => "binary-case",
            Rewrite::FlagOrder => "flag-order",
            Rewrite::EnvPaths => "env-paths",
            Rewrite::Quoting => "quoting",
            Rewrite::AbsoluteBinaries => "absolute-binaries",
            Rewrite::ShmPaths => "shm-paths",
        }
    }
}

const WIN_REWRITES: [Rewrite; 8] = [
    Rewrite::SwitchCase,
    Rewrite::LongFlags,
    Rewrite::ShortFlags,
    Rewrite::ExeSuffix,
    Rewrite::BinaryCase,
    Rewrite::FlagOrder,
    Rewrite::EnvPaths,
    Rewrite::Quoting,
];
const LINUX_REWRITES: [Rewrite; 5] = [
    Rewrite::LongFlags,
    Rewrite::FlagOrder,
    Rewrite::Quoting,
    Rewrite::AbsoluteBinaries,
    Rewrite::ShmPaths,
];

const WIN_DROP_DIRS: [&str; 4] = [
    r"C:\Users\Public",
    r"C:\ProgramData",
    r"C:\Windows\Temp",
    r"C:\PerfLogs",
];
const LINUX_DROP_DIRS: [&str; 3] = ["/tmp/.cache", "/dev/shm", "/var/tmp"];

impl Variant {
    /// The procedure as written, on the usual host and user.
    pub fn base() -> Variant {
        Variant::default()
    }

    /// A seeded variant for retry round `round` (>= 1) or extra copy: one to three
    /// augmentations plus a different host, user and time.
    pub fn random(r: &mut Rng, round: u32, platform: Platform) -> Variant {
        let mut v = Variant {
            round,
            user_pick: r.next_u64(),
            host_pick: r.next_u64(),
            offset_minutes: r.between(0, 240) as i64,
            ..Variant::default()
        };
        v.ops.push("host-user-time");
        let pool: &[Rewrite] = match platform {
            Platform::Windows => &WIN_REWRITES,
            Platform::Linux => &LINUX_REWRITES,
        };
        let n = r.between(1, 3);
        for _ in 0..n {
            let w = *r.pick(pool);
            if !v.rewrites.contains(&w) {
                v.rewrites.push(w);
                v.ops.push(w.name());
            }
        }
        if r.chance(30) {
            v.split_lines = true;
            v.ops.push("split-lines");
        }
        if r.chance(30) {
            v.launch = *r.pick(&[Launch::Console, Launch::PowerShell]);
            v.ops.push("console-launch");
        }
        if platform == Platform::Windows && r.chance(30) {
            v.explicit = true;
            v.ops.push("explicit-command");
        }
        if platform == Platform::Windows && r.chance(25) {
            v.encode = true;
            v.ops.push("encoded-command");
        }
        if r.chance(20) {
            let dir = match platform {
                Platform::Windows => *r.pick(&WIN_DROP_DIRS),
                Platform::Linux => *r.pick(&LINUX_DROP_DIRS),
            };
            v.relocate = Some(dir.to_string());
            v.ops.push("relocated-binary");
        }
        v
    }

    /// The variant for retry round `round` (>= 1): the first rounds try other ways an
    /// operator runs the same procedure (from a PowerShell console, line by line, with an
    /// explicit `-Command`; then from a cmd console, encoded, with long flags and upper-case
    /// switches), later rounds random augmentations; each on another host, user and time.
    pub fn for_round(r: &mut Rng, round: u32, platform: Platform) -> Variant {
        let mut v = match round {
            1 | 2 => Variant {
                round,
                user_pick: r.next_u64(),
                host_pick: r.next_u64(),
                offset_minutes: r.between(0, 240) as i64,
                ops: vec!["host-user-time"],
                ..Variant::default()
            },
            _ => return Variant::random(r, round, platform),
        };
        if round == 1 {
            v.launch = Launch::PowerShell;
            v.split_lines = true;
            v.explicit = platform == Platform::Windows;
            v.ops.extend(["console-launch", "split-lines"]);
            if v.explicit {
                v.ops.push("explicit-command");
            }
        } else {
            v.launch = Launch::Console;
            v.encode = platform == Platform::Windows;
            let rewrites: &[Rewrite] = match platform {
                Platform::Windows => &[Rewrite::LongFlags, Rewrite::SwitchCase],
                Platform::Linux => &[Rewrite::AbsoluteBinaries, Rewrite::LongFlags],
            };
            v.rewrites = rewrites.to_vec();
            v.ops.push("console-launch");
            if v.encode {
                v.ops.push("encoded-command");
            }
            v.ops.extend(rewrites.iter().map(|w| w.name()));
        }
        v
    }

    /// The command text with this variant's rewrites applied (`ps`: PowerShell syntax).
    pub fn rewrite(&self, command: &str, ps: bool, r: &mut Rng) -> String {
        let mut s = command.to_string();
        for w in &self.rewrites {
            s = apply(*w, &s, ps, r);
        }
        s
    }
}

static SWITCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|\s)/([A-Za-z]{1,12})\b").expect("static regex"));
static BINARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^(\s*)(reg|schtasks|net|sc|certutil|bitsadmin|rundll32|regsvr32|wmic|whoami|vssadmin|wevtutil|netsh|mshta|cmd|powershell|tasklist|systeminfo|ipconfig|nltest|icacls|attrib)(\.exe)?\b")
        .expect("static regex")
});
static LINUX_BIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)(^|;\s*|&&\s*|\|\s*|sudo\s+)(curl|wget|chmod|cat|cp|mv|rm|base64|python3|nc|useradd|usermod|crontab|systemctl|find|grep|tar|ssh|id|whoami|uname|ps)\b")
        .expect("static regex")
});

/// PowerShell and tool flags: (short, long).
const FLAG_PAIRS: &[(&str, &str)] = &[
    ("-enc", "-EncodedCommand"),
    ("-nop", "-NoProfile"),
    ("-ep", "-ExecutionPolicy"),
    ("-w", "-WindowStyle"),
    ("-noni", "-NonInteractive"),
    ("-c", "-Command"),
];
const LINUX_FLAG_PAIRS: &[(&str, &str)] = &[
    ("-o", "--output"),
    ("-s", "--silent"),
    ("-k", "--insecure"),
    ("-O", "--remote-name"),
    ("-q", "--quiet"),
];

fn apply(w: Rewrite, s: &str, ps: bool, r: &mut Rng) -> String {
    match w {
        Rewrite::SwitchCase => SWITCH
            .replace_all(s, |c: &regex::Captures<'_>| {
                let flag = &c[2];
                let swapped = if flag.chars().all(|ch| ch.is_ascii_lowercase()) {
                    flag.to_ascii_uppercase()
                } else {
                    flag.to_ascii_lowercase()
                };
                format!("{}/{swapped}", &c[1])
            })
            .into_owned(),
        Rewrite::LongFlags | Rewrite::ShortFlags => {
            let pairs = if ps || s.to_ascii_lowercase().contains("powershell") {
                FLAG_PAIRS
            } else {
                LINUX_FLAG_PAIRS
            };
            let mut out = s.to_string();
            for (short, long) in pairs {
                let (from, to) = if w == Rewrite::LongFlags {
                    (short, long)
                } else {
                    (long, short)
                };
                out = replace_word(&out, from, to);
            }
            out
        }
        Rewrite::ExeSuffix => BINARY
            .replace_all(s, |c: &regex::Captures<'_>| {
                let ext = if c.get(3).is_some() { "" } else { ".exe" };
                format!("{}{}{ext}", &c[1], &c[2])
            })
            .into_owned(),
        Rewrite::BinaryCase => BINARY
            .replace_all(s, |c: &regex::Captures<'_>| {
                format!(
                    "{}{}{}",
                    &c[1],
                    c[2].to_ascii_uppercase(),
                    c.get(3).map_or("", |m| m.as_str()).to_ascii_uppercase()
                )
            })
            .into_owned(),
        Rewrite::FlagOrder => s
            .lines()
            .map(|l| reorder_flags(l, r))
            .collect::<Vec<_>>()
            .join("\n"),
        Rewrite::EnvPaths => s
            .replace("%TEMP%", r"%USERPROFILE%\AppData\Local\Temp")
            .replace("%temp%", r"%USERPROFILE%\AppData\Local\Temp")
            .replace("$env:TEMP", r"$env:LOCALAPPDATA\Temp")
            .replace("$env:temp", r"$env:LOCALAPPDATA\Temp"),
        Rewrite::Quoting => s
            .lines()
            .map(|l| {
                let t = l.trim_start();
                let indent = &l[..l.len() - t.len()];
                match t.split_once(' ') {
                    Some((first, rest))
                        if !first.contains(['"', '\'', '$', '(']) && !first.is_empty() && !ps =>
                    {
                        format!("{indent}\"{first}\" {rest}")
                    }
                    _ => l.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Rewrite::AbsoluteBinaries => LINUX_BIN
            .replace_all(s, |c: &regex::Captures<'_>| {
                let dir = if matches!(&c[2], "useradd" | "usermod") {
                    "/usr/sbin"
                } else {
                    "/usr/bin"
                };
                format!("{}{dir}/{}", &c[1], &c[2])
            })
            .into_owned(),
        Rewrite::ShmPaths => s.replace("/tmp/", "/dev/shm/"),
    }
}

/// Replaces `from` as a whole word (case-insensitively), keeping the rest.
fn replace_word(s: &str, from: &str, to: &str) -> String {
    let pattern = format!(r"(?i)(^|\s){}(\s|$)", regex::escape(from));
    match Regex::new(&pattern) {
        Ok(re) => re
            .replace_all(s, format!("${{1}}{to}${{2}}").as_str())
            .into_owned(),
        Err(_) => s.to_string(),
    }
}

/// Shuffles `/flag value` and `-f value` pairs after the first two words of a line (tools
/// accept their flags in any order).
fn reorder_flags(line: &str, r: &mut Rng) -> String {
    let words = super::wintools::words(line, false);
    if words.len() < 6 || line.contains(['|', '&', ';', '>']) {
        return line.to_string();
    }
    let head = &words[..2];
    let mut groups: Vec<Vec<String>> = Vec::new();
    for w in &words[2..] {
        if w.starts_with(['/', '-']) || groups.is_empty() {
            groups.push(vec![w.clone()]);
        } else if let Some(g) = groups.last_mut() {
            g.push(w.clone());
        }
    }
    // Only when every group is a flag (with at most one value): positional arguments keep
    // their places.
    if groups
        .iter()
        .any(|g| !g[0].starts_with(['/', '-']) || g.len() > 2)
    {
        return line.to_string();
    }
    for i in (1..groups.len()).rev() {
        let j = r.below(i as u64 + 1) as usize;
        groups.swap(i, j);
    }
    let indent = &line[..line.len() - line.trim_start().len()];
    let body: Vec<String> = head
        .iter()
        .cloned()
        .chain(groups.into_iter().flatten())
        .collect();
    format!("{indent}{}", body.join(" "))
}

/// A new name for a relocated copy of `original` (`rundll32.exe` -> `rundll32_.exe`-like
/// names attackers use to dodge name-based detections).
pub fn renamed(original: &str, r: &mut Rng) -> String {
    let (stem, ext) = original.rsplit_once('.').unwrap_or((original, ""));
    let names = [
        format!("{stem}_"),
        format!("{stem}64"),
        "svchost".to_string(),
        r.hex(6),
    ];
    let n = r.pick(&names).clone();
    if ext.is_empty() {
        n
    } else {
        format!("{n}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_keep_meaning() {
        let mut r = Rng::new(3);
        assert_eq!(
            apply(Rewrite::SwitchCase, "schtasks /create /tn x", false, &mut r),
            "schtasks /CREATE /TN x"
        );
        assert_eq!(
            apply(
                Rewrite::LongFlags,
                "powershell -nop -enc AAA",
                false,
                &mut r
            ),
            "powershell -NoProfile -EncodedCommand AAA"
        );
        assert_eq!(
            apply(Rewrite::ExeSuffix, "reg add HKCU\\x", false, &mut r),
            "reg.exe add HKCU\\x"
        );
        assert_eq!(
            apply(
                Rewrite::AbsoluteBinaries,
                "sudo useradd x; curl -o a b",
                false,
                &mut r
            ),
            "sudo /usr/sbin/useradd x; /usr/bin/curl -o a b"
        );
        let line = "reg add HKCU\\x /v a /t REG_SZ /d b /f";
        let out = apply(Rewrite::FlagOrder, line, false, &mut r);
        assert!(out.starts_with("reg add HKCU\\x"));
        let mut a: Vec<&str> = out.split(' ').collect();
        let mut b: Vec<&str> = line.split(' ').collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let v = Variant::random(&mut Rng::new(9), 1, Platform::Windows);
        assert!(!v.ops.is_empty());
    }
}
