//! Reading one frame's CBOR with bounded work: the top-level map's known fields are built as
//! [`Value`]s, everything else is skipped without allocating.
//!
//! A generic CBOR decoder builds the whole tree first: an 8 MB array of zeros in an unknown field
//! becomes 8 million values (about 256 MB) before anyone looks at the keys. Here an unknown field
//! costs only the time to step over it, a known field may hold at most [`MAX_ITEMS`] items (the
//! largest honest message, `remote-heads-changed`, holds a few dozen), and byte and text strings
//! grow only as their bytes really arrive, so a frame never costs much more memory than its size.

use ciborium::Value;
use ciborium_ll::{Decoder, Header, simple};

use crate::Error;

/// Nesting deeper than this is refused (as the former recursive decoder did).
const MAX_DEPTH: usize = 64;
/// The most CBOR items the known fields of one frame may hold.
pub(super) const MAX_ITEMS: usize = 4096;
/// Keys longer than this cannot be one of ours and are skipped unread.
const MAX_KEY: usize = 64;

type Dec<'a> = Decoder<&'a [u8]>;

/// The frame's top-level map: its entries whose key is one of `known`, in order. Bytes after the
/// map, and anything but a map, are errors (in that order of precedence, as before).
pub(super) fn top_map(frame: &[u8], known: &[&str]) -> Result<Vec<(Value, Value)>, Error> {
    let mut r = Reader { dec: Decoder::from(frame), items: 0 };
    let header = r.pull()?;
    let entries = match header {
        Header::Map(len) => {
            let mut entries = Vec::new();
            r.each(len, |r| {
                match r.key()? {
                    Some(key) if known.contains(&key.as_str()) => {
                        let value = r.value(1)?;
                        entries.push((Value::Text(key), value));
                    }
                    _ => r.skip()?,
                }
                Ok(())
            })?;
            Some(entries)
        }
        other => {
            r.dec.push(other);
            r.skip()?;
            None
        }
    };
    let consumed = r.dec.offset();
    if consumed < frame.len() {
        return Err(Error::TrailingBytes(frame.len() - consumed));
    }
    entries.ok_or(Error::NotAMap)
}

struct Reader<'a> {
    dec: Dec<'a>,
    /// Items built so far, against [`MAX_ITEMS`].
    items: usize,
}

fn malformed<T: std::fmt::Debug>(e: ciborium_ll::Error<T>) -> Error {
    match e {
        ciborium_ll::Error::Io(_) => Error::MalformedCbor("the frame ends inside an item".into()),
        ciborium_ll::Error::Syntax(at) => Error::MalformedCbor(format!("invalid CBOR at byte {at}")),
    }
}

impl<'a> Reader<'a> {
    fn pull(&mut self) -> Result<Header, Error> {
        self.dec.pull().map_err(malformed)
    }

    /// Runs `item` once per entry of a container of `len` entries (`None`: until a break).
    fn each(
        &mut self,
        len: Option<usize>,
        mut item: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match len {
            // Each entry takes at least a byte, so a huge declared length fails at the frame's end.
            Some(n) => (0..n).try_for_each(|_| item(self)),
            None => loop {
                match self.pull()? {
                    Header::Break => return Ok(()),
                    other => {
                        self.dec.push(other);
                        item(self)?;
                    }
                }
            },
        }
    }

    /// A map key: its text if it is a short text string; otherwise it is skipped and `None`.
    fn key(&mut self) -> Result<Option<String>, Error> {
        match self.pull()? {
            Header::Text(Some(len)) if len <= MAX_KEY => self.text(Some(len)).map(Some),
            other => {
                self.dec.push(other);
                self.skip()?;
                Ok(None)
            }
        }
    }

