//! The workspace's crate dependency rules (docs/ARCHITECTURE.md, "Dependency rules"), checked against every
//! crate's Cargo.toml: dependencies point one way, and the pure crates stay free of I/O runtimes, gRPC, raft
//! and storage engines.

use std::collections::BTreeMap;
use std::path::Path;

/// Names listed in the `[dependencies]` section of a manifest (not dev- or build-dependencies).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                deps.push(name.trim().split('.').next().unwrap_or("").to_string());
            }
        }
    }
    deps
}

fn package_name(manifest: &str) -> Option<String> {
    manifest.lines().find_map(|l| l.trim().strip_prefix("name = ").map(|n| n.trim_matches('"').to_string()))
}

/// What each crate may depend on among Flotilla's crates, and which outside crates it must not use.
fn rules() -> BTreeMap<&'static str, (&'static [&'static str], &'static [&'static str])> {
    const IO: &[&str] = &["tokio", "tonic", "prost", "openraft", "rocksdb", "mio", "kafka-protocol"];
    BTreeMap::from([
        ("flotilla-model", (&[][..], IO)),
        ("flotilla-protocol", (&["flotilla-model"][..], IO)),
        ("flotilla-config", (&["flotilla-model"][..], IO)),
        ("flotilla-metadata", (&["flotilla-model"][..], IO)),
        ("flotilla-group", (&["flotilla-protocol"][..], IO)),
        (
            "flotilla-storage",
            (&["flotilla-model", "flotilla-protocol"][..], &["tonic", "prost", "openraft", "rocksdb"][..]),
        ),
        ("flotilla-raft", (&[][..], &["kafka-protocol", "flotilla-protocol"][..])),
        (
            "flotilla-controller",
            (
                &["flotilla-model", "flotilla-metadata", "flotilla-config", "flotilla-raft", "flotilla-protocol"][..],
                &[][..],
            ),
        ),
        ("flotilla-client", (&["flotilla-model", "flotilla-protocol"][..], &["rocksdb", "openraft"][..])),
    ])
}

#[test]
fn every_crate_follows_the_dependency_rules() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rules = rules();
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).expect("crates dir").flatten() {
        let Ok(manifest) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else { continue };
        let Some(name) = package_name(&manifest) else { continue };
        let Some((allowed, forbidden)) = rules.get(name.as_str()) else { continue };
        for dep in dependencies(&manifest) {
            if dep.starts_with("flotilla-") {
                assert!(allowed.contains(&dep.as_str()), "{name} must not depend on {dep}");
            }
            assert!(!forbidden.contains(&dep.as_str()), "{name} must not depend on {dep}");
        }
        checked += 1;
    }
    assert!(checked >= 6, "found only {checked} crates with rules");
}
