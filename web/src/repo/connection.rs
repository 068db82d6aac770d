//! The connection to the relay: one WebSocket at a time, reconnected with backoff and jitter.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use tandem_sync::{ConnectionId, Event};
use wasm_bindgen_futures::spawn_local;

use super::Repo;
use super::socket::{RECONNECT, Socket, SocketEvent};

impl Repo {
    pub(super) fn connect(&self) {
        if self.stopped.get() || self.socket.borrow().is_some() {
            return;
        }
        let Some(url) = self.sync_url.clone() else { return };
        let connection = ConnectionId(self.next_connection.get());
        self.next_connection.set(connection.0 + 1);
        let this = self.this.clone();
        let on_event: Rc<dyn Fn(SocketEvent)> = Rc::new(move |event| {
            if let Some(repo) = this.upgrade() {
                repo.on_socket(connection, event);
            }
        });
        match Socket::open(&url, on_event) {
            Some(socket) => *self.socket.borrow_mut() = Some((connection, socket)),
            None => self.schedule_reconnect(),
        }
    }

    fn on_socket(&self, connection: ConnectionId, event: SocketEvent) {
        let current = self.socket.borrow().as_ref().is_some_and(|(c, _)| *c == connection);
        if !current {
            return;
        }
        match event {
            SocketEvent::Opened => self.queue(Event::ConnectionOpened { connection }),
            SocketEvent::Frame(bytes) => self.queue(Event::BytesReceived { connection, bytes }),
            SocketEvent::Closed => {
                self.socket.borrow_mut().take();
                self.queue(Event::ConnectionClosed { connection });
                self.schedule_reconnect();
                self.notify();
            }
        }
    }

    /// Socket events are handed to the engine together once the browser's current task is done,
    /// so a burst of frames is applied as one batch.
    fn queue(&self, event: Event) {
        let first = {
            let mut inbox = self.inbox.borrow_mut();
            inbox.push(event);
            inbox.len() == 1
        };
        if first {
            let this = self.this.clone();
            spawn_local(async move {
                if let Some(repo) = this.upgrade() {
                    let events = std::mem::take(&mut *repo.inbox.borrow_mut());
                    repo.handle(events);
                }
            });
        }
    }

    pub(super) fn schedule_reconnect(&self) {
        if self.stopped.get() {
            return;
        }
        let attempt = self.attempts.get();
        self.attempts.set(attempt.saturating_add(1));
        let this = self.this.clone();
        let delay = RECONNECT.delay_ms(attempt, js_sys::Math::random());
        *self.reconnect.borrow_mut() = Some(Timeout::new(delay, move || {
            if let Some(repo) = this.upgrade() {
                repo.reconnect.borrow_mut().take();
                repo.connect();
            }
        }));
    }

    /// The network is back: try at once rather than wait out the backoff.
    pub(super) fn reconnect_now(&self) {
        self.attempts.set(0);
        self.reconnect.borrow_mut().take();
        self.connect();
    }
}
