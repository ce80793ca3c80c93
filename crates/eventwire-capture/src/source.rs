//! Opening a capture: a file or standard input, gunzipped when it is gzip (by content, not by
//! name; multi-member), with its first bytes kept aside for format detection.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

/// How much of the (decompressed) start of a capture format detection may look at.
pub const SNIFF_BYTES: usize = 64 * 1024;
/// The read buffer. Small on purpose: a block of lines is parsed right after it is copied in,
/// and 64 KiB is still in the core's L2 then (256 KiB measured 2 to 8% slower, 32 KiB 1 to 4%).
pub(crate) const BUFFER: usize = 64 * 1024;

/// An opened capture: its first bytes (for detection), then the whole stream from the start.
pub struct Source {
    /// The first up to [`SNIFF_BYTES`] bytes of the content.
    pub head: Vec<u8>,
    /// The content from its first byte (the head included).
    pub reader: Box<dyn BufRead>,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    /// The file itself, when it is a regular file read as it is (not gzip): its parts can then
    /// be read by several threads at once.
    pub file: Option<File>,
}

/// Opens `path` (`-` is standard input).
pub fn open(path: &Path) -> io::Result<Source> {
    if path == Path::new("-") {
        return from_reader(io::stdin().lock());
    }
    let file = File::open(path)?;
    // Some files (in /proc, say) give their content but say they are empty: read those whole.
    let metadata = file.metadata()?;
    let regular = (metadata.is_file() && metadata.len() > 0).then(|| file.try_clone()).transpose()?;
    let mut source = from_reader(file)?;
    // Parts of a file are read with positioned reads, which only Unix and Windows have here.
    source.file = regular.filter(|_| !source.gzip && cfg!(any(unix, windows)));
    Ok(source)
}

/// Wraps any reader as a capture source.
pub fn from_reader(raw: impl Read + 'static) -> io::Result<Source> {
    let mut buffered = BufReader::with_capacity(BUFFER, raw);
    let gzip = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut content: Box<dyn Read> = if gzip { Box::new(MultiGzDecoder::new(buffered)) } else { Box::new(buffered) };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut content).take(SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let reader = Box::new(BufReader::with_capacity(BUFFER, Cursor::new(head.clone()).chain(content)));
    Ok(Source { head, reader, gzip, file: None })
}
