//! The API's JSON bodies on any bytes: every request body the relay reads (`server/src/api`) and
//! every answer the web app reads and keeps as a stored setting. Parsing never panics, and what
//! parses re-serialises to JSON that parses to the same value (a body the relay accepts means
//! one thing, and what a device stored reads back as it was).

use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_api as api;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let json = serde_json::to_vec(&value).expect("an API body always serialises");
    let again: T = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "{} re-serialised as {} does not parse: {e}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(again, value, "{} changes in a JSON round trip", std::any::type_name::<T>());
}

/// The `api_json` target.
pub fn check(data: &[u8]) {
    // Requests, as the relay reads them.
    round_trip::<api::SignIn>(data);
    round_trip::<api::PasswordChange>(data);
    round_trip::<api::ClaimRequest>(data);
    round_trip::<api::DiscardRequest>(data);
    round_trip::<api::NewPerson>(data);
    round_trip::<api::RoleChange>(data);
    round_trip::<api::NewInvitation>(data);
    round_trip::<api::AcceptInvitation>(data);
    round_trip::<api::NewCohort>(data);
    round_trip::<api::NewPair>(data);
    round_trip::<api::PairChange>(data);
    // Answers, as the web app reads them (and reads again from its stored settings).
    round_trip::<api::Me>(data);
    round_trip::<Vec<api::DocumentEntry>>(data);
    round_trip::<api::Claim>(data);
    round_trip::<api::Discarded>(data);
    round_trip::<api::ProgramView>(data);
    round_trip::<Vec<api::TokenEntry>>(data);
    round_trip::<api::InvitationLink>(data);
    round_trip::<api::InvitationView>(data);
    round_trip::<api::ProgramProgress>(data);
    round_trip::<api::ErrorBody>(data);
}
