//! The wire codec on any bytes: decoding never panics and its cost follows the frame's size
//! (libFuzzer's timeout and memory limit hold it to that); a frame that decodes re-encodes to a
//! frame that decodes to the same message; `Frame::decode` (what socket tasks run) agrees with
//! `codec::decode` and bounds the automerge message inside.

use tandem_sync::bounds::Limits;
use tandem_sync::codec::{self, DEFAULT_MAX_FRAME_BYTES, Message};
use tandem_sync::engine::Frame;

/// The `codec` target.
pub fn check(data: &[u8]) {
    let decoded = codec::decode(data);
    if let Ok(message) = &decoded {
        let again = codec::encode(message);
        let round_trip = codec::decode(&again).expect("what the codec encodes, it decodes");
        assert_eq!(&round_trip, message, "a decoded message re-encodes to itself");
    }
    // Tight limits, so that the fuzzer reaches the refusals as well as the acceptances.
    let limits = Limits { max_inflated_bytes: 64 * 1024, max_inflation_ratio: 4 };
    match Frame::decode(data, DEFAULT_MAX_FRAME_BYTES, &limits) {
        Ok(frame) => {
            assert_eq!(Some(frame.message()), decoded.as_ref().ok(), "Frame::decode reads what decode reads");
            let is_sync = matches!(frame.message(), Message::Request { .. } | Message::Sync { .. });
            assert_eq!(frame.sync_message().is_some(), is_sync, "only request and sync carry a sync message");
            assert!(
                frame.inflated() <= limits.allowed_for(data.len()),
                "a decoded frame is within its limits"
            );
            assert_eq!(frame.len(), data.len());
        }
        Err(_) => {
            // A frame that fails may fail in the codec or in the checks after it, never succeed
            // in one and be refused for another codec reason.
            if let Ok(message) = &decoded {
                assert!(
                    matches!(message, Message::Request { .. } | Message::Sync { .. }),
                    "only the sync message inside a request or sync can fail after the codec accepted the frame"
                );
            }
        }
    }
}
