//! `decode` and `check` agree on any text (`eventwire_fuzz::decode_and_check`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eventwire_fuzz::decode_and_check(data));
