//! Golden-bytes tests, part A: ApiVersions, Metadata, Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, the
//! topic administration APIs (CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords) and the legacy
//! configuration APIs (DescribeConfigs, AlterConfigs).
//!
//! Every byte string below was written by hand from the Kafka protocol guide's wire rules (INT16/INT32/INT64
//! big-endian; STRING = INT16 length + UTF-8, NULLABLE_STRING null = -1; ARRAY = INT32 count, null = -1;
//! BYTES / RECORDS = INT32 length, null = -1; in flexible versions COMPACT_STRING / COMPACT_ARRAY /
//! COMPACT_BYTES / COMPACT_RECORDS = UNSIGNED_VARINT(n + 1) with 0 for null, and a TAG_BUFFER after every
//! struct: UNSIGNED_VARINT count, then per field UNSIGNED_VARINT tag, UNSIGNED_VARINT size and the value, in
//! ascending tag order; UUID = 16 bytes) and the field lists of Kafka 4.1, never by running an encoder.
//!
//! Record payloads are opaque to the message codec (RECORDS is a length-prefixed byte string), so the
//! record bytes below are short stand-ins, not real record batches.
//!
//! Strings used throughout:
//!   "orders"   = 6f7264657273 (6)        "payments" = 7061796d656e7473 (8)
//!   "broker-1" = 62726f6b65722d31 (8)    "broker-2" = 62726f6b65722d32 (8)
//!   "rack-a"   = 7261636b2d61 (6)        "rack-b"   = 7261636b2d62 (6)
//!   "retention.ms" = 726574656e74696f6e2e6d73 (12)
//!   "cleanup.policy" = 636c65616e75702e706f6c696379 (14)

#![allow(clippy::unwrap_used)]

#[path = "support/golden.rs"]
mod golden;

use golden::check;

use flotilla_protocol::Uuid;

/// Topic id of "orders": bytes 0f1e2d3c 4b5a6978 8796a5b4 c3d2e1f0.
const ORDERS_ID: Uuid = Uuid::from_u128(0x0f1e2d3c_4b5a6978_8796a5b4_c3d2e1f0);
/// Topic id of "payments": bytes a1b2c3d4 e5f60718 293a4b5c 6d7e8f90.
const PAYMENTS_ID: Uuid = Uuid::from_u128(0xa1b2c3d4_e5f60718_293a4b5c_6d7e8f90);
/// A KRaft log directory id: bytes 00112233 44556677 8899aabb ccddeeff.
const DIR_ID: Uuid = Uuid::from_u128(0x00112233_44556677_8899aabb_ccddeeff);

