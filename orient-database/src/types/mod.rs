//! Rust types for the storage conventions of the Orient schema: timestamps as INTEGER Unix seconds, JSON
//! documents as TEXT, and value domains as enums stored as their text.

#[doc(hidden)]
pub mod foreign_key;
mod json;
mod text_backend;
mod text_enum;
mod timestamp;

pub use json::Json;
pub use text_backend::TextBackend;
pub use text_enum::UnknownValue;
pub use timestamp::Timestamp;
