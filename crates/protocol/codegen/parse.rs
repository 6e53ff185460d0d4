//! Parser of Flotilla's schema format (see `schema/README.md`). Errors name the file and line.

use std::fmt;

/// A version range; `min > max` is the empty range (`none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: i16,
    pub max: i16,
}

impl Range {
    pub const NONE: Range = Range { min: 1, max: 0 };

    pub fn is_empty(self) -> bool {
        self.min > self.max
    }

    pub fn intersect(self, other: Range) -> Range {
        Range { min: self.min.max(other.min), max: self.max.min(other.max) }
    }

    /// True when every version of `within` is in this range.
    pub fn covers(self, within: Range) -> bool {
        within.is_empty() || (self.min <= within.min && self.max >= within.max)
    }

    fn parse(s: &str) -> Result<Range, String> {
        if s == "none" {
            return Ok(Range::NONE);
        }
        let num = |t: &str| t.parse::<i16>().map_err(|_| format!("bad version number `{t}` in range `{s}`"));
        if let Some(min) = s.strip_suffix('+') {
            Ok(Range { min: num(min)?, max: i16::MAX })
        } else if let Some((a, b)) = s.split_once('-') {
            let r = Range { min: num(a)?, max: num(b)? };
            if r.is_empty() {
                return Err(format!("empty range `{s}`"));
            }
            Ok(r)
        } else {
            let v = num(s)?;
            Ok(Range { min: v, max: v })
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            write!(f, "none")
        } else if self.max == i16::MAX {
            write!(f, "{}+", self.min)
        } else {
            write!(f, "{}-{}", self.min, self.max)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    Int8,
    Int16,
    Int32,
    Int64,
    Uint16,
    Uint32,
    Float64,
    Bool,
    Uuid,
    String,
    Bytes,
    Records,
}

impl Prim {
    fn parse(s: &str) -> Option<Prim> {
        Some(match s {
            "int8" => Prim::Int8,
            "int16" => Prim::Int16,
            "int32" => Prim::Int32,
            "int64" => Prim::Int64,
            "uint16" => Prim::Uint16,
            "uint32" => Prim::Uint32,
            "float64" => Prim::Float64,
            "bool" => Prim::Bool,
            "uuid" => Prim::Uuid,
            "string" => Prim::String,
            "bytes" => Prim::Bytes,
            "records" => Prim::Records,
            _ => return None,
        })
    }

    pub fn is_integer(self) -> bool {
        matches!(self, Prim::Int8 | Prim::Int16 | Prim::Int32 | Prim::Int64 | Prim::Uint16 | Prim::Uint32)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Prim(Prim),
    Array(Box<Type>),
    Struct(String),
}

impl Type {
    fn parse(s: &str) -> Result<Type, String> {
        if let Some(inner) = s.strip_prefix("[]") {
            let inner = Type::parse(inner)?;
            if matches!(inner, Type::Array(_)) {
                return Err(format!("nested arrays are not supported: `{s}`"));
            }
            return Ok(Type::Array(Box::new(inner)));
        }
        if let Some(p) = Prim::parse(s) {
            return Ok(Type::Prim(p));
        }
        if s.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Type::Struct(s.to_string()));
        }
        Err(format!("unknown type `{s}`"))
    }

    /// The struct this type names, directly or as array element.
    pub fn struct_name(&self) -> Option<&str> {
        match self {
            Type::Struct(n) => Some(n),
            Type::Array(inner) => inner.struct_name(),
            Type::Prim(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i128),
    Bool(bool),
    Null,
    Str(String),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    pub versions: Range,
    pub nullable: Range,
    pub tag: Option<u32>,
    pub tagged: Range,
    pub default: Option<Literal>,
    pub never_flexible: bool,
    /// Fields of an inline struct type.
    pub children: Vec<Field>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Response,
    Header,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub kind: Kind,
    /// Rust type name: `ProduceRequest`, `RequestHeader`.
    pub name: String,
    pub versions: Range,
    pub flexible: Range,
    pub fields: Vec<Field>,
    pub common: Vec<StructDef>,
}

#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub path: String,
    /// `Some((name, key))` for API files, `None` for the headers file.
    pub api: Option<(String, i16)>,
    pub messages: Vec<Message>,
}

struct Line<'a> {
    number: usize,
    indent: usize,
    tokens: Vec<&'a str>,
}

fn tokenize(line: &str) -> Result<Vec<&str>, String> {
    // Tokens are separated by spaces; a double-quoted string (no escapes, no embedded quotes) may contain
    // spaces and is kept whole with its quotes.
    let mut tokens = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let end = if let Some(q) = rest.find('"').filter(|&q| !rest[..q].contains(' ')) {
            let close = rest[q + 1..].find('"').ok_or("unterminated string literal")?;
            q + 1 + close + 1
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        tokens.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    Ok(tokens)
}

fn attr<'a>(tokens: &[&'a str], key: &str) -> Option<&'a str> {
    tokens.iter().find_map(|t| t.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn parse_literal(s: &str) -> Result<Literal, String> {
    Ok(match s {
        "null" => Literal::Null,
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        _ if s.starts_with('"') => Literal::Str(s.trim_matches('"').to_string()),
        _ => {
            let (neg, body) = match s.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, s),
            };
            let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
                i128::from_str_radix(hex, 16)
            } else {
                body.parse::<i128>()
            }
            .map_err(|_| format!("bad default `{s}`"))?;
            Literal::Int(if neg { -v } else { v })
        }
    })
}

