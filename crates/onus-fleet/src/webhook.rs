//! Webhooks: events worth a call (new critical or known-exploited findings, breached clocks)
//! are kept in the event log as pending and delivered by [`Fleet::deliver_webhook`] as JSON with
//! an HMAC-SHA256 signature header. A delivery is claimed for a lease, so with several servers
//! each event is sent by one of them, and one that dies mid-delivery leaves it for another.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::db::Value;
use crate::error::FleetError;
use crate::query::{event_from_row, Event, EVENT_COLUMNS};
use crate::schema::for_update_skip_locked;
use crate::{timestamp, Fleet};

/// The header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Onus-Signature-256";

/// Delivery attempts before an event is given up on.
const MAX_ATTEMPTS: i64 = 5;

/// Where and how to deliver.
#[derive(Clone)]
pub struct Webhooks {
    pub urls: Vec<String>,
    pub secret: Vec<u8>,
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

/// The JSON body of one call.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub schema: &'static str,
    pub event: &'a Event,
}

/// `sha256=<hex>` over `body` with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one delivery round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing pending.
    Idle,
    Delivered(i64),
    /// Failed this time; retried later (or given up after the last attempt).
    Failed {
        seq: i64,
        error: String,
    },
}

impl Fleet {
    /// Deliver the oldest pending webhook event. `clock` is the wall clock (leases), never the
    /// assessment's `now`.
    pub fn deliver_webhook(
        &self,
        hooks: &Webhooks,
        clock: DateTime<Utc>,
    ) -> Result<Delivery, FleetError> {
        let lease = timestamp(clock + Duration::seconds(60));
        let claimed = self.db.transaction(|conn| {
            let skip = for_update_skip_locked(conn);
            let Some(row) = conn.query_one(
                &format!(
                    "SELECT {EVENT_COLUMNS}, attempts FROM events
                     WHERE webhook = 1 AND (claimed IS NULL OR claimed < $1)
                     ORDER BY seq LIMIT 1{skip}"
                ),
                &[timestamp(clock).into()],
            )?
            else {
                return Ok(None);
            };
            let event = event_from_row(&row);
            let attempts = row.get(9).map_or(0, Value::int) + 1;
            conn.exec(
                "UPDATE events SET claimed = $1, attempts = $2 WHERE seq = $3",
                &[
                    lease.as_str().into(),
                    Value::Int(attempts),
                    Value::Int(event.seq),
                ],
            )?;
            Ok(Some((event, attempts)))
        })?;
        let Some((event, attempts)) = claimed else {
            return Ok(Delivery::Idle);
        };
        let body = serde_json::to_vec(&Payload {
            schema: "onus.webhook/v1",
            event: &event,
        })
        .map_err(|e| FleetError::Config(format!("cannot serialise a webhook body: {e}")))?;
        let sig = signature(&hooks.secret, &body);
        let mut error = None;
        for url in &hooks.urls {
            let agent = ureq::AgentBuilder::new()
                .timeout(hooks.timeout)
                .redirects(0)
                .build();
            let sent = agent
                .post(url)
                .set("Content-Type", "application/json")
                .set(SIGNATURE_HEADER, &sig)
                .set("X-Onus-Event", &event.kind)
                .set("X-Onus-Delivery", &event.seq.to_string())
                .send_bytes(&body);
            if let Err(e) = sent {
                error = Some(format!("{url}: {e}"));
            }
        }
        let state = match (&error, attempts >= MAX_ATTEMPTS) {
            (None, _) => 2,
            (Some(_), true) => 3,
            (Some(_), false) => 1,
        };
        // Retried after the lease ends, each attempt waiting longer.
        let retry_at = timestamp(clock + Duration::seconds(10 * (1 << attempts.min(6))));
        self.db.transaction(|conn| {
            conn.exec(
                "UPDATE events SET webhook = $1, claimed = $2 WHERE seq = $3",
                &[
                    Value::Int(state),
                    retry_at.as_str().into(),
                    Value::Int(event.seq),
                ],
            )?;
            Ok(())
        })?;
        Ok(match error {
            None => Delivery::Delivered(event.seq),
            Some(error) => Delivery::Failed {
                seq: event.seq,
                error,
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
