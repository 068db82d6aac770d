//! A coordinator's view and setup of a program: `GET /api/programs/{program}`, its people and its
//! cohorts.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tandem_api::{Cohort, NewCohort, NewPerson, PersonInProgram, ProgramView, RoleChange};

use super::{Body, SignedIn, auth::require_coordinator, passwords, with_db};
use crate::{AppState, accounts, error::AppError, sync::ends::Ended};

/// The program's people with their roles, its cohorts and its pairs.
pub(super) async fn program(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
) -> Result<Json<ProgramView>, AppError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        let people = accounts::members_of(db, &program)?
            .into_iter()
            .map(|(person, role)| PersonInProgram { person, role })
            .collect();
        Ok(Json(ProgramView {
            people,
            cohorts: accounts::cohorts_of(db, &program)?,
            pairs: accounts::pairs_of_program(db, &program)?,
            name: accounts::program_name(db, &program)?,
            id: program,
        }))
    })
    .await
}

/// Adds a new person to the program with a role.
pub(super) async fn add_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewPerson>,
) -> Result<(StatusCode, Json<PersonInProgram>), AppError> {
    let hash = match body.password.clone() {
        Some(password) => Some(passwords::hash_new(&state, password).await?),
        None => None,
    };
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        // Someone who exists (in another program, say) is enrolled only by an invitation they
        // take with their own password; the answer names no one and shows no one's email.
        if accounts::find_person_by_email(db, &body.email)?.is_some() {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                "this email cannot be added directly; send an invitation instead",
            ));
        }
        let person = accounts::add_person_with_hash(db, None, &body.email, &body.name, hash.as_deref())?;
        accounts::set_membership(db, &program, &person.id, body.role)?;
        Ok((StatusCode::CREATED, Json(PersonInProgram { person, role: body.role })))
    })
    .await
}

/// Changes the role of someone in the program. Someone who is not in it is invited instead
/// (`invitations.rs`): a coordinator cannot enrol another program's person by their id.
pub(super) async fn set_role(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((program, person)): Path<(String, String)>,
    Body(body): Body<RoleChange>,
) -> Result<StatusCode, AppError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        if accounts::role_in(db, &program, &person)?.is_none() {
            return Err(AppError::new(
                StatusCode::NOT_FOUND,
                "there is no such person in this program; send them an invitation",
            ));
        }
        accounts::set_membership(db, &program, &person, body.role)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// Removes someone from the program and so from its pairs; their sockets close, so their
/// devices reconnect with only what they may still see.
pub(super) async fn remove_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((program, person)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let removed = person.clone();
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        accounts::remove_membership(db, &program, &person)?;
        Ok(())
    })
    .await?;
    super::end(&state, Ended::AccessOf { person: removed }).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn add_cohort(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewCohort>,
) -> Result<(StatusCode, Json<Cohort>), AppError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        Ok((StatusCode::CREATED, Json(accounts::add_cohort(db, &program, body.id.as_deref(), &body.name)?)))
    })
    .await
}
