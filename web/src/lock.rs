//! Locking the device: records hidden from whoever picks up the tablet, unlocked with no network.
//!
//! At each online sign-in (the one moment the app holds the person's password) the device keeps a
//! verifier of it: a random 16-byte salt and PBKDF2-HMAC-SHA-256 of the password over 600,000
//! iterations (the browser's WebCrypto, so no hashing code ships in the app). Unlocking derives
//! the same bits from what was typed and compares. The password itself is never stored.
//!
//! Why this is safe enough for what it guards: the lock keeps a passer-by from reading records on
//! a tablet left on a desk; it is not encryption, and someone who can read the browser's storage
//! can read the records too. What the verifier adds for such a person is a slow guess at the
//! password, at 600,000 hash rounds per try, which the relay's own argon2id hash and sign-in
//! throttling still guard on the network. Signing out clears the verifier with everything else.

use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::store::{IdbStorage, StoreError};

/// The setting the verifier is stored under.
const VERIFIER: &str = "lock-verifier";
/// The setting that says the device is locked (so a reload stays locked).
const LOCKED: &str = "locked";
/// OWASP's figure for PBKDF2-HMAC-SHA-256 (2023).
const ITERATIONS: u32 = 600_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Verifier {
    /// base58
    salt: String,
    iterations: u32,
    /// base58 of 32 derived bytes
    hash: String,
}

/// Keeps a verifier of `password` on the device, replacing any earlier one.
pub async fn remember(storage: &IdbStorage, password: &str) -> Result<(), String> {
    let mut salt = [0u8; 16];
    crypto()?.get_random_values_with_u8_array(&mut salt).map_err(js_error)?;
    let hash = derive(password, &salt, ITERATIONS).await?;
    let verifier = Verifier {
        salt: bs58::encode(salt).into_string(),
        iterations: ITERATIONS,
        hash: bs58::encode(hash).into_string(),
    };
    let json = serde_json::to_string(&verifier).map_err(|e| e.to_string())?;
    storage.set_setting(VERIFIER, Some(&json)).await.map_err(|e| e.to_string())
}

/// Whether the device can be locked (it has a verifier from a sign-in).
pub async fn can_lock(storage: &IdbStorage) -> bool {
    verifier(storage).await.is_some()
}

/// Whether `password` is the one the device's verifier was made from.
pub async fn check(storage: &IdbStorage, password: &str) -> Result<bool, String> {
    let Some(verifier) = verifier(storage).await else { return Ok(false) };
    let salt = bs58::decode(&verifier.salt).into_vec().map_err(|e| e.to_string())?;
    let expected = bs58::decode(&verifier.hash).into_vec().map_err(|e| e.to_string())?;
    let typed = derive(password, &salt, verifier.iterations).await?;
    // Compared without stopping at the first difference, so timing says nothing about the hash.
    Ok(typed.len() == expected.len()
        && typed.iter().zip(&expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0)
}

pub async fn is_locked(storage: &IdbStorage) -> bool {
    matches!(storage.setting(LOCKED).await, Ok(Some(_)))
}

pub async fn set_locked(storage: &IdbStorage, locked: bool) -> Result<(), StoreError> {
    storage.set_setting(LOCKED, locked.then_some("yes")).await
}

async fn verifier(storage: &IdbStorage) -> Option<Verifier> {
    let json = storage.setting(VERIFIER).await.ok()??;
    serde_json::from_str(&json).ok()
}

fn crypto() -> Result<web_sys::Crypto, String> {
    web_sys::window().ok_or("no window")?.crypto().map_err(js_error)
}

fn js_error(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// PBKDF2-HMAC-SHA-256 of `password` with `salt`, 256 bits.
async fn derive(password: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, String> {
    let subtle = crypto()?.subtle();
    let key_data = js_sys::Uint8Array::from(password.as_bytes());
    let usages = js_sys::Array::of1(&JsValue::from_str("deriveBits"));
    let key = JsFuture::from(
        subtle.import_key_with_str("raw", &key_data, "PBKDF2", false, &usages).map_err(js_error)?,
    )
    .await
    .map_err(js_error)?;
    let key: web_sys::CryptoKey = key.unchecked_into();
    let salt = js_sys::Uint8Array::from(salt);
    let params = web_sys::Pbkdf2Params::new("PBKDF2", &JsValue::from_str("SHA-256"), iterations, &salt);
    let bits = JsFuture::from(subtle.derive_bits_with_object(&params, &key, 256).map_err(js_error)?)
        .await
        .map_err(js_error)?;
    Ok(js_sys::Uint8Array::new(&bits).to_vec())
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    async fn the_password_the_verifier_was_made_from_unlocks_and_another_does_not() {
        let storage = IdbStorage::open("tandem-lock-test").await.unwrap();
        storage.clear().await.unwrap();
        assert!(!can_lock(&storage).await, "nothing to unlock with before a sign-in");
        assert!(!check(&storage, "anything").await.unwrap());
        remember(&storage, "correct horse battery").await.unwrap();
        assert!(can_lock(&storage).await);
        assert!(check(&storage, "correct horse battery").await.unwrap());
        assert!(!check(&storage, "correct horse batter").await.unwrap());
        let stored = storage.setting(VERIFIER).await.unwrap().unwrap();
        assert!(!stored.contains("correct horse"), "the password itself is never stored: {stored}");
        set_locked(&storage, true).await.unwrap();
        assert!(is_locked(&storage).await);
        set_locked(&storage, false).await.unwrap();
        assert!(!is_locked(&storage).await);
        storage.clear().await.unwrap();
        assert!(!can_lock(&storage).await, "signing out clears the verifier with the rest");
    }
}
