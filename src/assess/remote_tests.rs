//! The client against a scripted HTTP server on 127.0.0.1 (what a real server's failures look
//! like on the wire: 5xx, 429, 4xx, refused connections, slow answers); the real llama-server
//! is exercised by tests/inference.rs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use super::*;
use crate::assess::assessor::{AssessOptions, Assessor, RULES_ONLY};
use crate::assess::schema::verdict_schema;
use crate::assess::testutil::{benign_answer, catalog, detection, input};
use crate::event::Risk;

/// One scripted answer: status, body, seconds to wait before answering.
#[derive(Clone)]
struct Answer(u16, String, f64);

/// A server answering its script in order, one answer per connection, recording each request
/// (`METHOD PATH` and body) and the most requests it had open at once.
struct Fake {
    url: String,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    max_open: Arc<AtomicUsize>,
}

fn fake(script: Vec<Answer>) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (open, max_open) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (reqs, maxo) = (requests.clone(), max_open.clone());
    thread::spawn(move || {
        for answer in script {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let (reqs, open, maxo) = (reqs.clone(), open.clone(), maxo.clone());
            thread::spawn(move || {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                maxo.fetch_max(now, Ordering::SeqCst);
                serve(stream, &answer, &reqs, &open);
            });
        }
    });
    Fake {
        url,
        requests,
        max_open,
    }
}

/// Answers one request. The connection stops counting as open before the answer is written:
/// once the client has the answer it may start its next request, and counting after the write
/// would see both at once on a busy machine.
fn serve(stream: TcpStream, a: &Answer, reqs: &Mutex<Vec<(String, String)>>, open: &AtomicUsize) {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let target = line
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let mut len = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    reqs.lock()
        .unwrap()
        .push((target, String::from_utf8(body).unwrap()));
    thread::sleep(Duration::from_secs_f64(a.2));
    open.fetch_sub(1, Ordering::SeqCst);
    let mut s = stream;
    let _ = write!(
        s,
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        a.0,
        a.1.len(),
        a.1
    );
}

fn chat(content: &str) -> Answer {
    let body = json!({
        "model": "smol-q8",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 97},
        "timings": {"prompt_per_second": 900.5, "predicted_per_second": 41.0}
    });
    Answer(200, body.to_string(), 0.0)
}

fn engine(url: &str, model: Option<&str>, retries: u32, concurrency: usize) -> RemoteEngine {
    RemoteEngine::new(RemoteOptions {
        model: model.map(String::from),
        retries,
        backoff: Duration::from_millis(20),
        concurrency,
        api_key: Some("k-123".into()),
        ..RemoteOptions::new(url)
    })
    .unwrap()
}

fn prompt() -> Prompt {
    Prompt {
        system: "sys".into(),
        user: "user".into(),
    }
}

#[test]
fn asks_the_listed_model_with_the_schema_and_retries_a_5xx() {
    let answer = benign_answer().answer_json();
    let f = fake(vec![
        Answer(200, r#"{"data":[{"id":"smol-q8"}]}"#.into(), 0.0),
        Answer(503, r#"{"error":"loading model"}"#.into(), 0.0),
        chat(&answer),
    ]);
    let e = engine(&f.url, None, 2, 1);
    let r = e.generate(&prompt(), verdict_schema(), 360).unwrap();
    assert_eq!(r.text, answer);
    assert_eq!((r.model.as_str(), r.attempts), ("smol-q8", 2));
    assert_eq!((r.prompt_tokens, r.completion_tokens), (812, 97));
    assert_eq!(r.gen_tok_per_s, 41.0);
    let reqs = f.requests.lock().unwrap();
    assert_eq!(reqs[0].0, "GET /v1/models");
    assert_eq!(reqs[1].0, "POST /v1/chat/completions");
    let body: Value = serde_json::from_str(&reqs[2].1).unwrap();
    assert_eq!(body["model"], "smol-q8");
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["max_tokens"], 360);
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "user"})
    );
    let rf = &body["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["strict"], true);
    assert_eq!(rf["json_schema"]["schema"], verdict_schema());
}

