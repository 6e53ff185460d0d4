//! Kafka's topic include-lists (`tools.filter.TopicFilter.IncludeList`): `--topic` of `kafka-topics` and
//! `kafka-get-offsets`, and `--include` of `kafka-console-consumer`, are regular expressions that must
//! match a whole topic name; commas mean "or", blanks and surrounding quotes are dropped.

use flotilla_model::TopicName;
use regex::Regex;

/// A compiled include-list.
#[derive(Debug, Clone)]
pub struct IncludeList {
    regex: Regex,
}

impl IncludeList {
    /// Compiles `raw` as Kafka does; a bad expression reads `<regex> is an invalid regex.`.
    pub fn new(raw: &str) -> Result<Self, String> {
        let cleaned: String = raw.trim().replace(',', "|").replace(' ', "");
        let cleaned = cleaned.trim_start_matches(['"', '\'']).trim_end_matches(['"', '\'']).to_owned();
        Regex::new(&format!("^(?:{cleaned})$"))
            .map(|regex| Self { regex })
            .map_err(|_| format!("{cleaned} is an invalid regex."))
    }

    /// Whether `topic` matches, leaving out internal topics when `exclude_internal` is set.
    pub fn allows(&self, topic: &str, exclude_internal: bool) -> bool {
        self.regex.is_match(topic) && !(exclude_internal && is_internal(topic))
    }
}

/// Kafka's internal topics (`Topic.isInternal`).
pub fn is_internal(topic: &str) -> bool {
    TopicName::new(topic).is_ok_and(|t| t.is_internal()) || topic == "__share_group_state"
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn whole_names_match() {
        let list = IncludeList::new("orders").unwrap();
        assert!(list.allows("orders", false));
        assert!(!list.allows("orders-2", false));
        let list = IncludeList::new("\"a.*, b\"").unwrap();
        assert!(list.allows("apple", false) && list.allows("b", false) && !list.allows("cb", false));
        let all = IncludeList::new(".*").unwrap();
        assert!(all.allows("__consumer_offsets", false));
        assert!(!all.allows("__consumer_offsets", true));
        assert_eq!(IncludeList::new("(").unwrap_err(), "( is an invalid regex.");
    }
}
