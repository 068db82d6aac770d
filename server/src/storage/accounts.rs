//! The accounts tables' statements: programs, people, memberships, cohorts, pairs, sessions and
//! access tokens.
//!
//! Rows in, rows out: no rules. What may be written (valid ids, a mentor in the mentor's seat,
//! passwords long enough) is decided by [`crate::accounts`] before it calls these; an `INSERT`
//! answers whether it inserted, so the caller can say which id was taken.

use tandem_api::{Cohort, Colleague, Membership, Pair, Person, Role};

use super::db::{Db, DbResult as Result, Row};
use crate::accounts::Seat;

// ---------------------------------------------------------------------------------------------
// Programs.

/// Inserts a program; `false` when its id is taken.
pub fn insert_program(db: &Db, id: &str, name: &str) -> Result<bool> {
    Ok(db.execute("INSERT INTO programs (id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING", &[&id, &name])?
        == 1)
}

pub fn program_name(db: &Db, id: &str) -> Result<Option<String>> {
    db.query_opt("SELECT name FROM programs WHERE id = ?1", &[&id], |row| row.get(0))
}

pub fn program_exists(db: &Db, id: &str) -> Result<bool> {
    db.exists("SELECT 1 FROM programs WHERE id = ?1", &[&id])
}

// ---------------------------------------------------------------------------------------------
// People and their passwords.

/// Inserts a person (email already normalised); `false` when their id is taken.
pub fn insert_person(db: &Db, person: &Person, password_hash: Option<&str>) -> Result<bool> {
    let inserted = db.execute(
        "INSERT INTO people (id, email, name, password_hash) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        &[&person.id, &person.email, &person.name, &password_hash],
    )?;
    Ok(inserted == 1)
}

fn person_from_row(row: &Row<'_>) -> Result<Person> {
    Ok(Person { id: row.get(0)?, email: row.get(1)?, name: row.get(2)? })
}

pub fn person_by_id(db: &Db, id: &str) -> Result<Option<Person>> {
    db.query_opt("SELECT id, email, name FROM people WHERE id = ?1", &[&id], person_from_row)
}

/// The person with this (normalised) email.
pub fn person_by_email(db: &Db, email: &str) -> Result<Option<Person>> {
    db.query_opt("SELECT id, email, name FROM people WHERE email = ?1", &[&email], person_from_row)
}

/// The person with this (normalised) email and their password hash, if they have a password.
pub fn person_and_password_by_email(db: &Db, email: &str) -> Result<Option<(Person, Option<String>)>> {
    db.query_opt("SELECT id, email, name, password_hash FROM people WHERE email = ?1", &[&email], |row| {
        Ok((person_from_row(row)?, row.get(3)?))
    })
}

