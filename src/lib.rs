//! itsdangerous-rs: the hot paths of itsdangerous and Flask's cookie sessions.
//!
//! Everything outside `python` is plain Rust with no Python dependency, so it
//! can be tested with `cargo test` and fuzzed directly.

pub mod compress;
pub mod cookie;
pub mod deflate;
pub mod encoding;
pub mod inflate;
pub mod json;
pub mod payload;
pub mod signing;
pub mod token;

#[cfg(test)]
mod test_support;

#[cfg(feature = "python")]
mod python;
