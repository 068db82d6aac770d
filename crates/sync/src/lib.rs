//! The sync engine shared by the browser and the relay.
//!
//! Sans-IO: events go in (bytes from a peer, a local change, a storage result, a tick) and actions
//! come out (bytes to send, chunks to store). The runtime around it owns sockets, storage and time.
