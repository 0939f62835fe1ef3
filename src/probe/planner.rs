//! The cutoff search as a pure planner: it decides when to open and test
//! probe connections; a driver (real sockets, or the simulator in the tests)
//! does it and reports back. No clock, no I/O: time is passed in.
//!
//! # The model
//! Something kills a connection once it has been idle for C. A connection
//! whose last activity was at `u` is dead at `t` iff `t - u >= C`. Testing it
//! (a ping) answers alive or dead; an answered ping is activity, so a test
//! *resets* the connection's idle age. Some paths also announce a death by
//! themselves (the server's close or error packet, a middlebox's FIN or RST):
//! the driver sees those with a non-consuming peek and reports them with
//! [`Planner::passive_death`].
//!
//! # The design
//! 1. **Announced deaths** need no search: the driver peeks every open
//!    connection about every 100 ms, so a death is seen within one poll of
//!    age C, and the same connection was seen quiet one poll earlier. The
//!    interval is one poll wide and the wall time is C plus a poll.
//! 2. **Silent deaths** (blackholes, RST only when something is sent) need
//!    destructive tests. Phase A is a ladder of idle ages `a_k = resolution *
//!    1.2^k` up to `max`. Rung k's connection is opened at `delta * a_k` and
//!    tested at age `a_k`, so it is held only during `[delta*a_k,
//!    (1+delta)*a_k]`: at most `log_1.2((1+delta)/delta) + 1` rungs are open at
//!    once, and `delta` is chosen from `max_connections` to fit. The first
//!    dead rung brackets C in `(a_{k-1}, a_k]` at time `(1+delta)*a_k`.
//!    Phase B splits the bracket with up to `max_connections` test points in
//!    one shot: the connections are opened staggered (the one for the largest
//!    age first) so that they all reach their ages at the same moment. A
//!    bracket of ratio 1.2 needs 10 sections for 2% of C, so one round
//!    suffices with 16 connections; with fewer, rounds repeat.
//!
//! # The bounds (proved by the simulator tests over cutoffs from 1 s to 8 h)
//! - width `hi - lo <= max(resolution, 0.02 * C)`;
//! - announced deaths: wall time `<= C + 2 polls`;
//! - silent deaths, 16 connections: wall time `<= (1+delta)*1.2*C + 1.2*C + 5 s`,
//!   about `2.5 * C`; a sequential binary search with one connection needs
//!   5 to 10 times C;
//! - never more than `max_connections` open.
//!
//! # Why not 1.25 * C for silent deaths
//! Before the first death every test is alive and resets its connection. For a
//! cutoff just above a tested age `x_j`, the next test of a larger age `x_{j+1}`
//! must come by `1.25 * x_j`, so its connection was idle since at most
//! `(1.25 - r) * x_j` with `r = x_{j+1} / x_j`. Counting the tests whose idle
//! stretches all cover one instant gives `1 + ln(1 / (1.25 - r)) / ln r`
//! connections held at once, which is at least 17 for every r in (1, 1.25)
//! (minimum near r = 1.18). So no search with 16 connections can even *see*
//! the first silent death within 1.25 * C over the whole range, before any 2%
//! refinement. Announced deaths, the common case (server timeouts, most load
//! balancers), meet 1.25 * C easily.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct PlannerConfig {
    pub max: Duration,
    pub resolution: Duration,
    pub max_connections: usize,
}

