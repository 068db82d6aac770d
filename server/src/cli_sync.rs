//! `tandem sync`: a one-shot native client for scripts and cross-language tests.
//!
//! Each command starts the native client ([`tandem_server::client`]), does one thing, waits until
//! the relay has acknowledged it (for writes: the relay stored the changes, the client's `Synced`),
//! prints the result on standard output and exits. Failures (an unreachable relay, a refused
//! token, a document the relay does not have) exit non-zero with a sentence on standard error.
//!
//! Documents go in and out as JSON: objects are maps, arrays are lists, strings are collaborative
//! text (as the JavaScript automerge-repo writes them), numbers, booleans and null are scalars.
//! Output is automerge's own JSON export ([`automerge::AutoSerde`]).

use std::time::Duration;

use anyhow::{Context, bail};
use automerge::{
    Automerge, ObjId, ObjType, ROOT, ReadDoc,
    transaction::{Transactable, Transaction},
};
use serde_json::Value;
use tandem_server::client::{Client, ClientStorage};
use tandem_sync::{AutomergeUrl, DocumentId};

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The relay's sync endpoint, e.g. `ws://127.0.0.1:8080/sync`.
    #[arg(long, env = "TANDEM_RELAY")]
    relay: String,
    /// An access token (`tandem admin token --person ...`), sent as `?token=`. Without one the
    /// relay URL must carry its own credentials.
    #[arg(long, env = "TANDEM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    #[command(subcommand)]
    command: SyncCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SyncCommand {
    /// Create a document from a JSON object; prints its `automerge:` URL once the relay stored it.
    Create {
        /// The document's content, a JSON object.
        #[arg(long)]
        json: String,
    },
    /// Print a document as JSON, once it is synced with the relay.
    Show {
        /// The document, `automerge:<id>`.
        url: String,
    },
    /// Append a text item to a list at the document's top level (made when missing); returns once
    /// the relay stored it.
    Append {
        /// The document, `automerge:<id>`.
        url: String,
        /// The list's key.
        #[arg(long)]
        list: String,
        /// The item.
        #[arg(long)]
        text: String,
    },
}

/// Runs one command. On failure it prints the reason (one line, no backtrace: scripts show it to
/// people) and exits with status 1.
pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
    if let Err(error) = execute(args).await {
        eprintln!("tandem sync: {error:#}");
        std::process::exit(1);
    }
    Ok(())
}

async fn execute(args: SyncArgs) -> anyhow::Result<()> {
    let url = match &args.token {
        Some(token) => {
            let separator = if args.relay.contains('?') { '&' } else { '?' };
            format!("{}{separator}token={token}", args.relay)
        }
        None => args.relay.clone(),
    };
    let timeout = Duration::from_secs(args.timeout_secs);
    let work = async {
        check_reachable(&url, &args.relay).await?;
        let client = Client::start(url.clone(), ClientStorage::memory());
        match args.command {
            SyncCommand::Create { json } => create(&client, &json).await,
            SyncCommand::Show { url } => show(&client, &url).await,
            SyncCommand::Append { url, list, text } => append(&client, &url, list, text).await,
        }
    };
    tokio::time::timeout(timeout, work).await.with_context(|| {
        format!("gave up after {} s: the relay at {} did not answer in time", args.timeout_secs, args.relay)
    })?
}

/// The native client retries forever (it is made for devices that come and go); a script wants to
/// hear at once that the relay is not there or refuses it.
async fn check_reachable(url: &str, shown: &str) -> anyhow::Result<()> {
    use tokio_tungstenite::tungstenite::Error;
    match tokio_tungstenite::connect_async(url).await {
        Ok((mut socket, _)) => {
            let _ = socket.close(None).await;
            Ok(())
        }
        Err(Error::Http(response)) if response.status() == 401 => {
            bail!(
                "the relay at {shown} refused the connection: pass an access token with --token (tandem admin token)"
            )
        }
        Err(Error::Http(response)) => bail!("the relay at {shown} answered {}", response.status()),
        Err(error) => bail!("cannot reach the relay at {shown}: {error}; is it running?"),
    }
}

fn parse_url(url: &str) -> anyhow::Result<DocumentId> {
    let url: AutomergeUrl =
        url.parse().map_err(|e| anyhow::anyhow!("{url:?} is not a document URL (automerge:<id>): {e}"))?;
    Ok(url.document_id())
}

