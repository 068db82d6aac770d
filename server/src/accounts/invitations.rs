//! Invitations: a one-time sign-up link a coordinator copies or prints (no mail server needed).
//!
//! The link carries a secret (32 random bytes, in hex); the database keeps only its SHA-256. It
//! names an email, a name and a role in one program, expires (seven days unless the coordinator
//! says otherwise), and works once. Taking it:
//! - for an email nobody uses yet, creates the person with the password they choose there;
//! - for an email that already has an account (someone of another program, say), asks for that
//!   account's own password, then adds the role. So an invitation is the only way to enrol
//!   someone who exists: a coordinator never sees whether an email is taken, never reads
//!   another program's person's email, and cannot seat them without their consent.

use super::{AccountError, Person, Result, Role, check_name, passwords, people, programs, sessions};
use crate::storage::{
    Db,
    accounts::{self as db_accounts, InvitationRow},
};

/// How long an invitation lasts unless the coordinator says otherwise.
pub const DEFAULT_INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

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
    };
    db_accounts::insert_invitation(db, &sessions::secret_hash(&secret), &row, by, now_ms)?;
    Ok(NewInvitation { secret, expires_ms: row.expires_ms })
}

fn gone() -> AccountError {
    AccountError::Gone(
        "this invitation has been used or has expired; ask your coordinator for a new link".into(),
    )
}

/// The invitation `secret` names, if it can still be taken at `now_ms`. Unknown, used and
/// expired links are all answered alike, so a guessed link learns nothing.
pub fn invitation(db: &Db, secret: &str, now_ms: i64) -> Result<Invitation> {
    if secret.is_empty() || secret.len() > 200 {
        return Err(gone());
    }
    match db_accounts::invitation(db, &sessions::secret_hash(secret))? {
        Some(row) if row.used_ms.is_none() && row.expires_ms > now_ms => Ok(row),
        _ => Err(gone()),
    }
}

/// Takes the invitation: creates the person with `password` (a new email) or checks it is the
/// existing account's own password, gives them the role, and uses the link up. Run inside one
/// transaction ([`crate::storage::atomically`]) so a failure keeps nothing.
pub fn accept(db: &Db, secret: &str, password: &str, now_ms: i64) -> Result<Person> {
    let invitation = invitation(db, secret, now_ms)?;
    let person = match people::find_person_by_email(db, &invitation.email)? {
        Some(existing) => {
            // Always one argon2 verification, whatever the account is like.
            if sessions::check_sign_in(db, &existing.email, password)?.is_none() {
                return Err(AccountError::Forbidden(
                    "this email already has a Tandem account: enter that account's password".into(),
                ));
            }
            existing
        }
        None => {
            passwords::check_password(password)?;
            people::add_person(db, None, &invitation.email, &invitation.name, Some(password))?
        }
    };
    if !db_accounts::use_invitation(db, &sessions::secret_hash(secret), now_ms)? {
        return Err(gone());
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
                Err(AccountError::Gone(_))
            ));

            let late =
                invite(db, &program, "late@x.example", "L", Role::Mentor, &coordinator, 0, DAY).unwrap();
            assert!(matches!(invitation(db, &late.secret, DAY), Err(AccountError::Gone(_))), "expired");
            assert!(matches!(invitation(db, "not a link", 0), Err(AccountError::Gone(_))), "unknown, alike");
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
