//! Golden-bytes tests, part C: configuration and cluster administration (IncrementalAlterConfigs,
//! DescribeCluster, DescribeLogDirs, partition reassignments, ElectLeaders), producer ids, and the classic group
//! protocol (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup).
//!
//! Every byte string below was written by hand from the Kafka protocol guide's wire rules (INT16/INT32/INT64
//! big-endian; STRING = INT16 length + UTF-8, NULLABLE_STRING null = -1; ARRAY = INT32 count, null = -1;
//! BYTES = INT32 length; in flexible versions COMPACT_STRING / COMPACT_ARRAY / COMPACT_BYTES =
//! UNSIGNED_VARINT(n + 1) with 0 for null, and a TAG_BUFFER after every struct) and the field lists of
//! Kafka 4.1, never by running an encoder.
//!
//! Strings used throughout:
//!   "billing"  = 62696c6c696e67 (7)      "orders"   = 6f7264657273 (6)
//!   "member-1" = 6d656d6265722d31 (8)    "member-2" = 6d656d6265722d32 (8)
//!   "host-1"   = 686f73742d31 (6)        "host-2"   = 686f73742d32 (6)
//!   "txn-1"    = 74786e2d31 (5)          "consumer" = 636f6e73756d6572 (8)
//!   "range"    = 72616e6765 (5)          "rack-a"   = 7261636b2d61 (6)

#![allow(clippy::unwrap_used)]

#[path = "support/golden.rs"]
mod golden;

use golden::check;