pub fn set_password_hash(db: &Db, person_id: &str, hash: &str) -> Result<()> {
    db.execute("UPDATE people SET password_hash = ?1 WHERE id = ?2", &[&hash, &person_id])?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Memberships.

/// Gives a person a role in a program, replacing the role they had there.
pub fn upsert_membership(db: &Db, program_id: &str, person_id: &str, role: Role) -> Result<()> {
    db.execute(
        "INSERT INTO memberships (program_id, person_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (program_id, person_id) DO UPDATE SET role = excluded.role",
        &[&program_id, &person_id, &role.as_str()],
    )?;
    Ok(())
}

/// Removes a membership; `false` when there was none.
pub fn delete_membership(db: &Db, program_id: &str, person_id: &str) -> Result<bool> {
    let removed = db.execute(
        "DELETE FROM memberships WHERE program_id = ?1 AND person_id = ?2",
        &[&program_id, &person_id],
    )?;
    Ok(removed == 1)
}

/// Role names are checked by the table (`CHECK`), so an unknown one cannot be stored; reading one
/// anyway (a hand-edited database) counts as the least privileged role.
fn role_from_column(name: &str) -> Role {
    Role::parse(name).unwrap_or(Role::Associate)
}

pub fn role_in(db: &Db, program_id: &str, person_id: &str) -> Result<Option<Role>> {
    let role: Option<String> = db.query_opt(
        "SELECT role FROM memberships WHERE program_id = ?1 AND person_id = ?2",
        &[&program_id, &person_id],
        |row| row.get(0),
    )?;
    Ok(role.as_deref().map(role_from_column))
}

pub fn memberships_of(db: &Db, person_id: &str) -> Result<Vec<Membership>> {
    db.query(
        "SELECT program_id, role FROM memberships WHERE person_id = ?1 ORDER BY program_id",
        &[&person_id],
        |row| {
            Ok(Membership {
                program_id: row.get(0)?,
                person_id: person_id.to_owned(),
                role: role_from_column(&row.get::<String>(1)?),
            })
        },
    )
}

/// A program's people with their roles, by name.
pub fn members_of(db: &Db, program_id: &str) -> Result<Vec<(Person, Role)>> {
    db.query(
        "SELECT p.id, p.email, p.name, m.role FROM memberships m JOIN people p ON p.id = m.person_id
         WHERE m.program_id = ?1 ORDER BY p.name",
        &[&program_id],
        |row| Ok((person_from_row(row)?, role_from_column(&row.get::<String>(3)?))),
    )
}

/// The people `person_id` works with, by program, with their roles (names, never emails): in a
/// program they coordinate, everyone; elsewhere, that program's coordinators and whoever sits in
/// the other seat of their pairs.
pub fn colleagues_of(db: &Db, person_id: &str) -> Result<Vec<Colleague>> {
    db.query(
        "SELECT DISTINCT p.id, p.name, them.program_id, them.role
         FROM memberships mine
         JOIN memberships them ON them.program_id = mine.program_id
         JOIN people p ON p.id = them.person_id
         WHERE mine.person_id = ?1 AND them.person_id <> ?1
           AND (mine.role = 'coordinator' OR them.role = 'coordinator'
                OR EXISTS (SELECT 1 FROM pairs x WHERE x.program_id = mine.program_id
                           AND ((x.mentor_id = ?1 AND x.associate_id = them.person_id)
                             OR (x.associate_id = ?1 AND x.mentor_id = them.person_id))))
         ORDER BY them.program_id, p.name, p.id",
        &[&person_id],
        |row| {
            Ok(Colleague {
                id: row.get(0)?,
                name: row.get(1)?,
                program_id: row.get(2)?,
                role: role_from_column(&row.get::<String>(3)?),
            })
        },
    )
}

/// The cohorts of every program `person_id` belongs to.
pub fn cohorts_of_person(db: &Db, person_id: &str) -> Result<Vec<Cohort>> {
    db.query(
        "SELECT c.id, c.program_id, c.name FROM cohorts c
         JOIN memberships m ON m.program_id = c.program_id WHERE m.person_id = ?1 ORDER BY c.id",
        &[&person_id],
        |row| Ok(Cohort { id: row.get(0)?, program_id: row.get(1)?, name: row.get(2)? }),
    )
}

// ---------------------------------------------------------------------------------------------
// Cohorts.

/// Inserts a cohort; `false` when its id is taken.
pub fn insert_cohort(db: &Db, cohort: &Cohort) -> Result<bool> {
    let inserted = db.execute(
        "INSERT INTO cohorts (id, program_id, name) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        &[&cohort.id, &cohort.program_id, &cohort.name],
    )?;
    Ok(inserted == 1)
}

pub fn cohorts_of(db: &Db, program_id: &str) -> Result<Vec<Cohort>> {
    db.query("SELECT id, name FROM cohorts WHERE program_id = ?1 ORDER BY id", &[&program_id], |row| {
        Ok(Cohort { id: row.get(0)?, program_id: program_id.to_owned(), name: row.get(1)? })
    })
}

// ---------------------------------------------------------------------------------------------
// Pairs.

/// Inserts a pair; `false` when its id is taken.
pub fn insert_pair(db: &Db, pair: &Pair) -> Result<bool> {
    let inserted = db.execute(
        "INSERT INTO pairs (id, program_id, cohort_id, mentor_id, associate_id) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        &[&pair.id, &pair.program_id, &pair.cohort_id, &pair.mentor_id, &pair.associate_id],
    )?;
    Ok(inserted == 1)
}

fn pair_from_row(row: &Row<'_>) -> Result<Pair> {
    Ok(Pair {
        id: row.get(0)?,
        program_id: row.get(1)?,
        cohort_id: row.get(2)?,
        mentor_id: row.get(3)?,
        associate_id: row.get(4)?,
    })
}

pub fn pair(db: &Db, id: &str) -> Result<Option<Pair>> {
    db.query_opt(
        "SELECT id, program_id, cohort_id, mentor_id, associate_id FROM pairs WHERE id = ?1",
        &[&id],
        pair_from_row,
    )
}

pub fn pairs_of_program(db: &Db, program_id: &str) -> Result<Vec<Pair>> {
    db.query(
        "SELECT id, program_id, cohort_id, mentor_id, associate_id FROM pairs WHERE program_id = ?1 ORDER BY id",
        &[&program_id],
        pair_from_row,
    )
}

pub fn pairs_of_person(db: &Db, person_id: &str) -> Result<Vec<Pair>> {
    db.query(
        "SELECT id, program_id, cohort_id, mentor_id, associate_id FROM pairs
         WHERE mentor_id = ?1 OR associate_id = ?1 ORDER BY id",
        &[&person_id],
        pair_from_row,
    )
}

/// Whether `person_id` sits in either seat of the pair.
pub fn is_seated(db: &Db, pair_id: &str, person_id: &str) -> Result<bool> {
    db.exists(
        "SELECT 1 FROM pairs WHERE id = ?1 AND (mentor_id = ?2 OR associate_id = ?2)",
        &[&pair_id, &person_id],
    )
}

/// Puts someone in a pair's seat, or empties it (`None`).
pub fn set_seat(db: &Db, pair_id: &str, seat: Seat, person_id: Option<&str>) -> Result<()> {
    let statement = match seat {
        Seat::Mentor => "UPDATE pairs SET mentor_id = ?1 WHERE id = ?2",
        Seat::Associate => "UPDATE pairs SET associate_id = ?1 WHERE id = ?2",
    };
    db.execute(statement, &[&person_id, &pair_id])?;
    Ok(())
}

/// Empties every seat `person_id` holds in the program's pairs.
pub fn empty_seats_of(db: &Db, program_id: &str, person_id: &str) -> Result<()> {
    db.execute(
        "UPDATE pairs SET mentor_id = NULL WHERE program_id = ?1 AND mentor_id = ?2",
        &[&program_id, &person_id],
    )?;
    db.execute(
        "UPDATE pairs SET associate_id = NULL WHERE program_id = ?1 AND associate_id = ?2",
        &[&program_id, &person_id],
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sessions and access tokens: one table, rows keyed by the secret's hash.

/// Which kind of secret a row holds: a session ends by signing out or expiring; a token is
/// managed with `tandem admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Session,
    Token,
}

/// A session or token row to insert.
#[derive(Debug)]
pub struct NewSecret<'a> {
    pub hash: &'a str,
    pub person_id: &'a str,
    pub kind: SecretKind,
    pub label: Option<&'a str>,
    pub created_ms: i64,
    /// `None`: never expires.
    pub expires_ms: Option<i64>,
}

pub fn insert_secret(db: &Db, secret: &NewSecret<'_>) -> Result<()> {
    let kind = match secret.kind {
        SecretKind::Session => "session",
        SecretKind::Token => "token",
    };
    db.execute(
        "INSERT INTO sessions (token_hash, person_id, kind, label, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[&secret.hash, &secret.person_id, &kind, &secret.label, &secret.created_ms, &secret.expires_ms],
    )?;
    Ok(())
}

/// What a stored secret is: whose, which kind, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRow {
    pub person_id: String,
    pub kind: SecretKind,
    pub expires_ms: Option<i64>,
}

