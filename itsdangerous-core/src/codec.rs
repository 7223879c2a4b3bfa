//! The payload codecs: deflate that reproduces zlib's bytes, a bounded
//! inflate, and JSON that matches Python's `json` and Flask's tags.

pub mod compress;
pub mod deflate;
pub mod inflate;
pub mod json;
