//! What one frame may cost: limits on what an automerge sync message may make the engine do,
//! checked before automerge touches it.
//!
//! automerge inflates DEFLATE-compressed chunks (a compressed change, a document's or a bundle's
//! compressed columns) with no limit, so a 64 KB change can become 64 MB in memory and far more
//! once applied; and it trusts a peer's bloom filter parameters (zero bits divides by zero, a
//! billion probes allocates and computes a billion entries per change). [`check_sync_message`]
//! walks the chunks' headers and inflates each compressed part into a small scratch buffer,
//! counting and discarding, and stops at the first byte over the limit; nothing is kept, so the
//! check costs at most the limit in time and a scratch buffer in memory.
//!
//! What is not a well-formed chunk is counted at its length and left to automerge, which refuses
//! it: the walk only bounds inflation, it does not validate.

use std::io::Read as _;

use automerge::sync;

use crate::Error;

/// automerge's chunk magic bytes.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The bit of a column specification that says the column is DEFLATE-compressed.
const DEFLATE_BIT: u64 = 0b1000;
/// Inflated sizes up to this are allowed whatever the ratio: small frames cost little anyway.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
/// automerge itself uses 7 probes; no honest peer needs more than a few dozen.
pub const MAX_BLOOM_PROBES: u32 = 64;

/// Limits on one frame's automerge content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a frame's chunks may inflate to, in all.
    pub max_inflated_bytes: u64,
    /// Beyond [`RATIO_FLOOR_BYTES`], the most a frame may inflate to per byte of frame.
    pub max_inflation_ratio: u64,
}

impl Default for Limits {
    /// 64 MB in all and 50 times the frame: a year of an observation's notes inflates to well
    /// under a megabyte, and automerge's own compression of real columns stays under about 10x.
    fn default() -> Self {
        Limits { max_inflated_bytes: 64 * 1024 * 1024, max_inflation_ratio: 50 }
    }
}

impl Limits {
    /// The most bytes a frame of `frame_len` bytes may inflate to.
    pub fn allowed_for(&self, frame_len: usize) -> u64 {
        let by_ratio = (frame_len as u64).saturating_mul(self.max_inflation_ratio).max(RATIO_FLOOR_BYTES);
        by_ratio.min(self.max_inflated_bytes)
    }
}

/// Checks a decoded sync message that arrived in a frame of `frame_len` bytes: its bloom filters'
/// parameters, and that its chunks inflate to no more than [`Limits::allowed_for`] the frame.
/// Returns the inflated size of its chunks.
pub fn check_sync_message(message: &sync::Message, frame_len: usize, limits: &Limits) -> Result<u64, Error> {
    for have in &message.have {
        check_bloom(&have.bloom.to_bytes())?;
    }
    let allowed = limits.allowed_for(frame_len);
    let mut counter = Counter { total: 0, allowed, frame_len };
    for chunk in message.changes.iter() {
        counter.chunks(chunk)?;
    }
    Ok(counter.total)
}

/// A bloom filter is `num_entries, bits_per_entry, num_probes` (LEB128) and its bits; empty when
/// it has no entries.
fn check_bloom(bytes: &[u8]) -> Result<(), Error> {
    let mut r = Reader(bytes);
    let (Some(entries), Some(bits_per_entry), Some(probes)) = (r.uleb(), r.uleb(), r.uleb()) else {
        return Ok(());
    };
    if entries > 0 && bits_per_entry == 0 {
        return Err(Error::BadBloomFilter("it has entries but no bits".into()));
    }
    if probes > u64::from(MAX_BLOOM_PROBES) {
        return Err(Error::BadBloomFilter(format!("{probes} probes; at most {MAX_BLOOM_PROBES}")));
    }
    Ok(())
}

struct Counter {
    total: u64,
    allowed: u64,
    frame_len: usize,
}

impl Counter {
    fn add(&mut self, n: u64) -> Result<(), Error> {
        self.total = self.total.saturating_add(n);
        if self.total > self.allowed {
            return Err(Error::InflatesTooMuch { frame: self.frame_len, allowed: self.allowed });
        }
        Ok(())
    }

