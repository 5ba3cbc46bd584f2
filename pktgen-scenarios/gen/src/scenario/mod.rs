//! The scenarios `jg-gen` writes, one module each.

pub mod bulk;
pub mod lossy_flow;
pub mod mixed;
pub mod synflood;
