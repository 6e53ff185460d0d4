//! Three combined broker+controller nodes in one process, on 127.0.0.1 with every listener bound on
//! port 0 before the nodes start (so the voters are known), logs in temporary directories, driven
//! by the flotilla client over real sockets: replication over gRPC, acks=all, leader moves on a
//! clean stop, and a restarted broker catching up and rejoining the ISR. Kill -9 and SIGSTOP of
//! whole processes are in `tests/clients/test_cluster.py`. Every wait polls a condition.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use flotilla_broker::{run_node_with, NodeError, NodeOptions};
use flotilla_client::{
    Admin, Client, ClientConfig, Consumer, ConsumerConfig, CreateTopicsOptions, MetadataTopics, NewTopic, Producer,
    ProducerConfig, ProducerRecord, StartOffset,
};
use flotilla_config::ServerConfig;
use flotilla_model::{ErrorCode, NodeId};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(60);
const TOPIC: &str = "replicated";
const PARTITIONS: i32 = 3;

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), NodeError>>,
}

struct Member {
    id: i32,
    dir: PathBuf,
    kafka: SocketAddr,
    controller: SocketAddr,
    running: Option<Running>,
}

struct Cluster {
    _root: tempfile::TempDir,
    voters: String,
    members: Vec<Member>,
}

fn config(member: &Member, voters: &str) -> Arc<ServerConfig> {
    let text = format!(
        "node.id={}\nprocess.roles=broker,controller\n\
         listeners=PLAINTEXT://{},CONTROLLER://{}\n\
         controller.listener.names=CONTROLLER\ncontroller.quorum.voters={voters}\n\
         log.dirs={}\ncluster.id=three-nodes\n\
         broker.heartbeat.interval.ms=100\nbroker.session.timeout.ms=2000\n\
         replica.lag.time.max.ms=3000\nreplica.fetch.wait.max.ms=200\n\
         default.replication.factor=3\nmin.insync.replicas=2\noffsets.topic.replication.factor=3\n",
        member.id,
        member.kafka,
        member.controller,
        member.dir.display()
    );
    Arc::new(ServerConfig::load(Some(&text), std::iter::empty::<(&str, &str)>()).unwrap().config)
}

async fn bind(addr: &str) -> TcpListener {
    TcpListener::bind(addr).await.unwrap()
}

impl Cluster {
    async fn start() -> Cluster {
        let root = tempfile::tempdir().unwrap();
        let mut listeners = Vec::new();
        for _ in 0..3 {
            listeners.push((bind("127.0.0.1:0").await, bind("127.0.0.1:0").await));
        }
        let voters = listeners
            .iter()
            .enumerate()
            .map(|(i, (_, controller))| format!("{}@{}", i + 1, controller.local_addr().unwrap()))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = Cluster { _root: root, voters, members: Vec::new() };
        for (i, (kafka, controller)) in listeners.into_iter().enumerate() {
            let id = i32::try_from(i).unwrap() + 1;
            let dir = cluster._root.path().join(format!("node-{id}"));
            let mut member = Member {
                id,
                dir,
                kafka: kafka.local_addr().unwrap(),
                controller: controller.local_addr().unwrap(),
                running: None,
            };
            member.running = Some(launch(&member, &cluster.voters, kafka, controller));
            cluster.members.push(member);
        }
        for member in &cluster.members {
            wait_until_serving(member.kafka, NodeId::new(member.id)).await;
        }
        cluster
    }

    fn member(&self, id: NodeId) -> &Member {
        self.members.iter().find(|m| m.id == id.get()).unwrap()
    }

    fn running(&self) -> Vec<&Member> {
        self.members.iter().filter(|m| m.running.is_some()).collect()
    }

    fn client_config(&self) -> ClientConfig {
        ClientConfig {
            bootstrap_servers: self.running().iter().map(|m| m.kafka.to_string()).collect(),
            ..ClientConfig::default()
        }
    }

