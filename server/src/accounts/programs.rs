//! Programs, who is what in them, and their cohorts.

use crate::storage::Db;

use super::{
    AccountError, Cohort, Colleague, Membership, Person, Result, Role, check_id, check_name, new_id, person,
};
use crate::storage::accounts as db_accounts;

pub fn create_program(db: &Db, id: Option<&str>, name: &str) -> Result<String> {
    check_name(name)?;
    let id = id.map_or_else(|| new_id("prog"), str::to_owned);
    check_id("program", &id)?;
    if !db_accounts::insert_program(db, &id, name)? {
        return Err(AccountError::Conflict(format!("a program with id {id:?} already exists")));
    }
    Ok(id)
}

pub fn program_name(db: &Db, id: &str) -> Result<String> {
    db_accounts::program_name(db, id)?
        .ok_or_else(|| AccountError::NotFound(format!("there is no program {id:?}")))
}

pub fn program_exists(db: &Db, id: &str) -> Result<bool> {
    Ok(db_accounts::program_exists(db, id)?)
}

pub(super) fn require_program(db: &Db, id: &str) -> Result<()> {
    if program_exists(db, id)? {
        Ok(())
    } else {
        Err(AccountError::NotFound(format!("there is no program {id:?}")))
    }
}

/// Gives a person a role in a program (replacing the role they had there).
pub fn set_membership(db: &Db, program_id: &str, person_id: &str, role: Role) -> Result<()> {
    require_program(db, program_id)?;
    person(db, person_id)?;
    Ok(db_accounts::upsert_membership(db, program_id, person_id, role)?)
}

/// Removes a person from a program, and so from its pairs; takes effect on live connections at
/// once, because the sync policy reads the database for every message.
pub fn remove_membership(db: &Db, program_id: &str, person_id: &str) -> Result<()> {
    if !db_accounts::delete_membership(db, program_id, person_id)? {
        return Err(AccountError::NotFound(format!("{person_id:?} is not in the program {program_id:?}")));
    }
    Ok(db_accounts::empty_seats_of(db, program_id, person_id)?)
}

pub fn role_in(db: &Db, program_id: &str, person_id: &str) -> Result<Option<Role>> {
    Ok(db_accounts::role_in(db, program_id, person_id)?)
}

pub fn memberships_of(db: &Db, person_id: &str) -> Result<Vec<Membership>> {
    Ok(db_accounts::memberships_of(db, person_id)?)
}

/// The people `person_id` works with (see [`db_accounts::colleagues_of`]) and their programs' cohorts.
pub fn colleagues_of(db: &Db, person_id: &str) -> Result<(Vec<Colleague>, Vec<Cohort>)> {
    Ok((db_accounts::colleagues_of(db, person_id)?, db_accounts::cohorts_of_person(db, person_id)?))
}

pub fn members_of(db: &Db, program_id: &str) -> Result<Vec<(Person, Role)>> {
    Ok(db_accounts::members_of(db, program_id)?)
}

pub fn add_cohort(db: &Db, program_id: &str, id: Option<&str>, name: &str) -> Result<Cohort> {
    require_program(db, program_id)?;
    check_name(name)?;
    let id = id.map_or_else(|| new_id("cohort"), str::to_owned);
    check_id("cohort", &id)?;
    let cohort = Cohort { id, program_id: program_id.to_owned(), name: name.to_owned() };
    if !db_accounts::insert_cohort(db, &cohort)? {
        return Err(AccountError::Conflict(format!("a cohort with id {:?} already exists", cohort.id)));
    }
    Ok(cohort)
}

pub fn cohorts_of(db: &Db, program_id: &str) -> Result<Vec<Cohort>> {
    Ok(db_accounts::cohorts_of(db, program_id)?)
}
