//! Things worth telling the operator that do not stop the broker: unknown keys, Kafka features Flotilla
//! ignores, a key written twice.

use std::fmt;

use crate::origin::Origin;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub key: String,
    pub origin: Option<Origin>,
    pub kind: WarningKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// Not a key Kafka or Flotilla defines (a typo, or another product's key).
    Unknown,
    /// A Kafka key for a feature Flotilla does not have; its value is ignored.
    Unsupported { reason: &'static str },
    /// The config file sets the key more than once; the last value is used.
    Duplicate { earlier_line: usize },
    /// `controller.listener.names` lists several names on a broker-only node; only the first is used.
    OnlyFirstControllerListenerUsed,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match &self.kind {
            WarningKind::Unknown => write!(f, "The configuration '{key}' was supplied but isn't a known config")?,
            WarningKind::Unsupported { reason } => write!(f, "The configuration '{key}' is ignored: {reason}")?,
            WarningKind::Duplicate { earlier_line } => {
                write!(f, "The configuration '{key}' is also set on line {earlier_line}; the last value is used")?
            }
            WarningKind::OnlyFirstControllerListenerUsed => {
                write!(f, "{key} has multiple entries; only the first will be used since process.roles=broker")?
            }
        }
        match &self.origin {
            Some(origin) => write!(f, " ({origin})."),
            None => f.write_str("."),
        }
    }
}
