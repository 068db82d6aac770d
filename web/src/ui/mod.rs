//! Components shared by the screens.

pub mod prose;
