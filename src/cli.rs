//! Command-line interface: the headless commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::reader::SourceFormat;
use crate::data::{FeatureSet, MissingPolicy, ReadOptions};
use crate::detect::DetectorKind;
use crate::detect::autoencoder::{AutoencoderConfig, Preset};
use crate::detect::iforest::{IsolationForestConfig, MaxSamples};
use crate::eval::threshold::ThresholdRule;
use crate::model::pipeline::{FitConfig, Protocol};

/// Learn the normal profile of network traffic and flag what deviates from it.
///
/// Reads KDD Cup 99 and NSL-KDD connection records (plain or gzip), Zeek conn logs
/// and packet captures, and runs two unsupervised detectors side by side, with a third
/// that fuses them.
#[derive(Debug, Parser)]
#[command(name = "netanomaly", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal dashboard (the default): train the detectors live, move
    /// thresholds, compare, inspect and export flagged rows.
    #[command(
        after_help = "Examples:\n  netanomaly dashboard --data kddcup.data_10_percent.gz\n  netanomaly dashboard --model model/ --monitor /opt/zeek/logs/current/conn.log --follow\n  tcpdump -i eth0 -U -w - | netanomaly dashboard --model hdr/ --monitor -"
    )]
    Dashboard(DashboardArgs),
    /// Train and test the detectors on a labelled file under an evaluation protocol.
    #[command(
        after_help = "Examples:\n  netanomaly evaluate --train kddcup.data_10_percent.gz\n  netanomaly evaluate --train KDDTrain+.txt --test KDDTest+.txt --json report.json --report report/\n  netanomaly evaluate --train a.conn.log.labeled --test b.conn.log.labeled --feature-set header"
    )]
    Evaluate(EvaluateArgs),
    /// Train the detectors on a file and save them as a model bundle.
    #[command(
        after_help = "Examples:\n  netanomaly train --data kddcup.data_10_percent.gz --out model/\n  netanomaly train --data /opt/zeek/logs/2026-12-0*/conn.*.log.gz --feature-set header --out zeek-model/"
    )]
    Train(TrainArgs),
    /// Score a file with a saved model bundle; write the flagged rows (or all) as CSV.
    #[command(
        after_help = "Examples:\n  netanomaly score --model model/ --data today.csv.gz --out flagged.csv\n  netanomaly score --model zeek-model/ --data conn.log --out - --all | head"
    )]
    Score(ScoreArgs),
    /// Score connection records as they arrive (a file, a growing file, or standard
    /// input) with a saved model bundle; print every record with its scores and flags.
    #[command(
        after_help = "Examples:\n  netanomaly monitor --model zeek-model/ --input /opt/zeek/logs/current/conn.log --follow --alerts alerts.jsonl\n  tcpdump -i eth0 -U -w - | netanomaly monitor --model hdr/ --flagged-only\n  tail -F records.kdd | netanomaly monitor --model model/ --json"
    )]
    Monitor(MonitorArgs),
    /// Turn a packet capture (pcap or pcapng, e.g. from `tcpdump -w`) into KDD connection
    /// records (41 fields, content features 0), to inspect or to train on.
    #[command(
        after_help = "Example:\n  netanomaly pcap2kdd --input capture.pcapng --out capture.kdd"
    )]
    Pcap2kdd(Pcap2kddArgs),
    /// Write a seeded synthetic packet capture (normal sessions with injected attacks) to
    /// try `monitor --format pcap` and `pcap2kdd` on.
    #[command(
        after_help = "Example:\n  netanomaly demo-capture --seconds 30 --attacks port-scan,smurf --out demo.pcap"
    )]
    DemoCapture(DemoCaptureArgs),
    /// Write the built-in seeded demo traffic (normal traffic with injected attacks) as a
    /// KDD Cup 99 file.
    #[command(after_help = "Example:\n  netanomaly demo-data --rows 5000 --out demo.csv")]
    DemoData(DemoDataArgs),
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Records to learn from (KDD Cup 99 or NSL-KDD, plain or gzip). Without it the
    /// dashboard runs on the built-in seeded traffic generator.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Separate records to test on (default: the protocol's held-out rows of --data).
    #[arg(long, value_name = "PATH", num_args = 1.., requires = "data")]
    pub test: Vec<PathBuf>,
    /// Open a model bundle saved by `train` (or the dashboard) instead of training: it
    /// scores every row of --data (or --test) with its saved thresholds; r retrains.
    #[arg(long, value_name = "BUNDLE")]
    pub model: Option<PathBuf>,
    /// profile: learn from a seeded half of the normal rows (the other half and the
    /// attacks are the test rows; with --test, from every normal row); unsupervised:
    /// from every row, labels unused. Either way 20% of those rows are held out to
    /// set the thresholds.
    #[arg(long, default_value = "profile", value_parser = deployable_protocol())]
    pub protocol: Protocol,
    /// Seed for the split and the detectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Rows of generated traffic when no --data is given.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub demo_rows: u64,
    /// Seed of the generated traffic.
    #[arg(long, default_value_t = 7)]
    pub demo_seed: u64,
    /// Plain dots instead of Braille in charts, for fonts without Braille (also
    /// NETANOMALY_ASCII=1). Colours follow NO_COLOR.
    #[arg(long)]
    pub ascii: bool,
    /// Folder for saved bundles and exported CSV files.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
    /// Score records as they arrive with --model and show them on the Live tab: a file,
    /// or `-` for standard input (e.g. `tcpdump -U -w - | netanomaly dashboard --model m
    /// --monitor - --format pcap`). Without --data the other tabs stay empty.
    #[arg(long, value_name = "PATH|-", requires = "model")]
    pub monitor: Option<PathBuf>,
    /// What --monitor reads: kdd (connection records, one per line), pcap (a packet
    /// capture, pcap or pcapng) or zeek (a Zeek conn.log, TSV or JSON lines); auto
    /// tells them apart by their first bytes.
    #[arg(long, value_enum, default_value_t = MonitorFormat::Auto, requires = "monitor")]
    pub format: MonitorFormat,
    /// Keep reading the --monitor file as it grows, like `tail -F`.
    #[arg(long, requires = "monitor")]
    pub follow: bool,
    /// With --format pcap or zeek: accept a model trained on all 41 features although
    /// packets and conn logs give 0 for the 13 content features.
    #[arg(long, requires = "monitor")]
    pub allow_content_features_zero: bool,
    #[command(flatten)]
    pub tracker: TrackerArgs,
    #[command(flatten)]
    pub autoencoder: AutoencoderArgs,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training data: a KDD Cup 99 or NSL-KDD file, or Zeek conn logs (files, rotated
    /// logs such as `conn.*.log.gz`, or a directory of them), plain or gzip.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub data: Vec<PathBuf>,
    /// Bundle directory to write.
    #[arg(long, value_name = "BUNDLE")]
    pub out: PathBuf,
    /// profile: learn from the normal rows (needs labels); unsupervised: from every row.
    #[arg(long, default_value = "profile", value_parser = deployable_protocol())]
    pub protocol: Protocol,
    #[command(flatten)]
    pub fit: FitArgs,
    /// Isolation Forest threshold: RULE:VALUE with RULE one of mean-std, percentile,
    /// contamination, manual [default: percentile:99 for profile, contamination:0.1
    /// for unsupervised].
    #[arg(long, value_name = "RULE:VALUE", value_parser = ThresholdRule::parse)]
    pub iforest_threshold: Option<ThresholdRule>,
    /// Autoencoder threshold on the training reconstruction errors, as for
    /// --iforest-threshold (e.g. mean-std:2 for the notebook's mean + 2σ).
    #[arg(long, value_name = "RULE:VALUE", value_parser = ThresholdRule::parse)]
    pub ae_threshold: Option<ThresholdRule>,
    /// Fused detector threshold on its calibration scores, as for --iforest-threshold.
    #[arg(long, value_name = "RULE:VALUE", value_parser = ThresholdRule::parse)]
    pub fused_threshold: Option<ThresholdRule>,
    /// Replace an existing bundle.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Bundle directory written by `netanomaly train`.
    #[arg(long, value_name = "BUNDLE")]
    pub model: PathBuf,
    /// Records to score (labelled or not, plain or gzip): a KDD file, or Zeek conn logs
    /// (several files or a directory).
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub data: Vec<PathBuf>,
    /// CSV file to write (`-` for standard output).
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
    /// Write every row, not only the flagged ones.
    #[arg(long)]
    pub all: bool,
    /// How many "why" features to name per detector.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=41))]
    pub why: u32,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Bundle directory written by `netanomaly train`.
    #[arg(long, value_name = "BUNDLE")]
    pub model: PathBuf,
    /// Records to read: a file, or `-` for standard input (plain or gzip).
    #[arg(long, value_name = "PATH", default_value = "-")]
    pub input: PathBuf,
    /// auto (default): told from the first bytes. kdd: KDD Cup 99 / NSL-KDD connection
    /// records, one per line (41 fields, with or without a label). pcap: a packet
    /// capture (pcap or pcapng, e.g. `tcpdump -U -w -`), turned into connection records
    /// as connections end. zeek: a Zeek conn.log (TSV with its header, or JSON lines),
    /// one connection per row, uid kept.
    #[arg(long, value_enum, default_value_t = MonitorFormat::Auto)]
    pub format: MonitorFormat,
    /// With --format zeek: seconds of log time to wait for rows that ended earlier
    /// (conn.log is written as connections end, so rows are not in time order).
    #[arg(long, default_value_t = 10.0, value_parser = parse_lateness)]
    pub zeek_lateness: f64,
    /// Keep reading --input as it grows, like `tail -F` (survives log rotation); stop
    /// with Ctrl-C.
    #[arg(long, requires = "input")]
    pub follow: bool,
    /// Also append each flagged record to this file as a JSON line.
    #[arg(long, value_name = "PATH")]
    pub alerts: Option<PathBuf>,
    /// Print JSON lines (one per record, then a summary line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print only the records some detector flags.
    #[arg(long)]
    pub flagged_only: bool,
    /// How many "why" features to name per flagging detector (0: none, faster).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=41))]
    pub why: u32,
    /// Stop at the first malformed record instead of skipping it (skipped records are
    /// counted and named on stderr).
    #[arg(long)]
    pub strict: bool,
    /// With --format pcap or zeek: accept a model trained on all 41 features although
    /// packets and conn logs give 0 for the 13 content features (a model for them is
    /// trained with `--feature-set header`).
    #[arg(long)]
    pub allow_content_features_zero: bool,
    #[command(flatten)]
    pub tracker: TrackerArgs,
}

