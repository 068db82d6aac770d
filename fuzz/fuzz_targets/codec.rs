//! Coverage-guided entry point of the `codec` target (see `tandem_fuzz::codec`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_fuzz::codec::check(data));
