//! A task of the server process that runs until it is asked to stop: the scan worker, the bot
//! update processor, the search-index upkeep. Its loop checks `stopped` between pieces of work and
//! waits on `stopped.changed()` beside its sleep, so [`Task::shutdown`] lets the piece in hand
//! finish.

use std::future::Future;
use tokio::sync::watch;

pub struct Task {
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Task {
    /// Spawns the future `run` makes from the stop signal (`true` once stopping).
    pub fn spawn<F>(run: impl FnOnce(watch::Receiver<bool>) -> F) -> Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        Task { stop, handle: tokio::spawn(run(stopped)) }
    }

    /// Asks the task to stop and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}
