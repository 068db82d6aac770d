//! End-to-end tests against the real `tandem` binary. One test binary, one module per area.

mod native_sync;
mod relay_process;