fn kind_from_column(name: &str) -> SecretKind {
    if name == "token" { SecretKind::Token } else { SecretKind::Session }
}

/// The secret with this hash, if it has not expired at `now_ms`.
pub fn secret_by_hash(db: &Db, hash: &str, now_ms: i64) -> Result<Option<SecretRow>> {
    db.query_opt(
        "SELECT person_id, kind, expires_ms FROM sessions
         WHERE token_hash = ?1 AND (expires_ms IS NULL OR expires_ms > ?2)",
        &[&hash, &now_ms],
        |row| {
            Ok(SecretRow {
                person_id: row.get(0)?,
                kind: kind_from_column(&row.get::<String>(1)?),
                expires_ms: row.get(2)?,
            })
        },
    )
}

/// Ends the session or token with this hash.
pub fn delete_secret(db: &Db, hash: &str) -> Result<()> {
    db.execute("DELETE FROM sessions WHERE token_hash = ?1", &[&hash])?;
    Ok(())
}

/// Ends every session of a person except the one with the hash `keep` (tokens are left alone).
pub fn delete_sessions_except(db: &Db, person_id: &str, keep: Option<&str>) -> Result<()> {
    db.execute(
        "DELETE FROM sessions WHERE person_id = ?1 AND kind = 'session' AND (CAST(?2 AS TEXT) IS NULL OR token_hash <> ?2)",
        &[&person_id, &keep],
    )?;
    Ok(())
}

