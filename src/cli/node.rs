//! `quorate node --config PRESET|FILE [--bug NAME] [--node-dir DIR]`: one node of the reference
//! store as a real process speaking Maelstrom's protocol and the `mvr-kv` workload on stdin and
//! stdout (`crate::process::serve`), for `quorate maelstrom -w mvr-kv --bin quorate -- node …`.
//!
//! This file only reads the flags, refuses a configuration that cannot work before it reads
//! anything from stdin, and maps the end to the exit code: 0 when stdin closes, 2 for a bad
//! configuration, a cluster the configuration cannot fit, or a state file that does not restore.

use std::path::PathBuf;

use crate::config::{parse_bugs, Config};
use crate::process::{self, Cluster, ServeOptions};
use crate::store::Dynamo;

use super::Exit;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The store's configuration: a preset (dynamo, weak, sloppy, lww, cassandra, atomic, with
    /// +VARIANTs) or a JSON file. Its node count is replaced by the cluster `init` names.
    #[arg(long)]
    config: String,
    /// Deliberate store bugs to switch on (the bug zoo), by name: repeat the flag or separate
    /// names with commas.
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Where the node keeps its state (state.json), written before it acknowledges: a durable
    /// configuration keeps what it stored across kill -9, a volatile one only its incarnation.
    /// Default: $QUORATE_NODE_DIR (which quorate maelstrom sets), else nothing is kept.
    #[arg(long)]
    node_dir: Option<PathBuf>,
}

fn config(args: &Args) -> Result<Config, String> {
    let mut config = Config::from_preset_or_file(&args.config)
        .map_err(|error| format!("--config {}: {error}", args.config))?;
    for list in &args.bugs {
        config
            .bugs
            .extend(parse_bugs(list).map_err(|error| format!("--bug: {error}"))?);
    }
    Ok(config)
}

pub(super) fn run(args: &Args) -> Exit {
    let config = match config(args) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("quorate node: {error}");
            return Exit::BadInput;
        }
    };
    let node_dir = args
        .node_dir
        .clone()
        .or_else(|| std::env::var_os("QUORATE_NODE_DIR").map(PathBuf::from));
    if let Some(dir) = &node_dir {
        if let Err(error) = std::fs::create_dir_all(dir) {
            eprintln!("quorate node: --node-dir {}: {error}", dir.display());
            return Exit::BadInput;
        }
    }
    // For whoever reaps the node (quorate maelstrom's logs, tests): which process this is.
    eprintln!("quorate node: pid {}", std::process::id());
    let name = args.config.clone();
    let build = move |cluster: &Cluster| {
        let mut config = config;
        config.nodes = cluster.node_ids.len() as u32;
        Dynamo::new(config).map_err(|error| {
            format!(
                "--config {name} cannot run on the {} nodes init names: {error}",
                cluster.node_ids.len()
            )
        })
    };
    match process::serve(build, &ServeOptions { node_dir }) {
        Ok(()) => Exit::Valid,
        Err(error) => {
            eprintln!("quorate node: {error}");
            Exit::BadInput
        }
    }
}
