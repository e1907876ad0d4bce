//! connection layer
