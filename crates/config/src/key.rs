//! A config key's definition — name, type, default, valid values — and the parsing Kafka's `ConfigDef`
//! applies to a raw string: trim, parse as the type, check the range. Error messages are Kafka's
//! (`Not a number of type INT`, `Value must be at least 1`, `String must be one of: ...`).

use std::fmt;

use crate::error::ConfigError;
use crate::listeners::csv;

/// Kafka's config types, with the ids DescribeConfigs (v3+) reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The `ConfigType` field of a DescribeConfigs result.
    pub fn wire_id(self) -> i8 {
        match self {
            ConfigType::Boolean => 1,
            ConfigType::String => 2,
            ConfigType::Int => 3,
            ConfigType::Short => 4,
            ConfigType::Long => 5,
            ConfigType::Double => 6,
            ConfigType::List => 7,
            ConfigType::Class => 8,
            ConfigType::Password => 9,
        }
    }

    /// The name Kafka prints (`ConfigDef.Type`).
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// A parsed config value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
}

impl fmt::Display for Value {
    /// The string Kafka reports for a value (`ConfigDef.convertToString`): lists joined by commas,
    /// doubles as Java prints them (`0.5`, `1.0`, `1.0E-4`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Boolean(b) => write!(f, "{b}"),
            Value::String(s) => f.write_str(s),
            Value::Int(n) => write!(f, "{n}"),
            Value::Short(n) => write!(f, "{n}"),
            Value::Long(n) => write!(f, "{n}"),
            Value::Double(x) => f.write_str(&java_double(*x)),
            Value::List(items) => f.write_str(&items.join(",")),
        }
    }
}

/// Java's `Double.toString` for the values configs hold.
pub(crate) fn java_double(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let s = format!("{x}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    let s = format!("{x:e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) if mantissa.contains('.') => format!("{mantissa}E{exponent}"),
        Some((mantissa, exponent)) => format!("{mantissa}.0E{exponent}"),
        None => s,
    }
}

/// The valid values of a key (Kafka's validators).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    Any,
    AtLeast(i64),
    Between(i64, i64),
    OneOf(&'static [&'static str]),
    /// Each list element one of these.
    ListOf(&'static [&'static str]),
    /// gzip levels: 1-9, or -1 for the codec's default.
    GzipLevel,
    /// `[partition]:[broker],...` or `*` (the replication throttle lists).
    ThrottledReplicas,
}

/// One config key: Kafka's name, type, default and valid values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyDef {
    pub name: &'static str,
    pub config_type: ConfigType,
    /// Kafka's default as a string (`None` where Kafka's default is null).
    pub default: Option<&'static str>,
    pub(crate) check: Check,
}

impl KeyDef {
    pub(crate) const fn new(
        name: &'static str,
        config_type: ConfigType,
        default: Option<&'static str>,
        check: Check,
    ) -> Self {
        Self { name, config_type, default, check }
    }

