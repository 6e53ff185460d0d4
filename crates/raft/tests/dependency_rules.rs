//! flotilla-raft knows nothing about Kafka: it depends on no other Flotilla crate and on no Kafka
//! codec (see the crate doc, "Dependency rule").

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
fn raft_depends_on_no_flotilla_or_kafka_crate() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).expect("manifest");
    for section in ["[dependencies]", "[dev-dependencies]", "[build-dependencies]"] {
        let deps = section_deps(&manifest, section);
        assert!(!deps.is_empty(), "parser sanity: {section} is empty");
        for dep in &deps {
            assert!(
                !dep.starts_with("flotilla-") && !dep.starts_with("kafka"),
                "flotilla-raft must not depend on {dep} ({section})"
            );
        }
    }
}
