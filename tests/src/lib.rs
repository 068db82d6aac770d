//! Helpers for Tandem's end-to-end tests: starting the real `tandem` binary on a free port with
//! its own data directory, and stopping it the way an operator (or a crash) would.
