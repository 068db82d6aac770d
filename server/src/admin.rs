//! `tandem admin ...`: a coordinator's setup, run directly against a data directory's database
//! (the relay may be running: SQLite lets both in, and the relay reads memberships per message).
//! What ends someone's sessions or access here is recorded for a running relay, which closes the
//! sockets concerned within a second ([`crate::sync::ends`]).
//!
//! Passwords are read from standard input (one line) so they stay out of shell history and `ps`.
//! Access tokens are printed once and only their hash is kept.

use std::{io::BufRead, path::PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::{
    access::{self, Audience},
    accounts::{self, Role, Seat},
    clock::Clock,
    purge, setup,
    storage::Storage,
    sync::ends::{self, Ended},
};

/// A role on the command line (`--role mentor`); the API's [`Role`] is serde-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Coordinator,
    Mentor,
    Associate,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Coordinator => Role::Coordinator,
            RoleArg::Mentor => Role::Mentor,
            RoleArg::Associate => Role::Associate,
        }
    }
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The relay's data directory (as given to `tandem serve --data`).
    #[arg(long, env = "TANDEM_DATA", default_value = "./tandem-data")]
    pub data: PathBuf,
    /// The relay's PostgreSQL database (as given to `tandem serve --database`), instead of --data.
    #[arg(long, env = "TANDEM_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a program (a residency); prints its id. Its first coordinator (`add-person --role
    /// coordinator`) gets the program document: a default competency framework and question bank,
    /// which coordinators then edit in the app.
    CreateProgram {
        #[arg(long)]
        name: String,
        /// An id of your choosing (default: generated).
        #[arg(long)]
        id: Option<String>,
    },
    /// Add a person, with a role in a program; prints their id. Without `--password-stdin` the
    /// person can only use access tokens until a password is set.
    AddPerson {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        program: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        id: Option<String>,
    },
    /// Give someone who exists a role in a program (or change it).
    SetRole {
        /// Email or id.
        #[arg(long)]
        person: String,
        #[arg(long)]
        program: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Remove someone from a program and its pairs; their devices stop receiving its documents, and
    /// a running relay closes their open sockets within a second.
    RemoveFromProgram {
        #[arg(long)]
        person: String,
        #[arg(long)]
        program: String,
    },
    /// Add a cohort to a program; prints its id.
    AddCohort {
        #[arg(long)]
        program: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        id: Option<String>,
    },
    /// Pair a mentor with an associate; prints the pair's id.
    AddPair {
        #[arg(long)]
        program: String,
        /// Email or id.
        #[arg(long)]
        mentor: String,
        /// Email or id.
        #[arg(long)]
        associate: String,
        #[arg(long)]
        cohort: Option<String>,
        #[arg(long)]
        id: Option<String>,
    },
    /// Empty a seat of a pair (`--mentor` or `--associate`): that person stops seeing its documents.
    LeavePair {
        #[arg(long)]
        pair: String,
        #[arg(long, conflicts_with = "associate", required_unless_present = "associate")]
        mentor: bool,
        #[arg(long)]
        associate: bool,
    },
    /// Set a person's password, read from the first line of standard input. Ends their sessions.
    SetPassword {
        #[arg(long)]
        person: String,
    },
    /// Create an access token for a person (for devices and scripts that cannot sign in through
    /// the web page). Printed once; only its hash is stored.
    Token {
        /// Email or id.
        #[arg(long)]
        person: String,
        /// What the token is for, e.g. "classroom tablet".
        #[arg(long)]
        label: Option<String>,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_days: u32,
        /// Seconds until the token expires, instead of `--expires-days` (for short-lived tokens).
        #[arg(long, conflicts_with = "expires_days")]
        valid_for_secs: Option<u64>,
    },
    /// List a person's access tokens: id, label, created and expiry times (UTC). Secrets are
    /// never shown again.
    Tokens {
        /// Email or id.
        #[arg(long)]
        person: String,
    },
    /// Revoke an access token by the id `tandem admin tokens` lists. A running relay closes the
    /// sockets it opened within a second.
    RevokeToken {
        #[arg(long)]
        id: String,
    },
    /// Record the audience of a document stored before accounts existed (or not yet synced).
    /// `--owner` must belong to the audience.
    Claim {
        /// The automerge document id.
        #[arg(long)]
        document: String,
        /// Email or id of the person who owns it.
        #[arg(long)]
        owner: String,
        /// `private`, `pair:<pair id>`, `pair-and-coordinators:<pair id>` (a stage record) or `program:<program id>`.
        #[arg(long)]
        audience: String,
    },
    /// Delete records for good at the end of their retention: a person's (`--person`: the
    /// documents they own and their pairs' documents, and their account, sessions and tokens)
    /// or a pair's (`--pair`: the pair's documents). Lists what goes and asks to confirm. The
    /// database file keeps none of their bytes; devices that held them delete their copies when
    /// they next sync; the access record keeps one line saying who purged what, when.
    Purge {
        /// Email or id.
        #[arg(long, conflicts_with = "pair", required_unless_present = "pair")]
        person: Option<String>,
        #[arg(long)]
        pair: Option<String>,
        /// Purge without asking for confirmation.
        #[arg(long)]
        yes: bool,
        /// Who asked for the purge (email or id of a person), for the access record.
        #[arg(long)]
        by: Option<String>,
    },
    /// Print everything the relay stores about a person as one JSON document (schema
    /// `tandem-export/1`, described by `tandem_api::Export`): their account, pairs, every record
    /// they wrote or received with its content, and the access record about them. The export
    /// is itself recorded in the access record.
    Export {
        /// Email or id.
        #[arg(long)]
        person: String,
        /// Who asked for the export (email or id of a person), for the access record.
        #[arg(long)]
        by: Option<String>,
    },
    /// Copy a SQLite deployment (the `tandem.sqlite3` in `--from`) into a new, empty PostgreSQL
    /// database: every chunk, person, session, token and audience, in one transaction, then
    /// checked table by table (rows and a SHA-256 of both sides). Stop the relay first, or copy
    /// a `tandem admin backup` of it.
    Copy {
        /// The data directory of the SQLite deployment.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL connection string to copy into.
        #[arg(long)]
        to: String,
    },
    /// Write a consistent copy of the SQLite database in `--data` to a new file, while the relay
    /// keeps running (SQLite's online backup), checked against the database it copied.
    Backup {
        /// The file to write; never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Make a local certificate authority and an https certificate for the relay's host name,
    /// for a school network without a public name; prints how to trust the CA on iPad, Android
    /// and Chromebook, and how to start the relay with it. Needs no database.
    SelfSigned {
        /// The name (or IP address) devices use to reach the relay; repeat for more than one.
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// Where to write the CA and the certificate.
        #[arg(long, default_value = "./tandem-tls")]
        out: PathBuf,
    },
}

/// Runs one admin command; what it prints goes to `out`.
pub fn run(args: AdminArgs, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    if let AdminCommand::SelfSigned { hosts, out: dir } = &args.command {
        let written = crate::tls::self_signed::write(hosts, dir)?;
        write!(out, "{}", crate::tls::self_signed::instructions(&hosts[0], &written))?;
        return Ok(());
    }
    match &args.command {
        AdminCommand::Copy { from, to } => {
            let tables = crate::storage::transfer::copy(from, to)?;
            print_tables(out, "copied and checked", &tables)?;
            return Ok(());
        }
        AdminCommand::Backup { to } => {
            if args.database.is_some() {
                anyhow::bail!("backup copies a SQLite data directory; back PostgreSQL up with pg_dump");
            }
            let tables = crate::storage::transfer::backup(&args.data, to)?;
            print_tables(out, &format!("backed up to {} and checked", to.display()), &tables)?;
            return Ok(());
        }
        _ => {}
    }
    // Its own process, so its own instance of the relay's one clock; it stamps tokens and claims.
    let clock = Clock::system();
    let storage = Storage::open(&crate::storage::Location::new(&args.data, args.database.as_deref()))?;
    let db = storage.connect()?;
    let person = |key: &str| accounts::person_by_id_or_email(&db, key).map(|p| p.id);
    match args.command {
        AdminCommand::CreateProgram { name, id } => {
            writeln!(out, "{}", accounts::create_program(&db, id.as_deref(), &name)?)?;
        }
        AdminCommand::AddPerson { email, name, program, role, password_stdin, id } => {
            let password = password_stdin.then(read_password).transpose()?;
            if !accounts::program_exists(&db, &program)? {
                anyhow::bail!(
                    "there is no program {program:?}; create it with `tandem admin create-program`"
                );
            }
            let added = accounts::add_person(&db, id.as_deref(), &email, &name, password.as_deref())?;
            accounts::set_membership(&db, &program, &added.id, role.into())?;
            if role == RoleArg::Coordinator {
                setup::ensure_program_document(&storage, &db, &program, &added.id, clock.now_ms())?;
            }
            writeln!(out, "{}", added.id)?;
        }
        AdminCommand::SetRole { person: key, program, role } => {
            let id = person(&key)?;
            accounts::set_membership(&db, &program, &id, role.into())?;
            if role == RoleArg::Coordinator {
                setup::ensure_program_document(&storage, &db, &program, &id, clock.now_ms())?;
            }
        }
        AdminCommand::RemoveFromProgram { person: key, program } => {
            let id = person(&key)?;
            accounts::remove_membership(&db, &program, &id)?;
            ends::record(&db, &Ended::AccessOf { person: id }, clock.now_ms())?;
        }
        AdminCommand::AddCohort { program, name, id } => {
            writeln!(out, "{}", accounts::add_cohort(&db, &program, id.as_deref(), &name)?.id)?;
        }
        AdminCommand::AddPair { program, mentor, associate, cohort, id } => {
            let pair = accounts::add_pair(
                &db,
                &program,
                id.as_deref(),
                &person(&mentor)?,
                &person(&associate)?,
                cohort.as_deref(),
            )?;
            writeln!(out, "{}", pair.id)?;
        }
        AdminCommand::LeavePair { pair, mentor, associate: _ } => {
            let seat = if mentor { Seat::Mentor } else { Seat::Associate };
            let before = accounts::pair(&db, &pair)?;
            accounts::set_pair_seat(&db, &pair, seat, None)?;
            let seated = if mentor { before.mentor_id } else { before.associate_id };
            if let Some(id) = seated {
                ends::record(&db, &Ended::AccessOf { person: id }, clock.now_ms())?;
            }
        }
        AdminCommand::SetPassword { person: key } => {
            let password = read_password()?;
            let id = person(&key)?;
            accounts::set_password(&db, &id, &password, None)?;
            ends::record(&db, &Ended::SessionsOf { person: id, except: None }, clock.now_ms())?;
        }
        AdminCommand::Token { person: key, label, expires_days, valid_for_secs } => {
            let lifetime = valid_for_secs.map_or(i64::from(expires_days) * 24 * 3600 * 1000, |s| {
                i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000)
            });
            let token =
                accounts::create_token(&db, &person(&key)?, label.as_deref(), clock.now_ms(), lifetime)?;
            writeln!(out, "{token}")?;
        }
        AdminCommand::Tokens { person: key } => {
            for token in accounts::tokens_of(&db, &person(&key)?)? {
                let expires = token.expires_ms.map_or_else(|| "never".to_owned(), utc);
                let label = token.label.as_deref().unwrap_or("-");
                writeln!(out, "{}\t{label}\tcreated {}\texpires {expires}", token.id, utc(token.created_ms))?;
            }
        }
        AdminCommand::RevokeToken { id } => {
            let hash = accounts::revoke_token(&db, &id)?;
            ends::record(&db, &Ended::Secret(hash), clock.now_ms())?;
        }
        AdminCommand::Claim { document, owner, audience } => {
            let audience = match audience.split_once(':') {
                None if audience == "private" => Audience::Private,
                Some(("pair", id)) => Audience::Pair { pair_id: id.into() },
                Some(("program", id)) => Audience::Program { program_id: id.into() },
                Some(("pair-and-coordinators", id)) => Audience::PairAndCoordinators { pair_id: id.into() },
                _ => anyhow::bail!(
                    "--audience must be private, pair:<pair id>, pair-and-coordinators:<pair id> or program:<program id>"
                ),
            };
            access::claim(&db, &person(&owner)?, &document, &audience, clock.now_ms())?;
        }
        AdminCommand::Purge { person: subject, pair, yes, by } => {
            let actor = match by {
                Some(key) => person(&key)?,
                None => purge::COMMAND_LINE.to_owned(),
            };
            let plan = match (subject, pair) {
                (Some(key), _) => purge::plan_person(&storage, &db, &key)?,
                (None, Some(pair)) => purge::plan_pair(&storage, &db, &pair)?,
                (None, None) => unreachable!("clap requires --person or --pair"),
            };
            write!(out, "{}", plan.describe())?;
            if !yes {
                write!(out, "Type yes to purge all of this, anything else to stop: ")?;
                out.flush()?;
                let mut answer = String::new();
                std::io::stdin().lock().read_line(&mut answer).context("cannot read the confirmation")?;
                if answer.trim() != "yes" {
                    anyhow::bail!("nothing was purged");
                }
            }
            let receipt = purge::execute(&db, &plan, &actor, clock.now_ms())?;
            writeln!(
                out,
                "Purged {} document(s) ({} bytes) of {}; access record line {}.",
                receipt.documents,
                receipt.bytes,
                plan.subject_line(),
                receipt.record_seq
            )?;
        }
        AdminCommand::Export { person: subject, by } => {
            let actor = match by {
                Some(key) => person(&key)?,
                None => purge::COMMAND_LINE.to_owned(),
            };
            let export = crate::export::person(&storage, &db, &subject, &actor, clock.now_ms())?;
            writeln!(out, "{}", serde_json::to_string_pretty(&export)?)?;
        }
        AdminCommand::SelfSigned { .. } | AdminCommand::Copy { .. } | AdminCommand::Backup { .. } => {
            unreachable!("handled before the database is opened")
        }
    }
    Ok(())
}

