//! Webhook endpoints' rules: which addresses an endpoint may have and a delivery may reach, which
//! events it asks for, how a delivery is signed (the Standard Webhooks specification), and when a
//! failed delivery is tried again before the endpoint is marked failing.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::event::EventName;
use crate::invalid::FieldError;

/// An endpoint's address: `https` (plain `http` only in development), with a host, without
/// credentials or a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(url::Url);

impl EndpointUrl {
    pub fn parse(raw: &str, development: bool) -> Result<Self, FieldError> {
        let refuse = |message: &str| FieldError::new("url", message);
        let url = url::Url::parse(raw.trim()).map_err(|_| refuse("expected an absolute https:// URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if development => {}
            "http" => return Err(refuse("must be https:// (plain http:// only in development)")),
            _ => return Err(refuse("expected an absolute https:// URL")),
        }
        if url.host().is_none() {
            return Err(refuse("must name a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not carry a user name or password: the signature authenticates"));
        }
        if url.fragment().is_some() {
            return Err(refuse("must not have a #fragment"));
        }
        if raw.len() > 2000 {
            return Err(refuse("must be at most 2000 characters"));
        }
        Ok(EndpointUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as written (a name, or an address literal without brackets) and the port.
    pub fn host_and_port(&self) -> (String, u16) {
        let host = match self.0.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        (host, self.0.port_or_known_default().unwrap_or(443))
    }

    /// An address literal in the URL itself, which needs no resolving to be judged.
    pub fn literal_address(&self) -> Option<IpAddr> {
        match self.0.host()? {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        }
    }
}

/// Whether a delivery may not go to `ip` outside development: the server's own host, private and
/// shared networks, link-local (cloud metadata services live there), multicast and reserved
/// ranges — anything that is not a public address, so that an endpoint cannot make the server
/// reach into the network it runs in.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x64 && ip.segments()[1] == 0xff9b) // NAT64 of IPv4 addresses
}

/// The events an endpoint asks for: all it may read, or only those named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelection {
    All,
    Only(BTreeSet<EventName>),
}

impl EventSelection {
    /// From the names an admin lists (`["*"]` or none for all); an unknown name is refused by
    /// its position.
    pub fn parse(names: &[String]) -> Result<Self, Vec<FieldError>> {
        if names.is_empty() || names.iter().any(|n| n == "*") {
            return Ok(EventSelection::All);
        }
        let mut chosen = BTreeSet::new();
        let mut errors = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match name.parse::<EventName>() {
                Ok(event) => {
                    chosen.insert(event);
                }
                Err(_) => errors.push(FieldError::new(format!("event_types.{i}"), "not an event type")),
            }
        }
        if errors.is_empty() { Ok(EventSelection::Only(chosen)) } else { Err(errors) }
    }

    pub fn includes(&self, event: EventName) -> bool {
        match self {
            EventSelection::All => true,
            EventSelection::Only(events) => events.contains(&event),
        }
    }
}

/// The key an endpoint's deliveries are signed with, shown once as `whsec_` and its base64.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(..)")
    }
}

const SECRET_PREFIX: &str = "whsec_";

impl SigningSecret {
    pub fn from_random(bytes: [u8; 32]) -> Self {
        SigningSecret(bytes.to_vec())
    }

    /// A secret as [`Self::reveal`] wrote it.
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.strip_prefix(SECRET_PREFIX)?).ok()?;
        (24..=64).contains(&key.len()).then_some(SigningSecret(key))
    }

    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The `webhook-signature` header's value for a message: `v1,` and the base64 of
    /// HMAC-SHA256 over `{id}.{timestamp}.{body}`.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// Seconds to wait before each new try of a failed delivery: the Standard Webhooks schedule (5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), about 27.5 hours in all; after the last the endpoint is
/// marked failing.
pub const RETRY_DELAYS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// When a delivery that has failed `failures` times is tried again, or `None` when the
/// schedule is spent.
pub fn retry_after(failures: u32) -> Option<chrono::Duration> {
    let index = usize::try_from(failures).ok()?.checked_sub(1)?;
    RETRY_DELAYS.get(index).map(|s| chrono::Duration::seconds(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_one_the_specification_gives() {
        // The example of the Standard Webhooks specification.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(SigningSecret::parse(&secret.reveal()), Some(secret));
        assert!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none(), "the prefix is required");
        assert!(SigningSecret::parse("whsec_c2hvcnQ=").is_none(), "too short a key");
        assert_eq!(format!("{:?}", SigningSecret::from_random([7; 32])), "SigningSecret(..)");
    }

    #[test]
    fn urls_are_https_with_a_host_and_nothing_secret() {
        assert!(EndpointUrl::parse("https://hooks.comune.cremona.it/ambito", false).is_ok());
        assert!(EndpointUrl::parse("http://hooks.comune.cremona.it/ambito", false).is_err());
        assert!(EndpointUrl::parse("http://localhost:9000/hook", true).is_ok());
        for bad in [
            "ftp://x.it/",
            "https://user:pw@x.it/",
            "https://x.it/#frag",
            "not a url",
            "/relative",
            "file:///etc/passwd",
        ] {
            assert!(EndpointUrl::parse(bad, true).is_err(), "{bad}");
        }
        let url = EndpointUrl::parse("https://[::1]:8443/h", false).unwrap();
        assert_eq!(url.host_and_port(), ("::1".to_owned(), 8443));
        assert_eq!(url.literal_address(), Some("::1".parse().unwrap()));
        assert_eq!(EndpointUrl::parse("https://x.it/h", false).unwrap().host_and_port(), ("x.it".to_owned(), 443));
    }

    #[test]
    fn addresses_inside_the_network_are_forbidden_and_public_ones_are_not() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "240.0.0.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "151.101.1.69", "2a00:1450:4002:80b::200e", "::ffff:93.184.216.34"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn event_selection_names_known_events_or_all() {
        assert_eq!(EventSelection::parse(&[]), Ok(EventSelection::All));
        assert_eq!(EventSelection::parse(&["*".to_owned()]), Ok(EventSelection::All));
        let only = EventSelection::parse(&["application.admitted".to_owned(), "patto.signed".to_owned()]).unwrap();
        assert!(only.includes(EventName::ApplicationAdmitted) && !only.includes(EventName::TenderPublished));
        let errors = EventSelection::parse(&["patto.signed".to_owned(), "patto.nope".to_owned()]).unwrap_err();
        assert_eq!(errors[0].field, "event_types.1");
    }

    #[test]
    fn retries_follow_the_schedule_for_about_a_day_then_stop() {
        assert_eq!(retry_after(0), None, "a delivery that has not failed is not retried");
        assert_eq!(retry_after(1), Some(chrono::Duration::seconds(5)));
        assert_eq!(retry_after(7), Some(chrono::Duration::hours(10)));
        assert_eq!(retry_after(8), None);
        let total: i64 = (1..=7).filter_map(retry_after).map(|d| d.num_seconds()).sum();
        assert!((24 * 3600..30 * 3600).contains(&total), "{total} s");
    }
}
