//! Capture from a serial port (串口采集), where a balance or a pH meter is attached. The port is
//! read on its own thread; each complete line (LF-terminated, CR dropped) is one reading. A
//! balance speaks MT-SICS (`S S      100.00 g`): its responses are captured as `balance` results,
//! except dynamic readings (`S D`, `SI D`, `SIR D`), which a balance in continuous mode sends
//! several times a second and which are not results; any other line (a pH meter's print-out) is
//! kept as a `raw` result with its hash. A line longer than [`MAX_LINE`] bytes is noise, and is
//! dropped before it can grow. When the port goes away (the cable pulled, the adapter
//! re-plugged) the thread waits and opens it again.

use crate::outbox::{Outbox, Source};
use std::io::Read;
use std::time::Duration;

/// Longest line kept, bytes.
pub const MAX_LINE: usize = 256;

/// Splits a byte stream into lines, holding at most [`MAX_LINE`] bytes of an unfinished one.
#[derive(Debug, Default)]
pub struct Lines {
    buf: Vec<u8>,
    overlong: bool,
}

impl Lines {
    /// The complete, non-empty lines `bytes` finishes, without their CR LF.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\n' => {
                    let line = String::from_utf8_lossy(&self.buf).trim_end_matches('\r').trim().to_string();
                    if !self.overlong && !line.is_empty() {
                        out.push(line);
                    }
                    self.buf.clear();
                    self.overlong = false;
                }
                _ if self.buf.len() >= MAX_LINE => self.overlong = true,
                _ => self.buf.push(b),
            }
        }
        out
    }
}

/// What a line is captured as: `Some("balance")` for an MT-SICS response, `None` for a dynamic
/// weighing (not captured), `Some("raw")` for anything else.
pub fn kind_of_line(line: &str) -> Option<&'static str> {
    let mut tokens = line.split_whitespace();
    match (tokens.next(), tokens.next()) {
        (Some("S" | "SI" | "SIR"), Some("D")) => None,
        (Some("S" | "SI" | "SIR"), Some(_)) | (Some("ES" | "ET" | "EL"), None) => Some("balance"),
        _ => Some("raw"),
    }
}

/// A line read, with the time it arrived (ms since the epoch).
pub type Reading = (i64, String);

/// Captures one line read from `port` into the outbox, named after the port and the time it
/// arrived (`ttyUSB0-20261201-093000.123.sics`); `false` when it is a dynamic weighing, not kept.
pub async fn capture(outbox: &Outbox, instrument: &str, port: &str, reading: &Reading) -> anyhow::Result<bool> {
    let (at, line) = reading;
    let Some(kind) = kind_of_line(line) else { return Ok(false) };
    let device = std::path::Path::new(port).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let china = chrono::FixedOffset::east_opt(8 * 3600).ok_or_else(|| anyhow::anyhow!("China time"))?;
    let stamp = chrono::DateTime::from_timestamp_millis(*at).unwrap_or_default().with_timezone(&china);
    let ext = if kind == "balance" { "sics" } else { "txt" };
    let name = format!("{device}-{}.{ext}", stamp.format("%Y%m%d-%H%M%S%.3f"));
    let source = Source { name: &name, path: port, kind, acquired_ms: *at };
    outbox.capture_bytes(instrument, &source, format!("{line}\r\n").as_bytes()).await?;
    Ok(true)
}

/// Reads `path` at `baud` (8 data bits, no parity, 1 stop bit) on a thread of its own, sending
/// each line to `tx`; reopens the port after an error. Ends when `tx` is closed.
pub fn spawn_reader(path: String, baud: u32, tx: tokio::sync::mpsc::Sender<Reading>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut warned = false;
        while !tx.is_closed() {
            let port = serialport::new(&path, baud).timeout(Duration::from_millis(500)).open();
            let mut port = match port {
                Ok(p) => {
                    eprintln!("reading {path} at {baud} baud");
                    warned = false;
                    p
                }
                Err(e) => {
                    if !warned {
                        eprintln!("cannot open {path}: {e}; trying again every 2 s");
                        warned = true;
                    }
                    std::thread::sleep(Duration::from_secs(2));
                    continue;
                }
            };
            let mut lines = Lines::default();
            let mut buf = [0u8; 512];
            loop {
                match port.read(&mut buf) {
                    Ok(0) => std::thread::sleep(Duration::from_millis(50)),
                    Ok(n) => {
                        for line in lines.push(&buf[..n]) {
                            if tx.blocking_send((crate::outbox::now_ms(), line)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                        if tx.is_closed() {
                            return;
                        }
                    }
                    Err(e) => {
                        eprintln!("{path}: {e}; reopening");
                        std::thread::sleep(Duration::from_secs(1));
                        break;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_and_drop_cr_empty_and_overlong_lines() {
        let mut l = Lines::default();
        assert!(l.push(b"S S     10").is_empty(), "an unfinished line waits");
        assert_eq!(l.push(b"0.00 g\r\n\r\nS D    99.9 g\r\n"), vec!["S S     100.00 g", "S D    99.9 g"]);
        let long = vec![b'x'; MAX_LINE * 10];
        assert!(l.push(&long).is_empty());
        assert!(l.buf.len() <= MAX_LINE, "an overlong line does not grow");
        assert_eq!(l.push(b"\npH 7.01 25.0C\n"), vec!["pH 7.01 25.0C"], "the overlong line is dropped");
    }

    #[test]
    fn balance_responses_are_captured_dynamic_ones_skipped() {
        assert_eq!(kind_of_line("S S      100.00 g"), Some("balance"));
        assert_eq!(kind_of_line("SI S      100.00 g"), Some("balance"));
        assert_eq!(kind_of_line("S +"), Some("balance"));
        assert_eq!(kind_of_line("ES"), Some("balance"));
        assert_eq!(kind_of_line("S D      99.98 g"), None);
        assert_eq!(kind_of_line("SIR D    99.98 g"), None);
        assert_eq!(kind_of_line("pH 7.01 25.0C"), Some("raw"));
    }
}
