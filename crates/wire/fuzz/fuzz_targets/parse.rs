#![no_main]
//! Any bytes: parse never panics and every offset stays inside the frame.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wire::fuzzing::check_parse(data));
