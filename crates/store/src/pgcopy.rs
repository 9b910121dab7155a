//! PostgreSQL's binary `COPY … TO STDOUT` format, read (the ledger verifier's reader on
//! PostgreSQL). The stream is a header (`PGCOPY\n\xff\r\n\0`, flags, an extension area), then
//! per row a 16-bit field count and per field a 32-bit length (−1 for NULL) and that many bytes,
//! then a trailer (field count −1); integers are big-endian. The server sends the bytes in
//! pieces of any size, so a row may span pieces. Nothing here trusts a length: a stream that
//! does not follow the format is an error, never a panic or an allocation of a stated size.

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Reads rows of `width` fields out of the pieces fed to it.
#[derive(Debug)]
pub(crate) struct CopyReader {
    width: usize,
    buf: Vec<u8>,
    pos: usize,
    header_done: bool,
    ended: bool,
}

fn be_i16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl CopyReader {
    pub(crate) fn new(width: usize) -> Self {
        CopyReader { width, buf: Vec::with_capacity(64 * 1024), pos: 0, header_done: false, ended: false }
    }

    /// Adds a piece of the stream and calls `row` for every row it completes (the fields,
    /// `None` for NULL). Stops at the first error, of the format or of `row`.
    pub(crate) fn feed<E: From<String>>(
        &mut self,
        piece: &[u8],
        mut row: impl FnMut(&[Option<&[u8]>]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.ended {
            if piece.is_empty() {
                return Ok(());
            }
            return Err(E::from("COPY data continues after its trailer".into()));
        }
        // Keep only what is not yet read; most pieces are whole rows, so this stays small.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(piece);
        if !self.header_done {
            let Some(len) = self.header_len()? else { return Ok(()) };
            self.pos = len;
            self.header_done = true;
        }
        let mut fields: Vec<Option<&[u8]>> = Vec::with_capacity(self.width);
        let buf = &self.buf;
        let mut pos = self.pos;
        while let Some(count) = buf.get(pos..pos + 2).map(be_i16) {
            if count == -1 {
                pos += 2;
                self.ended = true;
                if pos != buf.len() {
                    return Err(E::from("COPY data continues after its trailer".into()));
                }
                break;
            }
            if count < 0 || count as usize != self.width {
                return Err(E::from(format!("COPY row has {count} fields, expected {}", self.width)));
            }
            fields.clear();
            let mut at = pos + 2;
            let mut complete = true;
            for _ in 0..self.width {
                let Some(len) = buf.get(at..at + 4).map(be_i32) else {
                    complete = false;
                    break;
                };
                at += 4;
                if len == -1 {
                    fields.push(None);
                    continue;
                }
                if len < 0 {
                    return Err(E::from(format!("COPY field has length {len}")));
                }
                let end = at.checked_add(len as usize).ok_or_else(|| E::from("COPY field too long".into()))?;
                let Some(value) = buf.get(at..end) else {
                    complete = false;
                    break;
                };
                fields.push(Some(value));
                at = end;
            }
            if !complete {
                break;
            }
            row(&fields)?;
            pos = at;
        }
        self.pos = pos;
        Ok(())
    }

    /// The header's length once it is all there.
    fn header_len<E: From<String>>(&self) -> Result<Option<usize>, E> {
        let fixed = SIGNATURE.len() + 8;
        if self.buf.len() < fixed {
            if !SIGNATURE.starts_with(&self.buf[..self.buf.len().min(SIGNATURE.len())]) {
                return Err(E::from("not a binary COPY stream".into()));
            }
            return Ok(None);
        }
        if &self.buf[..SIGNATURE.len()] != SIGNATURE {
            return Err(E::from("not a binary COPY stream".into()));
        }
        let extension = be_i32(&self.buf[SIGNATURE.len() + 4..]);
        if extension < 0 {
            return Err(E::from("binary COPY header extension has a negative length".into()));
        }
        let len = fixed + extension as usize;
        Ok((self.buf.len() >= len).then_some(len))
    }

    /// Called when the stream has ended: an error unless it ended with the trailer.
    pub(crate) fn finish<E: From<String>>(&self) -> Result<(), E> {
        if self.ended {
            Ok(())
        } else {
            Err(E::from("COPY data ended in the middle of a row".into()))
        }
    }
}

/// A big-endian `bigint` field.
pub(crate) fn int8(field: Option<&[u8]>) -> Option<i64> {
    field.and_then(|b| <[u8; 8]>::try_from(b).ok()).map(i64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of rows of (bigint, text-or-NULL) as PostgreSQL writes it.
    fn stream(rows: &[(i64, Option<&str>)]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        for (n, t) in rows {
            out.extend_from_slice(&2i16.to_be_bytes());
            out.extend_from_slice(&8i32.to_be_bytes());
            out.extend_from_slice(&n.to_be_bytes());
            match t {
                Some(t) => {
                    out.extend_from_slice(&(t.len() as i32).to_be_bytes());
                    out.extend_from_slice(t.as_bytes());
                }
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    fn read(pieces: &[&[u8]]) -> Result<Vec<(i64, Option<String>)>, String> {
        let mut r = CopyReader::new(2);
        let mut out = Vec::new();
        for p in pieces {
            r.feed(p, |f: &[Option<&[u8]>]| {
                let n = int8(f[0]).ok_or_else(|| "not a bigint".to_string())?;
                out.push((n, f[1].map(|t| String::from_utf8_lossy(t).into_owned())));
                Ok::<(), String>(())
            })?;
        }
        r.finish::<String>()?;
        Ok(out)
    }

    #[test]
    fn rows_are_read_across_pieces_of_any_size() {
        let rows = [(1, Some("甲")), (-7, None), (1 << 40, Some(""))];
        let want: Vec<(i64, Option<String>)> = rows.iter().map(|(n, t)| (*n, t.map(str::to_string))).collect();
        let bytes = stream(&rows);
        assert_eq!(read(&[&bytes]).unwrap(), want);
        for size in [1, 2, 3, 7, 19] {
            let pieces: Vec<&[u8]> = bytes.chunks(size).collect();
            assert_eq!(read(&pieces).unwrap(), want, "pieces of {size}");
        }
        assert_eq!(read(&[&stream(&[])]).unwrap(), vec![]);
    }

    #[test]
    fn a_stream_off_the_format_is_an_error_not_a_panic() {
        let bytes = stream(&[(1, Some("abc")), (2, Some("de"))]);
        // Every truncation ends in the middle of something.
        for cut in 0..bytes.len() {
            assert!(read(&[&bytes[..cut]]).is_err(), "cut at {cut}");
        }
        // Not COPY at all; a wrong field count; a negative or huge length; data after the end.
        assert!(read(&[b"PGCOPX\n\xff\r\n\0\0\0\0\0\0\0\0\0"]).is_err());
        let mut wrong = bytes.clone();
        wrong[19..21].copy_from_slice(&3i16.to_be_bytes());
        assert!(read(&[&wrong]).unwrap_err().contains("3 fields"));
        let mut negative = bytes.clone();
        negative[21..25].copy_from_slice(&(-5i32).to_be_bytes());
        assert!(read(&[&negative]).is_err());
        let mut huge = bytes.clone();
        huge[21..25].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(read(&[&huge]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(read(&[&extra]).is_err());
        // A short bigint is refused by the row's reader.
        let mut short = stream(&[(1, None)]);
        short[21..25].copy_from_slice(&4i32.to_be_bytes());
        short.drain(29..33);
        assert_eq!(read(&[&short]).unwrap_err(), "not a bigint");
    }
}
