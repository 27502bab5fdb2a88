//! `TRIPAY_CALLBACK_ALLOWED_IPS`: addresses and CIDR blocks allowed to post callbacks (§6.6).

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    network: IpAddr,
    prefix: u8,
}

impl Block {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            // Families never match each other; mapped IPv4 is unwrapped before this.
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] & mask) == (b[full] & mask)
}

/// An empty list allows everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<Block>);

impl AllowList {
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut blocks = Vec::new();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let (addr, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let network: IpAddr = addr
                .parse()
                .map_err(|_| format!("{entry:?} is not an IP address or CIDR block"))?;
            let max = if network.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("{entry:?} has an invalid prefix length"))?,
            };
            blocks.push(Block { network, prefix });
        }
        Ok(Self(blocks))
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.is_empty() || self.0.iter().any(|b| b.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn empty_allows_all_and_blocks_match_by_prefix() {
        assert!(AllowList::default().allows("203.0.113.9".parse().unwrap()));
        let l = list(&["103.10.20.0/24", "10.0.0.7", "2001:db8::/32"]);
        assert!(l.allows("103.10.20.200".parse().unwrap()));
        assert!(!l.allows("103.10.21.1".parse().unwrap()));
        assert!(l.allows("10.0.0.7".parse().unwrap()));
        assert!(!l.allows("10.0.0.8".parse().unwrap()));
        assert!(l.allows("2001:db8::1".parse().unwrap()));
        assert!(!l.allows("2001:db9::1".parse().unwrap()));
        // An IPv4 peer seen through a dual-stack socket.
        assert!(l.allows("::ffff:10.0.0.7".parse().unwrap()));
        let odd = list(&["192.168.0.0/23"]);
        assert!(odd.allows("192.168.1.9".parse().unwrap()));
        assert!(!odd.allows("192.168.2.9".parse().unwrap()));
        assert!(list(&["0.0.0.0/0"]).allows("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn bad_entries_are_reported() {
        for bad in ["nope", "10.0.0.0/33", "10.0.0.0/x", "::/129"] {
            assert!(AllowList::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
    }
}
