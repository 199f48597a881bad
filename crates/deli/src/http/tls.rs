//! TLS through rustls (with the `ring` provider): [`TlsConfig`] for a
//! server (a certificate chain and key, from PEM files or bytes) and the
//! client's root store (the system's roots plus any the caller adds).
//! Owns building rustls configurations; may call [`super::error`].

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::error::Error;

/// ALPN names, best first: HTTP/2, then HTTP/1.1.
pub(crate) const ALPN_H2_AND_H1: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The TLS side of a server: its certificate chain and private key.
///
/// # Examples
///
/// ```
/// let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let tls = deli::http::TlsConfig::from_pem(
///     certified.cert.pem().as_bytes(),
///     certified.key_pair.serialize_pem().as_bytes(),
/// )
/// .unwrap();
/// # drop(tls);
/// ```
#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub(crate) server: Arc<rustls::ServerConfig>,
}

impl TlsConfig {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1) from two files.
    ///
    /// # Errors
    ///
    /// [`Error::TlsConfig`] if a file cannot be read, holds no certificate
    /// or key, or the key does not fit the certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// let missing = deli::http::TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem");
    /// assert!(matches!(missing, Err(deli::http::Error::TlsConfig(_))));
    /// ```
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<TlsConfig, Error> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|error| {
                Error::TlsConfig(format!("cannot read {}: {error}", path.display()))
            })
        };
        TlsConfig::from_pem(&read(cert_chain.as_ref())?, &read(private_key.as_ref())?)
    }

    /// As [`TlsConfig::from_pem_files`], from the files' contents.
    ///
    /// # Errors
    ///
    /// As [`TlsConfig::from_pem_files`].
    ///
    /// # Examples
    ///
    /// ```
    /// let wrong = deli::http::TlsConfig::from_pem(b"not pem", b"not pem");
    /// assert!(wrong.is_err());
    /// ```
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> Result<TlsConfig, Error> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| Error::TlsConfig(format!("certificate chain: {error}")))?;
        if certs.is_empty() {
            return Err(Error::TlsConfig("no certificate in the chain".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(private_key)
            .map_err(|error| Error::TlsConfig(format!("private key: {error}")))?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|error| Error::TlsConfig(error.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|error| Error::TlsConfig(error.to_string()))?;
        config.alpn_protocols = ALPN_H2_AND_H1.iter().map(|name| name.to_vec()).collect();
        Ok(TlsConfig {
            server: Arc::new(config),
        })
    }

    /// A rustls server configuration built elsewhere, used as it is (set its
    /// `alpn_protocols` to offer HTTP/2).
    ///
    /// # Examples
    ///
    /// ```
    /// # let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let tls = deli::http::TlsConfig::from_pem(
    /// #     certified.cert.pem().as_bytes(),
    /// #     certified.key_pair.serialize_pem().as_bytes(),
    /// # ).unwrap();
    /// let again = deli::http::TlsConfig::from_rustls(tls.rustls());
    /// # drop(again);
    /// ```
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> TlsConfig {
        TlsConfig { server: config }
    }

    /// The rustls configuration inside.
    ///
    /// # Examples
    ///
    /// See [`TlsConfig::from_rustls`].
    pub fn rustls(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.server)
    }
}

/// rustls' `ring` provider: the one this crate builds (no C toolchain
/// beyond `cc`, unlike aws-lc-rs).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client's roots: the system's, where it has any, and `extra` (PEM).
pub(crate) fn client_config(
    extra_roots: &[CertificateDer<'static>],
    system_roots: bool,
    alpn: &[&[u8]],
) -> Result<Arc<rustls::ClientConfig>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    if system_roots {
        // A system without a certificate store still serves the extra roots.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
    }
    for cert in extra_roots {
        roots
            .add(cert.clone())
            .map_err(|error| Error::TlsConfig(format!("root certificate: {error}")))?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::TlsConfig(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|name| name.to_vec()).collect();
    Ok(Arc::new(config))
}

/// Parses PEM certificates (for the client's extra roots).
pub(crate) fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| Error::TlsConfig(format!("root certificate: {error}")))?;
    if certs.is_empty() {
        return Err(Error::TlsConfig("no certificate in the PEM".into()));
    }
    Ok(certs)
}
