//! Kafka's command-line conventions, shared by every tool.
//!
//! - Kafka's tools parse options with jopt-simple, which also accepts a long option written with one
//!   dash (`--alter -partitions 4` in tutorials); [`normalize_args`] rewrites those to two dashes before
//!   clap sees them.
//! - A misuse of a tool prints Kafka's message, then the option table in jopt-simple's layout
//!   ([`usage_table`]), and exits with 1, as Kafka's `CommandLineUtils.printUsageAndExit` does.
//! - `--property k=v` lists ([`parse_key_value_args`]) and `--command-config`/`--producer.config` files
//!   ([`load_properties`]) are read as Kafka reads them.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::builder::StyledStr;
use clap::error::ErrorKind;
use clap::Command;

/// Width of jopt-simple's option column (and of its description column).
const USAGE_COLUMN_CHARS: usize = 39;

/// A misuse of a tool: Kafka's message, then (usually) the tool's option table; exit code 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    pub message: String,
    /// Whether the option table follows the message.
    pub show_usage: bool,
}

impl UsageError {
    /// A message followed by the option table (`CommandLineUtils.printUsageAndExit`).
    pub fn with_usage(message: impl Into<String>) -> Self {
        Self { message: message.into(), show_usage: true }
    }

    /// A message alone.
    pub fn bare(message: impl Into<String>) -> Self {
        Self { message: message.into(), show_usage: false }
    }

    /// jopt-simple's wording for a missing option: `Missing required argument "[topic]"`.
    pub fn missing(option: &str) -> Self {
        Self::with_usage(format!("Missing required argument \"[{option}]\""))
    }

    /// jopt-simple's wording for two options that exclude each other.
    pub fn incompatible(used: &str, other: &str) -> Self {
        Self::with_usage(format!("Option \"[{used}]\" can't be used with option \"[{other}]\""))
    }
}

/// Refuses `--zookeeper`, which Kafka's tools dropped in 3.0 and Flotilla never had.
pub fn refuse_zookeeper(zookeeper: Option<&str>) -> Result<(), UsageError> {
    match zookeeper {
        None => Ok(()),
        Some(_) => Err(UsageError::bare(
            "--zookeeper is not supported: there is no ZooKeeper (Kafka's tools dropped it in 3.0). Connect to a \
             broker instead with --bootstrap-server <host:port>, e.g. --bootstrap-server localhost:9092",
        )),
    }
}

/// Checks that `used`, when present, comes with none of `others` (jopt-simple's `checkInvalidArgs`).
pub fn check_invalid_args(used: (&str, bool), others: &[(&str, bool)]) -> Result<(), UsageError> {
    if !used.1 {
        return Ok(());
    }
    match others.iter().find(|(_, present)| *present) {
        Some((other, _)) => Err(UsageError::incompatible(used.0, other)),
        None => Ok(()),
    }
}

/// Rewrites `-name` to `--name` when `name` (before any `=`) is a long option of the subcommand given
/// in `args[1]`, as jopt-simple accepts. Arguments that are the value of the option before them, and
/// negative numbers, are left alone.
pub fn normalize_args(root: &Command, args: Vec<OsString>) -> Vec<OsString> {
    let Some(sub) = args.get(1).and_then(|a| a.to_str()).and_then(|name| root.find_subcommand(name)) else {
        return args;
    };
    let takes_value = |name: &str| -> Option<bool> {
        sub.get_arguments().find(|a| a.get_long() == Some(name)).map(|a| a.get_action().takes_values())
    };
    let mut out = Vec::with_capacity(args.len());
    let mut value_expected = false;
    for (i, arg) in args.into_iter().enumerate() {
        if i < 2 {
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            value_expected = false;
            out.push(arg);
            continue;
        };
        if value_expected {
            value_expected = false;
            out.push(arg);
            continue;
        }
        let rewritten = match text.strip_prefix('-') {
            Some(rest) if !rest.starts_with('-') && rest.len() > 1 => {
                let name = rest.split('=').next().unwrap_or(rest);
                takes_value(name).map(|takes| (format!("-{text}"), takes && !rest.contains('=')))
            }
            _ => None,
        };
        match rewritten {
            Some((long, expects)) => {
                value_expected = expects;
                out.push(OsString::from(long));
            }
            None => {
                if let Some(name) = text.strip_prefix("--") {
                    value_expected = !name.contains('=') && takes_value(name).unwrap_or(false);
                }
                out.push(arg);
            }
        }
    }
    out
}

