//! `conn.log` lines: the TSV header directives, TSV rows by column name, JSON lines, and
//! the labels of labelled files. Every error names the file, the line and the field.
//!
//! A parser is fed one line at a time. TSV directives may appear again mid-stream (a
//! followed log rotated, files read one after the other): a new `#fields` replaces the
//! layout. The format (TSV or JSON) is decided per line: `{` starts a JSON object.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;

use super::{ZeekConn, ZeekLabel};
use crate::kdd::{Flag, NANOS_PER_SEC, Nanos, ProtocolType};

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {place}{message}")]
pub struct ZeekError {
    pub path: String,
    pub line: u64,
    /// `field "id.orig_p" (column 4): `, or empty.
    pub place: String,
    pub message: String,
    /// A row of another transport than TCP, UDP or ICMP: skipped and counted, not bad.
    pub other_transport: bool,
}

/// Fields a row is read from, at most.
const USED: usize = 16;
/// A column no field is read from.
const UNUSED: u8 = u8::MAX;

/// Column positions of the fields used, by name.
#[derive(Debug, Clone, Default)]
struct Layout {
    names: Vec<String>,
    /// Per column: where a row's value is kept while the row is read (or UNUSED).
    slot: Vec<u8>,
    ts: usize,
    uid: usize,
    orig_h: usize,
    orig_p: usize,
    resp_h: usize,
    resp_p: usize,
    proto: usize,
    conn_state: usize,
    service: Option<usize>,
    duration: Option<usize>,
    orig_bytes: Option<usize>,
    resp_bytes: Option<usize>,
    orig_pkts: Option<usize>,
    resp_pkts: Option<usize>,
    label: Option<usize>,
    detailed_label: Option<usize>,
}

const REQUIRED: [&str; 8] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "conn_state",
];

/// Rows parsed per parallel task.
const PARALLEL_LINES: usize = 2048;

/// Parses `conn.log` lines (TSV with its header, or JSON lines).
#[derive(Debug, Clone)]
pub struct ZeekParser {
    path: String,
    separator: u8,
    empty_field: String,
    /// Between the entries of a set (`service` = `dns,http`).
    set_separator: String,
    unset_field: String,
    layout: Option<Layout>,
    line: u64,
}

impl ZeekParser {
    pub fn new(path: impl Into<String>) -> Self {
        ZeekParser {
            path: path.into(),
            separator: b'\t',
            empty_field: "(empty)".into(),
            set_separator: ",".into(),
            unset_field: "-".into(),
            layout: None,
            line: 0,
        }
    }

    /// Whether the input starts like a conn.log (a TSV directive, or a JSON object
    /// with Zeek's dotted connection keys).
    pub fn sniff(start: &[u8]) -> bool {
        let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
        start.starts_with(b"#separator")
            || start.starts_with(b"#fields")
            || (start.starts_with(b"{") && memchr::memmem::find(start, b"\"id.orig_h\"").is_some())
    }

    /// The line number of the last line fed.
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// Counts a line that is not parsed (one too long to read), so the next keeps its
    /// number.
    pub fn skip_line(&mut self) {
        self.line += 1;
    }

