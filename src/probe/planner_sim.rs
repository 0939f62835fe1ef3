//! Proves the planner's bounds on a simulated clock, over cutoffs from 1 s to
//! 8 h: a dense sweep, the ladder's rung edges (just below and above), and
//! cutoffs past `max`.

use super::*;

fn cfg() -> PlannerConfig {
    PlannerConfig::default()
}

/// 1 s to 8 h: every 0.1 s to 60 s, then 0.5% steps, plus +-1 ms around every rung.
fn cutoffs(config: &PlannerConfig) -> Vec<f64> {
    let mut v: Vec<f64> = (10..=600).map(|i| i as f64 / 10.0).collect();
    let mut c = 60.0;
    while c < 8.0 * 3600.0 {
        v.push(c);
        c *= 1.005;
    }
    v.push(8.0 * 3600.0 - 0.5);
    for a in Planner::new(config.clone()).rungs {
        if (1.0..8.0 * 3600.0).contains(&a) {
            v.extend([a - 0.001, a, a + 0.001]);
        }
    }
    v
}

fn width_ok(e: &Estimate, c: f64, config: &PlannerConfig) -> bool {
    let (lo, hi) = (e.lo.as_secs_f64(), e.hi.unwrap().as_secs_f64());
    hi - lo <= config.resolution.as_secs_f64().max(RELATIVE * c) + 1e-6
}

/// The silent-death wall-time bound for a configuration (see the module docs).
fn silent_bound(c: f64, config: &PlannerConfig) -> f64 {
    (1.0 + config.delta()) * RATIO * c + RATIO * c + 5.0
}

fn check_all(config: &PlannerConfig, announced: bool) -> (f64, f64) {
    let (mut worst_wall, mut worst_width) = (0.0_f64, 0.0_f64);
    for c in cutoffs(config) {
        let r = simulate(
            Duration::from_secs_f64(c),
            config,
            announced,
            Duration::ZERO,
            Duration::ZERO,
        );
        let e = r.estimate;
        let (lo, hi) = (
            e.lo.as_secs_f64(),
            e.hi.expect("a death within max").as_secs_f64(),
        );
        assert!(
            lo < c && c <= hi + 1e-9,
            "C={c}: ({lo}, {hi}] does not contain it"
        );
        assert!(width_ok(&e, c, config), "C={c}: ({lo}, {hi}] too wide");
        assert!(
            r.max_open <= config.max_connections,
            "C={c}: {} open",
            r.max_open
        );
        let wall = r.wall.as_secs_f64();
        let bound = if announced {
            1.25 * c + 5.0
        } else {
            silent_bound(c, config)
        };
        assert!(
            wall <= bound,
            "C={c}: wall {wall} > {bound} (announced={announced})"
        );
        worst_wall = worst_wall.max(wall / c);
        worst_width =
            worst_width.max((hi - lo) / config.resolution.as_secs_f64().max(RELATIVE * c));
    }
    (worst_wall, worst_width)
}

#[test]
fn announced_deaths_meet_every_bound() {
    let (wall, width) = check_all(&cfg(), true);
    println!("announced: worst wall/C {wall:.3}, worst width/allowed {width:.3}");
}

#[test]
fn silent_deaths_meet_the_width_and_connection_bounds() {
    let (wall, width) = check_all(&cfg(), false);
    println!("silent: worst wall/C {wall:.3}, worst width/allowed {width:.3}");
    // Far below a sequential binary search's 5-10x.
    assert!(wall < 2.7, "{wall}");
}

#[test]
fn nothing_dies_up_to_max() {
    let config = PlannerConfig {
        max: Duration::from_secs(60),
        ..cfg()
    };
    for announced in [false, true] {
        let r = simulate(
            Duration::from_secs(100),
            &config,
            announced,
            Duration::ZERO,
            Duration::ZERO,
        );
        assert_eq!(r.estimate.hi, None);
        assert!(r.estimate.lo >= config.max);
        assert!(
            r.wall.as_secs_f64() <= (1.0 + config.delta()) * 60.0 + 5.0,
            "{:?}",
            r.wall
        );
        assert!(r.max_open <= 16);
    }
}

