//! `tandem admin ...`: a coordinator's setup, run directly against a data directory's database
//! (the relay may be running: SQLite lets both in, and the relay reads memberships per message).
//!
//! Passwords are read from standard input (one line) so they stay out of shell history and `ps`.
//! Access tokens are printed once and only their hash is kept.

use std::{io::BufRead, path::PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::{
    access::{self, Audience},
    accounts::{self, Role, Seat},
    storage::Storage,
};

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The relay's data directory (as given to `tandem serve --data`).
    #[arg(long, env = "TANDEM_DATA", default_value = "./tandem-data")]
    pub data: PathBuf,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a program (a residency); prints its id.
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
        role: Role,
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
        role: Role,
    },
    /// Remove someone from a program and its pairs; their devices stop receiving its documents.
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
        /// Seconds until the token expires (default: never).
        #[arg(long)]
        valid_for_secs: Option<u64>,
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
        /// `private`, `pair:<pair id>` or `program:<program id>`.
        #[arg(long)]
        audience: String,
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
    let storage = Storage::open_in(&args.data)?;
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
            accounts::set_membership(&db, &program, &added.id, role)?;
            writeln!(out, "{}", added.id)?;
        }
        AdminCommand::SetRole { person: key, program, role } => {
            accounts::set_membership(&db, &program, &person(&key)?, role)?;
        }
        AdminCommand::RemoveFromProgram { person: key, program } => {
            accounts::remove_membership(&db, &program, &person(&key)?)?;
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
            accounts::set_pair_seat(&db, &pair, seat, None)?;
        }
        AdminCommand::SetPassword { person: key } => {
            let password = read_password()?;
            accounts::set_password(&db, &person(&key)?, &password, None)?;
        }
        AdminCommand::Token { person: key, label, valid_for_secs } => {
            let lifetime = valid_for_secs.map(|s| s as i64 * 1000);
            let token =
                accounts::create_token(&db, &person(&key)?, label.as_deref(), accounts::now_ms(), lifetime)?;
            writeln!(out, "{token}")?;
        }
        AdminCommand::Claim { document, owner, audience } => {
            let audience = match audience.split_once(':') {
                None if audience == "private" => Audience::Private,
                Some(("pair", id)) => Audience::Pair { pair_id: id.into() },
                Some(("program", id)) => Audience::Program { program_id: id.into() },
                _ => anyhow::bail!("--audience must be private, pair:<pair id> or program:<program id>"),
            };
            access::claim(&db, &person(&owner)?, &document, &audience, accounts::now_ms())?;
        }
        AdminCommand::SelfSigned { .. } => unreachable!("handled before the database is opened"),
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
