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
        "INSERT INTO sessions (token_hash, person_id, kind, label, created_ms, expires_ms, last_used_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
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
    /// When it was last used (to the minute); `None` for rows from before it was recorded.
    pub last_used_ms: Option<i64>,
}

fn kind_from_column(name: &str) -> SecretKind {
    if name == "token" { SecretKind::Token } else { SecretKind::Session }
}

/// The secret with this hash, if it has not expired at `now_ms`.
pub fn secret_by_hash(db: &Db, hash: &str, now_ms: i64) -> Result<Option<SecretRow>> {
    db.query_opt(
        "SELECT person_id, kind, expires_ms, last_used_ms FROM sessions
         WHERE token_hash = ?1 AND (expires_ms IS NULL OR expires_ms > ?2)",
        &[&hash, &now_ms],
        |row| {
            Ok(SecretRow {
                person_id: row.get(0)?,
                kind: kind_from_column(&row.get::<String>(1)?),
                expires_ms: row.get(2)?,
                last_used_ms: row.get(3)?,
            })
        },
    )
}

/// Records that the session or token with this hash was used at `now_ms`.
pub fn touch_secret(db: &Db, hash: &str, now_ms: i64) -> Result<()> {
    db.execute("UPDATE sessions SET last_used_ms = ?2 WHERE token_hash = ?1", &[&hash, &now_ms])?;
    Ok(())
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
    /// When a coordinator withdrew it, if one did.
    pub revoked_ms: Option<i64>,
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
        "SELECT program_id, email, name, role, expires_ms, used_ms, revoked_ms FROM invitations WHERE token_hash = ?1",
        &[&hash],
        |row| {
            Ok(InvitationRow {
                program_id: row.get(0)?,
                email: row.get(1)?,
                name: row.get(2)?,
                role: role_from_column(&row.get::<String>(3)?),
                expires_ms: row.get(4)?,
                used_ms: row.get(5)?,
                revoked_ms: row.get(6)?,
            })
        },
    )
}

/// Marks an unused, unwithdrawn invitation used at `now_ms`; `false` when it was used or
/// withdrawn already (by a concurrent request, say), so exactly one taker wins and a withdrawal
/// holds.
pub fn use_invitation(db: &Db, hash: &str, now_ms: i64) -> Result<bool> {
    let updated = db.execute(
        "UPDATE invitations SET used_ms = ?2 WHERE token_hash = ?1 AND used_ms IS NULL AND revoked_ms IS NULL",
        &[&hash, &now_ms],
    )?;
    Ok(updated == 1)
}

/// A program's invitation that can still be taken, by the hash that keys it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvitation {
    pub hash: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// The program's invitations neither used, withdrawn nor expired at `now_ms`, oldest first.
pub fn open_invitations_of(db: &Db, program_id: &str, now_ms: i64) -> Result<Vec<OpenInvitation>> {
    db.query(
        "SELECT token_hash, email, name, role, created_ms, expires_ms FROM invitations
         WHERE program_id = ?1 AND used_ms IS NULL AND revoked_ms IS NULL AND expires_ms > ?2
         ORDER BY created_ms, token_hash",
        &[&program_id, &now_ms],
        |row| {
            Ok(OpenInvitation {
                hash: row.get(0)?,
                email: row.get(1)?,
                name: row.get(2)?,
                role: role_from_column(&row.get::<String>(3)?),
                created_ms: row.get(4)?,
                expires_ms: row.get(5)?,
            })
        },
    )
}

/// Withdraws the program's untaken invitations whose hash starts with `prefix` (an
/// invitation's listed id) at `now_ms`; how many it withdrew.
pub fn revoke_invitations_with_prefix(db: &Db, program_id: &str, prefix: &str, now_ms: i64) -> Result<u64> {
    db.execute(
        "UPDATE invitations SET revoked_ms = ?3
         WHERE program_id = ?1 AND substr(token_hash, 1, length(CAST(?2 AS TEXT))) = CAST(?2 AS TEXT)
           AND used_ms IS NULL AND revoked_ms IS NULL",
        &[&program_id, &prefix, &now_ms],
    )
}

// ---------------------------------------------------------------------------------------------
// Password attempts, counted per key (a SHA-256 digest; see `accounts::throttle`).

