//! `netanomaly demo-data`: the built-in generator, written as a KDD Cup 99 file.

use std::io::Write;

use color_eyre::eyre::Result;

use crate::atomic::write_atomically;
use crate::cli::DemoDataArgs;
use crate::data::demo::{SynthConfig, generate};

pub fn run(args: &DemoDataArgs) -> Result<()> {
    // Before the work: an output that could not be written is said at once.
    crate::atomic::check_output(&args.out, args.force, false)?;
    let config = SynthConfig {
        rows: args.rows as usize,
        seed: args.seed,
        attack_fraction: args.attack_fraction,
    };
    let dataset = generate(&config);
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        let mut out = out;
        for row in 0..dataset.len() {
            dataset.write_kdd_line(row, &mut out)?;
        }
        Ok(())
    };
    if args.out.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut lock = std::io::BufWriter::new(stdout.lock());
        write(&mut lock)?;
        lock.flush()?;
    } else {
        write_atomically(&args.out, args.force, write)?;
        let attacks = dataset
            .attack_mask()
            .map_or(0, |m| m.iter().filter(|&&a| a).count());
        eprintln!(
            "wrote {} rows of demo traffic ({} attacks, seed {}) to {}",
            crate::format::thousands(dataset.len() as u64),
            crate::format::thousands(attacks as u64),
            args.seed,
            args.out.display()
        );
    }
    Ok(())
}
