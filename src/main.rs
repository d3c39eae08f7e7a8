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
        Some(Command::DemoData(args)) => commands::demo_data::run(args),
        None => {
            eprintln!(
                "The dashboard is not built yet. Meanwhile the headless commands work:\n\
                 \n  netanomaly evaluate --train kddcup.data_10_percent.gz\n  netanomaly train --data kddcup.data_10_percent.gz --out model\n  netanomaly score --model model --data traffic.csv --out flagged.csv\n  netanomaly demo-data --out demo.csv\n\n\
                 See `netanomaly --help`."
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