/// Counts an attempt under `key` at `now_ms` unless the key is delayed past `now_ms`; a key whose
/// last attempt was at or before `forget_before` starts over. The key's attempts, counting this
/// one, or `None` when it is delayed (and nothing was counted). One statement, so concurrent
/// attempts each see the ones before (on PostgreSQL too: the upsert locks the key's row).
pub fn count_attempt(db: &Db, key: &str, now_ms: i64, forget_before: i64) -> Result<Option<u32>> {
    let attempts: Option<i64> = db.query_opt(
        "INSERT INTO sign_in_attempts (key_hash, attempts, last_ms, delayed_until_ms) VALUES (?1, 1, ?2, 0)
         ON CONFLICT (key_hash) DO UPDATE SET
             attempts = CASE WHEN sign_in_attempts.last_ms <= ?3 THEN 1 ELSE sign_in_attempts.attempts + 1 END,
             last_ms = ?2
         WHERE sign_in_attempts.delayed_until_ms <= ?2
         RETURNING attempts",
        &[&key, &now_ms, &forget_before],
        |row| row.get(0),
    )?;
    Ok(attempts.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

/// Delays the key's next attempt until `until_ms`.
pub fn delay_attempts(db: &Db, key: &str, until_ms: i64) -> Result<()> {
    db.execute("UPDATE sign_in_attempts SET delayed_until_ms = ?2 WHERE key_hash = ?1", &[&key, &until_ms])?;
    Ok(())
}

/// Until when the key is delayed, if it is stored.
pub fn attempts_delayed_until(db: &Db, key: &str) -> Result<Option<i64>> {
    db.query_opt("SELECT delayed_until_ms FROM sign_in_attempts WHERE key_hash = ?1", &[&key], |row| {
        row.get(0)
    })
}

/// Takes one attempt off the key; below `free` attempts it is no longer delayed.
pub fn give_back_attempt(db: &Db, key: &str, free: u32) -> Result<()> {
    db.execute(
        "UPDATE sign_in_attempts SET attempts = attempts - 1,
             delayed_until_ms = CASE WHEN attempts - 1 < ?2 THEN 0 ELSE delayed_until_ms END
         WHERE key_hash = ?1 AND attempts > 0",
        &[&key, &i64::from(free)],
    )?;
    Ok(())
}

/// Forgets the key's attempts.
pub fn forget_attempts(db: &Db, key: &str) -> Result<()> {
    db.execute("DELETE FROM sign_in_attempts WHERE key_hash = ?1", &[&key])?;
    Ok(())
}

/// Forgets every key whose last attempt was at or before `before_ms`; how many.
pub fn forget_attempts_before(db: &Db, before_ms: i64) -> Result<usize> {
    Ok(db.execute("DELETE FROM sign_in_attempts WHERE last_ms <= ?1", &[&before_ms])? as usize)
}

// ---------------------------------------------------------------------------------------------
// Ended sessions and access, for every relay on the database to close the sockets concerned.

/// One recorded end: its kind (`secret`, `sessions_of`, `access_of`), whose (a secret's hash or a
/// person), and for `sessions_of` the session kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndRow {
    pub seq: i64,
    pub kind: String,
    pub subject: String,
    pub except_hash: Option<String>,
}

pub fn insert_session_end(
    db: &Db,
    kind: &str,
    subject: &str,
    except_hash: Option<&str>,
    now_ms: i64,
) -> Result<()> {
    db.execute(
        "INSERT INTO session_ends (kind, subject, except_hash, ended_ms) VALUES (?1, ?2, ?3, ?4)",
        &[&kind, &subject, &except_hash, &now_ms],
    )?;
    Ok(())
}

/// The ends recorded after `seq`, in order.
pub fn session_ends_after(db: &Db, seq: i64) -> Result<Vec<EndRow>> {
    db.query(
        "SELECT seq, kind, subject, except_hash FROM session_ends WHERE seq > ?1 ORDER BY seq",
        &[&seq],
        |row| {
            Ok(EndRow { seq: row.get(0)?, kind: row.get(1)?, subject: row.get(2)?, except_hash: row.get(3)? })
        },
    )
}

/// The last end recorded so far (0 for none).
pub fn last_session_end(db: &Db) -> Result<i64> {
    let last: Option<i64> =
        db.query_opt("SELECT COALESCE(MAX(seq), 0) FROM session_ends", &[], |row| row.get(0))?;
    Ok(last.unwrap_or(0))
}

/// Forgets ends recorded at or before `before_ms`.
pub fn forget_session_ends_before(db: &Db, before_ms: i64) -> Result<usize> {
    Ok(db.execute("DELETE FROM session_ends WHERE ended_ms <= ?1", &[&before_ms])? as usize)
}