/// The option table of a subcommand in jopt-simple's layout: `Option` and `Description` columns,
/// options sorted by name, `<value>` after options that take one, defaults in the description.
pub fn usage_table(command: &Command) -> String {
    let mut rows: Vec<(String, String, String)> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| {
            let long = a.get_long()?;
            let mut option = format!("--{long}");
            if a.get_action().takes_values() {
                let names: Vec<String> =
                    a.get_value_names().unwrap_or_default().iter().map(ToString::to_string).collect();
                let name = if names.is_empty() { long.to_owned() } else { names.join(" ") };
                option.push_str(&format!(" <{name}>"));
            }
            let mut description = a.get_help().map(StyledStr::to_string).unwrap_or_default();
            if long == "help" {
                description = "Print usage information.".to_owned();
            }
            let defaults: Vec<String> =
                a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
            if !defaults.is_empty() && a.get_action().takes_values() {
                let joined = defaults.join(", ");
                description = if description.is_empty() {
                    format!("(default: {joined})")
                } else {
                    format!("{description} (default: {joined})")
                };
            }
            Some((long.to_owned(), option, description))
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    push_row(&mut out, "Option", "Description");
    push_row(&mut out, "------", "-----------");
    for (_, option, description) in rows {
        let left = wrap(&option, USAGE_COLUMN_CHARS, 2);
        let right = wrap(&description, USAGE_COLUMN_CHARS, 2);
        for i in 0..left.len().max(right.len()) {
            push_row(
                &mut out,
                left.get(i).map(String::as_str).unwrap_or(""),
                right.get(i).map(String::as_str).unwrap_or(""),
            );
        }
    }
    out
}

fn push_row(out: &mut String, left: &str, right: &str) {
    let line = format!("{left:<width$}  {right}", width = USAGE_COLUMN_CHARS);
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Greedy word wrap at `width` characters; continuation lines are indented by `indent` spaces.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = if lines.is_empty() { String::new() } else { " ".repeat(indent) };
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            if line.trim().is_empty() {
                line.push_str(word);
            } else if line.chars().count() + 1 + word.chars().count() > width {
                lines.push(line);
                line = format!("{}{word}", " ".repeat(indent));
            } else {
                line.push(' ');
                line.push_str(word);
            }
        }
        if !line.trim().is_empty() || lines.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Prints clap's error (or the help and version it stands for) and the subcommand's option table;
/// exit code 0 for help and version, 1 otherwise (Kafka's tools exit with 1 on a bad flag).
pub fn report_parse_error(root: &Command, subcommand: Option<&str>, error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::FAILURE
        }
        _ => {
            eprint!("{}", error.render());
            if let Some(sub) = subcommand.and_then(|s| root.find_subcommand(s)) {
                eprintln!();
                eprint!("{}", usage_table(sub));
            }
            ExitCode::FAILURE
        }
    }
}

/// Prints a tool's usage error as Kafka does (message, then the option table) and returns exit code 1.
pub fn report_usage_error(root: &Command, subcommand: &str, error: &UsageError) -> ExitCode {
    eprintln!("{}", error.message);
    if error.show_usage {
        if let Some(sub) = root.find_subcommand(subcommand) {
            eprint!("{}", usage_table(sub));
        }
    }
    ExitCode::FAILURE
}

/// `key=value` arguments as Kafka's `CommandLineUtils.parseKeyValueArgs` reads them: split at the first
/// `=`; a key without a value gets the empty string. Later keys win.
pub fn parse_key_value_args<S: AsRef<str>>(args: &[S]) -> Vec<(String, String)> {
    args.iter()
        .map(|arg| match arg.as_ref().split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (arg.as_ref().to_owned(), String::new()),
        })
        .collect()
}

/// A Java properties file, as `Utils.loadProps` reads it.
/// An admin-style tool's client properties: those of `--command-config` (if given), then
/// `bootstrap.servers` from `--bootstrap-server`. The error is the message to print.
pub fn admin_props(
    command_config: Option<&Path>,
    bootstrap: Option<&str>,
) -> Result<crate::client_props::Props, String> {
    let mut props = crate::client_props::Props::new();
    if let Some(path) = command_config {
        props.extend(load_properties(path)?);
    }
    if let Some(bootstrap) = bootstrap {
        props.set("bootstrap.servers", bootstrap);
    }
    Ok(props)
}

