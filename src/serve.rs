//! Serving an HTTP application on a socket: the stubs, and the monitoring of `bizsap run`.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running HTTP listener. Dropping it stops the listener; [`Served::shutdown`] also waits
/// for open requests to finish.
pub struct Served {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Served {
    /// Binds `listen` (port 0 picks a free port) and serves `app` until stopped.
    pub async fn start(listen: SocketAddr, app: Router) -> io::Result<Served> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let signal = async move {
                // A dropped sender also means stop.
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
        });
        Ok(Served {
            addr,
            stop,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets open requests finish, and waits for the listener.
    pub async fn shutdown(mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
