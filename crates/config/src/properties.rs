//! Java `.properties` text, read the way `java.util.Properties.load` reads it.
//!
//! - A natural line ends at `\n`, `\r\n` or `\r`. Lines that are blank, or whose first non-blank
//!   character is `#` or `!`, are skipped (a comment is never continued).
//! - A line ending in an odd number of backslashes continues on the next line; the backslash, the line
//!   break and the next line's leading blanks (and any blank lines) are dropped.
//! - The key ends at the first unescaped `=`, `:` or blank; blanks and at most one `=` or `:` after it
//!   are skipped; the rest is the value (trailing blanks are kept, as Java does; typed parsing trims).
//! - Escapes in keys and values: `\t \n \r \f`, `\uXXXX` (surrogate pairs combine), and `\c` for any
//!   other `c` (so `\\`, `\=`, `\:`, `\ ` and `\#` are literal).
//! - A key given twice keeps its last value.
//!
//! Input is bounded: [`MAX_INPUT_BYTES`] in all and [`MAX_LINE_BYTES`] per logical line.

use crate::error::PropertiesError;

/// The largest config text accepted.
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;
/// The longest logical line (a line with its continuations) accepted.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// One `key=value` entry and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub key: String,
    pub value: String,
    /// 1-based line number of the line the entry starts on.
    pub line: usize,
}

/// Every entry of a properties text, in file order (a key given twice appears twice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<Property>,
}

impl Properties {
    /// All entries in file order, duplicates included.
    pub fn entries(&self) -> &[Property] {
        &self.entries
    }

    /// The value of `key`: the last one given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().rev().find(|p| p.key == key).map(|p| p.value.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Parses `.properties` text (see the module doc for the syntax).
pub fn parse(text: &str) -> Result<Properties, PropertiesError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(PropertiesError::TooLarge { size_bytes: text.len(), limit_bytes: MAX_INPUT_BYTES });
    }
    let mut entries = Vec::new();
    let mut lines = NaturalLines::new(text);
    while let Some((line_number, raw)) = lines.next() {
        let start = trim_blanks_start(raw);
        if start.is_empty() || start.starts_with('#') || start.starts_with('!') {
            continue;
        }
        let mut logical = String::new();
        let mut current = start;
        loop {
            match strip_continuation(current) {
                Some(body) => {
                    logical.push_str(body);
                    check_line_len(&logical, line_number)?;
                    // Java skips blanks and blank lines at the start of a continuation.
                    let mut next = None;
                    for (_, candidate) in lines.by_ref() {
                        let trimmed = trim_blanks_start(candidate);
                        if !trimmed.is_empty() {
                            next = Some(trimmed);
                            break;
                        }
                    }
                    match next {
                        Some(next) => current = next,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(current);
                    check_line_len(&logical, line_number)?;
                    break;
                }
            }
        }
        entries.push(split_entry(&logical, line_number)?);
    }
    Ok(Properties { entries })
}

