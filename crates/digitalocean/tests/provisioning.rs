//! The provisioning path of order.md §7.3–§7.5 against the simulator: create, poll until active,
//! read the addresses, adopt by tag, and the failure statuses.

mod common;

use std::time::{Duration, Instant};

use common::{ORDER_ID, TOKEN};
use digitalocean::provisioning::{self, OrderDroplet};
use digitalocean::{ActionStatus, ActionType, DropletStatus, ErrorKind};
use serde_json::json;
use simulators::digitalocean::DoSimConfig;

fn order(order_id: &str) -> OrderDroplet<'_> {
    OrderDroplet {
        order_id,
        region: "sgp1",
        size: "s-1vcpu-1gb",
        image: "ubuntu-22-04-x64",
        root_password: "Pw0rdPw0rdPw0rdPw0rdPw0r",
    }
}

#[tokio::test]
async fn create_then_poll_until_active_with_a_public_ipv4() {
    let sim = common::start(DoSimConfig {
        active_after: Duration::from_millis(500),
        ..DoSimConfig::for_tests(TOKEN)
    })
    .await;
    let client = sim.client();
    let request = order(ORDER_ID).request().expect("valid password");

    let created = client.create_droplet(&request).await.expect("created");
    assert_eq!(created.status, 202);
    assert_eq!(created.rate_limit.limit, Some(250));
    assert_eq!(created.rate_limit.remaining, Some(249));
    assert!(created.rate_limit.reset_at.is_some());
    let droplet = &created.value.droplet;
    assert_eq!(droplet.status, DropletStatus::New);
    assert_eq!(droplet.name, "vps-6f0429ea");
    assert_eq!(droplet.tags, provisioning::droplet_tags(ORDER_ID));
    assert_eq!(droplet.region_slug(), Some("sgp1"));
    assert_eq!(droplet.size_slug(), Some("s-1vcpu-1gb"));
    assert!(droplet.networks.v4.is_empty());
    assert!(droplet.public_ipv4().is_none());
    assert!(droplet.created_at().is_some());
    let action = &created.value.actions[0];
    assert_eq!(action.rel, "create");
    assert!(action.href.ends_with(&format!("/v2/actions/{}", action.id)));

    // Poll like the worker, with a short interval and a bounded budget.
    let started = Instant::now();
    let mut polls = 0;
    let ready = loop {
        let polled = client
            .get_droplet(droplet.id)
            .await
            .expect("poll answered")
            .value;
        polls += 1;
        if polled.is_ready() {
            break polled;
        }
        assert_eq!(polled.status, DropletStatus::New, "only new before active");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never became active"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(polls > 1, "the droplet was new for a while");
    assert_eq!(ready.status, DropletStatus::Active);
    let public = ready.public_ipv4().expect("public ipv4");
    assert!(public.starts_with("203.0.113."), "{public}");
    let private = ready.private_ipv4().expect("private ipv4");
    assert!(private.starts_with("10.130."), "{private}");
    assert_eq!(ready.id_string(), droplet.id.to_string());

    let create_action = client.get_action(action.id).await.expect("action").value;
    assert_eq!(create_action.status, ActionStatus::Completed);
    assert_eq!(create_action.resource_id, Some(droplet.id));

    // What DigitalOcean received: the root password's cloud-config, unchanged.
    let seen = sim.sim_droplets().await;
    assert_eq!(seen["meta"]["creates"], 1);
    let user_data = seen["droplets"][0]["_sim"]["user_data"]
        .as_str()
        .expect("user_data");
    assert_eq!(
        Some(user_data),
        request.user_data.as_ref().map(|u| u.expose())
    );
    assert!(user_data.contains("chpasswd:\n  expire: false"));
    assert!(user_data.contains("ssh_pwauth: true"));
}

#[tokio::test]
async fn with_no_delay_the_first_poll_is_active() {
    let sim = common::start_default().await;
    let client = sim.client();
    let created = client
        .create_droplet(&order(ORDER_ID).request().expect("valid"))
        .await
        .expect("created")
        .value;
    assert_eq!(created.droplet.status, DropletStatus::New);
    let polled = client.get_droplet(created.droplet.id).await.expect("poll");
    assert!(polled.value.is_ready());
    assert_eq!(polled.status, 200);
    assert_eq!(polled.rate_limit.remaining, Some(248));
}

#[tokio::test]
async fn a_droplet_is_found_again_by_its_order_tag() {
    let sim = common::start_default().await;
    let client = sim.client();
    let other_order = "0b5e1a2c-1111-4222-8333-944445555666";
    let mine = client
        .create_droplet(&order(ORDER_ID).request().expect("valid"))
        .await
        .expect("created")
        .value
        .droplet;
    client
        .create_droplet(&order(other_order).request().expect("valid"))
        .await
        .expect("created");

    let found = client
        .find_droplets_by_tag(&provisioning::order_tag(ORDER_ID))
        .await
        .expect("listed")
        .value;
    assert_eq!(found.total, Some(1));
    assert_eq!(found.next_page, None);
    assert_eq!(found.droplets.len(), 1);
    assert_eq!(found.droplets[0].id, mine.id);
    assert!(found.droplets[0].is_ready());

    let platform = client
        .find_droplets_by_tag(provisioning::PLATFORM_TAG)
        .await
        .expect("listed")
        .value;
    assert_eq!(platform.total, Some(2));

    let none = client
        .find_droplets_by_tag("order-00000000-0000-4000-8000-000000000000")
        .await
        .expect("listed")
        .value;
    assert_eq!(none.total, Some(0));
    assert!(none.droplets.is_empty());
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_adopted_by_tag() {
    let sim = common::start_default().await;
    // The simulator holds the answer well past the client's timeout, but creates the droplet.
    sim.control("config", json!({ "slow_create_delay_ms": 2_000 }))
        .await;
    let client = sim.client_with(TOKEN, Duration::from_millis(300));
    let mut request = order(ORDER_ID).request().expect("valid");
    request.tags.push("sim:slow-create".into());

    let started = Instant::now();
    let error = client
        .create_droplet(&request)
        .await
        .expect_err("the answer comes too late");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(error.is_transient());
    assert!(error.outcome_unknown());

    let found = client
        .find_droplets_by_tag(&provisioning::order_tag(ORDER_ID))
        .await
        .expect("listed")
        .value;
    assert_eq!(found.droplets.len(), 1, "the droplet exists; adopt it");
    assert_eq!(found.droplets[0].name, "vps-6f0429ea");
}

#[tokio::test]
async fn errored_droplets_report_the_nonstandard_status_when_asked() {
    let sim = common::start(DoSimConfig {
        nonstandard_errored: true,
        ..DoSimConfig::for_tests(TOKEN)
    })
    .await;
    // The order service builds its own tags, so the failure is injected for the next create.
    sim.control("config", json!({ "next_create_tags": ["sim:errored"] }))
        .await;
    let client = sim.client();
    let created = client
        .create_droplet(&order(ORDER_ID).request().expect("valid"))
        .await
        .expect("created")
        .value;
    let polled = client
        .get_droplet(created.droplet.id)
        .await
        .expect("poll")
        .value;
    assert_eq!(polled.status, DropletStatus::Errored);
    assert!(polled.status.is_provisioning_failure());
    assert!(polled.public_ipv4().is_none());
    let action = client
        .get_action(created.actions[0].id)
        .await
        .expect("action")
        .value;
    assert_eq!(action.status, ActionStatus::Errored);
}

#[tokio::test]
async fn a_forced_archive_status_is_a_provisioning_failure() {
    let sim = common::start_default().await;
    let client = sim.client();
    let created = client
        .create_droplet(&order(ORDER_ID).request().expect("valid"))
        .await
        .expect("created")
        .value;
    sim.control(
        &format!("droplets/{}/status", created.droplet.id),
        json!({ "status": "archive" }),
    )
    .await;
    let polled = client
        .get_droplet(created.droplet.id)
        .await
        .expect("poll")
        .value;
    assert_eq!(polled.status, DropletStatus::Archive);
    assert!(polled.status.is_provisioning_failure());
}

#[tokio::test]
async fn a_vanished_droplet_is_not_found() {
    let sim = common::start_default().await;
    let client = sim.client();
    let mut request = order(ORDER_ID).request().expect("valid");
    request.tags.push("sim:vanish".into());
    let created = client
        .create_droplet(&request)
        .await
        .expect("created")
        .value;
    let error = client
        .get_droplet(created.droplet.id)
        .await
        .expect_err("gone");
    assert!(error.is_not_found());
    assert!(!error.is_transient());
}

#[tokio::test]
async fn account_actions_and_deletion() {
    let sim = common::start_default().await;
    let client = sim.client();

    let account = client.account().await.expect("account").value;
    assert_eq!(account.droplet_limit, Some(25));
    assert_eq!(account.status.as_deref(), Some("active"));
    assert!(account.uuid.is_some());

    let id = client
        .create_droplet(&order(ORDER_ID).request().expect("valid"))
        .await
        .expect("created")
        .value
        .droplet
        .id;
    let action = client
        .droplet_action(id, ActionType::PowerOff)
        .await
        .expect("accepted");
    assert_eq!(action.status, 201);
    assert_eq!(action.value.status, ActionStatus::InProgress);
    assert_eq!(action.value.kind, "power_off");
    let done = client.get_action(action.value.id).await.expect("action");
    assert_eq!(done.value.status, ActionStatus::Completed);
    let off = client.get_droplet(id).await.expect("read").value;
    assert_eq!(off.status, DropletStatus::Off);
    let conflict = client
        .droplet_action(id, ActionType::PowerOff)
        .await
        .expect_err("already off");
    assert!(matches!(conflict.kind, ErrorKind::Unprocessable(_)));
    assert_eq!(
        conflict.provider_message(),
        Some("Droplet is already powered off.")
    );

    let deleted = client.delete_droplet(id).await.expect("deleted");
    assert_eq!(deleted.status, 204);
    assert!(deleted.rate_limit.remaining.is_some());
    let gone = client.get_droplet(id).await.expect_err("deleted");
    assert!(gone.is_not_found());
}
