//! Unit tests of one audit record: header, pairs, hex.

use super::*;

#[test]
fn headers_with_and_without_node() {
    let h = header("node=web01 type=SYSCALL msg=audit(1700000000.123:456): arch=c000003e").unwrap();
    assert_eq!(
        (h.node, h.kind, h.serial),
        (Some("web01"), "SYSCALL", "456")
    );
    assert_eq!(h.time.unwrap().timestamp_millis(), 1_700_000_000_123);
    assert_eq!(h.body, " arch=c000003e");
    let h = header("type=EOE msg=audit(1700000000.123:456): ").unwrap();
    assert_eq!((h.node, h.kind, h.body), (None, "EOE", " "));
    let h = header("type=SYSCALL msg=audit(1.5:9): a=1\x1dARCH=x86_64").unwrap();
    assert_eq!(h.enriched, Some("ARCH=x86_64"));
    for bad in [
        "",
        "type=SYSCALL",
        "type=SYSCALL msg=audit(1700000000.1",
        "type=SYSCALL msg=audit(1700000000.1): x",
        "node=h",
        "Mar  3 02:11:05 web01 sshd[1]: x",
    ] {
        assert!(header(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn pairs_keep_quotes_and_survive_junk() {
    let p = pairs(r#"a=1 b="x y" junk c='q r' d= e="open"#);
    let got: Vec<(&str, &str, bool)> = p.iter().map(|p| (p.key, p.value, p.quoted)).collect();
    assert_eq!(
        got,
        vec![
            ("a", "1", false),
            ("b", "x y", true),
            ("c", "q r", true),
            ("d", "", false),
            ("e", "open", true)
        ]
    );
    assert!(pairs("=== == =").is_empty());
}

#[test]
fn hex_only_when_it_is_hex() {
    assert_eq!(unhex("2F746D70").as_deref(), Some("/tmp"));
    assert_eq!(unhex("6C73002D6C61").as_deref(), Some("ls -la"));
    assert_eq!(unhex("2f746d70").as_deref(), Some("/tmp"));
    for bad in ["", "ABC", "ZZ", "2F74 6D70", "é"] {
        assert_eq!(unhex(bad), None, "{bad:?}");
    }
    // Invalid UTF-8 is replaced, not fatal.
    assert_eq!(unhex("FF").as_deref(), Some("\u{fffd}"));
}

#[test]
fn quoted_strings_are_never_unhexed() {
    let ev = parse(
        r#"type=EXECVE msg=audit(1.0:1): argc=3 a0="cafe" a1=63616665 a2="ls""#,
        "a.log",
        1,
    )
    .unwrap();
    assert_eq!(ev.fields["a0"], "cafe");
    assert_eq!(ev.fields["a1"], "cafe");
    assert_eq!(ev.command_line.as_deref(), Some("cafe cafe ls"));
    // A SYSCALL's registers are hex numbers, not strings.
    let ev = parse(
        "type=SYSCALL msg=audit(1.0:2): arch=c000003e syscall=135 a0=40000 auid=4294967295 uid=0",
        "a.log",
        2,
    )
    .unwrap();
    assert_eq!(ev.fields["a0"], "40000");
    assert_eq!(ev.fields["SYSCALL"], "personality");
    assert_eq!(ev.user.as_deref(), Some("0"));
}
