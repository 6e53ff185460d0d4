//! Rust code generation from parsed schemas. Every generated struct gets `decode_body`, `encode_body`,
//! `body_len` and `min_body_len`; top-level messages implement the `Message` trait on top of those.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::parse::{Field, Kind, Literal, Message, Prim, Range, SchemaFile, Type};

pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if prev_lower || (prev_upper && next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
        "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "yield", "box", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "abstract", "become", "do", "try",
    ];
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// A struct to generate: the message itself, an inline struct or a common struct.
struct StructSpec<'a> {
    name: String,
    fields: &'a [Field],
}

/// Code for a condition on `version`, knowing the message only has `all` versions.
fn cond(range: Range, all: Range) -> String {
    let r = range.intersect(all);
    if r.is_empty() {
        "false".into()
    } else if r.covers(all) {
        "true".into()
    } else if r.max >= all.max {
        format!("version >= {}", r.min)
    } else if r.min <= all.min {
        format!("version <= {}", r.max)
    } else if r.min == r.max {
        format!("version == {}", r.min)
    } else {
        format!("({}..={}).contains(&version)", r.min, r.max)
    }
}

fn guarded(out: &mut String, condition: &str, body: &str) {
    match condition {
        "true" => out.push_str(body),
        "false" => {}
        c => {
            let _ = writeln!(out, "if {c} {{\n{body}}}");
        }
    }
}

struct Ctx<'a> {
    msg: &'a Message,
    /// Where struct names resolve: name -> fields.
    structs: BTreeMap<String, &'a [Field]>,
}

impl<'a> Ctx<'a> {
    fn is_nullable(&self, f: &Field) -> bool {
        !f.nullable.intersect(f.versions).intersect(self.msg.versions).is_empty()
    }

    fn base_ty(&self, ty: &Type) -> String {
        match ty {
            Type::Prim(p) => match p {
                Prim::Int8 => "i8",
                Prim::Int16 => "i16",
                Prim::Int32 => "i32",
                Prim::Int64 => "i64",
                Prim::Uint16 => "u16",
                Prim::Uint32 => "u32",
                Prim::Float64 => "f64",
                Prim::Bool => "bool",
                Prim::Uuid => "Uuid",
                Prim::String => "ByteString",
                Prim::Bytes | Prim::Records => "Bytes",
            }
            .to_string(),
            Type::Array(inner) => format!("Vec<{}>", self.base_ty(inner)),
            Type::Struct(name) => name.clone(),
        }
    }

    fn rust_ty(&self, f: &Field) -> String {
        let base = self.base_ty(&f.ty);
        if self.is_nullable(f) {
            format!("Option<{base}>")
        } else {
            base
        }
    }

    fn default_expr(&self, f: &Field) -> Result<String, String> {
        let nullable = self.is_nullable(f);
        if f.default == Some(Literal::Null) {
            return Ok("None".into());
        }
        let base = match (&f.ty, &f.default) {
            (Type::Prim(p), Some(Literal::Int(v))) => match p {
                Prim::Float64 => format!("{v}.0"),
                _ => {
                    let ty = self.base_ty(&f.ty);
                    let (min, max): (i128, i128) = match p {
                        Prim::Int8 => (i8::MIN.into(), i8::MAX.into()),
                        Prim::Int16 => (i16::MIN.into(), i16::MAX.into()),
                        Prim::Int32 => (i32::MIN.into(), i32::MAX.into()),
                        Prim::Int64 => (i64::MIN.into(), i64::MAX.into()),
                        Prim::Uint16 => (0, u16::MAX.into()),
                        _ => (0, u32::MAX.into()),
                    };
                    if *v < min || *v > max {
                        return Err(format!("line {}: default {v} out of range for {ty}", f.line));
                    }
                    format!("{v}{ty}")
                }
            },
            (Type::Prim(Prim::Bool), Some(Literal::Bool(b))) => b.to_string(),
            (Type::Prim(Prim::String), Some(Literal::Str(s))) => format!("ByteString::from_static({s:?})"),
            (_, Some(d)) => return Err(format!("line {}: default {d:?} not supported for this type", f.line)),
            (Type::Prim(p), None) => match p {
                Prim::Float64 => "0.0".into(),
                Prim::Bool => "false".into(),
                Prim::Uuid => "Uuid::nil()".into(),
                Prim::String => "ByteString::new()".into(),
                Prim::Bytes | Prim::Records => "Bytes::new()".into(),
                _ => "0".into(),
            },
            (Type::Array(_), None) => "Vec::new()".into(),
            (Type::Struct(name), None) => format!("{name}::default()"),
        };
        Ok(if nullable { format!("Some({base})") } else { base })
    }