// ---------------------------------------------------------------------------------------------------------
// ApiVersions (key 18): versions 0-4, flexible 3+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn api_versions() {
    use flotilla_protocol::messages::api_versions_response::{
        ApiVersion, ApiVersionsResponse, FinalizedFeatureKey, SupportedFeatureKey,
    };
    use flotilla_protocol::messages::ApiVersionsRequest;

    // Request v0: no fields at all.
    check(
        0,
        "
        # (empty body)
        ",
        &ApiVersionsRequest::default(),
    );

    // Request v4 (flexible): client software name and version.
    check(
        4,
        "
        0b 6c696272646b61666b61   # client_software_name: COMPACT_STRING \"librdkafka\"
        06 322e352e30             # client_software_version: COMPACT_STRING \"2.5.0\"
        00                        # TAG_BUFFER
        ",
        &ApiVersionsRequest {
            client_software_name: "librdkafka".into(),
            client_software_version: "2.5.0".into(),
            ..Default::default()
        },
    );

    // Response v0: the UNSUPPORTED_VERSION answer a broker sends to a too-new ApiVersions request.
    check(
        0,
        "
        0023               # error_code 35 (UNSUPPORTED_VERSION)
        00000001           # api_keys: ARRAY 1
          0012             #   api_key 18 (ApiVersions)
          0000             #   min_version 0
          0004             #   max_version 4
        ",
        &ApiVersionsResponse {
            error_code: 35,
            api_keys: vec![ApiVersion { api_key: 18, min_version: 0, max_version: 4, ..Default::default() }],
            ..Default::default()
        },
    );

    // Response v2 (non-flexible): two API keys and a throttle time.
    check(
        2,
        "
        0000               # error_code 0
        00000002           # api_keys: ARRAY 2
          0000 0003 000d   #   Produce 3..13
          0001 0004 0012   #   Fetch 4..18
        00000064           # throttle_time_ms 100
        ",
        &ApiVersionsResponse {
            error_code: 0,
            api_keys: vec![
                ApiVersion { api_key: 0, min_version: 3, max_version: 13, ..Default::default() },
                ApiVersion { api_key: 1, min_version: 4, max_version: 18, ..Default::default() },
            ],
            throttle_time_ms: 100,
            ..Default::default()
        },
    );

    // Response v4 (flexible) with all four tagged fields set.
    check(
        4,
        "
        0000               # error_code 0
        03                 # api_keys: COMPACT_ARRAY 2
          0000 0003 000d   #   Produce 3..13
          00               #   TAG_BUFFER
          0012 0000 0004   #   ApiVersions 0..4
          00               #   TAG_BUFFER
        00000000           # throttle_time_ms 0
        04                 # TAG_BUFFER: 4 fields
          00               #   tag 0: supported_features
          17               #   size 23
            02             #     COMPACT_ARRAY 1
            11 6d657461646174612e76657273696f6e  # name \"metadata.version\"
            0001           #     min_version 1
            001b           #     max_version 27
            00             #     TAG_BUFFER
          01               #   tag 1: finalized_features_epoch
          08               #   size 8
            000000000000002a  # 42
          02               #   tag 2: finalized_features
          17               #   size 23
            02             #     COMPACT_ARRAY 1
            11 6d657461646174612e76657273696f6e  # name \"metadata.version\"
            001b           #     max_version_level 27
            0001           #     min_version_level 1
            00             #     TAG_BUFFER
          03               #   tag 3: zk_migration_ready
          01               #   size 1
            01             #     true
        ",
        &ApiVersionsResponse {
            error_code: 0,
            api_keys: vec![
                ApiVersion { api_key: 0, min_version: 3, max_version: 13, ..Default::default() },
                ApiVersion { api_key: 18, min_version: 0, max_version: 4, ..Default::default() },
            ],
            throttle_time_ms: 0,
            supported_features: vec![SupportedFeatureKey {
                name: "metadata.version".into(),
                min_version: 1,
                max_version: 27,
                ..Default::default()
            }],
            finalized_features_epoch: 42,
            finalized_features: vec![FinalizedFeatureKey {
                name: "metadata.version".into(),
                max_version_level: 27,
                min_version_level: 1,
                ..Default::default()
            }],
            zk_migration_ready: true,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Metadata (key 3): versions 0-13, flexible 9+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn metadata() {
    use flotilla_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
    use flotilla_protocol::messages::metadata_response::{
        MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };

    // Request v0: one topic by name (an empty array would mean all topics).
    check(
        0,
        "
        00000001               # topics: ARRAY 1
          0006 6f7264657273    #   name \"orders\"
        ",
        &MetadataRequest {
            topics: Some(vec![MetadataRequestTopic { name: Some("orders".into()), ..Default::default() }]),
            ..Default::default()
        },
    );

    // Request v8 (non-flexible): all topics (null array), no auto-creation, both authorized-operation flags.
    check(
        8,
        "
        ffffffff               # topics: null ARRAY (all topics)
        00                     # allow_auto_topic_creation false
        01                     # include_cluster_authorized_operations true
        01                     # include_topic_authorized_operations true
        ",
        &MetadataRequest {
            topics: None,
            allow_auto_topic_creation: false,
            include_cluster_authorized_operations: true,
            include_topic_authorized_operations: true,
            ..Default::default()
        },
    );

    // Request v13 (flexible): one topic by id (null name), one by name (nil id).
    check(
        13,
        "
        03                                   # topics: COMPACT_ARRAY 2
          0f1e2d3c4b5a69788796a5b4c3d2e1f0   #   topic_id
          00                                 #   name: null
          00                                 #   TAG_BUFFER
          00000000000000000000000000000000   #   topic_id: nil
          07 6f7264657273                    #   name \"orders\"
          00                                 #   TAG_BUFFER
        01                                   # allow_auto_topic_creation true
        00                                   # include_topic_authorized_operations false
        00                                   # TAG_BUFFER
        ",
        &MetadataRequest {
            topics: Some(vec![
                MetadataRequestTopic { topic_id: ORDERS_ID, name: None, ..Default::default() },
                MetadataRequestTopic { topic_id: Uuid::nil(), name: Some("orders".into()), ..Default::default() },
            ]),
            allow_auto_topic_creation: true,
            include_topic_authorized_operations: false,
            ..Default::default()
        },
    );

    // Response v0: one broker, one topic with two partitions.
    check(
        0,
        "
        00000001                   # brokers: ARRAY 1
          00000001                 #   node_id 1
          0008 62726f6b65722d31    #   host \"broker-1\"
          00002384                 #   port 9092
        00000001                   # topics: ARRAY 1
          0000                     #   error_code 0
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: ARRAY 2
            0000                   #     error_code 0
            00000000               #     partition_index 0
            00000001               #     leader_id 1
            00000002 00000001 00000002  # replica_nodes [1, 2]
            00000002 00000001 00000002  # isr_nodes [1, 2]
            0000                   #     error_code 0
            00000001               #     partition_index 1
            00000002               #     leader_id 2
            00000002 00000002 00000001  # replica_nodes [2, 1]
            00000001 00000002      #     isr_nodes [2]
        ",
        &MetadataResponse {
            brokers: vec![MetadataResponseBroker {
                node_id: 1,
                host: "broker-1".into(),
                port: 9092,
                ..Default::default()
            }],
            topics: vec![MetadataResponseTopic {
                error_code: 0,
                name: Some("orders".into()),
                partitions: vec![
                    MetadataResponsePartition {
                        error_code: 0,
                        partition_index: 0,
                        leader_id: 1,
                        replica_nodes: vec![1, 2],
                        isr_nodes: vec![1, 2],
                        ..Default::default()
                    },
                    MetadataResponsePartition {
                        error_code: 0,
                        partition_index: 1,
                        leader_id: 2,
                        replica_nodes: vec![2, 1],
                        isr_nodes: vec![2],
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v13 (flexible): racks (one null), cluster id, three partitions of "orders" (one offline), and
    // a topic looked up by an unknown id (null name), then the top-level error code.
    check(
        13,
        "
        00000000                   # throttle_time_ms 0
        03                         # brokers: COMPACT_ARRAY 2
          00000001                 #   node_id 1
          09 62726f6b65722d31      #   host \"broker-1\"
          00002384                 #   port 9092
          07 7261636b2d61          #   rack \"rack-a\"
          00                       #   TAG_BUFFER
          00000002                 #   node_id 2
          09 62726f6b65722d32      #   host \"broker-2\"
          00002384                 #   port 9092
          00                       #   rack: null
          00                       #   TAG_BUFFER
        0a 636c75737465722d31      # cluster_id \"cluster-1\"
        00000001                   # controller_id 1
        03                         # topics: COMPACT_ARRAY 2
          0000                     #   error_code 0
          07 6f7264657273          #   name \"orders\"
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
          00                       #   is_internal false
          04                       #   partitions: COMPACT_ARRAY 3
            0000                   #     error_code 0
            00000000               #     partition_index 0
            00000001               #     leader_id 1
            00000005               #     leader_epoch 5
            03 00000001 00000002   #     replica_nodes [1, 2]
            03 00000001 00000002   #     isr_nodes [1, 2]
            01                     #     offline_replicas []
            00                     #     TAG_BUFFER
            0000                   #     error_code 0
            00000001               #     partition_index 1
            00000002               #     leader_id 2
            00000007               #     leader_epoch 7
            03 00000002 00000001   #     replica_nodes [2, 1]
            02 00000002            #     isr_nodes [2]
            02 00000001            #     offline_replicas [1]
            00                     #     TAG_BUFFER
            0005                   #     error_code 5 (LEADER_NOT_AVAILABLE)
            00000002               #     partition_index 2
            ffffffff               #     leader_id -1
            00000003               #     leader_epoch 3
            02 00000001            #     replica_nodes [1]
            01                     #     isr_nodes []
            02 00000001            #     offline_replicas [1]
            00                     #     TAG_BUFFER
          00000df8                 #   topic_authorized_operations (READ..ALTER, DESCRIBE, DESCRIBE/ALTER_CONFIGS)
          00                       #   TAG_BUFFER
          0064                     #   error_code 100 (UNKNOWN_TOPIC_ID)
          00                       #   name: null
          a1b2c3d4e5f60718293a4b5c6d7e8f90  # topic_id
          00                       #   is_internal false
          01                       #   partitions: COMPACT_ARRAY 0
          80000000                 #   topic_authorized_operations: INT32 min (not requested)
          00                       #   TAG_BUFFER
        0000                       # error_code 0
        00                         # TAG_BUFFER
        ",
        &MetadataResponse {
            throttle_time_ms: 0,
            brokers: vec![
                MetadataResponseBroker {
                    node_id: 1,
                    host: "broker-1".into(),
                    port: 9092,
                    rack: Some("rack-a".into()),
                    ..Default::default()
                },
                MetadataResponseBroker {
                    node_id: 2,
                    host: "broker-2".into(),
                    port: 9092,
                    rack: None,
                    ..Default::default()
                },
            ],
            cluster_id: Some("cluster-1".into()),
            controller_id: 1,
            topics: vec![
                MetadataResponseTopic {
                    error_code: 0,
                    name: Some("orders".into()),
                    topic_id: ORDERS_ID,
                    is_internal: false,
                    partitions: vec![
                        MetadataResponsePartition {
                            error_code: 0,
                            partition_index: 0,
                            leader_id: 1,
                            leader_epoch: 5,
                            replica_nodes: vec![1, 2],
                            isr_nodes: vec![1, 2],
                            offline_replicas: vec![],
                            ..Default::default()
                        },
                        MetadataResponsePartition {
                            error_code: 0,
                            partition_index: 1,
                            leader_id: 2,
                            leader_epoch: 7,
                            replica_nodes: vec![2, 1],
                            isr_nodes: vec![2],
                            offline_replicas: vec![1],
                            ..Default::default()
                        },
                        MetadataResponsePartition {
                            error_code: 5,
                            partition_index: 2,
                            leader_id: -1,
                            leader_epoch: 3,
                            replica_nodes: vec![1],
                            isr_nodes: vec![],
                            offline_replicas: vec![1],
                            ..Default::default()
                        },
                    ],
                    topic_authorized_operations: 0x0df8,
                    ..Default::default()
                },
                MetadataResponseTopic {
                    error_code: 100,
                    name: None,
                    topic_id: PAYMENTS_ID,
                    is_internal: false,
                    partitions: vec![],
                    topic_authorized_operations: i32::MIN,
                    ..Default::default()
                },
            ],
            error_code: 0,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Produce (key 0): versions 3-13, flexible 9+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn produce() {
    use bytes::Bytes;
    use flotilla_protocol::messages::produce_request::{PartitionProduceData, ProduceRequest, TopicProduceData};
    use flotilla_protocol::messages::produce_response::{
        BatchIndexAndErrorMessage, LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse, ProduceResponse,
        TopicProduceResponse,
    };

    // Request v3: no transaction, acks=all, one batch for partition 0 and null records for partition 1.
    check(
        3,
        "
        ffff                     # transactional_id: null
        ffff                     # acks -1 (all)
        00007530                 # timeout_ms 30000
        00000001                 # topic_data: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partition_data: ARRAY 2
            00000000             #     index 0
            00000004 cafebabe    #     records: 4 opaque bytes
            00000001             #     index 1
            ffffffff             #     records: null
        ",
        &ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 30000,
            topic_data: vec![TopicProduceData {
                name: "orders".into(),
                partition_data: vec![
                    PartitionProduceData {
                        index: 0,
                        records: Some(Bytes::from_static(&[0xca, 0xfe, 0xba, 0xbe])),
                        ..Default::default()
                    },
                    PartitionProduceData { index: 1, records: None, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v13 (flexible, topic ids): transactional, acks=1; records present, empty and null.
    check(
        13,
        "
        06 74786e2d31                        # transactional_id \"txn-1\"
        0001                                 # acks 1
        00001388                             # timeout_ms 5000
        03                                   # topic_data: COMPACT_ARRAY 2
          0f1e2d3c4b5a69788796a5b4c3d2e1f0   #   topic_id (orders)
          02                                 #   partition_data: COMPACT_ARRAY 1
            00000000                         #     index 0
            05 cafebabe                      #     records: COMPACT_RECORDS 4 bytes
            00                               #     TAG_BUFFER
          00                                 #   TAG_BUFFER
          a1b2c3d4e5f60718293a4b5c6d7e8f90   #   topic_id (payments)
          03                                 #   partition_data: COMPACT_ARRAY 2
            00000001                         #     index 1
            01                               #     records: empty
            00                               #     TAG_BUFFER
            00000002                         #     index 2
            00                               #     records: null
            00                               #     TAG_BUFFER
          00                                 #   TAG_BUFFER
        00                                   # TAG_BUFFER
        ",
        &ProduceRequest {
            transactional_id: Some("txn-1".into()),
            acks: 1,
            timeout_ms: 5000,
            topic_data: vec![
                TopicProduceData {
                    topic_id: ORDERS_ID,
                    partition_data: vec![PartitionProduceData {
                        index: 0,
                        records: Some(Bytes::from_static(&[0xca, 0xfe, 0xba, 0xbe])),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                TopicProduceData {
                    topic_id: PAYMENTS_ID,
                    partition_data: vec![
                        PartitionProduceData { index: 1, records: Some(Bytes::new()), ..Default::default() },
                        PartitionProduceData { index: 2, records: None, ..Default::default() },
                    ],
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Response v3: one success, one NOT_LEADER_OR_FOLLOWER.
    check(
        3,
        "
        00000001                 # responses: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partition_responses: ARRAY 2
            00000000             #     index 0
            0000                 #     error_code 0
            0000000000000064     #     base_offset 100
            ffffffffffffffff     #     log_append_time_ms -1
            00000001             #     index 1
            0006                 #     error_code 6 (NOT_LEADER_OR_FOLLOWER)
            ffffffffffffffff     #     base_offset -1
            ffffffffffffffff     #     log_append_time_ms -1
        00000000                 # throttle_time_ms 0
        ",
        &ProduceResponse {
            responses: vec![TopicProduceResponse {
                name: "orders".into(),
                partition_responses: vec![
                    PartitionProduceResponse {
                        index: 0,
                        error_code: 0,
                        base_offset: 100,
                        log_append_time_ms: -1,
                        ..Default::default()
                    },
                    PartitionProduceResponse {
                        index: 1,
                        error_code: 6,
                        base_offset: -1,
                        log_append_time_ms: -1,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            throttle_time_ms: 0,
            ..Default::default()
        },
    );

    // Response v8 (non-flexible): log-append time, log start offset, record errors and error message.
    check(
        8,
        "
        00000001                 # responses: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partition_responses: ARRAY 2
            00000000             #     index 0
            0000                 #     error_code 0
            00000000000003e8     #     base_offset 1000
            0000018bcfe56800     #     log_append_time_ms 1700000000000
            0000000000000000     #     log_start_offset 0
            00000000             #     record_errors: ARRAY 0
            ffff                 #     error_message: null
            00000001             #     index 1
            0057                 #     error_code 87 (INVALID_RECORD)
            ffffffffffffffff     #     base_offset -1
            ffffffffffffffff     #     log_append_time_ms -1
            ffffffffffffffff     #     log_start_offset -1
            00000001             #     record_errors: ARRAY 1
              00000000           #       batch_index 0
              0010 626174636820302072656a6563746564  # batch_index_error_message \"batch 0 rejected\"
            000e 496e76616c6964207265636f7264        # error_message \"Invalid record\"
        0000000a                 # throttle_time_ms 10
        ",
        &ProduceResponse {
            responses: vec![TopicProduceResponse {
                name: "orders".into(),
                partition_responses: vec![
                    PartitionProduceResponse {
                        index: 0,
                        error_code: 0,
                        base_offset: 1000,
                        log_append_time_ms: 1_700_000_000_000,
                        log_start_offset: 0,
                        record_errors: vec![],
                        error_message: None,
                        ..Default::default()
                    },
                    PartitionProduceResponse {
                        index: 1,
                        error_code: 87,
                        base_offset: -1,
                        log_append_time_ms: -1,
                        log_start_offset: -1,
                        record_errors: vec![BatchIndexAndErrorMessage {
                            batch_index: 0,
                            batch_index_error_message: Some("batch 0 rejected".into()),
                            ..Default::default()
                        }],
                        error_message: Some("Invalid record".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            throttle_time_ms: 10,
            ..Default::default()
        },
    );

    // Response v13 (flexible, topic ids): the failed partition names its new leader in tag 0, and the
    // response carries that leader's endpoint in top-level tag 0.
    check(
        13,
        "
        02                                   # responses: COMPACT_ARRAY 1
          0f1e2d3c4b5a69788796a5b4c3d2e1f0   #   topic_id (orders)
          03                                 #   partition_responses: COMPACT_ARRAY 2
            00000000                         #     index 0
            0000                             #     error_code 0
            0000000000000064                 #     base_offset 100
            ffffffffffffffff                 #     log_append_time_ms -1
            0000000000000000                 #     log_start_offset 0
            01                               #     record_errors: COMPACT_ARRAY 0
            00                               #     error_message: null
            00                               #     TAG_BUFFER (current_leader at its default)
            00000001                         #     index 1
            0006                             #     error_code 6 (NOT_LEADER_OR_FOLLOWER)
            ffffffffffffffff                 #     base_offset -1
            ffffffffffffffff                 #     log_append_time_ms -1
            ffffffffffffffff                 #     log_start_offset -1
            01                               #     record_errors: COMPACT_ARRAY 0
            00                               #     error_message: null
            01                               #     TAG_BUFFER: 1 field
              00                             #       tag 0: current_leader
              09                             #       size 9
                00000002                     #         leader_id 2
                00000007                     #         leader_epoch 7
                00                           #         TAG_BUFFER
          00                                 #   TAG_BUFFER
        00000000                             # throttle_time_ms 0
        01                                   # TAG_BUFFER: 1 field
          00                                 #   tag 0: node_endpoints
          1a                                 #   size 26
            02                               #     COMPACT_ARRAY 1
            00000002                         #     node_id 2
            09 62726f6b65722d32              #     host \"broker-2\"
            00002384                         #     port 9092
            07 7261636b2d62                  #     rack \"rack-b\"
            00                               #     TAG_BUFFER
        ",
        &ProduceResponse {
            responses: vec![TopicProduceResponse {
                topic_id: ORDERS_ID,
                partition_responses: vec![
                    PartitionProduceResponse {
                        index: 0,
                        error_code: 0,
                        base_offset: 100,
                        log_append_time_ms: -1,
                        log_start_offset: 0,
                        ..Default::default()
                    },
                    PartitionProduceResponse {
                        index: 1,
                        error_code: 6,
                        base_offset: -1,
                        log_append_time_ms: -1,
                        log_start_offset: -1,
                        current_leader: LeaderIdAndEpoch { leader_id: 2, leader_epoch: 7, ..Default::default() },
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            throttle_time_ms: 0,
            node_endpoints: vec![NodeEndpoint {
                node_id: 2,
                host: "broker-2".into(),
                port: 9092,
                rack: Some("rack-b".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Fetch (key 1): versions 4-18, flexible 12+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn fetch() {
    use bytes::Bytes;
    use flotilla_protocol::messages::fetch_request::{
        FetchPartition, FetchRequest, FetchTopic, ForgottenTopic, ReplicaState,
    };
    use flotilla_protocol::messages::fetch_response::{
        AbortedTransaction, EpochEndOffset, FetchResponse, FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint,
        PartitionData, SnapshotId,
    };

    // Request v4: a read-committed consumer fetching two partitions.
    check(
        4,
        "
        ffffffff                 # replica_id -1 (consumer)
        000001f4                 # max_wait_ms 500
        00000001                 # min_bytes 1
        03200000                 # max_bytes 52428800
        01                       # isolation_level 1 (READ_COMMITTED)
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   topic \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition 0
            0000000000000064     #     fetch_offset 100
            00100000             #     partition_max_bytes 1048576
            00000001             #     partition 1
            00000000000000c8     #     fetch_offset 200
            00100000             #     partition_max_bytes 1048576
        ",
        &FetchRequest {
            replica_id: -1,
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 52_428_800,
            isolation_level: 1,
            topics: vec![FetchTopic {
                topic: "orders".into(),
                partitions: vec![
                    FetchPartition {
                        partition: 0,
                        fetch_offset: 100,
                        partition_max_bytes: 1_048_576,
                        ..Default::default()
                    },
                    FetchPartition {
                        partition: 1,
                        fetch_offset: 200,
                        partition_max_bytes: 1_048_576,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v12 (first flexible version): incremental session, a forgotten topic, a rack id, and the
    // cluster id in tag 0.
    check(
        12,
        "
        ffffffff                 # replica_id -1
        000001f4                 # max_wait_ms 500
        00000001                 # min_bytes 1
        03200000                 # max_bytes 52428800
        00                       # isolation_level 0
        0000002a                 # session_id 42
        00000003                 # session_epoch 3
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   topic \"orders\"
          02                     #   partitions: COMPACT_ARRAY 1
            00000000             #     partition 0
            00000005             #     current_leader_epoch 5
            0000000000000064     #     fetch_offset 100
            00000004             #     last_fetched_epoch 4
            ffffffffffffffff     #     log_start_offset -1
            00100000             #     partition_max_bytes 1048576
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        02                       # forgotten_topics_data: COMPACT_ARRAY 1
          09 7061796d656e7473    #   topic \"payments\"
          03 00000000 00000001   #   partitions [0, 1]
          00                     #   TAG_BUFFER
        07 7261636b2d61          # rack_id \"rack-a\"
        01                       # TAG_BUFFER: 1 field
          00                     #   tag 0: cluster_id
          0a                     #   size 10
            0a 636c75737465722d31  # COMPACT_NULLABLE_STRING \"cluster-1\"
        ",
        &FetchRequest {
            cluster_id: Some("cluster-1".into()),
            replica_id: -1,
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 52_428_800,
            isolation_level: 0,
            session_id: 42,
            session_epoch: 3,
            topics: vec![FetchTopic {
                topic: "orders".into(),
                partitions: vec![FetchPartition {
                    partition: 0,
                    current_leader_epoch: 5,
                    fetch_offset: 100,
                    last_fetched_epoch: 4,
                    log_start_offset: -1,
                    partition_max_bytes: 1_048_576,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            forgotten_topics_data: vec![ForgottenTopic {
                topic: "payments".into(),
                partitions: vec![0, 1],
                ..Default::default()
            }],
            rack_id: "rack-a".into(),
            ..Default::default()
        },
    );

    // Request v18: a follower fetch by topic id. The replica id moved into tag 1 (ReplicaState); partition 0
    // carries its tags 0 (replica_directory_id) and 1 (high_watermark), partition 1 leaves both at default.
    check(
        18,
        "
        000001f4                 # max_wait_ms 500
        00000001                 # min_bytes 1
        00a00000                 # max_bytes 10485760
        00                       # isolation_level 0
        00000000                 # session_id 0
        ffffffff                 # session_epoch -1
        02                       # topics: COMPACT_ARRAY 1
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id (orders)
          03                     #   partitions: COMPACT_ARRAY 2
            00000000             #     partition 0
            00000005             #     current_leader_epoch 5
            00000000000003e8     #     fetch_offset 1000
            00000005             #     last_fetched_epoch 5
            0000000000000000     #     log_start_offset 0
            00100000             #     partition_max_bytes 1048576
            02                   #     TAG_BUFFER: 2 fields
              00                 #       tag 0: replica_directory_id
              10                 #       size 16
                00112233445566778899aabbccddeeff
              01                 #       tag 1: high_watermark
              08                 #       size 8
                00000000000003de #         990
            00000001             #     partition 1
            00000005             #     current_leader_epoch 5
            00000000000001f4     #     fetch_offset 500
            00000004             #     last_fetched_epoch 4
            0000000000000000     #     log_start_offset 0
            00100000             #     partition_max_bytes 1048576
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        01                       # forgotten_topics_data: COMPACT_ARRAY 0
        01                       # rack_id \"\"
        02                       # TAG_BUFFER: 2 fields
          00                     #   tag 0: cluster_id
          0a                     #   size 10
            0a 636c75737465722d31  # \"cluster-1\"
          01                     #   tag 1: replica_state
          0d                     #   size 13
            00000002             #     replica_id 2
            0000000000000007     #     replica_epoch 7
            00                   #     TAG_BUFFER
        ",
        &FetchRequest {
            cluster_id: Some("cluster-1".into()),
            replica_state: ReplicaState { replica_id: 2, replica_epoch: 7, ..Default::default() },
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 10_485_760,
            isolation_level: 0,
            session_id: 0,
            session_epoch: -1,
            topics: vec![FetchTopic {
                topic_id: ORDERS_ID,
                partitions: vec![
                    FetchPartition {
                        partition: 0,
                        current_leader_epoch: 5,
                        fetch_offset: 1000,
                        last_fetched_epoch: 5,
                        log_start_offset: 0,
                        partition_max_bytes: 1_048_576,
                        replica_directory_id: DIR_ID,
                        high_watermark: 990,
                        ..Default::default()
                    },
                    FetchPartition {
                        partition: 1,
                        current_leader_epoch: 5,
                        fetch_offset: 500,
                        last_fetched_epoch: 4,
                        log_start_offset: 0,
                        partition_max_bytes: 1_048_576,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            forgotten_topics_data: vec![],
            rack_id: "".into(),
            ..Default::default()
        },
    );

    // Response v4: data with one aborted transaction, and an OFFSET_OUT_OF_RANGE partition with null aborted
    // transactions and empty records.
    check(
        4,
        "
        00000000                 # throttle_time_ms 0
        00000001                 # responses: ARRAY 1
          0006 6f7264657273      #   topic \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition_index 0
            0000                 #     error_code 0
            00000000000000c8     #     high_watermark 200
            00000000000000b4     #     last_stable_offset 180
            00000001             #     aborted_transactions: ARRAY 1
              00000000000003e8   #       producer_id 1000
              00000000000000aa   #       first_offset 170
            00000004 cafebabe    #     records: 4 opaque bytes
            00000001             #     partition_index 1
            0001                 #     error_code 1 (OFFSET_OUT_OF_RANGE)
            ffffffffffffffff     #     high_watermark -1
            ffffffffffffffff     #     last_stable_offset -1
            ffffffff             #     aborted_transactions: null
            00000000             #     records: empty
        ",
        &FetchResponse {
            throttle_time_ms: 0,
            responses: vec![FetchableTopicResponse {
                topic: "orders".into(),
                partitions: vec![
                    PartitionData {
                        partition_index: 0,
                        error_code: 0,
                        high_watermark: 200,
                        last_stable_offset: 180,
                        aborted_transactions: Some(vec![AbortedTransaction {
                            producer_id: 1000,
                            first_offset: 170,
                            ..Default::default()
                        }]),
                        records: Some(Bytes::from_static(&[0xca, 0xfe, 0xba, 0xbe])),
                        ..Default::default()
                    },
                    PartitionData {
                        partition_index: 1,
                        error_code: 1,
                        high_watermark: -1,
                        last_stable_offset: -1,
                        aborted_transactions: None,
                        records: Some(Bytes::new()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v18 (flexible, topic ids) with every tagged field: partition 1 a diverging epoch (tag 0),
    // partition 2 a new leader (tag 1) and a snapshot id (tag 2), and the new leader's endpoint (top-level
    // tag 0).
    check(
        18,
        "
        00000000                 # throttle_time_ms 0
        0000                     # error_code 0
        0000002a                 # session_id 42
        02                       # responses: COMPACT_ARRAY 1
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id (orders)
          04                     #   partitions: COMPACT_ARRAY 3
            00000000             #     partition_index 0
            0000                 #     error_code 0
            00000000000000c8     #     high_watermark 200
            00000000000000c8     #     last_stable_offset 200
            0000000000000000     #     log_start_offset 0
            00                   #     aborted_transactions: null
            ffffffff             #     preferred_read_replica -1
            05 cafebabe          #     records: COMPACT_RECORDS 4 bytes
            00                   #     TAG_BUFFER
            00000001             #     partition_index 1
            0000                 #     error_code 0
            00000000000001f4     #     high_watermark 500
            00000000000001f4     #     last_stable_offset 500
            0000000000000000     #     log_start_offset 0
            01                   #     aborted_transactions: COMPACT_ARRAY 0
            00000002             #     preferred_read_replica 2
            01                   #     records: empty
            01                   #     TAG_BUFFER: 1 field
              00                 #       tag 0: diverging_epoch
              0d                 #       size 13
                00000004         #         epoch 4
                0000000000000190 #         end_offset 400
                00               #         TAG_BUFFER
            00000002             #     partition_index 2
            0006                 #     error_code 6 (NOT_LEADER_OR_FOLLOWER)
            ffffffffffffffff     #     high_watermark -1
            ffffffffffffffff     #     last_stable_offset -1
            ffffffffffffffff     #     log_start_offset -1
            00                   #     aborted_transactions: null
            ffffffff             #     preferred_read_replica -1
            01                   #     records: empty
            02                   #     TAG_BUFFER: 2 fields
              01                 #       tag 1: current_leader
              09                 #       size 9
                00000002         #         leader_id 2
                00000008         #         leader_epoch 8
                00               #         TAG_BUFFER
              02                 #       tag 2: snapshot_id
              0d                 #       size 13
                0000000000000064 #         end_offset 100
                00000003         #         epoch 3
                00               #         TAG_BUFFER
          00                     #   TAG_BUFFER
        01                       # TAG_BUFFER: 1 field
          00                     #   tag 0: node_endpoints
          14                     #   size 20
            02                   #     COMPACT_ARRAY 1
            00000002             #     node_id 2
            09 62726f6b65722d32  #     host \"broker-2\"
            00002384             #     port 9092
            00                   #     rack: null
            00                   #     TAG_BUFFER
        ",
        &FetchResponse {
            throttle_time_ms: 0,
            error_code: 0,
            session_id: 42,
            responses: vec![FetchableTopicResponse {
                topic_id: ORDERS_ID,
                partitions: vec![
                    PartitionData {
                        partition_index: 0,
                        error_code: 0,
                        high_watermark: 200,
                        last_stable_offset: 200,
                        log_start_offset: 0,
                        aborted_transactions: None,
                        preferred_read_replica: -1,
                        records: Some(Bytes::from_static(&[0xca, 0xfe, 0xba, 0xbe])),
                        ..Default::default()
                    },
                    PartitionData {
                        partition_index: 1,
                        error_code: 0,
                        high_watermark: 500,
                        last_stable_offset: 500,
                        log_start_offset: 0,
                        diverging_epoch: EpochEndOffset { epoch: 4, end_offset: 400, ..Default::default() },
                        aborted_transactions: Some(vec![]),
                        preferred_read_replica: 2,
                        records: Some(Bytes::new()),
                        ..Default::default()
                    },
                    PartitionData {
                        partition_index: 2,
                        error_code: 6,
                        high_watermark: -1,
                        last_stable_offset: -1,
                        log_start_offset: -1,
                        current_leader: LeaderIdAndEpoch { leader_id: 2, leader_epoch: 8, ..Default::default() },
                        snapshot_id: SnapshotId { end_offset: 100, epoch: 3, ..Default::default() },
                        aborted_transactions: None,
                        preferred_read_replica: -1,
                        records: Some(Bytes::new()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            node_endpoints: vec![NodeEndpoint {
                node_id: 2,
                host: "broker-2".into(),
                port: 9092,
                rack: None,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// ListOffsets (key 2): versions 1-10, flexible 6+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn list_offsets() {
    use flotilla_protocol::messages::list_offsets_request::{
        ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic,
    };
    use flotilla_protocol::messages::list_offsets_response::{
        ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
    };

    // Request v1: latest offset of partition 0, earliest of partition 1.
    check(
        1,
        "
        ffffffff                 # replica_id -1
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition_index 0
            ffffffffffffffff     #     timestamp -1 (LATEST)
            00000001             #     partition_index 1
            fffffffffffffffe     #     timestamp -2 (EARLIEST)
        ",
        &ListOffsetsRequest {
            replica_id: -1,
            topics: vec![ListOffsetsTopic {
                name: "orders".into(),
                partitions: vec![
                    ListOffsetsPartition { partition_index: 0, timestamp: -1, ..Default::default() },
                    ListOffsetsPartition { partition_index: 1, timestamp: -2, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v10 (flexible): read-committed, leader epochs, three kinds of timestamp, and a timeout.
    check(
        10,
        "
        ffffffff                 # replica_id -1
        01                       # isolation_level 1 (READ_COMMITTED)
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   name \"orders\"
          04                     #   partitions: COMPACT_ARRAY 3
            00000000             #     partition_index 0
            00000005             #     current_leader_epoch 5
            fffffffffffffffd     #     timestamp -3 (MAX_TIMESTAMP)
            00                   #     TAG_BUFFER
            00000001             #     partition_index 1
            00000005             #     current_leader_epoch 5
            0000018bcfe56800     #     timestamp 1700000000000
            00                   #     TAG_BUFFER
            00000002             #     partition_index 2
            ffffffff             #     current_leader_epoch -1
            fffffffffffffffc     #     timestamp -4 (EARLIEST_LOCAL)
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00007530                 # timeout_ms 30000
        00                       # TAG_BUFFER
        ",
        &ListOffsetsRequest {
            replica_id: -1,
            isolation_level: 1,
            topics: vec![ListOffsetsTopic {
                name: "orders".into(),
                partitions: vec![
                    ListOffsetsPartition {
                        partition_index: 0,
                        current_leader_epoch: 5,
                        timestamp: -3,
                        ..Default::default()
                    },
                    ListOffsetsPartition {
                        partition_index: 1,
                        current_leader_epoch: 5,
                        timestamp: 1_700_000_000_000,
                        ..Default::default()
                    },
                    ListOffsetsPartition {
                        partition_index: 2,
                        current_leader_epoch: -1,
                        timestamp: -4,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            timeout_ms: 30000,
            ..Default::default()
        },
    );

    // Response v1: no throttle time, no leader epoch.
    check(
        1,
        "
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition_index 0
            0000                 #     error_code 0
            ffffffffffffffff     #     timestamp -1
            00000000000004d2     #     offset 1234
            00000001             #     partition_index 1
            0006                 #     error_code 6 (NOT_LEADER_OR_FOLLOWER)
            ffffffffffffffff     #     timestamp -1
            ffffffffffffffff     #     offset -1
        ",
        &ListOffsetsResponse {
            topics: vec![ListOffsetsTopicResponse {
                name: "orders".into(),
                partitions: vec![
                    ListOffsetsPartitionResponse {
                        partition_index: 0,
                        error_code: 0,
                        timestamp: -1,
                        offset: 1234,
                        ..Default::default()
                    },
                    ListOffsetsPartitionResponse {
                        partition_index: 1,
                        error_code: 6,
                        timestamp: -1,
                        offset: -1,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v5 (non-flexible): throttle time and leader epoch.
    check(
        5,
        "
        00000014                 # throttle_time_ms 20
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000001               #   partitions: ARRAY 1
            00000000             #     partition_index 0
            0000                 #     error_code 0
            0000018bcfe56800     #     timestamp 1700000000000
            00000000000003e8     #     offset 1000
            00000005             #     leader_epoch 5
        ",
        &ListOffsetsResponse {
            throttle_time_ms: 20,
            topics: vec![ListOffsetsTopicResponse {
                name: "orders".into(),
                partitions: vec![ListOffsetsPartitionResponse {
                    partition_index: 0,
                    error_code: 0,
                    timestamp: 1_700_000_000_000,
                    offset: 1000,
                    leader_epoch: 5,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v10 (flexible).
    check(
        10,
        "
        00000000                 # throttle_time_ms 0
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   name \"orders\"
          03                     #   partitions: COMPACT_ARRAY 2
            00000000             #     partition_index 0
            0000                 #     error_code 0
            ffffffffffffffff     #     timestamp -1
            00000000000004d2     #     offset 1234
            00000005             #     leader_epoch 5
            00                   #     TAG_BUFFER
            00000001             #     partition_index 1
            004a                 #     error_code 74 (FENCED_LEADER_EPOCH)
            ffffffffffffffff     #     timestamp -1
            ffffffffffffffff     #     offset -1
            ffffffff             #     leader_epoch -1
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &ListOffsetsResponse {
            throttle_time_ms: 0,
            topics: vec![ListOffsetsTopicResponse {
                name: "orders".into(),
                partitions: vec![
                    ListOffsetsPartitionResponse {
                        partition_index: 0,
                        error_code: 0,
                        timestamp: -1,
                        offset: 1234,
                        leader_epoch: 5,
                        ..Default::default()
                    },
                    ListOffsetsPartitionResponse {
                        partition_index: 1,
                        error_code: 74,
                        timestamp: -1,
                        offset: -1,
                        leader_epoch: -1,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// OffsetForLeaderEpoch (key 23): versions 2-4, flexible 4+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn offset_for_leader_epoch() {
    use flotilla_protocol::messages::offset_for_leader_epoch_request::{
        OffsetForLeaderEpochRequest, OffsetForLeaderPartition, OffsetForLeaderTopic,
    };
    use flotilla_protocol::messages::offset_for_leader_epoch_response::{
        EpochEndOffset, OffsetForLeaderEpochResponse, OffsetForLeaderTopicResult,
    };

    // Request v2: no replica id.
    check(
        2,
        "
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   topic \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition 0
            00000005             #     current_leader_epoch 5
            00000004             #     leader_epoch 4
            00000001             #     partition 1
            00000005             #     current_leader_epoch 5
            00000003             #     leader_epoch 3
        ",
        &OffsetForLeaderEpochRequest {
            topics: vec![OffsetForLeaderTopic {
                topic: "orders".into(),
                partitions: vec![
                    OffsetForLeaderPartition {
                        partition: 0,
                        current_leader_epoch: 5,
                        leader_epoch: 4,
                        ..Default::default()
                    },
                    OffsetForLeaderPartition {
                        partition: 1,
                        current_leader_epoch: 5,
                        leader_epoch: 3,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v3 (non-flexible): from follower broker 1.
    check(
        3,
        "
        00000001                 # replica_id 1
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   topic \"orders\"
          00000001               #   partitions: ARRAY 1
            00000002             #     partition 2
            00000005             #     current_leader_epoch 5
            00000004             #     leader_epoch 4
        ",
        &OffsetForLeaderEpochRequest {
            replica_id: 1,
            topics: vec![OffsetForLeaderTopic {
                topic: "orders".into(),
                partitions: vec![OffsetForLeaderPartition {
                    partition: 2,
                    current_leader_epoch: 5,
                    leader_epoch: 4,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v4 (flexible): from a consumer.
    check(
        4,
        "
        ffffffff                 # replica_id -1 (consumer)
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   topic \"orders\"
          02                     #   partitions: COMPACT_ARRAY 1
            00000002             #     partition 2
            00000005             #     current_leader_epoch 5
            00000004             #     leader_epoch 4
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &OffsetForLeaderEpochRequest {
            replica_id: -1,
            topics: vec![OffsetForLeaderTopic {
                topic: "orders".into(),
                partitions: vec![OffsetForLeaderPartition {
                    partition: 2,
                    current_leader_epoch: 5,
                    leader_epoch: 4,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v2.
    check(
        2,
        "
        00000000                 # throttle_time_ms 0
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   topic \"orders\"
          00000002               #   partitions: ARRAY 2
            0000                 #     error_code 0
            00000000             #     partition 0
            00000004             #     leader_epoch 4
            00000000000001f4     #     end_offset 500
            004a                 #     error_code 74 (FENCED_LEADER_EPOCH)
            00000001             #     partition 1
            ffffffff             #     leader_epoch -1
            ffffffffffffffff     #     end_offset -1
        ",
        &OffsetForLeaderEpochResponse {
            throttle_time_ms: 0,
            topics: vec![OffsetForLeaderTopicResult {
                topic: "orders".into(),
                partitions: vec![
                    EpochEndOffset {
                        error_code: 0,
                        partition: 0,
                        leader_epoch: 4,
                        end_offset: 500,
                        ..Default::default()
                    },
                    EpochEndOffset {
                        error_code: 74,
                        partition: 1,
                        leader_epoch: -1,
                        end_offset: -1,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v4 (flexible).
    check(
        4,
        "
        00000000                 # throttle_time_ms 0
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   topic \"orders\"
          03                     #   partitions: COMPACT_ARRAY 2
            0000                 #     error_code 0
            00000002             #     partition 2
            00000004             #     leader_epoch 4
            00000000000001f4     #     end_offset 500
            00                   #     TAG_BUFFER
            004b                 #     error_code 75 (UNKNOWN_LEADER_EPOCH)
            00000001             #     partition 1
            ffffffff             #     leader_epoch -1
            ffffffffffffffff     #     end_offset -1
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &OffsetForLeaderEpochResponse {
            throttle_time_ms: 0,
            topics: vec![OffsetForLeaderTopicResult {
                topic: "orders".into(),
                partitions: vec![
                    EpochEndOffset {
                        error_code: 0,
                        partition: 2,
                        leader_epoch: 4,
                        end_offset: 500,
                        ..Default::default()
                    },
                    EpochEndOffset {
                        error_code: 75,
                        partition: 1,
                        leader_epoch: -1,
                        end_offset: -1,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// CreateTopics (key 19): versions 2-7, flexible 5+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn create_topics() {
    use flotilla_protocol::messages::create_topics_request::{
        CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig, CreateTopicsRequest,
    };
    use flotilla_protocol::messages::create_topics_response::{
        CreatableTopicConfigs, CreatableTopicResult, CreateTopicsResponse,
    };

    // Request v2: three partitions, replication factor 2, one config set and one config null.
    check(
        2,
        "
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000003               #   num_partitions 3
          0002                   #   replication_factor 2
          00000000               #   assignments: ARRAY 0
          00000002               #   configs: ARRAY 2
            000e 636c65616e75702e706f6c696379  # name \"cleanup.policy\"
            0007 636f6d70616374  #     value \"compact\"
            000c 726574656e74696f6e2e6d73      # name \"retention.ms\"
            ffff                 #     value: null
        00007530                 # timeout_ms 30000
        00                       # validate_only false
        ",
        &CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: "orders".into(),
                num_partitions: 3,
                replication_factor: 2,
                assignments: vec![],
                configs: vec![
                    CreatableTopicConfig {
                        name: "cleanup.policy".into(),
                        value: Some("compact".into()),
                        ..Default::default()
                    },
                    CreatableTopicConfig { name: "retention.ms".into(), value: None, ..Default::default() },
                ],
                ..Default::default()
            }],
            timeout_ms: 30000,
            validate_only: false,
            ..Default::default()
        },
    );

    // Request v7 (flexible): one topic by count, one by explicit replica assignment; validate only.
    check(
        7,
        "
        03                       # topics: COMPACT_ARRAY 2
          07 6f7264657273        #   name \"orders\"
          00000003               #   num_partitions 3
          0002                   #   replication_factor 2
          01                     #   assignments: COMPACT_ARRAY 0
          02                     #   configs: COMPACT_ARRAY 1
            0f 636c65616e75702e706f6c696379  # name \"cleanup.policy\"
            08 636f6d70616374    #     value \"compact\"
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
          09 7061796d656e7473    #   name \"payments\"
          ffffffff               #   num_partitions -1
          ffff                   #   replication_factor -1
          03                     #   assignments: COMPACT_ARRAY 2
            00000000             #     partition_index 0
            03 00000001 00000002 #     broker_ids [1, 2]
            00                   #     TAG_BUFFER
            00000001             #     partition_index 1
            03 00000002 00000003 #     broker_ids [2, 3]
            00                   #     TAG_BUFFER
          01                     #   configs: COMPACT_ARRAY 0
          00                     #   TAG_BUFFER
        0000ea60                 # timeout_ms 60000
        01                       # validate_only true
        00                       # TAG_BUFFER
        ",
        &CreateTopicsRequest {
            topics: vec![
                CreatableTopic {
                    name: "orders".into(),
                    num_partitions: 3,
                    replication_factor: 2,
                    assignments: vec![],
                    configs: vec![CreatableTopicConfig {
                        name: "cleanup.policy".into(),
                        value: Some("compact".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                CreatableTopic {
                    name: "payments".into(),
                    num_partitions: -1,
                    replication_factor: -1,
                    assignments: vec![
                        CreatableReplicaAssignment { partition_index: 0, broker_ids: vec![1, 2], ..Default::default() },
                        CreatableReplicaAssignment { partition_index: 1, broker_ids: vec![2, 3], ..Default::default() },
                    ],
                    configs: vec![],
                    ..Default::default()
                },
            ],
            timeout_ms: 60000,
            validate_only: true,
            ..Default::default()
        },
    );

    // Response v2: one created, one TOPIC_ALREADY_EXISTS with a message.
    check(
        2,
        "
        00000000                 # throttle_time_ms 0
        00000002                 # topics: ARRAY 2
          0006 6f7264657273      #   name \"orders\"
          0000                   #   error_code 0
          ffff                   #   error_message: null
          0008 7061796d656e7473  #   name \"payments\"
          0024                   #   error_code 36 (TOPIC_ALREADY_EXISTS)
          0020 546f70696320277061796d656e74732720616c7265616479206578697374732e  # \"Topic 'payments' already exists.\"
        ",
        &CreateTopicsResponse {
            throttle_time_ms: 0,
            topics: vec![
                CreatableTopicResult {
                    name: "orders".into(),
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                },
                CreatableTopicResult {
                    name: "payments".into(),
                    error_code: 36,
                    error_message: Some("Topic 'payments' already exists.".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Response v5 (first flexible version): created, but the configs could not be described: null configs
    // and topic_config_error_code in tag 0.
    check(
        5,
        "
        00000000                 # throttle_time_ms 0
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   name \"orders\"
          0000                   #   error_code 0
          00                     #   error_message: null
          00000003               #   num_partitions 3
          0002                   #   replication_factor 2
          00                     #   configs: null
          01                     #   TAG_BUFFER: 1 field
            00                   #     tag 0: topic_config_error_code
            02                   #     size 2
              001d               #       29 (TOPIC_AUTHORIZATION_FAILED)
        00                       # TAG_BUFFER
        ",
        &CreateTopicsResponse {
            throttle_time_ms: 0,
            topics: vec![CreatableTopicResult {
                name: "orders".into(),
                error_code: 0,
                error_message: None,
                topic_config_error_code: 29,
                num_partitions: 3,
                replication_factor: 2,
                configs: None,
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v7 (flexible, topic ids): the created topic's configs, and a failure.
    check(
        7,
        "
        00000000                 # throttle_time_ms 0
        03                       # topics: COMPACT_ARRAY 2
          07 6f7264657273        #   name \"orders\"
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
          0000                   #   error_code 0
          00                     #   error_message: null
          00000003               #   num_partitions 3
          0002                   #   replication_factor 2
          03                     #   configs: COMPACT_ARRAY 2
            0f 636c65616e75702e706f6c696379  # name \"cleanup.policy\"
            08 636f6d70616374    #     value \"compact\"
            00                   #     read_only false
            01                   #     config_source 1 (TOPIC_CONFIG)
            00                   #     is_sensitive false
            00                   #     TAG_BUFFER
            0d 726574656e74696f6e2e6d73      # name \"retention.ms\"
            0a 363034383030303030  #   value \"604800000\"
            00                   #     read_only false
            05                   #     config_source 5 (DEFAULT_CONFIG)
            00                   #     is_sensitive false
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
          09 7061796d656e7473    #   name \"payments\"
          00000000000000000000000000000000  # topic_id: nil
          0024                   #   error_code 36 (TOPIC_ALREADY_EXISTS)
          21 546f70696320277061796d656e74732720616c7265616479206578697374732e  # \"Topic 'payments' already exists.\"
          ffffffff               #   num_partitions -1
          ffff                   #   replication_factor -1
          00                     #   configs: null
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &CreateTopicsResponse {
            throttle_time_ms: 0,
            topics: vec![
                CreatableTopicResult {
                    name: "orders".into(),
                    topic_id: ORDERS_ID,
                    error_code: 0,
                    error_message: None,
                    num_partitions: 3,
                    replication_factor: 2,
                    configs: Some(vec![
                        CreatableTopicConfigs {
                            name: "cleanup.policy".into(),
                            value: Some("compact".into()),
                            read_only: false,
                            config_source: 1,
                            is_sensitive: false,
                            ..Default::default()
                        },
                        CreatableTopicConfigs {
                            name: "retention.ms".into(),
                            value: Some("604800000".into()),
                            read_only: false,
                            config_source: 5,
                            is_sensitive: false,
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                },
                CreatableTopicResult {
                    name: "payments".into(),
                    topic_id: Uuid::nil(),
                    error_code: 36,
                    error_message: Some("Topic 'payments' already exists.".into()),
                    num_partitions: -1,
                    replication_factor: -1,
                    configs: None,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// DeleteTopics (key 20): versions 1-6, flexible 4+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn delete_topics() {
    use flotilla_protocol::messages::delete_topics_request::{DeleteTopicState, DeleteTopicsRequest};
    use flotilla_protocol::messages::delete_topics_response::{DeletableTopicResult, DeleteTopicsResponse};

    // Request v1: topics by name.
    check(
        1,
        "
        00000002                 # topic_names: ARRAY 2
          0006 6f7264657273      #   \"orders\"
          0008 7061796d656e7473  #   \"payments\"
        00007530                 # timeout_ms 30000
        ",
        &DeleteTopicsRequest {
            topic_names: vec!["orders".into(), "payments".into()],
            timeout_ms: 30000,
            ..Default::default()
        },
    );

    // Request v6 (flexible): one topic by name (nil id), one by id (null name).
    check(
        6,
        "
        03                                   # topics: COMPACT_ARRAY 2
          07 6f7264657273                    #   name \"orders\"
          00000000000000000000000000000000   #   topic_id: nil
          00                                 #   TAG_BUFFER
          00                                 #   name: null
          a1b2c3d4e5f60718293a4b5c6d7e8f90   #   topic_id (payments)
          00                                 #   TAG_BUFFER
        00007530                             # timeout_ms 30000
        00                                   # TAG_BUFFER
        ",
        &DeleteTopicsRequest {
            topics: vec![
                DeleteTopicState { name: Some("orders".into()), topic_id: Uuid::nil(), ..Default::default() },
                DeleteTopicState { name: None, topic_id: PAYMENTS_ID, ..Default::default() },
            ],
            timeout_ms: 30000,
            ..Default::default()
        },
    );

    // Response v1.
    check(
        1,
        "
        00000000                 # throttle_time_ms 0
        00000002                 # responses: ARRAY 2
          0006 6f7264657273      #   name \"orders\"
          0000                   #   error_code 0
          0008 7061796d656e7473  #   name \"payments\"
          0003                   #   error_code 3 (UNKNOWN_TOPIC_OR_PARTITION)
        ",
        &DeleteTopicsResponse {
            throttle_time_ms: 0,
            responses: vec![
                DeletableTopicResult { name: Some("orders".into()), error_code: 0, ..Default::default() },
                DeletableTopicResult { name: Some("payments".into()), error_code: 3, ..Default::default() },
            ],
            ..Default::default()
        },
    );

    // Response v4 (first flexible version): no topic id, no error message.
    check(
        4,
        "
        00000032                 # throttle_time_ms 50
        03                       # responses: COMPACT_ARRAY 2
          07 6f7264657273        #   name \"orders\"
          0000                   #   error_code 0
          00                     #   TAG_BUFFER
          09 7061796d656e7473    #   name \"payments\"
          0003                   #   error_code 3 (UNKNOWN_TOPIC_OR_PARTITION)
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &DeleteTopicsResponse {
            throttle_time_ms: 50,
            responses: vec![
                DeletableTopicResult { name: Some("orders".into()), error_code: 0, ..Default::default() },
                DeletableTopicResult { name: Some("payments".into()), error_code: 3, ..Default::default() },
            ],
            ..Default::default()
        },
    );

    // Response v6: a deleted topic, and an unknown topic id with null name and a message.
    check(
        6,
        "
        00000000                             # throttle_time_ms 0
        03                                   # responses: COMPACT_ARRAY 2
          07 6f7264657273                    #   name \"orders\"
          0f1e2d3c4b5a69788796a5b4c3d2e1f0   #   topic_id
          0000                               #   error_code 0
          00                                 #   error_message: null
          00                                 #   TAG_BUFFER
          00                                 #   name: null
          a1b2c3d4e5f60718293a4b5c6d7e8f90   #   topic_id
          0064                               #   error_code 100 (UNKNOWN_TOPIC_ID)
          0e 556e6b6e6f776e20746f706963      #   error_message \"Unknown topic\"
          00                                 #   TAG_BUFFER
        00                                   # TAG_BUFFER
        ",
        &DeleteTopicsResponse {
            throttle_time_ms: 0,
            responses: vec![
                DeletableTopicResult {
                    name: Some("orders".into()),
                    topic_id: ORDERS_ID,
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                },
                DeletableTopicResult {
                    name: None,
                    topic_id: PAYMENTS_ID,
                    error_code: 100,
                    error_message: Some("Unknown topic".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// CreatePartitions (key 37): versions 0-3, flexible 2+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn create_partitions() {
    use flotilla_protocol::messages::create_partitions_request::{
        CreatePartitionsAssignment, CreatePartitionsRequest, CreatePartitionsTopic,
    };
    use flotilla_protocol::messages::create_partitions_response::{
        CreatePartitionsResponse, CreatePartitionsTopicResult,
    };

    let expected_request = |validate_only| CreatePartitionsRequest {
        topics: vec![
            CreatePartitionsTopic { name: "orders".into(), count: 6, assignments: None, ..Default::default() },
            CreatePartitionsTopic {
                name: "payments".into(),
                count: 4,
                assignments: Some(vec![
                    CreatePartitionsAssignment { broker_ids: vec![1, 2], ..Default::default() },
                    CreatePartitionsAssignment { broker_ids: vec![2, 3], ..Default::default() },
                ]),
                ..Default::default()
            },
        ],
        timeout_ms: 30000,
        validate_only,
        ..Default::default()
    };

    // Request v0: grow "orders" to 6 (broker-chosen placement), "payments" to 4 with explicit replicas.
    check(
        0,
        "
        00000002                 # topics: ARRAY 2
          0006 6f7264657273      #   name \"orders\"
          00000006               #   count 6
          ffffffff               #   assignments: null
          0008 7061796d656e7473  #   name \"payments\"
          00000004               #   count 4
          00000002               #   assignments: ARRAY 2
            00000002 00000001 00000002  # broker_ids [1, 2]
            00000002 00000002 00000003  # broker_ids [2, 3]
        00007530                 # timeout_ms 30000
        00                       # validate_only false
        ",
        &expected_request(false),
    );

    // Request v3 (flexible).
    check(
        3,
        "
        03                       # topics: COMPACT_ARRAY 2
          07 6f7264657273        #   name \"orders\"
          00000006               #   count 6
          00                     #   assignments: null
          00                     #   TAG_BUFFER
          09 7061796d656e7473    #   name \"payments\"
          00000004               #   count 4
          03                     #   assignments: COMPACT_ARRAY 2
            03 00000001 00000002 #     broker_ids [1, 2]
            00                   #     TAG_BUFFER
            03 00000002 00000003 #     broker_ids [2, 3]
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00007530                 # timeout_ms 30000
        01                       # validate_only true
        00                       # TAG_BUFFER
        ",
        &expected_request(true),
    );

    // Response v0.
    check(
        0,
        "
        00000000                 # throttle_time_ms 0
        00000002                 # results: ARRAY 2
          0006 6f7264657273      #   name \"orders\"
          0000                   #   error_code 0
          ffff                   #   error_message: null
          0008 7061796d656e7473  #   name \"payments\"
          0025                   #   error_code 37 (INVALID_PARTITIONS)
          0017 496e76616c696420706172746974696f6e20636f756e74  # \"Invalid partition count\"
        ",
        &CreatePartitionsResponse {
            throttle_time_ms: 0,
            results: vec![
                CreatePartitionsTopicResult {
                    name: "orders".into(),
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                },
                CreatePartitionsTopicResult {
                    name: "payments".into(),
                    error_code: 37,
                    error_message: Some("Invalid partition count".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Response v3 (flexible).
    check(
        3,
        "
        00000000                 # throttle_time_ms 0
        03                       # results: COMPACT_ARRAY 2
          07 6f7264657273        #   name \"orders\"
          0000                   #   error_code 0
          00                     #   error_message: null
          00                     #   TAG_BUFFER
          09 7061796d656e7473    #   name \"payments\"
          0025                   #   error_code 37 (INVALID_PARTITIONS)
          18 496e76616c696420706172746974696f6e20636f756e74  # \"Invalid partition count\"
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &CreatePartitionsResponse {
            throttle_time_ms: 0,
            results: vec![
                CreatePartitionsTopicResult {
                    name: "orders".into(),
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                },
                CreatePartitionsTopicResult {
                    name: "payments".into(),
                    error_code: 37,
                    error_message: Some("Invalid partition count".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// DeleteRecords (key 21): versions 0-2, flexible 2+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn delete_records() {
    use flotilla_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsRequest, DeleteRecordsTopic,
    };
    use flotilla_protocol::messages::delete_records_response::{
        DeleteRecordsPartitionResult, DeleteRecordsResponse, DeleteRecordsTopicResult,
    };

    let request = DeleteRecordsRequest {
        topics: vec![DeleteRecordsTopic {
            name: "orders".into(),
            partitions: vec![
                DeleteRecordsPartition { partition_index: 0, offset: 100, ..Default::default() },
                DeleteRecordsPartition { partition_index: 1, offset: -1, ..Default::default() },
            ],
            ..Default::default()
        }],
        timeout_ms: 30000,
        ..Default::default()
    };
    let response = DeleteRecordsResponse {
        throttle_time_ms: 0,
        topics: vec![DeleteRecordsTopicResult {
            name: "orders".into(),
            partitions: vec![
                DeleteRecordsPartitionResult {
                    partition_index: 0,
                    low_watermark: 100,
                    error_code: 0,
                    ..Default::default()
                },
                DeleteRecordsPartitionResult {
                    partition_index: 1,
                    low_watermark: -1,
                    error_code: 1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    };

    // Request v0: delete before offset 100 in partition 0 and up to the high watermark (-1) in partition 1.
    check(
        0,
        "
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition_index 0
            0000000000000064     #     offset 100
            00000001             #     partition_index 1
            ffffffffffffffff     #     offset -1 (high watermark)
        00007530                 # timeout_ms 30000
        ",
        &request,
    );

    // Request v2 (flexible).
    check(
        2,
        "
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   name \"orders\"
          03                     #   partitions: COMPACT_ARRAY 2
            00000000             #     partition_index 0
            0000000000000064     #     offset 100
            00                   #     TAG_BUFFER
            00000001             #     partition_index 1
            ffffffffffffffff     #     offset -1
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00007530                 # timeout_ms 30000
        00                       # TAG_BUFFER
        ",
        &request,
    );

    // Response v0.
    check(
        0,
        "
        00000000                 # throttle_time_ms 0
        00000001                 # topics: ARRAY 1
          0006 6f7264657273      #   name \"orders\"
          00000002               #   partitions: ARRAY 2
            00000000             #     partition_index 0
            0000000000000064     #     low_watermark 100
            0000                 #     error_code 0
            00000001             #     partition_index 1
            ffffffffffffffff     #     low_watermark -1
            0001                 #     error_code 1 (OFFSET_OUT_OF_RANGE)
        ",
        &response,
    );

    // Response v2 (flexible).
    check(
        2,
        "
        00000000                 # throttle_time_ms 0
        02                       # topics: COMPACT_ARRAY 1
          07 6f7264657273        #   name \"orders\"
          03                     #   partitions: COMPACT_ARRAY 2
            00000000             #     partition_index 0
            0000000000000064     #     low_watermark 100
            0000                 #     error_code 0
            00                   #     TAG_BUFFER
            00000001             #     partition_index 1
            ffffffffffffffff     #     low_watermark -1
            0001                 #     error_code 1 (OFFSET_OUT_OF_RANGE)
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &response,
    );
}

// ---------------------------------------------------------------------------------------------------------
// DescribeConfigs (key 32): versions 1-4, flexible 4+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn describe_configs() {
    use flotilla_protocol::messages::describe_configs_request::{DescribeConfigsRequest, DescribeConfigsResource};
    use flotilla_protocol::messages::describe_configs_response::{
        DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult, DescribeConfigsSynonym,
    };

    let resources = vec![
        DescribeConfigsResource {
            resource_type: 2,
            resource_name: "orders".into(),
            configuration_keys: Some(vec!["retention.ms".into()]),
            ..Default::default()
        },
        DescribeConfigsResource {
            resource_type: 4,
            resource_name: "1".into(),
            configuration_keys: None,
            ..Default::default()
        },
    ];

    // Request v1: one key of topic "orders", all keys of broker 1; with synonyms.
    check(
        1,
        "
        00000002                 # resources: ARRAY 2
          02                     #   resource_type 2 (TOPIC)
          0006 6f7264657273      #   resource_name \"orders\"
          00000001               #   configuration_keys: ARRAY 1
            000c 726574656e74696f6e2e6d73  # \"retention.ms\"
          04                     #   resource_type 4 (BROKER)
          0001 31                #   resource_name \"1\"
          ffffffff               #   configuration_keys: null (all)
        01                       # include_synonyms true
        ",
        &DescribeConfigsRequest { resources: resources.clone(), include_synonyms: true, ..Default::default() },
    );

    // Request v4 (flexible): also documentation.
    check(
        4,
        "
        03                       # resources: COMPACT_ARRAY 2
          02                     #   resource_type 2 (TOPIC)
          07 6f7264657273        #   resource_name \"orders\"
          02                     #   configuration_keys: COMPACT_ARRAY 1
            0d 726574656e74696f6e2e6d73    # \"retention.ms\"
          00                     #   TAG_BUFFER
          04                     #   resource_type 4 (BROKER)
          02 31                  #   resource_name \"1\"
          00                     #   configuration_keys: null
          00                     #   TAG_BUFFER
        01                       # include_synonyms true
        01                       # include_documentation true
        00                       # TAG_BUFFER
        ",
        &DescribeConfigsRequest {
            resources,
            include_synonyms: true,
            include_documentation: true,
            ..Default::default()
        },
    );

    // Response v1: a topic override with two synonyms (one with a null value).
    check(
        1,
        "
        00000000                 # throttle_time_ms 0
        00000001                 # results: ARRAY 1
          0000                   #   error_code 0
          ffff                   #   error_message: null
          02                     #   resource_type 2 (TOPIC)
          0006 6f7264657273      #   resource_name \"orders\"
          00000001               #   configs: ARRAY 1
            000c 726574656e74696f6e2e6d73  # name \"retention.ms\"
            0008 3836343030303030  #   value \"86400000\"
            00                   #     read_only false
            01                   #     config_source 1 (TOPIC_CONFIG)
            00                   #     is_sensitive false
            00000002             #     synonyms: ARRAY 2
              000c 726574656e74696f6e2e6d73        # name \"retention.ms\"
              0008 3836343030303030                # value \"86400000\"
              01                                   # source 1 (TOPIC_CONFIG)
              0010 6c6f672e726574656e74696f6e2e6d73  # name \"log.retention.ms\"
              ffff                                 # value: null
              04                                   # source 4 (STATIC_BROKER_CONFIG)
        ",
        &DescribeConfigsResponse {
            throttle_time_ms: 0,
            results: vec![DescribeConfigsResult {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "orders".into(),
                configs: vec![DescribeConfigsResourceResult {
                    name: "retention.ms".into(),
                    value: Some("86400000".into()),
                    read_only: false,
                    config_source: 1,
                    is_sensitive: false,
                    synonyms: vec![
                        DescribeConfigsSynonym {
                            name: "retention.ms".into(),
                            value: Some("86400000".into()),
                            source: 1,
                            ..Default::default()
                        },
                        DescribeConfigsSynonym {
                            name: "log.retention.ms".into(),
                            value: None,
                            source: 4,
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

    // Response v3 (non-flexible): config type and documentation; a second resource failed.
    check(
        3,
        "
        00000000                 # throttle_time_ms 0
        00000002                 # results: ARRAY 2
          0000                   #   error_code 0
          ffff                   #   error_message: null
          02                     #   resource_type 2 (TOPIC)
          0006 6f7264657273      #   resource_name \"orders\"
          00000001               #   configs: ARRAY 1
            000c 726574656e74696f6e2e6d73  # name \"retention.ms\"
            0008 3836343030303030  #   value \"86400000\"
            00                   #     read_only false
            01                   #     config_source 1 (TOPIC_CONFIG)
            00                   #     is_sensitive false
            00000000             #     synonyms: ARRAY 0
            05                   #     config_type 5 (LONG)
            0041 546865206e756d626572206f66206d696c6c697365636f6e647320746f206b6565702061206c6f672066696c65206265666f72652064656c6574696e672069742e
                                 #     documentation \"The number of milliseconds to keep a log file before deleting it.\"
          0003                   #   error_code 3 (UNKNOWN_TOPIC_OR_PARTITION)
          000d 556e6b6e6f776e20746f706963  # error_message \"Unknown topic\"
          02                     #   resource_type 2 (TOPIC)
          0008 7061796d656e7473  #   resource_name \"payments\"
          00000000               #   configs: ARRAY 0
        ",
        &DescribeConfigsResponse {
            throttle_time_ms: 0,
            results: vec![
                DescribeConfigsResult {
                    error_code: 0,
                    error_message: None,
                    resource_type: 2,
                    resource_name: "orders".into(),
                    configs: vec![DescribeConfigsResourceResult {
                        name: "retention.ms".into(),
                        value: Some("86400000".into()),
                        read_only: false,
                        config_source: 1,
                        is_sensitive: false,
                        synonyms: vec![],
                        config_type: 5,
                        documentation: Some(
                            "The number of milliseconds to keep a log file before deleting it.".into(),
                        ),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                DescribeConfigsResult {
                    error_code: 3,
                    error_message: Some("Unknown topic".into()),
                    resource_type: 2,
                    resource_name: "payments".into(),
                    configs: vec![],
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );

    // Response v4 (flexible): two configs, null documentation.
    check(
        4,
        "
        00000000                 # throttle_time_ms 0
        02                       # results: COMPACT_ARRAY 1
          0000                   #   error_code 0
          00                     #   error_message: null
          02                     #   resource_type 2 (TOPIC)
          07 6f7264657273        #   resource_name \"orders\"
          03                     #   configs: COMPACT_ARRAY 2
            0d 726574656e74696f6e2e6d73  #   name \"retention.ms\"
            09 3836343030303030  #     value \"86400000\"
            00                   #     read_only false
            01                   #     config_source 1 (TOPIC_CONFIG)
            00                   #     is_sensitive false
            02                   #     synonyms: COMPACT_ARRAY 1
              0d 726574656e74696f6e2e6d73  # name \"retention.ms\"
              09 3836343030303030  #     value \"86400000\"
              01                 #       source 1 (TOPIC_CONFIG)
              00                 #       TAG_BUFFER
            05                   #     config_type 5 (LONG)
            00                   #     documentation: null
            00                   #     TAG_BUFFER
            14 6d696e2e696e73796e632e7265706c69636173  # name \"min.insync.replicas\"
            02 32                #     value \"2\"
            00                   #     read_only false
            05                   #     config_source 5 (DEFAULT_CONFIG)
            00                   #     is_sensitive false
            01                   #     synonyms: COMPACT_ARRAY 0
            03                   #     config_type 3 (INT)
            00                   #     documentation: null
            00                   #     TAG_BUFFER
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &DescribeConfigsResponse {
            throttle_time_ms: 0,
            results: vec![DescribeConfigsResult {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "orders".into(),
                configs: vec![
                    DescribeConfigsResourceResult {
                        name: "retention.ms".into(),
                        value: Some("86400000".into()),
                        read_only: false,
                        config_source: 1,
                        is_sensitive: false,
                        synonyms: vec![DescribeConfigsSynonym {
                            name: "retention.ms".into(),
                            value: Some("86400000".into()),
                            source: 1,
                            ..Default::default()
                        }],
                        config_type: 5,
                        documentation: None,
                        ..Default::default()
                    },
                    DescribeConfigsResourceResult {
                        name: "min.insync.replicas".into(),
                        value: Some("2".into()),
                        read_only: false,
                        config_source: 5,
                        is_sensitive: false,
                        synonyms: vec![],
                        config_type: 3,
                        documentation: None,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// AlterConfigs (key 33): versions 0-2, flexible 2+
// ---------------------------------------------------------------------------------------------------------

#[test]
fn alter_configs() {
    use flotilla_protocol::messages::alter_configs_request::{
        AlterConfigsRequest, AlterConfigsResource, AlterableConfig,
    };
    use flotilla_protocol::messages::alter_configs_response::{AlterConfigsResourceResponse, AlterConfigsResponse};

    let request = AlterConfigsRequest {
        resources: vec![AlterConfigsResource {
            resource_type: 2,
            resource_name: "orders".into(),
            configs: vec![
                AlterableConfig { name: "retention.ms".into(), value: Some("604800000".into()), ..Default::default() },
                AlterableConfig { name: "cleanup.policy".into(), value: None, ..Default::default() },
            ],
            ..Default::default()
        }],
        validate_only: true,
        ..Default::default()
    };
    let response = AlterConfigsResponse {
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
                error_message: Some("Invalid value -5 for configuration retention.ms".into()),
                resource_type: 2,
                resource_name: "payments".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    };

    // Request v0: set retention.ms, clear cleanup.policy (null value); validate only.
    check(
        0,
        "
        00000001                 # resources: ARRAY 1
          02                     #   resource_type 2 (TOPIC)
          0006 6f7264657273      #   resource_name \"orders\"
          00000002               #   configs: ARRAY 2
            000c 726574656e74696f6e2e6d73      # name \"retention.ms\"
            0009 363034383030303030            # value \"604800000\"
            000e 636c65616e75702e706f6c696379  # name \"cleanup.policy\"
            ffff                               # value: null
        01                       # validate_only true
        ",
        &request,
    );

    // Request v2 (flexible).
    check(
        2,
        "
        02                       # resources: COMPACT_ARRAY 1
          02                     #   resource_type 2 (TOPIC)
          07 6f7264657273        #   resource_name \"orders\"
          03                     #   configs: COMPACT_ARRAY 2
            0d 726574656e74696f6e2e6d73        # name \"retention.ms\"
            0a 363034383030303030              # value \"604800000\"
            00                                 # TAG_BUFFER
            0f 636c65616e75702e706f6c696379    # name \"cleanup.policy\"
            00                                 # value: null
            00                                 # TAG_BUFFER
          00                     #   TAG_BUFFER
        01                       # validate_only true
        00                       # TAG_BUFFER
        ",
        &request,
    );

    // Response v0.
    check(
        0,
        "
        00000000                 # throttle_time_ms 0
        00000002                 # responses: ARRAY 2
          0000                   #   error_code 0
          ffff                   #   error_message: null
          02                     #   resource_type 2 (TOPIC)
          0006 6f7264657273      #   resource_name \"orders\"
          0028                   #   error_code 40 (INVALID_CONFIG)
          002f 496e76616c69642076616c7565202d3520666f7220636f6e66696775726174696f6e20726574656e74696f6e2e6d73
                                 #   error_message \"Invalid value -5 for configuration retention.ms\"
          02                     #   resource_type 2 (TOPIC)
          0008 7061796d656e7473  #   resource_name \"payments\"
        ",
        &response,
    );

    // Response v2 (flexible).
    check(
        2,
        "
        00000000                 # throttle_time_ms 0
        03                       # responses: COMPACT_ARRAY 2
          0000                   #   error_code 0
          00                     #   error_message: null
          02                     #   resource_type 2 (TOPIC)
          07 6f7264657273        #   resource_name \"orders\"
          00                     #   TAG_BUFFER
          0028                   #   error_code 40 (INVALID_CONFIG)
          30 496e76616c69642076616c7565202d3520666f7220636f6e66696775726174696f6e20726574656e74696f6e2e6d73
                                 #   error_message \"Invalid value -5 for configuration retention.ms\"
          02                     #   resource_type 2 (TOPIC)
          09 7061796d656e7473    #   resource_name \"payments\"
          00                     #   TAG_BUFFER
        00                       # TAG_BUFFER
        ",
        &response,
    );
}