    /// One line (without its newline). `Ok(None)` for directives, comments and blank
    /// lines.
    pub fn line(&mut self, raw: &[u8]) -> Result<Option<ZeekConn>, ZeekError> {
        self.line += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let raw = if self.line == 1 {
            raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw)
        } else {
            raw
        };
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if raw[0] == b'#' {
            return self.directive(raw).map(|()| None);
        }
        if raw[0] == b'{' {
            return self.json(raw).map(Some);
        }
        self.tsv(raw).map(Some)
    }

    /// Whole lines (each ending in `\n`, the last perhaps not), in order: rows and
    /// errors appended to `out`. Runs of rows between header directives are parsed in
    /// parallel; directives take effect in their place.
    pub fn lines(&mut self, text: &[u8], out: &mut Vec<Result<ZeekConn, ZeekError>>) {
        use rayon::prelude::*;
        let lines: Vec<&[u8]> = text
            .strip_suffix(b"\n")
            .unwrap_or(text)
            .split(|&b| b == b'\n')
            .collect();
        if text.is_empty() {
            return;
        }
        let mut i = 0;
        while i < lines.len() {
            // Header lines, and the first line (a byte-order mark), one at a time.
            if self.line == 0 || lines[i].first() == Some(&b'#') {
                if let Some(row) = self.line(lines[i]).transpose() {
                    out.push(row);
                }
                i += 1;
                continue;
            }
            let run = lines[i..]
                .iter()
                .position(|l| l.first() == Some(&b'#'))
                .map_or(lines.len(), |n| i + n);
            let first = self.line;
            if run - i < PARALLEL_LINES {
                for line in &lines[i..run] {
                    if let Some(row) = self.line(line).transpose() {
                        out.push(row);
                    }
                }
            } else {
                let parts: Vec<Vec<Result<ZeekConn, ZeekError>>> = lines[i..run]
                    .par_chunks(PARALLEL_LINES)
                    .enumerate()
                    .map(|(c, chunk)| {
                        let mut parser = self.clone();
                        parser.line = first + (c * PARALLEL_LINES) as u64;
                        chunk
                            .iter()
                            .filter_map(|line| parser.line(line).transpose())
                            .collect()
                    })
                    .collect();
                out.extend(parts.into_iter().flatten());
                self.line = first + (run - i) as u64;
            }
            i = run;
        }
    }

    fn error(&self, place: String, message: impl Into<String>) -> ZeekError {
        ZeekError {
            path: self.path.clone(),
            line: self.line,
            place,
            message: message.into(),
            other_transport: false,
        }
    }

    fn directive(&mut self, raw: &[u8]) -> Result<(), ZeekError> {
        let text = std::str::from_utf8(raw)
            .map_err(|_| self.error(String::new(), "a header line that is not UTF-8"))?;
        // `#separator` uses a space before its value (the separator is not known yet).
        if let Some(value) = text.strip_prefix("#separator") {
            let value = unescape(value.trim_start_matches([' ', '\t']));
            return match value.as_bytes() {
                [b] => {
                    self.separator = *b;
                    Ok(())
                }
                _ => Err(self.error(
                    String::new(),
                    format!("#separator: expected one character (such as \\x09), found {value:?}"),
                )),
            };
        }
        let sep = self.separator as char;
        let mut parts = text.splitn(2, sep);
        let key = parts.next().unwrap_or_default();
        let value = parts.next().unwrap_or_default();
        match key {
            "#empty_field" => self.empty_field = unescape(value),
            "#unset_field" => self.unset_field = unescape(value),
            "#fields" => {
                // Some labelled files separate the last columns by runs of spaces.
                let names: Vec<String> = value
                    .split(sep)
                    .flat_map(|f| f.split_whitespace())
                    .map(str::to_owned)
                    .collect();
                self.layout = Some(self.layout_of(names)?);
            }
            "#set_separator" => self.set_separator = unescape(value),
            _ => {} // #path, #open, #close, #types, comments
        }
        Ok(())
    }

    fn layout_of(&self, names: Vec<String>) -> Result<Layout, ZeekError> {
        let find = |name: &str| names.iter().position(|n| n == name);
        let mut required = [0usize; 8];
        for (slot, name) in required.iter_mut().zip(REQUIRED) {
            *slot = find(name).ok_or_else(|| {
                self.error(
                    String::new(),
                    format!("#fields has no `{name}` column: not a conn.log?"),
                )
            })?;
        }
        let [ts, uid, orig_h, orig_p, resp_h, resp_p, proto, conn_state] = required;
        let mut slot = vec![UNUSED; names.len()];
        let optional = [
            "service",
            "duration",
            "orig_bytes",
            "resp_bytes",
            "orig_pkts",
            "resp_pkts",
            "label",
        ];
        let detailed = find("detailed-label").or_else(|| find("detailedlabel"));
        let used = required
            .into_iter()
            .chain(optional.into_iter().filter_map(find))
            .chain(detailed);
        for (n, column) in used.enumerate() {
            slot[column] = n as u8;
        }
        Ok(Layout {
            slot,
            ts,
            uid,
            orig_h,
            orig_p,
            resp_h,
            resp_p,
            proto,
            conn_state,
            service: find("service"),
            duration: find("duration"),
            orig_bytes: find("orig_bytes"),
            resp_bytes: find("resp_bytes"),
            orig_pkts: find("orig_pkts"),
            resp_pkts: find("resp_pkts"),
            label: find("label"),
            detailed_label: find("detailed-label").or_else(|| find("detailedlabel")),
            names,
        })
    }

    fn tsv(&self, raw: &[u8]) -> Result<ZeekConn, ZeekError> {
        let Some(layout) = &self.layout else {
            return Err(self.error(
                String::new(),
                "a row before any #fields header: expected a Zeek TSV header (#separator, #fields) or JSON lines",
            ));
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| self.error(String::new(), "a line that is not UTF-8"))?;
        let sep = self.separator as char;
        // The columns used are picked out as the line is split: nothing is allocated.
        let mut picked = [""; USED];
        let mut found = pick(&layout.slot, &mut picked, split_ascii(text, self.separator));
        if found < layout.names.len() && text.contains("  ") {
            // Labelled files whose last columns are separated by runs of spaces.
            let fields = text
                .split(sep)
                .flat_map(|f| f.split("   ").map(str::trim).filter(|s| !s.is_empty()));
            found = pick(&layout.slot, &mut picked, fields);
        }
        if found != layout.names.len() {
            return Err(self.error(
                String::new(),
                format!(
                    "expected {} tab-separated fields (as #fields says), found {found}",
                    layout.names.len(),
                ),
            ));
        }
        let get = |i: usize| -> Option<&str> {
            let v = picked[layout.slot[i] as usize];
            (v != self.unset_field && v != self.empty_field && !v.is_empty()).then_some(v)
        };
        let row = Fields {
            parser: self,
            layout,
            get: &get,
        };
        row.conn()
    }

    fn json(&self, raw: &[u8]) -> Result<ZeekConn, ZeekError> {
        let row: JsonConn<'_> = serde_json::from_slice(raw).map_err(|e| {
            let column = e.column();
            self.error(
                format!("column {column}: "),
                format!("expected a JSON object of a conn.log row: {e}"),
            )
        })?;
        let ts = row
            .ts
            .ok_or_else(|| self.error(field_place("ts", None), "missing"))
            .and_then(|t| self.seconds(t, "ts", None))
            // Zeek's times are microseconds; an f64 this size is off by a fraction of one.
            .map(|t| (t + 500) / 1_000 * 1_000)?;
        let (orig_p, resp_p) = (
            row.orig_p
                .ok_or_else(|| self.error(field_place("id.orig_p", None), "missing"))?,
            row.resp_p
                .ok_or_else(|| self.error(field_place("id.resp_p", None), "missing"))?,
        );
        let proto = self.proto(&self.need(row.proto, "proto")?, None)?;
        let state = self.need(row.conn_state, "conn_state")?;
        Ok(ZeekConn {
            ts,
            uid: self.need(row.uid, "uid")?.into(),
            orig_h: self.addr(&self.need(row.orig_h, "id.orig_h")?, "id.orig_h", None)?,
            orig_p,
            resp_h: self.addr(&self.need(row.resp_h, "id.resp_h")?, "id.resp_h", None)?,
            resp_p,
            proto,
            service: row
                .service
                .and_then(|s| super::order::service_hint(proto, first_of_set(&s, ","))),
            duration: row
                .duration
                .map(|d| self.seconds(d, "duration", None))
                .transpose()?
                .unwrap_or(0),
            orig_bytes: row.orig_bytes.unwrap_or(0),
            resp_bytes: row.resp_bytes.unwrap_or(0),
            orig_pkts: row.orig_pkts.unwrap_or(0).min(u64::from(u32::MAX)) as u32,
            resp_pkts: row.resp_pkts.unwrap_or(0).min(u64::from(u32::MAX)) as u32,
            flag: self.flag(proto, &state, None)?,
            label: row
                .label
                .map(|l| label_of(&l, row.detailed_label.as_deref())),
            line: self.line,
        })
    }

    fn need<'b>(&self, v: Option<Cow<'b, str>>, name: &str) -> Result<Cow<'b, str>, ZeekError> {
        v.ok_or_else(|| self.error(field_place(name, None), "missing"))
    }

    fn seconds(&self, value: f64, name: &str, column: Option<usize>) -> Result<Nanos, ZeekError> {
        if (0.0..1.8e10).contains(&value) {
            Ok((value * NANOS_PER_SEC as f64).round() as Nanos)
        } else {
            Err(self.error(
                field_place(name, column),
                format!("expected seconds (a number ≥ 0), found {value}"),
            ))
        }
    }

    fn addr(&self, value: &str, name: &str, column: Option<usize>) -> Result<IpAddr, ZeekError> {
        value.parse().map_err(|_| {
            self.error(
                field_place(name, column),
                format!("expected an IPv4 or IPv6 address, found {value:?}"),
            )
        })
    }

    fn proto(&self, value: &str, column: Option<usize>) -> Result<ProtocolType, ZeekError> {
        match value {
            "tcp" => Ok(ProtocolType::Tcp),
            "udp" => Ok(ProtocolType::Udp),
            "icmp" => Ok(ProtocolType::Icmp),
            _ => Err(ZeekError {
                other_transport: true,
                ..self.error(
                    field_place("proto", column),
                    format!("expected tcp, udp or icmp, found {value:?}"),
                )
            }),
        }
    }

    fn flag(
        &self,
        proto: ProtocolType,
        state: &str,
        column: Option<usize>,
    ) -> Result<Flag, ZeekError> {
        let flag = Flag::from_conn_state(state).ok_or_else(|| {
            self.error(
                field_place("conn_state", column),
                format!("expected a Zeek conn_state (S0, SF, REJ, RSTO, …), found {state:?}"),
            )
        })?;
        // KDD writes every UDP and ICMP row as SF.
        Ok(if proto == ProtocolType::Tcp {
            flag
        } else {
            Flag::SF
        })
    }
}

