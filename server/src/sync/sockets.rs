//! How many `/sync` sockets each person has open, so one person (one leaked token, say) cannot
//! open thousands: the upgrade takes a [`Slot`] first and is answered 429 when there is none.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Open sockets per person, shared by every upgrade of this relay.
#[derive(Debug, Clone, Default)]
pub struct SocketCounts(Arc<Mutex<HashMap<String, usize>>>);

/// One open socket of a person; dropping it (the socket ended, or its upgrade never finished)
/// frees its place.
#[derive(Debug)]
pub struct Slot {
    counts: SocketCounts,
    person: String,
}

impl SocketCounts {
    /// A place for one more socket of `person`, or `None` when they have `max` open already.
    pub fn take(&self, person: &str, max: usize) -> Option<Slot> {
        let mut counts = self.0.lock().expect("socket counts mutex poisoned");
        let open = counts.entry(person.to_owned()).or_default();
        if *open >= max {
            return None;
        }
        *open += 1;
        Some(Slot { counts: self.clone(), person: person.to_owned() })
    }

    /// Sockets `person` has open.
    pub fn open(&self, person: &str) -> usize {
        self.0.lock().expect("socket counts mutex poisoned").get(person).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().expect("socket counts mutex poisoned");
        if let Some(open) = counts.get_mut(&self.person) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.person);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_gets_at_most_max_slots_and_a_dropped_one_frees_its_place() {
        let counts = SocketCounts::default();
        let slots: Vec<_> = (0..3).map(|_| counts.take("ann", 3).unwrap()).collect();
        assert!(counts.take("ann", 3).is_none());
        assert!(counts.take("bob", 3).is_some(), "someone else is not counted against Ann");
        drop(slots);
        assert_eq!(counts.open("ann"), 0);
        assert!(counts.take("ann", 3).is_some());
    }
}
