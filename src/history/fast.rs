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

use serde::de::DeserializeOwned;

use super::wire::{OperationWire, WireContext};
use super::{
    ClientId, History, Key, OpId, OpKind, Operation, Outcome, ReadValue, StoreMeta, Value,
};

/// The history in `bytes` if they are in the plain form and valid JSON of a history, as
/// `serde_json::from_slice` would read it; `None` otherwise.
pub(super) fn parse(bytes: &[u8]) -> Option<History> {
    let mut reader = Reader { bytes, at: 0 };
    let history = reader.history()?;
    reader.space();
    (reader.at == bytes.len()).then_some(history)
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

    fn history(&mut self) -> Option<History> {
        let (mut version, mut operations) = (None, None);
        let (mut config, mut scenario, mut faults, mut replicas, mut run) =
            (None, None, None, None, None);
        self.eat(b'{')?;
        loop {
            match self.name()? {
                b"version" => once(&mut version, u32::try_from(self.number()?).ok()?)?,
                b"operations" => once(&mut operations, self.list(Self::operation)?)?,
                b"config" => once(&mut config, self.serde()?)?,
                // serde reads `"scenario": null` as no scenario, not as a JSON null.
                b"scenario" => match self.serde()? {
                    serde_json::Value::Null => return None,
                    value => once(&mut scenario, value)?,
                },
                b"faults" => once(&mut faults, self.serde()?)?,
                b"replicas" => once(&mut replicas, self.serde()?)?,
                b"run" => once(&mut run, self.serde()?)?,
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        Some(History {
            version: version?,
            config,
            scenario,
            operations: operations?,
            faults: faults.unwrap_or_default(),
            replicas,
            run,
        })
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
}