    /// A clean stop (what SIGTERM does): controlled shutdown, then the process would exit.
    async fn stop(&mut self, id: NodeId) {
        let member = self.members.iter_mut().find(|m| m.id == id.get()).unwrap();
        let running = member.running.take().unwrap();
        running.stop.send(()).unwrap();
        tokio::time::timeout(DEADLINE, running.task).await.expect("the node stops").unwrap().unwrap();
    }

    /// Stops every running node at once, so each controlled shutdown still has a controller quorum.
    async fn stop_all(&mut self) {
        let running: Vec<Running> = self.members.iter_mut().filter_map(|m| m.running.take()).collect();
        let mut tasks = Vec::new();
        for node in running {
            node.stop.send(()).unwrap();
            tasks.push(node.task);
        }
        for task in tasks {
            tokio::time::timeout(DEADLINE, task).await.expect("the node stops").unwrap().unwrap();
        }
    }

    async fn restart(&mut self, id: NodeId) {
        let voters = self.voters.clone();
        let member = self.members.iter_mut().find(|m| m.id == id.get()).unwrap();
        let kafka = bind(&member.kafka.to_string()).await;
        let controller = bind(&member.controller.to_string()).await;
        member.running = Some(launch(member, &voters, kafka, controller));
        wait_until_serving(member.kafka, id).await;
    }

    /// Metadata for the topic as the broker `via` reports it.
    async fn partitions_seen_by(&self, via: &Member) -> BTreeMap<i32, (NodeId, BTreeSet<NodeId>)> {
        let config = ClientConfig { bootstrap_servers: vec![via.kafka.to_string()], ..ClientConfig::default() };
        let Ok(client) = Client::connect(config).await else { return BTreeMap::new() };
        let Ok(metadata) = client.describe_metadata(MetadataTopics::Some(vec![TOPIC.to_string()])).await else {
            return BTreeMap::new();
        };
        let Some(topic) = metadata.topics.get(TOPIC) else { return BTreeMap::new() };
        topic.partitions.iter().map(|p| (p.partition, (p.leader, p.isr.iter().copied().collect()))).collect()
    }

