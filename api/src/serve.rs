//! Serving the app over HTTP/1.1: actix-web's own server set-up, with one addition. actix's
//! parser refuses a request line whose address is over 64 KiB with an empty 400 and a closed
//! connection, before any code of ours runs; so every connection's bytes pass through
//! [`RequestLineGuard`], which hands such a request to the app as a request for
//! [`TOO_LONG_PATH`] (its method, headers and body unchanged), answered 414 problem+json like
//! any address over the limit.

use std::future::ready;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_service::{IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::AppConfig;
use actix_web::rt::net::TcpStream;
use actix_web::web;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::AppState;

/// The path a request whose request line is too long for the parser is given instead of its own.
pub const TOO_LONG_PATH: &str = "/.ambito/request-line-too-long";
/// Request lines up to this length pass untouched (the app answers 414 to any over 8 KiB itself).
const LINE_LIMIT: usize = 16 * 1024;
/// A header line longer than this is not followed: actix answers 431 to the whole head anyway.
const HEADER_LIMIT: usize = 64 * 1024;

/// How the server runs, beyond the app.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    pub workers: Option<usize>,
    /// Seconds requests in flight get to finish once a stop is asked.
    pub shutdown_timeout: u64,
    /// Stop on SIGINT/SIGTERM (the binary); tests stop their servers themselves.
    pub signals: bool,
}

/// Serves the app on `listener`, as `actix_web::HttpServer` would (the same timeouts and graceful
/// shutdown), each connection read through a [`RequestLineGuard`].
pub fn server(
    listener: std::net::TcpListener,
    options: ServeOptions,
    state: web::Data<AppState>,
) -> io::Result<actix_web::dev::Server> {
    let mut builder = actix_server::Server::build().shutdown_timeout(options.shutdown_timeout);
    if let Some(workers) = options.workers {
        builder = builder.workers(workers);
    }
    if !options.signals {
        builder = builder.disable_signals();
    }
    let graceful = builder.graceful_shutdown_signal();
    let address = listener.local_addr()?;
    let builder = builder.listen("ambito", listener, move || {
        let graceful = graceful.clone();
        let app = crate::app(state.clone()).into_factory().map_err(|err| err.error_response());
        // Building the app (its OpenAPI document above all) freed tens of MiB in this thread.
        return_freed_memory();
        let http = actix_http::HttpService::build()
            .graceful_shutdown_signal(move || {
                let signal = graceful.clone();
                async move { signal.notified().await }
            })
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            .h1_allow_half_closed(true)
            .local_addr(address)
            // The app reads neither the host nor the address from this (requests carry `Host`).
            .h1(actix_service::map_config(app, |()| AppConfig::default()));
        actix_service::fn_service(|io: TcpStream| {
            let peer = io.peer_addr().ok();
            ready(Ok::<_, actix_http::error::DispatchError>((RequestLineGuard::new(io), peer)))
        })
        .and_then(http)
    })?;
    Ok(builder.run())
}

/// Gives freed memory back to the system: glibc keeps what a thread freed in that thread's heap
/// unless asked, so start-up work (the catalogue, the demo, each worker's OpenAPI document) would
/// stay in the resident size for good.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Where the guard is in the connection's current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before or within a request line, held back until its end or the limit.
    Line,
    /// Dropping the rest of a request line that was replaced.
    Skip,
    Headers,
    Body(u64),
    /// Bytes go through unread: a chunked body, or what does not look like HTTP/1.x, whose framing
    /// the guard does not follow.
    Through,
}

/// A connection's bytes on their way to the HTTP/1 parser, following requests' framing (request
/// line, headers, a `Content-Length` body) so as to see each request line whole.
pub struct RequestLineGuard<T> {
    io: T,
    state: State,
    line: Vec<u8>,
    header: Vec<u8>,
    content_length: u64,
    chunked: bool,
    out: Vec<u8>,
    given: usize,
    eof: bool,
}

impl<T> RequestLineGuard<T> {
    pub fn new(io: T) -> Self {
        RequestLineGuard {
            io,
            state: State::Line,
            line: Vec::new(),
            header: Vec::new(),
            content_length: 0,
            chunked: false,
            out: Vec::new(),
            given: 0,
            eof: false,
        }
    }