fn check_line_len(logical: &str, line: usize) -> Result<(), PropertiesError> {
    if logical.len() > MAX_LINE_BYTES {
        return Err(PropertiesError::LineTooLong { line, limit_bytes: MAX_LINE_BYTES });
    }
    Ok(())
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

fn trim_blanks_start(s: &str) -> &str {
    s.trim_start_matches(is_blank)
}

/// If the line ends in an odd number of backslashes, the line without its last backslash.
fn strip_continuation(line: &str) -> Option<&str> {
    let trailing = line.bytes().rev().take_while(|&b| b == b'\\').count();
    if trailing % 2 == 1 {
        line.strip_suffix('\\')
    } else {
        None
    }
}

/// Splits a logical line (leading blanks already removed) into key and value and unescapes both.
fn split_entry(logical: &str, line: usize) -> Result<Property, PropertiesError> {
    let mut key_end = logical.len();
    let mut value_start = logical.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    for (i, c) in logical.char_indices() {
        if !preceding_backslash && (c == '=' || c == ':') {
            key_end = i;
            value_start = i + c.len_utf8();
            has_separator = true;
            break;
        }
        if !preceding_backslash && is_blank(c) {
            key_end = i;
            value_start = i + c.len_utf8();
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
    }
    let raw_key = logical.get(..key_end).unwrap_or_default();
    let mut rest = logical.get(value_start..).unwrap_or_default();
    loop {
        rest = trim_blanks_start(rest);
        match rest.chars().next() {
            Some(c @ ('=' | ':')) if !has_separator => {
                has_separator = true;
                rest = rest.get(c.len_utf8()..).unwrap_or_default();
            }
            _ => break,
        }
    }
    Ok(Property { key: unescape(raw_key, line)?, value: unescape(rest, line)?, line })
}

/// Java's `loadConvert`: `\t \n \r \f`, `\uXXXX`, and `\c` → `c`.
fn unescape(s: &str, line: usize) -> Result<String, PropertiesError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut high_surrogate: Option<u16> = None;
    while let Some(c) = chars.next() {
        if c != '\\' {
            reject_dangling(high_surrogate.take(), line)?;
            out.push(c);
            continue;
        }
        let Some(escaped) = chars.next() else {
            // A lone trailing backslash: Java drops it.
            break;
        };
        if escaped != 'u' {
            reject_dangling(high_surrogate.take(), line)?;
            out.push(match escaped {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'f' => '\x0c',
                other => other,
            });
            continue;
        }
        let mut unit: u16 = 0;
        for _ in 0..4 {
            let digit = chars.next().and_then(|d| d.to_digit(16)).ok_or_else(|| {
                PropertiesError::MalformedUnicodeEscape { line, detail: "expected four hex digits after \\u".into() }
            })?;
            // Four hex digits fit in a u16.
            unit = (unit << 4) | digit as u16;
        }
        match (high_surrogate.take(), unit) {
            (None, 0xD800..=0xDBFF) => high_surrogate = Some(unit),
            (Some(high), 0xDC00..=0xDFFF) => {
                let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                out.push(char::from_u32(code).ok_or_else(|| unpaired(line))?);
            }
            (Some(_), _) | (None, 0xDC00..=0xDFFF) => return Err(unpaired(line)),
            (None, _) => out.push(char::from_u32(u32::from(unit)).ok_or_else(|| unpaired(line))?),
        }
    }
    reject_dangling(high_surrogate, line)?;
    Ok(out)
}

fn reject_dangling(high_surrogate: Option<u16>, line: usize) -> Result<(), PropertiesError> {
    match high_surrogate {
        Some(_) => Err(unpaired(line)),
        None => Ok(()),
    }
}

fn unpaired(line: usize) -> PropertiesError {
    PropertiesError::MalformedUnicodeEscape { line, detail: "unpaired UTF-16 surrogate".into() }
}

/// Natural lines with their 1-based numbers, split at `\n`, `\r\n` or `\r`, terminators removed.
struct NaturalLines<'a> {
    rest: &'a str,
    line: usize,
    done: bool,
}

impl<'a> NaturalLines<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text, line: 0, done: text.is_empty() }
    }
}

