//! The whole bridge over real sockets: stub bizplay → pipeline → stub SAP and back, through
//! both transports.

mod sync_support;

use bizsap::bizplay::client::GatewayError;
use bizsap::journal::State;
use bizsap::pipeline::{PassError, SyncError};
use bizsap::stub::landscape::{Landscape, Transport};
use std::future::pending;
use sync_support::{
    MID_MONTH, MONTH_END, TempDir, booked, bridge, documents_per_reference, example_total,
};

async fn the_month_through(transport: Transport, page: u32) {
    let landscape = Landscape::start().await.unwrap();
    let dir = TempDir::new(&format!("month-{transport:?}-{page}"));
    let bridge = bridge(&landscape, &dir, transport, page);

    let first = bridge.pass(MID_MONTH, pending()).await.unwrap();
    let second = bridge.pass(MONTH_END, pending()).await.unwrap();
    assert_eq!(
        first.held + first.rejected + second.held + second.rejected,
        0
    );
    assert_eq!(
        first.pulled + second.pulled,
        296,
        "every approved receipt, once"
    );

    // One document per receipt; the six cancellations reverse theirs.
    let documents = documents_per_reference(&landscape);
    assert_eq!(documents.len(), 290);
    assert!(
        documents.values().all(|count| *count == 1),
        "no document twice"
    );
    let totals = landscape.sap.sap().totals();
    assert_eq!(totals.reversed, 6);
    assert_eq!(booked(&landscape), example_total());

    // bizplay was told: every posted receipt has its document number and is closed.
    let gateway = landscape.bizplay.summary();
    assert_eq!(gateway.document_numbers, 296);
    assert_eq!(gateway.closed, 296);
    assert_eq!(gateway.failures, 0);

    // A third pass finds nothing new and sends nothing.
    let again = bridge.pass(MONTH_END, pending()).await.unwrap();
    assert_eq!((again.pulled, again.posted), (0, 0));
    assert_eq!(landscape.sap.sap().documents().len(), 296);
    let journal = bridge.journal().unwrap();
    let counts = journal.counts().unwrap();
    assert_eq!(counts, [(State::Posted, 290), (State::Reversed, 6)]);
}

#[tokio::test]
async fn the_example_month_posts_once_over_rfc() {
    the_month_through(Transport::Rfc, 100).await;
}

#[tokio::test]
async fn the_example_month_posts_once_over_idoc_xml() {
    the_month_through(Transport::Idoc, 100).await;
}

#[tokio::test]
async fn paging_across_many_pages_loses_and_doubles_nothing() {
    the_month_through(Transport::Idoc, 7).await;
}

#[tokio::test]
async fn an_expired_api_key_stops_the_pass_before_anything_is_sent() {
    let landscape = Landscape::start().await.unwrap();
    let dir = TempDir::new("expired-key");
    let bridge = bridge(&landscape, &dir, Transport::Rfc, 100);
    landscape.bizplay.expire_api_key();

    let error = bridge.pass(MONTH_END, pending()).await.unwrap_err();
    let PassError::Sync(SyncError::Gateway(gateway)) = &error else {
        panic!("{error}")
    };
    assert!(gateway.is_fatal());
    assert!(matches!(gateway, GatewayError::Auth { code, .. } if code == "WAUT0004"));
    assert!(error.to_string().contains("check the API key"), "{error}");
    assert!(landscape.sap.sap().documents().is_empty());
}
