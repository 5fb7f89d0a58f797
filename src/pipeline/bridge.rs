//! A configured bridge: everything one pass needs, built from the configuration.

use std::future::Future;

use super::{Pipeline, SyncError, SyncReport, SyncSettings};
use crate::bizplay::client::{GatewayClient, GatewayError, GatewaySettings, RetryPolicy};
use crate::config::{Config, TargetConfig};
use crate::journal::{Journal, JournalError};
use crate::mapping::{Rules, RulesError};
use crate::sap::bapi::Sender;
use crate::sap::{SapTarget, TargetSetupError};

/// Rules, bizplay client and SAP target, ready for passes.
pub struct Bridge {
    pub config: Config,
    pub rules: Rules,
    pub bizplay: GatewayClient,
    pub target: SapTarget,
    /// Draw a progress line while delivering; on by default when standard error is a
    /// terminal.
    pub progress: bool,
}

/// A bridge that cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Bizplay(#[from] GatewayError),
    #[error(transparent)]
    Target(#[from] TargetSetupError),
    #[error("cannot open the journal {path}: {source}")]
    Journal {
        path: String,
        #[source]
        source: JournalError,
    },
}

impl Bridge {
    pub fn new(config: Config) -> Result<Bridge, BridgeError> {
        let rules = Rules::load(&config.rules)?;
        let bizplay = GatewayClient::new(GatewaySettings {
            url: config.bizplay.url.clone(),
            org_cd: config.bizplay.org_cd.clone(),
            biz_no: config.bizplay.biz_no.clone(),
            api_key: config.bizplay.api_key.clone(),
            page_size: config.bizplay.page_size,
            http: config.bizplay.http.clone(),
            retry: RetryPolicy::default(),
        })?;
        let target = SapTarget::new(&config.target, Sender::default())?;
        let progress = super::progress_wanted();
        Ok(Bridge {
            config,
            rules,
            bizplay,
            target,
            progress,
        })
    }

    /// How a pass runs with this configuration.
    pub fn settings(&self) -> SyncSettings {
        // An IDoc packet is one request: hand the target at least a packet's worth at a time.
        let concurrency = match &self.config.target {
            TargetConfig::Idoc(idoc) => self.config.delivery.concurrency.max(idoc.packet_size),
            TargetConfig::Rfc(_) => self.config.delivery.concurrency,
        };
        SyncSettings {
            lookback_days: self.config.schedule.lookback_days,
            concurrency,
            max_attempts: self.config.delivery.max_attempts,
            retry_delay: self.config.delivery.retry_delay,
            progress: self.progress,
        }
    }

    /// Opens the journal the configuration names.
    pub fn journal(&self) -> Result<Journal, BridgeError> {
        let path = &self.config.journal;
        Journal::open(path).map_err(|source| BridgeError::Journal {
            path: path.display().to_string(),
            source,
        })
    }

    /// One pass as of `today`, stopping early (after documents in flight) when `stop`
    /// completes.
    pub async fn pass(
        &self,
        today: jiff::civil::Date,
        stop: impl Future<Output = ()>,
    ) -> Result<SyncReport, PassError> {
        let mut journal = self.journal()?;
        let mut pipeline = Pipeline {
            journal: &mut journal,
            bizplay: &self.bizplay,
            rules: &self.rules,
            target: &self.target,
            settings: self.settings(),
        };
        Ok(pipeline.sync_until(today, stop).await?)
    }
}

/// A pass that could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Setup(#[from] BridgeError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}