#[derive(Debug, Args)]
pub struct Pcap2kddArgs {
    /// Capture to read (pcap in either byte order, µs or ns, or pcapng); `-` for
    /// standard input.
    #[arg(long, value_name = "PATH", default_value = "-")]
    pub input: PathBuf,
    /// KDD file to write; `-` for standard output.
    #[arg(long, value_name = "PATH", default_value = "-")]
    pub out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub tracker: TrackerArgs,
}

/// How packets become connections.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Connection tracking")]
pub struct TrackerArgs {
    /// Most connections tracked at once; beyond it the oldest half-open ones are
    /// reported early (a SYN flood cannot exhaust memory).
    #[arg(long, default_value_t = 1 << 17, value_parser = clap::value_parser!(u64).range(16..=1 << 26))]
    pub max_connections: u64,
}

impl TrackerArgs {
    pub fn config(&self) -> crate::capture::conntrack::TrackerConfig {
        crate::capture::conntrack::TrackerConfig {
            max_connections: self.max_connections as usize,
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoCaptureArgs {
    /// Capture file to write; `-` for standard output.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// File format: classic pcap (microsecond times) or pcapng.
    #[arg(long, value_enum, default_value_t = CaptureFileFormat::Pcap)]
    pub format: CaptureFileFormat,
    /// Seconds of traffic.
    #[arg(long, default_value_t = 60.0, value_parser = |s: &str| parse_open_range(s, 0.0, 86_400.0, "number of seconds", true))]
    pub seconds: f64,
    /// Normal sessions started per second, on average.
    #[arg(long, default_value_t = 20.0, value_parser = |s: &str| parse_open_range(s, 0.0, 100_000.0, "rate", true))]
    pub sessions_per_second: f64,
    /// Seed: the same seed (and options) always gives the same capture.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Attacks to inject, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub attacks: Vec<DemoAttack>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CaptureFileFormat {
    Pcap,
    Pcapng,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoAttack {
    None,
    All,
    /// An nmap -sS style SYN scan of 1000 ports.
    PortScan,
    /// A spoofed SYN flood (3000 SYNs, never answered).
    SynFlood,
    /// Oversized fragmented ICMP echo requests.
    PingOfDeath,
    /// Overlapping UDP fragments.
    Teardrop,
    /// An ICMP echo-reply flood from 50 amplifiers.
    Smurf,
}

/// What `monitor` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MonitorFormat {
    /// Told from the first bytes: a capture's magic, a Zeek header or JSON keys, else
    /// KDD records.
    Auto,
    Kdd,
    Pcap,
    Zeek,
}

impl MonitorFormat {
    /// The format asked for; `None` for auto.
    pub fn format(self) -> Option<crate::monitor::Format> {
        match self {
            MonitorFormat::Auto => None,
            MonitorFormat::Kdd => Some(crate::monitor::Format::Kdd),
            MonitorFormat::Pcap => Some(crate::monitor::Format::Pcap),
            MonitorFormat::Zeek => Some(crate::monitor::Format::Zeek),
        }
    }
}

/// The autoencoder's training settings: a preset, with any of its values overridden.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Autoencoder")]
pub struct AutoencoderArgs {
    /// default: d→128→32→128→d, batch 256, early stopping (tuned on the profile
    /// protocol); reference: the notebook's d→14→7→7→d ReLU output, batch 32, 10 epochs.
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    pub preset: Preset,
    /// Maximum passes over the training rows [preset: 100 default, 10 reference].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub epochs: Option<u32>,
    /// Rows per gradient step [preset: 256 default, 32 reference].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: Option<u32>,
    /// Adam's step size [preset: 0.001].
    #[arg(long, value_name = "LR", value_parser = parse_learning_rate)]
    pub learning_rate: Option<f64>,
    /// Stop after this many epochs without a better validation loss and keep the best
    /// epoch; 0 runs every epoch [preset: 5 default, 0 reference].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub patience: Option<u32>,
    /// Fraction of the training rows held out for the validation loss [preset: 0.1].
    #[arg(long, value_name = "F", value_parser = |s: &str| parse_open_range(s, 0.0, 1.0, "fraction", true))]
    pub validation_split: Option<f64>,
}

impl AutoencoderArgs {
    /// The preset with the given overrides (the seed is set by the caller).
    pub fn config(&self) -> AutoencoderConfig {
        let mut config = AutoencoderConfig::preset(self.preset);
        if let Some(e) = self.epochs {
            config.epochs = e as usize;
        }
        if let Some(b) = self.batch_size {
            config.batch_size = b as usize;
        }
        if let Some(lr) = self.learning_rate {
            config.learning_rate = lr;
        }
        if let Some(p) = self.patience {
            config.patience = (p > 0).then_some(p as usize);
        }
        if let Some(v) = self.validation_split {
            config.validation_split = v;
        }
        config
    }
}

/// How input files are read.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Skip malformed rows (and report how many, with the first few reasons) instead of
    /// stopping at the first one.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// What to do with missing values (an empty field, `?` or `NA`).
    #[arg(long, value_enum, default_value_t = MissingPolicy::Impute)]
    pub missing: MissingPolicy,
    /// What the data holds: told from the content by default (a Zeek conn.log by its
    /// header or JSON keys; a directory is read as rotated Zeek conn logs).
    #[arg(long = "data-format", value_enum, default_value_t = SourceFormat::Auto)]
    pub data_format: SourceFormat,
    /// Zeek logs: seconds of log time to wait for rows that ended earlier (conn.log is
    /// written as connections end, so rows are not in time order).
    #[arg(long, default_value_t = 10.0, value_parser = parse_lateness)]
    pub zeek_lateness: f64,
}

fn parse_lateness(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("expected seconds, found \"{s}\""))?;
    if v.is_finite() && (0.0..=86_400.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("expected seconds in [0, 86400], found {v}"))
    }
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            skip_bad_rows: self.skip_bad_rows,
            missing: self.missing,
            format: self.data_format,
            zeek: crate::zeek::ZeekOptions::with_lateness(self.zeek_lateness),
            ..ReadOptions::default()
        }
    }
}