    fn compact(&self, f: &Field, tagged: bool) -> &'static str {
        if tagged {
            "true"
        } else if f.never_flexible {
            "false"
        } else {
            "flexible"
        }
    }

    fn prim_fixed_len(p: Prim) -> Option<usize> {
        Some(match p {
            Prim::Int8 | Prim::Bool => 1,
            Prim::Int16 | Prim::Uint16 => 2,
            Prim::Int32 | Prim::Uint32 => 4,
            Prim::Int64 | Prim::Float64 => 8,
            Prim::Uuid => 16,
            _ => return None,
        })
    }

    /// Minimum encoded length of one value of `ty`, as code.
    fn min_len(&self, ty: &Type, compact: &str, nullable: bool) -> String {
        match ty {
            Type::Prim(p) => match Self::prim_fixed_len(*p) {
                Some(n) => n.to_string(),
                None if *p == Prim::String => format!("if {compact} {{ 1 }} else {{ 2 }}"),
                None => format!("if {compact} {{ 1 }} else {{ 4 }}"),
            },
            Type::Array(_) => format!("if {compact} {{ 1 }} else {{ 4 }}"),
            Type::Struct(name) => {
                if nullable {
                    "1".into()
                } else {
                    format!("{name}::min_body_len(version)")
                }
            }
        }
    }

    fn decode_prim(p: Prim, compact: &str, nullable: bool) -> String {
        match p {
            Prim::Int8 => "r.i8()".into(),
            Prim::Int16 => "r.i16()".into(),
            Prim::Int32 => "r.i32()".into(),
            Prim::Int64 => "r.i64()".into(),
            Prim::Uint16 => "r.u16()".into(),
            Prim::Uint32 => "r.u32()".into(),
            Prim::Float64 => "r.f64()".into(),
            Prim::Bool => "r.bool()".into(),
            Prim::Uuid => "r.uuid()".into(),
            Prim::String if nullable => format!("r.nullable_string({compact})"),
            Prim::String => format!("r.string({compact})"),
            Prim::Bytes | Prim::Records if nullable => format!("r.nullable_bytes({compact})"),
            Prim::Bytes | Prim::Records => format!("r.bytes({compact})"),
        }
    }

    /// Code decoding field `f` into an expression of its Rust type.
    fn decode_field(&self, f: &Field, compact: &str) -> String {
        let name = &f.name;
        let nullable = self.is_nullable(f);
        let null_ok = cond(f.nullable, self.msg.versions);
        let null_check = if null_ok == "true" {
            String::new()
        } else {
            format!("if v.is_none() && !({null_ok}) {{ return Err(err({name:?})(WireError::UnexpectedNull)); }}\n")
        };
        match &f.ty {
            Type::Prim(p) => {
                let read = Self::decode_prim(*p, compact, nullable);
                if nullable && !null_check.is_empty() {
                    format!("{{ let v = {read}.map_err(err({name:?}))?;\n{null_check}v }}")
                } else {
                    format!("{read}.map_err(err({name:?}))?")
                }
            }
            Type::Array(inner) => {
                let elem = match inner.as_ref() {
                    Type::Prim(p) => format!("{}.map_err(err({name:?}))?", Self::decode_prim(*p, compact, false)),
                    Type::Struct(s) => format!("{s}::decode_body(r, version)?"),
                    Type::Array(_) => unreachable!("nested arrays are rejected by the parser"),
                };
                let min = self.min_len(inner, compact, false);
                let some =
                    format!("let mut items = Vec::with_capacity(n);\nfor _ in 0..n {{ items.push({elem}); }}\nitems");
                if nullable {
                    format!(
                        "{{ let v = match r.array_len({compact}, {min}).map_err(err({name:?}))? {{\nNone => None,\nSome(n) => Some({{ {some} }}),\n}};\n{null_check}v }}"
                    )
                } else {
                    format!(
                        "match r.array_len({compact}, {min}).map_err(err({name:?}))? {{\nNone => return Err(err({name:?})(WireError::UnexpectedNull)),\nSome(n) => {{ {some} }}\n}}"
                    )
                }
            }
            Type::Struct(s) => {
                if nullable {
                    format!(
                        "{{ let v = if r.i8().map_err(err({name:?}))? < 0 {{ None }} else {{ Some({s}::decode_body(r, version)?) }};\n{null_check}v }}"
                    )
                } else {
                    format!("{s}::decode_body(r, version)?")
                }
            }
        }
    }

    fn encode_prim(p: Prim, v: &str, compact: &str, nullable: bool, name: &str) -> String {
        let deref = |m: &str| format!("w.{m}({v});");
        match p {
            Prim::Int8 => deref("i8"),
            Prim::Int16 => deref("i16"),
            Prim::Int32 => deref("i32"),
            Prim::Int64 => deref("i64"),
            Prim::Uint16 => deref("u16"),
            Prim::Uint32 => deref("u32"),
            Prim::Float64 => deref("f64"),
            Prim::Bool => deref("bool"),
            Prim::Uuid => format!("w.uuid(&{v});"),
            Prim::String if nullable => format!("w.string({v}.as_deref(), {compact}).map_err(eerr({name:?}))?;"),
            Prim::String => format!("w.string(Some(&{v}), {compact}).map_err(eerr({name:?}))?;"),
            Prim::Bytes | Prim::Records if nullable => {
                format!("w.bytes({v}.as_ref(), {compact}).map_err(eerr({name:?}))?;")
            }
            Prim::Bytes | Prim::Records => format!("w.bytes(Some(&{v}), {compact}).map_err(eerr({name:?}))?;"),
        }
    }

    /// Code encoding the value expression `v` (a place of the field's Rust type) of field `f`.
    fn encode_field(&self, f: &Field, v: &str, compact: &str) -> String {
        let name = &f.name;
        let nullable = self.is_nullable(f);
        let null_ok = cond(f.nullable, self.msg.versions);
        let null_check = if nullable && null_ok != "true" {
            format!(
                "if {v}.is_none() && !({null_ok}) {{ return Err(eerr({name:?})(EncodeErrorKind::NullNotAllowed)); }}\n"
            )
        } else {
            String::new()
        };
        let body = match &f.ty {
            Type::Prim(p) => Self::encode_prim(*p, v, compact, nullable, name),
            Type::Array(inner) => {
                let elem = match inner.as_ref() {
                    Type::Prim(p) => Self::encode_prim(*p, "*item", compact, false, name).replace("&*item", "item"),
                    Type::Struct(_) => "item.encode_body(w, version)?;".to_string(),
                    Type::Array(_) => unreachable!("nested arrays are rejected by the parser"),
                };
                if nullable {
                    format!(
                        "match &{v} {{\nNone => w.array_len(None, {compact}).map_err(eerr({name:?}))?,\nSome(items) => {{\nw.array_len(Some(items.len()), {compact}).map_err(eerr({name:?}))?;\nfor item in items {{ {elem} }}\n}}\n}}"
                    )
                } else {
                    format!(
                        "w.array_len(Some({v}.len()), {compact}).map_err(eerr({name:?}))?;\nfor item in &{v} {{ {elem} }}"
                    )
                }
            }
            Type::Struct(_) => {
                if nullable {
                    format!(
                        "match &{v} {{\nNone => w.i8(-1),\nSome(s) => {{ w.i8(1); s.encode_body(w, version)?; }}\n}}"
                    )
                } else {
                    format!("{v}.encode_body(w, version)?;")
                }
            }
        };
        format!("{null_check}{body}\n")
    }

    fn len_prim(p: Prim, v: &str, compact: &str, nullable: bool) -> String {
        match Self::prim_fixed_len(p) {
            Some(n) => n.to_string(),
            None => match (p, nullable) {
                (Prim::String, true) => format!("string_len({v}.as_deref(), {compact})"),
                (Prim::String, false) => format!("string_len(Some(&{v}), {compact})"),
                (_, true) => format!("bytes_len({v}.as_ref(), {compact})"),
                (_, false) => format!("bytes_len(Some(&{v}), {compact})"),
            },
        }
    }

    /// Code for the encoded length of value `v` of field `f`.
    fn len_field(&self, f: &Field, v: &str, compact: &str) -> String {
        let nullable = self.is_nullable(f);
        match &f.ty {
            Type::Prim(p) => Self::len_prim(*p, v, compact, nullable),
            Type::Array(inner) => {
                let items = match inner.as_ref() {
                    Type::Prim(p) => match Self::prim_fixed_len(*p) {
                        Some(n) => format!("items.len() * {n}"),
                        None => format!(
                            "items.iter().map(|item| {}).sum::<usize>()",
                            Self::len_prim(*p, "*item", compact, false).replace("&*item", "item")
                        ),
                    },
                    Type::Struct(_) => "items.iter().map(|item| item.body_len(version)).sum::<usize>()".into(),
                    Type::Array(_) => unreachable!("nested arrays are rejected by the parser"),
                };
                if nullable {
                    format!(
                        "match &{v} {{ None => array_len_len(None, {compact}), Some(items) => array_len_len(Some(items.len()), {compact}) + {items} }}"
                    )
                } else {
                    format!("{{ let items = &{v}; array_len_len(Some(items.len()), {compact}) + {items} }}")
                }
            }
            Type::Struct(_) => {
                if nullable {
                    format!("match &{v} {{ None => 1, Some(s) => 1 + s.body_len(version) }}")
                } else {
                    format!("{v}.body_len(version)")
                }
            }
        }
    }

    fn generate_value(&self, f: &Field, ty: &Type, nullable: bool) -> String {
        let base = match ty {
            Type::Prim(p) => match p {
                Prim::Int8 => "g.i8()".into(),
                Prim::Int16 => "g.i16()".into(),
                Prim::Int32 => "g.i32()".into(),
                Prim::Int64 => "g.i64()".into(),
                Prim::Uint16 => "g.u16()".into(),
                Prim::Uint32 => "g.u32()".into(),
                Prim::Float64 => "g.f64()".into(),
                Prim::Bool => "g.bool()".into(),
                Prim::Uuid => "g.uuid()".into(),
                Prim::String => "g.string()".into(),
                Prim::Bytes | Prim::Records => "g.bytes()".into(),
            },
            Type::Array(inner) => {
                format!("(0..g.count()).map(|_| {}).collect()", self.generate_value(f, inner, false))
            }
            Type::Struct(s) => format!("{s}::generate(g, version)"),
        };
        if nullable {
            let null_ok = cond(f.nullable, self.msg.versions);
            format!("if ({null_ok}) && g.one_in(5) {{ None }} else {{ Some({base}) }}")
        } else {
            base
        }
    }

    fn emit_struct(&self, out: &mut String, spec: &StructSpec<'_>, is_top: bool) -> Result<(), String> {
        let s = &spec.name;
        let all = self.msg.versions;
        let flexible_cond = cond(self.msg.flexible, all);
        let (tagged, plain): (Vec<&Field>, Vec<&Field>) = spec.fields.iter().partition(|f| f.tag.is_some());
        let mut tagged_sorted = tagged.clone();
        tagged_sorted.sort_by_key(|f| f.tag);
        for w in tagged_sorted.windows(2) {
            if w[0].tag == w[1].tag {
                return Err(format!("{s}: tag {:?} used twice", w[0].tag));
            }
        }
        for f in &tagged {
            if !self.msg.flexible.covers(f.tagged.intersect(all)) {
                return Err(format!("line {}: tagged field `{}` outside flexible versions", f.line, f.name));
            }
        }

        // Type and Default.
        let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq)]\npub struct {s} {{");
        for f in spec.fields {
            let _ = writeln!(
                out,
                "    /// Versions {}{}{}.\n    pub {}: {},",
                f.versions,
                if self.is_nullable(f) { format!(", nullable {}", f.nullable) } else { String::new() },
                f.tag.map(|t| format!(", tag {t}")).unwrap_or_default(),
                ident(&f.name),
                self.rust_ty(f)
            );
        }
        out.push_str("    /// Tagged fields this version of Flotilla does not know.\n    pub unknown_tagged_fields: Vec<RawTaggedField>,\n}\n\n");
        let _ = writeln!(out, "impl Default for {s} {{\n    fn default() -> Self {{\n        Self {{");
        for f in spec.fields {
            let _ = writeln!(out, "            {}: {},", ident(&f.name), self.default_expr(f)?);
        }
        out.push_str("            unknown_tagged_fields: Vec::new(),\n        }\n    }\n}\n\n");

        let _ = writeln!(out, "impl {s} {{");
        // decode_body
        let _ = writeln!(
            out,
            "pub(crate) fn decode_body(r: &mut Reader, version: i16) -> Result<Self, DecodeError> {{\nlet flexible = {flexible_cond};\nlet err = |field: &'static str| move |e: WireError| DecodeError::wire({s:?}, field, version, e);\nlet mut this = Self::default();"
        );
        for f in &plain {
            let code = format!("this.{} = {};\n", ident(&f.name), self.decode_field(f, self.compact(f, false)));
            guarded(out, &cond(f.versions, all), &code);
        }
        if !tagged.is_empty() || flexible_cond != "false" {
            let mut arms = String::new();
            for f in &tagged_sorted {
                let c = cond(f.tagged.intersect(f.versions), all);
                let guard = if c == "true" { String::new() } else { format!(" if {c}") };
                let _ = writeln!(
                    arms,
                    "{}{guard} => {{ let mut sub = Reader::new(data); let r = &mut sub; this.{} = {}; }}",
                    f.tag.unwrap_or_default(),
                    ident(&f.name),
                    self.decode_field(f, "true")
                );
            }
            let _ = writeln!(
                out,
                "if flexible {{\nlet count = r.uvarint().map_err(err(\"_tagged_fields\"))?;\nlet mut previous = None;\nfor _ in 0..count {{\nlet (tag, data) = read_tagged_field(r, previous).map_err(err(\"_tagged_fields\"))?;\nprevious = Some(tag);\nmatch tag {{\n{arms}_ => this.unknown_tagged_fields.push(RawTaggedField {{ tag, data }}),\n}}\n}}\n}}"
            );
        }
        out.push_str("Ok(this)\n}\n\n");

        // encode_body
        let _ = writeln!(
            out,
            "pub(crate) fn encode_body(&self, w: &mut Writer, version: i16) -> Result<(), EncodeError> {{\nlet flexible = {flexible_cond};\nlet eerr = |field: &'static str| move |kind: EncodeErrorKind| EncodeError::new({s:?}, field, version, kind);"
        );
        for f in &plain {
            let code = self.encode_field(f, &format!("self.{}", ident(&f.name)), self.compact(f, false));
            guarded(out, &cond(f.versions, all), &code);
        }
        let present = |f: &Field| -> Result<String, String> {
            let c = cond(f.tagged.intersect(f.versions), all);
            let d = format!("self.{} != {}", ident(&f.name), self.default_expr(f)?);
            Ok(if c == "true" { d } else { format!("({c}) && {d}") })
        };
        let _ = writeln!(out, "if flexible {{\nlet mut count = self.unknown_tagged_fields.len();");
        for f in &tagged_sorted {
            let _ = writeln!(out, "if {} {{ count += 1; }}", present(f)?);
        }
        out.push_str("w.uvarint(count as u32);\n");
        let mut next_tag = 0u64;
        for f in &tagged_sorted {
            let tag = f.tag.unwrap_or_default();
            // An unknown field can carry this tag when the known field does not exist in the version being
            // encoded (it was decoded as unknown); it goes here, in tag order.
            let tag_end = u64::from(tag) + 1;
            let v = format!("self.{}", ident(&f.name));
            let _ = writeln!(
                out,
                "write_unknown_tags(w, &self.unknown_tagged_fields, {next_tag}, {tag_end});\nif {} {{\nw.uvarint({tag});\nw.uvarint(({}) as u32);\n{}}}",
                present(f)?,
                self.len_field(f, &v, "true"),
                self.encode_field(f, &v, "true")
            );
            next_tag = u64::from(tag) + 1;
        }
        let _ = writeln!(out, "write_unknown_tags(w, &self.unknown_tagged_fields, {next_tag}, 1 << 32);\n}}");
        out.push_str("Ok(())\n}\n\n");

        // body_len
        let _ = writeln!(
            out,
            "pub(crate) fn body_len(&self, version: i16) -> usize {{\nlet flexible = {flexible_cond};\nlet mut len = 0usize;"
        );
        for f in &plain {
            let code =
                format!("len += {};\n", self.len_field(f, &format!("self.{}", ident(&f.name)), self.compact(f, false)));
            guarded(out, &cond(f.versions, all), &code);
        }
        let _ = writeln!(out, "if flexible {{\nlet mut count = self.unknown_tagged_fields.len();\nlen += self.unknown_tagged_fields.iter().map(RawTaggedField::encoded_len).sum::<usize>();");
        for f in &tagged_sorted {
            let v = format!("self.{}", ident(&f.name));
            let _ = writeln!(
                out,
                "if {} {{ count += 1; let n = {}; len += uvarint_len({}) + uvarint_len(n as u32) + n; }}",
                present(f)?,
                self.len_field(f, &v, "true"),
                f.tag.unwrap_or_default()
            );
        }
        out.push_str("len += uvarint_len(count as u32);\n}\nlen\n}\n\n");

        // min_body_len
        let _ = writeln!(
            out,
            "/// The fewest bytes this struct can occupy in `version`; bounds array lengths read off the wire.\npub(crate) fn min_body_len(version: i16) -> usize {{\nlet flexible = {flexible_cond};\nlet mut len = 0usize;"
        );
        for f in &plain {
            let code = format!("len += {};\n", self.min_len(&f.ty, self.compact(f, false), self.is_nullable(f)));
            guarded(out, &cond(f.versions, all), &code);
        }
        out.push_str("if flexible { len += 1; }\nlen\n}\n");
        out.push_str("}\n\n");

        // generate (test-util)
        let _ = writeln!(
            out,
            "#[cfg(feature = \"test-util\")]\nimpl {s} {{\n/// A random value with every field of `version` set.\npub fn generate(g: &mut crate::testing::Gen, version: i16) -> Self {{\nlet mut this = Self::default();"
        );
        for f in spec.fields {
            let gen = self.generate_value(f, &f.ty, self.is_nullable(f));
            let mut c = cond(f.versions, all);
            if f.tag.is_some() {
                c = format!("({}) && g.one_in(2)", cond(f.tagged.intersect(f.versions), all));
            }
            guarded(out, &c, &format!("this.{} = {gen};\n", ident(&f.name)));
        }
        if flexible_cond != "false" {
            let mut known = String::new();
            for f in &tagged_sorted {
                let c = cond(f.tagged.intersect(f.versions), all);
                let _ = writeln!(known, "if {c} {{ known.push({}u32); }}", f.tag.unwrap_or_default());
            }
            let _ = writeln!(
                out,
                "if ({flexible_cond}) && g.unknown_tags() {{\nlet mut known: Vec<u32> = Vec::new();\n{known}this.unknown_tagged_fields = g.raw_tags(&known);\n}}"
            );
        }
        out.push_str("this\n}\n}\n\n");

        if is_top {
            let m = self.msg;
            let _ = writeln!(
                out,
                "impl Message for {s} {{\nconst NAME: &'static str = {s:?};\nconst VERSIONS: VersionRange = VersionRange {{ min: {}, max: {} }};\nconst FLEXIBLE_VERSIONS: VersionRange = VersionRange {{ min: {}, max: {} }};\nfn decode(r: &mut Reader, version: i16) -> Result<Self, DecodeError> {{\nif !Self::VERSIONS.contains(version) {{ return Err(DecodeError::unsupported_version({s:?}, version)); }}\nSelf::decode_body(r, version)\n}}\nfn encode(&self, w: &mut Writer, version: i16) -> Result<(), EncodeError> {{\nif !Self::VERSIONS.contains(version) {{ return Err(EncodeError::new({s:?}, \"\", version, EncodeErrorKind::UnsupportedVersion)); }}\nself.encode_body(w, version)\n}}\nfn encoded_len(&self, version: i16) -> usize {{ self.body_len(version) }}\n}}\n",
                m.versions.min, m.versions.max, m.flexible.min, m.flexible.max
            );
        }
        Ok(())
    }
}

