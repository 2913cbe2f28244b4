//! A fake clock and an in-memory datagram network with loss, duplication,
//! reordering and delay, all driven by a seeded generator so a failing test
//! replays exactly.
//!
//! ```
//! use testkit::net::{Clock, Net, NetConfig};
//! use std::time::Duration;
//! let mut clock = Clock::new();
//! let a = "10.0.0.1:5060".parse().unwrap();
//! let b = "10.0.0.2:5060".parse().unwrap();
//! let mut net = Net::new(NetConfig::default(), 7);
//! net.send(clock.now(), a, b, b"hello".to_vec());
//! clock.advance(Duration::from_millis(10));
//! let got = net.deliver(clock.now());
//! assert_eq!(got.len(), 1);
//! assert_eq!(got[0].to, b);
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A clock that moves only when told to.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    now: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

impl Clock {
    /// A clock at an arbitrary fixed origin (read once from the system:
    /// only differences matter to the code under test).
    #[allow(clippy::disallowed_methods)]
    pub fn new() -> Clock {
        Clock {
            now: Instant::now(),
        }
    }

    /// The current instant.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// Moves the clock to `t` when `t` is later than now.
    pub fn advance_to(&mut self, t: Instant) {
        if t > self.now {
            self.now = t;
        }
    }
}

/// A small deterministic generator (xorshift64*), enough to drive network
/// faults; not for anything that needs real randomness.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator (a zero seed is remapped).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `p` (0.0 ..= 1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    /// A duration uniformly drawn in `lo ..= hi`.
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo).as_micros() as u64;
        lo + Duration::from_micros(self.next_u64() % (span + 1))
    }
}

/// Fault settings of a [`Net`].
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Shortest one-way delay.
    pub min_delay: Duration,
    /// Longest one-way delay; a spread between the two reorders datagrams.
    pub max_delay: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            loss: 0.0,
            duplicate: 0.0,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(5),
        }
    }
}

/// One datagram in flight or delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The sender.
    pub from: SocketAddr,
    /// The receiver.
    pub to: SocketAddr,
    /// The payload.
    pub data: Vec<u8>,
}

/// A one-shot fault applied to the next datagram whose payload contains a
/// marker (so a test can lose "the first 200 OK" precisely).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Drop it.
    Drop,
    /// Deliver it twice.
    Duplicate,
    /// Hold it back for this long on top of the normal delay.
    Delay(Duration),
}

/// An in-memory datagram network.
#[derive(Debug)]
pub struct Net {
    config: NetConfig,
    rng: Rng,
    // Keyed by (delivery time, sequence) so equal times keep send order.
    in_flight: BTreeMap<(Instant, u64), Datagram>,
    seq: u64,
    faults: Vec<(Vec<u8>, Fault)>,
    log: Vec<(Instant, Datagram)>,
    dropped: u64,
    down: Vec<SocketAddr>,
}

impl Net {
    /// A network with these faults, seeded.
    pub fn new(config: NetConfig, seed: u64) -> Net {
        Net {
            config,
            rng: Rng::new(seed),
            in_flight: BTreeMap::new(),
            seq: 0,
            faults: Vec::new(),
            log: Vec::new(),
            dropped: 0,
            down: Vec::new(),
        }
    }

    /// Arranges for `fault` to hit the next datagram containing `marker`.
    pub fn fault_next(&mut self, marker: &[u8], fault: Fault) {
        self.faults.push((marker.to_vec(), fault));
    }

    /// Makes `addr` unreachable (its datagrams and those sent to it vanish)
    /// or reachable again.
    pub fn set_down(&mut self, addr: SocketAddr, down: bool) {
        self.down.retain(|a| *a != addr);
        if down {
            self.down.push(addr);
        }
    }

