//! The screens: rendering and event wiring. Each document screen is a view of a plain record (read
//! from its document by the host) plus callbacks that carry **edits as data**, the core's
//! `tandem_core::edit` enums (`ObservationEdit`, `GoalEdit`, `Agreement`). What an edit means
//! and how it is written is the core's; a screen only turns events into edits. The hosts
//! (`crate::hosts`) apply them with `tandem_core::edit`'s `apply` and `resolve`, stamped with the
//! signed-in person and the time, and the repo commits in batches and syncs; the screens never
//! touch automerge, IndexedDB or the network.
//!
//! | module | screen |
//! |---|---|
//! | [`observation`] | the observation: the mentor's editor (tablet) and the associate's view (phone) |
//! | [`goals`] | a pair's SMART goals: builder with live hints, check-ins, wins, how each ended |
//! | [`agreement`] | "needs agreement": concurrent values of a status or a goal's numbers, resolved by a person |
//! | [`history`] | who wrote what, when |
//! | [`private_notes`] | the mentor's private notes about the pair or an observation, seen by no one else |
//! | [`deleted`] | what was deleted from an observation, restored from its history |

pub mod agreement;
pub mod deleted;
pub mod goals;
pub mod history;
pub mod observation;
pub mod private_notes;

/// Names are looked up in one place, `crate::people`; screens take them as props.
pub use crate::people::People;
