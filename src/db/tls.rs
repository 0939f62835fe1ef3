//! The `--ssl-ca` file, checked before any connection: a missing file or one
//! without a certificate is the file's fault, and is said so (the driver
//! would report it as a broken handshake). Its kind and size are checked by
//! the shared bounded reader (`crate::input`), which also reads it here.

use crate::error::hinted;
use crate::input::{self, Kind};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Checks `path` once per run (later connections reuse the verdict): a regular
/// file within the CA file limit holding at least one certificate (PEM, or one
/// DER certificate as the driver also accepts).
pub fn check_ca_file(path: &Path) -> Result<()> {
    static CHECKED: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    let checked = CHECKED.get_or_init(Default::default);
    if checked
        .lock()
        .map(|c| c.iter().any(|p| p == path))
        .unwrap_or(false)
    {
        return Ok(());
    }
    let (bytes, _) = input::read(path, Kind::CaCertificates).map_err(|e| e.into_anyhow())?;
    certificates(&bytes).map_err(|problem| {
        hinted(
            format!(
                "the {} {} {problem}",
                Kind::CaCertificates.what(),
                path.display()
            ),
            "give --ssl-ca the CA certificate that signed the server's certificate, as a PEM file \
             (-----BEGIN CERTIFICATE-----): the server's ssl_ca file or the provider's CA bundle",
        )
    })?;
    if let Ok(mut c) = checked.lock() {
        c.push(path.to_path_buf());
    }
    Ok(())
}

/// The certificates in a CA file, checked as trust anchors the way the
/// driver loads them, or what is wrong with the file.
pub fn certificates(bytes: &[u8]) -> Result<usize, String> {
    use rustls::pki_types::CertificateDer;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("is empty".into());
    }
    let mut certs = Vec::new();
    for item in rustls_pemfile::certs(&mut &*bytes) {
        certs.push(item.map_err(|e| format!("holds a broken PEM certificate ({e})"))?);
    }
    let pem = !certs.is_empty();
    if !pem {
        let text = bytes
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
        if text {
            return Err(
                "holds no certificate (no -----BEGIN CERTIFICATE----- block); a private key or \
                 another PEM object is not a CA certificate"
                    .into(),
            );
        }
        certs.push(CertificateDer::from(bytes.to_vec()));
    }
    let mut store = rustls::RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(|e| {
            if pem {
                format!("holds a certificate that cannot be parsed ({e})")
            } else {
                format!("is neither PEM nor a DER certificate ({e})")
            }
        })?;
    }
    Ok(store.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_certificate_is_named() {
        let err = |b: &[u8]| certificates(b).unwrap_err();
        assert!(err(b"").contains("is empty"));
        assert!(err(b" \n").contains("empty"));
        assert!(err(b"hello world\n").contains("no certificate"));
        assert!(
            err(b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
                .contains("no certificate")
        );
        assert!(err(b"\x00\x01\x02garbage").contains("neither PEM nor a DER"));
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(err(broken).contains("cannot be parsed"), "{}", err(broken));
    }
}
