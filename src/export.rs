//! CSV of scored rows: the original record, every score, every flag and the features
//! behind each flag. Shared by `netanomaly score` and the dashboard's export; always
//! written atomically (temporary file, then rename).

use std::io::Write;

use crate::data::Dataset;
use crate::data::schema::FEATURES;
use crate::detect::explain;
use crate::model::scorer::Explainer;

/// Rows explained and written per step: explanations are computed in batches (one
/// forward pass of the autoencoder per chunk) without holding them all in memory.
const CHUNK: usize = 8192;

/// One detector's column group.
pub struct ScoreColumn<'a> {
    pub name: &'a str,
    /// Scores indexed by matrix row.
    pub scores: &'a [f64],
    pub threshold: f64,
}

impl ScoreColumn<'_> {
    fn flagged(&self, matrix_row: usize) -> bool {
        self.scores[matrix_row] >= self.threshold
    }
}

/// The connection's identity, for records from connection logs: Zeek's `uid` (pivot to
/// its other logs), the start time and the 5-tuple.
const CONN_COLUMNS: [&str; 7] = ["uid", "ts", "orig_h", "orig_p", "resp_h", "resp_p", "proto"];

fn conn_fields(c: &crate::kdd::ConnId) -> [String; 7] {
    [
        c.uid.as_deref().unwrap_or_default().to_owned(),
        c.zeek_ts(),
        c.orig.to_string(),
        c.orig_port.to_string(),
        c.resp.to_string(),
        c.resp_port.to_string(),
        c.protocol.as_str().to_owned(),
    ]
}

/// The CSV columns: `row`, `line`, (for connection logs) `uid`, `ts` and the 5-tuple,
/// the 41 features, `label` and `family` (labelled data
/// only), then per detector `<name>_score`, `<name>_flag` (1/0) and `<name>_why`.
pub fn header(data: &Dataset, columns: &[ScoreColumn<'_>]) -> Vec<String> {
    let mut header = vec!["row".to_owned(), "line".to_owned()];
    if data.has_conns() {
        header.extend(CONN_COLUMNS.iter().map(|c| (*c).to_owned()));
    }
    header.extend(FEATURES.iter().map(|f| f.name.to_owned()));
    if data.has_labels() {
        header.push("label".to_owned());
        header.push("family".to_owned());
    }
    for d in columns {
        header.push(format!("{}_score", d.name));
        header.push(format!("{}_flag", d.name));
        header.push(format!("{}_why", d.name));
    }
    header
}

/// Writes `rows`, each a `(matrix row, data row)` pair, with the top `why` features of
/// every flag.
pub fn write_csv(
    out: &mut dyn Write,
    explainer: &Explainer<'_>,
    columns: &[ScoreColumn<'_>],
    rows: &[(usize, usize)],
    why: usize,
) -> std::io::Result<()> {
    let data = explainer.data;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(header(data, columns)).map_err(io_error)?;
    for chunk in rows.chunks(CHUNK) {
        // Explanations are for flags; an unflagged row has nothing to explain.
        let mut why_columns = Vec::with_capacity(columns.len());
        for d in columns {
            let flagged: Vec<(usize, usize)> = chunk
                .iter()
                .copied()
                .filter(|&(m, _)| d.flagged(m))
                .collect();
            let explained = explainer
                .explain(d.name, &flagged)
                .map_err(std::io::Error::other)?;
            let mut texts = explained.iter().map(|c| explain::summary(c, why));
            let column: Vec<String> = chunk
                .iter()
                .map(|&(m, _)| {
                    if d.flagged(m) {
                        texts.next().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .collect();
            why_columns.push(column);
        }
        for (i, &(m, r)) in chunk.iter().enumerate() {
            let mut record = vec![(r + 1).to_string(), data.line(r).to_string()];
            if let Some(c) = data.conn(r) {
                record.extend(conn_fields(c));
            }
            record.extend(data.fields(r));
            if data.has_labels() {
                record.push(data.label(r).unwrap_or_default().to_owned());
                record.push(
                    data.family(r)
                        .map(|f| f.name().to_owned())
                        .unwrap_or_default(),
                );
            }
            for (d, whys) in columns.iter().zip(&why_columns) {
                record.push(format!("{:.6}", d.scores[m]));
                record.push(u8::from(d.flagged(m)).to_string());
                record.push(whys[i].clone());
            }
            csv.write_record(&record).map_err(io_error)?;
        }
    }
    csv.flush()
}

/// The write error behind a CSV error, so a closed pipe is told as one (`| head`).
fn io_error(e: csv::Error) -> std::io::Error {
    if !e.is_io_error() {
        return std::io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
