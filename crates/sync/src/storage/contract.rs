//! The one storage contract test suite. Every backend calls [`run_all`] from its own tests:
//!
//! ```
//! use tandem_sync::storage::{contract, MemoryStorage};
//!
//! // An asynchronous backend awaits `run_all` inside its runtime's test (tokio, wasm-bindgen-test);
//! // backends whose futures are ready at once can use `contract::block_on`.
//! contract::block_on(contract::run_all(MemoryStorage::new)).unwrap();
//! ```
//!
//! `make_backend` must return a fresh, empty backend on every call. Failures are returned as a
//! [`ContractFailure`] naming the broken rule, so the calling test asserts on it.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::{Storage, StorageKey};
use crate::DocumentId;

/// A broken contract rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFailure {
    /// The case that failed.
    pub case: &'static str,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for ContractFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage contract case `{}` failed: {}", self.case, self.detail)
    }
}

impl std::error::Error for ContractFailure {}

fn key(parts: &[&str]) -> StorageKey {
    StorageKey::from_parts(parts.iter().copied()).expect("contract keys are valid")
}

fn fail(case: &'static str, detail: impl Into<String>) -> ContractFailure {
    ContractFailure { case, detail: detail.into() }
}

async fn sorted<S: Storage>(
    s: &S,
    case: &'static str,
    prefix: &StorageKey,
) -> Result<Vec<(StorageKey, Vec<u8>)>, ContractFailure> {
    let mut got = s.load_range(prefix).await.map_err(|e| fail(case, format!("load_range failed: {e}")))?;
    got.sort();
    Ok(got)
}

macro_rules! ok {
    ($case:expr, $e:expr) => {
        $e.await.map_err(|e| fail($case, format!("{} failed: {e}", stringify!($e))))?
    };
}

/// Runs every case against fresh backends from `make_backend`.
pub async fn run_all<S: Storage>(mut make_backend: impl FnMut() -> S) -> Result<(), ContractFailure> {
    a_put_value_loads_back_under_every_prefix(&make_backend()).await?;
    a_second_put_replaces_the_value(&make_backend()).await?;
    prefixes_match_whole_parts_only(&make_backend()).await?;
    deleting_removes_only_that_key_and_missing_keys_delete_fine(&make_backend()).await?;
    an_empty_store_loads_nothing(&make_backend()).await?;
    large_and_empty_values_roundtrip(&make_backend()).await?;
    Ok(())
}

async fn a_put_value_loads_back_under_every_prefix<S: Storage>(s: &S) -> Result<(), ContractFailure> {
    const CASE: &str = "a put value loads back under every prefix";
    let doc = DocumentId::from_bytes([1; 16]).to_string();
    let k = key(&[&doc, "incremental", "abc"]);
    ok!(CASE, s.put(&k, b"hello"));
    for prefix in [key(&[&doc]), key(&[&doc, "incremental"]), k.clone()] {
        let got = sorted(s, CASE, &prefix).await?;
        if got != vec![(k.clone(), b"hello".to_vec())] {
            return Err(fail(CASE, format!("load_range({prefix}) returned {got:?}")));
        }
    }
    Ok(())
}

async fn a_second_put_replaces_the_value<S: Storage>(s: &S) -> Result<(), ContractFailure> {
    const CASE: &str = "a second put replaces the value";
    let k = key(&["d", "snapshot", "h"]);
    ok!(CASE, s.put(&k, b"one"));
    ok!(CASE, s.put(&k, b"two"));
    let got = sorted(s, CASE, &key(&["d"])).await?;
    if got != vec![(k, b"two".to_vec())] {
        return Err(fail(CASE, format!("got {got:?}")));
    }
    Ok(())
}

async fn prefixes_match_whole_parts_only<S: Storage>(s: &S) -> Result<(), ContractFailure> {
    const CASE: &str = "prefixes match whole parts only";
    let a = key(&["a", "snapshot", "1"]);
    let ab = key(&["ab", "snapshot", "1"]);
    let a_inc = key(&["a", "incremental", "2"]);
    ok!(CASE, s.put(&a, b"a"));
    ok!(CASE, s.put(&ab, b"ab"));
    ok!(CASE, s.put(&a_inc, b"inc"));
    let got: Vec<StorageKey> = sorted(s, CASE, &key(&["a"])).await?.into_iter().map(|(k, _)| k).collect();
    let mut want = vec![a.clone(), a_inc.clone()];
    want.sort();
    if got != want {
        return Err(fail(CASE, format!("load_range([a]) returned keys {got:?}, want {want:?}")));
    }
    let got: Vec<StorageKey> =
        sorted(s, CASE, &key(&["a", "snapshot"])).await?.into_iter().map(|(k, _)| k).collect();
    if got != vec![a] {
        return Err(fail(CASE, format!("load_range([a, snapshot]) returned keys {got:?}")));
    }
    Ok(())
}

async fn deleting_removes_only_that_key_and_missing_keys_delete_fine<S: Storage>(
    s: &S,
) -> Result<(), ContractFailure> {
    const CASE: &str = "deleting removes only that key, and missing keys delete fine";
    let k1 = key(&["d", "incremental", "1"]);
    let k2 = key(&["d", "incremental", "2"]);
    ok!(CASE, s.put(&k1, b"1"));
    ok!(CASE, s.put(&k2, b"2"));
    ok!(CASE, s.delete(&k1));
    ok!(CASE, s.delete(&key(&["d", "incremental", "never-written"])));
    let got = sorted(s, CASE, &key(&["d"])).await?;
    if got != vec![(k2, b"2".to_vec())] {
        return Err(fail(CASE, format!("got {got:?}")));
    }
    Ok(())
}

async fn an_empty_store_loads_nothing<S: Storage>(s: &S) -> Result<(), ContractFailure> {
    const CASE: &str = "an empty store loads nothing";
    let got = sorted(s, CASE, &key(&["nothing"])).await?;
    if !got.is_empty() {
        return Err(fail(CASE, format!("got {got:?}")));
    }
    Ok(())
}

async fn large_and_empty_values_roundtrip<S: Storage>(s: &S) -> Result<(), ContractFailure> {
    const CASE: &str = "large and empty values roundtrip";
    let big: Vec<u8> = (0..(1usize << 20)).map(|i| (i * 31 % 251) as u8).collect();
    let kb = key(&["d", "snapshot", "big"]);
    let ke = key(&["d", "incremental", "empty"]);
    ok!(CASE, s.put(&kb, &big));
    ok!(CASE, s.put(&ke, b""));
    let got = sorted(s, CASE, &key(&["d"])).await?;
    let want = {
        let mut w = vec![(kb, big), (ke, Vec::new())];
        w.sort();
        w
    };
    if got != want {
        return Err(fail(CASE, "values changed on the way through storage"));
    }
    Ok(())
}

/// Runs a future to completion on the current thread by polling it in a loop: enough for backends
/// whose futures are ready at once (memory, SQLite). Asynchronous backends use their own executor.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::hint::spin_loop();
    }
}
