//! Coverage-guided entry point of the `engine` target (see `tandem_fuzz::engine`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_fuzz::engine::check(data));
