//! Any bytes read as a capture, in any format, plain or gzipped, under a small cap or the
//! default one: no panic, and the same events on one thread and three (`eventwire_fuzz::capture`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eventwire_fuzz::capture(data));