/// A TSV row's fields, looked up by the layout.
struct Fields<'a> {
    parser: &'a ZeekParser,
    layout: &'a Layout,
    get: &'a dyn Fn(usize) -> Option<&'a str>,
}

impl Fields<'_> {
    fn required(&self, i: usize) -> Result<&str, ZeekError> {
        (self.get)(i).ok_or_else(|| {
            self.parser.error(
                field_place(&self.layout.names[i], Some(i)),
                "expected a value, found it unset",
            )
        })
    }

    fn number<T: std::str::FromStr>(&self, i: usize, what: &str) -> Result<Option<T>, ZeekError> {
        (self.get)(i)
            .map(|v| {
                v.parse().map_err(|_| {
                    self.parser.error(
                        field_place(&self.layout.names[i], Some(i)),
                        format!("expected {what}, found {v:?}"),
                    )
                })
            })
            .transpose()
    }

    /// Decimal seconds, read exactly (an `f64` would move a 2020s timestamp by up to a
    /// microsecond).
    fn seconds(&self, i: usize) -> Result<Option<Nanos>, ZeekError> {
        (self.get)(i)
            .map(|v| {
                exact_seconds(v).ok_or_else(|| {
                    self.parser.error(
                        field_place(&self.layout.names[i], Some(i)),
                        format!("expected seconds (a number ≥ 0), found {v:?}"),
                    )
                })
            })
            .transpose()
    }

    fn conn(&self) -> Result<ZeekConn, ZeekError> {
        let l = self.layout;
        let p = self.parser;
        let port = |i: usize| -> Result<u16, ZeekError> {
            self.required(i)?;
            Ok(self.number::<u16>(i, "a port (0–65535)")?.unwrap_or(0))
        };
        let ts = {
            self.required(l.ts)?;
            self.seconds(l.ts)?.unwrap_or(0)
        };
        let proto = p.proto(self.required(l.proto)?, Some(l.proto))?;
        let count = |i: Option<usize>| -> Result<u64, ZeekError> {
            Ok(match i {
                Some(i) => self
                    .number::<u64>(i, "a count (a whole number ≥ 0)")?
                    .unwrap_or(0),
                None => 0,
            })
        };
        // In a labelled file an unset label is still a labelled row (neither class).
        let label = l.label.map(|i| match (self.get)(i) {
            Some(label) => label_of(label, l.detailed_label.and_then(|d| (self.get)(d))),
            None => ZeekLabel::Other("(unset)".into()),
        });
        let packets = |i: Option<usize>| -> Result<u32, ZeekError> {
            Ok(count(i)?.min(u64::from(u32::MAX)) as u32)
        };
        Ok(ZeekConn {
            ts,
            uid: self.required(l.uid)?.into(),
            orig_h: p.addr(self.required(l.orig_h)?, "id.orig_h", Some(l.orig_h))?,
            orig_p: port(l.orig_p)?,
            resp_h: p.addr(self.required(l.resp_h)?, "id.resp_h", Some(l.resp_h))?,
            resp_p: port(l.resp_p)?,
            proto,
            service: l
                .service
                .and_then(|i| (self.get)(i))
                .and_then(|s| super::order::service_hint(proto, first_of_set(s, &p.set_separator))),
            duration: match l.duration {
                Some(i) => self.seconds(i)?.unwrap_or(0),
                None => 0,
            },
            orig_bytes: count(l.orig_bytes)?,
            resp_bytes: count(l.resp_bytes)?,
            orig_pkts: packets(l.orig_pkts)?,
            resp_pkts: packets(l.resp_pkts)?,
            flag: p.flag(proto, self.required(l.conn_state)?, Some(l.conn_state))?,
            label,
            line: p.line,
        })
    }
}

