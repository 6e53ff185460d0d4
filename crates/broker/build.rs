//! Generates the replication service's gRPC code from `proto/replication.proto` with protox (a
//! pure-Rust protobuf compiler), so no `protoc` binary is needed. Record batches arrive as `Bytes`
//! slices of the received message, not copies.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("../../proto");
    let replication_proto = proto_dir.join("replication.proto");
    println!("cargo:rerun-if-changed={}", replication_proto.display());

    let descriptors = protox::compile([&replication_proto], [&proto_dir])?;
    tonic_prost_build::configure().bytes(".").build_client(true).build_server(true).compile_fds(descriptors)?;
    Ok(())
}
