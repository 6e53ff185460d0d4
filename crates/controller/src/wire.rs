//! How the model's ids are written in this crate's messages. `flotilla-model` has no serde
//! dependency, so each id is written as its wire value (`i32`, `i64`, UUID) with
//! `#[serde(with = "wire")]`, `wire::vec`, `wire::option`, `wire::option_vec` or `wire::option_vec_vec`.

use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, ProducerId, TopicId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A model id with a plain serde representation.
pub(crate) trait WireValue: Sized + Copy {
    type Raw: Serialize + for<'de> Deserialize<'de>;

    fn to_raw(self) -> Self::Raw;
    fn from_raw(raw: Self::Raw) -> Self;
}

macro_rules! wire_value {
    ($($ty:ty => $raw:ty),* $(,)?) => {$(
        impl WireValue for $ty {
            type Raw = $raw;

            fn to_raw(self) -> $raw {
                self.get()
            }

            fn from_raw(raw: $raw) -> Self {
                <$ty>::new(raw)
            }
        }
    )*};
}

wire_value!(
    NodeId => i32,
    PartitionIndex => i32,
    LeaderEpoch => i32,
    PartitionEpoch => i32,
    ProducerId => i64,
    TopicId => uuid::Uuid,
);

pub(crate) fn serialize<T: WireValue, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    value.to_raw().serialize(serializer)
}

pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::Raw::deserialize(deserializer).map(T::from_raw)
}

pub(crate) mod vec {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(values: &[T], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter().map(|v| v.to_raw()))
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        Ok(Vec::<T::Raw>::deserialize(deserializer)?.into_iter().map(T::from_raw).collect())
    }
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        value.map(WireValue::to_raw).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        Ok(Option::<T::Raw>::deserialize(deserializer)?.map(T::from_raw))
    }
}

pub(crate) mod option_vec {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(
        values: &Option<Vec<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        values.as_ref().map(|list| list.iter().map(|id| id.to_raw()).collect::<Vec<_>>()).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        Ok(Option::<Vec<T::Raw>>::deserialize(deserializer)?.map(|list| list.into_iter().map(T::from_raw).collect()))
    }
}

pub(crate) mod option_vec_vec {
    use super::*;

    pub(crate) fn serialize<T: WireValue, S: Serializer>(
        values: &Option<Vec<Vec<T>>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        values
            .as_ref()
            .map(|outer| {
                outer.iter().map(|inner| inner.iter().map(|id| id.to_raw()).collect::<Vec<_>>()).collect::<Vec<_>>()
            })
            .serialize(serializer)
    }

    pub(crate) fn deserialize<'de, T: WireValue, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<Vec<T>>>, D::Error> {
        Ok(Option::<Vec<Vec<T::Raw>>>::deserialize(deserializer)?
            .map(|outer| outer.into_iter().map(|inner| inner.into_iter().map(T::from_raw).collect()).collect()))
    }
}
