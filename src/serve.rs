//! Serving on a socket in the background: the stubs' HTTP and RFC listeners, and the
//! monitoring of `bizsap run`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Completes when the listener is told to stop.
pub type StopSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A running listener. Dropping it stops the listener; [`Served::shutdown`] also waits for
/// it to finish.
pub struct Served {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl Served {
    /// Binds `listen` (port 0 picks a free port) and serves `app` until stopped, letting open
    /// requests finish.
    pub async fn start(listen: SocketAddr, app: Router) -> io::Result<Served> {
        let listener = TcpListener::bind(listen).await?;
        Served::spawn(listener, |listener, stop| async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
        })
    }

    /// Runs `serve` on `listener` in the background; `serve` must return once its stop signal
    /// completes.
    pub fn spawn<F, S>(listener: TcpListener, serve: S) -> io::Result<Served>
    where
        S: FnOnce(TcpListener, StopSignal) -> F,
        F: Future<Output = io::Result<()>> + Send + 'static,
    {
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let signal: StopSignal = Box::pin(async move {
            // A dropped sender also means stop.
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        let task = tokio::spawn(serve(listener, signal));
        Ok(Served {
            addr,
            stop,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits for the listener to finish.
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
