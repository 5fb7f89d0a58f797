//! Outbound HTTP: one way to build a client for bizplay's gateway and for SAP's ICF services.
//!
//! bizsap only dials out, often through a corporate proxy and past a TLS-inspecting firewall
//! with its own CA. So every client trusts the system's roots plus an optional CA file, takes
//! its proxy from the configuration or, failing that, from the usual environment variables,
//! and has both a connect and a whole-request timeout: a stalled peer costs a bounded wait.

use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

/// Connection settings shared by every outbound HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// `http://proxy:3128`; `None` uses `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`.
    pub proxy: Option<String>,
    /// A PEM file with extra CA certificates, trusted besides the system's.
    pub ca_file: Option<PathBuf>,
}

impl Default for HttpSettings {
    fn default() -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            proxy: None,
            ca_file: None,
        }
    }
}

/// A client that cannot be built from the settings.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("cannot read CA file {file}: {source}")]
    CaFile {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("CA file {file} holds no usable PEM certificate: {source}")]
    CaPem {
        file: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("proxy \"{proxy}\" is not a valid URL: {source}")]
    Proxy {
        proxy: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

static CRYPTO: Once = Once::new();

impl HttpSettings {
    /// Builds a client with these settings.
    pub fn client(&self) -> Result<reqwest::Client, HttpSetupError> {
        // rustls needs one process-wide crypto provider; ring is small and builds everywhere.
        CRYPTO.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .user_agent(concat!("bizsap/", env!("CARGO_PKG_VERSION")));
        if let Some(file) = &self.ca_file {
            let name = file.display().to_string();
            let pem = std::fs::read(file).map_err(|source| HttpSetupError::CaFile {
                file: name.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|source| HttpSetupError::CaPem { file: name, source })?;
            builder = builder.tls_certs_merge(certs);
        }
        if let Some(proxy) = &self.proxy {
            let parsed = reqwest::Proxy::all(proxy).map_err(|source| HttpSetupError::Proxy {
                proxy: proxy.clone(),
                source,
            })?;
            builder = builder.proxy(parsed);
        }
        builder.build().map_err(HttpSetupError::Build)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_build_a_client() {
        assert!(HttpSettings::default().client().is_ok());
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let settings = HttpSettings {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..HttpSettings::default()
        };
        let error = settings.client().unwrap_err().to_string();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn a_bad_proxy_is_named() {
        let settings = HttpSettings {
            proxy: Some("::not a url".into()),
            ..HttpSettings::default()
        };
        assert!(
            settings
                .client()
                .unwrap_err()
                .to_string()
                .contains("::not a url")
        );
    }
}
