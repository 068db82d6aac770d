//! The crate's one error type.
//!
//! Only what a program must not carry on with is an error: bytes that are not an automerge
//! document, a document of the wrong kind or shape, or an edit aimed at something that is not
//! there. Half-finished records (a goal with no target, an observation with no strengths) are
//! valid documents; [`crate::validate`] describes them as problems, never as errors.

use automerge::AutomergeError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not an automerge document (truncated, corrupted, or something else).
    #[error("these bytes are not an automerge document ({0}); fetch the document again")]
    Malformed(#[source] Box<AutomergeError>),

    /// The document is a different kind of record from the one asked for.
    #[error("this is a {found} document, not a {expected}; open it with the matching type")]
    WrongKind { expected: &'static str, found: String },

    /// The document was written by a newer version of Tandem.
    #[error("this {kind} document has schema {found} but this app knows up to {supported}; update the app")]
    NewerSchema { kind: &'static str, found: u64, supported: u64 },

    /// The document does not have the structure its kind requires.
    #[error("the {kind} document is not shaped as expected ({detail}); it cannot be opened")]
    Shape { kind: &'static str, detail: String },

    /// An edit named a list item that does not exist (perhaps someone else deleted it).
    #[error("there is no {what} with id {id:?}; refresh and try again")]
    NotFound { what: &'static str, id: String },

    /// An edit named an item id that is already used.
    #[error("a {what} with id {id:?} already exists; generate a fresh id")]
    DuplicateId { what: &'static str, id: String },

    /// A text splice reached past the end of the text.
    #[error(
        "the edit at {pos} deleting {delete} reaches past the end of the text ({len} characters); re-read the text and try again"
    )]
    OutOfRange { pos: usize, delete: usize, len: usize },

    /// A raw edit ([`crate::raw`]) aimed at a top-level container the document does not have, or
    /// a scalar at a key that holds a container: raw edits never create or replace structure.
    #[error(
        "the document has no {expected} `{key}` at its top level (it has {found} there), and edits never create one: a document's structure is made with the document"
    )]
    NoContainer { key: String, expected: &'static str, found: &'static str },

    /// A raw edit ([`crate::raw`]) aimed at a Tandem record, which only [`crate::ops`] edits.
    #[error("this is a Tandem {kind} record; edit it in the app, not as a raw document")]
    RawEditOfRecord { kind: String },

    /// The edit is one its maker may not make in this record (another person's private notes, a
    /// stage decision by someone who does not decide): the record's own rule, kept on every device.
    #[error("{0}; ask the person whose part it is")]
    NotAllowed(String),

    /// automerge refused an operation; this is a bug in this crate rather than in the caller.
    #[error("automerge refused an edit ({0}); please report this")]
    Automerge(#[source] Box<AutomergeError>),
}

// automerge's error is large; boxed, every `Result<_, Error>` stays small.
impl From<AutomergeError> for Error {
    fn from(e: AutomergeError) -> Self {
        Error::Automerge(Box::new(e))
    }
}

impl Error {
    pub(crate) fn malformed(e: AutomergeError) -> Self {
        Error::Malformed(Box::new(e))
    }
}