/// The admin client's config from `--command-config` and `--bootstrap-server`, as [`admin_props`]
/// reads them; a problem is the message the tool prints before exiting with 1.
pub fn admin_client_config(
    command_config: Option<&Path>,
    bootstrap: Option<&str>,
    client_id: &str,
) -> Result<flotilla_client::ClientConfig, String> {
    let props = admin_props(command_config, bootstrap)?;
    crate::client_props::client_config(&props, client_id).map_err(|e| e.to_string())
}

pub fn load_properties(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} (No such file or directory)", path.display()),
        _ => format!("{}: {e}", path.display()),
    })?;
    let properties = flotilla_config::properties::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(properties.entries().iter().map(|p| (p.key.clone(), p.value.clone())).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::{Arg, ArgAction};

    use super::*;

    fn command() -> Command {
        Command::new("flotilla").subcommand(
            Command::new("topics")
                .arg(Arg::new("partitions").long("partitions").value_name("Integer: # of partitions"))
                .arg(Arg::new("time").long("time"))
                .arg(Arg::new("alter").long("alter").action(ArgAction::SetTrue).help("Alter the number of partitions."))
                .arg(Arg::new("timeout").long("timeout").default_value("1000").help("Wait time.")),
        )
    }

    fn normalized(args: &[&str]) -> Vec<String> {
        normalize_args(&command(), args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn one_dash_long_options_become_two() {
        assert_eq!(
            normalized(&["flotilla", "topics", "--alter", "-partitions", "4"]),
            ["flotilla", "topics", "--alter", "--partitions", "4"]
        );
        assert_eq!(normalized(&["flotilla", "topics", "-partitions=4"]), ["flotilla", "topics", "--partitions=4"]);
        // Values, negative numbers and unknown names are left alone.
        assert_eq!(normalized(&["flotilla", "topics", "--time", "-time"]), ["flotilla", "topics", "--time", "-time"]);
        assert_eq!(normalized(&["flotilla", "topics", "-time", "-1"]), ["flotilla", "topics", "--time", "-1"]);
        assert_eq!(normalized(&["flotilla", "topics", "-bogus"]), ["flotilla", "topics", "-bogus"]);
        assert_eq!(normalized(&["flotilla", "other", "-time"]), ["flotilla", "other", "-time"]);
    }

    #[test]
    fn usage_table_is_jopt_shaped() {
        let root = command();
        let table = usage_table(root.find_subcommand("topics").unwrap());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "Option                                   Description");
        assert_eq!(lines[1], "------                                   -----------");
        assert_eq!(lines[2], "--alter                                  Alter the number of partitions.");
        assert_eq!(lines[3], "--partitions <Integer: # of partitions>");
        assert_eq!(lines[4], "--time <time>");
        assert_eq!(lines[5], "--timeout <timeout>                      Wait time. (default: 1000)");
    }

    #[test]
    fn long_text_wraps_with_an_indent() {
        let lines = wrap("one two three four five six seven eight nine ten", 20, 2);
        assert_eq!(lines, ["one two three four", "  five six seven", "  eight nine ten"]);
    }

    #[test]
    fn key_value_args_split_at_the_first_equals() {
        assert_eq!(
            parse_key_value_args(&["a=b", "c=d=e", "f"]),
            [("a".into(), "b".into()), ("c".into(), "d=e".into()), ("f".into(), String::new())]
        );
    }

    #[test]
    fn usage_errors_use_jopt_wording() {
        assert_eq!(UsageError::missing("topic").message, "Missing required argument \"[topic]\"");
        assert_eq!(
            UsageError::incompatible("config", "list").message,
            "Option \"[config]\" can't be used with option \"[list]\""
        );
        assert!(check_invalid_args(("config", true), &[("list", false), ("delete", true)]).is_err());
        assert!(check_invalid_args(("config", false), &[("list", true)]).is_ok());
        assert!(refuse_zookeeper(Some("localhost:2181")).unwrap_err().message.contains("--bootstrap-server"));
    }

    #[test]
    fn properties_files_are_read_like_java() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.properties");
        std::fs::write(&path, "# comment\nacks=all\nlinger.ms = 5\n").unwrap();
        assert_eq!(load_properties(&path).unwrap(), [("acks".into(), "all".into()), ("linger.ms".into(), "5".into())]);
        assert!(load_properties(&dir.path().join("missing")).unwrap_err().contains("No such file or directory"));
    }
}
