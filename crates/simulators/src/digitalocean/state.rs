//! The simulator's memory: droplets, actions, the rate window and injected faults.
//!
//! Nothing runs in the background. A droplet's status is computed from its creation time when it
//! is read, and [`State::settle`] completes due actions at the start of every request, so a
//! test controls time only through `active_after`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::config::{DoSimConfig, SimImage, SimRegion, SimSize};
use crate::rng::SplitMix64;

/// Shared by every handler.
#[derive(Debug)]
pub(crate) struct Sim {
    /// What `POST /_sim/reset` returns to.
    pub startup: DoSimConfig,
    state: Mutex<State>,
}

impl Sim {
    pub fn new(config: DoSimConfig) -> Self {
        let state = Mutex::new(State::new(&config));
        Self {
            startup: config,
            state,
        }
    }

    /// The state, with due actions settled. A handler that panicked while holding the lock
    /// cannot leave it half-written in a way that matters to a simulator, so poisoning is
    /// ignored rather than turning every later request into a panic.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.settle(Instant::now());
        guard
    }

    pub fn reset(&self) {
        *self.lock() = State::new(&self.startup);
    }
}

/// Settings `POST /_sim/config` may change at run time.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub active_after: Duration,
    pub nonstandard_errored: bool,
    pub per_minute_budget: u32,
    pub slow_create_delay: Duration,
    pub timeout_hold: Duration,
}

/// A forced failure for the next `remaining` API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    pub kind: FaultKind,
    pub remaining: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// `500 server_error`.
    ServerError,
    /// `503 service_unavailable`.
    ServiceUnavailable,
    /// The call takes effect, but its answer is held for `timeout_hold`.
    Timeout,
    /// The call takes effect, but its body is cut short.
    MalformedBody,
}

impl FaultKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "server_error" => Some(Self::ServerError),
            "service_unavailable" => Some(Self::ServiceUnavailable),
            "timeout" => Some(Self::Timeout),
            "malformed_body" => Some(Self::MalformedBody),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServerError => "server_error",
            Self::ServiceUnavailable => "service_unavailable",
            Self::Timeout => "timeout",
            Self::MalformedBody => "malformed_body",
        }
    }
}

/// Statuses the simulator reports (integrations.md §2.3, plus the non-standard `errored`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    New,
    Active,
    Off,
    Archive,
    Errored,
}

impl Status {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "new" => Some(Self::New),
            "active" => Some(Self::Active),
            "off" => Some(Self::Off),
            "archive" => Some(Self::Archive),
            "errored" => Some(Self::Errored),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Active => "active",
            Self::Off => "off",
            Self::Archive => "archive",
            Self::Errored => "errored",
        }
    }

    /// Whether the droplet has booted and therefore has its addresses.
    pub fn has_networks(self) -> bool {
        matches!(self, Self::Active | Self::Off)
    }
}

/// Failure injection chosen at create time by tag (`sim:<x>`) or name (containing `sim-<x>`,
/// since names cannot hold a colon).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Behaviour {
    pub fail_create: bool,
    pub errored: bool,
    pub never_active: bool,
    pub vanish: bool,
    pub slow_create: bool,
}

