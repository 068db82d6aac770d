//! Invitations: a one-time sign-up link a coordinator copies or prints (no mail server needed).
//!
//! The link carries a secret (32 random bytes, in hex); the database keeps only its SHA-256. It
//! names an email, a name and a role in one program, expires (the relay's `--invitation-hours`,
//! a week by default, unless the coordinator says otherwise), works once, and a coordinator may
//! withdraw it until it is taken. Taking it:
//! - for an email nobody uses yet, creates the person with the password they choose there;
//! - for an email that already has an account (someone of another program, say), asks for that
//!   account's own password, then adds the role. So an invitation is the only way to enrol
//!   someone who exists: a coordinator never sees whether an email is taken, never reads
//!   another program's person's email, and cannot seat them without their consent.

use tandem_api::InvitationClosed;

use super::{AccountError, Person, Result, Role, check_name, people, programs, sessions};
use crate::storage::{
    Db,
    accounts::{self as db_accounts, InvitationRow, OpenInvitation},
};

/// How long an invitation lasts unless the relay (`--invitation-hours`) or the coordinator says
/// otherwise: a week, time to pass a printed link on at the next staff meeting.
pub const DEFAULT_INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

/// How many hex digits of an invitation's hash name it in the console's list: enough that two of
/// a program's invitations never share them, and no use as the link (the hash cannot be undone).
const INVITATION_ID_DIGITS: usize = 16;

/// The longest an invitation may last.
pub const MAX_INVITATION_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

/// A new invitation: its secret (for the link, shown once) and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub secret: String,
    pub expires_ms: i64,
}

/// An invitation a link names, as its taker sees it.
pub type Invitation = InvitationRow;

/// Makes an invitation to `program_id` for `email` (named `name`) with `role`, by `by` at `now_ms`.
#[allow(clippy::too_many_arguments)]
pub fn invite(
    db: &Db,
    program_id: &str,
    email: &str,
    name: &str,
    role: Role,
    by: &str,
    now_ms: i64,
    lifetime_ms: i64,
) -> Result<NewInvitation> {
    programs::require_program(db, program_id)?;
    let email = people::check_email(email)?;
    check_name(name)?;
    if !(1..=MAX_INVITATION_LIFETIME_MS).contains(&lifetime_ms) {
        return Err(AccountError::Invalid("an invitation lasts from a moment to 30 days".into()));
    }
    let secret = sessions::new_secret();
    let row = InvitationRow {
        program_id: program_id.to_owned(),
        email,
        name: name.trim().to_owned(),
        role,
        expires_ms: now_ms + lifetime_ms,
        used_ms: None,
        revoked_ms: None,
    };
    db_accounts::insert_invitation(db, &sessions::secret_hash(&secret), &row, by, now_ms)?;
    Ok(NewInvitation { secret, expires_ms: row.expires_ms })
}

/// A link the relay does not know: mistyped, cut short when copied, or (at 32 random bytes,
/// never in practice) guessed.
fn unknown() -> AccountError {
    AccountError::Gone(
        "this invitation link is not known; check that the whole link was copied, or ask your coordinator for a new one"
            .into(),
    )
}

/// The invitation `secret` names, if it can still be taken at `now_ms`; otherwise why not. Only
/// the holder of a real link learns whether it was used, withdrawn or expired.
pub fn invitation(db: &Db, secret: &str, now_ms: i64) -> Result<Invitation> {
    if secret.is_empty() || secret.len() > 200 {
        return Err(unknown());
    }
    let Some(row) = db_accounts::invitation(db, &sessions::secret_hash(secret))? else {
        return Err(unknown());
    };
    if row.used_ms.is_some() {
        Err(AccountError::InvitationClosed(InvitationClosed::Used))
    } else if row.revoked_ms.is_some() {
        Err(AccountError::InvitationClosed(InvitationClosed::Withdrawn))
    } else if row.expires_ms <= now_ms {
        Err(AccountError::InvitationClosed(InvitationClosed::Expired))
    } else {
        Ok(row)
    }
}

/// An invitation as the console lists it: its id (a prefix of its hash, never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    pub invitation: OpenInvitation,
}

/// The program's invitations that can still be taken at `now_ms`, oldest first.
pub fn pending(db: &Db, program_id: &str, now_ms: i64) -> Result<Vec<Pending>> {
    programs::require_program(db, program_id)?;
    Ok(db_accounts::open_invitations_of(db, program_id, now_ms)?
        .into_iter()
        .map(|invitation| Pending {
            id: invitation.hash[..INVITATION_ID_DIGITS.min(invitation.hash.len())].to_owned(),
            invitation,
        })
        .collect())
}

