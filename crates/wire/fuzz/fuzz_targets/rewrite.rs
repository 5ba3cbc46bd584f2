#![no_main]
//! 16 parameter bytes + a frame: rewrites and builds never panic and keep
//! a valid TCP checksum valid.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wire::fuzzing::check_rewrite(data));
