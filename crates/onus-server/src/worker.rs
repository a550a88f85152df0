//! The background work of one server: one thread notices a rebuilt store, queues what it
//! changes, re-checks clocks and updates the feeds on a schedule, and delivers webhooks; one
//! thread per core runs re-match jobs (any server may take any job). Each sleeps `poll` between
//! rounds unless woken.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use onus_fleet::webhook::{Delivery, Webhooks};
use onus_fleet::{error_chain as chain, Fleet, JobOutcome};

use crate::stores::SharedStores;
use crate::{Clock, FeedUpdate, Log};

pub(crate) struct Worker {
    pub fleet: Arc<Fleet>,
    pub stores: SharedStores,
    pub clock: Clock,
    pub poll: Duration,
    pub recheck: Option<Duration>,
    pub update_every: Option<Duration>,
    pub feed_update: Option<FeedUpdate>,
    pub webhooks: Option<Webhooks>,
    pub log: Log,
}

/// Wakes every worker thread before its next poll.
pub(crate) struct Waker {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Waker {
    pub(crate) fn wake(&self) {
        if let Ok(mut g) = self.generation.lock() {
            *g += 1;
        }
        self.changed.notify_all();
    }

    /// Sleep up to `timeout`, or until woken after `seen` (which is updated).
    fn wait(&self, seen: &mut u64, timeout: Duration) {
        let Ok(guard) = self.generation.lock() else {
            std::thread::sleep(timeout);
            return;
        };
        let guard = if *guard == *seen {
            match self.changed.wait_timeout(guard, timeout) {
                Ok((guard, _)) => guard,
                Err(_) => return,
            }
        } else {
            guard
        };
        *seen = *guard;
    }
}

pub(crate) type Wake = Arc<Waker>;

pub(crate) fn spawn(worker: Worker) -> std::io::Result<Wake> {
    let waker = Arc::new(Waker {
        generation: Mutex::new(0),
        changed: Condvar::new(),
    });
    let worker = Arc::new(worker);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for k in 0..cores {
        let (worker, waker) = (worker.clone(), waker.clone());
        std::thread::Builder::new()
            .name(format!("onus-fleet-jobs-{k}"))
            .spawn(move || worker.run_jobs(&waker))?;
    }
    let main_waker = waker.clone();
    std::thread::Builder::new()
        .name("onus-fleet-worker".into())
        .spawn(move || worker.run(&main_waker))?;
    Ok(waker)
}

impl Worker {
    fn run(&self, waker: &Waker) {
        let started = Instant::now();
        let mut last_recheck = started;
        let mut last_update = started;
        let mut seen = 0;
        loop {
            self.round(waker);
            if let Some(every) = self.recheck {
                if last_recheck.elapsed() >= every {
                    last_recheck = Instant::now();
                    match self
                        .stores
                        .with(|s| self.fleet.queue_all(s, self.clock.now()))
                    {
                        Ok(n) => (self.log)(&format!("re-checking {n} images (SLA clocks)")),
                        Err(e) => (self.log)(&format!("cannot queue the re-check: {}", chain(&e))),
                    }
                    continue;
                }
            }
            if let (Some(every), Some(update)) = (self.update_every, &self.feed_update) {
                if last_update.elapsed() >= every {
                    last_update = Instant::now();
                    match update(self.stores.path()) {
                        Ok(summary) => (self.log)(&format!("feeds updated: {summary}")),
                        Err(e) => (self.log)(&format!("feed update failed: {e}")),
                    }
                    continue;
                }
            }
            waker.wait(&mut seen, self.poll);
        }
    }

    /// Run re-match jobs until none is left, then sleep until woken or `poll` passes.
    fn run_jobs(&self, waker: &Waker) {
        let mut seen = 0;
        loop {
            let mut done = 0usize;
            loop {
                let outcome = self
                    .stores
                    .with(|s| self.fleet.run_job(s, self.clock.now(), Utc::now()));
                match outcome {
                    Ok(Some(JobOutcome { .. })) => done += 1,
                    Ok(None) => break,
                    Err(e) => {
                        (self.log)(&format!("re-match job failed: {}", chain(&e)));
                        break;
                    }
                }
            }
            if done > 0 {
                (self.log)(&format!("re-matched {done} images"));
                // New events may be worth a webhook.
                waker.wake();
            }
            waker.wait(&mut seen, self.poll);
        }
    }

    /// One round: store change, then webhooks until none are pending.
    fn round(&self, waker: &Waker) {
        if self.stores.changed_on_disk() {
            match self.stores.reload() {
                Ok(fingerprint) => {
                    match self
                        .stores
                        .with(|s| self.fleet.refresh(s, self.clock.now()))
                    {
                        Ok(r) => {
                            (self.log)(&format!(
                                "store changed ({fingerprint}): {} keys changed, {} images queued",
                                r.changed_keys, r.queued
                            ));
                            waker.wake();
                        }
                        Err(e) => (self.log)(&format!("cannot refresh the fleet: {}", chain(&e))),
                    }
                }
                // A store being replaced may be caught half-written: tried again next round.
                Err(e) => (self.log)(&format!("cannot open the changed store: {}", chain(&e))),
            }
        }
        if let Some(hooks) = &self.webhooks {
            loop {
                match self.fleet.deliver_webhook(hooks, Utc::now()) {
                    Ok(Delivery::Idle) => break,
                    Ok(Delivery::Delivered(_)) => {}
                    Ok(Delivery::Failed { seq, error }) => {
                        (self.log)(&format!("webhook for event {seq} failed: {error}"));
                        break;
                    }
                    Err(e) => {
                        (self.log)(&format!("webhook delivery failed: {}", chain(&e)));
                        break;
                    }
                }
            }
        }
    }
}
