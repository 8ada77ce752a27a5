//! The per-address limit on `POST /v1/enroll` attempts, and which address a request
//! comes from.
//!
//! Each client address has a token bucket (governor's GCRA): `enroll_attempts` attempts at
//! once, given back one every `enroll_window_seconds / enroll_attempts`. An IPv6 client
//! is keyed by its /64, the block one household or phone is handed, so cycling through
//! one's own addresses buys nothing. The map is bounded: idle buckets are dropped every
//! so often, and while [`MAX_TRACKED`] addresses are tracked (a flood from very many
//! addresses) every attempt shares one bucket until a sweep frees room: enrollment then
//! slows down for all rather than the relay's memory growing without end.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Most addresses with a bucket of their own.
pub(crate) const MAX_TRACKED: usize = 100_000;
/// Idle buckets are swept after this many checks.
const SWEEP_EVERY: u64 = 1024;

/// The enrollment attempt limiter.
pub(crate) struct EnrollLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

impl EnrollLimiter {
    /// `attempts` per `window` from one address; `attempts == 0` turns the limit off.
    pub(crate) fn new(attempts: u32, window: Duration) -> Self {
        let limiter = NonZeroU32::new(attempts).map(|burst| {
            let period = (window / burst.get()).max(Duration::from_millis(1));
            let quota = Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(burst))
                .allow_burst(burst);
            RateLimiter::keyed(quota)
        });
        Self {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes an attempt for `client`: `Err(wait)` when it has none left, `wait` being when
    /// the next one comes back.
    pub(crate) fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let mut key = bucket_key(client);
        if limiter.len() >= MAX_TRACKED {
            // Full: everyone shares one bucket until a sweep frees room.
            key = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        }
        limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The bucket of an address: IPv4 as is, IPv6 by its /64 (IPv4-mapped ones as IPv4).
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The address a request comes from: the peer's, unless the peer is one of the `trusted`
/// reverse proxies, in which case the nearest address in `X-Forwarded-For` that is not a
/// trusted proxy. A client can write anything into that header, so it is read only from
/// proxies the configuration names; an entry that is not an address stops the walk at
/// the proxy's own address.
pub(crate) fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| canonical(*t) == canonical(ip));
    let mut client = canonical(peer.ip());
    if !is_trusted(client) {
        return client;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = canonical(ip);
                if !is_trusted(client) {
                    return client;
                }
            }
            Err(_) => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer = SocketAddr::new(proxy, 4000);
        let h = headers(&["1.2.3.4, 5.6.7.8"]);
        // Not trusted: the header is the client's word and is ignored.
        assert_eq!(client_ip(peer, &h, &[]), proxy);
        // Trusted: the nearest hop the proxy saw.
        assert_eq!(
            client_ip(peer, &h, &[proxy]),
            "5.6.7.8".parse::<IpAddr>().unwrap()
        );
        // Two trusted proxies in a row, and a hop that is not an address.
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        let h2 = headers(&["9.9.9.9", "10.0.0.2"]);
        assert_eq!(
            client_ip(peer, &h2, &[proxy, inner]),
            "9.9.9.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(peer, &headers(&["junk"]), &[proxy]), proxy);
        assert_eq!(client_ip(peer, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn an_address_runs_out_of_attempts_and_others_do_not_and_ipv6_counts_by_64() {
        let limiter = EnrollLimiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiter.check("192.0.2.2".parse().unwrap()).is_ok());
        for i in 1..=3u16 {
            let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, i));
            assert!(limiter.check(ip).is_ok());
        }
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 9, 9, 9, 9));
        assert!(limiter.check(same_64).is_err());
        let off = EnrollLimiter::new(0, Duration::from_secs(60));
        assert!((0..100).all(|_| off.check(a).is_ok()));
    }
}