    /// Sends one datagram at `now`.
    pub fn send(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, data: Vec<u8>) {
        let mut fault = None;
        if let Some(i) = self.faults.iter().position(|(m, _)| contains(&data, m)) {
            fault = Some(self.faults.remove(i).1);
        }
        if self.down.contains(&from) || self.down.contains(&to) {
            self.dropped += 1;
            return;
        }
        let lost = match fault {
            Some(Fault::Drop) => true,
            Some(_) => false,
            None => self.rng.chance(self.config.loss),
        };
        if lost {
            self.dropped += 1;
            return;
        }
        let copies = match fault {
            Some(Fault::Duplicate) => 2,
            Some(_) => 1,
            None => 1 + usize::from(self.rng.chance(self.config.duplicate)),
        };
        let extra = match fault {
            Some(Fault::Delay(d)) => d,
            _ => Duration::ZERO,
        };
        for _ in 0..copies {
            let delay = self
                .rng
                .between(self.config.min_delay, self.config.max_delay)
                + extra;
            self.seq += 1;
            self.in_flight.insert(
                (now + delay, self.seq),
                Datagram {
                    from,
                    to,
                    data: data.clone(),
                },
            );
        }
    }

    /// When the next datagram arrives, if any is in flight.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.keys().next().map(|k| k.0)
    }

    /// Removes and returns every datagram due at or before `now`, in
    /// arrival order; each is also kept in the log.
    pub fn deliver(&mut self, now: Instant) -> Vec<Datagram> {
        let mut out = Vec::new();
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let at = entry.key().0;
            let d = entry.remove();
            self.log.push((at, d.clone()));
            out.push(d);
        }
        out
    }

    /// Every datagram delivered so far, with its arrival time.
    pub fn log(&self) -> &[(Instant, Datagram)] {
        &self.log
    }

    /// How many datagrams were lost so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// True when nothing is in flight.
    pub fn is_idle(&self) -> bool {
        self.in_flight.is_empty()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn same_seed_same_faults() {
        let cfg = NetConfig {
            loss: 0.3,
            duplicate: 0.2,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(50),
        };
        let run = |seed| {
            let clock = Clock::new();
            let mut net = Net::new(cfg.clone(), seed);
            for i in 0..100u8 {
                net.send(clock.now(), addr("1.1.1.1:1"), addr("2.2.2.2:2"), vec![i]);
            }
            net.deliver(clock.now() + Duration::from_secs(1))
                .into_iter()
                .map(|d| d.data[0])
                .collect::<Vec<_>>()
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a, run(2));
        assert!(a.len() < 100 + 40 && a.len() > 40, "{}", a.len());
        // A delay spread reorders.
        assert!(a.windows(2).any(|w| w[0] > w[1]));
    }

    #[test]
    fn targeted_faults() {
        let clock = Clock::new();
        let mut net = Net::new(NetConfig::default(), 1);
        net.fault_next(b"two", Fault::Drop);
        net.fault_next(b"three", Fault::Duplicate);
        for m in [&b"one"[..], b"two", b"three", b"two"] {
            net.send(
                clock.now(),
                addr("1.1.1.1:1"),
                addr("2.2.2.2:2"),
                m.to_vec(),
            );
        }
        let got: Vec<Vec<u8>> = net
            .deliver(clock.now() + Duration::from_secs(1))
            .into_iter()
            .map(|d| d.data)
            .collect();
        assert_eq!(
            got,
            vec![
                b"one".to_vec(),
                b"three".to_vec(),
                b"three".to_vec(),
                b"two".to_vec()
            ]
        );
        assert_eq!(net.dropped(), 1);
    }

    #[test]
    fn delivery_waits_for_its_time() {
        let mut clock = Clock::new();
        let mut net = Net::new(NetConfig::default(), 1);
        net.send(
            clock.now(),
            addr("1.1.1.1:1"),
            addr("2.2.2.2:2"),
            b"x".to_vec(),
        );
        assert!(net.deliver(clock.now()).is_empty());
        assert_eq!(
            net.next_arrival(),
            Some(clock.now() + Duration::from_millis(5))
        );
        clock.advance(Duration::from_millis(5));
        assert_eq!(net.deliver(clock.now()).len(), 1);
        assert!(net.is_idle());
    }
}
