//! Coverage-guided entry point of the `api_json` target (see `tandem_fuzz::api_json`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tandem_fuzz::api_json::check(data));
