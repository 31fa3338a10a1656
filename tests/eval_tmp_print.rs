use lookout::eval::*;
use lookout::{Cause, Risk};
fn t(id: &str, h: &str, c: Cause, r: Option<Risk>, te: &[&str]) -> Truth { Truth { session_id: id.into(), host: h.into(), cause: c, risk: r, techniques: te.iter().map(|s| s.to_string()).collect() } }
fn p(id: &str, c: Cause, r: Option<Risk>, te: &[&str], ms: f64) -> Prediction { Prediction { session_id: id.into(), cause: c, risk: r, techniques: te.iter().map(|s| s.to_string()).collect(), latency_ms: ms } }
#[test]
fn print() {
    use Cause::*;
    let truths = vec![t("s1","h1",Malicious,Some(Risk::Critical),&["T1003.001"]), t("s2","h1",Legitimate,Some(Risk::Low),&[]), t("s3","h2",Malicious,Some(Risk::High),&["T1059.001"]), t("s4","h2",Misconfiguration,Some(Risk::Medium),&[]), t("s5","h3",Legitimate,None,&[]), t("s6","h3",Legitimate,None,&[])];
    let rules = vec![p("s1",Malicious,Some(Risk::Critical),&["T1003.001"],0.0), p("s2",Legitimate,Some(Risk::Low),&[],0.0), p("s3",Malicious,Some(Risk::Low),&[],0.0), p("s4",Legitimate,Some(Risk::Low),&[],0.0), p("s5",Malicious,Some(Risk::Medium),&["T1059.001"],0.0), p("s6",Legitimate,Some(Risk::Low),&[],0.0)];
    let model = vec![p("s1",Malicious,Some(Risk::High),&["T1003"],100.0), p("s2",Legitimate,Some(Risk::Low),&[],200.0), p("s3",Legitimate,Some(Risk::High),&["T1059.001"],300.0), p("s4",Misconfiguration,Some(Risk::Medium),&[],400.0), p("s5",Legitimate,None,&[],500.0)];
    let mut o = EvalOptions::default();
    o.notes.insert("rules".into(), rules_note(Risk::Medium));
    o.splits.insert("model".into(), Split::KfoldByHost { k: 5, seed: 1 });
    let r = evaluate(&truths, &[("rules".into(), rules), ("model".into(), model)], &o);
    println!("{}", r.to_markdown());
    let r2 = evaluate(&truths, &[("rules".into(), vec![])], &o);
    println!("{}", compare(&r, &r2));
}
