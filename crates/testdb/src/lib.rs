//! PostgreSQL for Tandem's tests.
//!
//! [`TestDatabase::create`] hands a test a schema of its own in this test run's database, as a
//! connection string the relay takes (`--database`). The run's database is created on first use
//! and dropped when the test binary exits; a run that was killed leaves its database behind, and
//! the next run drops it (its name carries the process id).
//!
//! Which server: `TANDEM_TEST_DATABASE_URL` (a role that may create databases) when set; otherwise
//! the machine's own PostgreSQL on 127.0.0.1:5432, which this crate starts (Debian's
//! `pg_ctlcluster`, run as the `postgres` user: the server refuses to run as root) and gives the
//! role `tandem_test`, when it is installed but not running. `cargo xtask install` installs it.
//!
//! Without a server, PostgreSQL tests are skipped with a line saying so, except under `CI=true`:
//! there a missing server fails the run, so CI never passes by skipping.

use std::{
    process::Command,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use postgres::{Client, NoTls};

/// The role and password this crate gives the local server; only ever on loopback.
const LOCAL_ROLE: &str = "tandem_test";
const LOCAL_URL: &str = "postgres://tandem_test:tandem_test@127.0.0.1:5432/postgres";
/// Test databases are named `tandem_test_<pid>_<start>`; stale ones are recognised by the prefix.
const DATABASE_PREFIX: &str = "tandem_test_";

/// A schema of its own for one test, in this run's database; dropped with everything in it when
/// this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    schema: String,
    url: String,
}

impl TestDatabase {
    /// A fresh, empty schema, or `None` (after saying why) when no PostgreSQL server can be had
    /// and `CI` is not `true`. Under `CI=true` a missing server panics.
    pub fn create() -> Option<Self> {
        // On a thread of its own: the blocking client may not block a thread driving async tasks,
        // and tests call this from async ones.
        std::thread::scope(|scope| scope.spawn(Self::create_here).join())
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    fn create_here() -> Option<Self> {
        let run = run_database()?;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let schema = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        run.admin().batch_execute(&format!("CREATE SCHEMA {schema}")).expect("cannot create a test schema");
        // The relay's connections find their tables through the search path.
        let url = format!("{}?options=-csearch_path%3D{schema}", run.url);
        Some(Self { schema, url })
    }

    /// The connection string for this schema: what `tandem serve --database` takes.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection to this schema, for a test to look at what the relay stored. A blocking
    /// client: use it off async tasks (`spawn_blocking`).
    pub fn connect(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("cannot connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(run) = RUN.get().and_then(Option::as_ref) else { return };
        let drop_schema = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        let dropped =
            std::thread::scope(|scope| scope.spawn(|| run.admin().batch_execute(&drop_schema)).join());
        if let Ok(Err(error)) = dropped {
            eprintln!("tandem-testdb: could not drop schema {}: {error}", self.schema);
        }
    }
}

/// This test run's database.
struct RunDatabase {
    /// The server's maintenance connection string (database `postgres`), to create and drop.
    server: String,
    name: String,
    /// A connection string to `name`.
    url: String,
    admin: Mutex<Client>,
}

impl RunDatabase {
    fn admin(&self) -> std::sync::MutexGuard<'_, Client> {
        self.admin.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

static RUN: OnceLock<Option<RunDatabase>> = OnceLock::new();

fn run_database() -> Option<&'static RunDatabase> {
    RUN.get_or_init(|| {
        let explicit = std::env::var("TANDEM_TEST_DATABASE_URL").ok().filter(|url| !url.is_empty());
        let server = explicit.clone().unwrap_or_else(|| LOCAL_URL.to_owned());
        let mut client = match Client::connect(&server, NoTls) {
            Ok(client) => client,
            Err(_) if explicit.is_none() => match start_local_server() {
                Ok(client) => client,
                Err(why) => return unavailable(&why),
            },
            Err(error) => {
                return unavailable(&format!("cannot connect to TANDEM_TEST_DATABASE_URL: {error}"));
            }
        };
        drop_stale_databases(&mut client);
        let started =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let name = format!("{DATABASE_PREFIX}{}_{started}", std::process::id());
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("cannot create the test run's database");
        let url = with_database(&server, &name);
        let admin = Client::connect(&url, NoTls).expect("cannot connect to the test run's database");
        drop(client);
        register_drop_at_exit();
        Some(RunDatabase { server, name, url, admin: Mutex::new(admin) })
    })
    .as_ref()
}

fn unavailable(why: &str) -> Option<RunDatabase> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("PostgreSQL tests cannot be skipped under CI=true: {why}");
    }
    eprintln!("tandem-testdb: skipping PostgreSQL tests: {why}");
    None
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Starts the machine's PostgreSQL cluster and gives it the test role; a connection once it
/// answers.
fn start_local_server() -> Result<Client, String> {
    let clusters = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .map_err(|e| format!("no PostgreSQL here (pg_lsclusters: {e}); `cargo xtask install` installs it"))?;
    let listing = String::from_utf8_lossy(&clusters.stdout).into_owned();
    let Some((version, cluster)) = listing.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
    }) else {
        return Err("PostgreSQL is installed but has no cluster".into());
    };
    if !listing.lines().any(|line| line.contains("online")) {
        let started = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, &cluster, "start"])
            .status()
            .map_err(|e| format!("cannot run pg_ctlcluster: {e}"))?;
        if !started.success() {
            return Err(format!("pg_ctlcluster {version} {cluster} start failed ({started})"));
        }
    }
    // Over the Unix socket as `postgres` (peer authentication), once: the role the tests use.
    let create_role = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{LOCAL_ROLE}') THEN \
         CREATE ROLE {LOCAL_ROLE} LOGIN PASSWORD '{LOCAL_ROLE}' CREATEDB; END IF; END $$;"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let role = Command::new("runuser")
            .args(["-u", "postgres", "--", "psql", "-qAt", "-c", &create_role])
            .output()
            .map_err(|e| format!("cannot run psql as postgres: {e}"))?;
        if role.status.success() {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("cannot create the test role: {}", String::from_utf8_lossy(&role.stderr)));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Client::connect(LOCAL_URL, NoTls)
        .map_err(|e| format!("the local server started but refuses the test role: {e}"))
}

