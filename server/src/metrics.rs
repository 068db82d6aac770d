//! The relay's Prometheus metrics, served at `/metrics` in the text exposition format.
//!
//! Counters are cheap atomics; handlers and the sync loop update them directly.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DirectionLabel {
    /// `in` or `out`, lowercase as Prometheus labels usually are.
    pub direction: &'static str,
}

/// Every metric the relay exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Open sync connections.
    pub connections: Gauge,
    /// Documents held in memory (loaded on demand, evicted when idle).
    pub documents_loaded: Gauge,
    /// Protocol messages received and sent.
    pub messages: Family<DirectionLabel, Counter>,
    /// Payload bytes received and sent on sync connections.
    pub bytes: Family<DirectionLabel, Counter>,
    /// Seconds from receiving a peer's changes to having stored them and answered.
    pub sync_latency: Histogram,
    /// Failed storage reads and writes.
    pub storage_errors: Counter,
    /// Connections closed because the peer broke the protocol.
    pub protocol_errors: Counter,
    /// Other relays' announcements heard (PostgreSQL: one per document per commit elsewhere).
    pub announcements: Counter,
    /// Times a socket was read more slowly because its person sent past their bytes per second.
    pub sync_slowed: Counter,
    /// New documents refused because their person made too many in the last hour.
    pub new_documents_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tandem");
        let connections = Gauge::default();
        let documents_loaded = Gauge::default();
        let messages = Family::<DirectionLabel, Counter>::default();
        let bytes = Family::<DirectionLabel, Counter>::default();
        // 0.5 ms .. ~4 s: loopback answers land in the first buckets, a slow disk in the last.
        let sync_latency =
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.0005, 2.0, 14));
        let storage_errors = Counter::default();
        let protocol_errors = Counter::default();
        let announcements = Counter::default();
        let sync_slowed = Counter::default();
        let new_documents_refused = Counter::default();
        registry.register("connections", "Open sync connections", connections.clone());
        registry.register("documents_loaded", "Documents held in memory", documents_loaded.clone());
        registry.register("messages", "Sync protocol messages", messages.clone());
        registry.register("bytes", "Sync payload bytes", bytes.clone());
        registry.register(
            "sync_latency_seconds",
            "From receiving changes to storing them and answering",
            sync_latency.clone(),
        );
        registry.register("storage_errors", "Failed storage operations", storage_errors.clone());
        registry.register(
            "protocol_errors",
            "Connections closed for protocol violations",
            protocol_errors.clone(),
        );
        registry.register("announcements", "Other relays' stored changes heard of", announcements.clone());
        registry.register(
            "sync_slowed",
            "Socket reads paused for a person past their sync bytes per second",
            sync_slowed.clone(),
        );
        registry.register(
            "new_documents_refused",
            "New documents refused for a person past their documents per hour",
            new_documents_refused.clone(),
        );
        Self {
            registry,
            connections,
            documents_loaded,
            messages,
            bytes,
            sync_latency,
            storage_errors,
            protocol_errors,
            announcements,
            sync_slowed,
            new_documents_refused,
        }
    }
}

impl Metrics {
    /// Counts one message of `len` bytes in `direction`.
    pub fn message(&self, direction: Direction, len: usize) {
        let label = DirectionLabel {
            direction: match direction {
                Direction::In => "in",
                Direction::Out => "out",
            },
        };
        self.messages.get_or_create(&label).inc();
        self.bytes.get_or_create(&label).inc_by(len as u64);
    }

    /// The registry in Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_messages_appear_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.message(Direction::In, 120);
        metrics.message(Direction::In, 80);
        metrics.connections.inc();
        let text = metrics.encode();
        assert!(text.contains("tandem_messages_total{direction=\"in\"} 2"), "{text}");
        assert!(text.contains("tandem_bytes_total{direction=\"in\"} 200"), "{text}");
        assert!(text.contains("tandem_connections 1"), "{text}");
    }
}
