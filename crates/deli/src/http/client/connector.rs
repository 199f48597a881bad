//! How the client reaches a server: resolve the host (on deli's blocking
//! pool), connect over TCP with a timeout, and for `https` shake hands with
//! rustls, telling hyper whether ALPN chose HTTP/2. A `tower_service::Service<Uri>`,
//! which is what hyper-util's pooling client takes; every failure is an
//! [`Error`] naming its step (DNS, connect, TLS).

use std::future::Future;
use std::io;
use std::io::IoSlice;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::client::TlsStream;

use crate::http::error::Error;
use crate::http::rt::Io;
use crate::http::tls;
use crate::net::TcpStream;

/// What the TLS side of the connector is built from.
#[derive(Debug, Clone)]
pub(super) struct TlsSettings {
    pub(super) extra_roots: Vec<CertificateDer<'static>>,
    pub(super) system_roots: bool,
    pub(super) alpn: &'static [&'static [u8]],
}

#[derive(Debug, Clone)]
pub(super) struct Connector {
    connect_timeout: Duration,
    settings: Arc<TlsSettings>,
    /// Built on the first `https` connection: loading the system's roots
    /// reads many files, which a client that never speaks TLS need not do.
    tls: Arc<OnceLock<Result<Arc<rustls::ClientConfig>, String>>>,
}

impl Connector {
    pub(super) fn new(connect_timeout: Duration, settings: TlsSettings) -> Connector {
        Connector {
            connect_timeout,
            settings: Arc::new(settings),
            tls: Arc::new(OnceLock::new()),
        }
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        self.tls
            .get_or_init(|| {
                let settings = &self.settings;
                tls::client_config(&settings.extra_roots, settings.system_roots, settings.alpn)
                    .map_err(|error| error.to_string())
            })
            .clone()
            .map_err(Error::TlsConfig)
    }

    async fn connect(self, uri: Uri) -> Result<Io<Conn>, Error> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: uri.to_string(),
            reason: reason.into(),
        };
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(invalid("the scheme must be http or https")),
        };
        let host = uri.host().ok_or_else(|| invalid("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => crate::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|source| Error::Dns {
                    host: host.clone(),
                    source,
                })?
                .collect(),
        };
        let tcp = self.connect_any(&host, port, &addrs).await?;
        let _ = tcp.set_nodelay(true);
        if !https {
            return Ok(Io::new(Conn::Plain(tcp)));
        }
        let name = ServerName::try_from(host.clone()).map_err(|error| Error::Tls {
            host: host.clone(),
            source: io::Error::new(io::ErrorKind::InvalidInput, error),
        })?;
        let connector = tokio_rustls::TlsConnector::from(self.tls_config()?);
        let stream = crate::timeout(self.connect_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| Error::Tls {
                host: host.clone(),
                source: io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"),
            })?
            .map_err(|source| Error::Tls { host, source })?;
        Ok(Io::new(Conn::Tls(Box::new(stream))))
    }

    async fn connect_any(
        &self,
        host: &str,
        port: u16,
        addrs: &[SocketAddr],
    ) -> Result<TcpStream, Error> {
        let mut last = Error::Dns {
            host: host.to_string(),
            source: io::Error::new(io::ErrorKind::NotFound, "no address for the host"),
        };
        for addr in addrs {
            match TcpStream::connect_timeout(*addr, self.connect_timeout).await {
                Ok(stream) => return Ok(stream),
                Err(source) => {
                    last = Error::Connect {
                        addr: format!("{addr} ({host}:{port})"),
                        source,
                    }
                }
            }
        }
        Err(last)
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = Io<Conn>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Io<Conn>, Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().connect(uri))
    }
}

/// A connection the connector made: plain TCP or TLS over it. Its tokio
/// I/O traits pick the side; hyper reads and writes it through the one
/// adapter, [`Io`].
pub(super) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Runs `$body` with `$stream` pinned to whichever stream the connection is.
macro_rules! either {
    ($conn:expr, $stream:ident => $body:expr) => {
        match $conn {
            Conn::Plain(stream) => {
                let $stream = Pin::new(stream);
                $body
            }
            Conn::Tls(stream) => {
                let $stream = Pin::new(&mut **stream);
                $body
            }
        }
    };
}

impl Connection for Io<Conn> {
    fn connected(&self) -> Connected {
        match self.get_ref() {
            Conn::Tls(stream) if stream.get_ref().1.alpn_protocol() == Some(b"h2") => {
                Connected::new().negotiated_h2()
            }
            _ => Connected::new(),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        either!(self.get_mut(), stream => stream.poll_read(cx, buf))
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        either!(self.get_mut(), stream => stream.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        either!(self.get_mut(), stream => stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(stream) => stream.is_write_vectored(),
            Conn::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self.get_mut(), stream => stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self.get_mut(), stream => stream.poll_shutdown(cx))
    }
}