/// A person's access tokens, as stored (the hash, never the secret), oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub hash: String,
    pub label: Option<String>,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
}

pub fn tokens_of(db: &Db, person_id: &str) -> Result<Vec<TokenRow>> {
    db.query(
        "SELECT token_hash, label, created_ms, expires_ms FROM sessions
         WHERE person_id = ?1 AND kind = 'token' ORDER BY created_ms, token_hash",
        &[&person_id],
        |row| {
            Ok(TokenRow {
                hash: row.get(0)?,
                label: row.get(1)?,
                created_ms: row.get(2)?,
                expires_ms: row.get(3)?,
            })
        },
    )
}

/// The hashes of the tokens whose hash starts with `prefix` (a token's listed id), of anyone or,
/// with `person_id`, of that person only.
pub fn token_hashes_with_prefix(db: &Db, prefix: &str, person_id: Option<&str>) -> Result<Vec<String>> {
    db.query(
        "SELECT token_hash FROM sessions
         WHERE kind = 'token' AND substr(token_hash, 1, length(CAST(?1 AS TEXT))) = CAST(?1 AS TEXT)
           AND (CAST(?2 AS TEXT) IS NULL OR person_id = CAST(?2 AS TEXT))",
        &[&prefix, &person_id],
        |row| row.get(0),
    )
}

// ---------------------------------------------------------------------------------------------
// Invitations: one-time sign-up links, keyed by the link's hash.

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub program_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub expires_ms: i64,
    pub used_ms: Option<i64>,
}

pub fn insert_invitation(
    db: &Db,
    hash: &str,
    row: &InvitationRow,
    created_by: &str,
    created_ms: i64,
) -> Result<()> {
    db.execute(
        "INSERT INTO invitations (token_hash, program_id, email, name, role, created_by, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[&hash, &row.program_id, &row.email, &row.name, &row.role.as_str(), &created_by, &created_ms, &row.expires_ms],
    )?;
    Ok(())
}

pub fn invitation(db: &Db, hash: &str) -> Result<Option<InvitationRow>> {
    db.query_opt(
        "SELECT program_id, email, name, role, expires_ms, used_ms FROM invitations WHERE token_hash = ?1",
        &[&hash],
        |row| {
            Ok(InvitationRow {
                program_id: row.get(0)?,
                email: row.get(1)?,
                name: row.get(2)?,
                role: role_from_column(&row.get::<String>(3)?),
                expires_ms: row.get(4)?,
                used_ms: row.get(5)?,
            })
        },
    )
}

/// Marks an unused invitation used at `now_ms`; `false` when it was used already (by a
/// concurrent request, say), so exactly one taker wins.
pub fn use_invitation(db: &Db, hash: &str, now_ms: i64) -> Result<bool> {
    let updated = db.execute(
        "UPDATE invitations SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms IS NULL",
        &[&hash, &now_ms],
    )?;
    Ok(updated == 1)
}
