//! A Rust service sharing Flask session cookies with a Python app.
//!
//!     cargo run -p itsdangerous-core --example flask_cookie -- SECRET_KEY [COOKIE]
//!
//! With a cookie: verifies it as Flask would (31-day lifetime) and prints the
//! session JSON. Without: prints a cookie for `{"user_id":"42"}` that the
//! Flask app with the same `SECRET_KEY` opens as its session.

use std::time::{SystemTime, UNIX_EPOCH};

use itsdangerous_core::protocol::serializer::UrlSafeTimedSerializer;

/// Flask's default `PERMANENT_SESSION_LIFETIME`.
const LIFETIME_SECONDS: i64 = 31 * 24 * 3600;
/// Far above what a 4 KB cookie carries, and still bounded.
const MAX_SESSION_JSON: usize = 8 << 20;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(secret_key) = args.first() else {
        eprintln!("usage: flask_cookie SECRET_KEY [COOKIE]");
        std::process::exit(2);
    };
    let serializer = UrlSafeTimedSerializer::flask_session(secret_key.as_bytes(), &[]);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs();
    match args.get(1) {
        Some(cookie) => {
            let loaded = serializer.loads_json(
                cookie.as_bytes(),
                Some(LIFETIME_SECONDS),
                now as i64,
                MAX_SESSION_JSON,
            );
            match loaded {
                Ok(json) => println!("{}", String::from_utf8_lossy(&json)),
                Err(error) => {
                    eprintln!("refused: {error:?}");
                    std::process::exit(1);
                }
            }
        }
        // Flask writes session JSON with sorted keys and ASCII escapes.
        None => println!("{}", serializer.dumps_json(br#"{"user_id":"42"}"#, now)),
    }
}
