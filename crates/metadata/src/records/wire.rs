//! How the model's newtypes are written in records. `flotilla-model` has no serde dependency, so each id
//! is serialized as its wire value (`i32`, `i64`, UUID, string) and checked again on the way in: a topic
//! name read back from the log goes through [`TopicName::new`] like any other name from outside.
//!
//! Used with `#[serde(with = "wire")]`, `wire::vec`, `wire::option_vec`.

use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, ProducerId, TopicId, TopicName};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A model type with a plain serde representation.
pub(crate) trait WireValue: Sized {
    type Raw: Serialize + for<'de> Deserialize<'de>;

    fn to_raw(&self) -> Self::Raw;
    fn from_raw(raw: Self::Raw) -> Result<Self, String>;
}

macro_rules! plain_wire_value {
    ($($ty:ty => $raw:ty),* $(,)?) => {$(
        impl WireValue for $ty {
            type Raw = $raw;

            fn to_raw(&self) -> $raw {
                self.get()
            }

            fn from_raw(raw: $raw) -> Result<Self, String> {
                Ok(<$ty>::new(raw))
            }
        }
    )*};
}

plain_wire_value!(
    NodeId => i32,
    PartitionIndex => i32,
    LeaderEpoch => i32,
    PartitionEpoch => i32,
    ProducerId => i64,
    TopicId => uuid::Uuid,
);

impl WireValue for TopicName {
    type Raw = String;

    fn to_raw(&self) -> String {
        self.as_str().to_string()
    }

    fn from_raw(raw: String) -> Result<Self, String> {
        TopicName::new(&raw).map_err(|e| e.to_string())
    }
}

pub(crate) fn serialize<T: WireValue, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    value.to_raw().serialize(serializer)
}

pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::from_raw(T::Raw::deserialize(deserializer)?).map_err(D::Error::custom)
}

pub(crate) mod vec {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(values: &[T], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter().map(WireValue::to_raw))
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        Vec::<T::Raw>::deserialize(deserializer)?
            .into_iter()
            .map(|raw| T::from_raw(raw).map_err(D::Error::custom))
            .collect()
    }
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        value.as_ref().map(WireValue::to_raw).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        Option::<T::Raw>::deserialize(deserializer)?.map(|raw| T::from_raw(raw).map_err(D::Error::custom)).transpose()
    }
}

pub(crate) mod option_vec {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(
        values: &Option<Vec<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        values.as_ref().map(|v| v.iter().map(WireValue::to_raw).collect::<Vec<_>>()).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        Option::<Vec<T::Raw>>::deserialize(deserializer)?
            .map(|raws| raws.into_iter().map(|raw| T::from_raw(raw).map_err(D::Error::custom)).collect())
            .transpose()
    }
}