/// What `train` and `evaluate` fit: which detectors, on which features, how.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Detectors to fit, comma-separated. `fused` adds the other two's surprises
    /// (tail probabilities among held-out normal rows) and fits them too.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "iforest,autoencoder,fused"
    )]
    pub detectors: Vec<DetectorKind>,
    /// `all` 41 features, or `header`: the 28 computable from packet headers.
    #[arg(long, value_enum, default_value_t = FeatureSet::All)]
    pub feature_set: FeatureSet,
    /// Seed for the row split and the detectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Isolation Forest: number of trees.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub trees: u32,
    /// Isolation Forest: rows per tree (capped at the training rows), or `auto` for
    /// scikit-learn's min(256, rows). 2048 ranks KDD's floods stably across seeds.
    #[arg(long, default_value = "2048", value_parser = parse_max_samples)]
    pub max_samples: MaxSamples,
    #[command(flatten)]
    pub autoencoder: AutoencoderArgs,
    /// Drop numeric features that are constant on the training rows (by default they
    /// are kept: a change in a never-changing feature is a signal).
    #[arg(long)]
    pub drop_constant_columns: bool,
}

impl FitArgs {
    /// The pipeline's fitting configuration, reporting progress to `observer`.
    pub fn config(&self, observer: crate::detect::autoencoder::TrainObserver) -> FitConfig {
        FitConfig {
            detectors: DetectorKind::with_parts(&self.detectors),
            feature_set: self.feature_set,
            seed: self.seed,
            drop_constant: self.drop_constant_columns,
            iforest: IsolationForestConfig {
                n_estimators: self.trees as usize,
                max_samples: self.max_samples,
                seed: self.seed,
            },
            autoencoder: self.autoencoder.config(),
            observer,
            cancel: Default::default(),
        }
    }
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labelled training data (KDD Cup 99 or NSL-KDD, plain or gzip; or labelled Zeek
    /// conn logs, several files or a directory).
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub train: Vec<PathBuf>,
    /// Separate labelled test data; by default the protocol's held-out rows of --train.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub test: Vec<PathBuf>,
    /// profile: fit on half the normal rows (every normal row with --test); unsupervised:
    /// fit on all rows without labels; dagmm: the literature's protocol with `normal` as
    /// the anomaly class. Profile and unsupervised hold 20% of their rows out of the
    /// fit to set the thresholds on.
    #[arg(long, value_enum, default_value_t = Protocol::Profile)]
    pub protocol: Protocol,
    #[command(flatten)]
    pub fit: FitArgs,
    /// Flag test scores above this percentile of the held-out calibration scores, so
    /// about 100 − P percent false alarms on new normal traffic [default for profile:
    /// 99].
    #[arg(long, value_name = "P", value_parser = parse_percentile, conflicts_with = "contamination")]
    pub threshold_percentile: Option<f64>,
    /// Flag this fraction of the held-out calibration scores [default for
    /// unsupervised: 0.1].
    #[arg(long, value_name = "C", value_parser = parse_fraction)]
    pub contamination: Option<f64>,
    /// Write the report as JSON to FILE, or to standard output with `-` (the readable
    /// table then goes to standard error).
    #[arg(long, value_name = "FILE|-")]
    pub json: Option<PathBuf>,
    /// Write a shareable report into this new directory: ROC and PR curves, score
    /// histograms and confusion matrices (SVG), with index.html and summary.md.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Replace an existing --json file or --report directory.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct DemoDataArgs {
    /// Number of connection records.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub rows: u64,
    /// Seed: the same seed always gives the same file.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Fraction of rows that are attacks.
    #[arg(long, default_value_t = 0.2, value_parser = parse_fraction)]
    pub attack_fraction: f64,
    /// Output file (`-` for standard output).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

fn parse_max_samples(s: &str) -> Result<MaxSamples, String> {
    if s == "auto" {
        return Ok(MaxSamples::Auto);
    }
    match s.parse::<usize>() {
        Ok(n) if n >= 2 => Ok(MaxSamples::Count(n)),
        _ => Err(format!(
            "expected `auto` or a number of rows ≥ 2, found \"{s}\""
        )),
    }
}

fn parse_percentile(s: &str) -> Result<f64, String> {
    parse_open_range(s, 0.0, 100.0, "percentile", false)
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    parse_open_range(s, 0.0, 1.0, "fraction", false)
}

fn parse_learning_rate(s: &str) -> Result<f64, String> {
    parse_open_range(s, 0.0, 1.0, "learning rate", false)
}

/// A number strictly between `lo` and `hi` (or equal to `lo` when `lo_inclusive`).
fn parse_open_range(
    s: &str,
    lo: f64,
    hi: f64,
    what: &str,
    lo_inclusive: bool,
) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("expected a number, found \"{s}\""))?;
    if (v > lo || (lo_inclusive && v == lo)) && v < hi {
        Ok(v)
    } else if lo_inclusive {
        Err(format!("expected a {what} in [{lo}, {hi}), found {v}"))
    } else {
        Err(format!(
            "expected a {what} strictly between {lo} and {hi}, found {v}"
        ))
    }
}

/// The protocols a model can be trained with for use (dagmm only evaluates).
fn deployable_protocol() -> impl clap::builder::TypedValueParser<Value = Protocol> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new([
        clap::builder::PossibleValue::new("profile")
            .help("learn the normal profile from labelled normal rows"),
        clap::builder::PossibleValue::new("unsupervised")
            .help("learn from every row, labels unused"),
    ])
    .map(|name| match name.as_str() {
        "unsupervised" => Protocol::Unsupervised,
        _ => Protocol::Profile,
    })
}
