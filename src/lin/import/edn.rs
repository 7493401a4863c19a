//! A small EDN reader: the subset that Jepsen, Knossos and Porcupine histories use.
//!
//! This module owns turning EDN text into [`Edn`] values with the line and column of every
//! top-level form (and of every element of a top-level vector or list, which is how Knossos
//! ships a history). It never panics and never recurses without bound: every malformed or
//! unsupported input is an [`ImportError`] naming the line and column.
//!
//! Supported: `nil`, `true`, `false`, integers (an `N` suffix is accepted), floats (kept as their
//! text), strings with the usual escapes, characters (`\a`, `\newline`, ...), keywords, symbols,
//! lists, vectors, maps, sets, `#_` discard, `;` comments, commas as whitespace, and tagged
//! literals (`#inst "..."`, `#jepsen.history.Op{...}`), which keep their tag. Not supported
//! (an error): metadata `^`, reader conditionals `#?`, regexes `#"..."`, anonymous functions
//! `#(...)`, quoting and deref (`'`, `` ` ``, `~`, `@`).
//!
//! Lists and vectors read as the same value, as they compare equal in Clojure; map entries and
//! set elements are kept sorted, so equal maps and sets are equal values.
//!
//! A string is read into one buffer of its final size and then shared ([`Edn::Str`]), never
//! copied: a history with one huge value holds its text once, however many operations, model
//! states and search tables refer to it.
//!
//! ```
//! use quorate::lin::import::edn::{read_document, Edn};
//!
//! let forms = read_document("[{:f :read, :value nil} {:f :write, :value 3}]").unwrap();
//! assert_eq!(forms.len(), 2);
//! assert_eq!(forms[1].value.get_keyword("value"), Some(&Edn::Int(3)));
//! ```

use std::fmt;
use std::sync::Arc;

use super::ImportError;

mod op_map;

pub(super) use op_map::{Form, OpFields};

/// How deep collections may nest before the reader gives up (no history needs more).
const DEPTH_MAX: usize = 128;

/// An EDN value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Edn {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// A float, or an integer too large for `i64`, kept as its text.
    Number(String),
    /// A string, shared: a clone of the value (into an operation, a model's state, the search's
    /// memo) shares the text instead of copying it. An `Arc<String>` rather than an `Arc<str>`,
    /// so that the text the reader decoded moves in without being copied once more.
    Str(Arc<String>),
    /// A character literal (`\a`, `\newline`).
    Char(char),
    /// A keyword, without its leading colon.
    Keyword(String),
    /// A symbol (`foo`, `nemesis`).
    Symbol(String),
    /// A vector or a list.
    Seq(Vec<Edn>),
    /// Map entries, sorted by key.
    Map(Vec<(Edn, Edn)>),
    /// Set elements, sorted.
    Set(Vec<Edn>),
    /// A tagged value (`#inst "…"`, a record): the tag without its `#`, and the value.
    Tagged(String, Box<Edn>),
}

impl Edn {
    /// The value under keyword `name` in a map (a tagged map, such as a record, counts too).
    pub fn get_keyword(&self, name: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries.iter().find_map(|(key, value)| match key {
                Edn::Keyword(keyword) if keyword == name => Some(value),
                _ => None,
            }),
            Edn::Tagged(_, inner) => inner.get_keyword(name),
            _ => None,
        }
    }

    /// Takes the value under keyword `name` out of a map (the one [`get_keyword`](Self::get_keyword)
    /// finds), leaving `nil` in its place: a huge value moves on instead of being copied.
    pub(super) fn take_keyword(&mut self, name: &str) -> Option<Edn> {
        match self {
            Edn::Map(entries) => entries.iter_mut().find_map(|(key, value)| match key {
                Edn::Keyword(keyword) if keyword == name => {
                    Some(std::mem::replace(value, Edn::Nil))
                }
                _ => None,
            }),
            Edn::Tagged(_, inner) => inner.take_keyword(name),
            _ => None,
        }
    }

    /// The keyword's name, if this is a keyword.
    pub fn as_keyword(&self) -> Option<&str> {
        match self {
            Edn::Keyword(name) => Some(name),
            _ => None,
        }
    }

    /// Whether this is a map (or a tagged map, such as a record).
    pub fn is_map(&self) -> bool {
        match self {
            Edn::Map(_) => true,
            Edn::Tagged(_, inner) => inner.is_map(),
            _ => false,
        }
    }
}

