//! One SQL interface over the two backends: SQLite (embedded, one process) and PostgreSQL
//! (shared by several servers). Statements are written once, with `$1`-style parameters and the
//! subset of SQL both speak; the few differences (the job queue's row locks, serial keys) are
//! named by [`Backend`].

use std::sync::Mutex;

use crate::error::FleetError;

/// Which database holds the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parameter or a column value. Integers are 64-bit on both backends (`BIGINT`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl Value {
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            _ => 0,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Value::Text(t) => t,
            _ => "",
        }
    }

    pub fn opt_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn blob(&self) -> &[u8] {
        match self {
            Value::Blob(b) => b,
            Value::Text(t) => t.as_bytes(),
            _ => &[],
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(s.clone())
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<Option<&str>> for Value {
    fn from(s: Option<&str>) -> Value {
        s.map_or(Value::Null, Value::from)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        s.map_or(Value::Null, Value::Text)
    }
}

pub type Row = Vec<Value>;

/// A connection inside a transaction.
pub trait Conn {
    fn backend(&self) -> Backend;
    /// Run a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, FleetError>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, FleetError>;
}

impl dyn Conn + '_ {
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, FleetError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// Where the fleet lives: `sqlite:PATH` or `postgres://…` (`postgresql://…`).
pub enum Database {
    Sqlite {
        path: String,
        conn: Mutex<rusqlite::Connection>,
    },
    Postgres {
        /// The connection string with any password removed, for messages.
        shown: String,
        config: postgres::Config,
        idle: Mutex<Vec<postgres::Client>>,
    },
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.location())
    }
}

/// Idle PostgreSQL connections kept for reuse.
const POSTGRES_IDLE: usize = 16;

impl Database {
    /// Open (creating an SQLite file if needed). PostgreSQL is connected lazily.
    pub fn open(url: &str) -> Result<Database, FleetError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(FleetError::Config(
                    "`--data sqlite:PATH` needs a file path".to_string(),
                ));
            }
            let conn = rusqlite::Connection::open(path).map_err(|source| FleetError::Sqlite {
                operation: "open".to_string(),
                object: path.to_string(),
                source,
            })?;
            // WAL with NORMAL sync: a commit survives a process crash (the tests kill -9), a
            // power cut may lose the last commits. A 16 MB page cache (the OS caches the file
            // too); checkpoints every 16 MB of WAL instead of every 4 MB.
            let pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                           PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;
                           PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 4000;";
            conn.execute_batch(pragmas)
                .map_err(|source| FleetError::Sqlite {
                    operation: "configure".to_string(),
                    object: path.to_string(),
                    source,
                })?;
            return Ok(Database::Sqlite {
                path: path.to_string(),
                conn: Mutex::new(conn),
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let config: postgres::Config = url.parse().map_err(|e| {
                FleetError::Config(format!("invalid PostgreSQL connection string: {e}"))
            })?;
            let shown = shown_url(&config);
            return Ok(Database::Postgres {
                shown,
                config,
                idle: Mutex::new(Vec::new()),
            });
        }
        Err(FleetError::Config(format!(
            "`{}` is not a fleet database: use `sqlite:PATH` or `postgres://…`",
            url.chars().take(64).collect::<String>()
        )))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite { .. } => Backend::Sqlite,
            Database::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Where the data is, without secrets.
    pub fn location(&self) -> String {
        match self {
            Database::Sqlite { path, .. } => format!("sqlite:{path}"),
            Database::Postgres { shown, .. } => shown.clone(),
        }
    }

    /// Run `work` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    /// On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`).
    pub fn transaction<T>(
        &self,
        work: impl FnOnce(&mut dyn Conn) -> Result<T, FleetError>,
    ) -> Result<T, FleetError> {
        match self {
            Database::Sqlite { path, conn } => {
                let mut guard = conn.lock().map_err(|_| FleetError::Poisoned)?;
                let tx = guard
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|source| FleetError::Sqlite {
                        operation: "begin a transaction".to_string(),
                        object: path.clone(),
                        source,
                    })?;
                let mut conn = SqliteConn { tx, path };
                let value = work(&mut conn)?;
                conn.tx.commit().map_err(|source| FleetError::Sqlite {
                    operation: "commit".to_string(),
                    object: path.clone(),
                    source,
                })?;
                Ok(value)
            }
            Database::Postgres {
                shown,
                config,
                idle,
            } => {
                let pooled = idle.lock().map_err(|_| FleetError::Poisoned)?.pop();
                let mut client = match pooled {
                    Some(client) if !client.is_closed() => client,
                    _ => config.connect(postgres::NoTls).map_err(|source| {
                        FleetError::Unavailable {
                            object: shown.clone(),
                            message: format!("cannot connect: {source}"),
                        }
                    })?,
                };
                let result = run_postgres(&mut client, shown, work);
                // A connection that failed is dropped; PostgreSQL may have restarted.
                let lost = matches!(result, Err(FleetError::Unavailable { .. }));
                if !client.is_closed() && !lost {
                    let mut idle = idle.lock().map_err(|_| FleetError::Poisoned)?;
                    if idle.len() < POSTGRES_IDLE {
                        idle.push(client);
                    }
                }
                result
            }
        }
    }
}

