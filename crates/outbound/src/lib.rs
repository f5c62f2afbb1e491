//! Outbound HTTP clients that cannot be pointed at our own network (webhook
//! deliveries, provider connection tests):
//! every address a host name resolves to is checked at connect time (a
//! resolver that drops refused addresses, so a DNS answer that changes
//! between check and connect does not get through), IP-literal URLs are
//! checked before sending, and redirects are not followed. Proxies are never
//! used: HTTP(S)_PROXY would send the request to the proxy, whose own
//! resolver the check never sees.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

mod special;

pub use special::refused_block;

/// True for addresses an outbound request must not reach unless private delivery is allowed:
/// every block of the IANA special-purpose registries, multicast, and IPv6 outside Global Unicast
/// (see [`refused_block`]).
pub fn is_refused(ip: IpAddr) -> bool {
    refused_block(ip).is_some()
}

#[derive(Debug, thiserror::Error)]
#[error("refused: `{host}` resolves only to private, loopback or link-local addresses")]
pub struct Refused {
    pub host: String,
}

/// Resolves with the system resolver and keeps only allowed addresses.
#[derive(Debug, Clone, Copy)]
struct FilteringResolver;

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_refused(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A client with `timeout` per request, no redirects, and unless
/// `allow_private`, no private destinations.
pub fn client(timeout: Duration, allow_private: bool) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("EchoSenseiX/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(FilteringResolver));
    }
    builder.build()
}

/// Checks a URL before sending: scheme, and an IP-literal host (which the
/// resolver never sees). `Err` is permanent.
pub fn check_url(url: &str, allow_private: bool) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("invalid url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "refused: scheme `{}` is not http or https",
            parsed.scheme()
        ));
    }
    if !allow_private {
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(d))
                if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") =>
            {
                return Err(format!("refused: `{d}` is a loopback host"));
            }
            _ => None,
        };
        if let Some((ip, block)) = literal.and_then(|ip| Some((ip, refused_block(ip)?))) {
            return Err(format!(
                "refused: {ip} is a special-purpose address ({block})"
            ));
        }
    }
    Ok(parsed)
}

/// True when a request error came from the resolver refusing every address.
pub fn is_refusal(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<Refused>().is_some() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(is_refused(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_refused(ip.parse().unwrap()), "{ip}");
        }
        assert!(check_url("http://127.0.0.1:8080/x", false).is_err());
        assert!(check_url("http://[::1]/x", false).is_err());
        assert!(check_url("http://localhost/x", false).is_err());
        assert!(check_url("ftp://example.com/x", false).is_err());
        assert!(check_url("http://127.0.0.1:8080/x", true).is_ok());
        assert!(check_url("https://example.com/x", false).is_ok());
    }
}
