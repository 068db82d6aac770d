//! Adding and finding people.

use crate::storage::Db;

use super::{AccountError, Person, Result, check_id, check_name, email_key, new_id, passwords};
use crate::storage::accounts as db_accounts;

pub(super) fn check_email(email: &str) -> Result<String> {
    let email = email_key(email);
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(AccountError::Invalid(format!("{email:?} is not an email address")));
    }
    Ok(email)
}

/// Adds a person; `password` may be `None` for someone who will only use access tokens.
pub fn add_person(
    db: &Db,
    id: Option<&str>,
    email: &str,
    name: &str,
    password: Option<&str>,
) -> Result<Person> {
    let email = check_email(email)?;
    check_name(name)?;
    let id = id.map_or_else(|| new_id("u"), str::to_owned);
    check_id("person", &id)?;
    if let Some(password) = password {
        passwords::check_password(password)?;
    }
    if db_accounts::person_by_email(db, &email)?.is_some() {
        return Err(AccountError::Conflict(format!("someone with the email {email} already exists")));
    }
    let hash = password.map(passwords::hash_password);
    let person = Person { id, email, name: name.to_owned() };
    if !db_accounts::insert_person(db, &person, hash.as_deref())? {
        return Err(AccountError::Conflict(format!("a person with id {:?} already exists", person.id)));
    }
    Ok(person)
}

pub fn find_person_by_email(db: &Db, email: &str) -> Result<Option<Person>> {
    Ok(db_accounts::person_by_email(db, &email_key(email))?)
}

pub fn person(db: &Db, id: &str) -> Result<Person> {
    db_accounts::person_by_id(db, id)?
        .ok_or_else(|| AccountError::NotFound(format!("there is no person {id:?}")))
}

/// Finds a person by id or by email (the command line accepts either).
pub fn person_by_id_or_email(db: &Db, key: &str) -> Result<Person> {
    if key.contains('@') {
        find_person_by_email(db, key)?
            .ok_or_else(|| AccountError::NotFound(format!("there is no person with the email {key}")))
    } else {
        person(db, key)
    }
}