impl Default for PlannerConfig {
    fn default() -> PlannerConfig {
        PlannerConfig {
            max: Duration::from_secs(8 * 3600),
            resolution: Duration::from_secs(1),
            max_connections: 16,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u32);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open(ConnId),
    Test(ConnId),
    Close(ConnId),
    /// Time since start to call [`Planner::next`] again (earlier is fine).
    WaitUntil(Duration),
    Done(Estimate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Alive,
    Dead,
}

/// The cutoff is longer than `lo` and at most `hi` (`None`: nothing died).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub lo: Duration,
    pub hi: Option<Duration>,
}

/// Ladder ratio: a bracket of 1.2 needs 10 sections for 2% of the cutoff.
const RATIO: f64 = 1.2;
/// The precision goal relative to the cutoff.
const RELATIVE: f64 = 0.02;
/// Times travel through `Duration` (whole nanoseconds): compare with slack.
const EPS: f64 = 1e-6;

#[derive(Debug, Clone)]
struct Conn {
    /// Idle age to test this connection at.
    test_age: f64,
    /// When the open completed (its idle clock started); None while opening.
    last_activity: Option<f64>,
    testing: bool,
    /// Ladder rung index, for re-opening after a failed open.
    rung: Option<usize>,
    /// Kept open only because a death announced on it would end the search;
    /// never tested, and rounds do not wait for it.
    watcher: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Ladder,
    Refine,
    Finished,
}

pub struct Planner {
    config: PlannerConfig,
    delta: f64,
    rungs: Vec<f64>,
    next_rung: usize,
    conns: BTreeMap<ConnId, Conn>,
    next_id: u32,
    /// Opens wanted: (time to open at, test age, rung).
    pending_opens: Vec<(f64, f64, Option<usize>)>,
    pending_closes: Vec<ConnId>,
    lo: f64,
    hi: Option<f64>,
    phase: Phase,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn dur(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

impl PlannerConfig {
    /// Rejects settings the planner cannot honour.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_connections < 2 {
            return Err("--max-connections must be at least 2".into());
        }
        if self.resolution.is_zero() || self.resolution >= self.max {
            return Err("--resolution must be above zero and below --max".into());
        }
        Ok(())
    }

    /// The ladder's lead: rung k opens at `delta * a_k`, so that at most
    /// `max_connections - 1` rungs are open at once (one spare for jitter).
    fn delta(&self) -> f64 {
        let slots = (self.max_connections.saturating_sub(2)).max(1) as i32;
        (1.0 / (RATIO.powi(slots) - 1.0)).max(0.02)
    }
}

impl Planner {
    pub fn new(config: PlannerConfig) -> Planner {
        let res = secs(config.resolution);
        let max = secs(config.max);
        let mut rungs = Vec::new();
        let mut a = res;
        while a < max {
            rungs.push(a);
            a *= RATIO;
        }
        rungs.push(max);
        Planner {
            delta: config.delta(),
            config,
            rungs,
            next_rung: 0,
            conns: BTreeMap::new(),
            next_id: 1,
            pending_opens: Vec::new(),
            pending_closes: Vec::new(),
            lo: 0.0,
            hi: None,
            phase: Phase::Ladder,
        }
    }

    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }

    pub fn estimate(&self) -> Estimate {
        Estimate {
            lo: dur(self.lo),
            hi: self.hi.map(dur),
        }
    }

    fn target_width(&self) -> f64 {
        secs(self.config.resolution).max(RELATIVE * self.lo)
    }

    fn precise_enough(&self) -> bool {
        self.hi
            .is_some_and(|hi| hi - self.lo <= self.target_width())
    }

