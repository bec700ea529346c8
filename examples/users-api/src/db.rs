//! The data layer: the notes' `t_user` table behind a MySQL connection pool
//! of 4 (`mysql.createPool({ connectionLimit: 4 })`), with `mysql_async`.

use mysql_async::prelude::{Query, Queryable, WithParams};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};
use serde_json::{Value, json};

/// The notes' `connectionLimit`.
pub const POOL_SIZE: usize = 4;

/// MySQL's duplicate-key error (`ER_DUP_ENTRY`).
pub const ER_DUP_ENTRY: u16 = 1062;

/// The schema the application expects (created by [`Db::create_schema`]).
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS t_user (
    user_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(64) NOT NULL UNIQUE,
    email VARCHAR(128) NULL
) CHARACTER SET utf8mb4";

/// A user row. Node: a row of `SELECT * FROM t_user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `user_id`.
    pub id: u32,
    /// `username` (unique).
    pub username: String,
    /// `email`, optional.
    pub email: Option<String>,
}

impl User {
    /// The JSON the API answers with.
    pub fn to_json(&self) -> Value {
        json!({ "user_id": self.id, "username": self.username, "email": self.email })
    }
}

/// What a write can fail with.
#[derive(Debug)]
pub enum DbError {
    /// The username is taken (409).
    Duplicate,
    /// Anything else (500).
    Other(mysql_async::Error),
}

impl From<mysql_async::Error> for DbError {
    fn from(e: mysql_async::Error) -> DbError {
        match &e {
            mysql_async::Error::Server(s) if s.code == ER_DUP_ENTRY => DbError::Duplicate,
            _ => DbError::Other(e),
        }
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Duplicate => write!(f, "duplicate username"),
            DbError::Other(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for DbError {}

/// The pool. Node: `mysql.createPool({ connectionLimit: 4, ... })`.
#[derive(Debug, Clone)]
pub struct Db {
    pool: Pool,
    gauge: Arc<Gauge>,
}

/// Connections checked out of the pool now and at most so far.
#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// A pooled connection, counted while it is checked out. Node: `pool.getConnection()`.
#[derive(Debug)]
pub struct PooledConn {
    conn: Conn,
    gauge: Arc<Gauge>,
}

impl Deref for PooledConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        self.gauge.now.fetch_sub(1, Ordering::AcqRel);
    }
}

type Row = (u32, String, Option<String>);

fn user((id, username, email): Row) -> User {
    User { id, username, email }
}

impl Db {
    /// A pool of at most [`POOL_SIZE`] connections to `url`
    /// (`mysql://user:pass@host:port/db`).
    pub fn new(url: &str) -> Result<Db, mysql_async::Error> {
        let opts = Opts::from_url(url)?;
        // min = max: the 4 connections are kept (a pool that drops idle
        // connections above its minimum churns them under load, and the
        // server briefly counts the closing ones beside the new ones).
        let constraints = PoolConstraints::new(POOL_SIZE, POOL_SIZE).expect("4 <= 4");
        let opts = OptsBuilder::from_opts(opts).pool_opts(PoolOpts::default().with_constraints(constraints));
        Ok(Db {
            pool: Pool::new(opts),
            gauge: Arc::default(),
        })
    }

    /// A connection from the pool (waiting for one when all 4 are out).
    /// Node: `pool.getConnection(cb)`; dropping it is `connection.release()`.
    #[doc(alias = "getConnection")]
    pub async fn conn(&self) -> Result<PooledConn, mysql_async::Error> {
        let conn = self.pool.get_conn().await?;
        let now = self.gauge.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.gauge.peak.fetch_max(now, Ordering::AcqRel);
        Ok(PooledConn {
            conn,
            gauge: self.gauge.clone(),
        })
    }

    /// The most connections checked out at once so far (never above [`POOL_SIZE`]).
    pub fn peak_in_use(&self) -> usize {
        self.gauge.peak.load(Ordering::Acquire)
    }

    /// Creates `t_user` if it is not there.
    pub async fn create_schema(&self) -> Result<(), mysql_async::Error> {
        let mut c = self.conn().await?;
        c.query_drop(SCHEMA).await
    }

    /// Every user, or those named `name`. Node: `SELECT * FROM t_user [where username = ?]`.
    pub async fn list(&self, name: Option<&str>) -> Result<Vec<User>, DbError> {
        let mut c = self.conn().await?;
        let rows: Vec<Row> = match name {
            Some(n) => {
                "SELECT user_id, username, email FROM t_user WHERE username = ? ORDER BY user_id"
                    .with((n,))
                    .fetch(&mut *c)
                    .await?
            }
            None => {
                c.query("SELECT user_id, username, email FROM t_user ORDER BY user_id")
                    .await?
            }
        };
        Ok(rows.into_iter().map(user).collect())
    }

    /// One user. Node: `SELECT * FROM t_user where user_id = ?`.
    pub async fn get(&self, id: u32) -> Result<Option<User>, DbError> {
        let mut c = self.conn().await?;
        let row: Option<Row> = "SELECT user_id, username, email FROM t_user WHERE user_id = ?"
            .with((id,))
            .first(&mut *c)
            .await?;
        Ok(row.map(user))
    }

    /// Inserts a user and returns it. Node: `INSERT INTO t_user (username) VALUES (?)`.
    pub async fn create(&self, username: &str, email: Option<&str>) -> Result<User, DbError> {
        let mut c = self.conn().await?;
        "INSERT INTO t_user (username, email) VALUES (?, ?)"
            .with((username, email))
            .ignore(&mut *c)
            .await?;
        let id = c.last_insert_id().unwrap_or(0) as u32;
        Ok(User {
            id,
            username: username.to_string(),
            email: email.map(str::to_string),
        })
    }

    /// Updates a user; `None` when there is no such id.
    pub async fn update(
        &self,
        id: u32,
        username: &str,
        email: Option<&str>,
    ) -> Result<Option<User>, DbError> {
        let mut c = self.conn().await?;
        "UPDATE t_user SET username = ?, email = ? WHERE user_id = ?"
            .with((username, email, id))
            .ignore(&mut *c)
            .await?;
        // affected_rows is 0 for an unchanged row too: look the row up.
        let row: Option<Row> = "SELECT user_id, username, email FROM t_user WHERE user_id = ?"
            .with((id,))
            .first(&mut *c)
            .await?;
        Ok(row.map(user))
    }

    /// Deletes a user; whether it existed.
    pub async fn delete(&self, id: u32) -> Result<bool, DbError> {
        let mut c = self.conn().await?;
        "DELETE FROM t_user WHERE user_id = ?"
            .with((id,))
            .ignore(&mut *c)
            .await?;
        Ok(c.affected_rows() > 0)
    }

    /// Closes every pooled connection.
    pub async fn close(self) -> Result<(), mysql_async::Error> {
        self.pool.disconnect().await
    }
}