impl<'a> Iterator for NaturalLines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.line += 1;
        match self.rest.find(['\n', '\r']) {
            Some(i) => {
                let line = self.rest.get(..i).unwrap_or_default();
                let after = self.rest.get(i..).unwrap_or_default();
                let skip = if after.starts_with("\r\n") { 2 } else { 1 };
                self.rest = after.get(skip..).unwrap_or_default();
                if self.rest.is_empty() {
                    self.done = true;
                }
                Some((self.line, line))
            }
            None => {
                self.done = true;
                Some((self.line, self.rest))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap().entries().iter().map(|p| (p.key.clone(), p.value.clone())).collect()
    }

    fn one(text: &str) -> (String, String) {
        let mut all = pairs(text);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn separators_equals_colon_and_blank() {
        assert_eq!(one("a=b"), ("a".into(), "b".into()));
        assert_eq!(one("a:b"), ("a".into(), "b".into()));
        assert_eq!(one("a b"), ("a".into(), "b".into()));
        assert_eq!(one("a\tb"), ("a".into(), "b".into()));
        assert_eq!(one("a = b"), ("a".into(), "b".into()));
        assert_eq!(one("a : b"), ("a".into(), "b".into()));
        // Blank then '=': the '=' is the separator, not part of the value.
        assert_eq!(one("a   =   b"), ("a".into(), "b".into()));
        // Only one separator is consumed.
        assert_eq!(one("a==b"), ("a".into(), "=b".into()));
        assert_eq!(one("a=:b"), ("a".into(), ":b".into()));
        // Value keeps inner '=' and ':'.
        assert_eq!(one("listeners=PLAINTEXT://:9092"), ("listeners".into(), "PLAINTEXT://:9092".into()));
    }

    #[test]
    fn whitespace_is_trimmed_before_key_and_value_but_not_after_value() {
        assert_eq!(one("   \t key=value"), ("key".into(), "value".into()));
        assert_eq!(one("key=value  "), ("key".into(), "value  ".into()));
        assert_eq!(one("key="), ("key".into(), String::new()));
        assert_eq!(one("key"), ("key".into(), String::new()));
        assert_eq!(one("key   "), ("key".into(), String::new()));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let text = "# a comment\n! another\n   # indented comment\n\n  \t \nkey=value\n";
        assert_eq!(pairs(text), vec![("key".into(), "value".into())]);
        // '#' after the start of a line is part of the value.
        assert_eq!(one("key=a#b"), ("key".into(), "a#b".into()));
    }

    #[test]
    fn line_terminators_lf_crlf_cr() {
        assert_eq!(pairs("a=1\r\nb=2\rc=3\nd=4").len(), 4);
        let props = parse("a=1\r\nb=2\rc=3\nd=4").unwrap();
        let lines: Vec<usize> = props.entries().iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
    }

    #[test]
    fn continuation_lines_join_and_drop_leading_blanks() {
        let text = "listeners=PLAINTEXT://:9092,\\\n    CONTROLLER://:9093\nnext=1";
        let props = parse(text).unwrap();
        assert_eq!(props.get("listeners"), Some("PLAINTEXT://:9092,CONTROLLER://:9093"));
        assert_eq!(props.entries()[1].line, 3);
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(one("path=c:\\\\"), ("path".into(), "c:\\".into()));
        // Blank lines after a continuation are skipped, as Java does.
        assert_eq!(pairs("a=1\\\n\n   \n2"), vec![("a".into(), "12".into())]);
        // A continuation at the end of input just ends the value.
        assert_eq!(one("a=1\\"), ("a".into(), "1".into()));
        // A comment line ending in a backslash is not continued.
        assert_eq!(pairs("# comment \\\na=1"), vec![("a".into(), "1".into())]);
        // A continued line starting with '#' is not a comment.
        assert_eq!(one("a=1\\\n#2"), ("a".into(), "1#2".into()));
        // The key can be continued too.
        assert_eq!(one("lo\\\n  g.dirs=/x"), ("log.dirs".into(), "/x".into()));
    }

    #[test]
    fn escapes() {
        assert_eq!(one(r"a=x\ty\nz\r\f"), ("a".into(), "x\ty\nz\r\x0c".into()));
        assert_eq!(one(r"a=back\\slash"), ("a".into(), "back\\slash".into()));
        assert_eq!(one(r"a=\u0041\u00e9"), ("a".into(), "Aé".into()));
        assert_eq!(one(r"a=\uD83D\uDE00"), ("a".into(), "😀".into()));
        assert_eq!(one(r"a=\q"), ("a".into(), "q".into()));
        // Escaped separators and blanks belong to the key.
        assert_eq!(one(r"my\=key\:x\ y=v"), ("my=key:x y".into(), "v".into()));
        // An escaped leading blank in the value is kept.
        assert_eq!(one(r"a=\  v"), ("a".into(), "  v".into()));
    }

    #[test]
    fn later_keys_override_earlier() {
        let props = parse("a=1\nb=2\na=3").unwrap();
        assert_eq!(props.get("a"), Some("3"));
        assert_eq!(props.get("b"), Some("2"));
        assert_eq!(props.get("c"), None);
        assert_eq!(props.entries().len(), 3);
    }

    #[test]
    fn malformed_unicode_escape_names_the_line() {
        let err = parse("ok=1\n\nbad=\\u12G4").unwrap_err();
        assert!(matches!(err, PropertiesError::MalformedUnicodeEscape { line: 3, .. }), "{err:?}");
        assert!(err.to_string().starts_with("line 3:"), "{err}");
        let err = parse("bad=\\u12").unwrap_err();
        assert!(matches!(err, PropertiesError::MalformedUnicodeEscape { line: 1, .. }));
        let err = parse("bad=\\uD83D").unwrap_err();
        assert!(matches!(err, PropertiesError::MalformedUnicodeEscape { line: 1, .. }));
        let err = parse("bad=\\uDE00x").unwrap_err();
        assert!(matches!(err, PropertiesError::MalformedUnicodeEscape { line: 1, .. }));
    }

    #[test]
    fn oversized_input_is_rejected() {
        let text = "a".repeat(MAX_INPUT_BYTES + 1);
        let err = parse(&text).unwrap_err();
        assert!(matches!(err, PropertiesError::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn overlong_line_is_rejected_with_its_number() {
        let text = format!("a=1\nlong={}\n", "x".repeat(MAX_LINE_BYTES));
        let err = parse(&text).unwrap_err();
        assert_eq!(err, PropertiesError::LineTooLong { line: 2, limit_bytes: MAX_LINE_BYTES });
        // Continuations count toward the limit.
        let half = "x".repeat(MAX_LINE_BYTES / 2 + 1);
        let text = format!("k={half}\\\n{half}\\\n{half}");
        assert!(matches!(parse(&text), Err(PropertiesError::LineTooLong { line: 1, .. })));
    }

    #[test]
    fn empty_and_hostile_input_never_panics() {
        assert!(parse("").unwrap().is_empty());
        for text in ["\\", "\\\\", "=", ":", "\\u", "a\\", "\r", "\r\n\r\n", "é=ü", "\u{0}=\u{0}", "=\\", " \\\n"] {
            let _ = parse(text);
        }
    }
}
