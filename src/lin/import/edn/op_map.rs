//! The fast reading of a history's operation map: its five fields, without building the map.
//!
//! Owns [`OpFields`] and [`Form`], and the reader's attempt at an operation map. Must never
//! report an error or read differently from the whole-value reading: on anything it does not
//! take (a tagged record, a key that is not a keyword or comes twice, a discarded form, a
//! malformed value, a missing field), it puts the reader back, and the caller reads the form
//! whole, which reports what is wrong (`tests.rs` in `lin::import` compares the two readings).

use super::{Edn, Reader, DEPTH_MAX};

/// A history's operation map, read without building the map: a `{...}` whose keys are keywords,
/// with one `:process`, one keyword `:type` and one `:f` (a keyword, symbol or string), and at
/// most one `:key` and one `:value`; the other entries are read and dropped.
#[derive(Debug)]
pub(in crate::lin::import) struct OpFields<'t> {
    pub(in crate::lin::import) process: Edn,
    /// The `:type` keyword's name.
    pub(in crate::lin::import) event_type: &'t str,
    pub(in crate::lin::import) f: String,
    pub(in crate::lin::import) key: Option<Edn>,
    pub(in crate::lin::import) value: Option<Edn>,
}

/// A form of a document: an operation map's fields, or any other value whole.
#[derive(Debug)]
pub(in crate::lin::import) enum Form<'t> {
    Op(OpFields<'t>),
    Other(Edn),
}

impl<'t> Reader<'t> {
    /// Reads an operation map's fields (see [`OpFields`]); `None`, with the reader back where
    /// it was, for anything else, which the caller then reads whole (and reports, if malformed).
    pub(super) fn try_op_map(&mut self, depth: usize) -> Option<OpFields<'t>> {
        let saved = (self.position, self.line, self.column);
        let fields = self.op_map_fields(depth);
        if fields.is_none() {
            (self.position, self.line, self.column) = saved;
        }
        fields
    }

    fn op_map_fields(&mut self, depth: usize) -> Option<OpFields<'t>> {
        if self.peek() != Some(b'{') || depth + 1 > DEPTH_MAX {
            return None;
        }
        self.bump();
        let (mut process, mut event_type, mut f, mut key, mut value) =
            (None, None, None, None, None);
        loop {
            self.skip_whitespace_and_comments().ok()?;
            match self.peek()? {
                b'}' => {
                    self.bump();
                    break;
                }
                b':' => self.bump(),
                _ => return None,
            }
            let name = self.read_token();
            self.skip_whitespace_and_comments().ok()?;
            match name {
                "type" if event_type.is_none() => {
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.bump();
                    let type_name = self.read_token();
                    if type_name.is_empty() {
                        return None;
                    }
                    event_type = Some(type_name);
                }
                "f" if f.is_none() => {
                    f = Some(match self.peek()? {
                        b':' => {
                            self.bump();
                            let f_name = self.read_token();
                            if f_name.is_empty() {
                                return None;
                            }
                            f_name.to_string()
                        }
                        b'"' => self.read_string().ok()?,
                        _ => match self.read_form(depth + 1).ok()?? {
                            Edn::Symbol(f_name) => f_name,
                            _ => return None,
                        },
                    });
                }
                "process" if process.is_none() => process = Some(self.read_form(depth + 1).ok()??),
                "key" if key.is_none() => key = Some(self.read_form(depth + 1).ok()??),
                "value" if value.is_none() => value = Some(self.read_form(depth + 1).ok()??),
                "" | "type" | "f" | "process" | "key" | "value" => return None,
                _ => {
                    self.read_form(depth + 1).ok()??;
                }
            }
        }
        Some(OpFields {
            process: process?,
            event_type: event_type?,
            f: f?,
            key,
            value,
        })
    }
}
