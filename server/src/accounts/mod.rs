//! People, programs, cohorts, mentoring pairs and roles; passwords, sessions and access tokens.
//!
//! Everything here is plain functions over a `rusqlite::Connection`, so the HTTP API
//! ([`crate::api`]), `tandem admin` and the demo loader share one set of rules. Secrets are never
//! stored: passwords as argon2id hashes, session and access tokens as their SHA-256.
//!
//! - [`Role`]: what a person is in one program. A person may belong to several programs.
//! - [`Pair`]: a mentor and an associate; either seat may be empty (someone left the pair).
//! - sessions and tokens share one table: a session comes from signing in and expires; a token
//!   comes from `tandem admin token`, for devices and scripts that cannot sign in through a page.
//! - [`throttle`]: slowing down repeated failed sign-ins.

pub mod throttle;

use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why an account operation did not happen. Each maps to one HTTP status in the API.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The request names something that does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what exists (409).
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed or breaks a rule (400).
    #[error("{0}")]
    Invalid(String),
    /// The person may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

/// What a person is in a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sets up people and pairs; writes the program document.
    Coordinator,
    Mentor,
    Associate,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Mentor => "mentor",
            Role::Associate => "associate",
        }
    }

    fn with_article(self) -> &'static str {
        match self {
            Role::Coordinator => "a coordinator",
            Role::Mentor => "a mentor",
            Role::Associate => "an associate",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "coordinator" => Some(Role::Coordinator),
            "mentor" => Some(Role::Mentor),
            "associate" => Some(Role::Associate),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub program_id: String,
    pub person_id: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cohort {
    pub id: String,
    pub program_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub id: String,
    pub program_id: String,
    pub cohort_id: Option<String>,
    pub mentor_id: Option<String>,
    pub associate_id: Option<String>,
}

/// Milliseconds since the Unix epoch: the relay's clock for sessions and claims.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A fresh id such as `u-3f9a0c1e2b7d`, for records whose creator did not name them.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:012x}", rand::rng().random::<u64>() & 0xffff_ffff_ffff)
}

