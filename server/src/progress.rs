//! A program's progress for its coordinators ([`tandem_api::ProgramProgress`]): observations per
//! pair per month, goals by status, check-ins per month, counted on the relay from the documents
//! it stores.
//!
//! What is counted is the privacy rule for coordinators (ARCHITECTURE.md): only documents whose
//! audience is one of the program's pairs (so never a draft, never the mentor's private notes,
//! never anything private to one person: those are claimed `private`), of the two kinds that say
//! how a pair is doing: shared observations (an observation still marked draft is not counted,
//! whatever its audience) and goals. The answer holds counts, statuses and the names of the
//! people in the seats; no word of any record.
//!
//! It works in two steps so the accounts lock is held only for a few short statements:
//! [`plan`] reads the pairs, the names and the pair documents' rows from the accounts database,
//! then [`count`] reads each of those documents from storage, off the accounts lock.
//!
//! How it scales: the work is bounded by the program's own pairs' documents; other programs'
//! documents and private ones are never read. Each document's figures are kept in a [`Cache`]
//! keyed by the names of its stored chunks (a snapshot's key names the heads it holds, an
//! incremental's hashes its bytes, so the names change exactly when the content does), so a
//! request reads each unchanged document's keys only (one index range scan) and loads, builds and
//! hydrates only what changed since. For a program of 50 pairs with a year of weekly observations
//! (some 2,600 documents) a first request reads every one; later ones read their keys.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use sha2::{Digest as _, Sha256};

use tandem_api::{GoalCounts, Month, MonthCount, PairProgress, ProgramProgress};
use tandem_core::{
    Doc, Goals, Observation, Schema as _, Timestamp,
    automerge::{self, ReadDoc as _},
    model::{GoalStatus, ObservationStatus},
};
use tandem_sync::{DocumentId, StorageKey};

use crate::{
    accounts::{self, AccountError, Pair},
    storage::{
        Db, Storage, StorageError,
        purge::{self as rows, DocumentRow},
    },
};

/// What [`count`] reads: the program's pairs, the names in their seats, and the rows of the
/// documents shared with each pair.
#[derive(Debug, Clone)]
pub struct Plan {
    pub program_id: String,
    pub pairs: Vec<PlannedPair>,
}

#[derive(Debug, Clone)]
pub struct PlannedPair {
    pub pair: Pair,
    pub mentor_name: Option<String>,
    pub associate_name: Option<String>,
    pub documents: Vec<DocumentRow>,
}

/// The program's pairs and their pair documents, from the accounts database (short statements:
/// call it under the accounts lock, then [`count`] outside it).
pub fn plan(db: &Db, program: &str) -> Result<Plan, AccountError> {
    let names: HashMap<String, String> =
        accounts::members_of(db, program)?.into_iter().map(|(person, _)| (person.id, person.name)).collect();
    let name = |seat: &Option<String>| seat.as_ref().and_then(|id| names.get(id).cloned());
    let mut pairs = Vec::new();
    for pair in accounts::pairs_of_program(db, program)? {
        let documents =
            rows::documents_of_pair(db, &pair.id)?.into_iter().filter(|row| row.audience == "pair").collect();
        pairs.push(PlannedPair {
            mentor_name: name(&pair.mentor_id),
            associate_name: name(&pair.associate_id),
            documents,
            pair,
        });
    }
    Ok(Plan { program_id: program.to_owned(), pairs })
}

/// At most this many documents' figures are kept; past it the cache starts afresh (a relay that
/// large recounts a program's documents once more, which is all a miss costs).
const CACHE_DOCUMENTS: usize = 50_000;

/// What a document counted for, and the digest of the chunk names it was counted from.
type Cached = ([u8; 32], Counted);

/// Each counted document's figures, by the names of the chunks they were counted from. Shared
/// by the relay's requests ([`crate::AppState::progress`]).
#[derive(Debug, Clone, Default)]
pub struct Cache {
    figures: Arc<Mutex<HashMap<DocumentId, Cached>>>,
    /// How many documents were loaded from storage and counted (misses), for the tests.
    loads: Arc<AtomicU64>,
}

impl Cache {
    /// How many documents this cache has loaded from storage so far.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// What document `id` counts for, from the cache while its chunks are the same ones.
    fn counted(&self, storage: &Storage, id: &DocumentId) -> Result<Counted, StorageError> {
        let prefix = StorageKey::document_prefix(id);
        let names = digest(&storage.keys_under(&prefix)?);
        if let Some((seen, counted)) = self.figures.lock().expect("progress cache poisoned").get(id)
            && *seen == names
        {
            return Ok(counted.clone());
        }
        let chunks = storage.load_range(&prefix)?;
        self.loads.fetch_add(1, Ordering::Relaxed);
        // Keyed by the chunks actually read, which may be newer than the names above.
        let names = digest(&chunks.iter().map(|(key, _)| key.clone()).collect::<Vec<_>>());
        let counted = counted_from(chunks);
        let mut figures = self.figures.lock().expect("progress cache poisoned");
        if figures.len() >= CACHE_DOCUMENTS {
            figures.clear();
        }
        figures.insert(*id, (names, counted.clone()));
        Ok(counted)
    }
}

