//! The itsdangerous wire format in plain Rust, with no Python anywhere.
//!
//! - [`protocol`]: keys and their derivation, HMAC signing, base64,
//!   timestamps, and the token and payload layout of itsdangerous 2.2.
//! - [`codec`]: the payload codecs: zlib-exact deflate, inflate and JSON
//!   (including Flask's tagged JSON).
//! - [`cookie`]: finding one cookie in a `Cookie` header.
//!
//! The Python extension (the workspace's root package) is a thin binding
//! over this crate; a Rust program can use it on its own, as
//! `examples/flask_cookie.rs` does with Flask session cookies.

pub mod codec;
pub mod cookie;
pub mod fernet;
pub mod protocol;

#[cfg(test)]
mod test_support;