impl fmt::Display for Edn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(f: &mut fmt::Formatter<'_>, items: &[Edn]) -> fmt::Result {
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{item}")?;
            }
            Ok(())
        }
        match self {
            Edn::Nil => f.write_str("nil"),
            Edn::Bool(value) => write!(f, "{value}"),
            Edn::Int(value) => write!(f, "{value}"),
            Edn::Number(text) => f.write_str(text),
            Edn::Str(text) => write!(f, "{text:?}"),
            Edn::Char(character) => write!(f, "\\{character}"),
            Edn::Keyword(name) => write!(f, ":{name}"),
            Edn::Symbol(name) => f.write_str(name),
            Edn::Seq(items) => {
                f.write_str("[")?;
                join(f, items)?;
                f.write_str("]")
            }
            Edn::Set(items) => {
                f.write_str("#{")?;
                join(f, items)?;
                f.write_str("}")
            }
            Edn::Map(entries) => {
                f.write_str("{")?;
                for (position, (key, value)) in entries.iter().enumerate() {
                    if position > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key} {value}")?;
                }
                f.write_str("}")
            }
            Edn::Tagged(tag, inner) => write!(f, "#{tag} {inner}"),
        }
    }
}

/// A value and where it started in the text (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The value read.
    pub value: Edn,
    /// The line where it starts, from 1.
    pub line: usize,
    /// The column where it starts, from 1.
    pub column: usize,
}

/// Reads a whole document: if its first form is a vector or list, that form's elements (a
/// Knossos history); otherwise every top-level form in turn (a stream of maps). Forms after a
/// top-level vector are read too, so a file of several vectors is the concatenation.
pub fn read_document(text: &str) -> Result<Vec<Located>, ImportError> {
    let mut forms = Vec::new();
    walk(text, false, |form, line, column| {
        let value = match form {
            Form::Other(value) => value,
            Form::Op(_) => unreachable!("asked for whole values only"),
        };
        forms.push(Located {
            value,
            line,
            column,
        });
        Ok(())
    })?;
    Ok(forms)
}

/// Reads a document as [`read_document`] does, handing each form to `visit` (with its line and
/// column) as soon as it is read, so that the document is never held whole: an operation map as
/// its fields ([`Form::Op`]); anything else, and any map the fast reading does not take (a
/// tagged record, a repeated key, a discarded form inside, a malformed value), whole.
pub(super) fn for_each_form<'t>(
    text: &'t str,
    visit: impl FnMut(Form<'t>, usize, usize) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    walk(text, true, visit)
}

/// The one walk over a document's forms (see [`read_document`]); `op_maps`: try each form as an
/// operation map first.
fn walk<'t>(
    text: &'t str,
    op_maps: bool,
    mut visit: impl FnMut(Form<'t>, usize, usize) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut reader = Reader::new(text);
    let mut element = |reader: &mut Reader<'t>, depth: usize| -> Result<(), ImportError> {
        let (line, column) = (reader.line, reader.column);
        if op_maps {
            if let Some(fields) = reader.try_op_map(depth) {
                return visit(Form::Op(fields), line, column);
            }
        }
        match reader.read_form(depth)? {
            Some(value) => visit(Form::Other(value), line, column),
            None => Ok(()),
        }
    };
    loop {
        reader.skip_whitespace_and_comments()?;
        let Some(byte) = reader.peek() else {
            return Ok(());
        };
        if byte == b'[' || byte == b'(' {
            let close = if byte == b'[' { b']' } else { b')' };
            let (open_line, open_column) = (reader.line, reader.column);
            reader.bump();
            loop {
                reader.skip_whitespace_and_comments()?;
                match reader.peek() {
                    None => {
                        return Err(ImportError::at(
                            open_line,
                            open_column,
                            "the top-level vector is never closed",
                        ))
                    }
                    Some(found) if found == close => {
                        reader.bump();
                        break;
                    }
                    Some(_) => element(&mut reader, 1)?,
                }
            }
        } else {
            element(&mut reader, 0)?;
        }
    }
}

