//! The protocol crate stays free of I/O and runtime dependencies, and uses `kafka-protocol` only as a test
//! oracle (docs/ARCHITECTURE.md, "Dependency rules").

/// The dependency names of one `[section]` of a Cargo.toml.
fn section_deps(manifest: &str, section: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == section;
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

#[test]
fn protocol_has_no_io_dependencies() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).expect("manifest");
    let deps = section_deps(&manifest, "[dependencies]");
    assert!(deps.contains(&"bytes".to_string()), "parser sanity: {deps:?}");
    for forbidden in ["tokio", "tonic", "prost", "openraft", "rocksdb", "kafka-protocol", "mio", "async-std"] {
        assert!(!deps.iter().any(|d| d == forbidden), "flotilla-protocol must not depend on {forbidden}");
    }
    let dev = section_deps(&manifest, "[dev-dependencies]");
    assert!(dev.contains(&"kafka-protocol".to_string()), "kafka-protocol is the differential oracle");
}