/// `text` split at an ASCII separator (memchr finds it; faster than `str::split` on the
/// short fields of a log row).
fn split_ascii(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(separator, text.as_bytes())
        .chain(std::iter::once(text.len()))
        .map(move |end| {
            // An ASCII separator always falls on a character boundary.
            let field = &text[start..end];
            start = end + 1;
            field
        })
}

/// Keeps the fields of the used columns in their slots; returns how many fields there
/// were.
fn pick<'t>(
    slot: &[u8],
    picked: &mut [&'t str; USED],
    fields: impl Iterator<Item = &'t str>,
) -> usize {
    let mut n = 0;
    for (i, field) in fields.enumerate() {
        if let Some(&s) = slot.get(i)
            && s != UNUSED
        {
            picked[s as usize] = field;
        }
        n = i + 1;
    }
    n
}

/// `1510026415.995389` as nanoseconds, exactly; `None` unless digits with at most one
/// point (and below the year 2500).
fn exact_seconds(text: &str) -> Option<Nanos> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 11 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut nanos: u64 = 0;
    for (i, b) in fraction.bytes().take(9).enumerate() {
        nanos += u64::from(b - b'0') * 10u64.pow(8 - i as u32);
    }
    let secs: u64 = whole.parse().ok()?;
    (secs < 16_725_225_600).then(|| secs * NANOS_PER_SEC + nanos)
}

