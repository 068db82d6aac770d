//! Components and helpers shared by the screens.

pub mod prose;
pub mod time;
pub mod undo;
pub mod words;
