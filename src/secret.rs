//! Secrets (the SAP password, the bizplay API key): held so they cannot leak by accident.
//!
//! A [`Secret`] prints as `***` in `Debug`, has no `Display`, and is not serialisable; the
//! value is reached only through [`Secret::expose`], at the one place that sends it.

use std::fmt;
use std::path::Path;

/// A secret value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Where a secret could not be read from; names the place, never the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    #[error("cannot read secret file {file}: {source}")]
    File {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is empty")]
    Empty(String),
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// Reads the secret from an environment variable.
    pub fn from_env(name: &str) -> Result<Secret, SecretError> {
        let value = std::env::var(name).map_err(|_| SecretError::MissingEnv(name.to_owned()))?;
        Secret::non_empty(value, || format!("environment variable {name}"))
    }

    /// Reads the secret from a file; a trailing line break is not part of it.
    pub fn from_file(path: &Path) -> Result<Secret, SecretError> {
        let file = path.display().to_string();
        let value = std::fs::read_to_string(path).map_err(|source| SecretError::File {
            file: file.clone(),
            source,
        })?;
        Secret::non_empty(value.trim_end_matches(['\r', '\n']).to_owned(), || file)
    }

    fn non_empty(value: String, place: impl FnOnce() -> String) -> Result<Secret, SecretError> {
        if value.is_empty() {
            Err(SecretError::Empty(place()))
        } else {
            Ok(Secret(value))
        }
    }

    /// The value, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn a_file_secret_loses_its_line_break_and_errors_name_the_place() {
        let path = std::env::temp_dir().join(format!("bizsap-secret-{}", std::process::id()));
        std::fs::write(&path, "s3cret\n").unwrap();
        assert_eq!(Secret::from_file(&path).unwrap().expose(), "s3cret");
        std::fs::write(&path, "\n").unwrap();
        let error = Secret::from_file(&path).unwrap_err().to_string();
        assert!(
            error.contains(&path.display().to_string()) && error.contains("empty"),
            "{error}"
        );
        std::fs::remove_file(&path).unwrap();
        let missing = Secret::from_env("BIZSAP_TEST_NO_SUCH_VARIABLE").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "environment variable BIZSAP_TEST_NO_SUCH_VARIABLE is not set"
        );
    }
}
