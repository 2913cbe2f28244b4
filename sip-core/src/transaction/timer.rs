//! The timers of RFC 3261 17 (Table 4) and RFC 6026, and the small table a
//! transaction keeps them in.
//!
//! A transaction runs at most two timers at once (a retransmission timer
//! and a lifetime timer), so the table is two slots; its next deadline is
//! the minimum of the armed slots.

use std::time::{Duration, Instant};

/// A transaction timer, named as in RFC 3261 Table 4 and RFC 6026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Timer {
    /// INVITE request retransmission (unreliable transports): T1, doubling.
    A,
    /// INVITE transaction timeout: 64*T1.
    B,
    /// Guard of a client INVITE transaction in Proceeding: without it a
    /// transaction whose final response is lost for good (the server's
    /// Timer H gives up after 64*T1) would wait forever, since Timer B
    /// only guards Calling. RFC 3261 16.6 step 11 and 16.7 step 2 give
    /// proxies this timer (more than 3 minutes, restarted by every
    /// provisional response); a UAC needs the same bound. Default 180 s.
    C,
    /// Wait for response retransmissions after a non-2xx final: 32 s or more
    /// over unreliable transports, zero over reliable ones.
    D,
    /// Non-INVITE request retransmission: T1 doubling up to T2 (T2 in
    /// Proceeding).
    E,
    /// Non-INVITE transaction timeout: 64*T1.
    F,
    /// INVITE non-2xx final response retransmission: T1 doubling up to T2.
    G,
    /// Wait for the ACK of a non-2xx final: 64*T1.
    H,
    /// Wait for ACK retransmissions: T4 (zero over reliable transports).
    I,
    /// Wait for non-INVITE request retransmissions: 64*T1 (zero over
    /// reliable transports).
    J,
    /// Wait for non-INVITE response retransmissions: T4 (zero over reliable
    /// transports).
    K,
    /// RFC 6026 8.7: a server INVITE transaction stays Accepted after a 2xx
    /// for 64*T1.
    L,
    /// RFC 6026 8.4: a client INVITE transaction stays Accepted after a 2xx
    /// for 64*T1.
    M,
    /// RFC 3261 13.3.1.4: the UAS core retransmits a 2xx to INVITE at T1
    /// doubling up to T2 until the ACK comes (done by the endpoint on the
    /// TU's behalf while the server transaction is Accepted).
    Retransmit2xx,
}

/// The protocol timer values (RFC 3261 17.1.1.1 and Table 4). All are
/// configurable; the defaults are the RFC's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimerConfig {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Longest retransmission interval for non-INVITE requests and INVITE
    /// responses (default 4 s).
    pub t2: Duration,
    /// Longest time a message stays in the network (default 5 s).
    pub t4: Duration,
    /// Timer D over unreliable transports (at least 32 s, the default).
    pub timer_d: Duration,
    /// Timer C: how long a client INVITE transaction waits in Proceeding
    /// for a final response after the last provisional one (default
    /// 180 s, RFC 3261 16.6 step 11).
    pub timer_c: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            timer_c: Duration::from_secs(180),
        }
    }
}

impl TimerConfig {
    /// 64*T1: the lifetime of timers B, F, H, J, L and M.
    pub fn t1_x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// The next retransmission interval after `current`: doubled, capped at
    /// T2 (timers E and G).
    pub fn backoff_capped(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.t2)
    }
}

/// Up to two armed timers with their deadlines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timers {
    slots: [Option<(Timer, Instant)>; 2],
}

impl Timers {
    /// No timer armed.
    pub const fn new() -> Timers {
        Timers {
            slots: [None, None],
        }
    }

    /// Arms `timer` to fire at `at`, replacing an earlier arming of the same
    /// timer. With both slots taken by other timers, the later deadline is
    /// replaced (never happens with the RFC machines, which run two at most).
    pub fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self
            .slots
            .iter_mut()
            .find(|s| matches!(s, Some((t, _)) if *t == timer))
        {
            *slot = Some((timer, at));
            return;
        }
        if let Some(slot) = self.slots.iter_mut().find(|s| s.is_none()) {
            *slot = Some((timer, at));
            return;
        }
        let later = usize::from(self.slots[0].map(|s| s.1) < self.slots[1].map(|s| s.1));
        self.slots[later] = Some((timer, at));
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        for slot in &mut self.slots {
            if matches!(slot, Some((t, _)) if *t == timer) {
                *slot = None;
            }
        }
    }

    /// Disarms every timer.
    pub fn clear(&mut self) {
        self.slots = [None, None];
    }

    /// The deadline of `timer`, when armed.
    pub fn deadline(&self, timer: Timer) -> Option<Instant> {
        self.slots
            .iter()
            .flatten()
            .find(|(t, _)| *t == timer)
            .map(|s| s.1)
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.slots.iter().flatten().map(|s| s.1).min()
    }

    /// Removes and returns the earliest timer due at `now`, if any.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let (i, _) = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|(_, at)| (i, at)))
            .filter(|(_, at)| *at <= now)
            .min_by_key(|(_, at)| *at)?;
        self.slots[i].take().map(|(t, _)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_the_minimum_and_pop_goes_in_order() {
        let t0 = testkit::net::Clock::new().now();
        let mut t = Timers::new();
        assert_eq!(t.next(), None);
        t.set(Timer::F, t0 + Duration::from_secs(32));
        t.set(Timer::E, t0 + Duration::from_millis(500));
        assert_eq!(t.next(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(t.pop_expired(t0), None);
        t.set(Timer::E, t0 + Duration::from_secs(1));
        assert_eq!(t.deadline(Timer::E), Some(t0 + Duration::from_secs(1)));
        let late = t0 + Duration::from_secs(40);
        assert_eq!(t.pop_expired(late), Some(Timer::E));
        assert_eq!(t.pop_expired(late), Some(Timer::F));
        assert_eq!(t.pop_expired(late), None);
        t.set(Timer::K, t0);
        t.stop(Timer::K);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn backoff_doubles_up_to_t2() {
        let c = TimerConfig::default();
        let mut d = c.t1;
        let mut seen = vec![];
        for _ in 0..6 {
            seen.push(d.as_millis());
            d = c.backoff_capped(d);
        }
        assert_eq!(seen, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(c.t1_x64(), Duration::from_secs(32));
    }
}