async fn create(client: &Client, json: &str) -> anyhow::Result<()> {
    let value: Value = serde_json::from_str(json).context("--json is not valid JSON")?;
    let Value::Object(fields) = value else {
        bail!("--json must be a JSON object, the document's top level")
    };
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    for (key, value) in &fields {
        put(&mut tx, &ROOT, key, value)?;
    }
    tx.commit();
    let id = client.create(doc).await?;
    client.synced(id).await?;
    println!("{}", id.url());
    Ok(())
}

/// Opens a document, failing clearly when the relay does not have it (or may not show it).
async fn open(client: &Client, id: DocumentId) -> anyhow::Result<()> {
    if !client.open(id).await? {
        bail!("the relay has no document {} (or you may not see it)", id.url());
    }
    Ok(())
}

async fn show(client: &Client, url: &str) -> anyhow::Result<()> {
    let id = parse_url(url)?;
    open(client, id).await?;
    client.synced(id).await?;
    let json = client
        .read(id, |doc| doc.map(|doc| serde_json::to_string_pretty(&automerge::AutoSerde::from(doc))))
        .await?
        .context("the document was dropped from memory")??;
    println!("{json}");
    Ok(())
}

async fn append(client: &Client, url: &str, list: String, text: String) -> anyhow::Result<()> {
    let id = parse_url(url)?;
    open(client, id).await?;
    let (done, result) = tokio::sync::oneshot::channel();
    client
        .change(id, move |doc| {
            let mut tx = doc.transaction();
            let appended = append_text(&mut tx, &list, &text);
            tx.commit();
            let _ = done.send(appended);
        })
        .await?;
    result.await.context("the client stopped")??;
    client.synced(id).await?;
    Ok(())
}

fn append_text(tx: &mut Transaction<'_>, list: &str, text: &str) -> anyhow::Result<()> {
    let list_id = match tx.get(ROOT, list)? {
        Some((automerge::Value::Object(ObjType::List), id)) => id,
        Some(_) => bail!("`{list}` is not a list in this document"),
        None => tx.put_object(ROOT, list, ObjType::List)?,
    };
    let at = tx.length(&list_id);
    let item = tx.insert_object(&list_id, at, ObjType::Text)?;
    tx.splice_text(&item, 0, 0, text)?;
    Ok(())
}

/// Writes `value` under `key` of the map `obj`.
fn put(tx: &mut Transaction<'_>, obj: &ObjId, key: &str, value: &Value) -> anyhow::Result<()> {
    match value {
        Value::Object(fields) => {
            let map = tx.put_object(obj, key, ObjType::Map)?;
            for (k, v) in fields {
                put(tx, &map, k, v)?;
            }
        }
        Value::Array(items) => {
            let list = tx.put_object(obj, key, ObjType::List)?;
            for (i, item) in items.iter().enumerate() {
                insert(tx, &list, i, item)?;
            }
        }
        Value::String(s) => {
            let text = tx.put_object(obj, key, ObjType::Text)?;
            tx.splice_text(&text, 0, 0, s)?;
        }
        scalar => tx.put(obj, key, scalar_of(scalar))?,
    }
    Ok(())
}

/// Inserts `value` at `index` of the list `list`.
fn insert(tx: &mut Transaction<'_>, list: &ObjId, index: usize, value: &Value) -> anyhow::Result<()> {
    match value {
        Value::Object(fields) => {
            let map = tx.insert_object(list, index, ObjType::Map)?;
            for (k, v) in fields {
                put(tx, &map, k, v)?;
            }
        }
        Value::Array(items) => {
            let inner = tx.insert_object(list, index, ObjType::List)?;
            for (i, item) in items.iter().enumerate() {
                insert(tx, &inner, i, item)?;
            }
        }
        Value::String(s) => {
            let text = tx.insert_object(list, index, ObjType::Text)?;
            tx.splice_text(&text, 0, 0, s)?;
        }
        scalar => tx.insert(list, index, scalar_of(scalar))?,
    }
    Ok(())
}

fn scalar_of(value: &Value) -> automerge::ScalarValue {
    match value {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or_default().into(),
        },
        _ => automerge::ScalarValue::Null,
    }
}
