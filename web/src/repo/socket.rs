//! The WebSocket to the relay, and when to try again after it drops.
//!
//! The socket only turns browser events into [`SocketEvent`]s; the repo feeds them to the sync
//! engine. The browser sends the session cookie with the upgrade request by itself (same origin).

use std::rc::Rc;

use tandem_sync::Backoff;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What happened on the socket.
#[derive(Debug)]
pub enum SocketEvent {
    Opened,
    Frame(Vec<u8>),
    /// Closed or failed (the browser reports a failed connection as an error, then a close).
    Closed,
}

/// An open (or opening) WebSocket; dropping it closes the socket and detaches its handlers.
pub struct Socket {
    ws: WebSocket,
    _handlers: [Closure<dyn FnMut(web_sys::Event)>; 3],
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("url", &self.ws.url()).finish()
    }
}

impl Socket {
    /// Starts connecting to `url`; every event goes to `on_event`.
    pub fn open(url: &str, on_event: Rc<dyn Fn(SocketEvent)>) -> Option<Socket> {
        let ws = WebSocket::new(url).ok()?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let opened = {
            let on_event = on_event.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_event(SocketEvent::Opened))
        };
        let message = {
            let on_event = on_event.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                let Some(event) = event.dyn_ref::<MessageEvent>() else { return };
                // Text frames are not part of the protocol; the engine never sees them.
                if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                    on_event(SocketEvent::Frame(js_sys::Uint8Array::new(&buffer).to_vec()));
                }
            })
        };
        let closed = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| on_event(SocketEvent::Closed));
        ws.set_onopen(Some(opened.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(closed.as_ref().unchecked_ref()));
        Some(Socket { ws, _handlers: [opened, message, closed] })
    }

    /// Sends one binary frame; false if the socket is not open.
    pub fn send(&self, bytes: &[u8]) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_u8_array(bytes).is_ok()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// Reconnect delays: up to 1 s for the first retry, doubling to 30 s at most, with jitter (see
/// `tandem_sync::backoff`, which holds their test).
pub const RECONNECT: Backoff = Backoff::new(1_000, 30_000);

/// The relay's sync endpoint on the origin the app was loaded from.
pub fn sync_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/sync", location.host().ok()?))
}