fn check_id(what: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "{what} id {id:?} is not valid; use up to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

fn normalise_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(AccountError::Invalid(format!("{email:?} is not an email address")));
    }
    Ok(email)
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(AccountError::Invalid("a name must have 1 to 200 characters".into()));
    }
    Ok(())
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=1024).contains(&chars) {
        return Err(AccountError::Invalid(format!(
            "a password must have at least {MIN_PASSWORD_CHARS} characters (and at most 1024)"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Passwords.

/// Hashes a password with argon2id and a random salt (the PHC string keeps the parameters, so
/// stronger defaults later still verify older hashes). Slow on purpose: call it off the runtime.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes make a valid salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches, verified when an email is unknown so that an unknown email takes
/// as long to refuse as a wrong password (nobody learns which emails have accounts by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&format!("{:032x}", rand::random::<u128>())))
}

// ---------------------------------------------------------------------------------------------
// Programs, people, memberships, cohorts, pairs.

pub fn create_program(db: &Connection, id: Option<&str>, name: &str) -> Result<String> {
    check_name(name)?;
    let id = id.map_or_else(|| new_id("prog"), str::to_owned);
    check_id("program", &id)?;
    let inserted =
        db.execute("INSERT OR IGNORE INTO programs (id, name) VALUES (?1, ?2)", params![id, name])?;
    if inserted == 0 {
        return Err(AccountError::Conflict(format!("a program with id {id:?} already exists")));
    }
    Ok(id)
}

pub fn program_exists(db: &Connection, id: &str) -> Result<bool> {
    Ok(db.query_row("SELECT 1 FROM programs WHERE id = ?1", [id], |_| Ok(())).optional()?.is_some())
}

fn require_program(db: &Connection, id: &str) -> Result<()> {
    if program_exists(db, id)? {
        Ok(())
    } else {
        Err(AccountError::NotFound(format!("there is no program {id:?}")))
    }
}

/// Adds a person; `password` may be `None` for someone who will only use access tokens.
pub fn add_person(
    db: &Connection,
    id: Option<&str>,
    email: &str,
    name: &str,
    password: Option<&str>,
) -> Result<Person> {
    let email = normalise_email(email)?;
    check_name(name)?;
    let id = id.map_or_else(|| new_id("u"), str::to_owned);
    check_id("person", &id)?;
    if let Some(password) = password {
        check_password(password)?;
    }
    if find_person_by_email(db, &email)?.is_some() {
        return Err(AccountError::Conflict(format!("someone with the email {email} already exists")));
    }
    let hash = password.map(hash_password);
    let inserted = db.execute(
        "INSERT OR IGNORE INTO people (id, email, name, password_hash) VALUES (?1, ?2, ?3, ?4)",
        params![id, email, name, hash],
    )?;
    if inserted == 0 {
        return Err(AccountError::Conflict(format!("a person with id {id:?} already exists")));
    }
    Ok(Person { id, email, name: name.to_owned() })
}

fn person_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    Ok(Person { id: row.get(0)?, email: row.get(1)?, name: row.get(2)? })
}

pub fn find_person_by_email(db: &Connection, email: &str) -> Result<Option<Person>> {
    let email = email.trim().to_lowercase();
    Ok(db
        .query_row("SELECT id, email, name FROM people WHERE email = ?1", [email], person_from_row)
        .optional()?)
}

pub fn person(db: &Connection, id: &str) -> Result<Person> {
    db.query_row("SELECT id, email, name FROM people WHERE id = ?1", [id], person_from_row)
        .optional()?
        .ok_or_else(|| AccountError::NotFound(format!("there is no person {id:?}")))
}

/// Finds a person by id or by email (the command line accepts either).
pub fn person_by_id_or_email(db: &Connection, key: &str) -> Result<Person> {
    if key.contains('@') {
        find_person_by_email(db, key)?
            .ok_or_else(|| AccountError::NotFound(format!("there is no person with the email {key}")))
    } else {
        person(db, key)
    }
}

/// Gives a person a role in a program (replacing the role they had there).
pub fn set_membership(db: &Connection, program_id: &str, person_id: &str, role: Role) -> Result<()> {
    require_program(db, program_id)?;
    person(db, person_id)?;
    db.execute(
        "INSERT INTO memberships (program_id, person_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (program_id, person_id) DO UPDATE SET role = excluded.role",
        params![program_id, person_id, role.as_str()],
    )?;
    Ok(())
}

/// Removes a person from a program, and so from its pairs; takes effect on live connections at
/// once, because the sync policy reads the database for every message.
pub fn remove_membership(db: &Connection, program_id: &str, person_id: &str) -> Result<()> {
    let removed = db.execute(
        "DELETE FROM memberships WHERE program_id = ?1 AND person_id = ?2",
        params![program_id, person_id],
    )?;
    if removed == 0 {
        return Err(AccountError::NotFound(format!("{person_id:?} is not in the program {program_id:?}")));
    }
    db.execute(
        "UPDATE pairs SET mentor_id = NULL WHERE program_id = ?1 AND mentor_id = ?2",
        params![program_id, person_id],
    )?;
    db.execute(
        "UPDATE pairs SET associate_id = NULL WHERE program_id = ?1 AND associate_id = ?2",
        params![program_id, person_id],
    )?;
    Ok(())
}

pub fn role_in(db: &Connection, program_id: &str, person_id: &str) -> Result<Option<Role>> {
    let role: Option<String> = db
        .query_row(
            "SELECT role FROM memberships WHERE program_id = ?1 AND person_id = ?2",
            params![program_id, person_id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

pub fn memberships_of(db: &Connection, person_id: &str) -> Result<Vec<Membership>> {
    let mut statement = db.prepare_cached(
        "SELECT program_id, role FROM memberships WHERE person_id = ?1 ORDER BY program_id",
    )?;
    let rows = statement.query_map([person_id], |row| {
        let role: String = row.get(1)?;
        Ok(Membership {
            program_id: row.get(0)?,
            person_id: person_id.to_owned(),
            role: Role::parse(&role).unwrap_or(Role::Associate),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn members_of(db: &Connection, program_id: &str) -> Result<Vec<(Person, Role)>> {
    let mut statement = db.prepare_cached(
        "SELECT p.id, p.email, p.name, m.role FROM memberships m JOIN people p ON p.id = m.person_id
         WHERE m.program_id = ?1 ORDER BY p.name",
    )?;
    let rows = statement.query_map([program_id], |row| {
        let role: String = row.get(3)?;
        Ok((person_from_row(row)?, Role::parse(&role).unwrap_or(Role::Associate)))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn add_cohort(db: &Connection, program_id: &str, id: Option<&str>, name: &str) -> Result<Cohort> {
    require_program(db, program_id)?;
    check_name(name)?;
    let id = id.map_or_else(|| new_id("cohort"), str::to_owned);
    check_id("cohort", &id)?;
    let inserted = db.execute(
        "INSERT OR IGNORE INTO cohorts (id, program_id, name) VALUES (?1, ?2, ?3)",
        params![id, program_id, name],
    )?;
    if inserted == 0 {
        return Err(AccountError::Conflict(format!("a cohort with id {id:?} already exists")));
    }
    Ok(Cohort { id, program_id: program_id.to_owned(), name: name.to_owned() })
}

pub fn cohorts_of(db: &Connection, program_id: &str) -> Result<Vec<Cohort>> {
    let mut statement =
        db.prepare_cached("SELECT id, name FROM cohorts WHERE program_id = ?1 ORDER BY id")?;
    let rows = statement.query_map([program_id], |row| {
        Ok(Cohort { id: row.get(0)?, program_id: program_id.to_owned(), name: row.get(1)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn require_role(db: &Connection, program_id: &str, person_id: &str, seat: &str, role: Role) -> Result<()> {
    match role_in(db, program_id, person_id)? {
        Some(r) if r == role => Ok(()),
        _ => Err(AccountError::Invalid(format!(
            "the {seat} of a pair must be {} in the program {program_id:?}; {person_id:?} is not",
            role.with_article()
        ))),
    }
}

/// Creates a mentoring pair. The mentor must be a mentor and the associate an associate of the
/// program.
pub fn add_pair(
    db: &Connection,
    program_id: &str,
    id: Option<&str>,
    mentor_id: &str,
    associate_id: &str,
    cohort_id: Option<&str>,
) -> Result<Pair> {
    require_program(db, program_id)?;
    let id = id.map_or_else(|| new_id("pair"), str::to_owned);
    check_id("pair", &id)?;
    require_role(db, program_id, mentor_id, "mentor", Role::Mentor)?;
    require_role(db, program_id, associate_id, "associate", Role::Associate)?;
    if let Some(cohort) = cohort_id
        && !cohorts_of(db, program_id)?.iter().any(|c| c.id == cohort)
    {
        return Err(AccountError::NotFound(format!(
            "there is no cohort {cohort:?} in the program {program_id:?}"
        )));
    }
    let inserted = db.execute(
        "INSERT OR IGNORE INTO pairs (id, program_id, cohort_id, mentor_id, associate_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, program_id, cohort_id, mentor_id, associate_id],
    )?;
    if inserted == 0 {
        return Err(AccountError::Conflict(format!("a pair with id {id:?} already exists")));
    }
    Ok(Pair {
        id,
        program_id: program_id.to_owned(),
        cohort_id: cohort_id.map(str::to_owned),
        mentor_id: Some(mentor_id.to_owned()),
        associate_id: Some(associate_id.to_owned()),
    })
}

fn pair_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Pair> {
    Ok(Pair {
        id: row.get(0)?,
        program_id: row.get(1)?,
        cohort_id: row.get(2)?,
        mentor_id: row.get(3)?,
        associate_id: row.get(4)?,
    })
}

pub fn pair(db: &Connection, id: &str) -> Result<Pair> {
    db.query_row(
        "SELECT id, program_id, cohort_id, mentor_id, associate_id FROM pairs WHERE id = ?1",
        [id],
        pair_from_row,
    )
    .optional()?
    .ok_or_else(|| AccountError::NotFound(format!("there is no pair {id:?}")))
}

pub fn pairs_of_program(db: &Connection, program_id: &str) -> Result<Vec<Pair>> {
    let mut statement = db.prepare_cached(
        "SELECT id, program_id, cohort_id, mentor_id, associate_id FROM pairs WHERE program_id = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([program_id], pair_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn pairs_of_person(db: &Connection, person_id: &str) -> Result<Vec<Pair>> {
    let mut statement = db.prepare_cached(
        "SELECT id, program_id, cohort_id, mentor_id, associate_id FROM pairs
         WHERE mentor_id = ?1 OR associate_id = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([person_id], pair_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Which seat of a pair to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Mentor,
    Associate,
}

/// Puts someone in a pair's seat, or empties it (`None`). Takes effect on live connections at once.
pub fn set_pair_seat(db: &Connection, pair_id: &str, seat: Seat, person_id: Option<&str>) -> Result<Pair> {
    let current = pair(db, pair_id)?;
    let (column, role, name) = match seat {
        Seat::Mentor => ("mentor_id", Role::Mentor, "mentor"),
        Seat::Associate => ("associate_id", Role::Associate, "associate"),
    };
    if let Some(person_id) = person_id {
        require_role(db, &current.program_id, person_id, name, role)?;
    }
    db.execute(&format!("UPDATE pairs SET {column} = ?1 WHERE id = ?2"), params![person_id, pair_id])?;
    pair(db, pair_id)
}

// ---------------------------------------------------------------------------------------------
// Sign-in, sessions and access tokens.

/// A session or access token as the client holds it: 32 random bytes in hex.
fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The person whose email and password these are, or `None`. Always runs one argon2
/// verification, so answers take as long whether or not the email exists.
pub fn check_sign_in(db: &Connection, email: &str, password: &str) -> Result<Option<Person>> {
    let found: Option<(Person, Option<String>)> = db
        .query_row(
            "SELECT id, email, name, password_hash FROM people WHERE email = ?1",
            [email.trim().to_lowercase()],
            |row| Ok((person_from_row(row)?, row.get(3)?)),
        )
        .optional()?;
    let hash = found.as_ref().and_then(|(_, hash)| hash.clone());
    let matches = verify_password(password, hash.as_deref().unwrap_or_else(|| decoy_hash()));
    Ok(found.filter(|_| matches && hash.is_some()).map(|(person, _)| person))
}

/// Starts a session for a person; returns the secret for the cookie (only its hash is stored).
pub fn create_session(db: &Connection, person_id: &str, now_ms: i64, lifetime_ms: i64) -> Result<String> {
    let secret = new_secret();
    db.execute(
        "INSERT INTO sessions (token_hash, person_id, kind, created_ms, expires_ms) VALUES (?1, ?2, 'session', ?3, ?4)",
        params![secret_hash(&secret), person_id, now_ms, now_ms + lifetime_ms],
    )?;
    Ok(secret)
}

/// Creates an access token for a person, valid for `lifetime_ms` or forever; returns the secret,
/// which is shown once and never stored.
pub fn create_token(
    db: &Connection,
    person_id: &str,
    label: Option<&str>,
    now_ms: i64,
    lifetime_ms: Option<i64>,
) -> Result<String> {
    person(db, person_id)?;
    let secret = format!("tandem_{}", new_secret());
    db.execute(
        "INSERT INTO sessions (token_hash, person_id, kind, label, created_ms, expires_ms) VALUES (?1, ?2, 'token', ?3, ?4, ?5)",
        params![secret_hash(&secret), person_id, label, now_ms, lifetime_ms.map(|l| now_ms + l)],
    )?;
    Ok(secret)
}

/// The person a session or token belongs to, if it exists and has not expired.
pub fn authenticate(db: &Connection, secret: &str, now_ms: i64) -> Result<Option<String>> {
    if secret.is_empty() || secret.len() > 200 {
        return Ok(None);
    }
    Ok(db
        .prepare_cached(
            "SELECT person_id FROM sessions WHERE token_hash = ?1 AND (expires_ms IS NULL OR expires_ms > ?2)",
        )?
        .query_row(params![secret_hash(secret), now_ms], |row| row.get(0))
        .optional()?)
}

/// Ends one session (logout). Ending an unknown session is not an error.
pub fn end_session(db: &Connection, secret: &str) -> Result<()> {
    db.execute("DELETE FROM sessions WHERE token_hash = ?1 AND kind = 'session'", [secret_hash(secret)])?;
    Ok(())
}

/// Sets a new password and ends every session of the person except `keep` (the one that asked).
/// Access tokens stay: they are managed with `tandem admin`.
pub fn set_password(db: &Connection, person_id: &str, password: &str, keep: Option<&str>) -> Result<()> {
    check_password(password)?;
    person(db, person_id)?;
    db.execute(
        "UPDATE people SET password_hash = ?1 WHERE id = ?2",
        params![hash_password(password), person_id],
    )?;
    db.execute(
        "DELETE FROM sessions WHERE person_id = ?1 AND kind = 'session' AND token_hash IS NOT ?2",
        params![person_id, keep.map(secret_hash)],
    )?;
    Ok(())
}

/// Checks `current` before setting `new`: a stolen session alone cannot change the password.
pub fn change_password(db: &Connection, person_id: &str, current: &str, new: &str, keep: &str) -> Result<()> {
    let email = person(db, person_id)?.email;
    if check_sign_in(db, &email, current)?.is_none() {
        return Err(AccountError::Forbidden("the current password is wrong".into()));
    }
    set_password(db, person_id, new, Some(keep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::storage::Storage::open_in(dir.path()).unwrap();
        let db = storage.connect().unwrap();
        (dir, db)
    }

    #[test]
    fn a_password_verifies_against_its_argon2id_hash_and_nothing_else_does() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn sessions_are_stored_hashed_and_expire() {
        let (_dir, db) = db();
        let p = add_person(&db, None, "Ann@School.example", "Ann", Some("long enough pw")).unwrap();
        assert_eq!(p.email, "ann@school.example");
        let secret = create_session(&db, &p.id, 1_000, 500).unwrap();
        let stored: String = db.query_row("SELECT token_hash FROM sessions", [], |r| r.get(0)).unwrap();
        assert_ne!(stored, secret, "the secret itself is never stored");
        assert_eq!(authenticate(&db, &secret, 1_400).unwrap(), Some(p.id.clone()));
        assert_eq!(authenticate(&db, &secret, 1_500).unwrap(), None, "expired");
        assert_eq!(authenticate(&db, "wrong", 1_000).unwrap(), None);
    }

    #[test]
    fn changing_a_password_needs_the_current_one_and_ends_other_sessions() {
        let (_dir, db) = db();
        let p = add_person(&db, None, "a@b.example", "A", Some("first password")).unwrap();
        let mine = create_session(&db, &p.id, 0, i64::MAX / 2).unwrap();
        let other = create_session(&db, &p.id, 0, i64::MAX / 2).unwrap();
        let error = change_password(&db, &p.id, "not it at all", "second password", &mine).unwrap_err();
        assert!(matches!(error, AccountError::Forbidden(_)), "{error}");
        change_password(&db, &p.id, "first password", "second password", &mine).unwrap();
        assert!(authenticate(&db, &mine, 1).unwrap().is_some());
        assert!(authenticate(&db, &other, 1).unwrap().is_none());
        assert!(check_sign_in(&db, "a@b.example", "second password").unwrap().is_some());
        assert!(check_sign_in(&db, "a@b.example", "first password").unwrap().is_none());
    }

    #[test]
    fn a_pair_needs_a_mentor_and_an_associate_of_its_program() {
        let (_dir, db) = db();
        let program = create_program(&db, Some("prog"), "P").unwrap();
        let m = add_person(&db, None, "m@x.example", "M", None).unwrap();
        let a = add_person(&db, None, "a@x.example", "A", None).unwrap();
        set_membership(&db, &program, &m.id, Role::Mentor).unwrap();
        let error = add_pair(&db, &program, None, &m.id, &a.id, None).unwrap_err();
        assert!(error.to_string().contains("must be an associate"), "{error}");
        set_membership(&db, &program, &a.id, Role::Associate).unwrap();
        let pair = add_pair(&db, &program, Some("pair-1"), &m.id, &a.id, None).unwrap();
        assert!(matches!(
            add_pair(&db, &program, Some("pair-1"), &m.id, &a.id, None),
            Err(AccountError::Conflict(_))
        ));
        remove_membership(&db, &program, &a.id).unwrap();
        assert_eq!(super::pair(&db, &pair.id).unwrap().associate_id, None);
    }
}
