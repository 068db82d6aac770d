//! "Ready to work offline on this device": said once, after sign-in, when the service worker
//! has cached the app (its install stores every file of the shell or fails) and every record the
//! person may see is stored in IndexedDB. Until then the same place says the device is getting
//! ready, so a mentor does not walk into a classroom with half a device. Dismissed, it stays away
//! on this device until the next sign-in (signing out clears the setting with everything else).

use std::rc::Rc;

use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use crate::{app::Ctx, repo::DocStatus, session::Session};

/// The setting that says the person has read the notice on this device.
const SEEN: &str = "offline-ready-seen";

/// How far the device is from opening with no network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The app's code or some record is not stored yet.
    Preparing,
    /// The app's code and every record are on the device.
    Ready,
}

/// Readiness from whether a service worker controls the page and where each record stands. A
/// record that neither the device nor the relay has (`Unavailable`) has nothing to store; one
/// still loading, or with edits not yet written, is not on the device yet.
pub fn readiness(app_cached: bool, records: impl IntoIterator<Item = DocStatus>) -> Readiness {
    let stored = records
        .into_iter()
        .all(|status| matches!(status, DocStatus::Saved | DocStatus::Synced(_) | DocStatus::Unavailable));
    if app_cached && stored { Readiness::Ready } else { Readiness::Preparing }
}

/// Resolves `true` once an active service worker controls this page, so a reload with no network
/// is served from its cache; `false` where the browser has no service workers (plain http).
pub async fn app_cached() -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return false };
    // Outside a secure context the property is missing, and the getter's result is `undefined`.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return false;
    }
    let container = navigator.service_worker();
    // `ready` resolves once a registration has an active worker: its install cached the whole shell.
    let Ok(ready) = container.ready() else { return false };
    if JsFuture::from(ready).await.is_err() {
        return false;
    }
    if container.controller().is_some() {
        return true;
    }
    // The first install claims the page right after it activates.
    let claimed = js_sys::Promise::new(&mut |resolve, _| {
        let once = web_sys::AddEventListenerOptions::new();
        once.set_once(true);
        let _ = container.add_event_listener_with_callback_and_add_event_listener_options(
            "controllerchange",
            &resolve,
            &once,
        );
    });
    let _ = JsFuture::from(claimed).await;
    container.controller().is_some()
}

fn records_readiness(session: &Session, app_cached: bool) -> Readiness {
    let statuses: Vec<DocStatus> =
        session.account().document_ids().iter().map(|id| session.repo.status(id)).collect();
    readiness(app_cached, statuses)
}

/// The notice, at the top of the signed-in page until the person dismisses it.
#[function_component(OfflineReady)]
pub fn offline_ready() -> Html {
    let ctx = use_context::<Ctx>().expect("inside the session");
    let session = ctx.session.clone();
    // `None` until the stored setting has been read: nothing flashes for someone who saw it.
    let seen = use_state(|| None::<bool>);
    let cached = use_state(|| false);
    {
        let (seen, cached, session) = (seen.setter(), cached.setter(), session.clone());
        use_effect_with(Rc::as_ptr(&session) as usize, move |_| {
            spawn_local(async move {
                let stored = session.storage.setting(SEEN).await.ok().flatten().is_some();
                seen.set(Some(stored));
                if !stored {
                    cached.set(app_cached().await);
                }
            });
        });
    }
    if *seen != Some(false) || !crate::app::secure_context() {
        return Html::default();
    }
    let dismiss = {
        let (seen, session) = (seen.clone(), session.clone());
        Callback::from(move |_: MouseEvent| {
            seen.set(Some(true));
            let session = session.clone();
            spawn_local(async move {
                if let Err(e) = session.storage.set_setting(SEEN, Some("yes")).await {
                    web_sys::console::warn_1(&format!("the offline notice will show again: {e}").into());
                }
            });
        })
    };
    let ready = records_readiness(&session, *cached) == Readiness::Ready;
    // Live: the words change from "getting ready" to "ready" in the same region.
    html! {
        <div class="notice offline-ready" role="status" data-ready={ready.to_string()}>
            if ready {
                <p><strong>{ "Ready to work offline on this device" }</strong></p>
                <p>{ "Tandem and your records are stored here: it opens and keeps your work with no Wi-Fi, and syncs when the school network is back." }</p>
                <button type="button" onclick={dismiss}>{ "OK" }</button>
            } else {
                <p>{ "Getting this device ready to work offline…" }</p>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use tandem_core::Timestamp;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{Readiness, readiness};
    use crate::repo::DocStatus;

    #[wasm_bindgen_test]
    fn the_device_is_ready_once_the_app_and_every_record_are_stored() {
        let stored = [DocStatus::Saved, DocStatus::Synced(Timestamp(1))];
        assert_eq!(readiness(true, stored), Readiness::Ready);
        assert_eq!(readiness(true, []), Readiness::Ready, "a person with no records yet");
        assert_eq!(readiness(false, stored), Readiness::Preparing, "the app's code is not cached");
        assert_eq!(readiness(true, [DocStatus::Saved, DocStatus::Loading]), Readiness::Preparing);
        assert_eq!(readiness(true, [DocStatus::Saving]), Readiness::Preparing, "edits not yet written");
        assert_eq!(readiness(true, [DocStatus::Unavailable, DocStatus::Saved]), Readiness::Ready);
    }
}