fn run_postgres<T>(
    client: &mut postgres::Client,
    shown: &str,
    work: impl FnOnce(&mut dyn Conn) -> Result<T, FleetError>,
) -> Result<T, FleetError> {
    let tx = client
        .transaction()
        .map_err(|e| postgres_error(shown, "begin a transaction", e))?;
    let mut conn = PostgresConn { tx, shown };
    let value = work(&mut conn)?;
    conn.tx
        .commit()
        .map_err(|e| postgres_error(shown, "commit", e))?;
    Ok(value)
}

/// A PostgreSQL error: a lost or refused connection makes the service unavailable (503, retried
/// by clients); anything else is a database error naming the operation.
fn postgres_error(shown: &str, operation: &str, e: postgres::Error) -> FleetError {
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    // SQLSTATE classes 08 (connection exception), 57 (operator intervention: shutdown,
    // restart) and 53 (insufficient resources) say "not now", not "wrong".
    let transient_class = e
        .code()
        .is_some_and(|c| matches!(c.code().get(..2), Some("08" | "57" | "53")));
    let message = match e.as_db_error() {
        Some(db) => format!("{operation}: {} ({})", db.message(), db.code().code()),
        None => format!("{operation}: {e}"),
    };
    if e.is_closed() || io || transient_class {
        FleetError::Unavailable {
            object: shown.to_string(),
            message,
        }
    } else {
        FleetError::Postgres {
            operation: operation.to_string(),
            object: shown.to_string(),
            message: e.as_db_error().map_or_else(
                || e.to_string(),
                |db| format!("{} ({})", db.message(), db.code().code()),
            ),
        }
    }
}

/// `postgres://user@host:port/db` without the password.
fn shown_url(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

struct SqliteConn<'a> {
    tx: rusqlite::Transaction<'a>,
    path: &'a str,
}

/// `$1` → `?1`: SQLite's numbered parameters, so one statement text serves both backends.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl SqliteConn<'_> {
    fn err(&self, sql: &str, source: rusqlite::Error) -> FleetError {
        FleetError::Sqlite {
            operation: format!("run `{}`", first_words(sql)),
            object: self.path.to_string(),
            source,
        }
    }
}

fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}

fn sqlite_params(params: &[Value]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|v| match v {
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
            Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
            Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
            Value::Null => rusqlite::types::Value::Null,
        })
        .collect()
}