fn parse_field(line: &Line<'_>) -> Result<Field, String> {
    let t = &line.tokens;
    if t.len() < 3 {
        return Err("a field needs `name type versions`".into());
    }
    let name = t[0];
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(format!("field name `{name}` is not snake_case"));
    }
    let ty = Type::parse(t[1])?;
    let versions = Range::parse(t[2])?;
    for extra in &t[3..] {
        let key = extra.split('=').next().unwrap_or("");
        if !["null", "tag", "tagged", "default", "flexible"].contains(&key) || !extra.contains('=') {
            return Err(format!("unknown attribute `{extra}`"));
        }
    }
    let nullable = attr(t, "null").map(Range::parse).transpose()?.unwrap_or(Range::NONE);
    let tag = attr(t, "tag").map(|s| s.parse::<u32>().map_err(|_| format!("bad tag `{s}`"))).transpose()?;
    let tagged = match (tag, attr(t, "tagged")) {
        (Some(_), Some(r)) => Range::parse(r)?,
        (Some(_), None) => versions,
        (None, Some(_)) => return Err("`tagged=` without `tag=`".into()),
        (None, None) => Range::NONE,
    };
    let default = attr(t, "default").map(parse_literal).transpose()?;
    let never_flexible = match attr(t, "flexible") {
        None => false,
        Some("none") => true,
        Some(other) => return Err(format!("field `flexible=` only takes `none`, not `{other}`")),
    };
    if default == Some(Literal::Null) && nullable.is_empty() {
        return Err(format!("field `{name}` defaults to null but is never nullable"));
    }
    if let (Some(_), Type::Prim(p)) = (&default, &ty) {
        let ok = match default.as_ref() {
            Some(Literal::Int(_)) => p.is_integer() || *p == Prim::Float64,
            Some(Literal::Bool(_)) => *p == Prim::Bool,
            Some(Literal::Str(_)) => *p == Prim::String,
            _ => true,
        };
        if !ok {
            return Err(format!("default of `{name}` does not fit its type"));
        }
    }
    Ok(Field {
        name: name.to_string(),
        ty,
        versions,
        nullable,
        tag,
        tagged,
        default,
        never_flexible,
        children: Vec::new(),
        line: line.number,
    })
}