#[test]
fn coarser_resolution() {
    let config = PlannerConfig {
        resolution: Duration::from_secs(5),
        ..cfg()
    };
    check_all(&config, false);
    check_all(&config, true);
}

#[test]
fn fewer_connections_still_hold_the_width_and_the_cap() {
    for n in [2, 4, 8] {
        let config = PlannerConfig {
            max_connections: n,
            ..cfg()
        };
        config.validate().unwrap();
        for c in [1.5, 3.0, 7.0, 20.0, 333.0, 5000.0, 28000.0] {
            let r = simulate(
                Duration::from_secs_f64(c),
                &config,
                false,
                Duration::ZERO,
                Duration::ZERO,
            );
            let e = r.estimate;
            assert!(e.lo.as_secs_f64() < c && c <= e.hi.unwrap().as_secs_f64());
            assert!(width_ok(&e, c, &config), "n={n} C={c}: {e:?}");
            assert!(r.max_open <= n, "n={n} C={c}: {}", r.max_open);
        }
    }
    assert!(
        PlannerConfig {
            max_connections: 1,
            ..cfg()
        }
        .validate()
        .is_err()
    );
}

/// Real drivers are slower than planned: opens take 5 ms, a dead verdict on a
/// blackholed path takes the 2 s read timeout. The result still contains C;
/// the wall time grows by the dead verdicts' latency (at most a few of them).
#[test]
fn slow_driver() {
    for c in [1.0, 2.5, 3.0, 7.0, 20.0, 61.0, 300.0, 3600.0] {
        let r = simulate(
            Duration::from_secs_f64(c),
            &cfg(),
            false,
            Duration::from_millis(5),
            Duration::from_secs(2),
        );
        let (lo, hi) = (
            r.estimate.lo.as_secs_f64(),
            r.estimate.hi.unwrap().as_secs_f64(),
        );
        assert!(lo < c && c <= hi, "C={c}: ({lo}, {hi}]");
        assert!(
            hi - lo <= 1.0_f64.max(0.02 * c) + 0.05,
            "C={c}: ({lo}, {hi}]"
        );
        let bound = silent_bound(c, &cfg()) + 2.0 * 2.0 + 0.005 * r.opens as f64;
        assert!(
            r.wall.as_secs_f64() <= bound,
            "C={c}: {:?} > {bound}",
            r.wall
        );
    }
}

#[test]
fn baseline_is_much_slower() {
    for c in [3.0, 7.0, 20.0, 300.0, 28800.0 - 1.0] {
        let seq =
            sequential_binary_search_cost(Duration::from_secs_f64(c), cfg().max, cfg().resolution)
                .as_secs_f64();
        let ours = simulate(
            Duration::from_secs_f64(c),
            &cfg(),
            false,
            Duration::ZERO,
            Duration::ZERO,
        )
        .wall
        .as_secs_f64();
        assert!(seq > ours, "C={c}: sequential {seq} vs {ours}");
    }
}

/// `cargo test --release sim_report -- --nocapture` prints the table in docs/benchmarks.md.
#[test]
fn sim_report() {
    println!(
        "| cutoff | silent: wall (x C) | announced: wall (x C) | connections (silent) | sequential binary search (x C) |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for c in [3.0, 7.0, 20.0, 300.0, 3600.0, 28799.0] {
        let d = Duration::from_secs_f64(c);
        let s = simulate(d, &cfg(), false, Duration::ZERO, Duration::ZERO);
        let a = simulate(d, &cfg(), true, Duration::ZERO, Duration::ZERO);
        let seq = sequential_binary_search_cost(d, cfg().max, cfg().resolution).as_secs_f64();
        println!(
            "| {c} s | {:.1} s ({:.2}) | {:.1} s ({:.2}) | {} opened, {} at once | {:.0} s ({:.1}) |",
            s.wall.as_secs_f64(),
            s.wall.as_secs_f64() / c,
            a.wall.as_secs_f64(),
            a.wall.as_secs_f64() / c,
            s.opens,
            s.max_open,
            seq,
            seq / c
        );
    }
}