    fn count(&mut self) -> Result<(), Error> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(Error::TooManyItems(MAX_ITEMS));
        }
        Ok(())
    }

    fn deeper(depth: usize) -> Result<usize, Error> {
        if depth >= MAX_DEPTH {
            return Err(Error::MalformedCbor(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(depth + 1)
    }

    /// Builds one item of a known field.
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        self.count()?;
        Ok(match self.pull()? {
            Header::Positive(n) => Value::Integer(n.into()),
            Header::Negative(n) => Value::Integer(
                ciborium::value::Integer::try_from(-1 - i128::from(n)).expect("CBOR negatives fit"),
            ),
            Header::Float(f) => Value::Float(f),
            Header::Simple(simple::FALSE) => Value::Bool(false),
            Header::Simple(simple::TRUE) => Value::Bool(true),
            // JavaScript's `undefined` is as absent as `null`.
            Header::Simple(simple::NULL | simple::UNDEFINED) => Value::Null,
            Header::Simple(other) => {
                return Err(Error::MalformedCbor(format!("unknown simple value {other}")));
            }
            Header::Tag(tag) => Value::Tag(tag, Box::new(self.value(Self::deeper(depth)?)?)),
            Header::Bytes(len) => Value::Bytes(self.bytes(len)?),
            Header::Text(len) => Value::Text(self.text(len)?),
            Header::Array(len) => {
                let depth = Self::deeper(depth)?;
                let mut items = Vec::new();
                self.each(len, |r| {
                    items.push(r.value(depth)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            Header::Map(len) => {
                let depth = Self::deeper(depth)?;
                let mut entries = Vec::new();
                self.each(len, |r| {
                    let k = r.value(depth)?;
                    let v = r.value(depth)?;
                    entries.push((k, v));
                    Ok(())
                })?;
                Value::Map(entries)
            }
            Header::Break => return Err(Error::MalformedCbor("unexpected break".into())),
        })
    }

    /// Steps over one item without building it.
    fn skip(&mut self) -> Result<(), Error> {
        // Entries still to read in each open container (`None`: until a break).
        let mut open: Vec<Option<u64>> = Vec::new();
        loop {
            let entries = match self.pull()? {
                Header::Break => {
                    // Only an indefinite container ends with a break; it is then one finished item.
                    if open.pop() != Some(None) {
                        return Err(Error::MalformedCbor("unexpected break".into()));
                    }
                    None
                }
                Header::Bytes(len) => {
                    self.discard_bytes(len)?;
                    None
                }
                Header::Text(len) => {
                    self.discard_text(len)?;
                    None
                }
                // A tag's item follows as the next header.
                Header::Tag(_) => Some(Some(1)),
                Header::Array(len) => Some(len.map(|n| n as u64)),
                Header::Map(len) => Some(len.map(|n| (n as u64).saturating_mul(2))),
                Header::Positive(_) | Header::Negative(_) | Header::Float(_) | Header::Simple(_) => None,
            };
            match entries {
                // An empty container is a finished item at once.
                Some(Some(0)) | None => {}
                Some(entries) => {
                    if open.len() >= MAX_DEPTH {
                        return Err(Error::MalformedCbor(format!("nested deeper than {MAX_DEPTH} levels")));
                    }
                    open.push(entries);
                    continue;
                }
            }
            // One item finished: count it in its container, closing the containers it completes.
            loop {
                match open.last_mut() {
                    None => return Ok(()),
                    Some(None) => break,
                    Some(Some(n)) => {
                        *n -= 1;
                        if *n > 0 {
                            break;
                        }
                        open.pop();
                    }
                }
            }
        }
    }

    fn bytes(&mut self, len: Option<usize>) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let mut segments = self.dec.bytes(len);
        while let Some(mut segment) = segments.pull().map_err(malformed)? {
            while let Some(chunk) = segment.pull(&mut buf).map_err(malformed)? {
                out.extend_from_slice(chunk);
            }
        }
        Ok(out)
    }

    fn text(&mut self, len: Option<usize>) -> Result<String, Error> {
        let mut out = String::new();
        let mut buf = [0u8; 4096];
        let mut segments = self.dec.text(len);
        while let Some(mut segment) = segments.pull().map_err(malformed)? {
            while let Some(chunk) = segment.pull(&mut buf).map_err(malformed)? {
                out.push_str(chunk);
            }
        }
        Ok(out)
    }

    fn discard_bytes(&mut self, len: Option<usize>) -> Result<(), Error> {
        let mut buf = [0u8; 4096];
        let mut segments = self.dec.bytes(len);
        while let Some(mut segment) = segments.pull().map_err(malformed)? {
            while segment.pull(&mut buf).map_err(malformed)?.is_some() {}
        }
        Ok(())
    }

    fn discard_text(&mut self, len: Option<usize>) -> Result<(), Error> {
        let mut buf = [0u8; 4096];
        let mut segments = self.dec.text(len);
        while let Some(mut segment) = segments.pull().map_err(malformed)? {
            while segment.pull(&mut buf).map_err(malformed)?.is_some() {}
        }
        Ok(())
    }
}