// ---------------------------------------------------------------------------------------------------------
// IncrementalAlterConfigs (key 44): versions 0-1, flexible 1+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn incremental_alter_configs() {
    use flotilla_protocol::messages::incremental_alter_configs_request::{
        AlterConfigsResource, AlterableConfig, IncrementalAlterConfigsRequest,
    };
    use flotilla_protocol::messages::incremental_alter_configs_response::{
        AlterConfigsResourceResponse, IncrementalAlterConfigsResponse,
    };

    // Request v0 (lowest, non-flexible): SET one entry and DELETE another (null value).
    check(
        0,
        "
        00000001                   # resources: 1
          02                       #   resource_type 2 (TOPIC)
          0006 6f7264657273        #   resource_name \"orders\"
          00000002                 #   configs: 2
            000c 726574656e74696f6e2e6d73      # name \"retention.ms\"
            00                                 # config_operation 0 (SET)
            0009 363034383030303030            # value \"604800000\"
            000e 636c65616e75702e706f6c696379  # name \"cleanup.policy\"
            01                                 # config_operation 1 (DELETE)
            ffff                               # value null
        00                         # validate_only false
        ",
        &IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: 2,
                resource_name: "orders".into(),
                configs: vec![
                    AlterableConfig {
                        name: "retention.ms".into(),
                        config_operation: 0,
                        value: Some("604800000".into()),
                        ..Default::default()
                    },
                    AlterableConfig {
                        name: "cleanup.policy".into(),
                        config_operation: 1,
                        value: None,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            validate_only: false,
            ..Default::default()
        },
    );

    // Request v1 (highest, flexible): validate only.
    check(
        1,
        "
        02                         # resources: 1
          02                       #   resource_type 2 (TOPIC)
          07 6f7264657273          #   resource_name \"orders\"
          02                       #   configs: 1
            11 636f6d7072657373696f6e2e74797065  # name \"compression.type\" (16)
            00                                   # config_operation 0 (SET)
            04 6c7a34                            # value \"lz4\"
            00                                   # TAG_BUFFER
          00                       #   TAG_BUFFER
        01                         # validate_only true
        00                         # TAG_BUFFER
        ",
        &IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource_type: 2,
                resource_name: "orders".into(),
                configs: vec![AlterableConfig {
                    name: "compression.type".into(),
                    config_operation: 0,
                    value: Some("lz4".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            validate_only: true,
            ..Default::default()
        },
    );

    // Response v0: one success (null message), one INVALID_CONFIG (40) on broker "1".
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        00000002                   # responses: 2
          0000                     #   error_code 0
          ffff                     #   error_message null
          02                       #   resource_type 2 (TOPIC)
          0006 6f7264657273        #   resource_name \"orders\"
          0028                     #   error_code 40 (INVALID_CONFIG)
          000d 496e76616c69642076616c7565  # error_message \"Invalid value\"
          04                       #   resource_type 4 (BROKER)
          0001 31                  #   resource_name \"1\"
        ",
        &IncrementalAlterConfigsResponse {
            throttle_time_ms: 0,
            responses: vec![
                AlterConfigsResourceResponse {
                    error_code: 0,
                    error_message: None,
                    resource_type: 2,
                    resource_name: "orders".into(),
                    ..Default::default()
                },
                AlterConfigsResourceResponse {
                    error_code: 40,
                    error_message: Some("Invalid value".into()),
                    resource_type: 4,
                    resource_name: "1".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Response v1 (flexible).
    check(
        1,
        "
        00000064                   # throttle_time_ms 100
        02                         # responses: 1
          0000                     #   error_code 0
          00                       #   error_message null
          02                       #   resource_type 2 (TOPIC)
          07 6f7264657273          #   resource_name \"orders\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &IncrementalAlterConfigsResponse {
            throttle_time_ms: 100,
            responses: vec![AlterConfigsResourceResponse {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "orders".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// DescribeCluster (key 60): versions 0-2, flexible 0+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn describe_cluster() {
    use flotilla_protocol::messages::describe_cluster_request::DescribeClusterRequest;
    use flotilla_protocol::messages::describe_cluster_response::{DescribeClusterBroker, DescribeClusterResponse};

    // Request v0 (lowest, already flexible).
    check(
        0,
        "
        01                         # include_cluster_authorized_operations true
        00                         # TAG_BUFFER
        ",
        &DescribeClusterRequest { include_cluster_authorized_operations: true, ..Default::default() },
    );

    // Request v2 (highest): include fenced brokers.
    check(
        2,
        "
        00                         # include_cluster_authorized_operations false
        01                         # endpoint_type 1 (brokers)
        01                         # include_fenced_brokers true
        00                         # TAG_BUFFER
        ",
        &DescribeClusterRequest {
            include_cluster_authorized_operations: false,
            endpoint_type: 1,
            include_fenced_brokers: true,
            ..Default::default()
        },
    );

    // Response v0: two brokers, one without a rack; authorized operations not requested.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        07 6c6b632d3432            # cluster_id \"lkc-42\"
        00000001                   # controller_id 1
        03                         # brokers: 2
          00000001                 #   broker_id 1
          07 686f73742d31          #   host \"host-1\"
          00002384                 #   port 9092
          07 7261636b2d61          #   rack \"rack-a\"
          00                       #   TAG_BUFFER
          00000002                 #   broker_id 2
          07 686f73742d32          #   host \"host-2\"
          00002384                 #   port 9092
          00                       #   rack null
          00                       #   TAG_BUFFER
        80000000                   # cluster_authorized_operations -2147483648
        00                         # TAG_BUFFER
        ",
        &DescribeClusterResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            cluster_id: "lkc-42".into(),
            controller_id: 1,
            brokers: vec![
                DescribeClusterBroker {
                    broker_id: 1,
                    host: "host-1".into(),
                    port: 9092,
                    rack: Some("rack-a".into()),
                    ..Default::default()
                },
                DescribeClusterBroker {
                    broker_id: 2,
                    host: "host-2".into(),
                    port: 9092,
                    rack: None,
                    ..Default::default()
                },
            ],
            cluster_authorized_operations: i32::MIN,
            ..Default::default()
        },
    );

    // Response v1: NOT_CONTROLLER (41) with a message, no brokers.
    check(
        1,
        "
        0000000a                   # throttle_time_ms 10
        0029                       # error_code 41 (NOT_CONTROLLER)
        13 4e6f742074686520636f6e74726f6c6c6572  # error_message \"Not the controller\" (18)
        02                         # endpoint_type 2 (controllers)
        01                         # cluster_id \"\"
        ffffffff                   # controller_id -1
        01                         # brokers: 0
        80000000                   # cluster_authorized_operations -2147483648
        00                         # TAG_BUFFER
        ",
        &DescribeClusterResponse {
            throttle_time_ms: 10,
            error_code: 41,
            error_message: Some("Not the controller".into()),
            endpoint_type: 2,
            cluster_id: "".into(),
            controller_id: -1,
            brokers: vec![],
            cluster_authorized_operations: i32::MIN,
            ..Default::default()
        },
    );

    // Response v2 (highest): a fenced broker and authorized operations.
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        01                         # endpoint_type 1 (brokers)
        07 6c6b632d3432            # cluster_id \"lkc-42\"
        00000002                   # controller_id 2
        02                         # brokers: 1
          00000002                 #   broker_id 2
          07 686f73742d32          #   host \"host-2\"
          00002384                 #   port 9092
          07 7261636b2d61          #   rack \"rack-a\"
          01                       #   is_fenced true
          00                       #   TAG_BUFFER
        00000df8                   # cluster_authorized_operations 3576
        00                         # TAG_BUFFER
        ",
        &DescribeClusterResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            endpoint_type: 1,
            cluster_id: "lkc-42".into(),
            controller_id: 2,
            brokers: vec![DescribeClusterBroker {
                broker_id: 2,
                host: "host-2".into(),
                port: 9092,
                rack: Some("rack-a".into()),
                is_fenced: true,
                ..Default::default()
            }],
            cluster_authorized_operations: 3576,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// DescribeLogDirs (key 35): versions 1-4, flexible 2+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn describe_log_dirs() {
    use flotilla_protocol::messages::describe_log_dirs_request::{DescribableLogDirTopic, DescribeLogDirsRequest};
    use flotilla_protocol::messages::describe_log_dirs_response::{
        DescribeLogDirsPartition, DescribeLogDirsResponse, DescribeLogDirsResult, DescribeLogDirsTopic,
    };

    // Request v1 (lowest, non-flexible): three partitions of "orders".
    check(
        1,
        "
        00000001                   # topics: 1
          0006 6f7264657273        #   topic \"orders\"
          00000003                 #   partitions: 3
            00000000               #     0
            00000001               #     1
            00000002               #     2
        ",
        &DescribeLogDirsRequest {
            topics: Some(vec![DescribableLogDirTopic {
                topic: "orders".into(),
                partitions: vec![0, 1, 2],
                ..Default::default()
            }]),
            ..Default::default()
        },
    );

    // Request v4 (highest, flexible): null topics = every partition.
    check(
        4,
        "
        00                         # topics: null
        00                         # TAG_BUFFER
        ",
        &DescribeLogDirsRequest { topics: None, ..Default::default() },
    );

    // Response v1 (non-flexible).
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # results: 1
          0000                     #   error_code 0
          0008 2f646174612f6431    #   log_dir \"/data/d1\"
          00000001                 #   topics: 1
            0006 6f7264657273      #     name \"orders\"
            00000002               #     partitions: 2
              00000000             #       partition_index 0
              0000000000000400     #       partition_size 1024
              0000000000000000     #       offset_lag 0
              00                   #       is_future_key false
              00000001             #       partition_index 1
              0000000000000800     #       partition_size 2048
              0000000000000005     #       offset_lag 5
              00                   #       is_future_key false
        ",
        &DescribeLogDirsResponse {
            throttle_time_ms: 0,
            results: vec![DescribeLogDirsResult {
                error_code: 0,
                log_dir: "/data/d1".into(),
                topics: vec![DescribeLogDirsTopic {
                    name: "orders".into(),
                    partitions: vec![
                        DescribeLogDirsPartition {
                            partition_index: 0,
                            partition_size: 1024,
                            offset_lag: 0,
                            is_future_key: false,
                            ..Default::default()
                        },
                        DescribeLogDirsPartition {
                            partition_index: 1,
                            partition_size: 2048,
                            offset_lag: 5,
                            is_future_key: false,
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v3 (flexible, top-level error code): CLUSTER_AUTHORIZATION_FAILED (31).
    check(
        3,
        "
        00000000                   # throttle_time_ms 0
        001f                       # error_code 31 (CLUSTER_AUTHORIZATION_FAILED)
        01                         # results: 0
        00                         # TAG_BUFFER
        ",
        &DescribeLogDirsResponse { throttle_time_ms: 0, error_code: 31, results: vec![], ..Default::default() },
    );

    // Response v4 (highest): capacity fields; an offline directory keeps total/usable at -1.
    check(
        4,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        03                         # results: 2
          0000                     #   error_code 0
          09 2f646174612f6431      #   log_dir \"/data/d1\"
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            02                     #     partitions: 1
              00000002             #       partition_index 2
              0000000000100000     #       partition_size 1048576
              0000000000000000     #       offset_lag 0
              01                   #       is_future_key true
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          0000000100000000         #   total_bytes 4294967296
          0000000080000000         #   usable_bytes 2147483648
          00                       #   TAG_BUFFER
          0038                     #   error_code 56 (KAFKA_STORAGE_ERROR)
          09 2f646174612f6432      #   log_dir \"/data/d2\"
          01                       #   topics: 0
          ffffffffffffffff         #   total_bytes -1
          ffffffffffffffff         #   usable_bytes -1
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeLogDirsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            results: vec![
                DescribeLogDirsResult {
                    error_code: 0,
                    log_dir: "/data/d1".into(),
                    topics: vec![DescribeLogDirsTopic {
                        name: "orders".into(),
                        partitions: vec![DescribeLogDirsPartition {
                            partition_index: 2,
                            partition_size: 1 << 20,
                            offset_lag: 0,
                            is_future_key: true,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    total_bytes: 1 << 32,
                    usable_bytes: 1 << 31,
                    ..Default::default()
                },
                DescribeLogDirsResult {
                    error_code: 56,
                    log_dir: "/data/d2".into(),
                    topics: vec![],
                    total_bytes: -1,
                    usable_bytes: -1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// AlterPartitionReassignments (key 45): versions 0-1, flexible 0+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn alter_partition_reassignments() {
    use flotilla_protocol::messages::alter_partition_reassignments_request::{
        AlterPartitionReassignmentsRequest, ReassignablePartition, ReassignableTopic,
    };
    use flotilla_protocol::messages::alter_partition_reassignments_response::{
        AlterPartitionReassignmentsResponse, ReassignablePartitionResponse, ReassignableTopicResponse,
    };

    // Request v0 (lowest): move partition 0, cancel the reassignment of partition 1 (null replicas).
    check(
        0,
        "
        00007530                   # timeout_ms 30000
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     partition_index 0
            04                     #     replicas: 3
              00000001 00000002 00000003
            00                     #     TAG_BUFFER
            00000001               #     partition_index 1
            00                     #     replicas: null (cancel)
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AlterPartitionReassignmentsRequest {
            timeout_ms: 30000,
            topics: vec![ReassignableTopic {
                name: "orders".into(),
                partitions: vec![
                    ReassignablePartition { partition_index: 0, replicas: Some(vec![1, 2, 3]), ..Default::default() },
                    ReassignablePartition { partition_index: 1, replicas: None, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v1 (highest): replication factor changes disallowed.
    check(
        1,
        "
        0000ea60                   # timeout_ms 60000
        00                         # allow_replication_factor_change false
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partitions: 1
            00000002               #     partition_index 2
            03                     #     replicas: 2
              00000002 00000003
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AlterPartitionReassignmentsRequest {
            timeout_ms: 60000,
            allow_replication_factor_change: false,
            topics: vec![ReassignableTopic {
                name: "orders".into(),
                partitions: vec![ReassignablePartition {
                    partition_index: 2,
                    replicas: Some(vec![2, 3]),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v0: partition 1 had no reassignment to cancel, NO_REASSIGNMENT_IN_PROGRESS (85).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        02                         # responses: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00                     #     error_message null
            00                     #     TAG_BUFFER
            00000001               #     partition_index 1
            0055                   #     error_code 85 (NO_REASSIGNMENT_IN_PROGRESS)
            1c 4e6f20726561737369676e6d656e7420696e2070726f6772657373  # \"No reassignment in progress\" (27)
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AlterPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            responses: vec![ReassignableTopicResponse {
                name: "orders".into(),
                partitions: vec![
                    ReassignablePartitionResponse {
                        partition_index: 0,
                        error_code: 0,
                        error_message: None,
                        ..Default::default()
                    },
                    ReassignablePartitionResponse {
                        partition_index: 1,
                        error_code: 85,
                        error_message: Some("No reassignment in progress".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v1 (highest): INVALID_REPLICATION_FACTOR (38) on partition 2.
    check(
        1,
        "
        00000005                   # throttle_time_ms 5
        00                         # allow_replication_factor_change false
        0000                       # error_code 0
        00                         # error_message null
        02                         # responses: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partitions: 1
            00000002               #     partition_index 2
            0026                   #     error_code 38 (INVALID_REPLICATION_FACTOR)
            16 7266206368616e6765206e6f7420616c6c6f776564  # \"rf change not allowed\" (21)
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AlterPartitionReassignmentsResponse {
            throttle_time_ms: 5,
            allow_replication_factor_change: false,
            error_code: 0,
            error_message: None,
            responses: vec![ReassignableTopicResponse {
                name: "orders".into(),
                partitions: vec![ReassignablePartitionResponse {
                    partition_index: 2,
                    error_code: 38,
                    error_message: Some("rf change not allowed".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// ListPartitionReassignments (key 46): version 0 only, flexible 0+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn list_partition_reassignments() {
    use flotilla_protocol::messages::list_partition_reassignments_request::{
        ListPartitionReassignmentsRequest, ListPartitionReassignmentsTopics,
    };
    use flotilla_protocol::messages::list_partition_reassignments_response::{
        ListPartitionReassignmentsResponse, OngoingPartitionReassignment, OngoingTopicReassignment,
    };

    // Request v0: three partitions of "orders".
    check(
        0,
        "
        0000ea60                   # timeout_ms 60000
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          04                       #   partition_indexes: 3
            00000000 00000001 00000002
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &ListPartitionReassignmentsRequest {
            timeout_ms: 60000,
            topics: Some(vec![ListPartitionReassignmentsTopics {
                name: "orders".into(),
                partition_indexes: vec![0, 1, 2],
                ..Default::default()
            }]),
            ..Default::default()
        },
    );

    // Request v0: null topics = every ongoing reassignment.
    check(
        0,
        "
        000003e8                   # timeout_ms 1000
        00                         # topics: null
        00                         # TAG_BUFFER
        ",
        &ListPartitionReassignmentsRequest { timeout_ms: 1000, topics: None, ..Default::default() },
    );

    // Response v0: partition 0 moving from {1,2,3} to {2,3,4}.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            05                     #     replicas: 4
              00000001 00000002 00000003 00000004
            02 00000004            #     adding_replicas: [4]
            02 00000001            #     removing_replicas: [1]
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &ListPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            topics: vec![OngoingTopicReassignment {
                name: "orders".into(),
                partitions: vec![OngoingPartitionReassignment {
                    partition_index: 0,
                    replicas: vec![1, 2, 3, 4],
                    adding_replicas: vec![4],
                    removing_replicas: vec![1],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v0: REQUEST_TIMED_OUT (7) with a message, no topics.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0007                       # error_code 7 (REQUEST_TIMED_OUT)
        17 54686520726571756573742074696d6564206f75742e  # error_message \"The request timed out.\" (22)
        01                         # topics: 0
        00                         # TAG_BUFFER
        ",
        &ListPartitionReassignmentsResponse {
            throttle_time_ms: 0,
            error_code: 7,
            error_message: Some("The request timed out.".into()),
            topics: vec![],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// ElectLeaders (key 43): versions 0-2, flexible 2+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn elect_leaders() {
    use flotilla_protocol::messages::elect_leaders_request::{ElectLeadersRequest, TopicPartitions};
    use flotilla_protocol::messages::elect_leaders_response::{
        ElectLeadersResponse, PartitionResult, ReplicaElectionResult,
    };

    // Request v0 (lowest): no election type (preferred implied).
    check(
        0,
        "
        00000001                   # topic_partitions: 1
          0006 6f7264657273        #   topic \"orders\"
          00000002                 #   partitions: 2
            00000000 00000001
        0000ea60                   # timeout_ms 60000
        ",
        &ElectLeadersRequest {
            topic_partitions: Some(vec![TopicPartitions {
                topic: "orders".into(),
                partitions: vec![0, 1],
                ..Default::default()
            }]),
            timeout_ms: 60000,
            ..Default::default()
        },
    );

    // Request v1 (last non-flexible): unclean election for every partition (null).
    check(
        1,
        "
        01                         # election_type 1 (UNCLEAN)
        ffffffff                   # topic_partitions: null
        00007530                   # timeout_ms 30000
        ",
        &ElectLeadersRequest { election_type: 1, topic_partitions: None, timeout_ms: 30000, ..Default::default() },
    );

    // Request v2 (highest, flexible): preferred election for partition 2.
    check(
        2,
        "
        00                         # election_type 0 (PREFERRED)
        02                         # topic_partitions: 1
          07 6f7264657273          #   topic \"orders\"
          02 00000002              #   partitions: [2]
          00                       #   TAG_BUFFER
        0000ea60                   # timeout_ms 60000
        00                         # TAG_BUFFER
        ",
        &ElectLeadersRequest {
            election_type: 0,
            topic_partitions: Some(vec![TopicPartitions {
                topic: "orders".into(),
                partitions: vec![2],
                ..Default::default()
            }]),
            timeout_ms: 60000,
            ..Default::default()
        },
    );

    // Response v0: partition 1 needed no election, ELECTION_NOT_NEEDED (84).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # replica_election_results: 1
          0006 6f7264657273        #   topic \"orders\"
          00000002                 #   partition_result: 2
            00000000               #     partition_id 0
            0000                   #     error_code 0
            ffff                   #     error_message null
            00000001               #     partition_id 1
            0054                   #     error_code 84 (ELECTION_NOT_NEEDED)
            0013 456c656374696f6e206e6f74206e6565646564  # error_message \"Election not needed\" (19)
        ",
        &ElectLeadersResponse {
            throttle_time_ms: 0,
            replica_election_results: vec![ReplicaElectionResult {
                topic: "orders".into(),
                partition_result: vec![
                    PartitionResult { partition_id: 0, error_code: 0, error_message: None, ..Default::default() },
                    PartitionResult {
                        partition_id: 1,
                        error_code: 84,
                        error_message: Some("Election not needed".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v2 (highest, flexible).
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        02                         # replica_election_results: 1
          07 6f7264657273          #   topic \"orders\"
          02                       #   partition_result: 1
            00000002               #     partition_id 2
            0000                   #     error_code 0
            00                     #     error_message null
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &ElectLeadersResponse {
            throttle_time_ms: 0,
            error_code: 0,
            replica_election_results: vec![ReplicaElectionResult {
                topic: "orders".into(),
                partition_result: vec![PartitionResult {
                    partition_id: 2,
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// InitProducerId (key 22): request versions 0-5, response versions 0-6, flexible 2+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn init_producer_id() {
    use flotilla_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

    // Request v0 (lowest): idempotent producer, null transactional id.
    check(
        0,
        "
        ffff                       # transactional_id null
        0000ea60                   # transaction_timeout_ms 60000
        ",
        &InitProducerIdRequest { transactional_id: None, transaction_timeout_ms: 60000, ..Default::default() },
    );

    // Request v1 (last non-flexible): transactional producer.
    check(
        1,
        "
        0005 74786e2d31            # transactional_id \"txn-1\"
        0000ea60                   # transaction_timeout_ms 60000
        ",
        &InitProducerIdRequest {
            transactional_id: Some("txn-1".into()),
            transaction_timeout_ms: 60000,
            ..Default::default()
        },
    );

    // Request v5 (highest stable, flexible): re-initialising an existing producer id and epoch.
    check(
        5,
        "
        06 74786e2d31              # transactional_id \"txn-1\"
        000dbba0                   # transaction_timeout_ms 900000
        00000000000003e8           # producer_id 1000
        0005                       # producer_epoch 5
        00                         # TAG_BUFFER
        ",
        &InitProducerIdRequest {
            transactional_id: Some("txn-1".into()),
            transaction_timeout_ms: 900000,
            producer_id: 1000,
            producer_epoch: 5,
            ..Default::default()
        },
    );

    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00000000000003e8           # producer_id 1000
        0000                       # producer_epoch 0
        ",
        &InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: 1000,
            producer_epoch: 0,
            ..Default::default()
        },
    );

    // Response v6 (highest): no ongoing prepared transaction.
    check(
        6,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00000000000003e8           # producer_id 1000
        0006                       # producer_epoch 6
        ffffffffffffffff           # ongoing_txn_producer_id -1
        ffff                       # ongoing_txn_producer_epoch -1
        00                         # TAG_BUFFER
        ",
        &InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: 1000,
            producer_epoch: 6,
            ongoing_txn_producer_id: -1,
            ongoing_txn_producer_epoch: -1,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// FindCoordinator (key 10): versions 0-6, flexible 3+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn find_coordinator() {
    use flotilla_protocol::messages::find_coordinator_response::{Coordinator, FindCoordinatorResponse};
    use flotilla_protocol::messages::FindCoordinatorRequest;

    // Request v0 (lowest): a group key, no key type.
    check(
        0,
        "
        0007 62696c6c696e67        # key \"billing\"
        ",
        &FindCoordinatorRequest { key: "billing".into(), ..Default::default() },
    );

    // Request v6 (highest, flexible): batched keys replace the single key.
    check(
        6,
        "
        00                         # key_type 0 (GROUP)
        03                         # coordinator_keys: 2
          08 62696c6c696e67        #   \"billing\"
          0a 62696c6c696e672d31    #   \"billing-1\" (9)
        00                         # TAG_BUFFER
        ",
        &FindCoordinatorRequest {
            key_type: 0,
            coordinator_keys: vec!["billing".into(), "billing-1".into()],
            ..Default::default()
        },
    );

    // Response v1 (non-flexible): COORDINATOR_NOT_AVAILABLE (15) with a message.
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        000f                       # error_code 15 (COORDINATOR_NOT_AVAILABLE)
        0019 436f6f7264696e61746f72206e6f7420617661696c61626c65  # error_message \"Coordinator not available\" (25)
        ffffffff                   # node_id -1
        0000                       # host \"\"
        ffffffff                   # port -1
        ",
        &FindCoordinatorResponse {
            throttle_time_ms: 0,
            error_code: 15,
            error_message: Some("Coordinator not available".into()),
            node_id: -1,
            host: "".into(),
            port: -1,
            ..Default::default()
        },
    );

    // Response v3 (first flexible, last with a single coordinator).
    check(
        3,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        00000001                   # node_id 1
        07 686f73742d31            # host \"host-1\"
        00002384                   # port 9092
        00                         # TAG_BUFFER
        ",
        &FindCoordinatorResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            node_id: 1,
            host: "host-1".into(),
            port: 9092,
            ..Default::default()
        },
    );

    // Response v6 (highest): one coordinator found, one not available.
    check(
        6,
        "
        00000000                   # throttle_time_ms 0
        03                         # coordinators: 2
          08 62696c6c696e67        #   key \"billing\"
          00000001                 #   node_id 1
          07 686f73742d31          #   host \"host-1\"
          00002384                 #   port 9092
          0000                     #   error_code 0
          00                       #   error_message null
          00                       #   TAG_BUFFER
          0a 62696c6c696e672d31    #   key \"billing-1\"
          ffffffff                 #   node_id -1
          01                       #   host \"\"
          ffffffff                 #   port -1
          000f                     #   error_code 15 (COORDINATOR_NOT_AVAILABLE)
          1a 436f6f7264696e61746f72206e6f7420617661696c61626c65  # error_message \"Coordinator not available\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &FindCoordinatorResponse {
            throttle_time_ms: 0,
            coordinators: vec![
                Coordinator {
                    key: "billing".into(),
                    node_id: 1,
                    host: "host-1".into(),
                    port: 9092,
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                },
                Coordinator {
                    key: "billing-1".into(),
                    node_id: -1,
                    host: "".into(),
                    port: -1,
                    error_code: 15,
                    error_message: Some("Coordinator not available".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// JoinGroup (key 11): versions 0-9, flexible 6+
// ---------------------------------------------------------------------------------------------------------

/// A consumer subscription to "orders" (version 0, userdata null), 18 bytes, used as protocol metadata.
const SUBSCRIPTION: &str = "0000 00000001 0006 6f7264657273 ffffffff";

#[test]
fn join_group() {
    use flotilla_protocol::messages::join_group_request::{JoinGroupRequest, JoinGroupRequestProtocol};
    use flotilla_protocol::messages::join_group_response::{JoinGroupResponse, JoinGroupResponseMember};

    // Request v0 (lowest): first join, empty member id, no rebalance timeout.
    check(
        0,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00002710                   # session_timeout_ms 10000
        0000                       # member_id \"\"
        0008 636f6e73756d6572      # protocol_type \"consumer\"
        00000001                   # protocols: 1
          0005 72616e6765          #   name \"range\"
          00000012                 #   metadata: 18 bytes
            0000 00000001 0006 6f7264657273 ffffffff
        ",
        &JoinGroupRequest {
            group_id: "billing".into(),
            session_timeout_ms: 10000,
            member_id: "".into(),
            protocol_type: "consumer".into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: "range".into(),
                metadata: golden::hex(SUBSCRIPTION),
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v5 (last non-flexible): static member, two protocols, one with empty metadata.
    check(
        5,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00002710                   # session_timeout_ms 10000
        0000ea60                   # rebalance_timeout_ms 60000
        0008 6d656d6265722d31      # member_id \"member-1\"
        0006 686f73742d31          # group_instance_id \"host-1\"
        0008 636f6e73756d6572      # protocol_type \"consumer\"
        00000002                   # protocols: 2
          0005 72616e6765          #   name \"range\"
          00000002 0001            #   metadata: 2 bytes
          000a 726f756e64726f62696e  # name \"roundrobin\"
          00000000                 #   metadata: 0 bytes
        ",
        &JoinGroupRequest {
            group_id: "billing".into(),
            session_timeout_ms: 10000,
            rebalance_timeout_ms: 60000,
            member_id: "member-1".into(),
            group_instance_id: Some("host-1".into()),
            protocol_type: "consumer".into(),
            protocols: vec![
                JoinGroupRequestProtocol { name: "range".into(), metadata: golden::hex("0001"), ..Default::default() },
                JoinGroupRequestProtocol { name: "roundrobin".into(), metadata: golden::hex(""), ..Default::default() },
            ],
            ..Default::default()
        },
    );

    // Request v9 (highest, flexible): dynamic member with a reason.
    check(
        9,
        "
        08 62696c6c696e67          # group_id \"billing\"
        00002710                   # session_timeout_ms 10000
        0000ea60                   # rebalance_timeout_ms 60000
        01                         # member_id \"\"
        00                         # group_instance_id null
        09 636f6e73756d6572        # protocol_type \"consumer\"
        02                         # protocols: 1
          06 72616e6765            #   name \"range\"
          13                       #   metadata: 18 bytes
            0000 00000001 0006 6f7264657273 ffffffff
          00                       #   TAG_BUFFER
        07 72656a6f696e            # reason \"rejoin\"
        00                         # TAG_BUFFER
        ",
        &JoinGroupRequest {
            group_id: "billing".into(),
            session_timeout_ms: 10000,
            rebalance_timeout_ms: 60000,
            member_id: "".into(),
            group_instance_id: None,
            protocol_type: "consumer".into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: "range".into(),
                metadata: golden::hex(SUBSCRIPTION),
                ..Default::default()
            }],
            reason: Some("rejoin".into()),
            ..Default::default()
        },
    );

    // Response v0 (lowest): the leader's view, with both members' metadata.
    check(
        0,
        "
        0000                       # error_code 0
        00000001                   # generation_id 1
        0005 72616e6765            # protocol_name \"range\"
        0008 6d656d6265722d31      # leader \"member-1\"
        0008 6d656d6265722d31      # member_id \"member-1\"
        00000002                   # members: 2
          0008 6d656d6265722d31    #   member_id \"member-1\"
          00000002 0001            #   metadata: 2 bytes
          0008 6d656d6265722d32    #   member_id \"member-2\"
          00000000                 #   metadata: 0 bytes
        ",
        &JoinGroupResponse {
            error_code: 0,
            generation_id: 1,
            protocol_name: Some("range".into()),
            leader: "member-1".into(),
            member_id: "member-1".into(),
            members: vec![
                JoinGroupResponseMember {
                    member_id: "member-1".into(),
                    metadata: golden::hex("0001"),
                    ..Default::default()
                },
                JoinGroupResponseMember {
                    member_id: "member-2".into(),
                    metadata: golden::hex(""),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Response v9 (highest): leader view with one static and one dynamic member.
    check(
        9,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00000003                   # generation_id 3
        09 636f6e73756d6572        # protocol_type \"consumer\"
        06 72616e6765              # protocol_name \"range\"
        09 6d656d6265722d31        # leader \"member-1\"
        00                         # skip_assignment false
        09 6d656d6265722d31        # member_id \"member-1\"
        03                         # members: 2
          09 6d656d6265722d31      #   member_id \"member-1\"
          07 686f73742d31          #   group_instance_id \"host-1\"
          03 0001                  #   metadata: 2 bytes
          00                       #   TAG_BUFFER
          09 6d656d6265722d32      #   member_id \"member-2\"
          00                       #   group_instance_id null
          01                       #   metadata: 0 bytes
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &JoinGroupResponse {
            throttle_time_ms: 0,
            error_code: 0,
            generation_id: 3,
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            leader: "member-1".into(),
            skip_assignment: false,
            member_id: "member-1".into(),
            members: vec![
                JoinGroupResponseMember {
                    member_id: "member-1".into(),
                    group_instance_id: Some("host-1".into()),
                    metadata: golden::hex("0001"),
                    ..Default::default()
                },
                JoinGroupResponseMember {
                    member_id: "member-2".into(),
                    group_instance_id: None,
                    metadata: golden::hex(""),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// SyncGroup (key 14): versions 0-5, flexible 4+
// ---------------------------------------------------------------------------------------------------------

/// A consumer assignment of "orders" partitions 0 and 1 (version 0, userdata null), 30 bytes.
const ASSIGNMENT_0_1: &str = "0000 00000001 0006 6f7264657273 00000002 00000000 00000001 ffffffff";
/// A consumer assignment of "orders" partition 2 (version 0, userdata null), 26 bytes.
const ASSIGNMENT_2: &str = "0000 00000001 0006 6f7264657273 00000001 00000002 ffffffff";

#[test]
fn sync_group() {
    use flotilla_protocol::messages::sync_group_request::{SyncGroupRequest, SyncGroupRequestAssignment};
    use flotilla_protocol::messages::SyncGroupResponse;

    // Request v0 (lowest): the leader sends both members' assignments.
    check(
        0,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000001                   # generation_id 1
        0008 6d656d6265722d31      # member_id \"member-1\"
        00000002                   # assignments: 2
          0008 6d656d6265722d31    #   member_id \"member-1\"
          0000001e                 #   assignment: 30 bytes
            0000 00000001 0006 6f7264657273 00000002 00000000 00000001 ffffffff
          0008 6d656d6265722d32    #   member_id \"member-2\"
          0000001a                 #   assignment: 26 bytes
            0000 00000001 0006 6f7264657273 00000001 00000002 ffffffff
        ",
        &SyncGroupRequest {
            group_id: "billing".into(),
            generation_id: 1,
            member_id: "member-1".into(),
            assignments: vec![
                SyncGroupRequestAssignment {
                    member_id: "member-1".into(),
                    assignment: golden::hex(ASSIGNMENT_0_1),
                    ..Default::default()
                },
                SyncGroupRequestAssignment {
                    member_id: "member-2".into(),
                    assignment: golden::hex(ASSIGNMENT_2),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Request v3 (last non-flexible): a follower, no instance id, no assignments.
    check(
        3,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000001                   # generation_id 1
        0008 6d656d6265722d32      # member_id \"member-2\"
        ffff                       # group_instance_id null
        00000000                   # assignments: 0
        ",
        &SyncGroupRequest {
            group_id: "billing".into(),
            generation_id: 1,
            member_id: "member-2".into(),
            group_instance_id: None,
            assignments: vec![],
            ..Default::default()
        },
    );

    // Request v5 (highest, flexible): static leader with protocol type and name.
    check(
        5,
        "
        08 62696c6c696e67          # group_id \"billing\"
        00000003                   # generation_id 3
        09 6d656d6265722d31        # member_id \"member-1\"
        07 686f73742d31            # group_instance_id \"host-1\"
        09 636f6e73756d6572        # protocol_type \"consumer\"
        06 72616e6765              # protocol_name \"range\"
        02                         # assignments: 1
          09 6d656d6265722d31      #   member_id \"member-1\"
          1f                       #   assignment: 30 bytes
            0000 00000001 0006 6f7264657273 00000002 00000000 00000001 ffffffff
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &SyncGroupRequest {
            group_id: "billing".into(),
            generation_id: 3,
            member_id: "member-1".into(),
            group_instance_id: Some("host-1".into()),
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            assignments: vec![SyncGroupRequestAssignment {
                member_id: "member-1".into(),
                assignment: golden::hex(ASSIGNMENT_0_1),
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v0 (lowest): member-2's assignment.
    check(
        0,
        "
        0000                       # error_code 0
        0000001a                   # assignment: 26 bytes
          0000 00000001 0006 6f7264657273 00000001 00000002 ffffffff
        ",
        &SyncGroupResponse { error_code: 0, assignment: golden::hex(ASSIGNMENT_2), ..Default::default() },
    );

    // Response v5 (highest): REBALANCE_IN_PROGRESS (27), null protocol type and name, empty assignment.
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        001b                       # error_code 27 (REBALANCE_IN_PROGRESS)
        00                         # protocol_type null
        00                         # protocol_name null
        01                         # assignment: 0 bytes
        00                         # TAG_BUFFER
        ",
        &SyncGroupResponse {
            throttle_time_ms: 0,
            error_code: 27,
            protocol_type: None,
            protocol_name: None,
            assignment: golden::hex(""),
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Heartbeat (key 12): versions 0-4, flexible 4+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn heartbeat() {
    use flotilla_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

    // Request v0 (lowest).
    check(
        0,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000003                   # generation_id 3
        0008 6d656d6265722d31      # member_id \"member-1\"
        ",
        &HeartbeatRequest {
            group_id: "billing".into(),
            generation_id: 3,
            member_id: "member-1".into(),
            ..Default::default()
        },
    );

    // Request v3 (last non-flexible): static member.
    check(
        3,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000003                   # generation_id 3
        0008 6d656d6265722d31      # member_id \"member-1\"
        0006 686f73742d31          # group_instance_id \"host-1\"
        ",
        &HeartbeatRequest {
            group_id: "billing".into(),
            generation_id: 3,
            member_id: "member-1".into(),
            group_instance_id: Some("host-1".into()),
            ..Default::default()
        },
    );

    // Request v4 (highest, flexible): dynamic member.
    check(
        4,
        "
        08 62696c6c696e67          # group_id \"billing\"
        00000003                   # generation_id 3
        09 6d656d6265722d31        # member_id \"member-1\"
        00                         # group_instance_id null
        00                         # TAG_BUFFER
        ",
        &HeartbeatRequest {
            group_id: "billing".into(),
            generation_id: 3,
            member_id: "member-1".into(),
            group_instance_id: None,
            ..Default::default()
        },
    );

    // Response v0 (lowest): REBALANCE_IN_PROGRESS (27).
    check(
        0,
        "
        001b                       # error_code 27 (REBALANCE_IN_PROGRESS)
        ",
        &HeartbeatResponse { error_code: 27, ..Default::default() },
    );

    // Response v4 (highest): UNKNOWN_MEMBER_ID (25) and an unknown tagged field, kept as raw bytes.
    check(
        4,
        "
        00000000                   # throttle_time_ms 0
        0019                       # error_code 25 (UNKNOWN_MEMBER_ID)
        01                         # TAG_BUFFER: 1 field
          07                       #   tag 7
          02                       #   size 2
          abcd                     #   data
        ",
        &HeartbeatResponse {
            throttle_time_ms: 0,
            error_code: 25,
            unknown_tagged_fields: vec![flotilla_protocol::RawTaggedField { tag: 7, data: golden::hex("abcd") }],
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// LeaveGroup (key 13): versions 0-5, flexible 4+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn leave_group() {
    use flotilla_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
    use flotilla_protocol::messages::leave_group_response::{LeaveGroupResponse, MemberResponse};

    // Request v0 (lowest): a single member id.
    check(
        0,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        0008 6d656d6265722d31      # member_id \"member-1\"
        ",
        &LeaveGroupRequest { group_id: "billing".into(), member_id: "member-1".into(), ..Default::default() },
    );

    // Request v3 (last non-flexible): a batch of members replaces the single member id.
    check(
        3,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000002                   # members: 2
          0008 6d656d6265722d31    #   member_id \"member-1\"
          0006 686f73742d31        #   group_instance_id \"host-1\"
          0008 6d656d6265722d32    #   member_id \"member-2\"
          ffff                     #   group_instance_id null
        ",
        &LeaveGroupRequest {
            group_id: "billing".into(),
            members: vec![
                MemberIdentity {
                    member_id: "member-1".into(),
                    group_instance_id: Some("host-1".into()),
                    ..Default::default()
                },
                MemberIdentity { member_id: "member-2".into(), group_instance_id: None, ..Default::default() },
            ],
            ..Default::default()
        },
    );

    // Request v5 (highest, flexible): a reason per member.
    check(
        5,
        "
        08 62696c6c696e67          # group_id \"billing\"
        02                         # members: 1
          09 6d656d6265722d31      #   member_id \"member-1\"
          07 686f73742d31          #   group_instance_id \"host-1\"
          08 4c656176696e67        #   reason \"Leaving\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &LeaveGroupRequest {
            group_id: "billing".into(),
            members: vec![MemberIdentity {
                member_id: "member-1".into(),
                group_instance_id: Some("host-1".into()),
                reason: Some("Leaving".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v0 (lowest).
    check(
        0,
        "
        0000                       # error_code 0
        ",
        &LeaveGroupResponse { error_code: 0, ..Default::default() },
    );

    // Response v5 (highest): member-2 is unknown, UNKNOWN_MEMBER_ID (25).
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        03                         # members: 2
          09 6d656d6265722d31      #   member_id \"member-1\"
          07 686f73742d31          #   group_instance_id \"host-1\"
          0000                     #   error_code 0
          00                       #   TAG_BUFFER
          09 6d656d6265722d32      #   member_id \"member-2\"
          00                       #   group_instance_id null
          0019                     #   error_code 25 (UNKNOWN_MEMBER_ID)
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &LeaveGroupResponse {
            throttle_time_ms: 0,
            error_code: 0,
            members: vec![
                MemberResponse {
                    member_id: "member-1".into(),
                    group_instance_id: Some("host-1".into()),
                    error_code: 0,
                    ..Default::default()
                },
                MemberResponse {
                    member_id: "member-2".into(),
                    group_instance_id: None,
                    error_code: 25,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}
