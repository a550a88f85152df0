//! API tokens: `onus_<id>_<secret>`, shown once when created. The fleet keeps the id in clear
//! and a SHA-256 of the secret; a presented token is looked up by id and its hash compared in
//! constant time.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::Value;
use crate::error::FleetError;
use crate::{timestamp, Fleet};

/// What a token may do. `admin` implies the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Submit,
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "read" => Some(Scope::Read),
            "submit" => Some(Scope::Submit),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Submit => "submit",
            Scope::Admin => "admin",
        }
    }
}

/// A verified token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl TokenInfo {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&scope)
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `bytes` random bytes from the operating system, hex-encoded (session cookies, CSRF tokens).
pub fn random_hex(bytes: usize) -> Result<String, FleetError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| FleetError::Random(e.to_string()))?;
    Ok(hex::encode(buf))
}

impl Fleet {
    /// Create a token; the returned string is the only copy of its secret.
    pub fn create_token(
        &self,
        name: &str,
        scopes: &[Scope],
        now: DateTime<Utc>,
    ) -> Result<(String, TokenInfo), FleetError> {
        if scopes.is_empty() {
            return Err(FleetError::Config(
                "a token needs at least one scope".into(),
            ));
        }
        let id = random_hex(8)?;
        let secret = random_hex(32)?;
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let scope_text: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        self.db.transaction(|conn| {
            conn.exec(
                "INSERT INTO tokens (id, name, hash, scopes, created) VALUES ($1, $2, $3, $4, $5)",
                &[
                    id.as_str().into(),
                    name.into(),
                    hash(&secret).into(),
                    scope_text.join(",").into(),
                    timestamp(now).into(),
                ],
            )?;
            Ok(())
        })?;
        Ok((
            format!("onus_{id}_{secret}"),
            TokenInfo {
                id,
                name: name.to_string(),
                scopes,
            },
        ))
    }

    /// The token's identity, or `None` for an unknown or wrong token.
    pub fn verify_token(&self, token: &str) -> Result<Option<TokenInfo>, FleetError> {
        let Some((id, secret)) = token
            .strip_prefix("onus_")
            .and_then(|rest| rest.split_once('_'))
        else {
            return Ok(None);
        };
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || secret.len() > 128 {
            return Ok(None);
        }
        let presented = hash(secret);
        let row = self.db.transaction(|conn| {
            conn.query_one(
                "SELECT name, hash, scopes FROM tokens WHERE id = $1",
                &[Value::from(id)],
            )
        })?;
        // Compared whether or not the id exists, so timing says nothing about which ids do.
        let stored = row
            .as_ref()
            .map_or_else(|| "0".repeat(64), |r| r[1].text().to_string());
        let equal: bool = presented.as_bytes().ct_eq(stored.as_bytes()).into();
        Ok(row.filter(|_| equal).map(|r| TokenInfo {
            id: id.to_string(),
            name: r[0].text().to_string(),
            scopes: r[2].text().split(',').filter_map(Scope::parse).collect(),
        }))
    }
}

/// A browser session: the token it was opened with and its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: TokenInfo,
    /// Every form posted in this session carries it.
    pub csrf: String,
}

/// How long a session lasts after sign-in.
pub const SESSION_HOURS: i64 = 12;

impl Fleet {
    /// Open a session for a verified token; the returned cookie value is its only copy.
    pub fn create_session(
        &self,
        token: &TokenInfo,
        now: DateTime<Utc>,
    ) -> Result<(String, Session), FleetError> {
        let cookie = random_hex(32)?;
        let csrf = random_hex(16)?;
        let expires = timestamp(now + chrono::Duration::hours(SESSION_HOURS));
        self.db.transaction(|conn| {
            // Expired sessions go whenever a new one starts.
            conn.exec(
                "DELETE FROM sessions WHERE expires < $1",
                &[timestamp(now).into()],
            )?;
            conn.exec(
                "INSERT INTO sessions (id_hash, token_id, csrf, expires) VALUES ($1, $2, $3, $4)",
                &[
                    hash(&cookie).into(),
                    token.id.as_str().into(),
                    csrf.as_str().into(),
                    expires.into(),
                ],
            )?;
            Ok(())
        })?;
        Ok((
            cookie,
            Session {
                token: token.clone(),
                csrf,
            },
        ))
    }

    /// The live session for a cookie: unexpired, and its token still exists.
    pub fn session(&self, cookie: &str, now: DateTime<Utc>) -> Result<Option<Session>, FleetError> {
        if cookie.len() != 64 || !cookie.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        // Looked up by the hash of a 256-bit secret: an index lookup leaks nothing useful.
        let row = self.db.transaction(|conn| {
            conn.query_one(
                "SELECT t.id, t.name, t.scopes, s.csrf FROM sessions s JOIN tokens t ON t.id = s.token_id
                 WHERE s.id_hash = $1 AND s.expires > $2",
                &[hash(cookie).into(), timestamp(now).into()],
            )
        })?;
        Ok(row.map(|r| Session {
            token: TokenInfo {
                id: r[0].text().to_string(),
                name: r[1].text().to_string(),
                scopes: r[2].text().split(',').filter_map(Scope::parse).collect(),
            },
            csrf: r[3].text().to_string(),
        }))
    }

    /// End a session (sign-out).
    pub fn delete_session(&self, cookie: &str) -> Result<(), FleetError> {
        self.db.transaction(|conn| {
            conn.exec(
                "DELETE FROM sessions WHERE id_hash = $1",
                &[hash(cookie).into()],
            )?;
            Ok(())
        })
    }
}
