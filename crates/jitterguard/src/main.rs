//! jitterguard: inline TCP jitter shield (placeholder while the foundation lands).
mod cmd_parse;
fn main() {}
