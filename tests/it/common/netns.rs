//! A real kernel middlebox for tests: a Linux NAT (nftables masquerade with
//! conntrack) in network namespaces that the test creates itself.
//!
//! ```text
//!  client netns "pk<S>-<pid>-<n>-c"      mid netns "pk<S>-<pid>-<n>-m"           this netns
//!  eth0 198.18.S.2/30  ── veth ──  tocli 198.18.S.1/30
//!                                  tosrv 198.19.S.1/30  ── veth ──  pks<S> 198.19.S.2/30
//!                                  (masquerade, conntrack)          (the private mariadbd)
//! ```
//!
//! The client side (poolcheck, an app) runs in its own namespace through
//! `ip netns exec`, its default route via the mid namespace; the mid one
//! forwards with `nf_conntrack_tcp_timeout_established = N` (per namespace),
//! `nf_conntrack_tcp_loose = 0` (a flow it has forgotten is not picked up
//! again mid-stream), and `ct state invalid drop` (or `reject with tcp
//! reset`): a packet of a forgotten flow is dropped, or answered with RST.
//! The server listens on the server-side veth address in this namespace, so
//! the sandbox rig starts it as usual. Addresses come from 198.18.0.0/15,
//! the benchmarking range, one /30 pair per slot `S` (0-255); a slot is held
//! with an flock, so test processes running at the same time never share one,
//! and whatever a killed process left in a slot is removed when the slot is
//! taken again. Everything is deleted on drop, during a panic's unwinding too.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const INSTALL_HINT: &str = "install them with `bash scripts/install-deps.sh` \
     (or `apt-get update && apt-get install -y nftables iproute2`)";

/// What the NAT does with a packet of a flow it has forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgotten {
    /// `ct state invalid drop`: the sender hears nothing (AWS NAT gateway
    /// towards the server side, most stateful firewalls).
    Drop,
    /// `ct state invalid reject with tcp reset`: the sender gets RST (AWS NAT
    /// gateway towards the client that sends after the timeout).
    Reset,
}

pub struct Nat {
    /// Namespace the client side runs in.
    pub client_ns: String,
    mid_ns: String,
    /// The server-side address in this namespace (bind the server here).
    pub server_ip: Ipv4Addr,
    root_link: String,
    ip: PathBuf,
    /// Held for the NAT's lifetime: the slot's flock.
    _slot: std::fs::File,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn find_program(name: &str) -> PathBuf {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} not found: the NAT tests need nftables and iproute2; {INSTALL_HINT}")
        })
}

