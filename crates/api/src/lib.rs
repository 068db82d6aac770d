//! The JSON types of the relay's API under `/api`, declared once for both ends: the relay
//! (`tandem-server`) answers with them and the web app (`tandem-web`) reads them.
//!
//! Plain data with serde derives: no HTTP, no I/O, builds for native and `wasm32-unknown-unknown`.
//! Routes, status codes and authentication are the relay's business (`server/src/api`); this crate
//! only says what the bodies look like.
//!
//! The JSON of every type is pinned by `tests/json.rs`. It must not change shape lightly: devices
//! keep [`Me`] and [`DocumentEntry`] as stored settings to open offline, so a field added later
//! has to be optional (or `#[serde(default)]`) for what older apps stored to keep reading.
//!
//! | route | request | answer |
//! |---|---|---|
//! | `POST /api/session` | [`SignIn`] | [`Person`] |
//! | `GET /api/me` | | [`Me`] (410 once the person was purged: the device clears itself) |
//! | `PUT /api/me/password` | [`PasswordChange`] | |
//! | `GET /api/documents` | | `[`[`DocumentEntry`]`]` |
//! | `POST /api/documents` | [`ClaimRequest`] | [`Claim`] |
//! | `GET /api/programs/{program}` | | [`ProgramView`] |
//! | `POST /api/programs/{program}/people` | [`NewPerson`] | [`PersonInProgram`] |
//! | `PUT /api/programs/{program}/people/{person}` | [`RoleChange`] | |
//! | `POST /api/programs/{program}/invitations` | [`NewInvitation`] | [`InvitationLink`] |
//! | `GET /api/programs/{program}/invitations` | | `[`[`PendingInvitation`]`]` |
//! | `DELETE /api/programs/{program}/invitations/{id}` | | |
//! | `GET /api/invitations/{token}` | | [`InvitationView`] (410 with [`ErrorBody::invitation`] saying why not) |
//! | `POST /api/invitations/{token}` | [`AcceptInvitation`] | [`Person`] |
//! | `POST /api/programs/{program}/cohorts` | [`NewCohort`] | [`Cohort`] |
//! | `POST /api/programs/{program}/pairs` | [`NewPair`] | [`Pair`] |
//! | `PATCH /api/pairs/{pair}` | [`PairChange`] | [`Pair`] |
//! | `GET /api/programs/{program}/progress` | | [`ProgramProgress`] |
//! | any error | | [`ErrorBody`] |

use serde::{Deserialize, Serialize};

mod progress;
pub use progress::{GoalCounts, Month, MonthCount, PairProgress, ProgramProgress};

// ---------------------------------------------------------------------------------------------
// People, programs and pairs.

/// What a person is in a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sets up people and pairs; writes the program document.
    Coordinator,
    Mentor,
    Associate,
}

impl Role {
    /// Every role, in the order people are shown.
    pub const ALL: [Role; 3] = [Role::Coordinator, Role::Mentor, Role::Associate];

    /// The role's name on the wire (and in the relay's database).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Mentor => "mentor",
            Role::Associate => "associate",
        }
    }

    /// The role named `name` on the wire, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

/// A person as others see them: never their password or sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// A person's role in one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub program_id: String,
    /// Defaulted because apps before this crate stored their memberships without it.
    #[serde(default)]
    pub person_id: String,
    pub role: Role,
}

/// A group of pairs in a program that meets as a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    pub id: String,
    pub program_id: String,
    pub name: String,
}

/// A mentoring pair; either seat may be empty (someone left the pair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    pub id: String,
    pub program_id: String,
    pub cohort_id: Option<String>,
    pub mentor_id: Option<String>,
    pub associate_id: Option<String>,
}

/// `GET /api/me`: the signed-in person, their programs and roles, their pairs, and the names of
/// the people they work with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The person's fields sit at the top level, beside their memberships and pairs.
    #[serde(flatten)]
    pub person: Person,
    pub memberships: Vec<Membership>,
    pub pairs: Vec<Pair>,
    /// The people this person works with, by program: a coordinator, everyone in the programs
    /// they coordinate; a mentor or an associate, the other seat of their pairs and their
    /// programs' coordinators. Names and roles only, never emails. Defaulted: apps before it
    /// stored their `Me` without it.
    #[serde(default)]
    pub people: Vec<Colleague>,
    /// The cohorts of the person's programs, for naming a pair's cohort.
    #[serde(default)]
    pub cohorts: Vec<Cohort>,
    /// Documents this person could read that were since deleted for good (purged): a device that
    /// holds one deletes its copy. Distinct from a document the relay answers `doc-unavailable`
    /// for, which may only be out of reach for now (a seat emptied, a claim not yet made), and
    /// which the device keeps. Defaulted, and left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub purged: Vec<String>,
}

/// Someone a person works with, as `/api/me` names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    pub id: String,
    pub name: String,
    pub program_id: String,
    pub role: Role,
}

/// One of the signed-in person's access tokens, as `GET /api/me/tokens` lists them (oldest
/// first): never the secret, only the id that `DELETE /api/me/tokens/{id}` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    pub id: String,
    pub label: Option<String>,
    pub created_ms: i64,
    /// `None` for a token made before tokens expired by default.
    pub expires_ms: Option<i64>,
}

/// `POST /api/session`: signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// `PUT /api/me/password`: the current password is asked for, so a stolen session alone cannot
/// change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

// ---------------------------------------------------------------------------------------------
// Documents and who may see them.

/// Who may see a document: recorded by the relay when the document is claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Audience {
    /// Its owner only (drafts, mentor notes).
    Private,
    /// The mentor and the associate of one pair, whoever sits in those seats now.
    Pair { pair_id: String },
    /// One pair and the coordinators of its program (the pair's stage record): they all write.
    PairAndCoordinators { pair_id: String },
    /// Everyone in the program reads; its coordinators write.
    Program { program_id: String },
}

