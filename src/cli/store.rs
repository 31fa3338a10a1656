//! `lookout store …` (migrate, copy between SQLite and PostgreSQL) and `lookout queue …` (the
//! shared review queue: fill, hand out with a lease, finish, release, status).

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::Globals;
use crate::case::Case;
use crate::event::Risk;
use crate::store::copy::copy_cases;
use crate::store::{Store, StoreUrl, disagreements, holder_name};

#[derive(Args, Debug)]
pub struct StoreArgs {
    #[command(subcommand)]
    pub what: StoreWhat,
}

#[derive(Subcommand, Debug)]
pub enum StoreWhat {
    /// Bring the store (`--store`, `store.url`, else the data dir's SQLite file) to the current
    /// schema and print its version. Every command also does this on start.
    Migrate,
    /// Copy cases from one store to another (sqlite://PATH, postgres://…), then compare every
    /// table's rows by count and checksum; fails when any differs.
    Copy {
        #[arg(long, value_name = "URL")]
        from: String,
        #[arg(long, value_name = "URL")]
        to: String,
        /// Only this case (repeatable); default: every case of the source.
        #[arg(long = "only", value_name = "CASE")]
        only: Vec<String>,
    },
}

pub fn store(g: &Globals, a: StoreArgs) -> Result<ExitCode> {
    match a.what {
        StoreWhat::Migrate => {
            let store = Store::open_data_dir(&g.data_dir)?;
            println!(
                "{}: schema version {}",
                store.location(),
                store.schema_version()?
            );
            Ok(ExitCode::SUCCESS)
        }
        StoreWhat::Copy { from, to, only } => {
            let source = Store::connect(&StoreUrl::parse(&from)?)
                .with_context(|| format!("opening the source {from}"))?;
            let mut dest = Store::connect(&StoreUrl::parse(&to)?)
                .with_context(|| "opening the destination")?;
            let reports = copy_cases(&source, &mut dest, &only)?;
            let mut all_match = true;
            println!(
                "{:<12} {:<13} {:>8} {:>8}  {:<16} {:<16} result",
                "case", "table", "rows", "copied", "sha256 (source)", "sha256 (copy)"
            );
            for r in &reports {
                all_match &= r.matches();
                println!(
                    "{:<12} {:<13} {:>8} {:>8}  {:<16} {:<16} {}{}",
                    r.case_name,
                    r.table,
                    r.source_rows,
                    r.copied_rows,
                    &r.source_sha256[..16],
                    &r.copied_sha256[..16],
                    if r.matches() { "same" } else { "DIFFERS" },
                    if r.renumbered {
                        " (ids renumbered)"
                    } else {
                        ""
                    }
                );
            }
            let cases: std::collections::BTreeSet<&str> =
                reports.iter().map(|r| r.case_name.as_str()).collect();
            println!(
                "{} case(s) copied from {} to {}: {}",
                cases.len(),
                source.location(),
                dest.location(),
                if all_match {
                    "every table the same"
                } else {
                    "TABLES DIFFER"
                }
            );
            Ok(if all_match {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

#[derive(Args, Debug)]
pub struct QueueArgs {
    #[command(subcommand)]
    pub what: QueueWhat,
}

#[derive(Subcommand, Debug)]
pub enum QueueWhat {
    /// Queue every session of the case that no analyst has corrected or confirmed yet, rule
    /// level first (sessions already queued keep their state).
    Fill {
        /// Only the N most pressing (highest rule level, then session id).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Take the next session nobody holds: prints its id, leased to this process for
    /// --lease-secs. With --hold, keeps renewing the lease until stdin closes (a workbench
    /// reviewing it); a killed holder's lease simply expires.
    Next {
        #[arg(long, default_value_t = 300)]
        lease_secs: u64,
        #[arg(long)]
        hold: bool,
        /// The holder's name (default: analyst@host:pid). `done` must name the same holder.
        #[arg(long)]
        holder: Option<String>,
    },
    /// Mark a session you hold reviewed.
    Done {
        session: String,
        #[arg(long)]
        holder: String,
    },
    /// Give a session you hold back to the queue, unreviewed.
    Release {
        session: String,
        #[arg(long)]
        holder: String,
    },
    /// The queue's counts, current leases and the sessions analysts disagree on.
    Status {
        #[arg(long)]
        json: bool,
    },
}

pub fn queue(g: &Globals, a: QueueArgs) -> Result<ExitCode> {
    let case = Case::open(&g.data_dir, &g.case)?;
    let store = &case.store;
    match a.what {
        QueueWhat::Fill { limit } => {
            let corrected: std::collections::HashSet<String> = store
                .latest_corrections(Some(&case.name))?
                .into_iter()
                .map(|c| c.session_id)
                .collect();
            let mut items: Vec<(String, i64)> = case
                .sessions()?
                .into_iter()
                .filter(|s| !corrected.contains(&s.id))
                .map(|s| (s.id.clone(), priority(s.max_rule_level())))
                .collect();
            items.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            items.truncate(limit.unwrap_or(usize::MAX));
            let added = store.enqueue_reviews(&case.name, &items)?;
            println!("{added} session(s) queued ({} need review)", items.len());
        }
        QueueWhat::Next {
            lease_secs,
            hold,
            holder,
        } => {
            let holder = holder.unwrap_or_else(holder_name);
            let ttl = Duration::from_secs(lease_secs);
            let Some(lease) = store.lease_review(&case.name, &holder, ttl)? else {
                eprintln!("lookout: nothing left to review in case {}", case.name);
                return Ok(ExitCode::from(3));
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}\t{}", lease.session_id, lease.holder)?;
            out.flush()?;
            if hold {
                hold_lease(store, &lease, ttl)?;
            }
        }
        QueueWhat::Done { session, holder } => {
            let s = case.session(&session)?;
            if !store.finish_review(&case.name, &s.id, &holder)? {
                anyhow::bail!("session {} is not held by {holder}", s.id);
            }
            println!("session {} reviewed", s.id);
        }
        QueueWhat::Release { session, holder } => {
            let s = case.session(&session)?;
            if !store.release_lease(&case.name, &s.id, &holder)? {
                anyhow::bail!("session {} is not held by {holder}", s.id);
            }
            println!("session {} back in the queue", s.id);
        }
        QueueWhat::Status { json } => {
            let items = store.review_items(&case.name)?;
            let disagree = disagreements(&store.corrections(Some(&case.name))?);
            let reviewed = items.iter().filter(|i| i.reviewed_by.is_some()).count();
            let leased: Vec<_> = items.iter().filter(|i| i.leased_by.is_some()).collect();
            if json {
                let v = serde_json::json!({
                    "queued": items.len(),
                    "reviewed": reviewed,
                    "leased": leased,
                    "disagreements": disagree,
                });
                println!("{}", crate::text::inert_json(&v)?);
            } else {
                println!(
                    "{} queued, {reviewed} reviewed, {} leased, {} open; {} disagreement(s)",
                    items.len(),
                    leased.len(),
                    items.len() - reviewed,
                    disagree.len()
                );
                for i in &leased {
                    println!(
                        "  leased  {}  {}",
                        i.session_id,
                        crate::text::sanitize(i.leased_by.as_deref().unwrap_or(""))
                    );
                }
                for d in &disagree {
                    let who: Vec<String> = d
                        .verdicts
                        .iter()
                        .map(|c| format!("{} {} {}", c.analyst, c.cause, c.risk))
                        .collect();
                    println!(
                        "  disagree {}  {}",
                        d.session_id,
                        crate::text::sanitize(&who.join(" / "))
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Queue order: the highest rule level first, sessions without hits last.
fn priority(level: Option<Risk>) -> i64 {
    match level {
        Some(Risk::Critical) => 0,
        Some(Risk::High) => 1,
        Some(Risk::Medium) => 2,
        Some(Risk::Low) => 3,
        None => 4,
    }
}

/// Renews the lease every third of its time until stdin reaches its end (or says `done`,
/// which finishes the review); stops with an error when the lease was lost.
fn hold_lease(store: &Store, lease: &crate::store::Lease, ttl: Duration) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(l) if l.trim() == "done" => {
                    let _ = tx.send(true);
                    return;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(false);
    });
    let every = (ttl / 3).max(Duration::from_millis(100));
    loop {
        match rx.recv_timeout(every) {
            Ok(true) => {
                store.finish_review(&lease.case_name, &lease.session_id, &lease.holder)?;
                return Ok(());
            }
            Ok(false) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                store.release_lease(&lease.case_name, &lease.session_id, &lease.holder)?;
                return Ok(());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if !store.renew_lease(lease, ttl)? {
                    anyhow::bail!("the lease on {} was lost", lease.session_id);
                }
            }
        }
    }
}
