//! End-to-end tests against the real `tandem` binary. One test binary, one module per area.

mod access;
mod acme;
mod admin_beside;
mod bad_frames;
mod bad_input;
mod cross_relay;
mod cut_connections;
mod faults;
mod http;
mod https;
mod kills;
mod native_sync;
mod notes;
mod purge;
mod relay_process;
mod samod_interop;
mod sync_cli;
mod unseen_documents;