/// What a person may do with a document; ordered, so `access >= Access::Read` reads as it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    None,
    Read,
    Write,
}

/// One entry of `GET /api/documents`: a document the person may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub id: String,
    pub audience: Audience,
    pub owner_id: String,
    pub access: Access,
}

/// `POST /api/documents`: claim a document (an automerge document id) for an audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub id: String,
    pub audience: Audience,
}

/// `POST /api/documents/discard`: a mentor discards a draft observation of theirs, with their
/// private notes about it, for good (from the relay and from every device of theirs). Only the
/// draft's own mentor may, and only while it is a draft; asking again for what is already gone
/// is fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscardRequest {
    /// The draft observation's document id.
    pub draft: String,
    /// The mentor's private notes about it (documents whose `about` is the draft), if any.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// What a discard removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discarded {
    /// The ids removed by this request (not those already gone before it).
    pub removed: Vec<String>,
}

/// A claimed document as the relay recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub audience: Audience,
    pub owner_id: String,
    /// Claimed implicitly by a first sync; its owner may still name a wider audience once.
    pub provisional: bool,
}

// ---------------------------------------------------------------------------------------------
// A coordinator's setup of a program.

/// `GET /api/programs/{program}`: its name, people, cohorts and pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramView {
    pub id: String,
    /// What the console calls the program (`/api/me` names programs by id only).
    pub name: String,
    pub people: Vec<PersonInProgram>,
    pub cohorts: Vec<Cohort>,
    pub pairs: Vec<Pair>,
}

/// A person with their role in the program at hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInProgram {
    #[serde(flatten)]
    pub person: Person,
    pub role: Role,
}

/// `POST /api/programs/{program}/people`. Without a password the person can only use access
/// tokens until one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `PUT /api/programs/{program}/people/{person}`: change the role of someone in the program
/// (someone who is not in it is invited instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    pub role: Role,
}

/// `POST /api/programs/{program}/invitations`: a one-time sign-up link for `email` with `role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Days until the link stops working (1 to 30; the relay's `--invitation-hours` when
    /// missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
}

/// An invitation of the program not yet taken, withdrawn or expired, as the console lists it:
/// never its secret (the link was shown once, when it was made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    /// Names the invitation for withdrawing it; not the link's secret, and no use as one.
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// Why an invitation link can no longer be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationClosed {
    /// Someone took it: it works once.
    Used,
    Expired,
    /// A coordinator withdrew it.
    Withdrawn,
}

/// An invitation just made: its secret, which the link carries (`/#/join/{token}`), shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationLink {
    pub token: String,
    pub expires_ms: i64,
}

/// `GET /api/invitations/{token}`: what the link invites its holder to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub program_name: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub expires_ms: i64,
}

/// `POST /api/invitations/{token}`: the password chosen (a new account) or the account's own
/// (an email that already has one). Signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub password: String,
}

/// `POST /api/programs/{program}/cohorts`; the relay makes up an id when none is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCohort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
}

/// `POST /api/programs/{program}/pairs`; the relay makes up an id when none is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPair {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub mentor_id: String,
    pub associate_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort_id: Option<String>,
}

/// `PATCH /api/pairs/{pair}`: `{"mentor_id": "u-…"}` seats someone; `{"associate_id": null}`
/// empties the seat; a missing field leaves the seat as it is. Hence the two levels of `Option`:
/// the outer one is "mentioned at all", the inner one "who".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairChange {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub mentor_id: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub associate_id: Option<Option<String>>,
}

/// Reads a field that is present (its value may be `null`), so that `default` stands only for a
/// missing field.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

// ---------------------------------------------------------------------------------------------
// A person's export: everything the relay stores about them, as data.

/// The value of [`Export::schema`] this crate writes. A later version only adds fields.
pub const EXPORT_SCHEMA: &str = "tandem-export/1";

/// `tandem admin export --person EMAIL`: one JSON document holding everything the relay stores
/// about a person, for a school answering a request for a person's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// [`EXPORT_SCHEMA`].
    pub schema: String,
    /// When it was made (milliseconds since 1970, UTC).
    pub exported_ms: i64,
    pub person: Person,
    pub memberships: Vec<Membership>,
    pub pairs: Vec<Pair>,
    /// Every record they wrote or received: the documents they own, and their pairs' documents
    /// (the same set a purge of the person removes). The program's own documents are not theirs.
    pub documents: Vec<ExportedDocument>,
    /// The access record's lines about them (what was disclosed to them, exports, purges).
    pub access_record: Vec<AccessRecordLine>,
}

/// One record in an [`Export`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedDocument {
    /// Its automerge document id.
    pub id: String,
    pub audience: Audience,
    pub owner_id: String,
    /// What the record says it is: `observation`, `goals`, `mentor-notes`, `pair-index`, ...
    pub kind: Option<String>,
    /// The record's current content as JSON (automerge maps as objects, lists as arrays, text as
    /// strings); `null` when nothing readable is stored.
    pub content: serde_json::Value,
}

/// One line of the relay's access record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecordLine {
    pub at_ms: i64,
    /// `disclosure`, `export` or `purge`.
    pub action: String,
    /// Who did it: a person's id, or `tandem admin`.
    pub actor: String,
    pub person_id: Option<String>,
    pub pair_id: Option<String>,
    pub document_id: Option<String>,
    pub device: Option<String>,
    pub detail: String,
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// The body of every error answer, whatever its status: a sentence for the person that says what
/// to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    /// On a 410 for an invitation link: why it cannot be taken, so its page can say so. Missing
    /// for a link the relay does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationClosed>,
}