    /// What to do at `now` (time since start).
    pub fn next(&mut self, now: Duration) -> Vec<Action> {
        let now = secs(now);
        let mut actions = Vec::new();
        for id in self.pending_closes.drain(..) {
            actions.push(Action::Close(id));
        }
        if self.phase != Phase::Finished {
            self.advance(now);
        }
        if self.phase == Phase::Finished {
            for (id, _) in std::mem::take(&mut self.conns) {
                actions.push(Action::Close(id));
            }
            actions.push(Action::Done(self.estimate()));
            return actions;
        }
        // Opens that are due, within the connection cap.
        self.pending_opens.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut keep = Vec::new();
        for (at, age, rung) in std::mem::take(&mut self.pending_opens) {
            if at <= now + EPS && self.conns.len() < self.config.max_connections {
                let id = ConnId(self.next_id);
                self.next_id += 1;
                self.conns.insert(
                    id,
                    Conn {
                        test_age: age,
                        last_activity: None,
                        testing: false,
                        rung,
                        watcher: false,
                    },
                );
                actions.push(Action::Open(id));
            } else {
                keep.push((at, age, rung));
            }
        }
        self.pending_opens = keep;
        // Tests that are due.
        for (id, c) in self.conns.iter_mut() {
            if let Some(u) = c.last_activity
                && !c.testing
                && !c.watcher
                && now - u + EPS >= c.test_age
            {
                c.testing = true;
                actions.push(Action::Test(*id));
            }
        }
        // When to look again: the next open or test due.
        let next_open = self
            .pending_opens
            .iter()
            .map(|p| p.0)
            .fold(f64::INFINITY, f64::min);
        let next_test = self
            .conns
            .values()
            .filter(|c| !c.testing && !c.watcher)
            .filter_map(|c| c.last_activity.map(|u| u + c.test_age))
            .fold(f64::INFINITY, f64::min);
        // An open held back by the connection cap waits for the next test.
        let next_open = if self.conns.len() >= self.config.max_connections {
            f64::INFINITY
        } else {
            next_open
        };
        let wake = next_open.min(next_test);
        let wake = if wake.is_finite() {
            wake.max(now)
        } else {
            now + 0.1
        };
        actions.push(Action::WaitUntil(dur(wake)));
        actions
    }

    /// Moves the search along: schedules ladder rungs, starts a refinement
    /// round, or finishes.
    fn advance(&mut self, now: f64) {
        if self.precise_enough() || (self.hi.is_none() && self.lo >= secs(self.config.max)) {
            self.phase = Phase::Finished;
            return;
        }
        match self.phase {
            Phase::Ladder if self.hi.is_some() => {
                // Bracketed: no more rungs; the open ones may serve the refinement.
                self.pending_opens.clear();
                self.phase = Phase::Refine;
                self.start_round(now);
            }
            Phase::Ladder => {
                // Schedule every rung whose opening time has come or is next.
                while self.next_rung < self.rungs.len() {
                    let a = self.rungs[self.next_rung];
                    let at = self.delta * a;
                    if at > now + 60.0 && !self.pending_opens.is_empty() {
                        break;
                    }
                    self.pending_opens.push((at, a, Some(self.next_rung)));
                    self.next_rung += 1;
                }
            }
            Phase::Refine => {
                if self.conns.values().all(|c| c.watcher) && self.pending_opens.is_empty() {
                    self.start_round(now);
                }
            }
            Phase::Finished => {}
        }
    }

    /// One refinement round: test points spread over (lo, hi). A connection
    /// already open and younger than a point serves it (it is tested when it
    /// reaches that age); fresh ones are opened staggered, the one for the
    /// largest age first, so that they all reach their ages together.
    fn start_round(&mut self, now: f64) {
        let Some(hi) = self.hi else { return };
        let width = hi - self.lo;
        // A hair under the goal, so float rounding never forces an extra round.
        let target = self.target_width() * 0.999;
        let sections = ((width / target).ceil() as usize).max(2);
        let busy = self
            .conns
            .values()
            .filter(|c| c.testing || c.last_activity.is_none() || c.watcher)
            .count();
        let idle: Vec<(ConnId, f64)> = self
            .conns
            .iter()
            .filter(|(_, c)| !c.testing)
            .filter_map(|(id, c)| c.last_activity.map(|u| (*id, now - u)))
            .collect();
        // Already older than an age known to be fatal: nothing to learn from them.
        let (mut spare, past): (Vec<_>, Vec<_>) = idle.into_iter().partition(|(_, age)| *age < hi);
        for (id, _) in past {
            self.conns.remove(&id);
            self.pending_closes.push(id);
        }
        let capacity = self.config.max_connections.saturating_sub(busy).max(1);
        let points = (sections - 1).clamp(1, capacity);
        let step = width / (points + 1) as f64;
        let mut fresh = Vec::new();
        for i in (1..=points).rev() {
            let x = self.lo + step * i as f64;
            // The oldest spare that has not passed this age yet.
            spare.sort_by(|a, b| b.1.total_cmp(&a.1));
            match spare.iter().position(|(_, age)| *age <= x) {
                Some(k) => {
                    let (id, _) = spare.remove(k);
                    if let Some(c) = self.conns.get_mut(&id) {
                        c.test_age = x;
                        c.rung = None;
                    }
                }
                None => fresh.push(x),
            }
        }
        // Older than every point: in the bracket already. A path that announces
        // deaths will show this one dying soon; keep it as a watcher.
        let lowest = self.lo + step;
        for (id, age) in spare {
            if age > lowest && age < hi {
                if let Some(c) = self.conns.get_mut(&id) {
                    c.watcher = true;
                }
            } else {
                self.conns.remove(&id);
                self.pending_closes.push(id);
            }
        }
        let top = fresh.iter().copied().fold(self.lo, f64::max);
        for age in fresh {
            self.pending_opens.push((now + (top - age), age, None));
        }
    }