/// One line per table: its rows and digest, as both sides of a copy or backup agreed on them.
fn print_tables(
    out: &mut impl std::io::Write,
    what: &str,
    tables: &[crate::storage::transfer::TableSummary],
) -> anyhow::Result<()> {
    let rows: u64 = tables.iter().map(|t| t.rows).sum();
    writeln!(out, "{what}: {} tables, {rows} rows", tables.len())?;
    for table in tables {
        writeln!(out, "{}\t{} rows\tsha256 {}", table.table, table.rows, table.sha256)?;
    }
    Ok(())
}

/// A time for people: `2026-12-01 08:30 UTC` (the day from the core's calendar arithmetic).
fn utc(ms: i64) -> String {
    let of_day = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{} {:02}:{:02} UTC", tandem_core::Timestamp(ms).date(), of_day / 3600, of_day % 3600 / 60)
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(data: &std::path::Path, command: AdminCommand) -> anyhow::Result<String> {
        let mut out = Vec::new();
        run(AdminArgs { data: data.to_owned(), database: None, command }, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn tokens_expire_by_default_are_listed_by_id_and_revoked_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        admin(&data, AdminCommand::CreateProgram { name: "P".into(), id: Some("p".into()) }).unwrap();
        let add = AdminCommand::AddPerson {
            email: "a@x.example".into(),
            name: "A".into(),
            program: "p".into(),
            role: RoleArg::Mentor,
            password_stdin: false,
            id: Some("u-a".into()),
        };
        admin(&data, add).unwrap();
        let token = |label: &str, expires_days| AdminCommand::Token {
            person: "a@x.example".into(),
            label: Some(label.into()),
            expires_days,
            valid_for_secs: None,
        };
        let tablet = admin(&data, token("tablet", 90)).unwrap().trim().to_owned();
        admin(&data, token("script", 7)).unwrap();

        let listed = admin(&data, AdminCommand::Tokens { person: "a@x.example".into() }).unwrap();
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(lines.len(), 2, "{listed}");
        assert!(lines[0].contains("\ttablet\t") && lines[1].contains("\tscript\t"), "{listed}");
        assert!(!listed.contains(tablet.trim_start_matches("tandem_")), "no secret is listed");
        let db = Storage::open_in(&data).unwrap().connect().unwrap();
        let tokens = accounts::tokens_of(&db, "u-a").unwrap();
        let days = |t: &accounts::TokenInfo| (t.expires_ms.unwrap() - t.created_ms) / (24 * 3600 * 1000);
        assert_eq!((days(&tokens[0]), days(&tokens[1])), (90, 7), "expiring by default, or as asked");

        let id = lines[0].split('\t').next().unwrap().to_owned();
        admin(&data, AdminCommand::RevokeToken { id: id.clone() }).unwrap();
        assert_eq!(accounts::authenticate(&db, &tablet, Clock::system().now_ms()).unwrap(), None);
        let listed = admin(&data, AdminCommand::Tokens { person: "u-a".into() }).unwrap();
        assert!(!listed.contains(&id) && listed.contains("\tscript\t"), "{listed}");
        let again = admin(&data, AdminCommand::RevokeToken { id }).unwrap_err();
        assert!(again.to_string().contains("there is no token"), "{again}");
    }

    #[test]
    fn a_programs_first_coordinator_gets_its_program_document_with_the_default_framework_and_bank() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        admin(&data, AdminCommand::CreateProgram { name: "North".into(), id: Some("north".into()) }).unwrap();
        let coordinator = |email: &str, id: &str| AdminCommand::AddPerson {
            email: email.into(),
            name: "C".into(),
            program: "north".into(),
            role: RoleArg::Coordinator,
            password_stdin: false,
            id: Some(id.into()),
        };
        admin(&data, coordinator("c@x.example", "u-c")).unwrap();
        admin(&data, coordinator("d@x.example", "u-d")).unwrap();
        let storage = Storage::open_in(&data).unwrap();
        let db = storage.connect().unwrap();
        let documents = crate::storage::documents::program_documents(&db, "north").unwrap();
        assert_eq!(documents.len(), 1, "one program document, made for the first coordinator only");
        let id: tandem_sync::DocumentId = documents[0].parse().unwrap();
        let chunks = storage.load_range(&tandem_sync::StorageKey::document_prefix(&id)).unwrap();
        assert_eq!(chunks.len(), 1, "stored before it was claimed");
        let program = tandem_core::Doc::<tandem_core::Program>::load(
            &chunks[0].1,
            tandem_core::automerge::ActorId::from(b"reader".as_slice()),
        )
        .unwrap()
        .read()
        .unwrap();
        assert_eq!(program.name, "North");
        assert_eq!(program.framework().unwrap().competencies.len(), 4);
        assert_eq!(program.question_bank.len(), tandem_core::defaults::QUESTIONS.len());
        assert_eq!(access::access(&db, "u-c", &documents[0]).unwrap(), access::Access::Write);
    }

    #[test]
    fn times_are_listed_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_795_170_600_000), "2026-11-20 10:30 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
