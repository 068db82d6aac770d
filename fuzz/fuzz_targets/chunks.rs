//! Coverage-guided entry point of the `chunks` target (see `tandem_fuzz::chunks`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_fuzz::chunks::check(data));