/// Parses lines at `indent` (and their children) into fields, starting at `*pos`.
fn parse_fields(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Vec<Field>, (usize, String)> {
    let mut fields: Vec<Field> = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.indent < indent {
            break;
        }
        if line.indent > indent {
            return Err((line.number, "unexpected indentation".into()));
        }
        let mut field = parse_field(line).map_err(|e| (line.number, e))?;
        *pos += 1;
        if lines.get(*pos).is_some_and(|l| l.indent > indent) {
            if field.ty.struct_name().is_none() {
                return Err((field.line, format!("field `{}` of a primitive type has children", field.name)));
            }
            field.children = parse_fields(lines, pos, indent + 2)?;
        }
        fields.push(field);
    }
    Ok(fields)
}

pub fn parse(path: &str, text: &str) -> Result<SchemaFile, String> {
    let at = |n: usize, e: String| format!("{path}:{n}: {e}");
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let content = match raw.find('#') {
            Some(h) if !raw[..h].contains('"') => &raw[..h],
            _ => raw,
        };
        if content.trim().is_empty() {
            continue;
        }
        if content.contains('\t') {
            return Err(at(i + 1, "tabs are not allowed; indent with two spaces".into()));
        }
        let indent = content.len() - content.trim_start().len();
        if indent % 2 != 0 {
            return Err(at(i + 1, "indentation must be a multiple of two spaces".into()));
        }
        lines.push(Line { number: i + 1, indent, tokens: tokenize(content.trim_end()).map_err(|e| at(i + 1, e))? });
    }

    let mut file = SchemaFile { path: path.to_string(), api: None, messages: Vec::new() };
    let mut pos = 0;
    while let Some(line) = lines.get(pos) {
        if line.indent != 0 {
            return Err(at(line.number, "expected a line at column 0".into()));
        }
        let t = &line.tokens;
        match t[0] {
            "api" => {
                let name = t.get(1).ok_or_else(|| at(line.number, "`api` needs a name".into()))?;
                let key = attr(t, "key")
                    .and_then(|k| k.parse::<i16>().ok())
                    .ok_or_else(|| at(line.number, "`api` needs key=<n>".into()))?;
                file.api = Some((name.to_string(), key));
                pos += 1;
            }
            "request" | "response" | "header" => {
                let kind = match t[0] {
                    "request" => Kind::Request,
                    "response" => Kind::Response,
                    _ => Kind::Header,
                };
                let name = match (kind, &file.api) {
                    (Kind::Header, _) => {
                        t.get(1).ok_or_else(|| at(line.number, "`header` needs a name".into()))?.to_string()
                    }
                    (Kind::Request, Some((api, _))) => format!("{api}Request"),
                    (Kind::Response, Some((api, _))) => format!("{api}Response"),
                    _ => return Err(at(line.number, "`api` must come first".into())),
                };
                let versions =
                    Range::parse(attr(t, "versions").ok_or_else(|| at(line.number, "missing versions=".into()))?)
                        .map_err(|e| at(line.number, e))?;
                let flexible =
                    Range::parse(attr(t, "flexible").ok_or_else(|| at(line.number, "missing flexible=".into()))?)
                        .map_err(|e| at(line.number, e))?;
                pos += 1;
                let fields = parse_fields(&lines, &mut pos, 2).map_err(|(n, e)| at(n, e))?;
                file.messages.push(Message { kind, name, versions, flexible, fields, common: Vec::new() });
            }
            "struct" => {
                let name = t.get(1).ok_or_else(|| at(line.number, "`struct` needs a name".into()))?.to_string();
                let msg =
                    file.messages.last_mut().ok_or_else(|| at(line.number, "`struct` before any section".into()))?;
                pos += 1;
                let fields = parse_fields(&lines, &mut pos, 2).map_err(|(n, e)| at(n, e))?;
                msg.common.push(StructDef { name, fields });
            }
            other => return Err(at(line.number, format!("unknown keyword `{other}`"))),
        }
    }
    if file.api.is_some() {
        let kinds: Vec<Kind> = file.messages.iter().map(|m| m.kind).collect();
        if kinds != [Kind::Request, Kind::Response] {
            return Err(format!("{path}: an api file needs one request and then one response section"));
        }
    }
    Ok(file)
}
