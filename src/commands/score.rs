//! `netanomaly score`: score a file with a saved bundle and write a CSV of the flagged
//! (or all) rows with every score, every flag and the features behind each flag.

use std::io::Write;

use color_eyre::eyre::Result;

use super::load;
use crate::atomic::write_atomically;
use crate::cli::ScoreArgs;
use crate::export::{self, ScoreColumn};
use crate::format::thousands;
use crate::model::ModelBundle;
use crate::model::scorer::{self, Explainer};

pub fn run(args: &ScoreArgs) -> Result<()> {
    let to_stdout = args.out.as_os_str() == "-";
    crate::atomic::check_output(&args.out, args.force, false)?;
    let bundle = ModelBundle::load(&args.model)?;
    let (data, _) = load(&args.data, &args.read.options())?;
    let scored = scorer::score(&bundle, &data)?;
    for d in &scored.detectors {
        eprintln!(
            "  {}: {} of {} rows flagged (threshold {:.6}), {:.2} s",
            d.name,
            thousands(d.flagged_count() as u64),
            thousands(data.len() as u64),
            d.threshold,
            d.seconds
        );
    }
    if scored.unseen.rows > 0 {
        eprintln!(
            "  {} rows carry categorical values the model never saw (encoded as <unseen>)",
            thousands(scored.unseen.rows as u64)
        );
    }
    let rows: Vec<usize> = (0..data.len())
        .filter(|&r| args.all || scored.any_flagged(r))
        .collect();
    let explainer = Explainer::for_bundle(&bundle, &scored.matrix, &data);
    let columns: Vec<ScoreColumn<'_>> = scored
        .detectors
        .iter()
        .map(|d| ScoreColumn {
            name: d.name,
            scores: &d.scores,
            threshold: d.threshold,
        })
        .collect();
    let pairs: Vec<(usize, usize)> = rows.iter().map(|&r| (r, r)).collect();
    let why = args.why as usize;
    let write = |out: &mut dyn Write| export::write_csv(out, &explainer, &columns, &pairs, why);
    if to_stdout {
        let mut lock = std::io::BufWriter::new(std::io::stdout().lock());
        write(&mut lock)?;
        lock.flush()?;
    } else {
        write_atomically(&args.out, args.force, write)?;
    }
    eprintln!(
        "wrote {} rows to {}",
        thousands(rows.len() as u64),
        if to_stdout {
            "standard output".to_owned()
        } else {
            args.out.display().to_string()
        }
    );
    Ok(())
}