    /// The driver opened `conn`; its idle clock starts at `at`.
    pub fn opened(&mut self, conn: ConnId, at: Duration) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.last_activity = Some(secs(at));
        }
    }

    /// The open failed; the planner asks for another one.
    pub fn open_failed(&mut self, conn: ConnId, at: Duration) {
        if let Some(c) = self.conns.remove(&conn) {
            self.pending_opens
                .push((secs(at) + 0.5, c.test_age, c.rung));
        }
    }

    /// A test sent at `sent_at` answered `verdict` at `answered_at`.
    pub fn tested(
        &mut self,
        conn: ConnId,
        sent_at: Duration,
        verdict: Verdict,
        answered_at: Duration,
    ) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        let Some(u) = c.last_activity else { return };
        let age = secs(sent_at) - u;
        match verdict {
            Verdict::Alive => {
                if self.hi.is_none_or(|hi| age < hi) {
                    self.lo = self.lo.max(age);
                }
                // Its age is spent: close it rather than wait for it to age again.
                self.pending_closes.push(conn);
            }
            Verdict::Dead => {
                self.hi = Some(self.hi.map_or(age, |hi| hi.min(age)));
                if self.lo >= age {
                    // Inconsistent answers (a flaky path): trust the death.
                    self.lo = 0.0_f64.max(age - self.target_width());
                }
            }
        }
        let _ = answered_at;
    }

    /// The driver saw `conn` die without sending anything (an error packet,
    /// FIN or RST waiting on the socket) at `dead_at`; it had looked at it and
    /// seen nothing at `quiet_at`.
    pub fn passive_death(&mut self, conn: ConnId, quiet_at: Duration, dead_at: Duration) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        let Some(u) = c.last_activity else { return };
        let died = secs(dead_at) - u;
        let quiet = secs(quiet_at) - u;
        self.hi = Some(self.hi.map_or(died, |hi| hi.min(died)));
        if quiet > self.lo && quiet < died {
            self.lo = quiet;
        }
    }
}

/// What a simulated search did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimResult {
    pub estimate: Estimate,
    pub wall: Duration,
    pub max_open: usize,
    pub opens: usize,
    pub tests: usize,
}