fn sh(program: &Path, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{} {args:?}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {}: {}",
        program.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs and ignores failure (cleanup of what may not exist).
fn quiet(program: &Path, args: &[&str]) {
    let _ = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Takes the first free slot: its flock, after removing what a dead
/// process may have left in it.
fn take_slot(ip: &Path) -> (u8, std::fs::File) {
    let dir = std::env::temp_dir().join("poolcheck-netns-slots");
    std::fs::create_dir_all(&dir).expect("slot lock dir");
    for slot in 0..=255u8 {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{slot}.lock")))
            .expect("slot lock file");
        if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_err() {
            continue;
        }
        quiet(ip, &["link", "del", &format!("pks{slot}")]);
        if let Ok(entries) = std::fs::read_dir("/run/netns") {
            let prefix = format!("pk{slot}-");
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(&prefix) {
                    quiet(ip, &["netns", "del", &name]);
                }
            }
        }
        return (slot, file);
    }
    panic!("all 256 NAT test slots are taken");
}

impl Nat {
    /// A NAT that forgets an established flow after `established_s` seconds
    /// without a packet, and treats a forgotten flow's packets as `forgotten`.
    pub fn new(established_s: u32, forgotten: Forgotten) -> Nat {
        let ip = find_program("ip");
        let nft = find_program("nft");
        let (slot, lock) = take_slot(&ip);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base = format!("pk{slot}-{}-{n}", std::process::id());
        let nat = Nat {
            client_ns: format!("{base}-c"),
            mid_ns: format!("{base}-m"),
            server_ip: Ipv4Addr::new(198, 19, slot, 2),
            root_link: format!("pks{slot}"),
            ip: ip.clone(),
            _slot: lock,
        };
        // From here on, a failure panics and Drop removes what was made.
        let (c, m) = (nat.client_ns.as_str(), nat.mid_ns.as_str());
        let cli = |last: u8| format!("198.18.{slot}.{last}/30");
        let srv = |last: u8| format!("198.19.{slot}.{last}/30");
        sh(&ip, &["netns", "add", c]);
        sh(&ip, &["netns", "add", m]);
        sh(
            &ip,
            &[
                "link", "add", "eth0", "netns", c, "type", "veth", "peer", "name", "tocli",
                "netns", m,
            ],
        );
        sh(
            &ip,
            &[
                "link",
                "add",
                &nat.root_link,
                "type",
                "veth",
                "peer",
                "name",
                "tosrv",
                "netns",
                m,
            ],
        );
        sh(&ip, &["-n", c, "addr", "add", &cli(2), "dev", "eth0"]);
        sh(&ip, &["-n", m, "addr", "add", &cli(1), "dev", "tocli"]);
        sh(&ip, &["-n", m, "addr", "add", &srv(1), "dev", "tosrv"]);
        sh(&ip, &["addr", "add", &srv(2), "dev", &nat.root_link]);
        for (ns, link) in [
            (c, "lo"),
            (c, "eth0"),
            (m, "lo"),
            (m, "tocli"),
            (m, "tosrv"),
        ] {
            sh(&ip, &["-n", ns, "link", "set", link, "up"]);
        }
        sh(&ip, &["link", "set", &nat.root_link, "up"]);
        sh(
            &ip,
            &[
                "-n",
                c,
                "route",
                "add",
                "default",
                "via",
                &format!("198.18.{slot}.1"),
            ],
        );
        let sysctl = [
            "net.ipv4.ip_forward=1".to_string(),
            format!("net.netfilter.nf_conntrack_tcp_timeout_established={established_s}"),
            "net.netfilter.nf_conntrack_tcp_loose=0".to_string(),
        ];
        for s in &sysctl {
            // /proc/sys/net of the mid namespace, written from inside it.
            let (key, value) = s.split_once('=').unwrap();
            let path = format!("/proc/sys/{}", key.replace('.', "/"));
            sh(
                &ip,
                &[
                    "netns",
                    "exec",
                    m,
                    "sh",
                    "-c",
                    &format!("echo {value} > {path}"),
                ],
            );
        }
        let verdict = match forgotten {
            Forgotten::Drop => "drop",
            Forgotten::Reset => "reject with tcp reset",
        };
        let rules = format!(
            "table ip poolcheck {{\n\
             chain postrouting {{ type nat hook postrouting priority srcnat; oifname \"tosrv\" masquerade; }}\n\
             chain forward {{ type filter hook forward priority filter; ct state invalid {verdict}; }}\n\
             }}\n"
        );
        let rules_file = std::env::temp_dir().join(format!("poolcheck-{base}.nft"));
        std::fs::write(&rules_file, rules).expect("nft rules file");
        let path = rules_file.to_string_lossy().into_owned();
        let nft_s = nft.to_string_lossy().into_owned();
        sh(&ip, &["netns", "exec", m, &nft_s, "-f", &path]);
        let _ = std::fs::remove_file(&rules_file);
        nat
    }

    /// The hermetic `poolcheck` (see `common::poolcheck`), run on the client side.
    pub fn poolcheck(&self) -> assert_cmd::Command {
        let bin = assert_cmd::cargo::cargo_bin("poolcheck");
        let mut cmd = assert_cmd::Command::new(&self.ip);
        cmd.args(["netns", "exec", &self.client_ns])
            .arg(bin)
            .env_clear()
            .env("RUST_BACKTRACE", "0")
            .env("USER", "poolcheck-test")
            .env("NO_COLOR", "1")
            .timeout(std::time::Duration::from_secs(90));
        cmd
    }

    /// `cmd` (an app, with its arguments and environment) run on the client
    /// side instead.
    pub fn on_client_side(&self, cmd: &Command) -> Command {
        let mut wrapped = Command::new(&self.ip);
        wrapped
            .args(["netns", "exec", &self.client_ns])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(v) => wrapped.env(key, v),
                None => wrapped.env_remove(key),
            };
        }
        wrapped
    }

    /// `--bind-address` for a sandbox reachable through this NAT (and on
    /// loopback for the rig's own admin connection).
    pub fn bind_arg(&self) -> String {
        format!("--bind-address=127.0.0.1,{}", self.server_ip)
    }
}

impl Drop for Nat {
    fn drop(&mut self) {
        // Deleting the mid namespace deletes its veths and so their peers.
        quiet(&self.ip, &["netns", "del", &self.mid_ns]);
        quiet(&self.ip, &["netns", "del", &self.client_ns]);
        quiet(&self.ip, &["link", "del", &self.root_link]);
    }
}
