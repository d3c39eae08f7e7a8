//! `netanomaly score`: score a file with a saved bundle and write a CSV of the flagged
//! (or all) rows with both scores, both flags and the features behind each flag.

use std::io::Write;

use color_eyre::eyre::Result;

use super::{load, thousands};
use crate::atomic::write_atomically;
use crate::cli::ScoreArgs;
use crate::data::Dataset;
use crate::data::schema::FEATURES;
use crate::detect::explain;
use crate::model::ModelBundle;
use crate::model::scorer::{self, ScoredRows};

pub fn run(args: &ScoreArgs) -> Result<()> {
    let to_stdout = args.out.as_os_str() == "-";
    if !to_stdout && args.out.exists() && !args.force {
        return Err(crate::atomic::WriteError::Exists {
            path: args.out.display().to_string(),
        }
        .into());
    }
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
    let write =
        |out: &mut dyn Write| write_csv(out, &bundle, &data, &scored, &rows, args.why as usize);
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

/// The CSV columns: `row`, `line`, the 41 features, `label` and `family` (labelled data
/// only), then per detector `<name>_score`, `<name>_flag` (1/0) and `<name>_why`.
pub fn header(data: &Dataset, scored: &ScoredRows) -> Vec<String> {
    let mut header = vec!["row".to_owned(), "line".to_owned()];
    header.extend(FEATURES.iter().map(|f| f.name.to_owned()));
    if data.has_labels() {
        header.push("label".to_owned());
        header.push("family".to_owned());
    }
    for d in &scored.detectors {
        header.push(format!("{}_score", d.name));
        header.push(format!("{}_flag", d.name));
        header.push(format!("{}_why", d.name));
    }
    header
}

/// Rows explained and written per step: explanations are computed in batches (one
/// forward pass of the autoencoder per chunk) without holding them all in memory.
const CHUNK: usize = 8192;

fn write_csv(
    out: &mut dyn Write,
    bundle: &ModelBundle,
    data: &Dataset,
    scored: &ScoredRows,
    rows: &[usize],
    why: usize,
) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(header(data, scored))?;
    for chunk in rows.chunks(CHUNK) {
        // Explanations are for flags; an unflagged row has nothing to explain.
        let mut why_columns = Vec::with_capacity(scored.detectors.len());
        for d in &scored.detectors {
            let flagged: Vec<usize> = chunk.iter().copied().filter(|&r| d.flagged(r)).collect();
            let explained = scorer::explain_rows(bundle, scored, data, d.name, &flagged)
                .map_err(std::io::Error::other)?;
            let mut texts = explained.iter().map(|c| explain::summary(c, why));
            let column: Vec<String> = chunk
                .iter()
                .map(|&r| {
                    if d.flagged(r) {
                        texts.next().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .collect();
            why_columns.push(column);
        }
        for (i, &r) in chunk.iter().enumerate() {
            let mut record = vec![(r + 1).to_string(), data.line(r).to_string()];
            record.extend(data.fields(r));
            if data.has_labels() {
                record.push(data.label(r).unwrap_or_default().to_owned());
                record.push(
                    data.family(r)
                        .map(|f| f.name().to_owned())
                        .unwrap_or_default(),
                );
            }
            for (d, whys) in scored.detectors.iter().zip(&why_columns) {
                record.push(format!("{:.6}", d.scores[r]));
                record.push(u8::from(d.flagged(r)).to_string());
                record.push(whys[i].clone());
            }
            csv.write_record(&record)?;
        }
    }
    csv.flush()
}
