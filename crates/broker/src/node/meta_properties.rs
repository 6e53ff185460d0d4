//! `meta.properties`: the identity of a log directory, in Kafka's format (`version=1`, `node.id`,
//! `cluster.id`, `directory.id`). The first start writes it; every later start checks that the
//! directory belongs to this node of this cluster, so a directory copied from another node or
//! cluster is refused instead of silently mixed in.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flotilla_model::{NodeId, TopicId};

pub const META_PROPERTIES: &str = "meta.properties";

/// The identity one log directory records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    pub node_id: NodeId,
    pub cluster_id: String,
    /// Kafka's directory id: a random UUID in URL-safe base64.
    pub directory_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MetaPropertiesError {
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is malformed: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "{path} belongs to cluster {found}, but this node is configured for cluster {expected}; \
         point log.dirs at this cluster's directories or remove the file to reformat"
    )]
    ClusterIdMismatch { path: PathBuf, found: String, expected: String },
    #[error("{path} belongs to node {found}, but this is node {expected}")]
    NodeIdMismatch { path: PathBuf, found: i32, expected: i32 },
}

impl MetaProperties {
    /// The file's text, as Kafka writes it.
    pub fn to_text(&self) -> String {
        format!(
            "#\n#Written by Flotilla\nversion=1\nnode.id={}\ncluster.id={}\ndirectory.id={}\n",
            self.node_id.get(),
            self.cluster_id,
            self.directory_id
        )
    }

    /// Reads `dir/meta.properties`, if it exists.
    pub fn read(dir: &Path) -> Result<Option<MetaProperties>, MetaPropertiesError> {
        let path = dir.join(META_PROPERTIES);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(MetaPropertiesError::Io { path, source }),
        };
        let values: BTreeMap<&str, &str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim(), v.trim())))
            .collect();
        let malformed = |reason: String| MetaPropertiesError::Malformed { path: path.clone(), reason };
        match values.get("version") {
            Some(&"1") => {}
            other => return Err(malformed(format!("version is {other:?}, expected 1"))),
        }
        let node_id = values
            .get("node.id")
            .and_then(|v| v.parse::<i32>().ok())
            .ok_or_else(|| malformed("node.id is missing or not a number".into()))?;
        let cluster_id = values
            .get("cluster.id")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| malformed("cluster.id is missing".into()))?;
        Ok(Some(MetaProperties {
            node_id: NodeId::new(node_id),
            cluster_id: (*cluster_id).to_string(),
            directory_id: values.get("directory.id").map(|v| (*v).to_string()).unwrap_or_default(),
        }))
    }

    /// Writes `dir/meta.properties` (through a temporary file and a rename).
    pub fn write(&self, dir: &Path) -> Result<(), MetaPropertiesError> {
        let path = dir.join(META_PROPERTIES);
        let io = |source| MetaPropertiesError::Io { path: path.clone(), source };
        fs::create_dir_all(dir).map_err(io)?;
        let temporary = dir.join(format!("{META_PROPERTIES}.tmp"));
        let mut file = fs::File::create(&temporary).map_err(io)?;
        file.write_all(self.to_text().as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&temporary, &path).map_err(io)
    }
}

/// Checks (or, on first start, writes) `meta.properties` in each of `dirs`, and returns the cluster id.
///
/// The cluster id is the configured one, else the one already recorded in a directory, else
/// `new_cluster_id()` (a fresh cluster). A directory recording another cluster or another node is
/// refused with an error naming its file.
pub fn ensure(
    dirs: &[PathBuf],
    node_id: NodeId,
    configured_cluster_id: Option<&str>,
    new_cluster_id: impl FnOnce() -> String,
) -> Result<String, MetaPropertiesError> {
    let mut found = Vec::with_capacity(dirs.len());
    for dir in dirs {
        found.push(MetaProperties::read(dir)?);
    }
    let cluster_id = match configured_cluster_id {
        Some(id) => id.to_string(),
        None => match found.iter().flatten().next() {
            Some(existing) => existing.cluster_id.clone(),
            None => new_cluster_id(),
        },
    };
    for (dir, existing) in dirs.iter().zip(found) {
        match existing {
            Some(existing) => {
                let path = dir.join(META_PROPERTIES);
                if existing.cluster_id != cluster_id {
                    return Err(MetaPropertiesError::ClusterIdMismatch {
                        path,
                        found: existing.cluster_id,
                        expected: cluster_id,
                    });
                }
                if existing.node_id != node_id {
                    return Err(MetaPropertiesError::NodeIdMismatch {
                        path,
                        found: existing.node_id.get(),
                        expected: node_id.get(),
                    });
                }
            }
            None => MetaProperties {
                node_id,
                cluster_id: cluster_id.clone(),
                directory_id: TopicId::new(uuid::Uuid::new_v4()).to_string(),
            }
            .write(dir)?,
        }
    }
    Ok(cluster_id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn first_start_writes_and_later_starts_check() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = vec![dir.path().join("a"), dir.path().join("b")];
        let id = ensure(&dirs, NodeId::new(1), None, || "cluster-one".into()).unwrap();
        assert_eq!(id, "cluster-one");
        let written = MetaProperties::read(&dirs[0]).unwrap().unwrap();
        assert_eq!((written.node_id, written.cluster_id.as_str()), (NodeId::new(1), "cluster-one"));
        assert_eq!(written.directory_id.len(), 22);
        let text = fs::read_to_string(dirs[1].join(META_PROPERTIES)).unwrap();
        assert!(text.contains("version=1\nnode.id=1\ncluster.id=cluster-one\ndirectory.id="), "{text}");

        // A restart without a configured id keeps the recorded one.
        assert_eq!(ensure(&dirs, NodeId::new(1), None, || "other".into()).unwrap(), "cluster-one");

        let refused = ensure(&dirs, NodeId::new(1), Some("cluster-two"), || unreachable!()).unwrap_err();
        assert!(matches!(refused, MetaPropertiesError::ClusterIdMismatch { .. }));
        assert!(refused.to_string().contains("meta.properties"), "{refused}");
        let refused = ensure(&dirs, NodeId::new(2), None, || unreachable!()).unwrap_err();
        assert!(matches!(refused, MetaPropertiesError::NodeIdMismatch { .. }), "{refused}");
    }
}