/// Withdraws the program's invitation listed as `id` at `now_ms`, so its link no longer works.
/// One that was taken, withdrawn already, or is another program's is not found.
pub fn revoke(db: &Db, program_id: &str, id: &str, now_ms: i64) -> Result<()> {
    let not_found = || AccountError::NotFound("no such invitation waiting in this program".into());
    if id.len() != INVITATION_ID_DIGITS || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    match db_accounts::revoke_invitations_with_prefix(db, program_id, &id.to_lowercase(), now_ms)? {
        0 => Err(not_found()),
        _ => Ok(()),
    }
}

/// Who takes an invitation, as its taker proved it.
#[derive(Debug, Clone, Copy)]
pub enum Taker<'a> {
    /// The email's existing account, whose own password the taker gave (checked by the caller,
    /// throttled, off the database's lock: see [`taker_of`]).
    Existing(&'a Person),
    /// A new account for the email, with this password (checked with
    /// [`crate::accounts::check_password`] and hashed).
    New { password_hash: &'a str },
}

/// Whether the invitation `secret` names an email that has an account already: then that
/// account and its password hash, which the taker's password must match.
pub fn taker_of(db: &Db, secret: &str, now_ms: i64) -> Result<Option<(Person, Option<String>)>> {
    let invitation = invitation(db, secret, now_ms)?;
    sessions::password_of_email(db, &invitation.email)
}

/// Takes the invitation: creates the person (a new email) or enrols the existing account, gives
/// them the role, and uses the link up. Run inside one transaction
/// ([`crate::storage::atomically`]) so a failure keeps nothing.
pub fn accept(db: &Db, secret: &str, taker: Taker<'_>, now_ms: i64) -> Result<Person> {
    let invitation = invitation(db, secret, now_ms)?;
    let existing = people::find_person_by_email(db, &invitation.email)?;
    let person = match (taker, existing) {
        (Taker::Existing(person), Some(existing)) if existing.id == person.id => existing,
        (Taker::New { password_hash }, None) => {
            people::add_person_with_hash(db, None, &invitation.email, &invitation.name, Some(password_hash))?
        }
        // The account appeared or went between the password check and now.
        _ => {
            return Err(AccountError::Conflict(
                "this invitation changed while it was taken; try again".into(),
            ));
        }
    };
    if !db_accounts::use_invitation(db, &sessions::secret_hash(secret), now_ms)? {
        // Taken or withdrawn by a concurrent request; say which, as a fresh look would.
        return Err(self::invitation(db, secret, now_ms).err().unwrap_or_else(unknown));
    }
    // The invitation says the role, as a role change would.
    programs::set_membership(db, &invitation.program_id, &person.id, invitation.role)?;
    Ok(person)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{add_person, create_program, role_in, set_membership};

    const DAY: i64 = 24 * 3600 * 1000;

    /// Takes an invitation as the relay does: the existing account's own password, or a new
    /// account's password checked and hashed.
    fn accept(db: &Db, secret: &str, password: &str, now_ms: i64) -> Result<Person> {
        match taker_of(db, secret, now_ms)? {
            Some((existing, hash)) => {
                if !crate::accounts::passwords::matches(password, hash.as_deref()) {
                    return Err(AccountError::Forbidden("not that account's password".into()));
                }
                super::accept(db, secret, Taker::Existing(&existing), now_ms)
            }
            None => {
                crate::accounts::check_password(password)?;
                let hash = crate::accounts::hash_password(password);
                super::accept(db, secret, Taker::New { password_hash: &hash }, now_ms)
            }
        }
    }

    #[test]
    fn an_invitation_works_once_and_not_after_it_expires() {
        crate::storage::on_each_backend(|db| {
            let program = create_program(db, Some("north"), "North").unwrap();
            let coordinator = add_person(db, Some("u-c"), "c@x.example", "C", None).unwrap().id;
            set_membership(db, &program, &coordinator, Role::Coordinator).unwrap();
            let link =
                invite(db, &program, "New@X.example ", "Mei", Role::Associate, &coordinator, 0, DAY).unwrap();
            assert_eq!(invitation(db, &link.secret, 0).unwrap().email, "new@x.example");
            assert!(matches!(accept(db, &link.secret, "short", 1), Err(AccountError::Invalid(_))));
            let mei = accept(db, &link.secret, "a long enough password", 1).unwrap();
            assert_eq!(role_in(db, &program, &mei.id).unwrap(), Some(Role::Associate));
            assert!(matches!(
                accept(db, &link.secret, "a long enough password", 2),
                Err(AccountError::InvitationClosed(InvitationClosed::Used))
            ));

            let late =
                invite(db, &program, "late@x.example", "L", Role::Mentor, &coordinator, 0, DAY).unwrap();
            assert!(
                matches!(
                    invitation(db, &late.secret, DAY),
                    Err(AccountError::InvitationClosed(InvitationClosed::Expired))
                ),
                "expired"
            );
            assert!(matches!(invitation(db, "not a link", 0), Err(AccountError::Gone(_))), "unknown");
        });
    }

    #[test]
    fn a_withdrawn_invitation_leaves_the_list_and_its_link_stops_working() {
        crate::storage::on_each_backend(|db| {
            let north = create_program(db, Some("north"), "North").unwrap();
            let south = create_program(db, Some("south"), "South").unwrap();
            let coordinator = add_person(db, Some("u-c"), "c@x.example", "C", None).unwrap().id;
            set_membership(db, &north, &coordinator, Role::Coordinator).unwrap();
            let first =
                invite(db, &north, "a@x.example", "A", Role::Associate, &coordinator, 0, DAY).unwrap();
            let second = invite(db, &north, "b@x.example", "B", Role::Mentor, &coordinator, 1, DAY).unwrap();
            let listed = pending(db, &north, 2).unwrap();
            assert_eq!(listed.iter().map(|p| p.invitation.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
            assert!(listed.iter().all(|p| p.id.len() == 16 && !first.secret.contains(&p.id)));

            // Another program's id for it finds nothing; its own program withdraws it.
            let id = listed[0].id.clone();
            assert!(matches!(revoke(db, &south, &id, 3), Err(AccountError::NotFound(_))));
            revoke(db, &north, &id, 3).unwrap();
            assert!(matches!(revoke(db, &north, &id, 4), Err(AccountError::NotFound(_))), "once");
            assert_eq!(pending(db, &north, 4).unwrap().len(), 1);
            assert!(matches!(
                accept(db, &first.secret, "a long enough password", 4),
                Err(AccountError::InvitationClosed(InvitationClosed::Withdrawn))
            ));

            // Taken and expired ones leave the list too, and a taken one cannot be withdrawn.
            let taken = pending(db, &north, 4).unwrap()[0].id.clone();
            accept(db, &second.secret, "a long enough password", 5).unwrap();
            assert!(matches!(revoke(db, &north, &taken, 6), Err(AccountError::NotFound(_))));
            invite(db, &north, "c2@x.example", "C2", Role::Mentor, &coordinator, 6, DAY).unwrap();
            assert_eq!(pending(db, &north, 7).unwrap().len(), 1);
            assert!(pending(db, &north, 6 + DAY).unwrap().is_empty(), "expired");
        });
    }

    #[test]
    fn someone_who_has_an_account_joins_only_with_their_own_password() {
        crate::storage::on_each_backend(|db| {
            let north = create_program(db, Some("north"), "North").unwrap();
            let south = create_program(db, Some("south"), "South").unwrap();
            let grace =
                add_person(db, Some("u-g"), "grace@x.example", "Grace", Some("graces own password")).unwrap();
            set_membership(db, &south, &grace.id, Role::Mentor).unwrap();
            let coordinator = add_person(db, Some("u-c"), "c@x.example", "C", None).unwrap().id;
            set_membership(db, &north, &coordinator, Role::Coordinator).unwrap();
            let link =
                invite(db, &north, "grace@x.example", "G", Role::Mentor, &coordinator, 0, DAY).unwrap();
            let refused = accept(db, &link.secret, "a password chosen by someone else", 1).unwrap_err();
            assert!(matches!(refused, AccountError::Forbidden(_)), "{refused}");
            assert_eq!(role_in(db, &north, &grace.id).unwrap(), None, "not enrolled");
            let joined = accept(db, &link.secret, "graces own password", 1).unwrap();
            assert_eq!(
                (joined.id.as_str(), joined.name.as_str()),
                ("u-g", "Grace"),
                "the same account, its own name"
            );
            assert_eq!(role_in(db, &north, &grace.id).unwrap(), Some(Role::Mentor));
        });
    }
}
