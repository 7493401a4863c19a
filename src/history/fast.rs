//! A fast path for loading a history: the plain form of the format, read straight from bytes.
//!
//! serde_json spends most of the time of a large history in its visitor protocol (a field name,
//! then a value, through generic calls, for some fourteen strings per operation); another serde
//! JSON crate measured the same. This reader knows the format and reads the common form
//! directly: ASCII strings without escapes, unsigned integers, no `null`. It takes the
//! operations itself and hands every other top-level field (configuration, faults, replicas, …)
//! and an operation's `meta` to serde_json, as exact slices of the input.
//!
//! It owns nothing of what a history means. It must never decide that a file is malformed, nor
//! how to say so: at anything outside the plain form, or anything wrong, it steps aside (`None`),
//! and the serde path parses the whole file and words the error. So it can only agree with
//! serde_json, which `tests/generators/history_fast_path.rs` checks on generated and mutated histories.

use std::borrow::Cow;
use std::io::{self, Read};

use serde::de::DeserializeOwned;

use super::wire::{OperationWire, WireContext};
use super::{
    ClientId, History, Key, OpId, OpKind, Operation, Outcome, ReadValue, StoreMeta, Value,
};

/// The history in `bytes` if they are in the plain form and valid JSON of a history, as
/// `serde_json::from_slice` would read it; `None` otherwise.
pub(super) fn parse(bytes: &[u8]) -> Option<History> {
    Stream::<io::Empty>::whole(bytes).history()
}

/// As [`parse`], for the bytes `source` yields, read a chunk at a time: the input is never held
/// whole, only the operations read from it. `Err` if reading fails.
pub(super) fn parse_stream(source: impl Read) -> io::Result<Option<History>> {
    parse_stream_sized(source, LOOKAHEAD_BYTES, CHUNK_BYTES)
}

fn parse_stream_sized(
    source: impl Read,
    lookahead_bytes: usize,
    chunk_bytes: usize,
) -> io::Result<Option<History>> {
    let mut stream = Stream {
        bytes: Cow::Owned(Vec::new()),
        at: 0,
        source: Some(source),
        error: None,
        lookahead_bytes,
        chunk_bytes,
    };
    let history = stream.history();
    match stream.error {
        Some(error) => Err(error),
        None => Ok(history),
    }
}

/// How many bytes past the reading position a streamed input keeps in memory before each step
/// (one operation, or one top-level field); a step that needs more is run again with four
/// times as many.
const LOOKAHEAD_BYTES: usize = 64 * 1024;

/// How many bytes a streamed input reads at a time.
const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// The input of the top level of a history: the whole of it, or a window onto a source that
/// is read as the window moves. The top level runs the [`Reader`] one step at a time (one
/// operation, one field), each on the window.
///
/// A step is run on the window alone, so it must not be fooled by the window's end. A step
/// reads forward only, and examines no byte past the position it ends at (it peeks at most at
/// that byte). So a step that ends before the window's end examined only bytes the whole input
/// holds too, and read them as a reading of the whole input would; one that fails, or ends at
/// the window's end, is run again on a window four times as long, until the input is exhausted.
struct Stream<'b, R> {
    bytes: Cow<'b, [u8]>,
    at: usize,
    /// `None` once the source is exhausted, and for an input given whole.
    source: Option<R>,
    /// The error that ended reading the source, if one did.
    error: Option<io::Error>,
    lookahead_bytes: usize,
    chunk_bytes: usize,
}

/// The fields of a history's top level.
enum Field {
    Version,
    Operations,
    Config,
    Scenario,
    Faults,
    Replicas,
    Run,
    Trace,
}

impl Field {
    fn named(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"version" => Field::Version,
            b"operations" => Field::Operations,
            b"config" => Field::Config,
            b"scenario" => Field::Scenario,
            b"faults" => Field::Faults,
            b"replicas" => Field::Replicas,
            b"run" => Field::Run,
            b"trace" => Field::Trace,
            _ => return None,
        })
    }
}