/// Runs the planner against a simulated path with the given cutoff.
/// `announced`: deaths are visible to a peek (polled every 100 ms).
/// Tests run in the background as in the real driver: an alive answer is
/// immediate, a dead one (a blackhole) arrives `dead_latency` later without
/// holding anything else up. Each open takes `open_latency`.
pub fn simulate(
    cutoff: Duration,
    config: &PlannerConfig,
    announced: bool,
    open_latency: Duration,
    dead_latency: Duration,
) -> SimResult {
    const POLL: f64 = 0.1;
    let c = secs(cutoff);
    let mut p = Planner::new(config.clone());
    let mut now = 0.0_f64;
    // id -> last activity, for the connections the "driver" holds.
    let mut held: BTreeMap<ConnId, f64> = BTreeMap::new();
    // Dead verdicts on their way: (answer time, id, sent at).
    let mut inflight: Vec<(f64, ConnId, f64)> = Vec::new();
    let (mut max_open, mut opens, mut tests) = (0, 0, 0);
    for _ in 0..10_000_000 {
        let mut learned = false;
        inflight.sort_by(|a, b| a.0.total_cmp(&b.0));
        while inflight.first().is_some_and(|f| f.0 <= now + 1e-9) {
            let (t, id, sent) = inflight.remove(0);
            p.tested(id, dur(sent), Verdict::Dead, dur(t));
            learned = true;
        }
        let actions = p.next(dur(now));
        let mut wake = None;
        for a in actions {
            match a {
                Action::Open(id) => {
                    now += secs(open_latency);
                    held.insert(id, now);
                    p.opened(id, dur(now));
                    opens += 1;
                }
                Action::Test(id) => {
                    let u = held[&id];
                    tests += 1;
                    // Ties at exactly C count as dead (the planner sees the same instant).
                    if now - u >= c - 1e-7 {
                        held.remove(&id);
                        inflight.push((now + secs(dead_latency), id, now));
                    } else {
                        held.insert(id, now);
                        p.tested(id, dur(now), Verdict::Alive, dur(now));
                        learned = true;
                    }
                }
                Action::Close(id) => {
                    held.remove(&id);
                }
                Action::WaitUntil(t) => wake = Some(secs(t)),
                Action::Done(estimate) => {
                    return SimResult {
                        estimate,
                        wall: dur(now),
                        max_open,
                        opens,
                        tests,
                    };
                }
            }
            max_open = max_open.max(held.len() + inflight.len());
        }
        // A verdict changes the plan: ask again before letting time pass.
        if learned || inflight.first().is_some_and(|f| f.0 <= now + 1e-9) {
            continue;
        }
        let mut target = wake.unwrap_or(now).max(now);
        if let Some(f) = inflight.iter().map(|f| f.0).reduce(f64::min) {
            target = target.min(f.max(now));
        }
        if announced {
            // Deaths are seen at the first 100 ms poll at or after they happen.
            let first_death = held.values().map(|u| u + c).fold(f64::INFINITY, f64::min);
            let seen_at = (first_death / POLL - 1e-9).ceil() * POLL;
            if seen_at <= target {
                let dead: Vec<ConnId> = held
                    .iter()
                    .filter(|(_, u)| seen_at - **u >= c - 1e-7)
                    .map(|(id, _)| *id)
                    .collect();
                for id in dead {
                    held.remove(&id);
                    p.passive_death(id, dur(seen_at - POLL), dur(seen_at));
                }
                now = now.max(seen_at);
                continue;
            }
        }
        now = target;
    }
    panic!("simulation did not finish");
}

/// The classic alternative: one connection, hold it idle for x, test, and
/// search by doubling then halving (as STUN binding-lifetime discovery does).
/// Returns the total wall time to reach the same precision.
pub fn sequential_binary_search_cost(
    cutoff: Duration,
    max: Duration,
    resolution: Duration,
) -> Duration {
    let c = secs(cutoff);
    let res = secs(resolution);
    let mut wall = 0.0;
    let (mut lo, mut hi) = (0.0_f64, None::<f64>);
    let mut x = res;
    loop {
        let width = res.max(RELATIVE * lo);
        if hi.is_some_and(|h: f64| h - lo <= width) || (hi.is_none() && lo >= secs(max)) {
            return dur(wall);
        }
        wall += x;
        if x < c {
            lo = x;
        } else {
            hi = Some(x);
        }
        x = match hi {
            None => (x * 2.0).min(secs(max)),
            Some(h) => (lo + h) / 2.0,
        };
    }
}

#[cfg(test)]
#[path = "planner_sim.rs"]
mod sim;