    /// Until every running broker reports, for every partition, a leader and an ISR that satisfy `rule`,
    /// and all of them report the same thing.
    async fn wait_for_partitions(&self, what: &str, rule: impl Fn(NodeId, &BTreeSet<NodeId>) -> bool) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let mut views = Vec::new();
            for member in self.running() {
                views.push(self.partitions_seen_by(member).await);
            }
            let agreed = views.windows(2).all(|w| w[0] == w[1]);
            let satisfied = views.iter().all(|view| {
                view.len() == usize::try_from(PARTITIONS).unwrap()
                    && view.values().all(|(leader, isr)| rule(*leader, isr))
            });
            if agreed && satisfied {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "never reached: {what}; brokers report {views:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn launch(member: &Member, voters: &str, kafka: TcpListener, controller: TcpListener) -> Running {
    let options = NodeOptions {
        bound_listeners: BTreeMap::from([("PLAINTEXT".to_string(), kafka), ("CONTROLLER".to_string(), controller)]),
        ..NodeOptions::new(config(member, voters))
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run_node_with(options, async {
        let _ = stopped.await;
    }));
    Running { stop, task }
}

/// Until the broker at `kafka` answers Metadata listing itself (registered and unfenced).
async fn wait_until_serving(kafka: SocketAddr, id: NodeId) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let config = ClientConfig { bootstrap_servers: vec![kafka.to_string()], ..ClientConfig::default() };
    loop {
        if let Ok(client) = Client::connect(config.clone()).await {
            if let Ok(metadata) = client.describe_metadata(MetadataTopics::None).await {
                if metadata.brokers.contains_key(&id) {
                    return;
                }
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "broker {id} did not start serving");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Produces `count` records with acks=all, values `{prefix}-{i}`, round robin over the partitions;
/// every one must be acknowledged.
async fn produce_all(cluster: &Cluster, prefix: &str, count: usize) {
    let config = ProducerConfig { enable_idempotence: true, ..ProducerConfig::default() };
    let producer = Producer::connect(cluster.client_config(), config).await.unwrap();
    let mut deliveries = Vec::new();
    for i in 0..count {
        let partition = i32::try_from(i).unwrap() % PARTITIONS;
        let value = format!("{prefix}-{i}");
        let record = ProducerRecord::new(TOPIC, value.as_bytes()).partition(partition);
        deliveries.push(producer.send(record).await.unwrap());
    }
    for delivery in deliveries {
        tokio::time::timeout(DEADLINE, delivery.wait()).await.expect("acknowledged in time").unwrap();
    }
}

/// Every record of every partition, read from the leaders: (partition, offset, value).
async fn consume_all(cluster: &Cluster, expected: usize) -> Vec<(i32, i64, String)> {
    let mut consumer = Consumer::connect(cluster.client_config(), ConsumerConfig::default()).await.unwrap();
    let assignment: Vec<_> = (0..PARTITIONS).map(|p| (TOPIC.to_string(), p, StartOffset::Earliest)).collect();
    consumer.assign(&assignment).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while seen.len() < expected {
        assert!(tokio::time::Instant::now() < deadline, "only {} of {expected} records arrived", seen.len());
        let Ok(fetched) = consumer.poll().await else { continue };
        for partition in fetched.partitions() {
            for record in partition.records() {
                let record = record.unwrap();
                seen.push((
                    partition.partition,
                    record.offset,
                    String::from_utf8_lossy(&record.value.unwrap()).into_owned(),
                ));
            }
        }
    }
    seen
}

/// OffsetForLeaderEpoch v4 for partition 0, sent to `node`: (error, epoch, end offset).
async fn epoch_end_offset(
    client: &Client,
    node: NodeId,
    replica_id: i32,
    leader_epoch: i32,
    current_leader_epoch: i32,
) -> (ErrorCode, i32, i64) {
    use flotilla_protocol::messages::offset_for_leader_epoch_request::{
        OffsetForLeaderPartition, OffsetForLeaderTopic,
    };
    use flotilla_protocol::messages::OffsetForLeaderEpochRequest;
    let request = OffsetForLeaderEpochRequest {
        replica_id,
        topics: vec![OffsetForLeaderTopic {
            topic: TOPIC.into(),
            partitions: vec![OffsetForLeaderPartition {
                partition: 0,
                current_leader_epoch,
                leader_epoch,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let response = client.send_to(node, &request).await.unwrap();
    let answer = &response.topics[0].partitions[0];
    (ErrorCode::from_code(answer.error_code), answer.leader_epoch, answer.end_offset)
}

/// Offsets start at 0 and are dense in every partition; no value appears twice; every expected
/// value is there.
fn check_complete(seen: &[(i32, i64, String)], expected: &BTreeSet<String>) {
    let mut by_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for (partition, offset, _) in seen {
        by_partition.entry(*partition).or_default().push(*offset);
    }
    for (partition, offsets) in &by_partition {
        let dense: Vec<i64> = (0..i64::try_from(offsets.len()).unwrap()).collect();
        assert_eq!(offsets, &dense, "partition {partition}: offsets are not dense from 0");
    }
    let values: Vec<&String> = seen.iter().map(|(_, _, v)| v).collect();
    let distinct: BTreeSet<String> = values.iter().map(|v| (*v).clone()).collect();
    assert_eq!(distinct.len(), values.len(), "a record was written twice");
    assert_eq!(&distinct, expected, "acknowledged records are missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicated_writes_survive_leader_moves_and_a_restarted_broker_rejoins_the_isr() {
    let mut cluster = Cluster::start().await;
    let admin = Admin::connect(cluster.client_config()).await.unwrap();
    let created =
        admin.create_topics(&[NewTopic::new(TOPIC, PARTITIONS, 3)], CreateTopicsOptions::default()).await.unwrap();
    assert_eq!(created[0].error, ErrorCode::None, "{created:?}");
    drop(admin);
    let everyone: BTreeSet<NodeId> = (1..=3).map(NodeId::new).collect();
    cluster
        .wait_for_partitions("every partition led, ISR of three", |leader, isr| {
            leader != NodeId::NONE && *isr == everyone
        })
        .await;

    // acks=all: acknowledged only once the ISR has it.
    produce_all(&cluster, "first", 300).await;
    let mut expected: BTreeSet<String> = (0..300).map(|i| format!("first-{i}")).collect();
    check_complete(&consume_all(&cluster, expected.len()).await, &expected);

    // A clean stop of partition 0's leader: leaderships move to the ISR, which then shrinks to two.
    let views = cluster.partitions_seen_by(&cluster.members[0]).await;
    let stopped = views[&0].0;
    cluster.stop(stopped).await;
    cluster
        .wait_for_partitions("leaders moved off the stopped broker, ISR without it", |leader, isr| {
            leader != stopped && leader != NodeId::NONE && !isr.contains(&stopped) && isr.len() == 2
        })
        .await;

    // Two in the ISR meets min.insync.replicas=2: acks=all still works.
    produce_all(&cluster, "second", 300).await;
    expected.extend((0..300).map(|i| format!("second-{i}")));

    // OffsetForLeaderEpoch on partition 0's new leader: epoch 0 ended where the first 100 records
    // did; the current epoch 1 ends at the log end. Anyone else, or a stale epoch, is refused.
    let views = cluster.partitions_seen_by(cluster.running()[0]).await;
    let (leader, isr) = views[&0].clone();
    let follower = *isr.iter().find(|b| **b != leader).unwrap();
    let client = Client::connect(cluster.client_config()).await.unwrap();
    let _ = client.describe_metadata(MetadataTopics::Some(vec![TOPIC.to_string()])).await.unwrap();
    assert_eq!(epoch_end_offset(&client, leader, -1, 0, -1).await, (ErrorCode::None, 0, 100));
    assert_eq!(epoch_end_offset(&client, leader, -1, 1, 1).await, (ErrorCode::None, 1, 200));
    // An epoch newer than any in the log is unknown, as in Kafka's `LeaderEpochFileCache.endOffsetFor`.
    assert_eq!(epoch_end_offset(&client, leader, -1, 7, -1).await, (ErrorCode::None, -1, -1));
    assert_eq!(epoch_end_offset(&client, leader, -1, 1, 0).await.0, ErrorCode::FencedLeaderEpoch);
    assert_eq!(epoch_end_offset(&client, leader, -1, 1, 2).await.0, ErrorCode::UnknownLeaderEpoch);
    assert_eq!(epoch_end_offset(&client, follower, -1, 0, -1).await.0, ErrorCode::NotLeaderOrFollower);
    // A debugging request may ask a follower, which has the same epochs.
    let debug = epoch_end_offset(&client, follower, -2, 0, -1).await;
    assert_eq!(debug, (ErrorCode::None, 0, 100));
    drop(client);

    // The stopped broker comes back, fetches what it missed and rejoins every ISR.
    cluster.restart(stopped).await;
    cluster
        .wait_for_partitions("the restarted broker back in every ISR", |leader, isr| {
            leader != NodeId::NONE && *isr == everyone
        })
        .await;

    // Stop another broker: the data every leader now serves includes what was written while the
    // restarted broker was away, so nothing acknowledged is lost wherever leadership lands.
    let view = cluster.partitions_seen_by(cluster.member(stopped)).await;
    let next =
        view.values().map(|(leader, _)| *leader).find(|l| *l != stopped).expect("a leader besides the restarted one");
    cluster.stop(next).await;
    cluster
        .wait_for_partitions("leaders off the second stopped broker", |leader, isr| {
            leader != next && leader != NodeId::NONE && !isr.contains(&next)
        })
        .await;
    check_complete(&consume_all(&cluster, expected.len()).await, &expected);

    cluster.stop_all().await;
}
