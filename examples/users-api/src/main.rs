//! Runs the notes' `/api/users` application against running MySQL /
//! MariaDB and Redis servers:
//!
//! ```sh
//! MYSQL_URL=mysql://root:123456@127.0.0.1:3306/nodejs_book REDIS_URL=redis://127.0.0.1:6379/ \
//!   ADMIN_USER=admin ADMIN_PASSWORD=secret cargo run -p users-api -- 8080
//! ```
//!
//! It creates the `t_user` table if it is missing, then listens on the
//! port (default 8080).

use users_api::db::Db;
use users_api::{AppState, app};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mysql = std::env::var("MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root:123456@127.0.0.1:3306/nodejs_book".into());
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let db = Db::new(&mysql)?;
    db.create_schema().await?;
    let redis = redis::Client::open(redis_url)?
        .get_multiplexed_async_connection()
        .await?;
    let admin = (
        std::env::var("ADMIN_USER").unwrap_or_else(|_| "admin".into()),
        std::env::var("ADMIN_PASSWORD").unwrap_or_else(|_| "secret".into()),
    );
    let secret = std::env::var("SESSION_SECRET")
        .unwrap_or_else(|_| "keyboard cat".into())
        .into_bytes();
    let state = AppState {
        db,
        redis,
        admin,
        secret,
        session_ttl: std::time::Duration::from_secs(3600),
    };
    let server = app(state).listen(("127.0.0.1", port)).await?;
    println!("users-api listening on http://127.0.0.1:{port}/api/users");
    let _server = server;
    std::future::pending::<()>().await;
    Ok(())
}
