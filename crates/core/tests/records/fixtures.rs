//! Saved documents of every released schema version still load. Fixtures are never regenerated.
