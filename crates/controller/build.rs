//! Generates the controller's gRPC code from `proto/controller.proto` with protox (a pure-Rust
//! protobuf compiler), so no `protoc` binary is needed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("../../proto");
    let controller_proto = proto_dir.join("controller.proto");
    println!("cargo:rerun-if-changed={}", controller_proto.display());

    let descriptors = protox::compile([&controller_proto], [&proto_dir])?;
    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds(descriptors)?;
    Ok(())
}
