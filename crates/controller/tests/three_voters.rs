//! A three-voter quorum: writes reach every node's image, followers redirect, failover keeps the
//! image consistent, and the gRPC client finds the active controller.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use flotilla_controller::operations::{CreatableTopic, CreateTopicsRequest};
use flotilla_controller::{CombinedController, ControllerClient, ControllerClientExt, ControllerError};
use flotilla_model::NodeId;

fn create(name: &str, partitions: i32, replication_factor: i16) -> CreateTopicsRequest {
    CreateTopicsRequest {
        topics: vec![CreatableTopic::new(name, partitions, replication_factor)],
        validate_only: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_the_leader_reach_every_image_and_followers_redirect() {
    let cluster = Cluster::start(3, |o| o).await;
    let leader = cluster.wait_for_active().await;
    let handle = cluster.node(leader).handle();
    for id in 1..=3 {
        register_and_unfence(&handle, || cluster.node(leader).image(), id).await;
    }
    let created = handle.create_topics(create("orders", 6, 3)).await.unwrap();
    let topic_id = created[0].result.as_ref().unwrap().topic_id;

    let image = cluster.wait_for_same_image(leader).await;
    assert_eq!(image.topics().by_name("orders").unwrap().id(), topic_id);
    assert_eq!(image.live_brokers().len(), 3);

    for follower in cluster.running().filter(|n| n.node_id() != leader) {
        match follower.handle().create_topics(create("elsewhere", 1, 1)).await {
            Err(ControllerError::NotController { leader_id }) => assert_eq!(leader_id, Some(leader)),
            other => panic!("expected NotController, got {other:?}"),
        }
    }
    assert!(cluster.node(leader).image().topics().by_name("elsewhere").is_none());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_serves_after_the_leader_stops_and_images_stay_consistent() {
    let mut cluster = Cluster::start(3, |o| o).await;
    let old_leader = cluster.wait_for_active().await;
    let remote = cluster.remote();
    for id in 1..=3 {
        register_and_unfence(&remote, || cluster.node(old_leader).image(), id).await;
    }
    remote.create_topics(create("before", 3, 3)).await.unwrap();
    cluster.wait_for_same_image(old_leader).await;

    cluster.stop(old_leader).await;
    let new_leader = cluster.wait_for_active().await;
    assert_ne!(new_leader, old_leader);

    // The remote client's hint points at the stopped node; it moves on and finds the new leader.
    let created = remote.create_topics(create("after", 2, 2)).await.unwrap();
    assert!(created[0].result.is_ok(), "{created:?}");
    assert_eq!(remote.leader_hint(), Some(new_leader));
    // The brokers' sessions were seeded on takeover: a heartbeat finds them registered and unfenced.
    let image = cluster.node(new_leader).image();
    for id in 1..=3 {
        let epoch = image.brokers().get(NodeId::new(id)).unwrap().epoch;
        let reply = remote.broker_heartbeat(heartbeat(id, epoch, image.position().offset)).await.unwrap();
        assert!(!reply.is_fenced, "broker {id}: {reply:?}");
    }

    let image = cluster.wait_for_same_image(new_leader).await;
    assert!(image.topics().by_name("before").is_some() && image.topics().by_name("after").is_some());

    // The old leader comes back as a follower and applies the same records.
    cluster.restart(old_leader).await;
    let leader = cluster.wait_for_active().await;
    let image = cluster.wait_for_same_image(leader).await;
    assert_eq!(image.topics().len(), 2);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_and_combined_clients_find_the_active_controller() {
    let cluster = Cluster::start(3, |o| o).await;
    let leader = cluster.wait_for_active().await;
    let follower = cluster.running().find(|n| n.node_id() != leader).unwrap();

    let remote = cluster.remote();
    register_and_unfence(&remote, || follower.image(), 1).await;
    assert_eq!(remote.leader_hint(), Some(leader));

    // A broker on a follower node: the local controller redirects, the remote path serves.
    let combined = CombinedController::new(follower.handle(), cluster.remote());
    let client: &dyn ControllerClient = &combined;
    let created = client.create_topics(create("via-follower", 1, 1)).await.unwrap();
    assert!(created[0].result.is_ok(), "{created:?}");
    wait_for("the follower to apply the topic", async || follower.image().topics().by_name("via-follower").map(|_| ()))
        .await;
    cluster.shutdown().await;
}