impl<'b, R: Read> Stream<'b, R> {
    fn whole(bytes: &'b [u8]) -> Stream<'b, R> {
        Stream {
            bytes: Cow::Borrowed(bytes),
            at: 0,
            source: None,
            error: None,
            lookahead_bytes: 0,
            chunk_bytes: 0,
        }
    }

    /// Runs `step` on the window from the reading position; see [`Stream`].
    fn step<T>(&mut self, mut step: impl FnMut(&mut Reader<'_>) -> Option<T>) -> Option<T> {
        let mut lookahead_bytes = self.lookahead_bytes;
        loop {
            self.fill(lookahead_bytes);
            let mut reader = Reader {
                bytes: &self.bytes,
                at: self.at,
            };
            let read = step(&mut reader);
            let exhausted = self.source.is_none();
            match read {
                Some(value) if exhausted || reader.at < reader.bytes.len() => {
                    self.at = reader.at;
                    return Some(value);
                }
                None if exhausted => return None,
                _ => lookahead_bytes = lookahead_bytes.saturating_mul(4).max(1),
            }
        }
    }

    /// Makes the window hold at least `lookahead_bytes` past the reading position, or all the
    /// source has left. Bytes before the position are dropped first.
    fn fill(&mut self, lookahead_bytes: usize) {
        let Some(source) = &mut self.source else {
            return;
        };
        if self.bytes.len() - self.at >= lookahead_bytes {
            return;
        }
        let bytes = self.bytes.to_mut();
        bytes.drain(..self.at);
        self.at = 0;
        let wanted = lookahead_bytes.max(self.chunk_bytes) - bytes.len();
        let limit = u64::try_from(wanted).unwrap_or(u64::MAX);
        match source.by_ref().take(limit).read_to_end(bytes) {
            Ok(read) if read < wanted => self.source = None,
            Ok(_) => {}
            Err(error) => {
                self.error = Some(error);
                self.source = None;
            }
        }
    }

    fn history(&mut self) -> Option<History> {
        let (mut version, mut operations) = (None, None);
        let (mut config, mut scenario, mut faults, mut replicas, mut run, mut trace) =
            (None, None, None, None, None, None);
        self.step(|reader| reader.eat(b'{'))?;
        loop {
            match self.step(|reader| Field::named(reader.name()?))? {
                Field::Version => {
                    let read = self.step(|reader| u32::try_from(reader.number()?).ok())?;
                    once(&mut version, read)?;
                }
                Field::Operations => once(&mut operations, self.operations()?)?,
                Field::Config => once(&mut config, self.step(|reader| reader.serde())?)?,
                // serde reads `"scenario": null` as no scenario, not as a JSON null.
                Field::Scenario => match self.step(|reader| reader.serde())? {
                    serde_json::Value::Null => return None,
                    value => once(&mut scenario, value)?,
                },
                Field::Faults => once(&mut faults, self.step(|reader| reader.serde())?)?,
                Field::Replicas => once(&mut replicas, self.step(|reader| reader.serde())?)?,
                Field::Run => once(&mut run, self.step(|reader| reader.serde())?)?,
                Field::Trace => once(&mut trace, self.step(|reader| reader.serde())?)?,
            }
            if !self.step(|reader| reader.more(b'}'))? {
                break;
            }
        }
        // Nothing but white space may follow.
        self.step(|reader| {
            reader.space();
            (reader.at == reader.bytes.len()).then_some(())
        })?;
        Some(History {
            version: version?,
            config,
            scenario,
            operations: operations?,
            faults: faults.unwrap_or_default(),
            replicas,
            run,
            trace,
        })
    }

    /// The operations list, an operation per step.
    fn operations(&mut self) -> Option<Vec<Operation>> {
        let empty = self.step(|reader| {
            reader.eat(b'[')?;
            reader.space();
            let empty = reader.peek()? == b']';
            reader.at += usize::from(empty);
            Some(empty)
        })?;
        let mut operations = Vec::new();
        if empty {
            return Some(operations);
        }
        loop {
            operations.push(self.step(|reader| reader.operation())?);
            if !self.step(|reader| reader.more(b']'))? {
                return Some(operations);
            }
        }
    }
}

/// How deep a value handed to serde_json may nest; well under serde_json's limit of 128 for
/// the whole file, of which the history and an operation take two levels.
const MAX_DEPTH: usize = 64;

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

/// Sets a field once: a second occurrence (which serde rejects) sends the file to serde.
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

impl<'b> Reader<'b> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips white space, then takes `byte`.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// After white space: `,` (another element follows, `true`) or `close` (`false`).
    fn more(&mut self, close: u8) -> Option<bool> {
        self.space();
        let byte = self.peek()?;
        self.at += 1;
        match byte {
            b',' => Some(true),
            _ if byte == close => Some(false),
            _ => None,
        }
    }

    /// The bytes of a string of printable ASCII without escapes.
    fn plain(&mut self) -> Option<&'b [u8]> {
        self.eat(b'"')?;
        let rest = &self.bytes[self.at..];
        let end = rest
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || !(0x20..0x80).contains(&byte))?;
        if rest[end] != b'"' {
            return None;
        }
        self.at += end + 1;
        Some(&rest[..end])
    }

    /// A string of printable ASCII without escapes.
    fn string(&mut self) -> Option<&'b str> {
        std::str::from_utf8(self.plain()?).ok()
    }

    /// A field name and its colon. The name is only compared with the format's names, so an
    /// escape or any other byte outside the plain form makes it match none of them.
    fn name(&mut self) -> Option<&'b [u8]> {
        self.eat(b'"')?;
        let rest = &self.bytes[self.at..];
        let end = rest.iter().position(|&byte| byte == b'"')?;
        self.at += end + 1;
        self.eat(b':')?;
        Some(&rest[..end])
    }

    /// An unsigned integer that fits in a `u64`, in JSON's form (no leading zero).
    fn number(&mut self) -> Option<u64> {
        self.space();
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
            self.at += 1;
        }
        let digits = self.at - start;
        let leading_zero = digits > 1 && self.bytes[start] == b'0';
        // A fraction or exponent follows: not an integer of the plain form.
        let more = matches!(self.peek(), Some(b'.' | b'e' | b'E'));
        (digits > 0 && !leading_zero && !more).then_some(value)
    }

    /// A JSON array, each element read by `element`.
    fn list<T>(&mut self, mut element: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut elements = Vec::new();
        self.space();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(elements);
        }
        loop {
            elements.push(element(self)?);
            if !self.more(b']')? {
                return Some(elements);
            }
        }
    }

    /// A list of plain strings.
    fn strings(&mut self) -> Option<Vec<&'b str>> {
        self.list(Self::string)
    }

    /// One JSON value of any kind, read by serde_json from its exact slice of the input.
    fn serde<T: DeserializeOwned>(&mut self) -> Option<T> {
        self.space();
        let start = self.at;
        self.skip_value()?;
        serde_json::from_slice(&self.bytes[start..self.at]).ok()
    }

    /// Moves past one JSON value without reading it; serde_json judges it afterwards. Deep
    /// nesting is left to the serde path: serde_json's recursion limit counts from the top of
    /// the file, not from this value.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                    self.at += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.at += 1;
                }
                _ if depth > 0 => self.at += 1,
                // A number, `true`, `false` or `null`: up to the next delimiter.
                _ => {
                    while !matches!(
                        self.peek(),
                        None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                    ) {
                        self.at += 1;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// Moves past a string, escapes and all.
    fn skip_string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        Some(())
    }

    fn operation(&mut self) -> Option<Operation> {
        let (mut id, mut client, mut key, mut kind) = (None, None, None, None);
        let (mut invoke, mut complete, mut outcome) = (None, None, None);
        let (mut value, mut context, mut values, mut tombstones, mut meta) =
            (None, None, None, None, None);
        self.eat(b'{')?;
        loop {
            match self.name()? {
                b"id" => once(&mut id, OpId(self.number()?))?,
                b"client" => once(&mut client, ClientId(self.number()?.try_into().ok()?))?,
                b"key" => once(&mut key, Key::from(self.string()?))?,
                b"kind" => once(&mut kind, op_kind(self.plain()?)?)?,
                b"time_ms_invoke" => once(&mut invoke, self.number()?)?,
                b"time_ms_complete" => once(&mut complete, self.number()?)?,
                b"outcome" => once(&mut outcome, op_outcome(self.plain()?)?)?,
                b"value" => once(&mut value, Value::from(self.string()?))?,
                b"context" => {
                    self.space();
                    let read = match self.peek()? {
                        b'"' => WireContext::Opaque(self.string()?.to_string()),
                        _ => WireContext::Values(values_of(self.strings()?)),
                    };
                    once(&mut context, read)?
                }
                b"values" => {
                    let read = self.strings()?.into_iter().map(|text| ReadValue {
                        value: Value::from(text),
                        tombstone: false,
                    });
                    once(&mut values, read.collect())?
                }
                b"tombstones" => once(&mut tombstones, values_of(self.strings()?))?,
                b"meta" => once(&mut meta, self.serde::<StoreMeta>()?)?,
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        let wire = OperationWire {
            id: id?,
            client: client?,
            key: key?,
            kind: kind?,
            time_ms_invoke: invoke?,
            time_ms_complete: complete,
            outcome: outcome?,
            value,
            context,
            values,
            tombstones,
            meta,
        };
        Operation::try_from(wire).ok()
    }
}

fn values_of(strings: Vec<&str>) -> Vec<Value> {
    strings.into_iter().map(Value::from).collect()
}

fn op_kind(text: &[u8]) -> Option<OpKind> {
    match text {
        b"get" => Some(OpKind::Get),
        b"put" => Some(OpKind::Put),
        b"delete" => Some(OpKind::Delete),
        _ => None,
    }
}

fn op_outcome(text: &[u8]) -> Option<Outcome> {
    match text {
        b"ok" => Some(Outcome::Ok),
        b"fail" => Some(Outcome::Fail),
        b"info" => Some(Outcome::Info),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path must be taken for what quorate writes, compact or pretty: a file it steps
    /// aside from is still read correctly (by serde_json), only slowly, so nothing else would
    /// notice.
    #[test]
    fn takes_the_histories_quorate_writes() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("histories");
        let mut files = vec![directory.join("example.json")];
        for entry in std::fs::read_dir(directory.join("edge-cases")).unwrap() {
            files.push(entry.unwrap().path());
        }
        let mut with_meta = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // A regression case carries its history in a field.
            let mut document: serde_json::Value = serde_json::from_str(&text).unwrap();
            if let Some(history) = document.get_mut("history") {
                document = history.take();
            }
            let history: History = serde_json::from_value(document).unwrap();
            with_meta += usize::from(history.operations.iter().any(|op| op.meta.is_some()));
            for written in [serde_json::to_string(&history).unwrap(), history.to_json()] {
                let by_serde: History = serde_json::from_str(&written).unwrap();
                let parsed = parse(written.as_bytes());
                assert_eq!(parsed, Some(by_serde), "{}", file.display());
            }
        }
        assert!(with_meta > 0, "some history should carry store metadata");
    }

    #[test]
    fn steps_aside_from_escapes_nulls_and_other_numbers() {
        let op = |fields: &str| {
            format!(
                r#"{{"version": 1, "operations": [{{"id": 0, "client": 0, "key": "k", "kind": "put", "time_ms_invoke": 0, "outcome": "info", "value": "v"{fields}}}]}}"#
            )
        };
        assert!(parse(op("").as_bytes()).is_some());
        for fields in [
            r#", "time_ms_complete": null"#,
            r#", "time_ms_complete": 01"#,
            r#", "time_ms_complete": 1.5"#,
            r#", "context": ["v\u0031"]"#,
            r#", "context": ["é"]"#,
            r#", "value": "twice""#,
        ] {
            assert_eq!(parse(op(fields).as_bytes()), None, "{fields}");
        }
    }

    /// Reading a stream through windows of any size reads what parsing the whole input reads:
    /// the histories of `takes_the_histories_quorate_writes`, and what the fast path steps aside
    /// from, through windows from one byte up.
    #[test]
    fn a_stream_read_in_small_windows_reads_what_the_whole_input_reads() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("histories");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(directory.join("edge-cases")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let mut document: serde_json::Value = serde_json::from_str(&text).unwrap();
            if let Some(history) = document.get_mut("history") {
                document = history.take();
            }
            let history: History = serde_json::from_value(document).unwrap();
            texts.push(serde_json::to_string(&history).unwrap());
            texts.push(history.to_json());
        }
        let plain = texts.len();
        texts.push(r#"{"version": 1, "operations": []}  "#.to_string());
        texts.push(r#"{"version": 1, "operations": []} x"#.to_string());
        texts.push(r#"{"version": 1, "operations": [], "run": 12"#.to_string());
        texts.push(r#"{"version": 12345678901, "operations": []}"#.to_string());
        for (index, text) in texts.iter().enumerate() {
            let whole = parse(text.as_bytes());
            assert_eq!(whole.is_some(), index <= plain, "{text}");
            for (lookahead_bytes, chunk_bytes) in [(1, 1), (1, 5), (7, 3), (64, 1), (4096, 4096)] {
                let streamed = parse_stream_sized(text.as_bytes(), lookahead_bytes, chunk_bytes);
                assert_eq!(
                    streamed.unwrap(),
                    whole,
                    "{lookahead_bytes}/{chunk_bytes}: {text}"
                );
            }
        }
    }

    /// A source that fails part way is an error, not a history of what was read before.
    #[test]
    fn a_stream_that_fails_to_read_is_an_error() {
        struct FailsAfter(&'static [u8]);
        impl Read for FailsAfter {
            fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("the disk went away"));
                }
                let read = self.0.len().min(buffer.len());
                buffer[..read].copy_from_slice(&self.0[..read]);
                self.0 = &self.0[read..];
                Ok(read)
            }
        }
        let text = br#"{"version": 1, "operations": []}"#;
        let error = parse_stream_sized(FailsAfter(text), 4, 4).unwrap_err();
        assert_eq!(error.to_string(), "the disk went away");
        assert!(parse_stream_sized(&text[..], 4, 4).unwrap().is_some());
    }
}
