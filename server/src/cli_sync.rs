//! `tandem sync`: a one-shot native client for scripts and cross-language tests.
//!
//! Each command starts the native client ([`tandem_client`]), does one thing, waits until
//! the relay has acknowledged it (for writes: the relay stored the changes, the client's `Synced`),
//! prints the result on standard output and exits. Failures (an unreachable relay, a refused
//! token, a document the relay does not have) exit non-zero with a sentence on standard error.
//!
//! Documents go in and out as JSON: objects are maps, arrays are lists, strings are collaborative
//! text (as the JavaScript automerge-repo writes them), numbers, booleans and null are scalars.
//! They are raw documents, written only through [`tandem_core::raw`]: `create` makes the whole
//! structure once, `append` only adds to a list that is there. Output is automerge's own JSON
//! export ([`automerge::AutoSerde`]).

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tandem_client::Client;
use tandem_core::raw;
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
    /// Append a text item to a list at the document's top level; returns once the relay stored it.
    /// A missing list is an error: lists are made with the document (`create`), never later.
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
        let client = Client::start(url.clone());
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
    let id = client.create(raw::genesis(&fields)?).await?;
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
    // The list may come in a later change than the one that made the document known here: edit
    // the copy the relay has, not a first glimpse of it.
    client.synced(id).await?;
    client.change(id, move |doc| raw::edit(doc, |edit| edit.append_text(&list, &text))).await??;
    client.synced(id).await?;
    Ok(())
}