    /// Counts a sequence of chunks (automerge accepts several concatenated).
    fn chunks(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        while !bytes.is_empty() {
            let mut r = Reader(bytes);
            let header = (r.take(4), r.take(4), r.take(1), r.uleb());
            let (Some(magic), Some(_checksum), Some(&[kind]), Some(len)) = header else {
                return self.add(bytes.len() as u64);
            };
            let Some(data) = r.take_u64(len).filter(|_| magic == MAGIC) else {
                return self.add(bytes.len() as u64);
            };
            self.add((bytes.len() - r.0.len() - data.len()) as u64)?;
            match kind {
                0 => self.document(data)?,
                1 => self.add(data.len() as u64)?,
                2 => self.inflate(data)?,
                3 => self.bundle(data)?,
                _ => self.add(data.len() as u64)?,
            }
            bytes = r.0;
        }
        Ok(())
    }

    /// A document chunk: actors, heads, the change and operation column metadata, then their
    /// data, any column deflated. Its raw bytes count once, and each deflated column's inflated
    /// size on top.
    fn document(&mut self, data: &[u8]) -> Result<(), Error> {
        self.add(data.len() as u64)?;
        let mut r = Reader(data);
        let columns = (|| {
            let actors = r.uleb()?;
            for _ in 0..actors {
                let len = r.uleb()?;
                r.take_u64(len)?;
            }
            let heads = r.uleb()?;
            r.take_u64(heads.checked_mul(32)?)?;
            let mut columns = r.columns()?;
            columns.extend(r.columns()?);
            Some(columns)
        })();
        for (spec, len) in columns.unwrap_or_default() {
            let Some(bytes) = r.take_u64(len) else { break };
            self.column(spec, bytes)?;
        }
        Ok(())
    }

    /// A bundle chunk: dependencies, actors, then the change columns' metadata and data, then the
    /// operation columns' metadata and data.
    fn bundle(&mut self, data: &[u8]) -> Result<(), Error> {
        self.add(data.len() as u64)?;
        let mut r = Reader(data);
        let prefix = (|| {
            let deps = r.uleb()?;
            r.take_u64(deps.checked_mul(32)?)?;
            let actors = r.uleb()?;
            for _ in 0..actors {
                let len = r.uleb()?;
                r.take_u64(len)?;
            }
            Some(())
        })();
        if prefix.is_none() {
            return Ok(());
        }
        for _changes_then_ops in 0..2 {
            let Some(columns) = r.columns() else { return Ok(()) };
            for (spec, len) in columns {
                let Some(bytes) = r.take_u64(len) else { return Ok(()) };
                self.column(spec, bytes)?;
            }
        }
        Ok(())
    }

    /// A deflated column counts its inflated size (its raw bytes were counted with its chunk).
    fn column(&mut self, spec: u64, bytes: &[u8]) -> Result<(), Error> {
        if spec & DEFLATE_BIT != 0 { self.inflate(bytes) } else { Ok(()) }
    }

    /// Inflates into a scratch buffer, counting, and stops once over the limit.
    fn inflate(&mut self, compressed: &[u8]) -> Result<(), Error> {
        let mut inflater = flate2::bufread::DeflateDecoder::new(compressed);
        let mut scratch = [0u8; 16 * 1024];
        loop {
            match inflater.read(&mut scratch) {
                Ok(0) => return Ok(()),
                Ok(n) => self.add(n as u64)?,
                // Not DEFLATE: automerge will refuse the chunk; what was inflated so far is counted.
                Err(_) => return Ok(()),
            }
        }
    }
}

/// A cursor over bytes; every read is `None` past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn take_u64(&mut self, n: u64) -> Option<&'a [u8]> {
        self.take(usize::try_from(n).ok()?)
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let &byte = self.take(1)?.first()?;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A column metadata block: a count, then (specification, data length) pairs. The count is
    /// bounded by the bytes left (each pair takes at least two).
    fn columns(&mut self) -> Option<Vec<(u64, u64)>> {
        let count = self.uleb()?;
        if count > self.0.len() as u64 / 2 {
            return None;
        }
        (0..count).map(|_| Some((self.uleb()?, self.uleb()?))).collect()
    }
}