/// One digest of a document's chunk names (snapshots and incrementals; its sync states change
/// without its content doing so).
fn digest(keys: &[StorageKey]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for key in keys.iter().filter(|key| key.chunk_kind().is_some()) {
        hash.update(key.to_string().as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().into()
}

/// Reads the planned documents (from `cache` where unchanged) and counts them.
pub fn count(storage: &Storage, cache: &Cache, plan: Plan) -> Result<ProgramProgress, StorageError> {
    let mut pairs = Vec::with_capacity(plan.pairs.len());
    let mut seen = Vec::<Month>::new();
    for planned in plan.pairs {
        let mut figures = Figures::default();
        for row in &planned.documents {
            let Ok(id) = row.id.parse::<DocumentId>() else { continue };
            figures.add(&cache.counted(storage, &id)?);
        }
        seen.extend(figures.observations.keys().chain(figures.checkins.keys()));
        pairs.push(PairProgress {
            pair_id: planned.pair.id,
            mentor_name: planned.mentor_name,
            associate_name: planned.associate_name,
            observations: by_month(figures.observations),
            goals: figures.goals,
            checkins: by_month(figures.checkins),
        });
    }
    Ok(ProgramProgress { program_id: plan.program_id, months: axis(&seen), pairs })
}

/// Every month from the earliest to the latest of `seen`.
fn axis(seen: &[Month]) -> Vec<Month> {
    let (Some(first), Some(last)) = (seen.iter().min(), seen.iter().max()) else { return Vec::new() };
    let mut months = vec![*first];
    while months.last() != Some(last) {
        months.push(months.last().expect("not empty").next());
    }
    months
}

fn by_month(counts: BTreeMap<Month, u32>) -> Vec<MonthCount> {
    counts.into_iter().map(|(month, count)| MonthCount { month, count }).collect()
}

fn month_of(at: Timestamp) -> Month {
    let date = at.date();
    Month { year: date.year, month: date.month }
}

/// What one stored document adds to its pair's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Counted {
    /// A shared observation, in the month of its lesson.
    Observation(Month),
    Goals {
        goals: GoalCounts,
        checkins: Vec<Month>,
    },
    /// A draft, another kind of document (the pair's index), or nothing readable.
    Nothing,
}

#[derive(Debug, Default)]
struct Figures {
    observations: BTreeMap<Month, u32>,
    goals: GoalCounts,
    checkins: BTreeMap<Month, u32>,
}

impl Figures {
    fn add(&mut self, counted: &Counted) {
        match counted {
            Counted::Observation(month) => *self.observations.entry(*month).or_default() += 1,
            Counted::Goals { goals, checkins } => {
                self.goals.active += goals.active;
                self.goals.achieved += goals.achieved;
                self.goals.reworked += goals.reworked;
                self.goals.dropped += goals.dropped;
                for month in checkins {
                    *self.checkins.entry(*month).or_default() += 1;
                }
            }
            Counted::Nothing => {}
        }
    }
}

/// An observation counts once it is shared, in the month of its lesson (or of its sharing, the
/// shared document's creation, when the mentor gave no date).
fn observation(obs: &Observation) -> Counted {
    if obs.status == ObservationStatus::Draft {
        return Counted::Nothing;
    }
    Counted::Observation(match obs.context.date {
        Some(date) => Month { year: date.year, month: date.month },
        None => month_of(obs.created_at),
    })
}

/// A goals document's goals by status (a status two people set differently at once counts as
/// the one automerge shows until someone resolves it) and its check-ins by month.
fn goals(doc: &Goals) -> Counted {
    let mut goals = GoalCounts::default();
    let mut checkins = Vec::new();
    for goal in &doc.goals {
        match goal.status {
            GoalStatus::Active => goals.active += 1,
            GoalStatus::Achieved => goals.achieved += 1,
            GoalStatus::Reworked => goals.reworked += 1,
            GoalStatus::Dropped => goals.dropped += 1,
        }
        checkins.extend(goal.checkins.iter().map(|c| month_of(c.at)));
    }
    Counted::Goals { goals, checkins }
}

/// What a stored document's chunks count for. A chunk automerge cannot read is left out, as the
/// sync engine does; a document that is not a readable record counts nothing.
fn counted_from(chunks: Vec<(StorageKey, Vec<u8>)>) -> Counted {
    let mut am = automerge::AutoCommit::new_with_encoding(automerge::TextEncoding::UnicodeCodePoint);
    for (key, bytes) in chunks {
        if key.chunk_kind().is_some() {
            let _ = am.load_incremental(&bytes);
        }
    }
    let kind = match am.get(automerge::ROOT, "kind") {
        Ok(Some((automerge::Value::Scalar(kind), _))) => kind.as_str().map(str::to_owned),
        _ => None,
    };
    let kind = kind.as_deref();
    if kind == Some(Observation::KIND) {
        Doc::<Observation>::from_automerge(am)
            .and_then(|d| d.read())
            .map_or(Counted::Nothing, |o| observation(&o))
    } else if kind == Some(Goals::KIND) {
        Doc::<Goals>::from_automerge(am).and_then(|d| d.read()).map_or(Counted::Nothing, |g| goals(&g))
    } else {
        Counted::Nothing
    }
}

#[cfg(test)]
mod tests {
    use tandem_api::Audience;
    use tandem_core::{
        UserId, genesis,
        model::{ContextInit, Date},
        ops::{self, goals::GoalInit},
        share,
    };

    use super::*;
    use crate::{
        access,
        accounts::{Role, add_pair, add_person, create_program, set_membership},
        storage::Write,
    };

    const NOV: Month = Month { year: 2026, month: 11 };
    const DEC: Month = Month { year: 2026, month: 12 };
    /// 2026-12-01 09:00 UTC.
    const T: Timestamp = Timestamp(1_796_115_600_000);
    const SECRET: &str = "Jordan cried when asked to read aloud";

    fn actor(n: u8) -> automerge::ActorId {
        automerge::ActorId::from([n; 16].as_slice())
    }

    fn store(storage: &Storage, db: &Db, owner: &str, audience: &Audience, id: u8, bytes: Vec<u8>) {
        let id = DocumentId::from_bytes([id; 16]);
        access::claim(db, owner, &id.to_string(), audience, 0).unwrap();
        // Saved as an incremental chunk and a snapshot of nothing more, as the engine stores.
        let key = StorageKey::incremental(&id, &bytes);
        storage.write_blocking(vec![Write::Put { key, data: bytes }]).unwrap();
    }

    fn draft(mentor: &UserId, associate: &UserId, pair: &str, date: Option<Date>) -> Doc<Observation> {
        let context = ContextInit { date, subject: "Science".into(), ..Default::default() };
        let mut obs = genesis::observation(actor(1), mentor, T, pair, mentor, associate, &context);
        ops::observation::add_note(&mut obs, mentor, T, "n1", SECRET, &[]).unwrap();
        obs.commit();
        obs
    }

    #[test]
    fn coordinators_count_shared_observations_per_month_goals_by_status_and_check_ins_never_drafts_or_notes()
    {
        for (_scratch, location) in crate::storage::scratch_locations() {
            let storage = Storage::open(&location).unwrap();
            let db = storage.connect().unwrap();
            println!("--- on {:?}", db.backend());
            counts_only_what_the_pair_shares(&storage, &db);
        }
    }

    fn counts_only_what_the_pair_shares(storage: &Storage, db: &Db) {
        let program = create_program(db, Some("north"), "North").unwrap();
        for (id, name, role) in [
            ("m", "Grace Hopper", Role::Mentor),
            ("a", "Mei Chen", Role::Associate),
            ("c", "Dana Reyes", Role::Coordinator),
            ("m2", "Ada Byron", Role::Mentor),
            ("a2", "Sam Lee", Role::Associate),
        ] {
            add_person(db, Some(id), &format!("{id}@x.example"), name, None).unwrap();
            set_membership(db, &program, id, role).unwrap();
        }
        add_pair(db, &program, Some("pair-1"), "m", "a", None).unwrap();
        add_pair(db, &program, Some("pair-2"), "m2", "a2", None).unwrap();
        let (mentor, associate) = (UserId::new("m"), UserId::new("a"));
        let pair = Audience::Pair { pair_id: "pair-1".into() };

        // Two observations shared from November lessons, one from December, one with no date
        // (shared on 2026-12-01); a draft kept private; a draft claimed for the pair by a
        // client that skipped sharing; the mentor's private notes.
        let nov = Date::new(2026, 11, 20);
        for (n, date) in (10..).zip([nov, nov, Date::new(2026, 12, 3), None]) {
            let mut shared =
                share::snapshot(&draft(&mentor, &associate, "pair-1", date), actor(2), &mentor, T).unwrap();
            store(storage, db, "m", &pair, n, shared.save());
        }
        store(storage, db, "m", &Audience::Private, 20, draft(&mentor, &associate, "pair-1", nov).save());
        store(storage, db, "m", &pair, 21, draft(&mentor, &associate, "pair-1", nov).save());
        let mut notes = genesis::mentor_notes(actor(3), &mentor, T, "pair-1");
        ops::mentor_notes::add_entry(&mut notes, &mentor, T, "e1", SECRET).unwrap();
        store(storage, db, "m", &Audience::Private, 22, notes.save());

        // Goals: one of each status; two check-ins in November, one in December.
        let mut goals = genesis::goals(actor(4), &mentor, T, "pair-1");
        for id in ["g1", "g2", "g3", "g4", "g5"] {
            let init = GoalInit { title: SECRET, ..Default::default() };
            ops::goals::add_goal(&mut goals, &mentor, T, id, &init).unwrap();
        }
        ops::goals::set_status(&mut goals, &mentor, T, "g2", GoalStatus::Achieved).unwrap();
        ops::goals::rework_goal(&mut goals, &mentor, T, "g3", "g5").unwrap();
        ops::goals::drop_goal(&mut goals, &associate, T, "g4", SECRET).unwrap();
        let nov_20 = Timestamp(T.0 - 11 * 86_400_000);
        ops::goals::check_in(&mut goals, &associate, nov_20, "g1", "c1", 30, SECRET).unwrap();
        ops::goals::check_in(&mut goals, &associate, nov_20, "g1", "c2", 40, SECRET).unwrap();
        ops::goals::check_in(&mut goals, &associate, T, "g5", "c3", 10, SECRET).unwrap();
        store(storage, db, "a", &pair, 30, goals.save());

        let cache = Cache::default();
        let progress = count(storage, &cache, plan(db, &program).unwrap()).unwrap();
        assert_eq!(progress.months, [NOV, DEC]);
        assert_eq!(progress.pairs.len(), 2, "every pair, the one with nothing recorded too");
        let first = &progress.pairs[0];
        assert_eq!(
            (first.mentor_name.as_deref(), first.associate_name.as_deref()),
            (Some("Grace Hopper"), Some("Mei Chen"))
        );
        assert_eq!(
            first.observations,
            [MonthCount { month: NOV, count: 2 }, MonthCount { month: DEC, count: 2 }],
            "shared ones by the lesson's month, the undated one by its sharing; no draft"
        );
        assert_eq!(first.goals, GoalCounts { active: 2, achieved: 1, reworked: 1, dropped: 1 });
        assert_eq!(
            first.checkins,
            [MonthCount { month: NOV, count: 2 }, MonthCount { month: DEC, count: 1 }]
        );
        let second = &progress.pairs[1];
        assert!(second.observations.is_empty() && second.checkins.is_empty());
        assert_eq!(second.goals.total(), 0);

        let json = serde_json::to_string(&progress).unwrap();
        assert!(!json.contains("Jordan") && !json.contains("Science"), "no content of any record: {json}");

        // Asked again, nothing is loaded again; a new check-in is counted at once, by loading
        // only the goals document anew.
        let loads = cache.loads();
        assert_eq!(loads, 6, "the pair's six documents were read, never the two private ones");
        assert_eq!(count(storage, &cache, plan(db, &program).unwrap()).unwrap(), progress);
        assert_eq!(cache.loads(), loads, "nothing changed, nothing loaded");
        let heads = goals.heads();
        ops::goals::check_in(&mut goals, &associate, T, "g1", "c4", 60, SECRET).unwrap();
        let more = goals.save_after(&heads);
        let key = StorageKey::incremental(&DocumentId::from_bytes([30; 16]), &more);
        storage.write_blocking(vec![Write::Put { key, data: more }]).unwrap();
        let again = count(storage, &cache, plan(db, &program).unwrap()).unwrap();
        assert_eq!(cache.loads(), loads + 1, "only the changed document is loaded");
        assert_eq!(
            again.pairs[0].checkins,
            [MonthCount { month: NOV, count: 2 }, MonthCount { month: DEC, count: 2 }]
        );
    }

    #[test]
    fn the_months_axis_runs_from_the_first_to_the_last_month_across_a_new_year() {
        let oct = Month { year: 2026, month: 10 };
        let feb = Month { year: 2027, month: 2 };
        assert_eq!(
            axis(&[feb, oct, DEC]),
            [oct, NOV, DEC, Month { year: 2027, month: 1 }, feb],
            "the empty months in between too"
        );
        assert_eq!(axis(&[]), Vec::<Month>::new());
    }
}
