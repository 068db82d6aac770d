//! Mentoring pairs: a mentor and an associate of one program, either seat possibly empty.

use crate::storage::Db;

use super::{AccountError, Pair, Result, Role, check_id, new_id, programs};
use crate::storage::accounts as db_accounts;

/// Which seat of a pair to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Mentor,
    Associate,
}

impl Seat {
    /// The role a person needs in the program to sit here.
    fn role(self) -> Role {
        match self {
            Seat::Mentor => Role::Mentor,
            Seat::Associate => Role::Associate,
        }
    }
}

fn require_seat(db: &Db, program_id: &str, person_id: &str, seat: Seat) -> Result<()> {
    let role = seat.role();
    match programs::role_in(db, program_id, person_id)? {
        Some(r) if r == role => Ok(()),
        _ => {
            let (name, with_article) = match seat {
                Seat::Mentor => ("mentor", "a mentor"),
                Seat::Associate => ("associate", "an associate"),
            };
            Err(AccountError::Invalid(format!(
                "the {name} of a pair must be {with_article} in the program {program_id:?}; {person_id:?} is not"
            )))
        }
    }
}

/// Creates a mentoring pair. The mentor must be a mentor and the associate an associate of the
/// program.
pub fn add_pair(
    db: &Db,
    program_id: &str,
    id: Option<&str>,
    mentor_id: &str,
    associate_id: &str,
    cohort_id: Option<&str>,
) -> Result<Pair> {
    programs::require_program(db, program_id)?;
    let id = id.map_or_else(|| new_id("pair"), str::to_owned);
    check_id("pair", &id)?;
    require_seat(db, program_id, mentor_id, Seat::Mentor)?;
    require_seat(db, program_id, associate_id, Seat::Associate)?;
    if let Some(cohort) = cohort_id
        && !programs::cohorts_of(db, program_id)?.iter().any(|c| c.id == cohort)
    {
        return Err(AccountError::NotFound(format!(
            "there is no cohort {cohort:?} in the program {program_id:?}"
        )));
    }
    let pair = Pair {
        id,
        program_id: program_id.to_owned(),
        cohort_id: cohort_id.map(str::to_owned),
        mentor_id: Some(mentor_id.to_owned()),
        associate_id: Some(associate_id.to_owned()),
    };
    if !db_accounts::insert_pair(db, &pair)? {
        return Err(AccountError::Conflict(format!("a pair with id {:?} already exists", pair.id)));
    }
    Ok(pair)
}

pub fn pair(db: &Db, id: &str) -> Result<Pair> {
    db_accounts::pair(db, id)?.ok_or_else(|| AccountError::NotFound(format!("there is no pair {id:?}")))
}

pub fn pairs_of_program(db: &Db, program_id: &str) -> Result<Vec<Pair>> {
    Ok(db_accounts::pairs_of_program(db, program_id)?)
}

pub fn pairs_of_person(db: &Db, person_id: &str) -> Result<Vec<Pair>> {
    Ok(db_accounts::pairs_of_person(db, person_id)?)
}

/// Puts someone in a pair's seat, or empties it (`None`). Takes effect on live connections at once.
pub fn set_pair_seat(db: &Db, pair_id: &str, seat: Seat, person_id: Option<&str>) -> Result<Pair> {
    let current = pair(db, pair_id)?;
    if let Some(person_id) = person_id {
        require_seat(db, &current.program_id, person_id, seat)?;
    }
    db_accounts::set_seat(db, pair_id, seat, person_id)?;
    pair(db, pair_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{add_person, create_program, remove_membership, set_membership};

    #[test]
    fn a_pair_needs_a_mentor_and_an_associate_of_its_program() {
        crate::storage::on_each_backend(|db| {
            let program = create_program(db, Some("prog"), "P").unwrap();
            let m = add_person(db, None, "m@x.example", "M", None).unwrap();
            let a = add_person(db, None, "a@x.example", "A", None).unwrap();
            set_membership(db, &program, &m.id, Role::Mentor).unwrap();
            let error = add_pair(db, &program, None, &m.id, &a.id, None).unwrap_err();
            assert!(error.to_string().contains("must be an associate"), "{error}");
            set_membership(db, &program, &a.id, Role::Associate).unwrap();
            let pair = add_pair(db, &program, Some("pair-1"), &m.id, &a.id, None).unwrap();
            assert!(matches!(
                add_pair(db, &program, Some("pair-1"), &m.id, &a.id, None),
                Err(AccountError::Conflict(_))
            ));
            remove_membership(db, &program, &a.id).unwrap();
            assert_eq!(super::pair(db, &pair.id).unwrap().associate_id, None);
        });
    }
}
