//! The relay's address as a member or an enrollment gives it, and every URL derived from
//! it: the HTTP base (enrollment, photos), the WebSocket sync URL, `host:port`.
//!
//! Accepted: `http://` and `https://` base URLs, the `ws://`/`wss://` sync URL itself, with
//! or without a path prefix (a relay behind a reverse proxy at `/wangge/`), and a bare
//! `host[:port]`, taken as `https://`. Parsing is the `url` crate's (WHATWG URL), so hosts,
//! IPv6 literals and ports are read the way browsers read them.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// The sync endpoint's path below the base.
pub const SYNC_PATH: &str = "/v1/sync";

/// Why an address is not a relay URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayUrlError {
    /// Nothing was given.
    #[error("the relay address is empty")]
    Empty,
    /// Not a URL at all.
    #[error("the relay address is not a URL")]
    NotAUrl,
    /// A scheme other than http(s) or ws(s).
    #[error("the relay address must start with http://, https://, ws:// or wss://")]
    Scheme,
    /// No host.
    #[error("the relay address has no host")]
    NoHost,
    /// User, password, query or fragment: none belongs in a relay address.
    #[error("the relay address must not carry a user, password, query or fragment")]
    Extras,
}

/// A relay's base address.
#[derive(Clone, PartialEq, Eq)]
pub struct RelayUrl {
    tls: bool,
    host: String,
    port: u16,
    /// Path prefix without a trailing slash (empty at the root).
    prefix: String,
    loopback: bool,
}

impl RelayUrl {
    /// Parses an address in any of the accepted forms.
    pub fn parse(input: &str) -> Result<Self, RelayUrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(RelayUrlError::Empty);
        }
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("https://{input}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| match e {
            url::ParseError::EmptyHost => RelayUrlError::NoHost,
            _ => RelayUrlError::NotAUrl,
        })?;
        let tls = match url.scheme() {
            "http" | "ws" => false,
            "https" | "wss" => true,
            _ => return Err(RelayUrlError::Scheme),
        };
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(RelayUrlError::Extras);
        }
        let (host, loopback) = match url.host() {
            None => return Err(RelayUrlError::NoHost),
            Some(Host::Domain(d)) => (d.to_owned(), d.eq_ignore_ascii_case("localhost")),
            Some(Host::Ipv4(ip)) => (ip.to_string(), IpAddr::V4(ip).is_loopback()),
            Some(Host::Ipv6(ip)) => (format!("[{ip}]"), IpAddr::V6(ip).is_loopback()),
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        // The sync path is taken off as often as it ends the path: a prefix never ends in
        // it, or the base URL (`…/v1/sync`) would read back as the sync URL of a shorter one.
        let mut prefix = url.path().trim_end_matches('/');
        while let Some(rest) = prefix.strip_suffix(SYNC_PATH) {
            prefix = rest.trim_end_matches('/');
        }
        let prefix = prefix.to_owned();
        Ok(Self {
            tls,
            host,
            port,
            prefix,
            loopback,
        })
    }

    /// Whether the link is TLS (`https://`, `wss://`).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether the host is this machine (`127.0.0.0/8`, `::1`, `localhost`).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The host (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the scheme's default when none was given).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, to connect a socket to.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The path prefix below which the relay's endpoints live (empty at the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The HTTP base URL, without a trailing slash: `https://host[:port][/prefix]`.
    pub fn base(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}", self.host_port(), self.prefix)
    }

    /// The absolute path of an endpoint (`/v1/enroll` → `/prefix/v1/enroll`).
    pub fn path(&self, endpoint: &str) -> String {
        format!("{}{endpoint}", self.prefix)
    }

    /// The full URL of an endpoint.
    pub fn endpoint(&self, endpoint: &str) -> String {
        format!("{}{endpoint}", self.base())
    }

    /// The WebSocket sync URL: `wss://host[:port][/prefix]/v1/sync`.
    pub fn sync_url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}{}{SYNC_PATH}", self.host_port(), self.prefix)
    }

    fn host_port(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            self.authority()
        }
    }
}

impl fmt::Display for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base())
    }
}

impl fmt::Debug for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayUrl({})", self.base())
    }
}

impl std::str::FromStr for RelayUrl {
    type Err = RelayUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_usual_form_gives_the_same_endpoints() {
        for input in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            " ws://127.0.0.1:8080/v1/sync ",
            "ws://127.0.0.1:8080/v1/sync/",
        ] {
            let u = RelayUrl::parse(input).unwrap();
            assert_eq!(u.base(), "http://127.0.0.1:8080", "{input}");
            assert_eq!(u.sync_url(), "ws://127.0.0.1:8080/v1/sync");
            assert_eq!(u.authority(), "127.0.0.1:8080");
            assert!(!u.is_tls() && u.is_loopback());
        }
    }

    #[test]
    fn tls_default_ports_prefixes_and_bare_hosts() {
        let u = RelayUrl::parse("https://relay.example.cn/wangge/").unwrap();
        assert!(u.is_tls() && !u.is_loopback());
        assert_eq!(u.authority(), "relay.example.cn:443");
        assert_eq!(u.sync_url(), "wss://relay.example.cn/wangge/v1/sync");
        assert_eq!(
            u.endpoint("/v1/enroll"),
            "https://relay.example.cn/wangge/v1/enroll"
        );
        assert_eq!(u.path("/v1/files"), "/wangge/v1/files");
        let bare = RelayUrl::parse("relay.example.cn:8443").unwrap();
        assert_eq!(bare.base(), "https://relay.example.cn:8443");
        let v6 = RelayUrl::parse("http://[::1]:3030").unwrap();
        assert!(v6.is_loopback());
        assert_eq!(v6.authority(), "[::1]:3030");
        assert!(RelayUrl::parse("http://LOCALHOST:1").unwrap().is_loopback());
        // Found by fuzzing: a slash before the sync path left a prefix of "/".
        let doubled = RelayUrl::parse("ws://[::1]:8080//v1/sync").unwrap();
        assert_eq!(doubled.base(), "http://[::1]:8080");
        assert_eq!(RelayUrl::parse(&doubled.base()).unwrap(), doubled);
        // A path that ends in the sync path twice: the prefix must not keep one, or the
        // base would parse back as another relay (found by the `relay_url` fuzz target).
        let twice = RelayUrl::parse("MJJ/v1/sync/v1/sync").unwrap();
        assert_eq!(twice.prefix(), "");
        assert_eq!(RelayUrl::parse(&twice.base()).unwrap(), twice);
        assert_eq!(RelayUrl::parse(&twice.sync_url()).unwrap(), twice);
    }

    #[test]
    fn what_is_not_a_relay_address_is_refused_with_its_reason() {
        assert_eq!(RelayUrl::parse("  "), Err(RelayUrlError::Empty));
        assert_eq!(RelayUrl::parse("ftp://x"), Err(RelayUrlError::Scheme));
        assert_eq!(RelayUrl::parse("http://"), Err(RelayUrlError::NoHost));
        assert_eq!(RelayUrl::parse("http://a:b@x"), Err(RelayUrlError::Extras));
        assert_eq!(RelayUrl::parse("http://x/?t=1"), Err(RelayUrlError::Extras));
        assert_eq!(
            RelayUrl::parse("http://x:99999"),
            Err(RelayUrlError::NotAUrl)
        );
    }
}