    /// Parses and checks `raw` for this key.
    pub fn parse(&self, raw: &str) -> Result<Value, ConfigError> {
        let trimmed = raw.trim();
        let not_a_number =
            || ConfigError::invalid(self.name, trimmed, format!("Not a number of type {}", self.config_type.name()));
        let value = match self.config_type {
            ConfigType::Boolean => {
                if trimmed.eq_ignore_ascii_case("true") {
                    Value::Boolean(true)
                } else if trimmed.eq_ignore_ascii_case("false") {
                    Value::Boolean(false)
                } else {
                    return Err(ConfigError::invalid(self.name, trimmed, "Expected value to be either true or false"));
                }
            }
            ConfigType::Int => Value::Int(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Short => Value::Short(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Long => Value::Long(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Double => {
                let x: f64 = trimmed.parse().map_err(|_| not_a_number())?;
                if x.is_nan() {
                    return Err(not_a_number());
                }
                Value::Double(x)
            }
            ConfigType::List => Value::List(csv(trimmed).map(str::to_string).collect()),
            ConfigType::String | ConfigType::Class | ConfigType::Password => Value::String(trimmed.to_string()),
        };
        self.check_value(&value)?;
        Ok(value)
    }

    /// Kafka's default, parsed (`None` where Kafka's default is null).
    pub fn default_value(&self) -> Option<Value> {
        self.default.and_then(|d| self.parse(d).ok())
    }

    fn check_value(&self, value: &Value) -> Result<(), ConfigError> {
        let invalid = |shown: &str, reason: String| Err(ConfigError::invalid(self.name, shown, reason));
        let number = match value {
            Value::Int(n) => Some(f64::from(*n)),
            Value::Short(n) => Some(f64::from(*n)),
            // Precision loss above 2^53 cannot move a value across the bounds Kafka uses.
            Value::Long(n) => Some(*n as f64),
            Value::Double(x) => Some(*x),
            _ => None,
        };
        match (self.check, number) {
            (Check::Any, _) => Ok(()),
            (Check::AtLeast(min), Some(n)) if n < min as f64 => {
                invalid(&value.to_string(), format!("Value must be at least {min}"))
            }
            (Check::Between(min, _), Some(n)) if n < min as f64 => {
                invalid(&value.to_string(), format!("Value must be at least {min}"))
            }
            (Check::Between(_, max), Some(n)) if n > max as f64 => {
                invalid(&value.to_string(), format!("Value must be no more than {max}"))
            }
            (Check::GzipLevel, Some(n)) if n > 9.0 || (n < 1.0 && n != -1.0) => {
                invalid(&value.to_string(), "Value must be between 1 and 9 or equal to -1".to_string())
            }
            (Check::OneOf(allowed), _) => {
                let s = value.to_string();
                if allowed.contains(&s.as_str()) {
                    Ok(())
                } else {
                    invalid(&s, format!("String must be one of: {}", allowed.join(", ")))
                }
            }
            (Check::ListOf(allowed), _) => match value {
                Value::List(items) => match items.iter().find(|item| !allowed.contains(&item.as_str())) {
                    Some(bad) => invalid(bad, format!("String must be one of: {}", allowed.join(", "))),
                    None => Ok(()),
                },
                _ => Ok(()),
            },
            (Check::ThrottledReplicas, _) => match value {
                Value::List(items) if !valid_throttled_replicas(items) => invalid(
                    &value.to_string(),
                    format!(
                        "{} must be the literal '*' or a list of replicas in the following format: \
                         [partitionId]:[brokerId],[partitionId]:[brokerId],...",
                        self.name
                    ),
                ),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// Parsed values by key name, with typed accessors. A missing or mistyped value is reported as an
/// error rather than a panic, though the tables make it unreachable.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ValueMap(pub(crate) std::collections::BTreeMap<&'static str, Option<Value>>);

macro_rules! accessor {
    ($get:ident, $opt:ident, $variant:ident, $ty:ty) => {
        pub(crate) fn $opt(&self, def: &KeyDef) -> Result<Option<$ty>, ConfigError> {
            match self.get(def.name) {
                None => Ok(None),
                Some(Value::$variant(v)) => Ok(Some(v.clone())),
                Some(_) => Err(ConfigError::invalid(def.name, "", "internal error: value of the wrong type")),
            }
        }

        pub(crate) fn $get(&self, def: &KeyDef) -> Result<$ty, ConfigError> {
            self.$opt(def)?.ok_or_else(|| ConfigError::missing(def.name, "no value and no default"))
        }
    };
}

impl ValueMap {
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).and_then(Option::as_ref)
    }

    accessor!(boolean, opt_boolean, Boolean, bool);
    accessor!(int, opt_int, Int, i32);
    accessor!(short, opt_short, Short, i16);
    accessor!(long, opt_long, Long, i64);
    accessor!(double, opt_double, Double, f64);
    accessor!(string, opt_string, String, String);
    accessor!(list, opt_list, List, Vec<String>);
}

fn valid_throttled_replicas(items: &[String]) -> bool {
    if items.len() == 1 && items.first().is_some_and(|s| s == "*") {
        return true;
    }
    items.iter().all(|item| {
        item.split_once(':').is_some_and(|(p, b)| p.trim().parse::<u32>().is_ok() && b.trim().parse::<u32>().is_ok())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const INT: KeyDef = KeyDef::new("num.partitions", ConfigType::Int, Some("1"), Check::AtLeast(1));

    #[test]
    fn parses_types_like_kafka() {
        assert_eq!(INT.parse(" 12 ").unwrap(), Value::Int(12));
        assert_eq!(INT.parse("+3").unwrap(), Value::Int(3));
        let b = KeyDef::new("b", ConfigType::Boolean, None, Check::Any);
        assert_eq!(b.parse("TRUE").unwrap(), Value::Boolean(true));
        assert_eq!(b.parse(" False").unwrap(), Value::Boolean(false));
        let l = KeyDef::new("l", ConfigType::List, None, Check::Any);
        assert_eq!(l.parse(" a , b ").unwrap(), Value::List(vec!["a".into(), "b".into()]));
        assert_eq!(l.parse("  ").unwrap(), Value::List(vec![]));
        let s = KeyDef::new("s", ConfigType::Short, None, Check::Any);
        assert!(s.parse("40000").is_err());
    }

    #[test]
    fn errors_use_kafkas_wording() {
        let err = INT.parse("abc").unwrap_err();
        assert_eq!(err.to_string(), "Invalid value abc for configuration num.partitions: Not a number of type INT");
        let err = INT.parse("0").unwrap_err();
        assert_eq!(err.to_string(), "Invalid value 0 for configuration num.partitions: Value must be at least 1");
        let err = INT.parse("99999999999").unwrap_err();
        assert!(err.to_string().ends_with("Not a number of type INT"));
        let b = KeyDef::new("auto.create.topics.enable", ConfigType::Boolean, None, Check::Any);
        assert_eq!(
            b.parse("yes").unwrap_err().to_string(),
            "Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false"
        );
        let one_of = KeyDef::new("t", ConfigType::String, None, Check::OneOf(&["CreateTime", "LogAppendTime"]));
        assert_eq!(
            one_of.parse("createtime").unwrap_err().to_string(),
            "Invalid value createtime for configuration t: String must be one of: CreateTime, LogAppendTime"
        );
        let list = KeyDef::new("p", ConfigType::List, None, Check::ListOf(&["compact", "delete"]));
        assert!(list.parse("compact,delete").is_ok());
        assert_eq!(
            list.parse("compact,remove").unwrap_err().to_string(),
            "Invalid value remove for configuration p: String must be one of: compact, delete"
        );
        let ratio = KeyDef::new("r", ConfigType::Double, None, Check::Between(0, 1));
        assert!(ratio.parse("0.5").is_ok());
        assert!(ratio.parse("NaN").is_err());
        assert_eq!(
            ratio.parse("1.5").unwrap_err().to_string(),
            "Invalid value 1.5 for configuration r: Value must be no more than 1"
        );
        let gzip = KeyDef::new("g", ConfigType::Int, None, Check::GzipLevel);
        assert!(gzip.parse("-1").is_ok() && gzip.parse("9").is_ok() && gzip.parse("1").is_ok());
        assert!(gzip.parse("0").is_err() && gzip.parse("10").is_err() && gzip.parse("-2").is_err());
        let throttled =
            KeyDef::new("leader.replication.throttled.replicas", ConfigType::List, Some(""), Check::ThrottledReplicas);
        assert!(throttled.parse("*").is_ok() && throttled.parse("0:1, 1:2").is_ok() && throttled.parse("").is_ok());
        assert!(throttled.parse("0-1").is_err() && throttled.parse("*,0:1").is_err());
    }

    #[test]
    fn java_double_formatting() {
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(0.9), "0.9");
        assert_eq!(java_double(1e-4), "1.0E-4");
        assert_eq!(java_double(1.5e10), "1.5E10");
        assert_eq!(Value::Double(0.5).to_string(), "0.5");
        assert_eq!(Value::List(vec!["a".into(), "b".into()]).to_string(), "a,b");
    }
}