/// Drops databases of earlier runs whose process is gone (a killed run never reached its exit).
fn drop_stale_databases(client: &mut Client) {
    let Ok(rows) =
        client.query("SELECT datname FROM pg_database WHERE datname LIKE 'tandem\\_test\\_%'", &[])
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name.strip_prefix(DATABASE_PREFIX).and_then(|rest| rest.split('_').next());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The test harness ends with `std::process::exit`, which runs no destructors of statics but
/// does run C `atexit` handlers: the one place a run can drop its database.
#[allow(unsafe_code)]
fn register_drop_at_exit() {
    extern "C" fn drop_run_database() {
        let Some(run) = RUN.get().and_then(Option::as_ref) else { return };
        // On a thread of its own: the client runs a tokio runtime, and the exiting thread's
        // thread-locals (tokio's among them, in a program with a runtime) may be gone already.
        // Whatever happens there stays there: a panic must not cross this `extern "C"` frame.
        let dropped = std::thread::spawn(move || {
            if let Ok(mut client) = Client::connect(&run.server, NoTls) {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", run.name));
            }
        });
        let _ = dropped.join();
    }
    // SAFETY: `atexit` only records the function pointer; the handler touches no thread-local
    // state of the exiting thread and tolerates running while other threads still exist.
    unsafe {
        libc::atexit(drop_run_database);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_string_gets_the_run_database_in_place_of_its_own() {
        assert_eq!(with_database("postgres://u:p@h:5432/postgres", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }

    #[test]
    fn a_test_schema_is_empty_isolated_and_dropped_with_its_value() {
        let Some(first) = TestDatabase::create() else { return };
        let second = TestDatabase::create().unwrap();
        first.connect().batch_execute("CREATE TABLE only_here (x BIGINT)").unwrap();
        let count = |db: &TestDatabase| -> i64 {
            db.connect()
                .query_one(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
                    &[],
                )
                .unwrap()
                .get(0)
        };
        assert_eq!((count(&first), count(&second)), (1, 0));
        let schema = first.schema.clone();
        drop(first);
        let left: i64 = second
            .connect()
            .query_one("SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", &[&schema])
            .unwrap()
            .get(0);
        assert_eq!(left, 0, "the schema is dropped with its value");
    }
}