    /// Moves `bytes` through the framing, into what the parser will read.
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Through => {
                    self.out.extend_from_slice(bytes);
                    return;
                }
                State::Body(left) => {
                    let n = bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.out.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    let left = left - n as u64;
                    self.state = if left == 0 { State::Line } else { State::Body(left) };
                }
                State::Line => match line_end(bytes) {
                    Some(end) => {
                        self.line.extend_from_slice(&bytes[..end]);
                        bytes = &bytes[end..];
                        if self.line.len() > LINE_LIMIT {
                            self.replace_line(State::Headers);
                            continue;
                        }
                        let line = std::mem::take(&mut self.line);
                        self.out.extend_from_slice(&line);
                        // Empty lines before a request line are allowed and skipped by the parser.
                        if !matches!(line.as_slice(), b"\r\n" | b"\n") {
                            self.state = if method_of(&line).is_some() { State::Headers } else { State::Through };
                        }
                    }
                    None => {
                        self.line.extend_from_slice(bytes);
                        bytes = &[];
                        if self.line.len() > LINE_LIMIT {
                            self.replace_line(State::Skip);
                        }
                    }
                },
                State::Skip => match line_end(bytes) {
                    Some(end) => {
                        bytes = &bytes[end..];
                        self.state = State::Headers;
                    }
                    None => bytes = &[],
                },
                State::Headers => {
                    let end = line_end(bytes);
                    let n = end.unwrap_or(bytes.len());
                    self.header.extend_from_slice(&bytes[..n]);
                    self.out.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    if end.is_some() {
                        let header = std::mem::take(&mut self.header);
                        self.header_line(&header);
                    } else if self.header.len() > HEADER_LIMIT {
                        self.state = State::Through;
                    }
                }
            }
        }
    }

    /// A request line over the limit becomes one for [`TOO_LONG_PATH`] with the same method;
    /// `then` is where the rest of the request is (`Skip` while the line has not ended).
    fn replace_line(&mut self, then: State) {
        let line = std::mem::take(&mut self.line);
        match method_of(&line) {
            Some(method) => {
                self.out.extend_from_slice(method);
                self.out.extend_from_slice(format!(" {TOO_LONG_PATH} HTTP/1.1\r\n").as_bytes());
                self.state = then;
            }
            None => {
                self.out.extend_from_slice(&line);
                self.state = State::Through;
            }
        }
    }

    fn header_line(&mut self, header: &[u8]) {
        if matches!(header, b"\r\n" | b"\n") {
            let (length, chunked) = (std::mem::take(&mut self.content_length), std::mem::take(&mut self.chunked));
            self.state = match (chunked, length) {
                (true, _) => State::Through,
                (false, 0) => State::Line,
                (false, n) => State::Body(n),
            };
            return;
        }
        let Some(colon) = header.iter().position(|&b| b == b':') else { return };
        let (name, value) = (&header[..colon], String::from_utf8_lossy(&header[colon + 1..]));
        if name.eq_ignore_ascii_case(b"content-length") {
            // One the parser will refuse anyway: stop following this connection.
            match value.trim().parse() {
                Ok(n) => self.content_length = n,
                Err(_) => self.state = State::Through,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.chunked = true;
        }
    }
}

/// Where the line that `bytes` continues ends (just after its `\n`), if it does.
fn line_end(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n').map(|i| i + 1)
}

/// The method that opens a request line, when it looks like one (an upper-case token and a space).
fn method_of(line: &[u8]) -> Option<&[u8]> {
    let space = line.iter().take(17).position(|&b| b == b' ')?;
    let method = &line[..space];
    (!method.is_empty() && method.iter().all(u8::is_ascii_uppercase)).then_some(method)
}

impl<T: AsyncRead + Unpin> AsyncRead for RequestLineGuard<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.given < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.given);
                buf.put_slice(&this.out[this.given..this.given + n]);
                this.given += n;
                if this.given == this.out.len() {
                    this.out.clear();
                    this.given = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                if this.line.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                this.out = std::mem::take(&mut this.line);
                continue;
            }
            if this.state == State::Through {
                return Pin::new(&mut this.io).poll_read(cx, buf);
            }
            let mut chunk = [0u8; 8192];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.io).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
            let n = read.filled().len();
            if n == 0 {
                this.eof = true;
            } else {
                this.feed(&chunk[..n]);
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for RequestLineGuard<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the parser reads of `input` fed in pieces of `piece` bytes.
    fn through(input: &[u8], piece: usize) -> Vec<u8> {
        let mut guard = RequestLineGuard::new(());
        for part in input.chunks(piece) {
            guard.feed(part);
        }
        guard.out
    }

    #[test]
    fn requests_within_the_limit_pass_unchanged_in_any_pieces() {
        let body = b"{\"a\":\"GET /x HTTP/1.1\\r\\n\"}";
        let input = [
            b"\r\nPOST /api/v1/tenders HTTP/1.1\r\nHost: x\r\nContent-Length: 27\r\n\r\n".as_slice(),
            body,
            b"GET /health/live?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        .concat();
        for piece in [1, 2, 7, 64, 4096] {
            assert_eq!(through(&input, piece), input, "pieces of {piece}");
        }
    }

    #[test]
    fn a_long_request_line_becomes_the_too_long_path_and_the_next_request_is_untouched() {
        let long = format!("GET /api/v1/tenders?q={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100_000));
        let next = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
        for piece in [1000, 8192, 200_000] {
            let out = through(format!("{long}{next}").as_bytes(), piece);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("GET {TOO_LONG_PATH} HTTP/1.1\r\nHost: x\r\n\r\n{next}")
            );
        }
    }

    #[test]
    fn a_body_is_never_read_as_a_request_line() {
        let body = format!("GET /{} HTTP/1.1\r\n", "b".repeat(40_000));
        let input = format!("PUT /x HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        assert_eq!(through(input.as_bytes(), 3000), input.as_bytes());
    }

    #[test]
    fn chunked_bodies_and_what_is_not_http_go_through() {
        let chunked = format!(
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /{} HTTP/1.1\r\n",
            "c".repeat(20_000)
        );
        assert_eq!(through(chunked.as_bytes(), 1000), chunked.as_bytes());
        let noise = "x".repeat(30_000);
        assert_eq!(through(noise.as_bytes(), 1000), noise.as_bytes());
    }
}