fn collect<'a>(
    fields: &'a [Field],
    specs: &mut Vec<StructSpec<'a>>,
    structs: &mut BTreeMap<String, &'a [Field]>,
) -> Result<(), String> {
    for f in fields {
        if let Some(name) = f.ty.struct_name() {
            if !f.children.is_empty() {
                if structs.insert(name.to_string(), &f.children).is_some() {
                    return Err(format!("line {}: struct `{name}` defined twice", f.line));
                }
                specs.push(StructSpec { name: name.to_string(), fields: &f.children });
                collect(&f.children, specs, structs)?;
            }
        }
    }
    Ok(())
}

fn check_refs(fields: &[Field], structs: &BTreeMap<String, &[Field]>) -> Result<(), String> {
    for f in fields {
        if let Some(name) = f.ty.struct_name() {
            if !structs.contains_key(name) {
                return Err(format!("line {}: struct `{name}` is not defined", f.line));
            }
        }
        check_refs(&f.children, structs)?;
    }
    Ok(())
}

/// Generates one module per message; returns (module name, code).
pub fn emit_message(msg: &Message) -> Result<(String, String), String> {
    let mut specs = vec![StructSpec { name: msg.name.clone(), fields: &msg.fields }];
    let mut structs: BTreeMap<String, &[Field]> = BTreeMap::new();
    structs.insert(msg.name.clone(), &msg.fields);
    collect(&msg.fields, &mut specs, &mut structs)?;
    for c in &msg.common {
        if structs.insert(c.name.clone(), &c.fields).is_some() {
            return Err(format!("common struct `{}` defined twice", c.name));
        }
        specs.push(StructSpec { name: c.name.clone(), fields: &c.fields });
        collect(&c.fields, &mut specs, &mut structs)?;
    }
    check_refs(&msg.fields, &structs)?;
    for c in &msg.common {
        check_refs(&c.fields, &structs)?;
    }
    let ctx = Ctx { msg, structs };
    let _ = &ctx.structs;
    let module = snake(&msg.name);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// `{}`: versions {}, flexible {}.\npub mod {module} {{\n#![allow(unused_imports, unused_variables, unused_mut, dead_code, clippy::all)]\nuse bytes::Bytes;\nuse bytestring::ByteString;\nuse uuid::Uuid;\nuse crate::error::{{DecodeError, EncodeError, EncodeErrorKind, WireError}};\nuse crate::reader::Reader;\nuse crate::types::{{read_tagged_field, write_unknown_tags, RawTaggedField, VersionRange}};\nuse crate::writer::{{array_len_len, bytes_len, string_len, uvarint_len, Writer}};\nuse crate::Message;\n",
        msg.name, msg.versions, msg.flexible
    );
    for (i, spec) in specs.iter().enumerate() {
        ctx.emit_struct(&mut out, spec, i == 0).map_err(|e| format!("{}: {e}", msg.name))?;
    }
    out.push_str("}\n");
    Ok((module, out))
}

