//! `flotilla server`: runs one node (broker, controller or both) from Kafka's `server.properties`.
//!
//! This is the only place that reads the config file and the environment: `KAFKA_*` variables override
//! the file the way Confluent's image maps them. Without `--config` the node is a single combined
//! broker and controller on 127.0.0.1:9092 with its data in `./data`. SIGTERM or Ctrl-C shuts the node
//! down cleanly: in-flight requests are answered and checkpoints written, so the next start skips recovery.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use flotilla_config::ServerConfig;
use tracing::{error, info, warn};

use crate::cli::UsageError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A server.properties file (Kafka's keys). Without it: a single node on 127.0.0.1:9092, data in ./data.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    init_logging();
    let text = match &args.config {
        None => None,
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                error!("cannot read the config file {}: {e}", path.display());
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let loaded = match ServerConfig::load(text.as_deref(), std::env::vars()) {
        Ok(loaded) => loaded,
        Err(e) => {
            error!("invalid configuration: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    for warning in &loaded.warnings {
        warn!("{warning}");
    }
    info!(node_id = %loaded.config.node_id, "starting flotilla node");
    match flotilla_broker::node::run_node(Arc::new(loaded.config), shutdown_signal()).await {
        Ok(()) => {
            info!("flotilla node stopped");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            error!("flotilla node failed: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info). Colours only on a terminal, so a log
/// file holds plain text.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(e) => {
                warn!("cannot listen for SIGTERM ({e}); only Ctrl-C stops the node");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    info!("shutdown requested");
}