/// Reads exactly one EDN value from `text` (surrounding whitespace and comments allowed).
pub fn read_value(text: &str) -> Result<Edn, ImportError> {
    let mut reader = Reader::new(text);
    let value = reader.read_first()?;
    reader.skip_whitespace_and_comments()?;
    if reader.peek().is_some() {
        return Err(reader.error("unexpected text after the value"));
    }
    Ok(value)
}

/// Reads the first EDN value of `text` and returns it with the text after it.
pub fn read_first_value(text: &str) -> Result<(Edn, &str), ImportError> {
    let mut reader = Reader::new(text);
    let value = reader.read_first()?;
    Ok((value, text.get(reader.position..).unwrap_or("")))
}

struct Reader<'t> {
    bytes: &'t [u8],
    text: &'t str,
    position: usize,
    line: usize,
    column: usize,
}

fn is_delimiter(byte: u8) -> bool {
    byte.is_ascii_whitespace()
        || matches!(
            byte,
            b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';'
        )
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Reader<'t> {
        Reader {
            bytes: text.as_bytes(),
            text,
            position: 0,
            line: 1,
            column: 1,
        }
    }

    /// The first value, after any whitespace and comments.
    fn read_first(&mut self) -> Result<Edn, ImportError> {
        self.skip_whitespace_and_comments()?;
        if self.peek().is_none() {
            return Err(self.error("expected a value, found nothing"));
        }
        self.read_form(0)?
            .ok_or_else(|| self.error("expected a value, found only a discarded form"))
    }

    fn error(&self, message: impl Into<String>) -> ImportError {
        ImportError::at(self.line, self.column, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn peek_second(&self) -> Option<u8> {
        self.bytes.get(self.position + 1).copied()
    }

    /// Advances one character (not one byte), keeping line and column.
    fn bump(&mut self) {
        match self.peek() {
            None => return,
            Some(b'\n') => {
                self.position += 1;
                self.line += 1;
                self.column = 1;
                return;
            }
            Some(byte) if byte.is_ascii() => {
                self.position += 1;
                self.column += 1;
                return;
            }
            Some(_) => {}
        }
        let Some(character) = self
            .text
            .get(self.position..)
            .and_then(|rest| rest.chars().next())
        else {
            return;
        };
        self.position += character.len_utf8();
        if character == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
    }

    fn skip_whitespace_and_comments(&mut self) -> Result<(), ImportError> {
        while let Some(byte) = self.peek() {
            if byte == b'\n' {
                self.position += 1;
                self.line += 1;
                self.column = 1;
            } else if byte.is_ascii_whitespace() || byte == b',' {
                self.position += 1;
                self.column += 1;
            } else if byte == b';' {
                // To the end of the line (the newline stays, for the loop to count).
                let rest = &self.bytes[self.position..];
                let length = rest
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .unwrap_or(rest.len());
                self.advance_within_line(length);
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Moves `length` bytes on, none of them a newline, ending on a character boundary: the
    /// column counts characters, not bytes.
    fn advance_within_line(&mut self, length: usize) {
        let passed = &self.bytes[self.position..self.position + length];
        let characters = passed
            .iter()
            .filter(|&&byte| byte & 0b1100_0000 != 0b1000_0000)
            .count();
        self.position += length;
        self.column += characters;
    }

    /// Reads one form; `None` for a `#_` discarded form. `depth` bounds the nesting.
    fn read_form(&mut self, depth: usize) -> Result<Option<Edn>, ImportError> {
        if depth > DEPTH_MAX {
            return Err(self.error(format!("collections nest deeper than {DEPTH_MAX} levels")));
        }
        self.skip_whitespace_and_comments()?;
        let Some(byte) = self.peek() else {
            return Err(self.error("unexpected end of input, expected a value"));
        };
        let value = match byte {
            b'[' => Edn::Seq(self.read_items(b']', depth)?),
            b'(' => Edn::Seq(self.read_items(b')', depth)?),
            b'{' => self.read_map(depth)?,
            b'"' => Edn::Str(Arc::new(self.read_string()?)),
            b'\\' => Edn::Char(self.read_char()?),
            b':' => {
                self.bump();
                let token = self.read_token();
                if token.is_empty() {
                    return Err(self.error("a keyword needs a name after ':'"));
                }
                Edn::Keyword(token.to_string())
            }
            b'#' => return self.read_dispatch(depth),
            b')' | b']' | b'}' => {
                return Err(self.error(format!("unexpected '{}'", byte as char)));
            }
            b'^' => return Err(self.error("metadata (^) is not supported")),
            b'\'' | b'`' | b'~' | b'@' => {
                return Err(self.error(format!("reader macro '{}' is not supported", byte as char)))
            }
            _ => self.read_atom()?,
        };
        Ok(Some(value))
    }

    fn read_items(&mut self, close: u8, depth: usize) -> Result<Vec<Edn>, ImportError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_whitespace_and_comments()?;
            match self.peek() {
                None => {
                    return Err(ImportError::at(
                        line,
                        column,
                        format!("'{}' is never closed", self.bytes_char_before_close(close)),
                    ))
                }
                Some(found) if found == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(_) => {
                    if let Some(item) = self.read_form(depth + 1)? {
                        items.push(item);
                    }
                }
            }
        }
    }

    fn bytes_char_before_close(&self, close: u8) -> char {
        match close {
            b']' => '[',
            b')' => '(',
            _ => '{',
        }
    }

    fn read_map(&mut self, depth: usize) -> Result<Edn, ImportError> {
        let (line, column) = (self.line, self.column);
        let items = self.read_items(b'}', depth)?;
        if items.len() % 2 != 0 {
            return Err(ImportError::at(
                line,
                column,
                "a map needs an even number of forms (a value for every key)",
            ));
        }
        let mut entries: Vec<(Edn, Edn)> = Vec::with_capacity(items.len() / 2);
        let mut items = items.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            entries.push((key, value));
        }
        entries.sort_by(|left, right| left.0.cmp(&right.0));
        Ok(Edn::Map(entries))
    }

    fn read_dispatch(&mut self, depth: usize) -> Result<Option<Edn>, ImportError> {
        match self.peek_second() {
            Some(b'{') => {
                self.bump();
                let mut items = self.read_items(b'}', depth)?;
                items.sort();
                items.dedup();
                Ok(Some(Edn::Set(items)))
            }
            Some(b'_') => {
                self.bump();
                self.bump();
                self.read_form(depth + 1)?;
                Ok(None)
            }
            Some(byte) if byte.is_ascii_alphabetic() => {
                self.bump();
                let tag = self.read_token().to_string();
                let inner = self
                    .read_form(depth + 1)?
                    .ok_or_else(|| self.error(format!("tag #{tag} has no value")))?;
                Ok(Some(Edn::Tagged(tag, Box::new(inner))))
            }
            Some(b'?') => Err(self.error("reader conditionals (#?) are not supported")),
            Some(b'"') => Err(self.error("regular expressions (#\"...\") are not supported")),
            Some(b'(') => Err(self.error("anonymous functions (#(...)) are not supported")),
            _ => Err(self.error("unsupported dispatch after '#'")),
        }
    }

    fn read_token(&mut self) -> &'t str {
        let start = self.position;
        let rest = &self.bytes[start..];
        // Delimiters are ASCII (a newline among them), so the token ends on a character
        // boundary and stays on its line.
        let length = rest
            .iter()
            .position(|&byte| is_delimiter(byte))
            .unwrap_or(rest.len());
        self.advance_within_line(length);
        self.text.get(start..self.position).unwrap_or("")
    }

    /// The bytes from here to the closing quote of the string literal this is inside (all the
    /// rest when it is never closed).
    fn literal_bytes(&self) -> usize {
        let rest = self.bytes.get(self.position..).unwrap_or(&[]);
        let mut index = 0;
        while let Some(offset) = rest
            .get(index..)
            .and_then(|tail| tail.iter().position(|&byte| byte == b'"' || byte == b'\\'))
        {
            index += offset;
            if rest.get(index) == Some(&b'"') {
                return index;
            }
            // A backslash: what it escapes cannot close the string.
            index += 2;
        }
        rest.len()
    }

    fn read_string(&mut self) -> Result<String, ImportError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        // The text is never longer than its literal (each escape is at least as long as the
        // character it stands for): one buffer of that size takes it all, so a huge string is
        // never copied while it grows.
        let mut text = String::with_capacity(self.literal_bytes());
        loop {
            // Copy the run of plain ASCII up to the next quote, backslash or non-ASCII byte at once.
            let rest = self.bytes.get(self.position..).unwrap_or(&[]);
            let plain = rest
                .iter()
                .take_while(|&&byte| {
                    byte != b'"' && byte != b'\\' && byte != b'\n' && byte.is_ascii()
                })
                .count();
            if plain > 0 {
                text.push_str(
                    self.text
                        .get(self.position..self.position + plain)
                        .unwrap_or(""),
                );
                self.position += plain;
                self.column += plain;
            }
            let Some(character) = self
                .text
                .get(self.position..)
                .and_then(|rest| rest.chars().next())
            else {
                return Err(ImportError::at(line, column, "a string is never closed"));
            };
            self.bump();
            match character {
                '"' => {
                    // Escapes made it shorter than its literal: give the difference back.
                    text.shrink_to_fit();
                    return Ok(text);
                }
                '\\' => {
                    let Some(escaped) = self
                        .text
                        .get(self.position..)
                        .and_then(|rest| rest.chars().next())
                    else {
                        return Err(ImportError::at(line, column, "a string is never closed"));
                    };
                    let (escape_line, escape_column) = (self.line, self.column);
                    self.bump();
                    text.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '"' => '"',
                        '\\' => '\\',
                        'u' => self.read_unicode_escape(escape_line, escape_column)?,
                        other => {
                            return Err(ImportError::at(
                                escape_line,
                                escape_column,
                                format!("unknown string escape '\\{other}'"),
                            ))
                        }
                    });
                }
                other => text.push(other),
            }
        }
    }

    fn read_unicode_escape(&mut self, line: usize, column: usize) -> Result<char, ImportError> {
        let digits = self
            .text
            .get(self.position..self.position + 4)
            .unwrap_or("");
        let code = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.len() == 4)
            .and_then(char::from_u32)
            .ok_or_else(|| {
                ImportError::at(
                    line,
                    column,
                    "a \\u escape needs four hex digits of a character",
                )
            })?;
        for _ in 0..4 {
            self.bump();
        }
        Ok(code)
    }

    fn read_char(&mut self) -> Result<char, ImportError> {
        let (line, column) = (self.line, self.column);
        self.bump();
        // One character always follows the backslash, even a delimiter: `\(` is a character.
        let start = self.position;
        self.bump();
        while let Some(byte) = self.peek() {
            if is_delimiter(byte) {
                break;
            }
            self.bump();
        }
        let token = self.text.get(start..self.position).unwrap_or("");
        let mut characters = token.chars();
        match (characters.next(), characters.next()) {
            (Some(single), None) => Ok(single),
            _ => match token {
                "newline" => Ok('\n'),
                "space" => Ok(' '),
                "tab" => Ok('\t'),
                "return" => Ok('\r'),
                "backspace" => Ok('\u{8}'),
                "formfeed" => Ok('\u{c}'),
                _ => Err(ImportError::at(
                    line,
                    column,
                    format!("unknown character literal \\{token}"),
                )),
            },
        }
    }

    fn read_atom(&mut self) -> Result<Edn, ImportError> {
        let (line, column) = (self.line, self.column);
        let token = self.read_token();
        if token.is_empty() {
            // A byte that is neither a delimiter nor the start of a token: step past it so the
            // error names it.
            return Err(ImportError::at(line, column, "unexpected character"));
        }
        Ok(match token {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            _ => {
                let first = token.as_bytes()[0];
                let signed_digit = (first == b'-' || first == b'+')
                    && token.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
                if first.is_ascii_digit() || signed_digit {
                    parse_number(token).ok_or_else(|| {
                        ImportError::at(line, column, format!("malformed number {token:?}"))
                    })?
                } else {
                    Edn::Symbol(token.to_string())
                }
            }
        })
    }
}

fn parse_number(token: &str) -> Option<Edn> {
    let integer_text = token.strip_suffix('N').unwrap_or(token);
    if let Ok(value) = integer_text.parse::<i64>() {
        return Some(Edn::Int(value));
    }
    let digits = integer_text
        .strip_prefix(['-', '+'])
        .unwrap_or(integer_text);
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(Edn::Number(token.to_string()));
    }
    let float_text = token.strip_suffix('M').unwrap_or(token);
    float_text
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .map(|_| Edn::Number(token.to_string()))
}

#[cfg(test)]
mod tests;
