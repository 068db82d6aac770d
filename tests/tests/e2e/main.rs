//! End-to-end tests against the real `tandem` binary. One test binary, one module per area.

mod relay_process;
