//! The JSON API under `/api`: signing in and out, the signed-in person, the coordinator's setup of
//! people, cohorts and pairs, and claiming documents.
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /api/session` `{email, password}` | anyone | sign in: sets the session cookie |
//! | `DELETE /api/session` | signed in | sign out: ends this session |
//! | `GET /api/me` | signed in | the person, their programs, roles and pairs |
//! | `PUT /api/me/password` `{current, new}` | signed in | change password; ends other sessions |
//! | `GET /api/documents` | signed in | every document the person may read, with its audience |
//! | `POST /api/documents` `{id, audience}` | signed in | claim a document for an audience they are in |
//! | `GET /api/programs/{program}` | coordinator | people, cohorts and pairs |
//! | `POST /api/programs/{program}/people` `{email, name, role, password?}` | coordinator | add a person |
//! | `PUT /api/programs/{program}/people/{person}` `{role}` | coordinator | add someone who exists, or change their role |
//! | `DELETE /api/programs/{program}/people/{person}` | coordinator | remove from the program and its pairs |
//! | `POST /api/programs/{program}/cohorts` `{id?, name}` | coordinator | add a cohort |
//! | `POST /api/programs/{program}/pairs` `{id?, mentor_id, associate_id, cohort_id?}` | coordinator | add a pair |
//! | `PATCH /api/pairs/{pair}` `{mentor_id?, associate_id?}` (`null` empties a seat) | coordinator | change a pair |
//!
//! Every error is `{"error": "..."}` with 400 (malformed or breaks a rule), 401 (not signed in),
//! 403 (signed in but not allowed), 404, 409 (conflicts with what exists), 413 (too large) or
//! 429 (too many failed sign-ins; `Retry-After` says when to try again).
//!
//! Authentication: the `tandem_session` cookie (HttpOnly, SameSite=Strict, Secure when configured)
//! or, for devices and scripts, `Authorization: Bearer <token>` or `?token=` (the WebSocket API of
//! browsers cannot set headers).

use std::{net::SocketAddr, time::Duration};

use axum::{
    Json, Router,
    extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, patch, post, put},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::json;

use crate::{
    AppState,
    access::{self, Audience},
    accounts::{self, AccountError, Role, Seat, throttle::Key},
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tandem_session";
/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Sign-in and session settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Mark the session cookie `Secure` (the relay is reached over https, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// How long a session lasts after signing in.
    pub session_lifetime: Duration,
    pub throttle: accounts::throttle::ThrottleConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            throttle: Default::default(),
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/session", post(sign_in).delete(sign_out))
        .route("/me", get(me))
        .route("/me/password", put(change_password))
        .route("/documents", get(documents).post(claim_document))
        .route("/programs/{program}", get(program))
        .route("/programs/{program}/people", post(add_person))
        .route("/programs/{program}/people/{person}", put(set_role).delete(remove_person))
        .route("/programs/{program}/cohorts", post(add_cohort))
        .route("/programs/{program}/pairs", post(add_pair))
        .route("/pairs/{pair}", patch(change_pair))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "there is no such API route") })
}

// ---------------------------------------------------------------------------------------------
// Errors.

/// An API error: a status and a message for the person, always as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), retry_after: None }
    }

    fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "sign in first: no valid session cookie or access token")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        let status = match &error {
            AccountError::NotFound(_) => StatusCode::NOT_FOUND,
            AccountError::Conflict(_) => StatusCode::CONFLICT,
            AccountError::Invalid(_) => StatusCode::BAD_REQUEST,
            AccountError::Forbidden(_) => StatusCode::FORBIDDEN,
            AccountError::Sqlite(e) => {
                tracing::error!(error = %e, "database error in the API");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; the relay's log has the details",
                );
            }
        };
        Self::new(status, error.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        AccountError::from(error).into()
    }
}

/// Runs `f` with the accounts database on a blocking thread.
async fn with_db<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&rusqlite::Connection) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = state.accounts.clone();
    tokio::task::spawn_blocking(move || f(&db.lock().expect("accounts mutex poisoned"))).await.map_err(
        |e| {
            tracing::error!(error = %e, "an API task failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; the relay's log has the details",
            )
        },
    )?
}

/// A JSON body whose rejections (wrong content type, malformed JSON, missing fields, too large)
/// are answered as [`ApiError`]s.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => {
                let status = match &rejection {
                    JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let message = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => {
                        format!("the request body is larger than {MAX_BODY_BYTES} bytes")
                    }
                    _ => format!("the request body is not what this route takes: {}", rejection.body_text()),
                };
                Err(ApiError::new(status, message))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication.

/// The secret a request carries: the session cookie, a bearer token, or `?token=`.
pub fn presented_secret(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned());
    let token = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")).map(str::to_owned));
    cookie.or(bearer).or(token).filter(|s| !s.is_empty())
}

/// Checks a secret; the person it belongs to, or `None`.
pub async fn authenticate(state: &AppState, secret: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(secret) = secret else { return Ok(None) };
    let now = state.now_ms();
    with_db(state, move |db| Ok(accounts::authenticate(db, &secret, now)?)).await
}

/// A signed-in person (extractor): answers 401 when the request has no valid session or token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub person: String,
    secret: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret =
            presented_secret(&parts.headers, parts.uri.query()).ok_or_else(ApiError::unauthorized)?;
        let person = authenticate(state, Some(secret.clone())).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(SignedIn { person, secret })
    }
}

/// Answers 403 unless `person` coordinates `program` (404 when the program does not exist).
fn require_coordinator(db: &rusqlite::Connection, program: &str, person: &str) -> Result<(), ApiError> {
    if !accounts::program_exists(db, program)? {
        return Err(ApiError::new(StatusCode::NOT_FOUND, format!("there is no program {program:?}")));
    }
    match accounts::role_in(db, program, person)? {
        Some(Role::Coordinator) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("only a coordinator of the program {program:?} can do this"),
        )),
    }
}

fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |ConnectInfo(addr)| addr.ip().to_string())
}

/// The client's address (for throttling sign-ins), `unknown` when served without connect info.
#[derive(Debug)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(parts)))
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions.

#[derive(Debug, Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

async fn sign_in(
    State(state): State<AppState>,
    crate::client_addr::ClientAddr(address): crate::client_addr::ClientAddr,
    Body(body): Body<SignIn>,
) -> Result<Response, ApiError> {
    let now = state.now_ms();
    let keys = [Key::Account(body.email.trim().to_lowercase()), Key::Address(address)];
    if let Err(wait) = state.throttle.check(&keys, now) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many failed sign-ins; try again in {} seconds", wait.as_secs().max(1)),
            )
        });
    }
    let lifetime = state.auth.session_lifetime.as_millis() as i64;
    let signed_in = with_db(&state, move |db| {
        let Some(person) = accounts::check_sign_in(db, &body.email, &body.password)? else { return Ok(None) };
        let secret = accounts::create_session(db, &person.id, now, lifetime)?;
        Ok(Some((person, secret)))
    })
    .await?;
    let Some((person, secret)) = signed_in else {
        state.throttle.failed(&keys, now);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong email or password"));
    };
    state.throttle.succeeded(&keys[0]);
    let cookie = session_cookie(&state, &secret, state.auth.session_lifetime.as_secs());
    Ok(([(header::SET_COOKIE, cookie)], Json(person)).into_response())
}

fn session_cookie(state: &AppState, secret: &str, max_age_secs: u64) -> String {
    let secure = if state.auth.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}")
}

async fn sign_out(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, ApiError> {
    let secret = signed_in.secret.clone();
    with_db(&state, move |db| Ok(accounts::end_session(db, &secret)?)).await?;
    let cookie = session_cookie(&state, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[derive(Debug, Serialize)]
struct Me {
    #[serde(flatten)]
    person: accounts::Person,
    memberships: Vec<accounts::Membership>,
    pairs: Vec<accounts::Pair>,
}

async fn me(State(state): State<AppState>, signed_in: SignedIn) -> Result<Json<Me>, ApiError> {
    with_db(&state, move |db| {
        Ok(Json(Me {
            person: accounts::person(db, &signed_in.person)?,
            memberships: accounts::memberships_of(db, &signed_in.person)?,
            pairs: accounts::pairs_of_person(db, &signed_in.person)?,
        }))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct PasswordChange {
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Body(body): Body<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    with_db(&state, move |db| {
        accounts::change_password(db, &signed_in.person, &body.current, &body.new, &signed_in.secret)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Documents.

#[derive(Debug, Serialize)]
struct DocumentEntry {
    id: String,
    audience: Audience,
    owner_id: String,
    access: access::Access,
}

async fn documents(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<DocumentEntry>>, ApiError> {
    with_db(&state, move |db| {
        let list = access::readable_documents(db, &signed_in.person)?;
        Ok(Json(
            list.into_iter()
                .map(|(claim, access)| DocumentEntry {
                    id: claim.id,
                    audience: claim.audience,
                    owner_id: claim.owner_id,
                    access,
                })
                .collect(),
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct ClaimRequest {
    id: String,
    audience: Audience,
}

async fn claim_document(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Body(body): Body<ClaimRequest>,
) -> Result<(StatusCode, Json<access::Claim>), ApiError> {
    let now = state.now_ms();
    with_db(&state, move |db| {
        let claim = access::claim(db, &signed_in.person, &body.id, &body.audience, now)?;
        Ok((StatusCode::CREATED, Json(claim)))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Coordinators: people, cohorts, pairs.

#[derive(Debug, Serialize)]
struct ProgramView {
    id: String,
    people: Vec<PersonInProgram>,
    cohorts: Vec<accounts::Cohort>,
    pairs: Vec<accounts::Pair>,
}

#[derive(Debug, Serialize)]
struct PersonInProgram {
    #[serde(flatten)]
    person: accounts::Person,
    role: Role,
}

async fn program(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
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
            id: program,
        }))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPerson {
    email: String,
    name: String,
    role: Role,
    password: Option<String>,
}

async fn add_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewPerson>,
) -> Result<(StatusCode, Json<PersonInProgram>), ApiError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        let person = accounts::add_person(db, None, &body.email, &body.name, body.password.as_deref())?;
        accounts::set_membership(db, &program, &person.id, body.role)?;
        Ok((StatusCode::CREATED, Json(PersonInProgram { person, role: body.role })))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct RoleBody {
    role: Role,
}

async fn set_role(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((program, person)): Path<(String, String)>,
    Body(body): Body<RoleBody>,
) -> Result<StatusCode, ApiError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        accounts::set_membership(db, &program, &person, body.role)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

async fn remove_person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((program, person)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        accounts::remove_membership(db, &program, &person)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCohort {
    id: Option<String>,
    name: String,
}

async fn add_cohort(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewCohort>,
) -> Result<(StatusCode, Json<accounts::Cohort>), ApiError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        Ok((StatusCode::CREATED, Json(accounts::add_cohort(db, &program, body.id.as_deref(), &body.name)?)))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPair {
    id: Option<String>,
    mentor_id: String,
    associate_id: String,
    cohort_id: Option<String>,
}

async fn add_pair(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewPair>,
) -> Result<(StatusCode, Json<accounts::Pair>), ApiError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        let pair = accounts::add_pair(
            db,
            &program,
            body.id.as_deref(),
            &body.mentor_id,
            &body.associate_id,
            body.cohort_id.as_deref(),
        )?;
        Ok((StatusCode::CREATED, Json(pair)))
    })
    .await
}

/// `{"mentor_id": "u-…"}` seats someone; `{"associate_id": null}` empties the seat; a missing
/// field leaves the seat as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairChange {
    #[serde(default, deserialize_with = "serde_with_option::deserialize")]
    mentor_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "serde_with_option::deserialize")]
    associate_id: Option<Option<String>>,
}

async fn change_pair(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(pair): Path<String>,
    Body(body): Body<PairChange>,
) -> Result<Json<accounts::Pair>, ApiError> {
    with_db(&state, move |db| {
        let current = accounts::pair(db, &pair)?;
        require_coordinator(db, &current.program_id, &signed_in.person)?;
        let mut result = current;
        if let Some(mentor) = &body.mentor_id {
            result = accounts::set_pair_seat(db, &pair, Seat::Mentor, mentor.as_deref())?;
        }
        if let Some(associate) = &body.associate_id {
            result = accounts::set_pair_seat(db, &pair, Seat::Associate, associate.as_deref())?;
        }
        Ok(Json(result))
    })
    .await
}

/// Tells a missing field (`None`) from an explicit `null` (`Some(None)`).
mod serde_with_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::<String>::deserialize(d)?))
    }
}
