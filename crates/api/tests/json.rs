//! Pins the JSON of every API type: the relay and the web app agree through these types, and
//! devices keep some of them as stored settings, so a change of shape must show up here first.

use std::fmt::Debug;

use serde::{Serialize, de::DeserializeOwned};
use tandem_api::*;

/// `value` is written exactly as `json`, and `json` reads back as `value`.
#[track_caller]
fn check<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T, json: &str) {
    assert_eq!(serde_json::to_string(&value).unwrap(), json, "how {value:?} is written");
    assert_eq!(serde_json::from_str::<T>(json).unwrap(), value, "how {json} is read");
}

fn person() -> Person {
    Person { id: "u-1".into(), email: "grace@school.example".into(), name: "Grace".into() }
}

fn pair() -> Pair {
    Pair {
        id: "pair-1".into(),
        program_id: "prog".into(),
        cohort_id: Some("cohort-a".into()),
        mentor_id: Some("u-1".into()),
        associate_id: None,
    }
}

#[test]
fn roles_are_written_in_lowercase_and_parse_back_from_their_names() {
    check(Role::Coordinator, r#""coordinator""#);
    check(Role::Mentor, r#""mentor""#);
    check(Role::Associate, r#""associate""#);
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
        assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{}\"", role.as_str()));
    }
    assert_eq!(Role::parse("Mentor"), None);
}

