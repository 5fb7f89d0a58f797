//! The configuration file: one TOML file for a Basis engineer.
//!
//! Secrets never appear in it: each secret is named by an environment variable (`*_env`) or a
//! file (`*_file`) and read at start, so the file can be checked into a configuration
//! repository. Relative paths are relative to the configuration file. Every error names the
//! file, the line and the key. `docs/configuration.md` documents every key with a complete
//! example.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::mapping::rules::locate;
use crate::net::HttpSettings;
use crate::secret::Secret;

/// The whole configuration, read and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub bizplay: BizplayConfig,
    pub target: TargetConfig,
    pub journal: PathBuf,
    pub schedule: ScheduleConfig,
    pub rules: PathBuf,
    pub server: ServerConfig,
    pub delivery: DeliveryConfig,
}

#[derive(Debug, Clone)]
pub struct BizplayConfig {
    pub url: String,
    pub org_cd: String,
    pub biz_no: String,
    pub api_key: Secret,
    pub page_size: u32,
    pub http: HttpSettings,
}

/// Which transport delivers to SAP.
#[derive(Debug, Clone)]
pub enum TargetConfig {
    Rfc(RfcConfig),
    Idoc(IdocConfig),
}

#[derive(Debug, Clone)]
pub struct RfcConfig {
    /// Directory holding SAP's `libsapnwrfc` (and its ICU libraries).
    pub library_dir: PathBuf,
    /// Connection parameters as SAP names them: `ashost`, `sysnr`, `client`, `user`, `lang`,
    /// `dest`, `mshost`, `group`, `saprouter`, `snc_*` ... passed through unchanged.
    pub parameters: BTreeMap<String, String>,
    pub password: Secret,
    /// Connections, each owned by one worker thread.
    pub connections: usize,
    pub call_timeout: Duration,
    /// The directory of `sapnwrfc.ini`, for a `dest` parameter.
    pub ini_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct IdocConfig {
    /// The system's ICF base URL, e.g. `https://sap.example.com:44300`.
    pub url: String,
    pub client: String,
    pub user: String,
    pub password: Secret,
    /// IDocs per HTTP request.
    pub packet_size: usize,
    /// EDI_DC40 partner fields, by SAP field name (SNDPOR, SNDPRT, SNDPRN, RCVPOR, RCVPRT,
    /// RCVPRN); the documented defaults fill the rest.
    pub partners: BTreeMap<String, String>,
    pub poll_interval: Duration,
    pub poll_timeout: Duration,
    /// A WE60 XML schema export to validate against instead of the bundled definitions.
    pub schema_file: Option<PathBuf>,
    /// The service that answers IDoc statuses by message id; SAP has no standard one, so a
    /// small ICF service answers it on a real system (see `docs/basis.md`).
    pub status_path: Option<String>,
    pub http: HttpSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// When `bizsap run` syncs, as a five-field cron expression.
    pub cron: String,
    /// How many days back the processed-date window reaches.
    pub lookback_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where `bizsap run` serves health, metrics and status; none when absent.
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Documents in flight at once (RFC: at most the number of connections).
    pub concurrency: usize,
    /// Sends of one document before it is left for a person.
    pub max_attempts: u32,
    /// Wait before the first retry; doubles with each attempt.
    pub retry_delay: Duration,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bizplay: BizplayFile,
    sap: Spanned<SapFile>,
    journal: JournalFile,
    #[serde(default)]
    schedule: ScheduleFile,
    rules: RulesFile,
    #[serde(default)]
    server: ServerFile,
    #[serde(default)]
    delivery: DeliveryFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BizplayFile {
    url: String,
    org_cd: String,
    #[serde(default)]
    biz_no: Option<String>,
    #[serde(default)]
    api_key_env: Option<Spanned<String>>,
    #[serde(default)]
    api_key_file: Option<Spanned<String>>,
    #[serde(default = "default_page_size")]
    page_size: u32,
    #[serde(default)]
    connect_timeout_secs: Option<u64>,
    #[serde(default)]
    request_timeout_secs: Option<u64>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
}

fn default_page_size() -> u32 {
    100
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SapFile {
    #[serde(default)]
    rfc: Option<RfcFile>,
    #[serde(default)]
    idoc: Option<IdocFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RfcFile {
    library_dir: String,
    #[serde(default)]
    password_env: Option<Spanned<String>>,
    #[serde(default)]
    password_file: Option<Spanned<String>>,
    #[serde(default = "default_connections")]
    connections: usize,
    #[serde(default = "default_call_timeout")]
    call_timeout_secs: u64,
    #[serde(default)]
    ini_dir: Option<String>,
    parameters: BTreeMap<String, String>,
}

fn default_connections() -> usize {
    4
}

fn default_call_timeout() -> u64 {
    120
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdocFile {
    url: String,
    client: String,
    user: String,
    #[serde(default)]
    password_env: Option<Spanned<String>>,
    #[serde(default)]
    password_file: Option<Spanned<String>>,
    #[serde(default = "default_packet_size")]
    packet_size: usize,
    #[serde(default)]
    partners: BTreeMap<String, String>,
    #[serde(default = "default_poll_interval")]
    poll_interval_ms: u64,
    #[serde(default = "default_poll_timeout")]
    poll_timeout_secs: u64,
    #[serde(default)]
    schema_file: Option<String>,
    #[serde(default)]
    status_path: Option<String>,
    #[serde(default)]
    connect_timeout_secs: Option<u64>,
    #[serde(default)]
    request_timeout_secs: Option<u64>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
}

fn default_packet_size() -> usize {
    20
}

fn default_poll_interval() -> u64 {
    500
}

fn default_poll_timeout() -> u64 {
    300
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalFile {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    #[serde(default = "default_cron")]
    cron: Spanned<String>,
    #[serde(default = "default_lookback")]
    lookback_days: u32,
}

impl Default for ScheduleFile {
    fn default() -> ScheduleFile {
        ScheduleFile {
            cron: default_cron(),
            lookback_days: default_lookback(),
        }
    }
}

fn default_cron() -> Spanned<String> {
    Spanned::new(0..0, "*/15 * * * *".to_owned())
}

fn default_lookback() -> u32 {
    7
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    path: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    #[serde(default)]
    listen: Option<SocketAddr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryFile {
    #[serde(default = "default_concurrency")]
    concurrency: usize,
    #[serde(default = "default_attempts")]
    max_attempts: u32,
    #[serde(default = "default_retry_delay")]
    retry_delay_secs: u64,
}

impl Default for DeliveryFile {
    fn default() -> DeliveryFile {
        DeliveryFile {
            concurrency: default_concurrency(),
            max_attempts: default_attempts(),
            retry_delay_secs: default_retry_delay(),
        }
    }
}

fn default_concurrency() -> usize {
    4
}

fn default_attempts() -> u32 {
    8
}

fn default_retry_delay() -> u64 {
    30
}

/// Whether the secrets a configuration names are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Read them: the command talks to bizplay or SAP.
    Read,
    /// Leave them empty: the command only looks at the journal (`status`, `retry`).
    Skip,
}

impl Config {
    /// Reads the configuration file and, unless skipped, the secrets it names.
    pub fn load(path: &Path, secrets: Secrets) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&source, &file, base, secrets)
    }

    /// Reads a configuration from `source`; `file` names it in errors and relative paths are
    /// resolved against `base`.
    pub fn parse(
        source: &str,
        file: &str,
        base: &Path,
        secrets: Secrets,
    ) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: String| {
            let (line, key) = locate(source, offset);
            ConfigError::Invalid {
                file: file.to_owned(),
                line,
                key,
                message,
            }
        };
        let raw: FileConfig = toml::from_str(source).map_err(|error| {
            invalid(
                error.span().map_or(0, |s| s.start),
                error.message().trim().to_owned(),
            )
        })?;
        let path = |p: &str| base.join(p);
        let secret =
            |env: &Option<Spanned<String>>, file: &Option<Spanned<String>>, what: &str| match (
                env, file,
            ) {
                (Some(_), None) | (None, Some(_)) if secrets == Secrets::Skip => {
                    Ok(Secret::new(""))
                }
                (Some(env), None) => Secret::from_env(env.get_ref())
                    .map_err(|e| invalid(env.span().start, e.to_string())),
                (None, Some(name)) => Secret::from_file(&path(name.get_ref()))
                    .map_err(|e| invalid(name.span().start, e.to_string())),
                (Some(env), Some(_)) => Err(invalid(
                    env.span().start,
                    format!("give the {what} by {what}_env or {what}_file, not both"),
                )),
                (None, None) => Err(invalid(
                    0,
                    format!("no {what}: set {what}_env (a variable) or {what}_file (a file)"),
                )),
            };

        let sap_span = raw.sap.span().start;
        let sap = raw.sap.into_inner();
        let target = match (sap.rfc, sap.idoc) {
            (Some(rfc), None) => TargetConfig::Rfc(RfcConfig {
                library_dir: path(&rfc.library_dir),
                password: secret(&rfc.password_env, &rfc.password_file, "password")?,
                connections: rfc.connections.max(1),
                call_timeout: Duration::from_secs(rfc.call_timeout_secs),
                ini_dir: rfc.ini_dir.as_deref().map(path),
                parameters: rfc.parameters,
            }),
            (None, Some(idoc)) => TargetConfig::Idoc(IdocConfig {
                password: secret(&idoc.password_env, &idoc.password_file, "password")?,
                http: http_settings(
                    [idoc.connect_timeout_secs, idoc.request_timeout_secs],
                    idoc.proxy.clone(),
                    idoc.ca_file.as_deref().map(path),
                ),
                url: idoc.url.trim_end_matches('/').to_owned(),
                client: idoc.client,
                user: idoc.user,
                packet_size: idoc.packet_size.max(1),
                partners: idoc.partners,
                poll_interval: Duration::from_millis(idoc.poll_interval_ms),
                poll_timeout: Duration::from_secs(idoc.poll_timeout_secs),
                schema_file: idoc.schema_file.as_deref().map(path),
                status_path: idoc.status_path,
            }),
            _ => {
                let message = "configure exactly one of [sap.rfc] and [sap.idoc]".to_owned();
                return Err(invalid(sap_span, message));
            }
        };
        let cron = raw.schedule.cron;
        crate::schedule::Cron::parse(cron.get_ref())
            .map_err(|message| invalid(cron.span().start, message))?;

        Ok(Config {
            bizplay: BizplayConfig {
                api_key: secret(
                    &raw.bizplay.api_key_env,
                    &raw.bizplay.api_key_file,
                    "api_key",
                )?,
                http: http_settings(
                    [
                        raw.bizplay.connect_timeout_secs,
                        raw.bizplay.request_timeout_secs,
                    ],
                    raw.bizplay.proxy.clone(),
                    raw.bizplay.ca_file.as_deref().map(path),
                ),
                biz_no: raw
                    .bizplay
                    .biz_no
                    .unwrap_or_else(|| raw.bizplay.org_cd.clone()),
                url: raw.bizplay.url,
                org_cd: raw.bizplay.org_cd,
                page_size: raw.bizplay.page_size.clamp(1, 999),
            },
            target,
            journal: path(&raw.journal.path),
            schedule: ScheduleConfig {
                cron: cron.into_inner(),
                lookback_days: raw.schedule.lookback_days,
            },
            rules: path(&raw.rules.path),
            server: ServerConfig {
                listen: raw.server.listen,
            },
            delivery: DeliveryConfig {
                concurrency: raw.delivery.concurrency.max(1),
                max_attempts: raw.delivery.max_attempts.max(1),
                retry_delay: Duration::from_secs(raw.delivery.retry_delay_secs),
            },
        })
    }
}

/// HTTP settings from `[connect_timeout_secs, request_timeout_secs]`, proxy and CA file.
fn http_settings(
    [connect, request]: [Option<u64>; 2],
    proxy: Option<String>,
    ca_file: Option<PathBuf>,
) -> HttpSettings {
    let defaults = HttpSettings::default();
    HttpSettings {
        connect_timeout: connect.map_or(defaults.connect_timeout, Duration::from_secs),
        request_timeout: request.map_or(defaults.request_timeout, Duration::from_secs),
        proxy,
        ca_file,
    }
}

#[cfg(test)]
mod tests;