/// `field "id.orig_p" (column 4): `
fn field_place(name: &str, column: Option<usize>) -> String {
    match column {
        Some(i) => format!("field \"{name}\" (column {}): ", i + 1),
        None => format!("field \"{name}\": "),
    }
}

/// Zeek writes `service` as a set (`dns,http`); the first entry names it.
fn first_of_set<'v>(value: &'v str, set_separator: &str) -> &'v str {
    if set_separator.is_empty() {
        return value;
    }
    value.split(set_separator).next().unwrap_or(value)
}

/// Benign → normal; Malicious → the detailed label (the attack's name); else other.
fn label_of(label: &str, detailed: Option<&str>) -> ZeekLabel {
    match label.to_ascii_lowercase().as_str() {
        "benign" | "normal" => ZeekLabel::Benign,
        "malicious" | "malware" | "attack" => ZeekLabel::Malicious(
            detailed
                .filter(|d| !d.is_empty() && *d != "-")
                .unwrap_or("malicious")
                .to_owned(),
        ),
        _ => ZeekLabel::Other(label.to_owned()),
    }
}

/// `\x09` escapes, as the header writes them.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A JSON conn.log row: absent keys are unset.
#[derive(Deserialize)]
struct JsonConn<'a> {
    ts: Option<f64>,
    #[serde(borrow)]
    uid: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_p")]
    orig_p: Option<u16>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.resp_p")]
    resp_p: Option<u16>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service: Option<Cow<'a, str>>,
    duration: Option<f64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    orig_pkts: Option<u64>,
    resp_pkts: Option<u64>,
    #[serde(borrow)]
    conn_state: Option<Cow<'a, str>>,
    #[serde(borrow)]
    label: Option<Cow<'a, str>>,
    #[serde(rename = "detailed-label", alias = "detailedlabel", borrow)]
    detailed_label: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n";

    fn parse(text: &str) -> Vec<Result<Option<ZeekConn>, ZeekError>> {
        let mut p = ZeekParser::new("t.log");
        text.lines().map(|l| p.line(l.as_bytes())).collect()
    }

    #[test]
    fn tsv_and_json_give_the_same_row() {
        let tsv = format!(
            "{HEADER}1.5\tCab\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\thttp\t2.25\t10\t-\tRSTRH\n"
        );
        let json = r#"{"ts":1.5,"uid":"Cab","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","service":"http","duration":2.25,"orig_bytes":10,"conn_state":"RSTRH"}"#;
        let a = parse(&tsv).pop().unwrap().unwrap().unwrap();
        let mut b = parse(json).pop().unwrap().unwrap().unwrap();
        b.line = a.line;
        assert_eq!(a, b);
        assert_eq!(a.flag, Flag::RSTR);
        assert_eq!(a.duration, 2_250_000_000);
        assert_eq!(a.end(), 3_750_000_000);
        assert_eq!((a.orig_bytes, a.resp_bytes), (10, 0));
    }

    #[test]
    fn bad_input_names_file_line_and_field() {
        let rows = parse(&format!(
            "{HEADER}1\tC\t10.0.0.1\t99999\t10.0.0.2\t80\ttcp\t-\t-\t-\t-\tS0\n1\tC\tnot-an-ip\t1\t10.0.0.2\t80\ttcp\t-\t-\t-\t-\tS0\n1\tC\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\t-\t-\t-\t-\tZZ\n1\tC\n1\tC\t::1\t1\t::2\t80\tunknown_transport\t-\t-\t-\t-\tOTH\n{{\"ts\":1\n[1]\n"
        ));
        let errors: Vec<String> = rows
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(errors.len(), 7, "{errors:#?}");
        assert!(errors[0].starts_with("t.log:6: field \"id.orig_p\" (column 4): expected a port"));
        assert!(errors[1].contains("t.log:7: field \"id.orig_h\" (column 3)"));
        assert!(errors[2].contains(":8: field \"conn_state\" (column 12)"));
        assert!(errors[3].contains(":9: expected 12 tab-separated fields"));
        assert!(rows[9].as_ref().unwrap_err().other_transport);
        assert!(errors[5].starts_with("t.log:11: column"), "{}", errors[5]);
        assert!(errors[6].contains(":12:"));
        let no_header = parse("1\tC\n");
        assert!(
            no_header[0]
                .as_ref()
                .unwrap_err()
                .message
                .contains("before any #fields")
        );
    }

    #[test]
    fn the_set_separator_is_the_headers() {
        // Port 8080 has no KDD name: Zeek's service (the set's first entry) names it.
        let header = HEADER.replace("#set_separator\t,", "#set_separator\t|");
        let text =
            format!("{header}1\tC1\t10.0.0.1\t5000\t10.0.0.2\t8080\ttcp\thttp|ssl\t-\t-\t-\tSF\n");
        let row = parse(&text).pop().unwrap().unwrap().unwrap();
        assert_eq!(row.service.map(|s| s.name()), Some("http"));
        let comma =
            format!("{HEADER}1\tC1\t10.0.0.1\t5000\t10.0.0.2\t8080\ttcp\thttp|ssl\t-\t-\t-\tSF\n");
        assert_eq!(parse(&comma).pop().unwrap().unwrap().unwrap().service, None);
    }

    #[test]
    fn non_tcp_rows_are_sf_and_labels_are_read() {
        let header = HEADER.replace(
            "conn_state\n",
            "conn_state\ttunnel_parents   label   detailed-label\n",
        );
        let text = format!(
            "{header}1\tC1\t10.0.0.1\t8\t10.0.0.2\t0\ticmp\t-\t-\t-\t-\tOTH\t(empty)   Malicious   PartOfAHorizontalPortScan\n2\tC2\t10.0.0.1\t53\t10.0.0.2\t53\tudp\tdns\t-\t-\t-\tS0\t-   Benign   -\n3\tC3\t10.0.0.1\t53\t10.0.0.2\t53\tudp\tdns\t-\t-\t-\tS0\t-   Background   -\n"
        );
        let rows: Vec<ZeekConn> = parse(&text).into_iter().flatten().flatten().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.flag == Flag::SF));
        assert_eq!(
            rows[0].label,
            Some(ZeekLabel::Malicious("PartOfAHorizontalPortScan".into()))
        );
        assert_eq!(rows[1].label, Some(ZeekLabel::Benign));
        assert_eq!(rows[2].label, Some(ZeekLabel::Other("Background".into())));
    }
}
