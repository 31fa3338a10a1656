//! The assess worker: one thread owns the one model instance and works through a priority
//! queue (most severe rule level first, then the most recent session), streaming progress
//! to whoever asked. Jobs can be cancelled while queued or while running.

use std::collections::{BinaryHeap, HashSet};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::assessor::Assessor;
use super::input::AssessInput;
use crate::event::Risk;
use crate::model::Assessment;

pub type JobId = u64;

/// What a job reports, in order: `Queued`, `Started`, any number of `Token`s, then exactly
/// one of `Done`, `Failed` or `Cancelled`.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Jobs ahead of this one when it was queued.
    Queued {
        ahead: usize,
    },
    Started,
    Token(String),
    Done(Box<Assessment>),
    Failed(String),
    Cancelled,
}

/// Where a job's progress goes: its own channel, or a shared one tagged with the job id (the
/// workbench's single message loop).
enum Sink {
    Own(UnboundedSender<Progress>),
    Shared(UnboundedSender<(JobId, Progress)>),
}

impl Sink {
    fn send(&self, id: JobId, p: Progress) {
        // A receiver that went away no longer cares: not an error.
        let _ = match self {
            Sink::Own(tx) => tx.send(p).map_err(drop),
            Sink::Shared(tx) => tx.send((id, p)).map_err(drop),
        };
    }
}

struct Job {
    id: JobId,
    level: Option<Risk>,
    end: DateTime<Utc>,
    input: AssessInput,
    sink: Sink,
}

