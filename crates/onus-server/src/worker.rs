//! The background worker of one server: notices a rebuilt store, queues what it changes, runs
//! re-match jobs (any server may take any job), re-checks clocks and updates the feeds on a
//! schedule, and delivers webhooks. It sleeps `poll` between rounds unless woken.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use onus_fleet::webhook::{Delivery, Webhooks};
use onus_fleet::{Fleet, JobOutcome};

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

/// Wakes the worker before its next poll.
pub(crate) type Wake = mpsc::Sender<()>;

pub(crate) fn spawn(worker: Worker) -> std::io::Result<Wake> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("onus-fleet-worker".into())
        .spawn(move || worker.run(&rx))?;
    Ok(tx)
}

impl Worker {
    fn run(self, wake: &mpsc::Receiver<()>) {
        let started = Instant::now();
        let mut last_recheck = started;
        let mut last_update = started;
        loop {
            self.round();
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
            match wake.recv_timeout(self.poll) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            // Coalesce a burst of wake-ups into one round.
            while wake.try_recv().is_ok() {}
        }
    }

    /// One round: store change, jobs until none are left, webhooks until none are pending.
    fn round(&self) {
        if self.stores.changed_on_disk() {
            match self.stores.reload() {
                Ok(fingerprint) => {
                    match self
                        .stores
                        .with(|s| self.fleet.refresh(s, self.clock.now()))
                    {
                        Ok(r) => (self.log)(&format!(
                            "store changed ({fingerprint}): {} keys changed, {} images queued",
                            r.changed_keys, r.queued
                        )),
                        Err(e) => (self.log)(&format!("cannot refresh the fleet: {}", chain(&e))),
                    }
                }
                // A store being replaced may be caught half-written: tried again next round.
                Err(e) => (self.log)(&format!("cannot open the changed store: {}", chain(&e))),
            }
        }
        let mut done = 0usize;
        loop {
            let outcome = self
                .stores
                .with(|s| self.fleet.run_job(s, self.clock.now()));
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

/// An error and its causes on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
