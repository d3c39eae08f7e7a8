use std::process::ExitCode;

use clap::Parser;
use netanomaly::cli::{Cli, Command};
use netanomaly::commands;

fn main() -> ExitCode {
    // color-eyre's hooks make a panic readable; errors are printed below as one sentence.
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Evaluate(args)) => commands::evaluate::run(args),
        Some(Command::Train(args)) => commands::train::run(args),
        Some(Command::Score(args)) => commands::score::run(args),
        Some(Command::Monitor(args)) => commands::monitor::run(args),
        Some(Command::Pcap2kdd(args)) => commands::pcap2kdd::run(args),
        Some(Command::DemoCapture(args)) => commands::demo_capture::run(args),
        Some(Command::DemoData(args)) => commands::demo_data::run(args),
        Some(Command::Dashboard(args)) => commands::dashboard::run(args),
        // No subcommand: the dashboard with its defaults.
        None => match Cli::parse_from(["netanomaly", "dashboard"]).command {
            Some(Command::Dashboard(args)) => commands::dashboard::run(&args),
            _ => unreachable!("`dashboard` parses as the dashboard command"),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`… --out - | head`): a filter ends
        // quietly then, as `cat` does.
        Err(error)
            if error.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            // A cause that an error already names in its own sentence (thiserror's
            // `{source}`) is not repeated.
            let mut message = String::new();
            for cause in error.chain().map(|c| c.to_string()) {
                if message.contains(&cause) {
                    continue;
                }
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&cause);
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
