//! Order statuses, durations, actors and the state machine of order.md §2 — one table that every
//! status change is checked against.

use serde::Serialize;

/// `OrderStatus` (§1.1). `CANCELED` has one L.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Provisioning,
    Active,
    Failed,
    Canceled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Provisioning,
        OrderStatus::Active,
        OrderStatus::Failed,
        OrderStatus::Canceled,
    ];
    pub const NAMES: [&'static str; 6] = [
        "PENDING_PAYMENT",
        "PAID",
        "PROVISIONING",
        "ACTIVE",
        "FAILED",
        "CANCELED",
    ];

    /// The database and wire spelling; also a closed set, so safe to splice into SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "PENDING_PAYMENT",
            OrderStatus::Paid => "PAID",
            OrderStatus::Provisioning => "PROVISIONING",
            OrderStatus::Active => "ACTIVE",
            OrderStatus::Failed => "FAILED",
            OrderStatus::Canceled => "CANCELED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// `PlanDuration` (§1.1): term length in months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlanDuration {
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

impl PlanDuration {
    pub const ALL: [PlanDuration; 4] = [
        PlanDuration::Monthly,
        PlanDuration::Quarterly,
        PlanDuration::SemiAnnual,
        PlanDuration::Annual,
    ];
    pub const NAMES: [&'static str; 4] = ["MONTHLY", "QUARTERLY", "SEMI_ANNUAL", "ANNUAL"];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanDuration::Monthly => "MONTHLY",
            PlanDuration::Quarterly => "QUARTERLY",
            PlanDuration::SemiAnnual => "SEMI_ANNUAL",
            PlanDuration::Annual => "ANNUAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn months(self) -> u32 {
        match self {
            PlanDuration::Monthly => 1,
            PlanDuration::Quarterly => 3,
            PlanDuration::SemiAnnual => 6,
            PlanDuration::Annual => 12,
        }
    }
}

/// Who causes a change; its text is the history `actor` (§2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Admin(String),
    Service(String),
    Internal,
    System,
}

impl Actor {
    /// The platform's audit identity of an internal-route caller (`admin:{sub}`,
    /// `service:{name}` or `internal`).
    pub fn from_identity(identity: &str) -> Self {
        if let Some(sub) = identity.strip_prefix("admin:") {
            Actor::Admin(sub.to_string())
        } else if let Some(name) = identity.strip_prefix("service:") {
            Actor::Service(name.to_string())
        } else {
            Actor::Internal
        }
    }

    /// The history `actor` value.
    pub fn label(&self) -> String {
        match self {
            Actor::User(sub) => format!("user:{sub}"),
            Actor::Admin(sub) => format!("admin:{sub}"),
            Actor::Service(name) => format!("service:{name}"),
            Actor::Internal => "internal".to_string(),
            Actor::System => "system".to_string(),
        }
    }

    fn is_back_office(&self) -> bool {
        matches!(self, Actor::Admin(_) | Actor::Service(_) | Actor::Internal)
    }
}

/// The transitions of §2's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// — → PENDING_PAYMENT (order created).
    T0,
    /// PENDING_PAYMENT → PAID.
    T1,
    /// PENDING_PAYMENT → CANCELED.
    T2,
    /// PAID → PROVISIONING.
    T3,
    /// PROVISIONING → ACTIVE.
    T4,
    /// PROVISIONING → FAILED.
    T5,
    /// FAILED → PROVISIONING (admin retry).
    T6,
}

impl Transition {
    /// The default history `reason` when the caller gives none (§2).
    pub fn default_reason(self, actor: &Actor) -> &'static str {
        match self {
            Transition::T0 => "Order dibuat",
            Transition::T1 => "Pembayaran terverifikasi",
            Transition::T2 if *actor == Actor::System => "Batas waktu pembayaran habis",
            Transition::T2 => "Order dibatalkan",
            Transition::T3 => "Provisioning dimulai",
            Transition::T4 => "VPS aktif",
            // The worker appends the error code itself: "Provisioning gagal: {errorCode}".
            Transition::T5 => "Provisioning gagal",
            Transition::T6 => "Provisioning diulang oleh admin",
        }
    }
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// No row of the table leads from `from` to `to`.
    Invalid {
        from: Option<OrderStatus>,
        to: OrderStatus,
    },
    /// The pair exists but this actor may not trigger it.
    NotAllowed { transition: Transition },
}