impl Behaviour {
    pub fn detect(name: &str, tags: &[String]) -> Self {
        let marked = |what: &str| {
            tags.iter().any(|t| t == &format!("sim:{what}"))
                || name.contains(&format!("sim-{what}"))
        };
        Self {
            fail_create: marked("fail-create"),
            errored: marked("errored"),
            never_active: marked("never-active"),
            vanish: marked("vanish"),
            slow_create: marked("slow-create"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SimDroplet {
    pub id: i64,
    pub name: String,
    pub region: SimRegion,
    pub size: SimSize,
    pub image: SimImage,
    pub tags: Vec<String>,
    pub monitoring: bool,
    pub ipv6: bool,
    pub backups: bool,
    pub vpc_uuid: String,
    /// Kept so tests can check what a client sent; shown only on `/_sim/droplets`.
    pub user_data: Option<String>,
    pub created_at: OffsetDateTime,
    pub created: Instant,
    pub behaviour: Behaviour,
    /// Set by `POST /_sim/droplets/{id}/status`; wins over the lifecycle.
    pub forced: Option<Status>,
    /// After a completed `power_off` / `shutdown`.
    pub powered_off: bool,
    pub public_v4: Ipv4Addr,
    pub private_v4: Ipv4Addr,
    pub public_v6: Ipv6Addr,
    pub create_action: i64,
}

impl SimDroplet {
    /// The status a read reports now.
    pub fn status(&self, now: Instant, settings: &Settings) -> Status {
        if let Some(forced) = self.forced {
            return forced;
        }
        if now.saturating_duration_since(self.created) < settings.active_after
            || self.behaviour.never_active
        {
            return Status::New;
        }
        if self.behaviour.errored {
            return if settings.nonstandard_errored {
                Status::Errored
            } else {
                Status::New
            };
        }
        if self.powered_off {
            Status::Off
        } else {
            Status::Active
        }
    }

    /// `sim:vanish` droplets answer `404` from the API once created.
    pub fn visible(&self) -> bool {
        !self.behaviour.vanish
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ActionStatus {
    InProgress,
    Completed,
    Errored,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Errored => "errored",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SimAction {
    pub id: i64,
    pub droplet_id: i64,
    pub kind: String,
    pub status: ActionStatus,
    pub started_at: OffsetDateTime,
    pub started: Instant,
    pub completed_at: Option<OffsetDateTime>,
    pub region_slug: String,
}

/// The per-minute window of §2.1's rate limit: fixed, starting at its first request.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateWindow {
    started: Option<Instant>,
    started_unix: i64,
    used: u32,
}

/// What the rate limiter says about one request, and the headers it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time at which the window restarts.
    pub reset_unix: i64,
    /// Seconds until then, at least 1.
    pub retry_after_secs: u64,
}

const WINDOW: Duration = Duration::from_secs(60);

impl RateWindow {
    pub fn take(&mut self, budget: u32, now: Instant, now_unix: i64) -> RateDecision {
        let expired = self
            .started
            .is_none_or(|start| now.saturating_duration_since(start) >= WINDOW);
        if expired {
            *self = Self {
                started: Some(now),
                started_unix: now_unix,
                used: 0,
            };
        }
        let allowed = self.used < budget;
        if allowed {
            self.used += 1;
        }
        let elapsed = self
            .started
            .map(|start| now.saturating_duration_since(start))
            .unwrap_or_default();
        let left = WINDOW.saturating_sub(elapsed);
        RateDecision {
            allowed,
            limit: budget,
            remaining: budget.saturating_sub(self.used),
            reset_unix: self.started_unix + WINDOW.as_secs() as i64,
            retry_after_secs: left.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub settings: Settings,
    pub fault: Option<Fault>,
    /// Added to the tags of the next create, then forgotten: lets a test whose client builds
    /// its own tags (the order service) inject a failure.
    pub next_create_tags: Vec<String>,
    pub droplets: BTreeMap<i64, SimDroplet>,
    pub actions: BTreeMap<i64, SimAction>,
    pub window: RateWindow,
    pub account_uuid: String,
    /// Creates accepted since the last reset, deleted droplets included.
    pub creates: u64,
    pub seed: u64,
    /// Ids and addresses: one stream, so they depend only on the order of creates.
    ids: SplitMix64,
    /// Request ids of error bodies: a separate stream, so errors do not shift the ids.
    request_ids: SplitMix64,
    last_droplet_id: Option<i64>,
    last_action_id: Option<i64>,
    vpc_uuids: BTreeMap<String, String>,
}

impl State {
    pub fn new(config: &DoSimConfig) -> Self {
        let mut ids = SplitMix64::new(config.seed);
        let account_uuid = ids.uuid();
        let vpc_uuids = config
            .regions
            .iter()
            .map(|r| (r.slug.clone(), ids.uuid()))
            .collect();
        Self {
            settings: Settings {
                active_after: config.active_after,
                nonstandard_errored: config.nonstandard_errored,
                per_minute_budget: config.per_minute_budget,
                slow_create_delay: config.slow_create_delay,
                timeout_hold: config.timeout_hold,
            },
            fault: None,
            next_create_tags: Vec::new(),
            droplets: BTreeMap::new(),
            actions: BTreeMap::new(),
            window: RateWindow::default(),
            account_uuid,
            creates: 0,
            seed: config.seed,
            ids,
            request_ids: SplitMix64::new(config.seed ^ 0xD1B5_4A32_D192_ED03),
            last_droplet_id: None,
            last_action_id: None,
            vpc_uuids,
        }
    }

    pub fn request_id(&mut self) -> String {
        self.request_ids.uuid()
    }

    /// Consumes one call of the injected fault, if any.
    pub fn take_fault(&mut self) -> Option<FaultKind> {
        let fault = self.fault.as_mut()?;
        let kind = fault.kind;
        fault.remaining = fault.remaining.saturating_sub(1);
        if fault.remaining == 0 {
            self.fault = None;
        }
        Some(kind)
    }

    /// A visible droplet by id.
    pub fn droplet(&self, id: i64) -> Option<&SimDroplet> {
        self.droplets.get(&id).filter(|d| d.visible())
    }

    /// Completes what is due: create actions follow their droplet, other actions finish
    /// `active_after` after they started and then apply their effect.
    pub fn settle(&mut self, now: Instant) {
        let wall = OffsetDateTime::now_utc();
        let settings = self.settings.clone();
        for action in self.actions.values_mut() {
            if action.status != ActionStatus::InProgress {
                continue;
            }
            let Some(droplet) = self.droplets.get_mut(&action.droplet_id) else {
                continue;
            };
            let outcome = if action.kind == "create" {
                let due = now.saturating_duration_since(droplet.created) >= settings.active_after;
                match droplet.status(now, &settings) {
                    Status::Active | Status::Off => Some(ActionStatus::Completed),
                    Status::Errored => Some(ActionStatus::Errored),
                    _ if droplet.behaviour.errored && due && droplet.forced.is_none() => {
                        Some(ActionStatus::Errored)
                    }
                    _ => None,
                }
            } else if now.saturating_duration_since(action.started) >= settings.active_after {
                match action.kind.as_str() {
                    "power_off" | "shutdown" => droplet.powered_off = true,
                    "power_on" | "reboot" | "power_cycle" => droplet.powered_off = false,
                    _ => {}
                }
                Some(ActionStatus::Completed)
            } else {
                None
            };
            if let Some(status) = outcome {
                action.status = status;
                action.completed_at = Some(wall);
            }
        }
    }

    pub fn next_droplet_id(&mut self) -> i64 {
        let id = match self.last_droplet_id {
            None => 400_000_000 + self.ids.below(100_000_000) as i64,
            Some(last) => last + 1 + self.ids.below(1_000) as i64,
        };
        self.last_droplet_id = Some(id);
        id
    }

    pub fn next_action_id(&mut self) -> i64 {
        let id = match self.last_action_id {
            None => 2_000_000_000 + self.ids.below(100_000_000) as i64,
            Some(last) => last + 1 + self.ids.below(1_000) as i64,
        };
        self.last_action_id = Some(id);
        id
    }

    /// A public address from 203.0.113.0/24 (TEST-NET-3) not held by another droplet; `.1` is
    /// the gateway. Reused only when all 253 are taken.
    pub fn next_public_v4(&mut self) -> Ipv4Addr {
        let pick = 2 + self.ids.below(253) as u8;
        let taken = |last: u8| {
            self.droplets
                .values()
                .any(|d| d.public_v4.octets()[3] == last)
        };
        let last = (0..253u8)
            .map(|step| 2 + (pick - 2 + step) % 253)
            .find(|candidate| !taken(*candidate))
            .unwrap_or(pick);
        Ipv4Addr::new(203, 0, 113, last)
    }

    /// A private address from 10.130.0.0/16, avoiding the network, gateway (`.0.1`) and
    /// broadcast addresses and any address already held.
    pub fn next_private_v4(&mut self) -> Ipv4Addr {
        let mut candidate = Ipv4Addr::new(10, 130, 0, 2);
        // Bounded: with more droplets than a test ever makes, a duplicate is acceptable.
        for _ in 0..1_000 {
            let host = 2 + self.ids.below(65_533) as u32;
            candidate = Ipv4Addr::from(0x0A82_0000 | host);
            if !self.droplets.values().any(|d| d.private_v4 == candidate) {
                break;
            }
        }
        candidate
    }

    /// An address from 2001:db8::/32 (documentation prefix), in a /64 of its own.
    pub fn next_public_v6(&mut self) -> Ipv6Addr {
        let net = self.ids.next_u64() & 0x0000_0000_FFFF_FFFF;
        let host = self.ids.next_u64() | 1;
        Ipv6Addr::from((u128::from(0x2001_0db8_0000_0000 | net) << 64) | u128::from(host))
    }

    pub fn vpc_uuid(&mut self, region: &str) -> String {
        if let Some(uuid) = self.vpc_uuids.get(region) {
            return uuid.clone();
        }
        let uuid = self.ids.uuid();
        self.vpc_uuids.insert(region.to_string(), uuid.clone());
        uuid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_window_counts_and_restarts() {
        let mut window = RateWindow::default();
        let start = Instant::now();
        let first = window.take(2, start, 1_000);
        assert!(first.allowed);
        assert_eq!(
            (first.limit, first.remaining, first.reset_unix),
            (2, 1, 1_060)
        );
        assert!(window.take(2, start, 1_000).allowed);
        let refused = window.take(2, start + Duration::from_secs(15), 1_015);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after_secs, 45);
        let later = window.take(2, start + Duration::from_secs(60), 1_060);
        assert!(later.allowed);
        assert_eq!(later.reset_unix, 1_120);
    }

    #[test]
    fn behaviour_markers_by_tag_or_name() {
        let tags = vec!["webrana".to_string(), "sim:errored".to_string()];
        let b = Behaviour::detect("vps-1", &tags);
        assert!(b.errored && !b.vanish && !b.fail_create);
        let b = Behaviour::detect("vps-sim-vanish", &[]);
        assert!(b.vanish && !b.errored);
        // A prefix is not a marker.
        let b = Behaviour::detect("vps", &["sim:errored-not".to_string()]);
        assert_eq!(b, Behaviour::default());
    }

    #[test]
    fn faults_count_down_and_clear() {
        let mut state = State::new(&DoSimConfig::default());
        state.fault = Some(Fault {
            kind: FaultKind::ServerError,
            remaining: 2,
        });
        assert_eq!(state.take_fault(), Some(FaultKind::ServerError));
        assert_eq!(state.take_fault(), Some(FaultKind::ServerError));
        assert_eq!(state.take_fault(), None);
        assert!(state.fault.is_none());
    }

    #[test]
    fn addresses_stay_in_their_ranges() {
        let mut state = State::new(&DoSimConfig::default());
        for _ in 0..100 {
            let public = state.next_public_v4().octets();
            assert_eq!(&public[..3], &[203, 0, 113]);
            assert!((2..=254).contains(&public[3]));
            let private = state.next_private_v4().octets();
            assert_eq!(&private[..2], &[10, 130]);
            assert_ne!(&private[2..], &[0, 1]);
            assert_ne!(&private[2..], &[255, 255]);
            let v6 = state.next_public_v6().segments();
            assert_eq!(&v6[..2], &[0x2001, 0x0db8]);
        }
    }
}
