//! The relay's integration tests, through its router or its real binary. One test binary, one
//! module per area: each binary links the whole relay, so one binary instead of seven saves six
//! links in every cold `cargo xtask test`.

mod clock;
mod connections;
mod console;
mod discard;
mod full_disk;
mod headers;
mod no_secret_in_logs;
mod origin;
mod passwords;
mod per_person_limits;
mod progress;
mod sessions_end;
