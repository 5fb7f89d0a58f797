//! Delivery to SAP: the two transports and the BAPI form of a posting they share.
//!
//! RFC calls BAPI_ACC_DOCUMENT_POST with the tables of [`bapi`]; the ACC_DOCUMENT IDoc carries
//! the same structures as segments (E1BPACHE09 is BAPIACHE09, and so on). Building them in one
//! place means both transports send the same document, field for field. [`SapTarget`] is the
//! transport the configuration names.

pub mod bapi;
pub mod idoc;
pub mod rfc;

use crate::config::TargetConfig;
use crate::pipeline::{Delivery, SendOutcome, Target};
use crate::posting::Posting;

/// The configured transport.
pub enum SapTarget {
    Rfc(rfc::RfcTarget),
    Idoc(Box<idoc::IdocTarget>),
}

/// A transport that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TargetSetupError {
    #[error(transparent)]
    Rfc(#[from] rfc::RfcTargetError),
    #[error(transparent)]
    Idoc(#[from] idoc::IdocTargetError),
}

impl SapTarget {
    pub fn new(config: &TargetConfig, sender: bapi::Sender) -> Result<SapTarget, TargetSetupError> {
        Ok(match config {
            TargetConfig::Rfc(rfc) => SapTarget::Rfc(rfc::RfcTarget::new(
                rfc::RfcSettings::from_config(rfc, sender),
            )?),
            TargetConfig::Idoc(idoc) => {
                SapTarget::Idoc(Box::new(idoc::IdocTarget::new(idoc, sender)?))
            }
        })
    }

    /// `rfc` or `idoc`, for logs and summaries.
    pub fn name(&self) -> &'static str {
        match self {
            SapTarget::Rfc(_) => "rfc",
            SapTarget::Idoc(_) => "idoc",
        }
    }
}

impl Target for SapTarget {
    async fn deliver(&self, batch: Vec<Delivery>) -> Vec<SendOutcome> {
        match self {
            SapTarget::Rfc(target) => target.deliver(batch).await,
            SapTarget::Idoc(target) => target.deliver(batch).await,
        }
    }

    async fn lookup(&self, posting: &Posting) -> Result<Option<String>, String> {
        match self {
            SapTarget::Rfc(target) => target.lookup(posting).await,
            SapTarget::Idoc(target) => target.lookup(posting).await,
        }
    }
}