#[test]
fn a_429_waits_and_a_4xx_is_not_retried() {
    let f = fake(vec![
        Answer(429, "{}".into(), 0.0),
        Answer(400, r#"{"error":"bad schema"}"#.into(), 0.0),
    ]);
    let e = engine(&f.url, Some("m"), 5, 1);
    match e.generate(&prompt(), verdict_schema(), 10) {
        Err(RemoteError::Status {
            status: 400,
            attempts: 2,
            body,
            ..
        }) => assert!(body.contains("bad schema"), "{body}"),
        other => panic!("expected HTTP 400 after 2 attempts, got {other:?}"),
    }
}

#[test]
fn a_closed_port_is_unreachable_after_the_retries() {
    // A port just freed: connections are refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = engine(&format!("http://127.0.0.1:{port}/v1"), Some("m"), 2, 1);
    let err = e.generate(&prompt(), verdict_schema(), 10).unwrap_err();
    assert!(
        matches!(err, RemoteError::Unreachable { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[test]
fn requests_in_flight_stay_within_the_limit() {
    let answer = benign_answer().answer_json();
    let mut script = vec![];
    for _ in 0..6 {
        let mut a = chat(&answer);
        // Long enough that a busy machine still has two requests waiting at once.
        a.2 = 0.4;
        script.push(a);
    }
    let f = fake(script);
    let e = Arc::new(engine(&f.url, Some("m"), 0, 2));
    let clients: Vec<_> = (0..6)
        .map(|_| {
            let e = e.clone();
            thread::spawn(move || e.generate(&prompt(), verdict_schema(), 10).map(|r| r.text))
        })
        .collect();
    for c in clients {
        assert_eq!(c.join().unwrap().unwrap(), answer);
    }
    assert_eq!(f.max_open.load(Ordering::SeqCst), 2);
}

#[test]
fn urls_without_a_scheme_or_host_are_refused() {
    for url in ["127.0.0.1:8089/v1", "ftp://x/v1", "http:///v1", "http://"] {
        assert!(
            matches!(
                RemoteEngine::new(RemoteOptions::new(url)),
                Err(RemoteError::BadUrl { .. })
            ),
            "{url}"
        );
    }
}

fn remote_assessor(url: &str) -> Assessor {
    Assessor::remote(
        Arc::new(engine(url, Some("smol-q8"), 0, 1)),
        catalog(),
        AssessOptions::default(),
    )
}

#[test]
fn an_answer_is_combined_and_names_the_server_model() {
    let f = fake(vec![chat(&benign_answer().answer_json())]);
    let i = input(
        vec![detection("Mimikatz", Risk::High, &["T1003.001"], 1)],
        "",
    );
    let a = remote_assessor(&f.url).assess(&i).unwrap();
    assert_eq!(a.model_verdict, Some(benign_answer()));
    // The same combination as the embedded model's: the high rule overrules "legitimate".
    let c = crate::assess::combine(&benign_answer(), &i, &catalog());
    assert_eq!(a.verdict, c.verdict);
    assert_eq!(a.adjustments, c.adjustments);
    assert_eq!(a.model_id, format!("smol-q8@{}", f.url));
    assert_eq!((a.prompt_tokens, a.completion_tokens), (812, 97));
}

#[test]
fn an_off_schema_answer_gets_the_rules_verdict_with_the_reason() {
    let f = fake(vec![chat("Sure! Here is my analysis: {cause: bad}")]);
    let i = input(vec![detection("Mimikatz", Risk::High, &[], 1)], "");
    let a = remote_assessor(&f.url).assess(&i).unwrap();
    assert_eq!(a.model_verdict, None);
    assert!(
        a.adjustments[0].starts_with("model answer unusable: not the schema's JSON"),
        "{:?}",
        a.adjustments
    );
    assert_eq!(a.verdict.risk_level, Risk::High);
    assert!(a.model_id.starts_with("smol-q8@"));
}

#[test]
fn an_unreachable_server_gets_the_rules_verdict_with_the_reason() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let i = input(vec![detection("Mimikatz", Risk::High, &[], 1)], "");
    let a = remote_assessor(&format!("http://127.0.0.1:{port}/v1"))
        .assess(&i)
        .unwrap();
    assert_eq!(a.model_verdict, None);
    assert_eq!(a.model_id, RULES_ONLY);
    assert!(
        a.adjustments[0].starts_with(UNAVAILABLE),
        "{:?}",
        a.adjustments
    );
    assert!(
        a.adjustments[0].contains("unreachable"),
        "{:?}",
        a.adjustments
    );
    assert!(a.verdict.summary.contains(UNAVAILABLE));
    assert_eq!(a.verdict.risk_level, Risk::High);
}
