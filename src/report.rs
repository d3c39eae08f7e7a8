//! `evaluate --report DIR`: the evaluation as pictures and a one-page summary people can
//! paste into a write-up — ROC and PR curves of every detector, score histograms
//! (normal vs attack, threshold marked), confusion matrices (SVG, drawn with plotters),
//! and `index.html` + `summary.md` with the metrics table.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::detect::DetectorKind;
use crate::eval::evaluate::{DetectorReport, EvaluationReport};
use crate::eval::metrics::SortedScores;
use crate::format::{METRICS_HEADER, four_decimals, thousands};

const SIZE: (u32, u32) = (720, 480);
const BINS: usize = 60;

fn color(name: &str) -> RGBColor {
    match name {
        "iforest" => RGBColor(0x1f, 0x77, 0xb4),
        "fused" => RGBColor(0x2c, 0xa0, 0x2c),
        _ => RGBColor(0xd6, 0x27, 0x8b),
    }
}

fn pretty(name: &str) -> &'static str {
    DetectorKind::from_name(name).map_or("?", DetectorKind::title)
}

type Plot = Result<String, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Every file of the report, by name.
pub fn render(report: &EvaluationReport) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = vec![
        ("roc.svg".to_owned(), curves(report, false)?),
        ("pr.svg".to_owned(), curves(report, true)?),
    ];
    for (name, d) in report.ordered() {
        files.push((format!("{name}-histogram.svg"), histogram(report, name, d)?));
        files.push((
            format!("{name}-confusion.svg"),
            confusion(name, d, report.anomaly_class)?,
        ));
    }
    files.push(("summary.md".to_owned(), summary_markdown(report)));
    files.push(("index.html".to_owned(), summary_html(report)));
    Ok(files
        .into_iter()
        .map(|(n, text)| (n, text.into_bytes()))
        .collect())
}

/// ROC (false/true positive rate) or precision–recall curves of every detector.
/// The ROC's smallest false-positive rate, as log₁₀ (1 in 10,000).
const LOG_FPR_MIN: f64 = -4.0;

