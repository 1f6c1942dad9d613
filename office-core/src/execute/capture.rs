//! Capturing a child's stdout and stderr: a byte cap on what is kept, a limit on what the
//! program may write (past it the whole process group is killed at once, instead of the
//! flood running to the wall-clock limit), and text that is safe to show.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::watch;

/// What stdout and stderr together may carry before the program is stopped: shared by the
/// two readers of one run.
#[derive(Debug, Clone)]
pub(crate) struct OutputLimit {
    limit: u64,
    written: Arc<AtomicU64>,
    exceeded: Arc<AtomicBool>,
    /// The group to kill when the limit is passed (0: none, as in tests).
    pgid: libc::pid_t,
}

impl OutputLimit {
    pub(crate) fn new(limit: u64, pgid: libc::pid_t) -> Self {
        OutputLimit {
            limit,
            written: Arc::new(AtomicU64::new(0)),
            exceeded: Arc::new(AtomicBool::new(false)),
            pgid,
        }
    }

    /// True once the program wrote more than the limit (and was killed for it).
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::SeqCst)
    }

    /// Counts `n` more bytes; the first time the total passes the limit, kills the group.
    fn count(&self, n: usize) -> bool {
        let total = self.written.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        if total <= self.limit {
            return false;
        }
        if !self.exceeded.swap(true, Ordering::SeqCst) {
            super::sandbox::kill_group(self.pgid);
        }
        true
    }
}

/// What was kept of one output stream.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    pub bytes: Vec<u8>,
    /// More was written than was kept (or reading was stopped before the end).
    pub truncated: bool,
}

impl Captured {
    pub(crate) fn text(&self) -> String {
        printable_text(&self.bytes, self.truncated)
    }
}

/// Reads `reader` to its end, keeping the first `cap` bytes. The rest is read and dropped,
/// so a chatty child never blocks on a full pipe, until `limit` is passed: then the group
/// is killed and reading stops. Stops early, keeping what it has, when `stop` turns true
/// (a process outside the group may hold the pipe open forever).
pub(crate) async fn read_capped<R: AsyncRead + Unpin>(
    mut reader: R,
    cap: usize,
    limit: OutputLimit,
    mut stop: watch::Receiver<bool>,
) -> Captured {
    let mut captured = Captured::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            read = reader.read(&mut chunk) => read,
            _ = stop.wait_for(|stop| *stop) => {
                captured.truncated = true;
                break;
            }
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let room = cap - captured.bytes.len();
        if n > room {
            captured.truncated = true;
        }
        captured.bytes.extend_from_slice(&chunk[..n.min(room)]);
        if limit.count(n) {
            captured.truncated = true;
            break;
        }
    }
    captured
}

/// Decodes bytes as UTF-8 (invalid sequences become U+FFFD) and neutralizes characters
/// that would act on a terminal or hide text: control characters other than newline and
/// tab become U+FFFD, `\r\n` and lone `\r` become `\n`, and bidirectional overrides
/// (the "Trojan Source" characters) become U+FFFD. When the bytes were cut at a cap, a
/// character split by the cut is dropped rather than shown as U+FFFD.
pub(crate) fn printable_text(bytes: &[u8], truncated: bool) -> String {
    let bytes = if truncated {
        without_split_char(bytes)
    } else {
        bytes
    };
    let decoded = String::from_utf8_lossy(bytes);
    let mut text = String::with_capacity(decoded.len());
    let mut chars = decoded.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => text.push(c),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    text.push('\n');
                }
            }
            c if c.is_control() || is_bidi_control(c) => text.push('\u{FFFD}'),
            c => text.push(c),
        }
    }
    text
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `bytes` without an incomplete UTF-8 sequence at its very end.
fn without_split_char(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        _ => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_newlines_and_tabs_and_neutralizes_other_controls() {
        let text = printable_text(b"a\tb\n\x1b[31mred\x07\x00end", false);
        assert_eq!(text, "a\tb\n\u{FFFD}[31mred\u{FFFD}\u{FFFD}end");
    }

    #[test]
    fn carriage_returns_become_newlines() {
        assert_eq!(
            printable_text(b"one\r\ntwo\rthree", false),
            "one\ntwo\nthree"
        );
    }

    #[test]
    fn invalid_utf8_and_bidi_overrides_are_replaced() {
        let text = printable_text("x\u{202E}y".as_bytes(), false);
        assert_eq!(text, "x\u{FFFD}y");
        assert_eq!(printable_text(b"a\xffb", false), "a\u{FFFD}b");
    }

    #[test]
    fn a_character_split_by_the_cap_is_dropped() {
        let euro = "€".as_bytes();
        let cut = [b'a', euro[0], euro[1]];
        assert_eq!(printable_text(&cut, true), "a");
        // Without truncation the same bytes are an error in the data and stay visible.
        assert_eq!(printable_text(&cut, false), "a\u{FFFD}");
    }

    #[tokio::test]
    async fn read_capped_keeps_the_first_bytes_and_drains_the_rest() {
        let data = vec![b'x'; 300_000];
        let (_stop_tx, stop_rx) = watch::channel(false);
        let limit = OutputLimit::new(1 << 20, 0);
        let captured = read_capped(&data[..], 1000, limit.clone(), stop_rx).await;
        assert_eq!(captured.bytes.len(), 1000);
        assert!(captured.truncated);
        assert!(!limit.exceeded());

        let (_stop_tx, stop_rx) = watch::channel(false);
        let captured = read_capped(&b"short"[..], 1000, limit, stop_rx).await;
        assert_eq!(captured.bytes, b"short");
        assert!(!captured.truncated);
    }

    #[tokio::test]
    async fn the_output_limit_is_shared_by_both_streams_and_stops_reading() {
        let limit = OutputLimit::new(250_000, 0);
        let (_stop_tx, stop_rx) = watch::channel(false);
        let first = read_capped(&[b'x'; 200_000][..], 1000, limit.clone(), stop_rx.clone()).await;
        assert!(!limit.exceeded());
        assert_eq!(first.bytes.len(), 1000);
        // A reader that never ends: the limit, not the end of the stream, stops it.
        let endless = tokio::io::repeat(b'y');
        let second = read_capped(endless, 1000, limit.clone(), stop_rx).await;
        assert!(limit.exceeded());
        assert_eq!(second.bytes.len(), 1000);
        assert!(second.truncated);
    }

    #[tokio::test]
    async fn read_capped_stops_when_told() {
        // One end of a duplex that is never written to nor closed: the read never ends.
        let (_writer, reader) = tokio::io::duplex(64);
        let (stop_tx, stop_rx) = watch::channel(false);
        let limit = OutputLimit::new(1 << 20, 0);
        let reading = tokio::spawn(read_capped(reader, 1000, limit, stop_rx));
        stop_tx.send(true).unwrap();
        let captured = reading.await.unwrap();
        assert!(captured.bytes.is_empty());
        assert!(captured.truncated);
    }
}