impl Job {
    fn rank(&self) -> (Option<Risk>, DateTime<Utc>, std::cmp::Reverse<JobId>) {
        (self.level, self.end, std::cmp::Reverse(self.id))
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Job {}
impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Job {
    /// Max-heap order: higher rule level, then later session end, then earlier submission.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Job>,
    cancelled: HashSet<JobId>,
    running: Option<(JobId, Arc<AtomicBool>)>,
    shutdown: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock cannot leave the queue half-updated (each change is
        // one call), so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A job's progress channel.
pub struct JobHandle {
    pub id: JobId,
    pub events: UnboundedReceiver<Progress>,
}

pub struct AssessWorker {
    shared: Arc<Shared>,
    next_id: AtomicU64,
    thread: Option<JoinHandle<()>>,
}

impl AssessWorker {
    /// Starts the worker thread, which owns `assessor` from now on.
    pub fn spawn(assessor: Assessor) -> AssessWorker {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("lookout-assess".into())
            .spawn(move || run(&s, &assessor))
            .ok();
        AssessWorker {
            shared,
            next_id: AtomicU64::new(1),
            thread,
        }
    }

    /// Queues a session; its progress arrives on the returned handle.
    pub fn submit(&self, input: AssessInput) -> JobHandle {
        let (tx, rx) = unbounded_channel();
        let id = self.enqueue(input, Sink::Own(tx));
        JobHandle { id, events: rx }
    }

    /// Queues a session; its progress arrives on `tx`, tagged with the returned id.
    pub fn submit_to(&self, input: AssessInput, tx: UnboundedSender<(JobId, Progress)>) -> JobId {
        self.enqueue(input, Sink::Shared(tx))
    }

    fn enqueue(&self, input: AssessInput, sink: Sink) -> JobId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let job = Job {
            id,
            level: input.max_rule_level(),
            end: input.session.end,
            input,
            sink,
        };
        let mut q = self.shared.lock();
        let ahead = q.heap.iter().filter(|j| **j > job).count() + usize::from(q.running.is_some());
        job.sink.send(id, Progress::Queued { ahead });
        if self.thread.is_none() {
            job.sink.send(
                id,
                Progress::Failed("the assess worker could not start".into()),
            );
            return id;
        }
        q.heap.push(job);
        drop(q);
        self.shared.wake.notify_one();
        id
    }

    /// Cancels a queued or running job (no effect on finished ones).
    pub fn cancel(&self, id: JobId) {
        let mut q = self.shared.lock();
        match &q.running {
            Some((rid, flag)) if *rid == id => flag.store(true, Ordering::SeqCst),
            _ => {
                if q.heap.iter().any(|j| j.id == id) {
                    q.cancelled.insert(id);
                }
            }
        }
    }

    /// Jobs waiting (not counting the running one).
    pub fn queued(&self) -> usize {
        let q = self.shared.lock();
        q.heap.len() - q.cancelled.len().min(q.heap.len())
    }
}

impl Drop for AssessWorker {
    fn drop(&mut self) {
        {
            let mut q = self.shared.lock();
            q.shutdown = true;
            if let Some((_, flag)) = &q.running {
                flag.store(true, Ordering::SeqCst);
            }
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared, assessor: &Assessor) {
    loop {
        let (job, flag) = {
            let mut q = shared.lock();
            loop {
                if q.shutdown {
                    for j in q.heap.drain() {
                        j.sink.send(j.id, Progress::Cancelled);
                    }
                    return;
                }
                match q.heap.pop() {
                    Some(j) if q.cancelled.remove(&j.id) => j.sink.send(j.id, Progress::Cancelled),
                    Some(j) => {
                        let flag = Arc::new(AtomicBool::new(false));
                        q.running = Some((j.id, Arc::clone(&flag)));
                        break (j, flag);
                    }
                    None => q = shared.wake.wait(q).unwrap_or_else(|e| e.into_inner()),
                }
            }
        };
        job.sink.send(job.id, Progress::Started);
        let mut on_token = |t: &str| {
            if flag.load(Ordering::SeqCst) {
                return ControlFlow::Break(());
            }
            job.sink.send(job.id, Progress::Token(t.to_string()));
            ControlFlow::Continue(())
        };
        let result = assessor.assess_streaming(&job.input, &mut on_token);
        let end = match result {
            Ok(Some(a)) if !flag.load(Ordering::SeqCst) => Progress::Done(Box::new(a)),
            Ok(_) => Progress::Cancelled,
            Err(e) => Progress::Failed(e.to_string()),
        };
        shared.lock().running = None;
        job.sink.send(job.id, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testutil::{catalog, detection, input};

    fn recv_all(h: &mut JobHandle) -> Vec<Progress> {
        let mut v = Vec::new();
        while let Some(p) = h.events.blocking_recv() {
            let end = matches!(
                p,
                Progress::Done(_) | Progress::Failed(_) | Progress::Cancelled
            );
            v.push(p);
            if end {
                break;
            }
        }
        v
    }

    #[test]
    fn rules_only_jobs_complete_on_a_shared_channel() {
        let w = AssessWorker::spawn(Assessor::rules_only(catalog()));
        let (tx, mut rx) = unbounded_channel();
        let mut low = input(vec![], "");
        low.session.id = "low".into();
        let mut high = input(vec![detection("X", Risk::High, &[], 1)], "");
        high.session.id = "high".into();
        let a = w.submit_to(low, tx.clone());
        let b = w.submit_to(high, tx.clone());
        drop(tx);
        let mut done = Vec::new();
        while let Some((id, p)) = rx.blocking_recv() {
            if let Progress::Done(a) = p {
                done.push((id, a.session_id.clone()));
            }
        }
        assert_eq!(done.len(), 2);
        assert!(done.iter().any(|(id, s)| *id == a && s == "low"));
        assert!(done.iter().any(|(id, s)| *id == b && s == "high"));
    }

    #[test]
    fn heap_orders_by_level_then_recency() {
        let mk = |id, level, secs| {
            let (tx, _rx) = unbounded_channel();
            let mut i = input(vec![], "");
            i.session.end = i.session.start + chrono::Duration::seconds(secs);
            Job {
                id,
                level,
                end: i.session.end,
                input: i,
                sink: Sink::Own(tx),
            }
        };
        let mut h = BinaryHeap::new();
        h.push(mk(1, None, 100));
        h.push(mk(2, Some(Risk::High), 10));
        h.push(mk(3, Some(Risk::High), 50));
        h.push(mk(4, Some(Risk::Low), 500));
        h.push(mk(5, Some(Risk::High), 50));
        let order: Vec<JobId> = std::iter::from_fn(|| h.pop().map(|j| j.id)).collect();
        assert_eq!(order, vec![3, 5, 2, 4, 1]);
    }

    #[test]
    fn cancelled_queued_job_reports_cancelled() {
        let w = AssessWorker::spawn(Assessor::rules_only(catalog()));
        let mut h = w.submit(input(vec![], ""));
        w.cancel(h.id);
        let events = recv_all(&mut h);
        assert!(matches!(events[0], Progress::Queued { .. }));
        let last = events.last().unwrap();
        assert!(
            matches!(last, Progress::Cancelled | Progress::Done(_)),
            "a job cancelled after it started may still finish: {last:?}"
        );
    }
}
