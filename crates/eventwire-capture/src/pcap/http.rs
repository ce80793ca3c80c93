//! The HTTP/1.1 of a connection before (or instead of) its WebSocket: request and response
//! heads (parsed by `httparse`), their bodies by `Content-Length` or chunked, the upgrade and its
//! `Sec-WebSocket-Extensions`.

use super::websocket::Deflate;

/// The longest head read; a longer one is not HTTP eventwire follows.
pub(super) const MAX_HEAD: usize = 64 * 1024;

/// An HTTP message head.
#[derive(Debug, Default)]
pub(super) struct Head {
    /// The request's method, or the response's status as text.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The response status.
    pub status: u16,
    pub host: Option<String>,
    pub upgrade_websocket: bool,
    pub extensions: Option<String>,
    pub body: BodyLength,
    /// The head's length in bytes.
    pub len: usize,
}

/// How the body that follows a head ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyLength {
    #[default]
    None,
    Bytes(usize),
    Chunked,
}

/// What parsing a head gave.
pub(super) enum Parsed<T> {
    Done(T),
    /// More bytes are needed.
    Partial,
    /// Not HTTP.
    Invalid,
}

/// The request head at the start of `bytes`.
pub(super) fn request(bytes: &[u8]) -> Parsed<Head> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => {
            let mut head = fields(request.headers, len);
            head.method = request.method.unwrap_or_default().to_owned();
            head.target = request.path.unwrap_or_default().to_owned();
            Parsed::Done(head)
        }
        Ok(httparse::Status::Partial) if bytes.len() < MAX_HEAD => Parsed::Partial,
        _ => Parsed::Invalid,
    }
}

/// The response head at the start of `bytes`.
pub(super) fn response(bytes: &[u8]) -> Parsed<Head> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => {
            let mut head = fields(response.headers, len);
            head.status = response.code.unwrap_or_default();
            if head.status == 101 || head.status == 204 || head.status == 304 || head.status < 200 {
                head.body = BodyLength::None;
            }
            Parsed::Done(head)
        }
        Ok(httparse::Status::Partial) if bytes.len() < MAX_HEAD => Parsed::Partial,
        _ => Parsed::Invalid,
    }
}

fn fields(headers: &[httparse::Header], len: usize) -> Head {
    let mut head = Head { len, ..Head::default() };
    for header in headers {
        let value = String::from_utf8_lossy(header.value).trim().to_owned();
        match header.name.to_ascii_lowercase().as_str() {
            "host" => head.host = Some(value),
            "upgrade" => head.upgrade_websocket = value.eq_ignore_ascii_case("websocket"),
            "sec-websocket-extensions" => {
                head.extensions = Some(match head.extensions.take() {
                    Some(before) => format!("{before}, {value}"),
                    None => value,
                })
            }
            "content-length" => {
                if let (Ok(length), BodyLength::None) = (value.parse(), head.body) {
                    head.body = BodyLength::Bytes(length);
                }
            }
            "transfer-encoding" if value.to_ascii_lowercase().contains("chunked") => head.body = BodyLength::Chunked,
            _ => {}
        }
    }
    head
}

/// permessage-deflate as a 101 response's `Sec-WebSocket-Extensions` accepts it: for the
/// server's messages and for the client's.
pub(super) fn deflate(extensions: Option<&str>) -> Option<(Deflate, Deflate)> {
    let accepted =
        extensions?.split(',').find(|offer| offer.split(';').next().map(str::trim) == Some("permessage-deflate"))?;
    let parameters: Vec<&str> = accepted.split(';').skip(1).map(|p| p.split('=').next().unwrap_or("").trim()).collect();
    let server = Deflate { no_context_takeover: parameters.contains(&"server_no_context_takeover") };
    let client = Deflate { no_context_takeover: parameters.contains(&"client_no_context_takeover") };
    Some((server, client))
}

/// A chunked body at the start of `bytes`: the body and the bytes it took, once whole.
pub(super) fn chunked(bytes: &[u8], cap: usize) -> Parsed<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(line_end) = memchr::memmem::find(&bytes[at..], b"\r\n") else {
            return if bytes.len() - at > 1024 { Parsed::Invalid } else { Parsed::Partial };
        };
        let line = std::str::from_utf8(&bytes[at..at + line_end]).unwrap_or("");
        let Ok(size) = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16) else {
            return Parsed::Invalid;
        };
        at += line_end + 2;
        if size == 0 {
            // Trailers, then an empty line.
            return match memchr::memmem::find(&bytes[at..], b"\r\n") {
                Some(0) => Parsed::Done((body, at + 2)),
                Some(_) => match memchr::memmem::find(&bytes[at..], b"\r\n\r\n") {
                    Some(end) => Parsed::Done((body, at + end + 4)),
                    None => Parsed::Partial,
                },
                None => Parsed::Partial,
            };
        }
        if body.len() + size > cap {
            return Parsed::Invalid;
        }
        if bytes.len() < at + size + 2 {
            return Parsed::Partial;
        }
        body.extend_from_slice(&bytes[at..at + size]);
        at += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_says_what_deflate_it_agreed() {
        let Parsed::Done(head) = response(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=12\r\n\r\n\x81\x05hello") else { panic!() };
        assert_eq!(head.status, 101);
        assert_eq!(head.len, 157);
        let (server, client) = deflate(head.extensions.as_deref()).unwrap();
        assert!(server.no_context_takeover);
        assert!(!client.no_context_takeover);
        assert_eq!(deflate(Some("x-webkit-deflate-frame")), None);
        assert_eq!(deflate(None), None);
    }

    #[test]
    fn chunked_bodies_are_put_together() {
        let Parsed::Done((body, used)) = chunked(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\nNEXT", 100) else {
            panic!()
        };
        assert_eq!(body, b"hello world");
        assert_eq!(used, 30);
        assert!(matches!(chunked(b"5\r\nhel", 100), Parsed::Partial));
        assert!(matches!(chunked(b"zz\r\n", 100), Parsed::Invalid));
        assert!(matches!(chunked(b"ff\r\n", 10), Parsed::Invalid));
    }
}
