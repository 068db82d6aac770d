//! Demo mode (`tandem serve --demo`): the core's sample program with sign-ins anyone may use.
//!
//! People (the sample's), the program, its cohort and pairs go into the accounts tables with the ids the sample
//! documents use, and every sample document is stored and claimed for its audience, so a person
//! can sign in as the mentor on one device and as the associate on another and see the same pair.
//! Loading twice changes nothing: a data directory that already holds the demo is left as it is.

use crate::storage::Db;
use tandem_core::{automerge::ActorId, model::UserId, sample};
use tandem_sync::{DocumentId, StorageKey};

use crate::{
    access::{self, Audience},
    accounts::{self, Role},
    storage::{Storage, Write},
};

/// The password of every demo sign-in (printed at start; it is a demo).
pub const DEMO_PASSWORD: &str = "tandem-demo";
const PROGRAM_ID: &str = "riverside";

/// A demo sign-in to print.
#[derive(Debug, Clone)]
pub struct DemoSignIn {
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The demo's people (the core's sample) as accounts: (id, email, name, role). The email is the
/// first name at `demo.tandem`.
fn people() -> Vec<(&'static str, String, &'static str, Role)> {
    sample::PEOPLE
        .iter()
        .map(|(id, name, role)| {
            let first = name.split(' ').next().unwrap_or(name).to_lowercase();
            let role = Role::parse(role.as_str()).expect("the core's roles are the API's");
            (*id, format!("{first}@demo.tandem"), *name, role)
        })
        .collect()
}

/// Loads the demo into `storage` unless it is there already; returns the sign-ins either way.
pub fn load(storage: &Storage, now_ms: i64) -> anyhow::Result<Vec<DemoSignIn>> {
    let db = storage.connect()?;
    let sign_ins = people()
        .into_iter()
        .map(|(_, email, name, role)| DemoSignIn { email, name: name.into(), role })
        .collect();
    if accounts::program_exists(&db, PROGRAM_ID)? {
        return Ok(sign_ins);
    }
    let mut demo = sample::demo(
        |user: &UserId| ActorId::from(format!("demo-{}", user.as_str()).as_bytes()),
        |_name| DocumentId::new_random(rand::random()).to_string(),
        tandem_core::model::Timestamp(now_ms),
    )?;
    crate::storage::atomically(&db, |db| setup_accounts(db, &demo, now_ms))?;
    let writes = demo
        .save_all()
        .into_iter()
        .map(|(id, bytes)| -> anyhow::Result<Write> {
            let document: DocumentId = id.parse()?;
            let doc = tandem_core::automerge::Automerge::load(&bytes)?;
            Ok(Write::Put { key: StorageKey::snapshot(&document, &doc.get_heads()), data: bytes })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    storage.write_blocking(writes)?;
    Ok(sign_ins)
}

fn setup_accounts(db: &Db, demo: &sample::Demo, now_ms: i64) -> anyhow::Result<()> {
    accounts::create_program(db, Some(PROGRAM_ID), "Riverside Teacher Residency")?;
    let people = people();
    for (id, email, name, role) in &people {
        accounts::add_person(db, Some(id), email, name, Some(DEMO_PASSWORD))?;
        accounts::set_membership(db, PROGRAM_ID, id, *role)?;
    }
    let (cohort, cohort_name) = sample::COHORT;
    accounts::add_cohort(db, PROGRAM_ID, Some(cohort), cohort_name)?;
    let coordinator = people[0].0;
    access::claim(
        db,
        coordinator,
        &demo.program.0,
        &Audience::Program { program_id: PROGRAM_ID.into() },
        now_ms,
    )?;
    for pair in &demo.pairs {
        let (mentor, associate) = (pair.mentor.as_str(), pair.associate.as_str());
        accounts::add_pair(db, PROGRAM_ID, Some(&pair.pair), mentor, associate, Some(cohort))?;
        let shared = Audience::Pair { pair_id: pair.pair.clone() };
        access::claim(db, mentor, &pair.index.0, &shared, now_ms)?;
        access::claim(db, mentor, &pair.goals.0, &shared, now_ms)?;
        access::claim(db, mentor, &pair.mentor_notes.0, &Audience::Private, now_ms)?;
        for (id, observation) in &pair.observations {
            let draft = observation.read()?.status == tandem_core::model::ObservationStatus::Draft;
            let audience = if draft { Audience::Private } else { shared.clone() };
            access::claim(db, mentor, id, &audience, now_ms)?;
        }
    }
    Ok(())
}