#[test]
fn people_memberships_cohorts_and_pairs_keep_their_field_names() {
    check(person(), r#"{"id":"u-1","email":"grace@school.example","name":"Grace"}"#);
    check(
        Membership { program_id: "prog".into(), person_id: "u-1".into(), role: Role::Mentor },
        r#"{"program_id":"prog","person_id":"u-1","role":"mentor"}"#,
    );
    check(
        Cohort { id: "cohort-a".into(), program_id: "prog".into(), name: "Autumn".into() },
        r#"{"id":"cohort-a","program_id":"prog","name":"Autumn"}"#,
    );
    check(
        pair(),
        r#"{"id":"pair-1","program_id":"prog","cohort_id":"cohort-a","mentor_id":"u-1","associate_id":null}"#,
    );
}

#[test]
fn me_puts_the_persons_fields_at_the_top_level() {
    check(
        Me {
            person: person(),
            memberships: vec![Membership {
                program_id: "prog".into(),
                person_id: "u-1".into(),
                role: Role::Coordinator,
            }],
            pairs: vec![pair()],
            people: vec![Colleague {
                id: "u-2".into(),
                name: "Mei".into(),
                program_id: "prog".into(),
                role: Role::Associate,
            }],
            cohorts: vec![],
            purged: vec![],
        },
        concat!(
            r#"{"id":"u-1","email":"grace@school.example","name":"Grace","#,
            r#""memberships":[{"program_id":"prog","person_id":"u-1","role":"coordinator"}],"#,
            r#""pairs":[{"id":"pair-1","program_id":"prog","cohort_id":"cohort-a","mentor_id":"u-1","associate_id":null}],"#,
            r#""people":[{"id":"u-2","name":"Mei","program_id":"prog","role":"associate"}],"cohorts":[]}"#,
        ),
    );
}

#[test]
fn me_lists_purged_documents_for_the_device_to_delete_and_leaves_the_field_out_when_there_are_none() {
    let mut me: Me =
        serde_json::from_str(r#"{"id":"u-1","email":"a@b","name":"G","memberships":[],"pairs":[]}"#).unwrap();
    assert!(me.purged.is_empty(), "an older relay's answer (or an older device's stored one) reads");
    assert!(!serde_json::to_string(&me).unwrap().contains("purged"));
    me.purged = vec!["2ZXnkHCQd4ZWx9X1RBgS6ZxPgyAR".into()];
    assert!(serde_json::to_string(&me).unwrap().ends_with(r#","purged":["2ZXnkHCQd4ZWx9X1RBgS6ZxPgyAR"]}"#));
}

#[test]
fn an_account_stored_by_an_older_app_still_reads() {
    // What the web app stored before this crate existed: memberships without `person_id`, pairs
    // without `cohort_id`, access as a string. A device opened offline must still find its person.
    let me: Me = serde_json::from_str(
        r#"{"id":"u-1","email":"a@b","name":"Grace",
            "memberships":[{"program_id":"prog","role":"mentor"}],
            "pairs":[{"id":"pair-1","program_id":"prog","mentor_id":"u-1","associate_id":"u-2"}]}"#,
    )
    .unwrap();
    assert_eq!(me.memberships[0].role, Role::Mentor);
    assert_eq!(me.pairs[0].cohort_id, None);
    assert_eq!(me.pairs[0].associate_id.as_deref(), Some("u-2"));
    assert!(me.people.is_empty() && me.cohorts.is_empty(), "stored before names came from the relay");
    let entry: DocumentEntry = serde_json::from_str(
        r#"{"id":"d","audience":{"kind":"pair","pair_id":"pair-1"},"owner_id":"u-1","access":"read"}"#,
    )
    .unwrap();
    assert_eq!(entry.access, Access::Read);
}

#[test]
fn sign_in_and_password_change_bodies_keep_their_field_names() {
    check(
        SignIn { email: "a@b".into(), password: "long enough pw".into() },
        r#"{"email":"a@b","password":"long enough pw"}"#,
    );
    check(
        PasswordChange { current: "first password".into(), new: "second password".into() },
        r#"{"current":"first password","new":"second password"}"#,
    );
}

#[test]
fn audiences_are_tagged_by_kind() {
    check(Audience::Private, r#"{"kind":"private"}"#);
    check(Audience::Pair { pair_id: "pair-1".into() }, r#"{"kind":"pair","pair_id":"pair-1"}"#);
    check(Audience::Program { program_id: "prog".into() }, r#"{"kind":"program","program_id":"prog"}"#);
    check(
        Audience::PairAndCoordinators { pair_id: "pair-1".into() },
        r#"{"kind":"pair-and-coordinators","pair_id":"pair-1"}"#,
    );
}

#[test]
fn access_is_written_in_lowercase_and_ordered_from_none_to_write() {
    check(Access::None, r#""none""#);
    check(Access::Read, r#""read""#);
    check(Access::Write, r#""write""#);
    assert!(Access::None < Access::Read && Access::Read < Access::Write);
}

#[test]
fn document_entries_claims_and_claim_requests_keep_their_field_names() {
    check(
        DocumentEntry {
            id: "d".into(),
            audience: Audience::Pair { pair_id: "pair-1".into() },
            owner_id: "u-1".into(),
            access: Access::Write,
        },
        r#"{"id":"d","audience":{"kind":"pair","pair_id":"pair-1"},"owner_id":"u-1","access":"write"}"#,
    );
    check(
        ClaimRequest { id: "d".into(), audience: Audience::Private },
        r#"{"id":"d","audience":{"kind":"private"}}"#,
    );
    check(
        Claim { id: "d".into(), audience: Audience::Private, owner_id: "u-1".into(), provisional: false },
        r#"{"id":"d","audience":{"kind":"private"},"owner_id":"u-1","provisional":false}"#,
    );
}

#[test]
fn a_discard_names_the_draft_and_its_notes_and_answers_what_it_removed() {
    check(DiscardRequest { draft: "d".into(), notes: vec!["n".into()] }, r#"{"draft":"d","notes":["n"]}"#);
    check(Discarded { removed: vec!["d".into(), "n".into()] }, r#"{"removed":["d","n"]}"#);
    let bare: DiscardRequest = serde_json::from_str(r#"{"draft":"d"}"#).unwrap();
    assert!(bare.notes.is_empty(), "a draft without notes names none");
}

#[test]
fn a_program_view_lists_people_with_their_role_beside_their_fields() {
    check(
        ProgramView {
            id: "prog".into(),
            name: "North residency".into(),
            people: vec![PersonInProgram { person: person(), role: Role::Mentor }],
            cohorts: vec![],
            pairs: vec![pair()],
        },
        concat!(
            r#"{"id":"prog","name":"North residency","people":[{"id":"u-1","email":"grace@school.example","name":"Grace","role":"mentor"}],"#,
            r#""cohorts":[],"pairs":[{"id":"pair-1","program_id":"prog","cohort_id":"cohort-a","mentor_id":"u-1","associate_id":null}]}"#,
        ),
    );
}

#[test]
fn a_coordinators_setup_bodies_leave_out_what_they_do_not_name() {
    check(
        NewPerson { email: "a@b".into(), name: "A".into(), role: Role::Associate, password: None },
        r#"{"email":"a@b","name":"A","role":"associate"}"#,
    );
    check(
        NewPerson { email: "a@b".into(), name: "A".into(), role: Role::Mentor, password: Some("pw".into()) },
        r#"{"email":"a@b","name":"A","role":"mentor","password":"pw"}"#,
    );
    check(RoleChange { role: Role::Coordinator }, r#"{"role":"coordinator"}"#);
    check(NewCohort { id: None, name: "Autumn".into() }, r#"{"name":"Autumn"}"#);
    check(NewCohort { id: Some("c".into()), name: "Autumn".into() }, r#"{"id":"c","name":"Autumn"}"#);
    check(
        NewPair { id: None, mentor_id: "u-1".into(), associate_id: "u-2".into(), cohort_id: None },
        r#"{"mentor_id":"u-1","associate_id":"u-2"}"#,
    );
    check(
        NewPair {
            id: Some("pair-1".into()),
            mentor_id: "u-1".into(),
            associate_id: "u-2".into(),
            cohort_id: Some("c".into()),
        },
        r#"{"id":"pair-1","mentor_id":"u-1","associate_id":"u-2","cohort_id":"c"}"#,
    );
}

#[test]
fn a_pair_change_tells_an_emptied_seat_from_one_left_alone() {
    check(PairChange::default(), r#"{}"#);
    check(PairChange { mentor_id: Some(Some("u-3".into())), associate_id: None }, r#"{"mentor_id":"u-3"}"#);
    check(PairChange { mentor_id: None, associate_id: Some(None) }, r#"{"associate_id":null}"#);
}

#[test]
fn setup_bodies_refuse_fields_they_do_not_know() {
    let error =
        serde_json::from_str::<NewPerson>(r#"{"email":"a@b","name":"A","role":"mentor","admin":true}"#)
            .unwrap_err();
    assert!(error.to_string().contains("unknown field `admin`"), "{error}");
    assert!(serde_json::from_str::<PairChange>(r#"{"cohort_id":"c"}"#).is_err());
    assert!(serde_json::from_str::<NewCohort>(r#"{"name":"A","program_id":"p"}"#).is_err());
    assert!(serde_json::from_str::<NewPair>(r#"{"mentor_id":"m","associate_id":"a","x":1}"#).is_err());
}

#[test]
fn errors_are_one_sentence_under_error() {
    check(ErrorBody { error: "sign in first".into(), invitation: None }, r#"{"error":"sign in first"}"#);
}

#[test]
fn a_closed_invitation_says_why_beside_its_sentence() {
    check(
        ErrorBody { error: "used".into(), invitation: Some(InvitationClosed::Used) },
        r#"{"error":"used","invitation":"used"}"#,
    );
    for (why, json) in
        [(InvitationClosed::Expired, r#""expired""#), (InvitationClosed::Withdrawn, r#""withdrawn""#)]
    {
        assert_eq!(serde_json::to_string(&why).unwrap(), json);
    }
}

/// Moved from the web crate (`api.rs`), where it could only run in headless Chromium.
#[test]
fn the_relays_answers_parse_as_the_web_app_reads_them() {
    let me: Me = serde_json::from_str(
        r#"{"id":"u1","email":"a@b","name":"Grace",
            "memberships":[{"program_id":"p","person_id":"u1","role":"mentor"}],
            "pairs":[{"id":"pr","program_id":"p","cohort_id":null,"mentor_id":"u1","associate_id":"u2"}]}"#,
    )
    .unwrap();
    assert_eq!(me.pairs[0].associate_id.as_deref(), Some("u2"));
    let docs: Vec<DocumentEntry> = serde_json::from_str(
        r#"[{"id":"d","audience":{"kind":"pair","pair_id":"pr"},"owner_id":"u1","access":"write"}]"#,
    )
    .unwrap();
    assert_eq!(docs[0].audience, Audience::Pair { pair_id: "pr".into() });
    assert_eq!(
        serde_json::to_string(&Audience::Pair { pair_id: "pr".into() }).unwrap(),
        r#"{"kind":"pair","pair_id":"pr"}"#
    );
}

#[test]
fn invitation_bodies_keep_their_field_names() {
    check(
        NewInvitation {
            email: "ada@x".into(),
            name: "Ada".into(),
            role: Role::Associate,
            expires_in_days: None,
        },
        r#"{"email":"ada@x","name":"Ada","role":"associate"}"#,
    );
    check(InvitationLink { token: "abc".into(), expires_ms: 5 }, r#"{"token":"abc","expires_ms":5}"#);
    check(
        InvitationView {
            program_name: "North".into(),
            email: "ada@x".into(),
            name: "Ada".into(),
            role: Role::Mentor,
            expires_ms: 5,
        },
        r#"{"program_name":"North","email":"ada@x","name":"Ada","role":"mentor","expires_ms":5}"#,
    );
    check(AcceptInvitation { password: "pw".into() }, r#"{"password":"pw"}"#);
    check(
        PendingInvitation {
            id: "0123456789abcdef".into(),
            email: "ada@x".into(),
            name: "Ada".into(),
            role: Role::Associate,
            created_ms: 1,
            expires_ms: 5,
        },
        r#"{"id":"0123456789abcdef","email":"ada@x","name":"Ada","role":"associate","created_ms":1,"expires_ms":5}"#,
    );
}

#[test]
fn a_token_is_listed_by_id_label_and_times_never_by_its_secret() {
    check(
        TokenEntry {
            id: "0123456789ab".into(),
            label: Some("tablet".into()),
            created_ms: 5,
            expires_ms: None,
        },
        r#"{"id":"0123456789ab","label":"tablet","created_ms":5,"expires_ms":null}"#,
    );
}

#[test]
fn a_programs_progress_is_counts_by_pair_and_month_with_names_and_no_content() {
    let nov = Month { year: 2026, month: 11 };
    check(
        ProgramProgress {
            program_id: "north".into(),
            months: vec![nov, nov.next()],
            pairs: vec![PairProgress {
                pair_id: "pair-1".into(),
                mentor_name: Some("Grace".into()),
                associate_name: None,
                observations: vec![MonthCount { month: nov, count: 2 }],
                goals: GoalCounts { active: 1, achieved: 2, reworked: 0, dropped: 1 },
                checkins: vec![MonthCount { month: nov.next(), count: 3 }],
            }],
        },
        concat!(
            r#"{"program_id":"north","months":[{"year":2026,"month":11},{"year":2026,"month":12}],"#,
            r#""pairs":[{"pair_id":"pair-1","mentor_name":"Grace","associate_name":null,"#,
            r#""observations":[{"month":{"year":2026,"month":11},"count":2}],"#,
            r#""goals":{"active":1,"achieved":2,"reworked":0,"dropped":1},"#,
            r#""checkins":[{"month":{"year":2026,"month":12},"count":3}]}]}"#,
        ),
    );
    assert_eq!(Month { year: 2026, month: 12 }.next(), Month { year: 2027, month: 1 });
    assert_eq!(GoalCounts { active: 1, achieved: 2, reworked: 3, dropped: 4 }.total(), 10);
}
