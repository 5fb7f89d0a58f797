//! A whole landscape on one machine: the stub bizplay gateway and the stub SAP system started
//! in-process on free loopback ports, and a bizsap configuration pointing at them. `bizsap
//! demo` and the end-to-end tests run the real pipeline against it.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bizplay::{StubBizplay, StubBizplayConfig};
use super::sap::{MasterData, StubOptions, StubSap, StubSapServer};
use crate::config::{
    BizplayConfig, Config, DeliveryConfig, IdocConfig, RfcConfig, ScheduleConfig, ServerConfig,
    TargetConfig,
};
use crate::net::HttpSettings;
use crate::secret::Secret;
use crate::serve::Served;

/// The bundled example month, a 0411A response body.
pub const EXAMPLE_RECEIPTS: &str = include_str!("../../examples/bizplay-0411A.json");
/// The bundled mapping rules for the example company.
pub const EXAMPLE_RULES: &str = include_str!("../../examples/rules.toml");
/// The bundled stub SAP master data.
pub const EXAMPLE_MASTER_DATA: &str = include_str!("../../examples/sap-master-data.toml");

/// The example company's business number and ORG_CD.
pub const ORG_CD: &str = "2148612345";
/// The stub gateway's API key; a test value, not a secret.
pub const API_KEY: &str = "stub-api-key";
/// Users and password of the example master data.
pub const RFC_USER: &str = "BIZSAP";
pub const IDOC_USER: &str = "BIZSAP_IDOC";
pub const PASSWORD: &str = "stub-password";

/// Which transport a configuration uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Rfc,
    Idoc,
}

/// The running stubs.
pub struct Landscape {
    pub sap: StubSapServer,
    pub bizplay: StubBizplay,
    bizplay_served: Served,
}

impl Landscape {
    /// Starts both stubs with the bundled example data.
    pub async fn start() -> io::Result<Landscape> {
        let master = MasterData::parse(EXAMPLE_MASTER_DATA, Path::new("sap-master-data.toml"))
            .map_err(io::Error::other)?;
        Landscape::start_with(EXAMPLE_RECEIPTS, master, StubOptions::default()).await
    }

    /// Starts both stubs with these receipts (a 0411A body) and this SAP system.
    pub async fn start_with(
        receipts: &str,
        master: MasterData,
        options: StubOptions,
    ) -> io::Result<Landscape> {
        let sap = StubSap::new(master, options).map_err(io::Error::other)?;
        let sap = StubSapServer::start_local(sap).await?;
        let config = StubBizplayConfig {
            org_cd: ORG_CD.into(),
            api_key: API_KEY.into(),
        };
        let bizplay = StubBizplay::from_response(config, receipts).map_err(io::Error::other)?;
        let local = SocketAddr::from(([127, 0, 0, 1], 0));
        let bizplay_served = Served::start(local, bizplay.router()).await?;
        Ok(Landscape {
            sap,
            bizplay,
            bizplay_served,
        })
    }

    /// Replaces the SAP system, as when SAP is restarted with changed customising (a posting
    /// period opened in OB52): the new system comes up on new ports, so configurations must
    /// be made again.
    pub async fn restart_sap(
        &mut self,
        master: MasterData,
        options: StubOptions,
    ) -> io::Result<()> {
        let sap = StubSap::new(master, options).map_err(io::Error::other)?;
        let replacement = StubSapServer::start_local(sap).await?;
        std::mem::replace(&mut self.sap, replacement)
            .shutdown()
            .await
    }

    /// The stub gateway's URL.
    pub fn bizplay_url(&self) -> String {
        format!("http://{}/gateway.do", self.bizplay_served.addr())
    }

    /// A configuration for this landscape: the journal and rules at the given paths, the
    /// schedule reaching back `lookback_days`.
    pub fn config(
        &self,
        transport: Transport,
        journal: &Path,
        rules: &Path,
        lookback_days: u32,
    ) -> io::Result<Config> {
        let target = match transport {
            Transport::Rfc => {
                let library = stub_library().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!(
                            "the stub {} was not found beside this program; build the \
                             workspace with cargo",
                            sapnwrfc_sys::LIBRARY_FILE
                        ),
                    )
                })?;
                let rfc = self.sap.rfc_addr();
                let parameters = BTreeMap::from([
                    ("ashost".to_owned(), rfc.ip().to_string()),
                    ("gwserv".to_owned(), rfc.port().to_string()),
                    (
                        "client".to_owned(),
                        self.sap.sap().master_data().system.client.clone(),
                    ),
                    ("user".to_owned(), RFC_USER.to_owned()),
                    ("lang".to_owned(), "EN".to_owned()),
                ]);
                TargetConfig::Rfc(RfcConfig {
                    library_dir: library,
                    parameters,
                    password: Secret::new(PASSWORD),
                    connections: 4,
                    call_timeout: Duration::from_secs(30),
                    ini_dir: None,
                })
            }
            Transport::Idoc => TargetConfig::Idoc(IdocConfig {
                url: format!("http://{}", self.sap.http_addr()),
                client: self.sap.sap().master_data().system.client.clone(),
                user: IDOC_USER.to_owned(),
                password: Secret::new(PASSWORD),
                packet_size: 20,
                partners: BTreeMap::new(),
                poll_interval: Duration::from_millis(5),
                poll_timeout: Duration::from_secs(10),
                schema_file: None,
                status_path: None,
                http: HttpSettings::default(),
            }),
        };
        Ok(Config {
            bizplay: BizplayConfig {
                url: self.bizplay_url(),
                org_cd: ORG_CD.to_owned(),
                biz_no: ORG_CD.to_owned(),
                api_key: Secret::new(API_KEY),
                page_size: 100,
                http: HttpSettings::default(),
            },
            target,
            journal: journal.to_owned(),
            schedule: ScheduleConfig {
                cron: "*/15 * * * *".to_owned(),
                lookback_days,
            },
            rules: rules.to_owned(),
            server: ServerConfig { listen: None },
            delivery: DeliveryConfig {
                concurrency: 8,
                max_attempts: 5,
                retry_delay: Duration::from_millis(100),
            },
        })
    }

    /// Stops both stubs.
    pub async fn shutdown(self) -> io::Result<()> {
        self.bizplay_served.shutdown().await?;
        self.sap.shutdown().await
    }
}

/// The stub `libsapnwrfc` cargo built beside this program (or beside a test binary).
pub fn stub_library() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [
        dir.to_path_buf(),
        dir.join("deps"),
        dir.parent()?.to_path_buf(),
    ]
    .into_iter()
    .find(|candidate| candidate.join(sapnwrfc_sys::LIBRARY_FILE).is_file())
}