/// The API registry: `ApiKey`, `RequestBody`, `ResponseBody`, and the test-util list of APIs.
pub fn emit_registry(files: &[SchemaFile]) -> String {
    let mut apis: Vec<(&str, i16, &Message, &Message)> = files
        .iter()
        .filter_map(|f| {
            let (name, key) = f.api.as_ref()?;
            let req = f.messages.iter().find(|m| m.kind == Kind::Request)?;
            let resp = f.messages.iter().find(|m| m.kind == Kind::Response)?;
            Some((name.as_str(), *key, req, resp))
        })
        .collect();
    apis.sort_by_key(|a| a.1);
    let mut out = String::new();
    out.push_str("/// Every Kafka API this crate can encode and decode.\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum ApiKey {\n");
    for (name, key, ..) in &apis {
        let _ = writeln!(out, "    {name} = {key},");
    }
    out.push_str("}\n\nimpl ApiKey {\n    /// All APIs, in key order.\n    pub const ALL: &'static [ApiKey] = &[");
    for (name, ..) in &apis {
        let _ = write!(out, "ApiKey::{name}, ");
    }
    out.push_str("];\n\n    pub fn from_i16(key: i16) -> Option<Self> {\n        match key {\n");
    for (name, key, ..) in &apis {
        let _ = writeln!(out, "            {key} => Some(ApiKey::{name}),");
    }
    out.push_str("            _ => None,\n        }\n    }\n\n    pub fn key(self) -> i16 {\n        self as i16\n    }\n\n    /// Kafka's name of the API.\n    pub fn name(self) -> &'static str {\n        match self {\n");
    for (name, ..) in &apis {
        let _ = writeln!(out, "            ApiKey::{name} => {name:?},");
    }
    out.push_str("        }\n    }\n\n    /// Request versions defined by Kafka 4.1.\n    pub fn versions(self) -> VersionRange {\n        match self {\n");
    for (name, ..) in &apis {
        let _ = writeln!(out, "            ApiKey::{name} => {name}Request::VERSIONS,");
    }
    out.push_str("        }\n    }\n\n    /// Versions whose request uses the flexible (compact, tagged) encoding.\n    pub fn request_flexible_versions(self) -> VersionRange {\n        match self {\n");
    for (name, ..) in &apis {
        let _ = writeln!(out, "            ApiKey::{name} => {name}Request::FLEXIBLE_VERSIONS,");
    }
    out.push_str("        }\n    }\n\n    /// Versions whose response uses the flexible encoding.\n    pub fn response_flexible_versions(self) -> VersionRange {\n        match self {\n");
    for (name, ..) in &apis {
        let _ = writeln!(out, "            ApiKey::{name} => {name}Response::FLEXIBLE_VERSIONS,");
    }
    out.push_str("        }\n    }\n}\n\n");

    for (enum_name, kind) in [("RequestBody", "Request"), ("ResponseBody", "Response")] {
        let _ = writeln!(out, "/// A decoded {} body of any API.\n#[derive(Debug, Clone, PartialEq)]\n#[allow(clippy::large_enum_variant)]\npub enum {enum_name} {{", kind.to_lowercase());
        for (name, ..) in &apis {
            let _ = writeln!(out, "    {name}({name}{kind}),");
        }
        let _ =
            writeln!(out, "}}\n\nimpl {enum_name} {{\n    pub fn api_key(&self) -> ApiKey {{\n        match self {{");
        for (name, ..) in &apis {
            let _ = writeln!(out, "            {enum_name}::{name}(_) => ApiKey::{name},");
        }
        let _ = writeln!(out, "        }}\n    }}\n\n    /// Decodes the body of `api_key` at `version`.\n    pub fn decode(api_key: ApiKey, r: &mut Reader, version: i16) -> Result<Self, DecodeError> {{\n        Ok(match api_key {{");
        for (name, ..) in &apis {
            let _ =
                writeln!(out, "            ApiKey::{name} => {enum_name}::{name}({name}{kind}::decode(r, version)?),");
        }
        let _ = writeln!(out, "        }})\n    }}\n\n    pub fn encode(&self, w: &mut Writer, version: i16) -> Result<(), EncodeError> {{\n        match self {{");
        for (name, ..) in &apis {
            let _ = writeln!(out, "            {enum_name}::{name}(m) => m.encode(w, version),");
        }
        let _ = writeln!(
            out,
            "        }}\n    }}\n\n    pub fn encoded_len(&self, version: i16) -> usize {{\n        match self {{"
        );
        for (name, ..) in &apis {
            let _ = writeln!(out, "            {enum_name}::{name}(m) => m.encoded_len(version),");
        }
        out.push_str("        }\n    }\n}\n\n");
        for (name, ..) in &apis {
            let _ = writeln!(out, "impl From<{name}{kind}> for {enum_name} {{\n    fn from(m: {name}{kind}) -> Self {{\n        {enum_name}::{name}(m)\n    }}\n}}\n");
        }
    }
    for (name, ..) in &apis {
        let _ = writeln!(out, "impl Request for {name}Request {{\n    const API_KEY: ApiKey = ApiKey::{name};\n    type Response = {name}Response;\n}}\n");
    }
    out.push_str("/// Calls `$m!(Api, ApiRequest, ApiResponse)` for every API; used by the differential tests.\n#[cfg(feature = \"test-util\")]\n#[macro_export]\nmacro_rules! for_each_api {\n    ($m:ident) => {\n");
    for (name, ..) in &apis {
        let _ = writeln!(out, "        $m!({name}, {name}Request, {name}Response);");
    }
    out.push_str("    };\n}\n");
    out
}