impl Conn for SqliteConn<'_> {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, FleetError> {
        let text = sqlite_sql(sql);
        let mut stmt = self
            .tx
            .prepare_cached(&text)
            .map_err(|e| self.err(sql, e))?;
        let changed = stmt
            .execute(rusqlite::params_from_iter(sqlite_params(params)))
            .map_err(|e| self.err(sql, e))?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, FleetError> {
        let text = sqlite_sql(sql);
        let mut stmt = self
            .tx
            .prepare_cached(&text)
            .map_err(|e| self.err(sql, e))?;
        let columns = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(sqlite_params(params)))
            .map_err(|e| self.err(sql, e))?;
        let mut out = Vec::new();
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => return Err(self.err(sql, e)),
            };
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                let value = match row.get_ref(i).map_err(|e| self.err(sql, e))? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                    rusqlite::types::ValueRef::Real(r) => Value::Text(r.to_string()),
                    rusqlite::types::ValueRef::Text(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                };
                values.push(value);
            }
            out.push(values);
        }
        Ok(out)
    }
}

struct PostgresConn<'a> {
    tx: postgres::Transaction<'a>,
    shown: &'a str,
}

type PgParam = Box<dyn postgres::types::ToSql + Sync>;

fn postgres_params(params: &[Value]) -> Vec<PgParam> {
    params
        .iter()
        .map(|v| -> PgParam {
            match v {
                Value::Int(i) => Box::new(*i),
                Value::Text(t) => Box::new(t.clone()),
                Value::Blob(b) => Box::new(b.clone()),
                Value::Null => Box::new(Option::<String>::None),
            }
        })
        .collect()
}

impl Conn for PostgresConn<'_> {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, FleetError> {
        let owned = postgres_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        self.tx
            .execute(sql, &refs)
            .map_err(|e| postgres_error(self.shown, &format!("run `{}`", first_words(sql)), e))
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, FleetError> {
        use postgres::types::Type;
        let owned = postgres_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            owned.iter().map(|b| b.as_ref()).collect();
        let operation = || format!("run `{}`", first_words(sql));
        let rows = self
            .tx
            .query(sql, &refs)
            .map_err(|e| postgres_error(self.shown, &operation(), e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let get_err = |e: postgres::Error| postgres_error(self.shown, &operation(), e);
                let ty = column.type_();
                let value = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)
                        .map_err(get_err)?
                        .map_or(Value::Null, Value::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map_err(get_err)?
                        .map_or(Value::Null, |v| Value::Int(i64::from(v)))
                } else if *ty == Type::BYTEA {
                    row.try_get::<_, Option<Vec<u8>>>(i)
                        .map_err(get_err)?
                        .map_or(Value::Null, Value::Blob)
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)
                        .map_err(get_err)?
                        .map_or(Value::Null, |v| Value::Int(i64::from(v)))
                } else {
                    row.try_get::<_, Option<String>>(i)
                        .map_err(get_err)?
                        .map_or(Value::Null, Value::Text)
                };
                values.push(value);
            }
            out.push(values);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_backend_and_hide_passwords() {
        let db = Database::open("postgres://onus:secret@127.0.0.1:5433/fleet").unwrap();
        assert_eq!(db.backend(), Backend::Postgres);
        assert!(!db.location().contains("secret"));
        assert!(format!("{db:?}").contains("127.0.0.1:5433"));
        assert!(matches!(
            Database::open("mysql://x"),
            Err(FleetError::Config(_))
        ));
        assert!(matches!(
            Database::open("sqlite:"),
            Err(FleetError::Config(_))
        ));
    }

    #[test]
    fn sqlite_runs_dollar_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("f.db").display());
        let db = Database::open(&url).unwrap();
        let rows = db
            .transaction(|c| {
                c.exec("CREATE TABLE t (a TEXT, b BIGINT)", &[])?;
                c.exec(
                    "INSERT INTO t VALUES ($1, $2)",
                    &[Value::from("x"), Value::Int(2)],
                )?;
                c.query(
                    "SELECT a, b FROM t WHERE b = $1 AND a = $2",
                    &[2.into(), "x".into()],
                )
            })
            .unwrap();
        assert_eq!(rows, vec![vec![Value::from("x"), Value::Int(2)]]);
    }
}