/// The state machine: the one place that decides whether `actor` may move an order from `from`
/// (`None` = not created yet) to `to`. Every other pair is invalid; ACTIVE and CANCELED are
/// terminal, FAILED only leaves through T6.
pub fn transition(
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &Actor,
) -> Result<Transition, TransitionError> {
    use OrderStatus::*;
    let (t, allowed) = match (from, to) {
        (None, PendingPayment) => (Transition::T0, matches!(actor, Actor::User(_))),
        (Some(PendingPayment), Paid) => (Transition::T1, actor.is_back_office()),
        (Some(PendingPayment), Canceled) => (
            Transition::T2,
            actor.is_back_office() || *actor == Actor::System,
        ),
        (Some(Paid), Provisioning) => (Transition::T3, *actor == Actor::System),
        (Some(Provisioning), Active) => (Transition::T4, *actor == Actor::System),
        (Some(Provisioning), Failed) => (Transition::T5, *actor == Actor::System),
        (Some(Failed), Provisioning) => (Transition::T6, actor.is_back_office()),
        _ => return Err(TransitionError::Invalid { from, to }),
    };
    if allowed {
        Ok(t)
    } else {
        Err(TransitionError::NotAllowed { transition: t })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    fn actors() -> Vec<Actor> {
        vec![
            Actor::User("u".into()),
            Actor::Admin("a".into()),
            Actor::Service("billing-service".into()),
            Actor::Internal,
            Actor::System,
        ]
    }

    /// The table of §2, written out independently of the implementation.
    fn expected(from: Option<OrderStatus>, to: OrderStatus, actor: &Actor) -> Option<Transition> {
        let back_office = matches!(actor, Actor::Admin(_) | Actor::Service(_) | Actor::Internal);
        let system = *actor == Actor::System;
        let user = matches!(actor, Actor::User(_));
        match (from, to) {
            (None, PendingPayment) if user => Some(Transition::T0),
            (Some(PendingPayment), Paid) if back_office => Some(Transition::T1),
            (Some(PendingPayment), Canceled) if back_office || system => Some(Transition::T2),
            (Some(Paid), Provisioning) if system => Some(Transition::T3),
            (Some(Provisioning), Active) if system => Some(Transition::T4),
            (Some(Provisioning), Failed) if system => Some(Transition::T5),
            (Some(Failed), Provisioning) if back_office => Some(Transition::T6),
            _ => None,
        }
    }

    #[test]
    fn every_pair_and_actor_matches_the_table() {
        let mut froms: Vec<Option<OrderStatus>> = vec![None];
        froms.extend(OrderStatus::ALL.map(Some));
        let mut accepted = 0;
        for from in &froms {
            for to in OrderStatus::ALL {
                for actor in actors() {
                    let got = transition(*from, to, &actor).ok();
                    assert_eq!(
                        got,
                        expected(*from, to, &actor),
                        "{from:?} -> {to:?} by {actor:?}"
                    );
                    accepted += usize::from(got.is_some());
                }
            }
        }
        // T0 (1 actor) + T1 (3) + T2 (4) + T3..T5 (1 each) + T6 (3).
        assert_eq!(accepted, 1 + 3 + 4 + 3 + 3);
    }

    #[test]
    fn terminal_states_lead_nowhere() {
        for to in OrderStatus::ALL {
            for actor in actors() {
                assert!(transition(Some(Active), to, &actor).is_err());
                assert!(transition(Some(Canceled), to, &actor).is_err());
            }
        }
    }

    #[test]
    fn a_known_pair_by_the_wrong_actor_is_not_allowed() {
        assert_eq!(
            transition(Some(PendingPayment), Paid, &Actor::User("u".into())),
            Err(TransitionError::NotAllowed {
                transition: Transition::T1
            })
        );
        assert_eq!(
            transition(Some(Paid), Active, &Actor::System),
            Err(TransitionError::Invalid {
                from: Some(Paid),
                to: Active
            })
        );
    }

    #[test]
    fn actors_and_reasons_are_spelled_as_the_spec() {
        assert_eq!(Actor::from_identity("admin:x").label(), "admin:x");
        assert_eq!(
            Actor::from_identity("service:billing-service").label(),
            "service:billing-service"
        );
        assert_eq!(Actor::from_identity("internal").label(), "internal");
        assert_eq!(Actor::User("s".into()).label(), "user:s");
        assert_eq!(Actor::System.label(), "system");
        assert_eq!(
            Transition::T2.default_reason(&Actor::System),
            "Batas waktu pembayaran habis"
        );
        assert_eq!(
            Transition::T2.default_reason(&Actor::Internal),
            "Order dibatalkan"
        );
    }

    #[test]
    fn names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        for d in PlanDuration::ALL {
            assert_eq!(PlanDuration::parse(d.as_str()), Some(d));
        }
        assert_eq!(OrderStatus::parse("CANCELLED"), None);
        assert_eq!(PlanDuration::parse("monthly"), None);
    }
}
