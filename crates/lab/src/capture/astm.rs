//! Analyzer messages in ASTM E1394 (CLSI LIS2-A2) records carried in ASTM E1381 (CLSI LIS1-A)
//! frames. A frame is `STX`, a frame number 0–7, text, `ETB` (more follows) or `ETX` (the last
//! frame of the message), two upper-case hex digits of the checksum — the sum modulo 256 of the
//! bytes from the frame number through `ETB`/`ETX` — and `CR LF`. The frames' texts joined make
//! the message; its records end with `CR`. The header record `H` defines the delimiters in the
//! four characters after its type (`|\^&`: field, repeat, component, escape); a result record `R`
//! carries the test in field 3 (`^^^code`), the value in field 4 and the units in field 5.

use super::{refuse, ParseError};
use serde::{Deserialize, Serialize};

/// Largest message read, bytes.
pub const MAX_BYTES: usize = 1024 * 1024;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
const ETB: u8 = 0x17;
const CR: u8 = 0x0d;
const LF: u8 = 0x0a;

/// The checksum of a frame's body (frame number through ETB/ETX), as two hex digits.
pub fn checksum(body: &[u8]) -> String {
    let sum = body.iter().fold(0u8, |acc, b| acc.wrapping_add(*b));
    format!("{sum:02X}")
}

/// The message carried by a run of frames, each checksum verified; frames numbered 1, 2, … 7, 0,
/// 1 … in order. Bytes outside frames (ENQ, ACK, EOT, line ends) are skipped.
pub fn unframe(input: &[u8]) -> Result<Vec<u8>, ParseError> {
    if input.len() > MAX_BYTES {
        return Err(refuse(0, "too_large", format!("a message of at most {MAX_BYTES} bytes")));
    }
    let mut message = Vec::new();
    let mut i = 0;
    let mut frame = 0usize;
    let mut ended = false;
    while i < input.len() {
        if input[i] != STX {
            i += 1;
            continue;
        }
        frame += 1;
        if ended {
            return Err(refuse(frame, "after_end", "a frame after the last (ETX) frame"));
        }
        let start = i + 1;
        let Some(end) = input[start..].iter().position(|b| *b == ETX || *b == ETB).map(|p| start + p) else {
            return Err(refuse(frame, "unterminated", "a frame without ETB or ETX"));
        };
        let body = &input[start..=end];
        let expected = [b'0' + (frame % 8) as u8];
        if body.first().copied() != Some(expected[0]) {
            return Err(refuse(frame, "frame_number", format!("frame number {} expected", expected[0] as char)));
        }
        let sent = input.get(end + 1..end + 3).ok_or_else(|| refuse(frame, "checksum", "no checksum"))?;
        let computed = checksum(body);
        if !sent.eq_ignore_ascii_case(computed.as_bytes()) {
            return Err(refuse(
                frame,
                "checksum",
                format!("checksum {} sent, {computed} computed", String::from_utf8_lossy(sent)),
            ));
        }
        message.extend_from_slice(&body[1..body.len() - 1]);
        ended = input[end] == ETX;
        i = end + 3;
        while i < input.len() && (input[i] == CR || input[i] == LF) {
            i += 1;
        }
    }
    if frame == 0 {
        return Err(refuse(0, "no_frames", "no STX frame"));
    }
    if !ended {
        return Err(refuse(frame, "unfinished", "the last frame ends with ETB: the message is not complete"));
    }
    Ok(message)
}

/// A result record (`R`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub sequence: String,
    /// The test code: the fourth component of the universal test id (`^^^413` → `413`), or the
    /// whole field when it has fewer components.
    pub test: String,
    pub value: String,
    pub units: String,
    /// Field 9, result status (`F` final, `C` correction …).
    pub status: String,
    /// Field 13, when the test completed (YYYYMMDDHHMMSS).
    pub completed: String,
}

/// A message's header and results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Message {
    /// The sender of the header record (field 5), e.g. `Afinion 2 Analyzer^^AF20052397`.
    pub sender: String,
    pub results: Vec<TestResult>,
    /// Record types in order (`H`, `P`, `O`, `R`, …, `L`).
    pub records: Vec<char>,
}

/// Reads the records of a message (the frames' texts joined, or a plain E1394 file whose records
/// end with CR or CR LF).
pub fn records(message: &[u8]) -> Result<Message, ParseError> {
    if message.len() > MAX_BYTES {
        return Err(refuse(0, "too_large", format!("a message of at most {MAX_BYTES} bytes")));
    }
    let text = String::from_utf8_lossy(message);
    let mut out = Message::default();
    let (mut field, mut component) = ('|', '^');
    for (n, record) in text.split(['\r', '\n']).filter(|r| !r.is_empty()).enumerate() {
        let line = n + 1;
        let mut chars = record.chars();
        let Some(kind) = chars.next() else { continue };
        if n == 0 {
            if kind != 'H' {
                return Err(refuse(line, "header", "the first record is not a header (H)"));
            }
            let delimiters: Vec<char> = chars.clone().take(4).collect();
            if delimiters.len() < 4 {
                return Err(refuse(line, "delimiters", "the header does not define its four delimiters"));
            }
            (field, component) = (delimiters[0], delimiters[2]);
        }
        out.records.push(kind);
        let fields: Vec<&str> = record.split(field).collect();
        let at = |i: usize| fields.get(i.wrapping_sub(1)).copied().unwrap_or("");
        match kind {
            'H' => out.sender = at(5).to_string(),
            'R' => {
                let test = at(3);
                let parts: Vec<&str> = test.split(component).collect();
                let code = parts.get(3).filter(|c| !c.is_empty()).copied().unwrap_or(test);
                out.results.push(TestResult {
                    sequence: at(2).to_string(),
                    test: code.to_string(),
                    value: at(4).to_string(),
                    units: at(5).to_string(),
                    status: at(9).to_string(),
                    completed: at(13).to_string(),
                });
            }
            _ => {}
        }
    }
    if out.records.last() != Some(&'L') {
        return Err(refuse(out.records.len(), "terminator", "the message does not end with its terminator (L)"));
    }
    Ok(out)
}
