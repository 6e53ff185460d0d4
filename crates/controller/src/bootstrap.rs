//! What a controller writes when it becomes active on a cluster that lacks it: the cluster id
//! (`cluster.id` from the config, or a new random one as `kafka-storage random-uuid` makes) and the
//! `metadata.version` feature level. Each is written only if the image has none, so a later
//! leader writes nothing.

use flotilla_metadata::{ClusterIdRecord, FeatureLevelRecord, MetadataImage, MetadataRecord};
use flotilla_model::TopicId;

/// The finalized feature that versions the metadata log.
pub const METADATA_VERSION_FEATURE: &str = "metadata.version";

/// The `metadata.version` level a new cluster starts at: Kafka 4.1's latest production level,
/// `4.1-IV1`, the release whose protocol Flotilla speaks.
pub const METADATA_VERSION_LEVEL: i16 = 27;

/// The records that bootstrap `image`'s cluster; empty when it is bootstrapped already.
/// `configured_cluster_id` is `cluster.id`; without it a new id is drawn.
pub fn bootstrap_records(image: &MetadataImage, configured_cluster_id: Option<&str>) -> Vec<MetadataRecord> {
    let mut records = Vec::new();
    match (image.cluster().cluster_id(), configured_cluster_id) {
        (None, Some(configured)) => {
            records.push(MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: configured.to_string() }))
        }
        (None, None) => records.push(MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: random_cluster_id() })),
        (Some(current), Some(configured)) if current != configured => {
            // Brokers registering with the configured id will be refused with INCONSISTENT_CLUSTER_ID.
            tracing::error!(
                metadata_log = current,
                configured,
                "cluster.id differs from the cluster id in the metadata log; the log's id stands"
            );
        }
        (Some(_), _) => {}
    }
    if image.cluster().feature_level(METADATA_VERSION_FEATURE).is_none() {
        records.push(MetadataRecord::FeatureLevel(FeatureLevelRecord {
            name: METADATA_VERSION_FEATURE.to_string(),
            level: METADATA_VERSION_LEVEL,
        }));
    }
    records
}

/// A random cluster id as Kafka makes one (`Uuid.randomUuid().toString()`): a version-4 UUID in
/// URL-safe base64 without padding, 22 characters. The model's topic id prints UUIDs exactly so.
pub fn random_cluster_id() -> String {
    TopicId::new(uuid::Uuid::new_v4()).to_string()
}

#[cfg(test)]
mod tests {
    use flotilla_metadata::{LogPosition, MetadataBatch};

    use super::*;

    #[test]
    fn bootstraps_once() {
        let empty = MetadataImage::empty();
        let records = bootstrap_records(&empty, Some("MkU3OEVBNTcwNTJENDM2Qk"));
        assert_eq!(records.len(), 2);
        let image = flotilla_metadata::replay(&empty, &[MetadataBatch { position: LogPosition::new(1, 1), records }]);
        let Ok(image) = image else { unreachable!("bootstrap records apply") };
        assert_eq!(image.cluster().cluster_id(), Some("MkU3OEVBNTcwNTJENDM2Qk"));
        assert_eq!(image.cluster().feature_level(METADATA_VERSION_FEATURE), Some(METADATA_VERSION_LEVEL));
        assert!(bootstrap_records(&image, None).is_empty());
        assert!(bootstrap_records(&image, Some("other")).is_empty());
    }

    #[test]
    fn random_ids_look_like_kafkas() {
        let id = random_cluster_id();
        assert_eq!(id.len(), 22);
        assert_ne!(id, random_cluster_id());
    }
}
