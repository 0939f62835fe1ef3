//! The idle-phase progress bar (stderr). Hidden unless `config::show_progress` said yes.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

pub struct IdleProgress {
    bar: ProgressBar,
    total: Duration,
}

impl IdleProgress {
    pub fn new(enabled: bool, total: Duration) -> IdleProgress {
        let bar = ProgressBar::with_draw_target(
            Some(total.as_millis().max(1) as u64),
            if enabled {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        IdleProgress { bar, total }
    }

    /// Shows elapsed / remaining time and what is happening.
    pub fn update(&self, elapsed: Duration, message: &str) {
        let remaining = self.total.saturating_sub(elapsed);
        self.bar.set_position(elapsed.as_millis() as u64);
        self.bar.set_message(format!(
            "{} elapsed, {} left: {message}",
            humantime::format_duration(Duration::from_secs(elapsed.as_secs())),
            humantime::format_duration(Duration::from_secs(remaining.as_secs())),
        ));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