fn curves(report: &EvaluationReport, pr: bool) -> Plot {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let title = if pr { "Precision–recall" } else { "ROC" };
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{title} · {} protocol, test rows", report.protocol),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            // ROC: x is log₁₀ of the false-positive rate, from 1e-4: near AUC 1 the
            // detectors differ below 1% false alarms.
            .build_cartesian_2d(
                if pr { 0f64..1f64 } else { LOG_FPR_MIN..0f64 },
                0f64..1.02f64,
            )
            .map_err(err)?;
        let log_x = |v: &f64| format!("1e{v:.0}");
        let linear_x = |v: &f64| format!("{v:.1}");
        chart
            .configure_mesh()
            .x_labels(if pr { 11 } else { 5 })
            .x_label_formatter(if pr { &linear_x } else { &log_x })
            .x_desc(if pr {
                "recall"
            } else {
                "false positive rate (log scale)"
            })
            .y_desc(if pr {
                "precision"
            } else {
                "true positive rate"
            })
            .draw()
            .map_err(err)?;
        let x_of = |fpr: f64| fpr.max(10f64.powf(LOG_FPR_MIN)).log10();
        if !pr {
            // Chance (true positives = false positives), a curve on the log axis.
            let chance = (0..=100).map(|i| {
                let f = 10f64.powf(LOG_FPR_MIN * (1.0 - i as f64 / 100.0));
                (x_of(f), f)
            });
            chart
                .draw_series(LineSeries::new(chance, BLACK.mix(0.3).stroke_width(1)))
                .map_err(err)?;
        }
        for (name, d) in report.ordered() {
            let Ok(sorted) = SortedScores::new(&d.test_scores, Some(&report.test_truth)) else {
                continue;
            };
            let (points, area): (Vec<(f64, f64)>, Option<f64>) = if pr {
                let p = sorted.pr_curve_points(2000);
                (
                    p.iter().map(|p| (p.recall, p.precision)).collect(),
                    d.pr_auc,
                )
            } else {
                let p = sorted.roc_curve_points(2000);
                (p.iter().map(|p| (x_of(p.fpr), p.tpr)).collect(), d.roc_auc)
            };
            let c = color(name);
            let label = format!(
                "{} ({} {})",
                pretty(name),
                if pr { "AP" } else { "AUC" },
                area.map_or("n/a".into(), |a| format!("{a:.4}"))
            );
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
            // Where the detector's threshold operates.
            let at = if pr {
                (d.confusion.recall(), d.confusion.precision())
            } else {
                (x_of(d.confusion.fpr()), d.confusion.recall())
            };
            chart
                .draw_series(std::iter::once(Circle::new(at, 5, c.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(if pr {
                SeriesLabelPosition::LowerLeft
            } else {
                SeriesLabelPosition::LowerRight
            })
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Test scores of normal and attack rows as two histograms on a log count axis, with
/// the threshold. The autoencoder's errors span orders of magnitude: its x axis is
/// log₁₀(error).
fn histogram(report: &EvaluationReport, name: &str, d: &DetectorReport) -> Plot {
    let log_x = name == "autoencoder";
    let x = |s: f64| if log_x { s.max(1e-12).log10() } else { s };
    let values: Vec<f64> = d.test_scores.iter().map(|&s| x(s)).collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let width = (hi - lo) / BINS as f64;
    let mut counts = [vec![0u64; BINS], vec![0u64; BINS]];
    for (&v, &anomaly) in values.iter().zip(&report.test_truth) {
        let b = (((v - lo) / width) as usize).min(BINS - 1);
        counts[usize::from(anomaly)][b] += 1;
    }
    let top = counts.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "{} {} · test rows",
                    pretty(name),
                    if log_x {
                        "reconstruction error"
                    } else {
                        "anomaly score"
                    }
                ),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, (0.8f64..top * 1.5).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(if log_x { "log10(error)" } else { "score" })
            .y_desc("rows (log scale)")
            .draw()
            .map_err(err)?;
        // counts[1] holds the anomaly class (attacks, or normal rows under dagmm).
        let names = if report.anomaly_class == "normal" {
            ["attack", "normal"]
        } else {
            ["normal", "attack"]
        };
        for (series, label) in counts.iter().zip(names) {
            let c = if label == "normal" {
                RGBColor(0x2c, 0xa0, 0x2c)
            } else {
                RGBColor(0xd6, 0x27, 0x28)
            };
            chart
                .draw_series(
                    series
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(b, &n)| {
                            let x0 = lo + b as f64 * width;
                            Rectangle::new([(x0, 0.8), (x0 + width, n as f64)], c.mix(0.5).filled())
                        }),
                )
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.mix(0.5).filled())
                });
        }
        let t = x(d.threshold);
        chart
            .draw_series(LineSeries::new(
                [(t, 0.8), (t, top * 1.5)],
                RGBColor(0xe6, 0x9f, 0x00).stroke_width(3),
            ))
            .map_err(err)?
            .label(format!("threshold {:.4}", d.threshold))
            .legend(|(x, y)| {
                PathElement::new(
                    [(x, y), (x + 20, y)],
                    RGBColor(0xe6, 0x9f, 0x00).stroke_width(3),
                )
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The 2×2 confusion matrix as coloured cells with counts.
fn confusion(name: &str, d: &DetectorReport, anomaly_class: &str) -> Plot {
    let c = &d.confusion;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (480, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(
                &format!("{} · confusion matrix", pretty(name)),
                ("sans-serif", 20),
            )
            .map_err(err)?;
        let cells = [
            (0, 0, "true positive", c.tp, true),
            (1, 0, "false negative", c.fn_, false),
            (0, 1, "false positive", c.fp, false),
            (1, 1, "true negative", c.tn, true),
        ];
        let (x0, y0, w, h) = (140, 50, 150, 130);
        let style = ("sans-serif", 16).into_font();
        for (col, text) in ["flagged", "passed"].iter().enumerate() {
            root.draw(&Text::new(
                text.to_string(),
                (x0 + col as i32 * w + 45, y0 - 25),
                style.clone(),
            ))
            .map_err(err)?;
        }
        // The rows as the dashboard names them: the anomaly class first (attack,
        // or normal under the dagmm protocol).
        let other = if anomaly_class == "attack" {
            "normal"
        } else {
            "attack"
        };
        let rows = [format!("actual {anomaly_class}"), format!("actual {other}")];
        for (row, text) in rows.iter().enumerate() {
            root.draw(&Text::new(
                text.to_string(),
                (10, y0 + row as i32 * h + h / 2 - 8),
                style.clone(),
            ))
            .map_err(err)?;
        }
        let total = c.total().max(1) as f64;
        for (col, row, label, n, right) in cells {
            let (x, y) = (x0 + col * w, y0 + row * h);
            let base = if right {
                RGBColor(0x2c, 0xa0, 0x2c)
            } else {
                RGBColor(0xd6, 0x27, 0x28)
            };
            let alpha = 0.15 + 0.6 * (n as f64 / total).sqrt();
            root.draw(&Rectangle::new(
                [(x, y), (x + w - 4, y + h - 4)],
                base.mix(alpha).filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                thousands(n),
                (x + 20, y + h / 2 - 20),
                ("sans-serif", 22).into_font(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                label.to_owned(),
                (x + 20, y + h / 2 + 10),
                ("sans-serif", 13).into_font(),
            ))
            .map_err(err)?;
        }
        root.draw(&Text::new(
            format!(
                "precision {:.4} · recall {:.4} · F1 {:.4}",
                d.precision, d.recall, d.f1
            ),
            (10, y0 + 2 * h + 20),
            style,
        ))
        .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn metrics_rows(report: &EvaluationReport) -> Vec<[String; 11]> {
    let opt = |v: Option<f64>| four_decimals(v, "n/a");
    let rate = |v: Option<f64>| v.map_or("n/a".into(), |r| format!("{:.2}%", r * 100.0));
    report
        .ordered()
        .map(|(name, d)| {
            [
                pretty(name).to_owned(),
                opt(d.roc_auc),
                opt(d.pr_auc),
                format!("{:.4}", d.precision),
                format!("{:.4}", d.recall),
                format!("{:.4}", d.f1),
                format!("{:.6}", d.threshold),
                thousands(d.flagged),
                rate(d.expected_false_alarm_rate),
                rate(d.test_false_alarm_rate),
                format!("{:.2} s", d.fit_seconds),
            ]
        })
        .collect()
}

/// The metrics table's columns: the shared ones, then threshold, flagged and fit time.
fn header() -> Vec<&'static str> {
    let mut header = METRICS_HEADER.to_vec();
    header.extend([
        "threshold",
        "flagged",
        "expected false alarms",
        "false alarms on test normals",
        "fit",
    ]);
    header
}

fn setting_line(report: &EvaluationReport) -> String {
    format!(
        "Protocol **{}**, seed {}, feature set {} ({} columns); {} training rows, {} \
         calibration rows, {} test rows ({} of the anomaly class, `{}`); threshold: {}.",
        report.protocol,
        report.seed,
        report.feature_set,
        report.columns,
        thousands(report.rows.train as u64),
        thousands(report.rows.calibration as u64),
        thousands(report.rows.test as u64),
        thousands(report.rows.test_anomalies as u64),
        report.anomaly_class,
        report.threshold_rule.describe_of(report.thresholds_from)
    )
}

fn summary_markdown(report: &EvaluationReport) -> String {
    let mut md = String::from("# netanomaly evaluation\n\n");
    let _ = writeln!(md, "{}\n", setting_line(report));
    let header = header();
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
    for row in metrics_rows(report) {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push_str("\n## Detection rate by family\n\n");
    let (header, rows) = family_table(report);
    let _ = writeln!(md, "| {} |", header.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
    for row in rows {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push_str("\n## Pictures\n\n![ROC](roc.svg) ![Precision–recall](pr.svg)\n\n");
    for name in report.ordered().map(|(n, _)| n) {
        let _ = writeln!(
            md,
            "![{0} scores]({1}-histogram.svg) ![{0} confusion matrix]({1}-confusion.svg)\n",
            pretty(name),
            name
        );
    }
    md
}

/// The share of each family's test rows each detector flags: header and rows, for the
/// Markdown and the HTML summary alike.
fn family_table(report: &EvaluationReport) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec!["family".to_owned(), "rows".to_owned()];
    header.extend(
        report
            .ordered()
            .map(|(n, _)| n)
            .map(|n| pretty(n).to_owned()),
    );
    let mut rows = Vec::new();
    if let Some(first) = report.ordered().map(|(_, d)| d).next() {
        for (i, f) in first.per_family.iter().enumerate() {
            let mut row = vec![f.family.to_string(), thousands(f.rows as u64)];
            for d in report.ordered().map(|(_, d)| d) {
                let family = d.per_family.get(i);
                let rate = family.map_or(0.0, |r| r.rate);
                // The family's own ROC AUC against the other class, where it has one.
                let auc = family
                    .and_then(|r| r.roc_auc)
                    .map_or(String::new(), |a| format!(" · AUC {a:.4}"));
                row.push(format!("{:.1}%{auc}", rate * 100.0));
            }
            rows.push(row);
        }
    }
    (header, rows)
}

/// The summary's inline Markdown (`**bold**`, `` `code` ``) as HTML, escaped.
fn inline_html(markdown: &str) -> String {
    let mut html = String::new();
    let (mut bold, mut code) = (false, false);
    let mut rest = escape(markdown);
    while let Some(i) = rest.find(['*', '`']) {
        html.push_str(&rest[..i]);
        if rest[i..].starts_with("**") && !code {
            html.push_str(if bold { "</b>" } else { "<b>" });
            bold = !bold;
            rest = rest[i + 2..].to_owned();
        } else if rest[i..].starts_with('`') {
            html.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = rest[i + 1..].to_owned();
        } else {
            html.push('*');
            rest = rest[i + 1..].to_owned();
        }
    }
    html.push_str(&rest);
    html
}

fn table_html(html: &mut String, header: &[String], rows: &[Vec<String>]) {
    html.push_str("<table><tr>");
    for h in header {
        let _ = write!(html, "<th>{}</th>", escape(h));
    }
    html.push_str("</tr>\n");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn summary_html(report: &EvaluationReport) -> String {
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>netanomaly evaluation</title>\n\
         <style>body{font-family:sans-serif;max-width:1500px;margin:2em auto;padding:0 1em}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}\
         td:first-child,th:first-child{text-align:left}img{max-width:720px;margin:4px}</style>\n\
         </head><body>\n<h1>netanomaly evaluation</h1>\n",
    );
    let _ = writeln!(html, "<p>{}</p>", inline_html(&setting_line(report)));
    let header: Vec<String> = header().into_iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> = metrics_rows(report).into_iter().map(Vec::from).collect();
    table_html(&mut html, &header, &rows);
    html.push_str("<h2>Detection rate by family</h2>\n");
    let (header, rows) = family_table(report);
    table_html(&mut html, &header, &rows);
    html.push_str("<div><img src=\"roc.svg\" alt=\"ROC\"><img src=\"pr.svg\" alt=\"PR\"></div>\n");
    for name in report.ordered().map(|(n, _)| n) {
        let _ = writeln!(
            html,
            "<div><img src=\"{name}-histogram.svg\" alt=\"{0} scores\"><img src=\"{name}-confusion.svg\" alt=\"{0} confusion\"></div>",
            pretty(name)
        );
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markdown_becomes_html() {
        assert_eq!(
            inline_html("Protocol **profile**, class `attack` & 2 < 3 * 4"),
            "Protocol <b>profile</b>, class <code>attack</code> &amp; 2 &lt; 3 * 4"
        );
    }
}
