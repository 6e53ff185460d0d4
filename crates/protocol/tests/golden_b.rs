//! Golden-bytes tests, part B: group offsets and coordination, transactions, SASL, ACLs, SCRAM, the quorum and
//! topic-partition descriptions, and the request and response headers.
//!
//! Every byte string below was written by hand from the Kafka protocol guide's wire rules (INT16/INT32/INT64
//! big-endian; STRING = INT16 length + UTF-8, NULLABLE_STRING null = -1; ARRAY = INT32 count, null = -1;
//! BYTES = INT32 length; in flexible versions COMPACT_STRING / COMPACT_ARRAY / COMPACT_BYTES =
//! UNSIGNED_VARINT(n + 1) with 0 for null, and a TAG_BUFFER after every struct; UUID = 16 bytes; a nullable
//! struct = INT8 -1 for null, or 1 followed by the struct) and the field lists of Kafka 4.1, never by
//! running an encoder.
//!
//! Strings used throughout:
//!   "billing"  = 62696c6c696e67 (7)      "orders"   = 6f7264657273 (6)
//!   "member-1" = 6d656d6265722d31 (8)    "host-1"   = 686f73742d31 (6)
//!   "txn-1"    = 74786e2d31 (5)          "User:alice" = 557365723a616c696365 (10)

#![allow(clippy::unwrap_used)]

#[path = "support/golden.rs"]
mod golden;

use golden::check;

use flotilla_protocol::Uuid;

/// Topic id of "orders": bytes 0f1e2d3c 4b5a6978 8796a5b4 c3d2e1f0.
const ORDERS_ID: Uuid = Uuid::from_u128(0x0f1e2d3c_4b5a6978_8796a5b4_c3d2e1f0);
/// A KRaft log directory id: bytes 00112233 44556677 8899aabb ccddeeff.
const DIR_ID: Uuid = Uuid::from_u128(0x00112233_44556677_8899aabb_ccddeeff);

// ---------------------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------------------

#[test]
fn request_header() {
    use flotilla_protocol::messages::RequestHeader;

    // v0: no client id.
    check(
        0,
        "
        0007               # request_api_key 7 (ControlledShutdown)
        0000               # request_api_version 0
        00000001           # correlation_id 1
        ",
        &RequestHeader { request_api_key: 7, request_api_version: 0, correlation_id: 1, ..Default::default() },
    );

    // v1: OffsetCommit v7 with a client id.
    check(
        1,
        "
        0008               # request_api_key 8 (OffsetCommit)
        0007               # request_api_version 7
        0000002a           # correlation_id 42
        0008 636c69656e742d31  # client_id: NULLABLE_STRING \"client-1\"
        ",
        &RequestHeader {
            request_api_key: 8,
            request_api_version: 7,
            correlation_id: 42,
            client_id: Some("client-1".into()),
            ..Default::default()
        },
    );

    // v1: null client id.
    check(
        1,
        "
        0011               # request_api_key 17 (SaslHandshake)
        0001               # request_api_version 1
        7fffffff           # correlation_id 2147483647
        ffff               # client_id: null
        ",
        &RequestHeader {
            request_api_key: 17,
            request_api_version: 1,
            correlation_id: i32::MAX,
            client_id: None,
            ..Default::default()
        },
    );

    // v2: the client id keeps its INT16 length even though the header is flexible.
    check(
        2,
        "
        0008               # request_api_key 8 (OffsetCommit)
        0009               # request_api_version 9
        0000002b           # correlation_id 43
        0008 636c69656e742d31  # client_id: NULLABLE_STRING (not compact) \"client-1\"
        00                 # TAG_BUFFER: no tagged fields
        ",
        &RequestHeader {
            request_api_key: 8,
            request_api_version: 9,
            correlation_id: 43,
            client_id: Some("client-1".into()),
            ..Default::default()
        },
    );

    // v2: null client id and an unknown tagged field, kept as raw bytes.
    check(
        2,
        "
        0044               # request_api_key 68 (ConsumerGroupHeartbeat)
        0001               # request_api_version 1
        ffffffff           # correlation_id -1
        ffff               # client_id: null
        01                 # TAG_BUFFER: 1 field
          05               #   tag 5
          02               #   size 2
          abcd             #   data
        ",
        &RequestHeader {
            request_api_key: 68,
            request_api_version: 1,
            correlation_id: -1,
            client_id: None,
            unknown_tagged_fields: vec![flotilla_protocol::RawTaggedField { tag: 5, data: golden::hex("abcd") }],
        },
    );
}

#[test]
fn response_header() {
    use flotilla_protocol::messages::ResponseHeader;

    check(
        0,
        "
        0000002a           # correlation_id 42
        ",
        &ResponseHeader { correlation_id: 42, ..Default::default() },
    );
    check(
        1,
        "
        0000002b           # correlation_id 43
        00                 # TAG_BUFFER
        ",
        &ResponseHeader { correlation_id: 43, ..Default::default() },
    );
    check(
        1,
        "
        80000000           # correlation_id -2147483648
        01                 # TAG_BUFFER: 1 field
          00               #   tag 0
          00               #   size 0
        ",
        &ResponseHeader {
            correlation_id: i32::MIN,
            unknown_tagged_fields: vec![flotilla_protocol::RawTaggedField { tag: 0, data: golden::hex("") }],
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Group offsets and coordination
// ---------------------------------------------------------------------------------------------------------

#[test]
fn offset_commit() {
    use flotilla_protocol::messages::offset_commit_request::{
        OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use flotilla_protocol::messages::offset_commit_response::{
        OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic,
    };

    // Request v2 (lowest): retention time, no leader epoch, no instance id.
    check(
        2,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000005                   # generation_id_or_member_epoch 5
        0008 6d656d6265722d31      # member_id \"member-1\"
        ffffffffffffffff           # retention_time_ms -1
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            ffff                   #     committed_metadata null
            00000001               #     partition_index 1
            00000000000000c8       #     committed_offset 200
            0000                   #     committed_metadata \"\"
        ",
        &OffsetCommitRequest {
            group_id: "billing".into(),
            generation_id_or_member_epoch: 5,
            member_id: "member-1".into(),
            retention_time_ms: -1,
            topics: vec![OffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 100,
                        committed_metadata: None,
                        ..Default::default()
                    },
                    OffsetCommitRequestPartition {
                        partition_index: 1,
                        committed_offset: 200,
                        committed_metadata: Some("".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v7 (last non-flexible): group instance id and leader epoch, no retention time.
    check(
        7,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000005                   # generation_id_or_member_epoch 5
        0008 6d656d6265722d31      # member_id \"member-1\"
        0006 686f73742d31          # group_instance_id \"host-1\"
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000001                 #   partitions: 1
            00000002               #     partition_index 2
            000000000000012c       #     committed_offset 300
            00000007               #     committed_leader_epoch 7
            ffff                   #     committed_metadata null
        ",
        &OffsetCommitRequest {
            group_id: "billing".into(),
            generation_id_or_member_epoch: 5,
            member_id: "member-1".into(),
            group_instance_id: Some("host-1".into()),
            topics: vec![OffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![OffsetCommitRequestPartition {
                    partition_index: 2,
                    committed_offset: 300,
                    committed_leader_epoch: 7,
                    committed_metadata: None,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Request v9 (highest, flexible).
    check(
        9,
        "
        08 62696c6c696e67          # group_id \"billing\"
        0000000c                   # generation_id_or_member_epoch 12
        09 6d656d6265722d31        # member_id \"member-1\"
        00                         # group_instance_id null
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          04                       #   partitions: 3
            00000000               #     partition_index 0
            000000000000000a       #     committed_offset 10
            00000003               #     committed_leader_epoch 3
            01                     #     committed_metadata \"\"
            00                     #     TAG_BUFFER
            00000001               #     partition_index 1
            0000000000000014       #     committed_offset 20
            00000003               #     committed_leader_epoch 3
            00                     #     committed_metadata null
            00                     #     TAG_BUFFER
            00000002               #     partition_index 2
            000000000000001e       #     committed_offset 30
            ffffffff               #     committed_leader_epoch -1
            05 6d657461            #     committed_metadata \"meta\"
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &OffsetCommitRequest {
            group_id: "billing".into(),
            generation_id_or_member_epoch: 12,
            member_id: "member-1".into(),
            group_instance_id: None,
            topics: vec![OffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 10,
                        committed_leader_epoch: 3,
                        committed_metadata: Some("".into()),
                        ..Default::default()
                    },
                    OffsetCommitRequestPartition {
                        partition_index: 1,
                        committed_offset: 20,
                        committed_leader_epoch: 3,
                        committed_metadata: None,
                        ..Default::default()
                    },
                    OffsetCommitRequestPartition {
                        partition_index: 2,
                        committed_offset: 30,
                        committed_leader_epoch: -1,
                        committed_metadata: Some("meta".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v2 (lowest): no throttle time.
    check(
        2,
        "
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00000001               #     partition_index 1
            001b                   #     error_code 27 REBALANCE_IN_PROGRESS
        ",
        &OffsetCommitResponse {
            topics: vec![OffsetCommitResponseTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetCommitResponsePartition { partition_index: 0, error_code: 0, ..Default::default() },
                    OffsetCommitResponsePartition { partition_index: 1, error_code: 27, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v8 (first flexible).
    check(
        8,
        "
        00000064                   # throttle_time_ms 100
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00                     #     TAG_BUFFER
            00000001               #     partition_index 1
            0016                   #     error_code 22 ILLEGAL_GENERATION
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &OffsetCommitResponse {
            throttle_time_ms: 100,
            topics: vec![OffsetCommitResponseTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetCommitResponsePartition { partition_index: 0, error_code: 0, ..Default::default() },
                    OffsetCommitResponsePartition { partition_index: 1, error_code: 22, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v10 (highest): topic id replaces the name.
    check(
        10,
        "
        00000000                   # throttle_time_ms 0
        02                         # topics: 1
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
          02                       #   partitions: 1
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &OffsetCommitResponse {
            throttle_time_ms: 0,
            topics: vec![OffsetCommitResponseTopic {
                topic_id: ORDERS_ID,
                partitions: vec![OffsetCommitResponsePartition {
                    partition_index: 0,
                    error_code: 0,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

#[test]
fn offset_fetch() {
    use flotilla_protocol::messages::offset_fetch_request::{
        OffsetFetchRequest, OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
    };
    use flotilla_protocol::messages::offset_fetch_response::{
        OffsetFetchResponse, OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic, OffsetFetchResponseTopics,
    };

    // Request v1 (lowest): topics is not nullable yet.
    check(
        1,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000003                 #   partition_indexes: 3
            00000000               #     0
            00000001               #     1
            00000002               #     2
        ",
        &OffsetFetchRequest {
            group_id: "billing".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "orders".into(),
                partition_indexes: vec![0, 1, 2],
                ..Default::default()
            }]),
            ..Default::default()
        },
    );

    // Request v2: null topics (all of the group's offsets).
    check(
        2,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        ffffffff                   # topics: null
        ",
        &OffsetFetchRequest { group_id: "billing".into(), topics: None, ..Default::default() },
    );

    // Request v6 (first flexible).
    check(
        6,
        "
        08 62696c6c696e67          # group_id \"billing\"
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partition_indexes: 1
            00000000               #     0
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &OffsetFetchRequest {
            group_id: "billing".into(),
            topics: Some(vec![OffsetFetchRequestTopic {
                name: "orders".into(),
                partition_indexes: vec![0],
                ..Default::default()
            }]),
            ..Default::default()
        },
    );

    // Request v7: require_stable.
    check(
        7,
        "
        08 62696c6c696e67          # group_id \"billing\"
        00                         # topics: null
        01                         # require_stable true
        00                         # TAG_BUFFER
        ",
        &OffsetFetchRequest { group_id: "billing".into(), topics: None, require_stable: true, ..Default::default() },
    );

    // Request v8: batched groups.
    check(
        8,
        "
        02                         # groups: 1
          08 62696c6c696e67        #   group_id \"billing\"
          00                       #   topics: null
          00                       #   TAG_BUFFER
        01                         # require_stable true
        00                         # TAG_BUFFER
        ",
        &OffsetFetchRequest {
            groups: vec![OffsetFetchRequestGroup { group_id: "billing".into(), topics: None, ..Default::default() }],
            require_stable: true,
            ..Default::default()
        },
    );

    // Request v9 (highest): member id and epoch.
    check(
        9,
        "
        02                         # groups: 1
          08 62696c6c696e67        #   group_id \"billing\"
          09 6d656d6265722d31      #   member_id \"member-1\"
          00000005                 #   member_epoch 5
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            03                     #     partition_indexes: 2
              00000000             #       0
              00000001             #       1
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # require_stable false
        00                         # TAG_BUFFER
        ",
        &OffsetFetchRequest {
            groups: vec![OffsetFetchRequestGroup {
                group_id: "billing".into(),
                member_id: Some("member-1".into()),
                member_epoch: 5,
                topics: Some(vec![OffsetFetchRequestTopics {
                    name: "orders".into(),
                    partition_indexes: vec![0, 1],
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            require_stable: false,
            ..Default::default()
        },
    );

    // Response v1 (lowest): no throttle, no leader epoch, no top-level error.
    check(
        1,
        "
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            0000                   #     metadata \"\"
            0000                   #     error_code 0
            00000001               #     partition_index 1
            ffffffffffffffff       #     committed_offset -1
            ffff                   #     metadata null
            0000                   #     error_code 0
        ",
        &OffsetFetchResponse {
            topics: vec![OffsetFetchResponseTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetFetchResponsePartition {
                        partition_index: 0,
                        committed_offset: 100,
                        metadata: Some("".into()),
                        error_code: 0,
                        ..Default::default()
                    },
                    OffsetFetchResponsePartition {
                        partition_index: 1,
                        committed_offset: -1,
                        metadata: None,
                        error_code: 0,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v5: throttle time, leader epoch, top-level error code.
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000001                 #   partitions: 1
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            00000004               #     committed_leader_epoch 4
            0000                   #     metadata \"\"
            0000                   #     error_code 0
        0000                       # error_code 0
        ",
        &OffsetFetchResponse {
            topics: vec![OffsetFetchResponseTopic {
                name: "orders".into(),
                partitions: vec![OffsetFetchResponsePartition {
                    partition_index: 0,
                    committed_offset: 100,
                    committed_leader_epoch: 4,
                    metadata: Some("".into()),
                    error_code: 0,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            error_code: 0,
            ..Default::default()
        },
    );

    // Response v6 (first flexible).
    check(
        6,
        "
        00000000                   # throttle_time_ms 0
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            00000004               #     committed_leader_epoch 4
            01                     #     metadata \"\"
            0000                   #     error_code 0
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        0000                       # error_code 0
        00                         # TAG_BUFFER
        ",
        &OffsetFetchResponse {
            topics: vec![OffsetFetchResponseTopic {
                name: "orders".into(),
                partitions: vec![OffsetFetchResponsePartition {
                    partition_index: 0,
                    committed_offset: 100,
                    committed_leader_epoch: 4,
                    metadata: Some("".into()),
                    error_code: 0,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            error_code: 0,
            ..Default::default()
        },
    );

    // Response v7: group authorization failure, no topics.
    check(
        7,
        "
        00000000                   # throttle_time_ms 0
        01                         # topics: 0
        001e                       # error_code 30 GROUP_AUTHORIZATION_FAILED
        00                         # TAG_BUFFER
        ",
        &OffsetFetchResponse { error_code: 30, ..Default::default() },
    );

    // Response v8: batched groups.
    check(
        8,
        "
        00000000                   # throttle_time_ms 0
        02                         # groups: 1
          08 62696c6c696e67        #   group_id \"billing\"
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            02                     #     partitions: 1
              00000000             #       partition_index 0
              0000000000000064     #       committed_offset 100
              00000004             #       committed_leader_epoch 4
              00                   #       metadata null
              0000                 #       error_code 0
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          0000                     #   error_code 0
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &OffsetFetchResponse {
            groups: vec![OffsetFetchResponseGroup {
                group_id: "billing".into(),
                topics: vec![OffsetFetchResponseTopics {
                    name: "orders".into(),
                    partitions: vec![OffsetFetchResponsePartitions {
                        partition_index: 0,
                        committed_offset: 100,
                        committed_leader_epoch: 4,
                        metadata: None,
                        error_code: 0,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                error_code: 0,
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    // Response v10 (highest): topic id replaces the name.
    check(
        10,
        "
        00000000                   # throttle_time_ms 0
        02                         # groups: 1
          08 62696c6c696e67        #   group_id \"billing\"
          02                       #   topics: 1
            0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
            02                     #     partitions: 1
              00000002             #       partition_index 2
              00000000000003e8     #       committed_offset 1000
              ffffffff             #       committed_leader_epoch -1
              05 6d657461          #       metadata \"meta\"
              0000                 #       error_code 0
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          0000                     #   error_code 0
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &OffsetFetchResponse {
            groups: vec![OffsetFetchResponseGroup {
                group_id: "billing".into(),
                topics: vec![OffsetFetchResponseTopics {
                    topic_id: ORDERS_ID,
                    partitions: vec![OffsetFetchResponsePartitions {
                        partition_index: 2,
                        committed_offset: 1000,
                        committed_leader_epoch: -1,
                        metadata: Some("meta".into()),
                        error_code: 0,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                error_code: 0,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

#[test]
fn offset_delete() {
    use flotilla_protocol::messages::offset_delete_request::{
        OffsetDeleteRequest, OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
    };
    use flotilla_protocol::messages::offset_delete_response::{
        OffsetDeleteResponse, OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
    };

    // Only version 0 exists, never flexible.
    check(
        0,
        "
        0007 62696c6c696e67        # group_id \"billing\"
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     partition_index 0
            00000001               #     partition_index 1
        ",
        &OffsetDeleteRequest {
            group_id: "billing".into(),
            topics: vec![OffsetDeleteRequestTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetDeleteRequestPartition { partition_index: 0, ..Default::default() },
                    OffsetDeleteRequestPartition { partition_index: 1, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    check(
        0,
        "
        0000                       # error_code 0
        00000000                   # throttle_time_ms 0
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00000001               #     partition_index 1
            0056                   #     error_code 86 GROUP_SUBSCRIBED_TO_TOPIC
        ",
        &OffsetDeleteResponse {
            error_code: 0,
            throttle_time_ms: 0,
            topics: vec![OffsetDeleteResponseTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetDeleteResponsePartition { partition_index: 0, error_code: 0, ..Default::default() },
                    OffsetDeleteResponsePartition { partition_index: 1, error_code: 86, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    check(
        0,
        "
        0045                       # error_code 69 GROUP_ID_NOT_FOUND
        000003e8                   # throttle_time_ms 1000
        00000000                   # topics: 0
        ",
        &OffsetDeleteResponse { error_code: 69, throttle_time_ms: 1000, ..Default::default() },
    );
}

#[test]
fn list_groups() {
    use flotilla_protocol::messages::list_groups_request::ListGroupsRequest;
    use flotilla_protocol::messages::list_groups_response::{ListGroupsResponse, ListedGroup};

    // Request v0 (lowest): an empty body.
    check(0, "", &ListGroupsRequest::default());
    // Request v3 (first flexible): only the tag buffer.
    check(
        3,
        "
        00                         # TAG_BUFFER
        ",
        &ListGroupsRequest::default(),
    );
    // Request v4: states filter.
    check(
        4,
        "
        02                         # states_filter: 1
          07 537461626c65          #   \"Stable\"
        00                         # TAG_BUFFER
        ",
        &ListGroupsRequest { states_filter: vec!["Stable".into()], ..Default::default() },
    );
    // Request v5 (highest): states and types filters.
    check(
        5,
        "
        03                         # states_filter: 2
          07 537461626c65          #   \"Stable\"
          06 456d707479            #   \"Empty\"
        02                         # types_filter: 1
          09 636f6e73756d6572      #   \"consumer\"
        00                         # TAG_BUFFER
        ",
        &ListGroupsRequest {
            states_filter: vec!["Stable".into(), "Empty".into()],
            types_filter: vec!["consumer".into()],
            ..Default::default()
        },
    );

    // Response v5: an unknown tagged field inside a nested struct.
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        02                         # groups: 1
          08 62696c6c696e67        #   group_id \"billing\"
          01                       #   protocol_type \"\"
          06 456d707479            #   group_state \"Empty\"
          08 636c6173736963        #   group_type \"classic\"
          01                       #   TAG_BUFFER: 1 field
            0a                     #     tag 10
            01                     #     size 1
            ff                     #     data
        00                         # TAG_BUFFER
        ",
        &ListGroupsResponse {
            groups: vec![ListedGroup {
                group_id: "billing".into(),
                protocol_type: "".into(),
                group_state: "Empty".into(),
                group_type: "classic".into(),
                unknown_tagged_fields: vec![flotilla_protocol::RawTaggedField { tag: 10, data: golden::hex("ff") }],
            }],
            ..Default::default()
        },
    );
    // Response v0 (lowest): no throttle time.
    check(
        0,
        "
        0000                       # error_code 0
        00000001                   # groups: 1
          0007 62696c6c696e67      #   group_id \"billing\"
          0008 636f6e73756d6572    #   protocol_type \"consumer\"
        ",
        &ListGroupsResponse {
            error_code: 0,
            groups: vec![ListedGroup {
                group_id: "billing".into(),
                protocol_type: "consumer".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v2 (last non-flexible): coordinator loading, no groups.
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        000e                       # error_code 14 COORDINATOR_LOAD_IN_PROGRESS
        00000000                   # groups: 0
        ",
        &ListGroupsResponse { throttle_time_ms: 0, error_code: 14, ..Default::default() },
    );
    // Response v5 (highest).
    check(
        5,
        "
        0000000a                   # throttle_time_ms 10
        0000                       # error_code 0
        02                         # groups: 1
          08 62696c6c696e67        #   group_id \"billing\"
          09 636f6e73756d6572      #   protocol_type \"consumer\"
          07 537461626c65          #   group_state \"Stable\"
          09 636f6e73756d6572      #   group_type \"consumer\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &ListGroupsResponse {
            throttle_time_ms: 10,
            error_code: 0,
            groups: vec![ListedGroup {
                group_id: "billing".into(),
                protocol_type: "consumer".into(),
                group_state: "Stable".into(),
                group_type: "consumer".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

#[test]
fn describe_groups() {
    use flotilla_protocol::messages::describe_groups_request::DescribeGroupsRequest;
    use flotilla_protocol::messages::describe_groups_response::{
        DescribeGroupsResponse, DescribedGroup, DescribedGroupMember,
    };

    // Request v0 (lowest).
    check(
        0,
        "
        00000001                   # groups: 1
          0007 62696c6c696e67      #   \"billing\"
        ",
        &DescribeGroupsRequest { groups: vec!["billing".into()], ..Default::default() },
    );
    // Request v3: include_authorized_operations.
    check(
        3,
        "
        00000002                   # groups: 2
          0007 62696c6c696e67      #   \"billing\"
          0005 6175646974          #   \"audit\"
        01                         # include_authorized_operations true
        ",
        &DescribeGroupsRequest {
            groups: vec!["billing".into(), "audit".into()],
            include_authorized_operations: true,
            ..Default::default()
        },
    );
    // Request v6 (highest, flexible).
    check(
        6,
        "
        02                         # groups: 1
          08 62696c6c696e67        #   \"billing\"
        00                         # include_authorized_operations false
        00                         # TAG_BUFFER
        ",
        &DescribeGroupsRequest {
            groups: vec!["billing".into()],
            include_authorized_operations: false,
            ..Default::default()
        },
    );

    // Response v0 (lowest).
    check(
        0,
        "
        00000001                   # groups: 1
          0000                     #   error_code 0
          0007 62696c6c696e67      #   group_id \"billing\"
          0006 537461626c65        #   group_state \"Stable\"
          0008 636f6e73756d6572    #   protocol_type \"consumer\"
          0005 72616e6765          #   protocol_data \"range\"
          00000001                 #   members: 1
            0008 6d656d6265722d31  #     member_id \"member-1\"
            0008 636c69656e742d31  #     client_id \"client-1\"
            0009 2f31302e302e302e31  #   client_host \"/10.0.0.1\"
            00000003 000102        #     member_metadata (3 bytes)
            00000002 0a0b          #     member_assignment (2 bytes)
        ",
        &DescribeGroupsResponse {
            groups: vec![DescribedGroup {
                error_code: 0,
                group_id: "billing".into(),
                group_state: "Stable".into(),
                protocol_type: "consumer".into(),
                protocol_data: "range".into(),
                members: vec![DescribedGroupMember {
                    member_id: "member-1".into(),
                    client_id: "client-1".into(),
                    client_host: "/10.0.0.1".into(),
                    member_metadata: golden::hex("000102"),
                    member_assignment: golden::hex("0a0b"),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v4 (last non-flexible): throttle, group instance id, authorized operations.
    check(
        4,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # groups: 1
          0000                     #   error_code 0
          0007 62696c6c696e67      #   group_id \"billing\"
          0006 537461626c65        #   group_state \"Stable\"
          0008 636f6e73756d6572    #   protocol_type \"consumer\"
          0005 72616e6765          #   protocol_data \"range\"
          00000001                 #   members: 1
            0008 6d656d6265722d31  #     member_id \"member-1\"
            0006 686f73742d31      #     group_instance_id \"host-1\"
            0008 636c69656e742d31  #     client_id \"client-1\"
            0009 2f31302e302e302e31  #   client_host \"/10.0.0.1\"
            00000000               #     member_metadata (empty)
            00000000               #     member_assignment (empty)
          00000148                 #   authorized_operations READ|DELETE|DESCRIBE
        ",
        &DescribeGroupsResponse {
            throttle_time_ms: 0,
            groups: vec![DescribedGroup {
                error_code: 0,
                group_id: "billing".into(),
                group_state: "Stable".into(),
                protocol_type: "consumer".into(),
                protocol_data: "range".into(),
                members: vec![DescribedGroupMember {
                    member_id: "member-1".into(),
                    group_instance_id: Some("host-1".into()),
                    client_id: "client-1".into(),
                    client_host: "/10.0.0.1".into(),
                    ..Default::default()
                }],
                authorized_operations: 0x148,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v6 (highest, flexible): error message, one live and one missing group.
    check(
        6,
        "
        00000000                   # throttle_time_ms 0
        03                         # groups: 2
          0000                     #   error_code 0
          00                       #   error_message null
          08 62696c6c696e67        #   group_id \"billing\"
          07 537461626c65          #   group_state \"Stable\"
          09 636f6e73756d6572      #   protocol_type \"consumer\"
          06 72616e6765            #   protocol_data \"range\"
          02                       #   members: 1
            09 6d656d6265722d31    #     member_id \"member-1\"
            00                     #     group_instance_id null
            09 636c69656e742d31    #     client_id \"client-1\"
            0a 2f31302e302e302e31  #     client_host \"/10.0.0.1\"
            04 000102              #     member_metadata (3 bytes)
            03 0a0b                #     member_assignment (2 bytes)
            00                     #     TAG_BUFFER
          00000148                 #   authorized_operations
          00                       #   TAG_BUFFER
          0045                     #   error_code 69 GROUP_ID_NOT_FOUND
          0a 6e6f7420666f756e64    #   error_message \"not found\"
          06 6175646974            #   group_id \"audit\"
          05 44656164              #   group_state \"Dead\"
          01                       #   protocol_type \"\"
          01                       #   protocol_data \"\"
          01                       #   members: 0
          80000000                 #   authorized_operations -2147483648
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeGroupsResponse {
            throttle_time_ms: 0,
            groups: vec![
                DescribedGroup {
                    error_code: 0,
                    error_message: None,
                    group_id: "billing".into(),
                    group_state: "Stable".into(),
                    protocol_type: "consumer".into(),
                    protocol_data: "range".into(),
                    members: vec![DescribedGroupMember {
                        member_id: "member-1".into(),
                        group_instance_id: None,
                        client_id: "client-1".into(),
                        client_host: "/10.0.0.1".into(),
                        member_metadata: golden::hex("000102"),
                        member_assignment: golden::hex("0a0b"),
                        ..Default::default()
                    }],
                    authorized_operations: 0x148,
                    ..Default::default()
                },
                DescribedGroup {
                    error_code: 69,
                    error_message: Some("not found".into()),
                    group_id: "audit".into(),
                    group_state: "Dead".into(),
                    protocol_type: "".into(),
                    protocol_data: "".into(),
                    members: vec![],
                    authorized_operations: i32::MIN,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

#[test]
fn delete_groups() {
    use flotilla_protocol::messages::delete_groups_request::DeleteGroupsRequest;
    use flotilla_protocol::messages::delete_groups_response::{DeletableGroupResult, DeleteGroupsResponse};

    // Request v0 (lowest).
    check(
        0,
        "
        00000002                   # groups_names: 2
          0007 62696c6c696e67      #   \"billing\"
          0005 6175646974          #   \"audit\"
        ",
        &DeleteGroupsRequest { groups_names: vec!["billing".into(), "audit".into()], ..Default::default() },
    );
    // Request v2 (highest, flexible).
    check(
        2,
        "
        03                         # groups_names: 2
          08 62696c6c696e67        #   \"billing\"
          06 6175646974            #   \"audit\"
        00                         # TAG_BUFFER
        ",
        &DeleteGroupsRequest { groups_names: vec!["billing".into(), "audit".into()], ..Default::default() },
    );

    let results = vec![
        DeletableGroupResult { group_id: "billing".into(), error_code: 0, ..Default::default() },
        DeletableGroupResult { group_id: "audit".into(), error_code: 68, ..Default::default() },
    ];
    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        00000002                   # results: 2
          0007 62696c6c696e67      #   group_id \"billing\"
          0000                     #   error_code 0
          0005 6175646974          #   group_id \"audit\"
          0044                     #   error_code 68 NON_EMPTY_GROUP
        ",
        &DeleteGroupsResponse { throttle_time_ms: 0, results: results.clone(), ..Default::default() },
    );
    // Response v1 (same layout as v0).
    check(
        1,
        "
        00000064                   # throttle_time_ms 100
        00000000                   # results: 0
        ",
        &DeleteGroupsResponse { throttle_time_ms: 100, ..Default::default() },
    );
    // Response v2 (highest, flexible).
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        03                         # results: 2
          08 62696c6c696e67        #   group_id \"billing\"
          0000                     #   error_code 0
          00                       #   TAG_BUFFER
          06 6175646974            #   group_id \"audit\"
          0044                     #   error_code 68 NON_EMPTY_GROUP
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DeleteGroupsResponse { throttle_time_ms: 0, results, ..Default::default() },
    );
}

#[test]
fn consumer_group_heartbeat() {
    use flotilla_protocol::messages::consumer_group_heartbeat_request::{
        ConsumerGroupHeartbeatRequest, TopicPartitions as OwnedPartitions,
    };
    use flotilla_protocol::messages::consumer_group_heartbeat_response::{
        Assignment, ConsumerGroupHeartbeatResponse, TopicPartitions,
    };

    // Request v0 (lowest): a member joins (epoch 0, empty member id).
    check(
        0,
        "
        08 62696c6c696e67          # group_id \"billing\"
        01                         # member_id \"\"
        00000000                   # member_epoch 0
        00                         # instance_id null
        07 7261636b2d61            # rack_id \"rack-a\"
        000493e0                   # rebalance_timeout_ms 300000
        02                         # subscribed_topic_names: 1
          07 6f7264657273          #   \"orders\"
        08 756e69666f726d          # server_assignor \"uniform\"
        01                         # topic_partitions: 0
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupHeartbeatRequest {
            group_id: "billing".into(),
            member_id: "".into(),
            member_epoch: 0,
            instance_id: None,
            rack_id: Some("rack-a".into()),
            rebalance_timeout_ms: 300_000,
            subscribed_topic_names: Some(vec!["orders".into()]),
            server_assignor: Some("uniform".into()),
            topic_partitions: Some(vec![]),
            ..Default::default()
        },
    );
    // Request v1 (highest): a plain heartbeat, everything unchanged is null.
    check(
        1,
        "
        08 62696c6c696e67          # group_id \"billing\"
        09 6d656d6265722d31        # member_id \"member-1\"
        00000005                   # member_epoch 5
        00                         # instance_id null
        00                         # rack_id null
        ffffffff                   # rebalance_timeout_ms -1
        00                         # subscribed_topic_names null
        00                         # subscribed_topic_regex null
        00                         # server_assignor null
        02                         # topic_partitions: 1
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
          04                       #   partitions: 3
            00000000               #     0
            00000001               #     1
            00000002               #     2
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupHeartbeatRequest {
            group_id: "billing".into(),
            member_id: "member-1".into(),
            member_epoch: 5,
            instance_id: None,
            rack_id: None,
            rebalance_timeout_ms: -1,
            subscribed_topic_names: None,
            subscribed_topic_regex: None,
            server_assignor: None,
            topic_partitions: Some(vec![OwnedPartitions {
                topic_id: ORDERS_ID,
                partitions: vec![0, 1, 2],
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    // Request v1: subscribe by regex, static member.
    check(
        1,
        "
        08 62696c6c696e67          # group_id \"billing\"
        09 6d656d6265722d31        # member_id \"member-1\"
        00000000                   # member_epoch 0
        07 686f73742d31            # instance_id \"host-1\"
        00                         # rack_id null
        0000ea60                   # rebalance_timeout_ms 60000
        00                         # subscribed_topic_names null
        09 6f72646572732e2a        # subscribed_topic_regex \"orders.*\"
        00                         # server_assignor null
        00                         # topic_partitions null
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupHeartbeatRequest {
            group_id: "billing".into(),
            member_id: "member-1".into(),
            member_epoch: 0,
            instance_id: Some("host-1".into()),
            rebalance_timeout_ms: 60_000,
            subscribed_topic_regex: Some("orders.*".into()),
            topic_partitions: None,
            ..Default::default()
        },
    );

    // Response v0 (lowest): assignment present.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        09 6d656d6265722d31        # member_id \"member-1\"
        00000001                   # member_epoch 1
        00001388                   # heartbeat_interval_ms 5000
        01                         # assignment: present
          02                       #   topic_partitions: 1
            0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
            04                     #     partitions: 3
              00000000             #       0
              00000001             #       1
              00000002             #       2
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER (assignment)
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupHeartbeatResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            member_id: Some("member-1".into()),
            member_epoch: 1,
            heartbeat_interval_ms: 5000,
            assignment: Some(Assignment {
                topic_partitions: vec![TopicPartitions {
                    topic_id: ORDERS_ID,
                    partitions: vec![0, 1, 2],
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    // Response v1 (highest): assignment unchanged (null).
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        00                         # member_id null
        00000005                   # member_epoch 5
        00001388                   # heartbeat_interval_ms 5000
        ff                         # assignment: null
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupHeartbeatResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            member_id: None,
            member_epoch: 5,
            heartbeat_interval_ms: 5000,
            assignment: None,
            ..Default::default()
        },
    );
    // Response v1: fenced member, empty assignment present.
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        006e                       # error_code 110 FENCED_MEMBER_EPOCH
        07 66656e636564            # error_message \"fenced\"
        09 6d656d6265722d31        # member_id \"member-1\"
        ffffffff                   # member_epoch -1
        00000000                   # heartbeat_interval_ms 0
        01                         # assignment: present
          01                       #   topic_partitions: 0
          00                       #   TAG_BUFFER (assignment)
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupHeartbeatResponse {
            throttle_time_ms: 0,
            error_code: 110,
            error_message: Some("fenced".into()),
            member_id: Some("member-1".into()),
            member_epoch: -1,
            heartbeat_interval_ms: 0,
            assignment: Some(Assignment::default()),
            ..Default::default()
        },
    );
}

#[test]
fn consumer_group_describe() {
    use flotilla_protocol::messages::consumer_group_describe_request::ConsumerGroupDescribeRequest;
    use flotilla_protocol::messages::consumer_group_describe_response::{
        Assignment, ConsumerGroupDescribeResponse, DescribedGroup, Member, TopicPartitions,
    };

    // Request v0 (lowest).
    check(
        0,
        "
        02                         # group_ids: 1
          08 62696c6c696e67        #   \"billing\"
        00                         # include_authorized_operations false
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupDescribeRequest {
            group_ids: vec!["billing".into()],
            include_authorized_operations: false,
            ..Default::default()
        },
    );
    // Request v1 (highest).
    check(
        1,
        "
        03                         # group_ids: 2
          08 62696c6c696e67        #   \"billing\"
          06 6175646974            #   \"audit\"
        01                         # include_authorized_operations true
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupDescribeRequest {
            group_ids: vec!["billing".into(), "audit".into()],
            include_authorized_operations: true,
            ..Default::default()
        },
    );

    let member = Member {
        member_id: "member-1".into(),
        instance_id: None,
        rack_id: Some("rack-a".into()),
        member_epoch: 7,
        client_id: "client-1".into(),
        client_host: "/10.0.0.1".into(),
        subscribed_topic_names: vec!["orders".into()],
        subscribed_topic_regex: None,
        assignment: Assignment {
            topic_partitions: vec![TopicPartitions {
                topic_id: ORDERS_ID,
                topic_name: "orders".into(),
                partitions: vec![0, 1, 2],
                ..Default::default()
            }],
            ..Default::default()
        },
        target_assignment: Assignment::default(),
        ..Default::default()
    };

    // Response v0 (lowest): no member type.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        02                         # groups: 1
          0000                     #   error_code 0
          00                       #   error_message null
          08 62696c6c696e67        #   group_id \"billing\"
          07 537461626c65          #   group_state \"Stable\"
          00000007                 #   group_epoch 7
          00000007                 #   assignment_epoch 7
          08 756e69666f726d        #   assignor_name \"uniform\"
          02                       #   members: 1
            09 6d656d6265722d31    #     member_id \"member-1\"
            00                     #     instance_id null
            07 7261636b2d61        #     rack_id \"rack-a\"
            00000007               #     member_epoch 7
            09 636c69656e742d31    #     client_id \"client-1\"
            0a 2f31302e302e302e31  #     client_host \"/10.0.0.1\"
            02                     #     subscribed_topic_names: 1
              07 6f7264657273      #       \"orders\"
            00                     #     subscribed_topic_regex null
            02                     #     assignment.topic_partitions: 1
              0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
              07 6f7264657273      #       topic_name \"orders\"
              04                   #       partitions: 3
                00000000           #         0
                00000001           #         1
                00000002           #         2
              00                   #       TAG_BUFFER
            00                     #     assignment TAG_BUFFER
            01                     #     target_assignment.topic_partitions: 0
            00                     #     target_assignment TAG_BUFFER
            00                     #     TAG_BUFFER (member)
          80000000                 #   authorized_operations -2147483648
          00                       #   TAG_BUFFER (group)
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupDescribeResponse {
            throttle_time_ms: 0,
            groups: vec![DescribedGroup {
                error_code: 0,
                error_message: None,
                group_id: "billing".into(),
                group_state: "Stable".into(),
                group_epoch: 7,
                assignment_epoch: 7,
                assignor_name: "uniform".into(),
                members: vec![member.clone()],
                authorized_operations: i32::MIN,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v1 (highest): member type, and a missing group with a message.
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        03                         # groups: 2
          0000                     #   error_code 0
          00                       #   error_message null
          08 62696c6c696e67        #   group_id \"billing\"
          07 537461626c65          #   group_state \"Stable\"
          00000007                 #   group_epoch 7
          00000007                 #   assignment_epoch 7
          08 756e69666f726d        #   assignor_name \"uniform\"
          02                       #   members: 1
            09 6d656d6265722d31    #     member_id \"member-1\"
            00                     #     instance_id null
            07 7261636b2d61        #     rack_id \"rack-a\"
            00000007               #     member_epoch 7
            09 636c69656e742d31    #     client_id \"client-1\"
            0a 2f31302e302e302e31  #     client_host \"/10.0.0.1\"
            02                     #     subscribed_topic_names: 1
              07 6f7264657273      #       \"orders\"
            00                     #     subscribed_topic_regex null
            02                     #     assignment.topic_partitions: 1
              0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
              07 6f7264657273      #       topic_name \"orders\"
              04                   #       partitions: 3
                00000000           #         0
                00000001           #         1
                00000002           #         2
              00                   #       TAG_BUFFER
            00                     #     assignment TAG_BUFFER
            01                     #     target_assignment.topic_partitions: 0
            00                     #     target_assignment TAG_BUFFER
            01                     #     member_type 1 (consumer)
            00                     #     TAG_BUFFER (member)
          00000148                 #   authorized_operations
          00                       #   TAG_BUFFER (group)
          0045                     #   error_code 69 GROUP_ID_NOT_FOUND
          0a 6e6f7420666f756e64    #   error_message \"not found\"
          06 6175646974            #   group_id \"audit\"
          05 44656164              #   group_state \"Dead\"
          00000000                 #   group_epoch 0
          00000000                 #   assignment_epoch 0
          01                       #   assignor_name \"\"
          01                       #   members: 0
          80000000                 #   authorized_operations -2147483648
          00                       #   TAG_BUFFER (group)
        00                         # TAG_BUFFER
        ",
        &ConsumerGroupDescribeResponse {
            throttle_time_ms: 0,
            groups: vec![
                DescribedGroup {
                    error_code: 0,
                    error_message: None,
                    group_id: "billing".into(),
                    group_state: "Stable".into(),
                    group_epoch: 7,
                    assignment_epoch: 7,
                    assignor_name: "uniform".into(),
                    members: vec![Member { member_type: 1, ..member }],
                    authorized_operations: 0x148,
                    ..Default::default()
                },
                DescribedGroup {
                    error_code: 69,
                    error_message: Some("not found".into()),
                    group_id: "audit".into(),
                    group_state: "Dead".into(),
                    authorized_operations: i32::MIN,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------------------

#[test]
fn add_partitions_to_txn() {
    use flotilla_protocol::messages::add_partitions_to_txn_request::{
        AddPartitionsToTxnRequest, AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
    };
    use flotilla_protocol::messages::add_partitions_to_txn_response::{
        AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResponse, AddPartitionsToTxnResult,
        AddPartitionsToTxnTopicResult,
    };

    // Request v0 (lowest).
    check(
        0,
        "
        0005 74786e2d31            # v3_and_below_transactional_id \"txn-1\"
        0000000000000fa0           # v3_and_below_producer_id 4000
        0000                       # v3_and_below_producer_epoch 0
        00000001                   # v3_and_below_topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     0
            00000001               #     1
        ",
        &AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: "txn-1".into(),
            v3_and_below_producer_id: 4000,
            v3_and_below_producer_epoch: 0,
            v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                name: "orders".into(),
                partitions: vec![0, 1],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Request v3 (first flexible).
    check(
        3,
        "
        06 74786e2d31              # v3_and_below_transactional_id \"txn-1\"
        0000000000000fa0           # v3_and_below_producer_id 4000
        0001                       # v3_and_below_producer_epoch 1
        02                         # v3_and_below_topics: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     0
            00000001               #     1
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AddPartitionsToTxnRequest {
            v3_and_below_transactional_id: "txn-1".into(),
            v3_and_below_producer_id: 4000,
            v3_and_below_producer_epoch: 1,
            v3_and_below_topics: vec![AddPartitionsToTxnTopic {
                name: "orders".into(),
                partitions: vec![0, 1],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Request v4: batched transactions, broker-side verification.
    check(
        4,
        "
        02                         # transactions: 1
          06 74786e2d31            #   transactional_id \"txn-1\"
          0000000000000fa0         #   producer_id 4000
          0001                     #   producer_epoch 1
          01                       #   verify_only true
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            04                     #     partitions: 3
              00000000             #       0
              00000001             #       1
              00000002             #       2
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AddPartitionsToTxnRequest {
            transactions: vec![AddPartitionsToTxnTransaction {
                transactional_id: "txn-1".into(),
                producer_id: 4000,
                producer_epoch: 1,
                verify_only: true,
                topics: vec![AddPartitionsToTxnTopic {
                    name: "orders".into(),
                    partitions: vec![0, 1, 2],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Request v5 (highest).
    check(
        5,
        "
        02                         # transactions: 1
          06 74786e2d31            #   transactional_id \"txn-1\"
          0000000000000fa0         #   producer_id 4000
          0002                     #   producer_epoch 2
          00                       #   verify_only false
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            02                     #     partitions: 1
              00000002             #       2
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AddPartitionsToTxnRequest {
            transactions: vec![AddPartitionsToTxnTransaction {
                transactional_id: "txn-1".into(),
                producer_id: 4000,
                producer_epoch: 2,
                verify_only: false,
                topics: vec![AddPartitionsToTxnTopic {
                    name: "orders".into(),
                    partitions: vec![2],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    let orders_results = AddPartitionsToTxnTopicResult {
        name: "orders".into(),
        results_by_partition: vec![
            AddPartitionsToTxnPartitionResult { partition_index: 0, partition_error_code: 0, ..Default::default() },
            AddPartitionsToTxnPartitionResult { partition_index: 1, partition_error_code: 48, ..Default::default() },
        ],
        ..Default::default()
    };
    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # results_by_topic_v3_and_below: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   results_by_partition: 2
            00000000               #     partition_index 0
            0000                   #     partition_error_code 0
            00000001               #     partition_index 1
            0030                   #     partition_error_code 48 INVALID_TXN_STATE
        ",
        &AddPartitionsToTxnResponse {
            throttle_time_ms: 0,
            results_by_topic_v3_and_below: vec![orders_results.clone()],
            ..Default::default()
        },
    );
    // Response v3 (first flexible).
    check(
        3,
        "
        00000000                   # throttle_time_ms 0
        02                         # results_by_topic_v3_and_below: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   results_by_partition: 2
            00000000               #     partition_index 0
            0000                   #     partition_error_code 0
            00                     #     TAG_BUFFER
            00000001               #     partition_index 1
            0030                   #     partition_error_code 48 INVALID_TXN_STATE
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AddPartitionsToTxnResponse {
            throttle_time_ms: 0,
            results_by_topic_v3_and_below: vec![orders_results.clone()],
            ..Default::default()
        },
    );
    // Response v5 (highest): results by transaction.
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        02                         # results_by_transaction: 1
          06 74786e2d31            #   transactional_id \"txn-1\"
          02                       #   topic_results: 1
            07 6f7264657273        #     name \"orders\"
            03                     #     results_by_partition: 2
              00000000             #       partition_index 0
              0000                 #       partition_error_code 0
              00                   #       TAG_BUFFER
              00000001             #       partition_index 1
              0030                 #       partition_error_code 48 INVALID_TXN_STATE
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AddPartitionsToTxnResponse {
            throttle_time_ms: 0,
            error_code: 0,
            results_by_transaction: vec![AddPartitionsToTxnResult {
                transactional_id: "txn-1".into(),
                topic_results: vec![orders_results],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

#[test]
fn add_offsets_to_txn() {
    use flotilla_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};

    let request = AddOffsetsToTxnRequest {
        transactional_id: "txn-1".into(),
        producer_id: 4000,
        producer_epoch: 0,
        group_id: "billing".into(),
        ..Default::default()
    };
    // Request v0 (lowest).
    check(
        0,
        "
        0005 74786e2d31            # transactional_id \"txn-1\"
        0000000000000fa0           # producer_id 4000
        0000                       # producer_epoch 0
        0007 62696c6c696e67        # group_id \"billing\"
        ",
        &request,
    );
    // Request v4 (highest, flexible).
    check(
        4,
        "
        06 74786e2d31              # transactional_id \"txn-1\"
        0000000000000fa0           # producer_id 4000
        0000                       # producer_epoch 0
        08 62696c6c696e67          # group_id \"billing\"
        00                         # TAG_BUFFER
        ",
        &request,
    );
    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        ",
        &AddOffsetsToTxnResponse { throttle_time_ms: 0, error_code: 0, ..Default::default() },
    );
    // Response v2 (last non-flexible).
    check(
        2,
        "
        00000032                   # throttle_time_ms 50
        0030                       # error_code 48 INVALID_TXN_STATE
        ",
        &AddOffsetsToTxnResponse { throttle_time_ms: 50, error_code: 48, ..Default::default() },
    );
    // Response v4 (highest, flexible).
    check(
        4,
        "
        00000000                   # throttle_time_ms 0
        0033                       # error_code 51 CONCURRENT_TRANSACTIONS
        00                         # TAG_BUFFER
        ",
        &AddOffsetsToTxnResponse { throttle_time_ms: 0, error_code: 51, ..Default::default() },
    );
}

#[test]
fn end_txn() {
    use flotilla_protocol::messages::{EndTxnRequest, EndTxnResponse};

    // Request v0 (lowest): commit.
    check(
        0,
        "
        0005 74786e2d31            # transactional_id \"txn-1\"
        0000000000000fa0           # producer_id 4000
        0000                       # producer_epoch 0
        01                         # committed true
        ",
        &EndTxnRequest {
            transactional_id: "txn-1".into(),
            producer_id: 4000,
            producer_epoch: 0,
            committed: true,
            ..Default::default()
        },
    );
    // Request v3 (first flexible): abort.
    check(
        3,
        "
        06 74786e2d31              # transactional_id \"txn-1\"
        0000000000000fa0           # producer_id 4000
        0003                       # producer_epoch 3
        00                         # committed false
        00                         # TAG_BUFFER
        ",
        &EndTxnRequest {
            transactional_id: "txn-1".into(),
            producer_id: 4000,
            producer_epoch: 3,
            committed: false,
            ..Default::default()
        },
    );
    // Request v5 (highest).
    check(
        5,
        "
        06 74786e2d31              # transactional_id \"txn-1\"
        0000000000000fa0           # producer_id 4000
        0001                       # producer_epoch 1
        01                         # committed true
        00                         # TAG_BUFFER
        ",
        &EndTxnRequest {
            transactional_id: "txn-1".into(),
            producer_id: 4000,
            producer_epoch: 1,
            committed: true,
            ..Default::default()
        },
    );
    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        ",
        &EndTxnResponse { throttle_time_ms: 0, error_code: 0, ..Default::default() },
    );
    // Response v4 (flexible, before the producer id was returned).
    check(
        4,
        "
        00000000                   # throttle_time_ms 0
        002f                       # error_code 47 INVALID_PRODUCER_EPOCH
        00                         # TAG_BUFFER
        ",
        &EndTxnResponse {
            throttle_time_ms: 0,
            error_code: 47,
            producer_id: -1,
            producer_epoch: -1,
            ..Default::default()
        },
    );
    // Response v5 (highest): the bumped producer id and epoch.
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        0000000000000fa0           # producer_id 4000
        0002                       # producer_epoch 2
        00                         # TAG_BUFFER
        ",
        &EndTxnResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: 4000,
            producer_epoch: 2,
            ..Default::default()
        },
    );
    // Response v5 carrying a tagged field this version does not know: kept as raw bytes and written back.
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        0000000000000fa0           # producer_id 4000
        0002                       # producer_epoch 2
        01                         # TAG_BUFFER: 1 field
          03                       #   tag 3
          04                       #   size 4
          0000002a                 #   data
        ",
        &EndTxnResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: 4000,
            producer_epoch: 2,
            unknown_tagged_fields: vec![flotilla_protocol::RawTaggedField { tag: 3, data: golden::hex("0000002a") }],
        },
    );
}

#[test]
fn txn_offset_commit() {
    use flotilla_protocol::messages::txn_offset_commit_request::{
        TxnOffsetCommitRequest, TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    };
    use flotilla_protocol::messages::txn_offset_commit_response::{
        TxnOffsetCommitResponse, TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
    };

    // Request v0 (lowest): no leader epoch, no member fields.
    check(
        0,
        "
        0005 74786e2d31            # transactional_id \"txn-1\"
        0007 62696c6c696e67        # group_id \"billing\"
        0000000000000fa0           # producer_id 4000
        0000                       # producer_epoch 0
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000001                 #   partitions: 1
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            ffff                   #     committed_metadata null
        ",
        &TxnOffsetCommitRequest {
            transactional_id: "txn-1".into(),
            group_id: "billing".into(),
            producer_id: 4000,
            producer_epoch: 0,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: 100,
                    committed_metadata: None,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Request v2 (last non-flexible): leader epoch.
    check(
        2,
        "
        0005 74786e2d31            # transactional_id \"txn-1\"
        0007 62696c6c696e67        # group_id \"billing\"
        0000000000000fa0           # producer_id 4000
        0000                       # producer_epoch 0
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000001                 #   partitions: 1
            00000001               #     partition_index 1
            00000000000000c8       #     committed_offset 200
            00000004               #     committed_leader_epoch 4
            0000                   #     committed_metadata \"\"
        ",
        &TxnOffsetCommitRequest {
            transactional_id: "txn-1".into(),
            group_id: "billing".into(),
            producer_id: 4000,
            producer_epoch: 0,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 200,
                    committed_leader_epoch: 4,
                    committed_metadata: Some("".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Request v3 (first flexible): generation, member id, null instance id.
    check(
        3,
        "
        06 74786e2d31              # transactional_id \"txn-1\"
        08 62696c6c696e67          # group_id \"billing\"
        0000000000000fa0           # producer_id 4000
        0000                       # producer_epoch 0
        00000005                   # generation_id 5
        09 6d656d6265722d31        # member_id \"member-1\"
        00                         # group_instance_id null
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            00000004               #     committed_leader_epoch 4
            01                     #     committed_metadata \"\"
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &TxnOffsetCommitRequest {
            transactional_id: "txn-1".into(),
            group_id: "billing".into(),
            producer_id: 4000,
            producer_epoch: 0,
            generation_id: 5,
            member_id: "member-1".into(),
            group_instance_id: None,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    partition_index: 0,
                    committed_offset: 100,
                    committed_leader_epoch: 4,
                    committed_metadata: Some("".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Request v5 (highest): static member.
    check(
        5,
        "
        06 74786e2d31              # transactional_id \"txn-1\"
        08 62696c6c696e67          # group_id \"billing\"
        0000000000000fa0           # producer_id 4000
        0001                       # producer_epoch 1
        00000005                   # generation_id 5
        09 6d656d6265722d31        # member_id \"member-1\"
        07 686f73742d31            # group_instance_id \"host-1\"
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     partition_index 0
            0000000000000064       #     committed_offset 100
            ffffffff               #     committed_leader_epoch -1
            00                     #     committed_metadata null
            00                     #     TAG_BUFFER
            00000002               #     partition_index 2
            00000000000000c8       #     committed_offset 200
            00000004               #     committed_leader_epoch 4
            05 6d657461            #     committed_metadata \"meta\"
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &TxnOffsetCommitRequest {
            transactional_id: "txn-1".into(),
            group_id: "billing".into(),
            producer_id: 4000,
            producer_epoch: 1,
            generation_id: 5,
            member_id: "member-1".into(),
            group_instance_id: Some("host-1".into()),
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "orders".into(),
                partitions: vec![
                    TxnOffsetCommitRequestPartition {
                        partition_index: 0,
                        committed_offset: 100,
                        committed_leader_epoch: -1,
                        committed_metadata: None,
                        ..Default::default()
                    },
                    TxnOffsetCommitRequestPartition {
                        partition_index: 2,
                        committed_offset: 200,
                        committed_leader_epoch: 4,
                        committed_metadata: Some("meta".into()),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );

    let response = TxnOffsetCommitResponse {
        throttle_time_ms: 0,
        topics: vec![TxnOffsetCommitResponseTopic {
            name: "orders".into(),
            partitions: vec![
                TxnOffsetCommitResponsePartition { partition_index: 0, error_code: 0, ..Default::default() },
                TxnOffsetCommitResponsePartition { partition_index: 2, error_code: 25, ..Default::default() },
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # topics: 1
          0006 6f7264657273        #   name \"orders\"
          00000002                 #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00000002               #     partition_index 2
            0019                   #     error_code 25 UNKNOWN_MEMBER_ID
        ",
        &response,
    );
    // Response v5 (highest, flexible).
    check(
        5,
        "
        00000000                   # throttle_time_ms 0
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00                     #     TAG_BUFFER
            00000002               #     partition_index 2
            0019                   #     error_code 25 UNKNOWN_MEMBER_ID
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &response,
    );
}

#[test]
fn write_txn_markers() {
    use flotilla_protocol::messages::write_txn_markers_request::{
        WritableTxnMarker, WritableTxnMarkerTopic, WriteTxnMarkersRequest,
    };
    use flotilla_protocol::messages::write_txn_markers_response::{
        WritableTxnMarkerPartitionResult, WritableTxnMarkerResult, WritableTxnMarkerTopicResult,
        WriteTxnMarkersResponse,
    };

    // Only version 1 exists (flexible). Commit marker for three partitions.
    check(
        1,
        "
        02                         # markers: 1
          0000000000000fa0         #   producer_id 4000
          0001                     #   producer_epoch 1
          01                       #   transaction_result true (commit)
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            04                     #     partition_indexes: 3
              00000000             #       0
              00000001             #       1
              00000002             #       2
            00                     #     TAG_BUFFER
          00000003                 #   coordinator_epoch 3
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &WriteTxnMarkersRequest {
            markers: vec![WritableTxnMarker {
                producer_id: 4000,
                producer_epoch: 1,
                transaction_result: true,
                topics: vec![WritableTxnMarkerTopic {
                    name: "orders".into(),
                    partition_indexes: vec![0, 1, 2],
                    ..Default::default()
                }],
                coordinator_epoch: 3,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Abort marker with no topics.
    check(
        1,
        "
        02                         # markers: 1
          0000000000000fa1         #   producer_id 4001
          0000                     #   producer_epoch 0
          00                       #   transaction_result false (abort)
          01                       #   topics: 0
          00000003                 #   coordinator_epoch 3
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &WriteTxnMarkersRequest {
            markers: vec![WritableTxnMarker {
                producer_id: 4001,
                producer_epoch: 0,
                transaction_result: false,
                topics: vec![],
                coordinator_epoch: 3,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    check(
        1,
        "
        02                         # markers: 1
          0000000000000fa0         #   producer_id 4000
          02                       #   topics: 1
            07 6f7264657273        #     name \"orders\"
            03                     #     partitions: 2
              00000000             #       partition_index 0
              0000                 #       error_code 0
              00                   #       TAG_BUFFER
              00000001             #       partition_index 1
              0006                 #       error_code 6 NOT_LEADER_OR_FOLLOWER
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &WriteTxnMarkersResponse {
            markers: vec![WritableTxnMarkerResult {
                producer_id: 4000,
                topics: vec![WritableTxnMarkerTopicResult {
                    name: "orders".into(),
                    partitions: vec![
                        WritableTxnMarkerPartitionResult { partition_index: 0, error_code: 0, ..Default::default() },
                        WritableTxnMarkerPartitionResult { partition_index: 1, error_code: 6, ..Default::default() },
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    check(
        1,
        "
        01                         # markers: 0
        00                         # TAG_BUFFER
        ",
        &WriteTxnMarkersResponse::default(),
    );
}

#[test]
fn describe_producers() {
    use flotilla_protocol::messages::describe_producers_request::{DescribeProducersRequest, TopicRequest};
    use flotilla_protocol::messages::describe_producers_response::{
        DescribeProducersResponse, PartitionResponse, ProducerState, TopicResponse,
    };

    // Only version 0 exists (flexible).
    check(
        0,
        "
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          04                       #   partition_indexes: 3
            00000000               #     0
            00000001               #     1
            00000002               #     2
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeProducersRequest {
            topics: vec![TopicRequest {
                name: "orders".into(),
                partition_indexes: vec![0, 1, 2],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          03                       #   partitions: 2
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00                     #     error_message null
            02                     #     active_producers: 1
              0000000000000fa0     #       producer_id 4000
              00000001             #       producer_epoch 1 (INT32 here)
              0000002a             #       last_sequence 42
              0000018bcfe56800     #       last_timestamp 1700000000000
              00000003             #       coordinator_epoch 3
              0000000000000064     #       current_txn_start_offset 100
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
            00000001               #     partition_index 1
            0006                   #     error_code 6 NOT_LEADER_OR_FOLLOWER
            0a 6e6f7420666f756e64  #     error_message \"not found\"
            01                     #     active_producers: 0
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeProducersResponse {
            throttle_time_ms: 0,
            topics: vec![TopicResponse {
                name: "orders".into(),
                partitions: vec![
                    PartitionResponse {
                        partition_index: 0,
                        error_code: 0,
                        error_message: None,
                        active_producers: vec![ProducerState {
                            producer_id: 4000,
                            producer_epoch: 1,
                            last_sequence: 42,
                            last_timestamp: 1_700_000_000_000,
                            coordinator_epoch: 3,
                            current_txn_start_offset: 100,
                            ..Default::default()
                        }],
                        ..Default::default()
                    },
                    PartitionResponse {
                        partition_index: 1,
                        error_code: 6,
                        error_message: Some("not found".into()),
                        active_producers: vec![],
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // An idempotent (non-transactional) producer: no open transaction.
    check(
        0,
        "
        00000064                   # throttle_time_ms 100
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          02                       #   partitions: 1
            00000002               #     partition_index 2
            0000                   #     error_code 0
            00                     #     error_message null
            02                     #     active_producers: 1
              0000000000000fa1     #       producer_id 4001
              00000000             #       producer_epoch 0
              ffffffff             #       last_sequence -1
              ffffffffffffffff     #       last_timestamp -1
              ffffffff             #       coordinator_epoch -1
              ffffffffffffffff     #       current_txn_start_offset -1
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeProducersResponse {
            throttle_time_ms: 100,
            topics: vec![TopicResponse {
                name: "orders".into(),
                partitions: vec![PartitionResponse {
                    partition_index: 2,
                    error_code: 0,
                    error_message: None,
                    active_producers: vec![ProducerState {
                        producer_id: 4001,
                        producer_epoch: 0,
                        last_sequence: -1,
                        last_timestamp: -1,
                        coordinator_epoch: -1,
                        current_txn_start_offset: -1,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

#[test]
fn describe_transactions() {
    use flotilla_protocol::messages::describe_transactions_request::DescribeTransactionsRequest;
    use flotilla_protocol::messages::describe_transactions_response::{
        DescribeTransactionsResponse, TopicData, TransactionState,
    };

    // Only version 0 exists (flexible).
    check(
        0,
        "
        03                         # transactional_ids: 2
          06 74786e2d31            #   \"txn-1\"
          06 74786e2d32            #   \"txn-2\"
        00                         # TAG_BUFFER
        ",
        &DescribeTransactionsRequest { transactional_ids: vec!["txn-1".into(), "txn-2".into()], ..Default::default() },
    );
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        03                         # transaction_states: 2
          0000                     #   error_code 0
          06 74786e2d31            #   transactional_id \"txn-1\"
          08 4f6e676f696e67        #   transaction_state \"Ongoing\"
          0000ea60                 #   transaction_timeout_ms 60000
          0000018bcfe56800         #   transaction_start_time_ms 1700000000000
          0000000000000fa0         #   producer_id 4000
          0001                     #   producer_epoch 1
          02                       #   topics: 1
            07 6f7264657273        #     topic \"orders\"
            03                     #     partitions: 2
              00000000             #       0
              00000001             #       1
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
          0069                     #   error_code 105 TRANSACTIONAL_ID_NOT_FOUND
          06 74786e2d32            #   transactional_id \"txn-2\"
          01                       #   transaction_state \"\"
          00000000                 #   transaction_timeout_ms 0
          ffffffffffffffff         #   transaction_start_time_ms -1
          ffffffffffffffff         #   producer_id -1
          ffff                     #   producer_epoch -1
          01                       #   topics: 0
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeTransactionsResponse {
            throttle_time_ms: 0,
            transaction_states: vec![
                TransactionState {
                    error_code: 0,
                    transactional_id: "txn-1".into(),
                    transaction_state: "Ongoing".into(),
                    transaction_timeout_ms: 60_000,
                    transaction_start_time_ms: 1_700_000_000_000,
                    producer_id: 4000,
                    producer_epoch: 1,
                    topics: vec![TopicData { topic: "orders".into(), partitions: vec![0, 1], ..Default::default() }],
                    ..Default::default()
                },
                TransactionState {
                    error_code: 105,
                    transactional_id: "txn-2".into(),
                    transaction_state: "".into(),
                    transaction_timeout_ms: 0,
                    transaction_start_time_ms: -1,
                    producer_id: -1,
                    producer_epoch: -1,
                    topics: vec![],
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
    check(
        0,
        "
        000003e8                   # throttle_time_ms 1000
        01                         # transaction_states: 0
        00                         # TAG_BUFFER
        ",
        &DescribeTransactionsResponse { throttle_time_ms: 1000, ..Default::default() },
    );
}

#[test]
fn list_transactions() {
    use flotilla_protocol::messages::list_transactions_request::ListTransactionsRequest;
    use flotilla_protocol::messages::list_transactions_response::{ListTransactionsResponse, TransactionState};

    // Request v0 (lowest).
    check(
        0,
        "
        02                         # state_filters: 1
          08 4f6e676f696e67        #   \"Ongoing\"
        01                         # producer_id_filters: 0
        00                         # TAG_BUFFER
        ",
        &ListTransactionsRequest {
            state_filters: vec!["Ongoing".into()],
            producer_id_filters: vec![],
            ..Default::default()
        },
    );
    // Request v1: duration filter.
    check(
        1,
        "
        01                         # state_filters: 0
        02                         # producer_id_filters: 1
          0000000000000fa0         #   4000
        000000000000ea60           # duration_filter 60000
        00                         # TAG_BUFFER
        ",
        &ListTransactionsRequest {
            state_filters: vec![],
            producer_id_filters: vec![4000],
            duration_filter: 60_000,
            ..Default::default()
        },
    );
    // Request v2 (highest): transactional id pattern.
    check(
        2,
        "
        01                         # state_filters: 0
        01                         # producer_id_filters: 0
        ffffffffffffffff           # duration_filter -1
        07 74786e2d2e2a            # transactional_id_pattern \"txn-.*\"
        00                         # TAG_BUFFER
        ",
        &ListTransactionsRequest {
            duration_filter: -1,
            transactional_id_pattern: Some("txn-.*".into()),
            ..Default::default()
        },
    );
    // Request v2: null pattern.
    check(
        2,
        "
        01                         # state_filters: 0
        01                         # producer_id_filters: 0
        ffffffffffffffff           # duration_filter -1
        00                         # transactional_id_pattern null
        00                         # TAG_BUFFER
        ",
        &ListTransactionsRequest { duration_filter: -1, transactional_id_pattern: None, ..Default::default() },
    );

    // Response v0 (lowest).
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        01                         # unknown_state_filters: 0
        02                         # transaction_states: 1
          06 74786e2d31            #   transactional_id \"txn-1\"
          0000000000000fa0         #   producer_id 4000
          08 4f6e676f696e67        #   transaction_state \"Ongoing\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &ListTransactionsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            unknown_state_filters: vec![],
            transaction_states: vec![TransactionState {
                transactional_id: "txn-1".into(),
                producer_id: 4000,
                transaction_state: "Ongoing".into(),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v2 (highest): an unknown state filter echoed back.
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        02                         # unknown_state_filters: 1
          06 426f677573            #   \"Bogus\"
        01                         # transaction_states: 0
        00                         # TAG_BUFFER
        ",
        &ListTransactionsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            unknown_state_filters: vec!["Bogus".into()],
            transaction_states: vec![],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// SASL
// ---------------------------------------------------------------------------------------------------------

#[test]
fn sasl_handshake() {
    use flotilla_protocol::messages::{SaslHandshakeRequest, SaslHandshakeResponse};

    // Never flexible.
    check(
        0,
        "
        0005 504c41494e            # mechanism \"PLAIN\"
        ",
        &SaslHandshakeRequest { mechanism: "PLAIN".into(), ..Default::default() },
    );
    check(
        1,
        "
        000d 534352414d2d5348412d323536  # mechanism \"SCRAM-SHA-256\"
        ",
        &SaslHandshakeRequest { mechanism: "SCRAM-SHA-256".into(), ..Default::default() },
    );
    check(
        0,
        "
        0000                       # error_code 0
        00000002                   # mechanisms: 2
          0005 504c41494e          #   \"PLAIN\"
          000d 534352414d2d5348412d323536  # \"SCRAM-SHA-256\"
        ",
        &SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-256".into()],
            ..Default::default()
        },
    );
    check(
        1,
        "
        0021                       # error_code 33 UNSUPPORTED_SASL_MECHANISM
        00000001                   # mechanisms: 1
          0005 504c41494e          #   \"PLAIN\"
        ",
        &SaslHandshakeResponse { error_code: 33, mechanisms: vec!["PLAIN".into()], ..Default::default() },
    );
}

#[test]
fn sasl_authenticate() {
    use flotilla_protocol::messages::{SaslAuthenticateRequest, SaslAuthenticateResponse};

    // PLAIN token: NUL "alice" NUL "secret".
    let token = golden::hex("00 616c696365 00 736563726574");
    // Request v0 (lowest).
    check(
        0,
        "
        0000000d                   # auth_bytes: BYTES length 13
          00 616c696365 00 736563726574  # \\0alice\\0secret
        ",
        &SaslAuthenticateRequest { auth_bytes: token.clone(), ..Default::default() },
    );
    // Request v2 (highest, flexible).
    check(
        2,
        "
        0e                         # auth_bytes: COMPACT_BYTES length 13
          00 616c696365 00 736563726574  # \\0alice\\0secret
        00                         # TAG_BUFFER
        ",
        &SaslAuthenticateRequest { auth_bytes: token, ..Default::default() },
    );
    // Request v2: a 200-byte token; its COMPACT_BYTES length 201 = 0xc9 takes a two-byte UNSIGNED_VARINT
    // (low 7 bits 0x49 with the continuation bit = c9, then 201 >> 7 = 01).
    check(
        2,
        &format!(
            "
            c901                   # auth_bytes: COMPACT_BYTES length 200
            {}                     # 200 bytes of 0xab
            00                     # TAG_BUFFER
            ",
            "ab".repeat(200)
        ),
        &SaslAuthenticateRequest { auth_bytes: vec![0xab; 200].into(), ..Default::default() },
    );
    // Response v0 (lowest).
    check(
        0,
        "
        0000                       # error_code 0
        ffff                       # error_message null
        00000000                   # auth_bytes: empty
        ",
        &SaslAuthenticateResponse {
            error_code: 0,
            error_message: None,
            auth_bytes: golden::hex(""),
            ..Default::default()
        },
    );
    // Response v1 (last non-flexible): session lifetime.
    check(
        1,
        "
        0000                       # error_code 0
        ffff                       # error_message null
        00000002 abcd              # auth_bytes (2 bytes)
        000000000036ee80           # session_lifetime_ms 3600000
        ",
        &SaslAuthenticateResponse {
            error_code: 0,
            error_message: None,
            auth_bytes: golden::hex("abcd"),
            session_lifetime_ms: 3_600_000,
            ..Default::default()
        },
    );
    // Response v2 (highest, flexible): failure.
    check(
        2,
        "
        003a                       # error_code 58 SASL_AUTHENTICATION_FAILED
        0d 6261642070617373776f7264  # error_message \"bad password\"
        01                         # auth_bytes: empty
        0000000000000000           # session_lifetime_ms 0
        00                         # TAG_BUFFER
        ",
        &SaslAuthenticateResponse {
            error_code: 58,
            error_message: Some("bad password".into()),
            auth_bytes: golden::hex(""),
            session_lifetime_ms: 0,
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// ACLs
// ---------------------------------------------------------------------------------------------------------

#[test]
fn create_acls() {
    use flotilla_protocol::messages::create_acls_request::{AclCreation, CreateAclsRequest};
    use flotilla_protocol::messages::create_acls_response::{AclCreationResult, CreateAclsResponse};

    let creation = AclCreation {
        resource_type: 2,
        resource_name: "orders".into(),
        resource_pattern_type: 3,
        principal: "User:alice".into(),
        host: "*".into(),
        operation: 3,
        permission_type: 3,
        ..Default::default()
    };
    // Request v1 (lowest).
    check(
        1,
        "
        00000001                   # creations: 1
          02                       #   resource_type 2 TOPIC
          0006 6f7264657273        #   resource_name \"orders\"
          03                       #   resource_pattern_type 3 LITERAL
          000a 557365723a616c696365  # principal \"User:alice\"
          0001 2a                  #   host \"*\"
          03                       #   operation 3 READ
          03                       #   permission_type 3 ALLOW
        ",
        &CreateAclsRequest { creations: vec![creation.clone()], ..Default::default() },
    );
    // Request v3 (highest, flexible): a prefixed write ACL too.
    check(
        3,
        "
        03                         # creations: 2
          02                       #   resource_type 2 TOPIC
          07 6f7264657273          #   resource_name \"orders\"
          03                       #   resource_pattern_type 3 LITERAL
          0b 557365723a616c696365  #   principal \"User:alice\"
          02 2a                    #   host \"*\"
          03                       #   operation 3 READ
          03                       #   permission_type 3 ALLOW
          00                       #   TAG_BUFFER
          03                       #   resource_type 3 GROUP
          08 62696c6c696e67        #   resource_name \"billing\"
          04                       #   resource_pattern_type 4 PREFIXED
          0b 557365723a616c696365  #   principal \"User:alice\"
          02 2a                    #   host \"*\"
          04                       #   operation 4 WRITE
          02                       #   permission_type 2 DENY
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &CreateAclsRequest {
            creations: vec![
                creation,
                AclCreation {
                    resource_type: 3,
                    resource_name: "billing".into(),
                    resource_pattern_type: 4,
                    principal: "User:alice".into(),
                    host: "*".into(),
                    operation: 4,
                    permission_type: 2,
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
    // Response v1 (lowest).
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # results: 1
          0000                     #   error_code 0
          ffff                     #   error_message null
        ",
        &CreateAclsResponse {
            throttle_time_ms: 0,
            results: vec![AclCreationResult { error_code: 0, error_message: None, ..Default::default() }],
            ..Default::default()
        },
    );
    // Response v2 (first flexible) and v3 (highest) share one layout.
    for version in [2, 3] {
        check(
            version,
            "
        00000000                   # throttle_time_ms 0
        03                         # results: 2
          0000                     #   error_code 0
          00                       #   error_message null
          00                       #   TAG_BUFFER
          0036                     #   error_code 54 SECURITY_DISABLED
          09 64697361626c6564      #   error_message \"disabled\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
            &CreateAclsResponse {
                throttle_time_ms: 0,
                results: vec![
                    AclCreationResult { error_code: 0, error_message: None, ..Default::default() },
                    AclCreationResult { error_code: 54, error_message: Some("disabled".into()), ..Default::default() },
                ],
                ..Default::default()
            },
        );
    }
}

#[test]
fn describe_acls() {
    use flotilla_protocol::messages::describe_acls_request::DescribeAclsRequest;
    use flotilla_protocol::messages::describe_acls_response::{
        AclDescription, DescribeAclsResource, DescribeAclsResponse,
    };

    // Request v1 (lowest): everything on topic "orders".
    check(
        1,
        "
        02                         # resource_type_filter 2 TOPIC
        0006 6f7264657273          # resource_name_filter \"orders\"
        03                         # pattern_type_filter 3 LITERAL
        ffff                       # principal_filter null
        ffff                       # host_filter null
        01                         # operation 1 ANY
        01                         # permission_type 1 ANY
        ",
        &DescribeAclsRequest {
            resource_type_filter: 2,
            resource_name_filter: Some("orders".into()),
            pattern_type_filter: 3,
            principal_filter: None,
            host_filter: None,
            operation: 1,
            permission_type: 1,
            ..Default::default()
        },
    );
    // Request v3 (highest, flexible): everything granted to alice.
    check(
        3,
        "
        01                         # resource_type_filter 1 ANY
        00                         # resource_name_filter null
        01                         # pattern_type_filter 1 ANY
        0b 557365723a616c696365    # principal_filter \"User:alice\"
        00                         # host_filter null
        01                         # operation 1 ANY
        01                         # permission_type 1 ANY
        00                         # TAG_BUFFER
        ",
        &DescribeAclsRequest {
            resource_type_filter: 1,
            resource_name_filter: None,
            pattern_type_filter: 1,
            principal_filter: Some("User:alice".into()),
            host_filter: None,
            operation: 1,
            permission_type: 1,
            ..Default::default()
        },
    );

    let response = DescribeAclsResponse {
        throttle_time_ms: 0,
        error_code: 0,
        error_message: None,
        resources: vec![DescribeAclsResource {
            resource_type: 2,
            resource_name: "orders".into(),
            pattern_type: 3,
            acls: vec![AclDescription {
                principal: "User:alice".into(),
                host: "*".into(),
                operation: 3,
                permission_type: 3,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    // Response v1 (lowest).
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        ffff                       # error_message null
        00000001                   # resources: 1
          02                       #   resource_type 2 TOPIC
          0006 6f7264657273        #   resource_name \"orders\"
          03                       #   pattern_type 3 LITERAL
          00000001                 #   acls: 1
            000a 557365723a616c696365  # principal \"User:alice\"
            0001 2a                #     host \"*\"
            03                     #     operation 3 READ
            03                     #     permission_type 3 ALLOW
        ",
        &response,
    );
    // Response v3 (highest, flexible).
    check(
        3,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        02                         # resources: 1
          02                       #   resource_type 2 TOPIC
          07 6f7264657273          #   resource_name \"orders\"
          03                       #   pattern_type 3 LITERAL
          02                       #   acls: 1
            0b 557365723a616c696365  # principal \"User:alice\"
            02 2a                  #     host \"*\"
            03                     #     operation 3 READ
            03                     #     permission_type 3 ALLOW
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &response,
    );
    // Response v2: security disabled.
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        0036                       # error_code 54 SECURITY_DISABLED
        09 64697361626c6564        # error_message \"disabled\"
        01                         # resources: 0
        00                         # TAG_BUFFER
        ",
        &DescribeAclsResponse {
            throttle_time_ms: 0,
            error_code: 54,
            error_message: Some("disabled".into()),
            resources: vec![],
            ..Default::default()
        },
    );
}

#[test]
fn delete_acls() {
    use flotilla_protocol::messages::delete_acls_request::{DeleteAclsFilter, DeleteAclsRequest};
    use flotilla_protocol::messages::delete_acls_response::{
        DeleteAclsFilterResult, DeleteAclsMatchingAcl, DeleteAclsResponse,
    };

    let filter = DeleteAclsFilter {
        resource_type_filter: 2,
        resource_name_filter: Some("orders".into()),
        pattern_type_filter: 3,
        principal_filter: Some("User:alice".into()),
        host_filter: None,
        operation: 3,
        permission_type: 3,
        ..Default::default()
    };
    // Request v1 (lowest).
    check(
        1,
        "
        00000001                   # filters: 1
          02                       #   resource_type_filter 2 TOPIC
          0006 6f7264657273        #   resource_name_filter \"orders\"
          03                       #   pattern_type_filter 3 LITERAL
          000a 557365723a616c696365  # principal_filter \"User:alice\"
          ffff                     #   host_filter null
          03                       #   operation 3 READ
          03                       #   permission_type 3 ALLOW
        ",
        &DeleteAclsRequest { filters: vec![filter.clone()], ..Default::default() },
    );
    // Request v3 (highest, flexible).
    check(
        3,
        "
        02                         # filters: 1
          02                       #   resource_type_filter 2 TOPIC
          07 6f7264657273          #   resource_name_filter \"orders\"
          03                       #   pattern_type_filter 3 LITERAL
          0b 557365723a616c696365  #   principal_filter \"User:alice\"
          00                       #   host_filter null
          03                       #   operation 3 READ
          03                       #   permission_type 3 ALLOW
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DeleteAclsRequest { filters: vec![filter], ..Default::default() },
    );

    let response = DeleteAclsResponse {
        throttle_time_ms: 0,
        filter_results: vec![DeleteAclsFilterResult {
            error_code: 0,
            error_message: None,
            matching_acls: vec![DeleteAclsMatchingAcl {
                error_code: 0,
                error_message: None,
                resource_type: 2,
                resource_name: "orders".into(),
                pattern_type: 3,
                principal: "User:alice".into(),
                host: "*".into(),
                operation: 3,
                permission_type: 3,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    // Response v1 (lowest).
    check(
        1,
        "
        00000000                   # throttle_time_ms 0
        00000001                   # filter_results: 1
          0000                     #   error_code 0
          ffff                     #   error_message null
          00000001                 #   matching_acls: 1
            0000                   #     error_code 0
            ffff                   #     error_message null
            02                     #     resource_type 2 TOPIC
            0006 6f7264657273      #     resource_name \"orders\"
            03                     #     pattern_type 3 LITERAL
            000a 557365723a616c696365  # principal \"User:alice\"
            0001 2a                #     host \"*\"
            03                     #     operation 3 READ
            03                     #     permission_type 3 ALLOW
        ",
        &response,
    );
    // Response v2 (first flexible).
    check(
        2,
        "
        00000000                   # throttle_time_ms 0
        02                         # filter_results: 1
          0000                     #   error_code 0
          00                       #   error_message null
          02                       #   matching_acls: 1
            0000                   #     error_code 0
            00                     #     error_message null
            02                     #     resource_type 2 TOPIC
            07 6f7264657273        #     resource_name \"orders\"
            03                     #     pattern_type 3 LITERAL
            0b 557365723a616c696365  #   principal \"User:alice\"
            02 2a                  #     host \"*\"
            03                     #     operation 3 READ
            03                     #     permission_type 3 ALLOW
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &response,
    );
    // Response v3 (highest): the filter failed.
    check(
        3,
        "
        00000000                   # throttle_time_ms 0
        02                         # filter_results: 1
          0036                     #   error_code 54 SECURITY_DISABLED
          09 64697361626c6564      #   error_message \"disabled\"
          01                       #   matching_acls: 0
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DeleteAclsResponse {
            throttle_time_ms: 0,
            filter_results: vec![DeleteAclsFilterResult {
                error_code: 54,
                error_message: Some("disabled".into()),
                matching_acls: vec![],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// SCRAM credentials
// ---------------------------------------------------------------------------------------------------------

#[test]
fn describe_user_scram_credentials() {
    use flotilla_protocol::messages::describe_user_scram_credentials_request::{
        DescribeUserScramCredentialsRequest, UserName,
    };
    use flotilla_protocol::messages::describe_user_scram_credentials_response::{
        CredentialInfo, DescribeUserScramCredentialsResponse, DescribeUserScramCredentialsResult,
    };

    // Only version 0 exists (flexible). Null users: describe everyone.
    check(
        0,
        "
        00                         # users: null
        00                         # TAG_BUFFER
        ",
        &DescribeUserScramCredentialsRequest { users: None, ..Default::default() },
    );
    check(
        0,
        "
        03                         # users: 2
          06 616c696365            #   name \"alice\"
          00                       #   TAG_BUFFER
          04 626f62                #   name \"bob\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeUserScramCredentialsRequest {
            users: Some(vec![
                UserName { name: "alice".into(), ..Default::default() },
                UserName { name: "bob".into(), ..Default::default() },
            ]),
            ..Default::default()
        },
    );
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        0000                       # error_code 0
        00                         # error_message null
        03                         # results: 2
          06 616c696365            #   user \"alice\"
          0000                     #   error_code 0
          00                       #   error_message null
          03                       #   credential_infos: 2
            01                     #     mechanism 1 SCRAM-SHA-256
            00001000               #     iterations 4096
            00                     #     TAG_BUFFER
            02                     #     mechanism 2 SCRAM-SHA-512
            00002000               #     iterations 8192
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
          04 626f62                #   user \"bob\"
          005b                     #   error_code 91 RESOURCE_NOT_FOUND
          0a 6e6f7420666f756e64    #   error_message \"not found\"
          01                       #   credential_infos: 0
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeUserScramCredentialsResponse {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            results: vec![
                DescribeUserScramCredentialsResult {
                    user: "alice".into(),
                    error_code: 0,
                    error_message: None,
                    credential_infos: vec![
                        CredentialInfo { mechanism: 1, iterations: 4096, ..Default::default() },
                        CredentialInfo { mechanism: 2, iterations: 8192, ..Default::default() },
                    ],
                    ..Default::default()
                },
                DescribeUserScramCredentialsResult {
                    user: "bob".into(),
                    error_code: 91,
                    error_message: Some("not found".into()),
                    credential_infos: vec![],
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

#[test]
fn alter_user_scram_credentials() {
    use flotilla_protocol::messages::alter_user_scram_credentials_request::{
        AlterUserScramCredentialsRequest, ScramCredentialDeletion, ScramCredentialUpsertion,
    };
    use flotilla_protocol::messages::alter_user_scram_credentials_response::{
        AlterUserScramCredentialsResponse, AlterUserScramCredentialsResult,
    };

    // Only version 0 exists (flexible).
    check(
        0,
        "
        02                         # deletions: 1
          04 626f62                #   name \"bob\"
          02                       #   mechanism 2 SCRAM-SHA-512
          00                       #   TAG_BUFFER
        02                         # upsertions: 1
          06 616c696365            #   name \"alice\"
          01                       #   mechanism 1 SCRAM-SHA-256
          00001000                 #   iterations 4096
          05 73616c74              #   salt \"salt\" (COMPACT_BYTES)
          05 01020304              #   salted_password (4 bytes)
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AlterUserScramCredentialsRequest {
            deletions: vec![ScramCredentialDeletion { name: "bob".into(), mechanism: 2, ..Default::default() }],
            upsertions: vec![ScramCredentialUpsertion {
                name: "alice".into(),
                mechanism: 1,
                iterations: 4096,
                salt: golden::hex("73616c74"),
                salted_password: golden::hex("01020304"),
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    check(
        0,
        "
        01                         # deletions: 0
        01                         # upsertions: 0
        00                         # TAG_BUFFER
        ",
        &AlterUserScramCredentialsRequest::default(),
    );
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        03                         # results: 2
          06 616c696365            #   user \"alice\"
          0000                     #   error_code 0
          00                       #   error_message null
          00                       #   TAG_BUFFER
          04 626f62                #   user \"bob\"
          005b                     #   error_code 91 RESOURCE_NOT_FOUND
          0a 6e6f7420666f756e64    #   error_message \"not found\"
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &AlterUserScramCredentialsResponse {
            throttle_time_ms: 0,
            results: vec![
                AlterUserScramCredentialsResult {
                    user: "alice".into(),
                    error_code: 0,
                    error_message: None,
                    ..Default::default()
                },
                AlterUserScramCredentialsResult {
                    user: "bob".into(),
                    error_code: 91,
                    error_message: Some("not found".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// Quorum and topic partitions
// ---------------------------------------------------------------------------------------------------------

#[test]
fn describe_quorum() {
    use flotilla_protocol::messages::describe_quorum_request::{
        DescribeQuorumRequest, PartitionData as RequestPartition, TopicData as RequestTopic,
    };
    use flotilla_protocol::messages::describe_quorum_response::{
        DescribeQuorumResponse, Listener, Node, PartitionData, ReplicaState, TopicData,
    };

    let request = DescribeQuorumRequest {
        topics: vec![RequestTopic {
            topic_name: "__cluster_metadata".into(),
            partitions: vec![RequestPartition { partition_index: 0, ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let request_bytes = "
        02                         # topics: 1
          13 5f5f636c75737465725f6d65746164617461  # topic_name \"__cluster_metadata\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ";
    // Request v0 (lowest) and v2 (highest) share one layout.
    check(0, request_bytes, &request);
    check(2, request_bytes, &request);

    // Response v0 (lowest): no timestamps, no directory ids, no error messages.
    check(
        0,
        "
        0000                       # error_code 0
        02                         # topics: 1
          13 5f5f636c75737465725f6d65746164617461  # topic_name \"__cluster_metadata\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00000001               #     leader_id 1
            00000005               #     leader_epoch 5
            0000000000000400       #     high_watermark 1024
            02                     #     current_voters: 1
              00000001             #       replica_id 1
              0000000000000400     #       log_end_offset 1024
              00                   #       TAG_BUFFER
            01                     #     observers: 0
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeQuorumResponse {
            error_code: 0,
            topics: vec![TopicData {
                topic_name: "__cluster_metadata".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    error_code: 0,
                    leader_id: 1,
                    leader_epoch: 5,
                    high_watermark: 1024,
                    current_voters: vec![ReplicaState {
                        replica_id: 1,
                        log_end_offset: 1024,
                        last_fetch_timestamp: -1,
                        last_caught_up_timestamp: -1,
                        ..Default::default()
                    }],
                    observers: vec![],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v1: fetch and caught-up timestamps; an observer.
    check(
        1,
        "
        0000                       # error_code 0
        02                         # topics: 1
          13 5f5f636c75737465725f6d65746164617461  # topic_name \"__cluster_metadata\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00000001               #     leader_id 1
            00000005               #     leader_epoch 5
            0000000000000400       #     high_watermark 1024
            02                     #     current_voters: 1
              00000001             #       replica_id 1
              0000000000000400     #       log_end_offset 1024
              0000018bcfe56800     #       last_fetch_timestamp 1700000000000
              0000018bcfe56800     #       last_caught_up_timestamp 1700000000000
              00                   #       TAG_BUFFER
            02                     #     observers: 1
              00000004             #       replica_id 4
              00000000000003ff     #       log_end_offset 1023
              ffffffffffffffff     #       last_fetch_timestamp -1
              ffffffffffffffff     #       last_caught_up_timestamp -1
              00                   #       TAG_BUFFER
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeQuorumResponse {
            error_code: 0,
            topics: vec![TopicData {
                topic_name: "__cluster_metadata".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    error_code: 0,
                    leader_id: 1,
                    leader_epoch: 5,
                    high_watermark: 1024,
                    current_voters: vec![ReplicaState {
                        replica_id: 1,
                        log_end_offset: 1024,
                        last_fetch_timestamp: 1_700_000_000_000,
                        last_caught_up_timestamp: 1_700_000_000_000,
                        ..Default::default()
                    }],
                    observers: vec![ReplicaState {
                        replica_id: 4,
                        log_end_offset: 1023,
                        last_fetch_timestamp: -1,
                        last_caught_up_timestamp: -1,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v2 (highest): error messages, directory ids and the voters' endpoints.
    check(
        2,
        "
        0000                       # error_code 0
        00                         # error_message null
        02                         # topics: 1
          13 5f5f636c75737465725f6d65746164617461  # topic_name \"__cluster_metadata\"
          02                       #   partitions: 1
            00000000               #     partition_index 0
            0000                   #     error_code 0
            00                     #     error_message null
            00000001               #     leader_id 1
            00000005               #     leader_epoch 5
            0000000000000400       #     high_watermark 1024
            02                     #     current_voters: 1
              00000001             #       replica_id 1
              00112233445566778899aabbccddeeff  # replica_directory_id
              0000000000000400     #       log_end_offset 1024
              0000018bcfe56800     #       last_fetch_timestamp 1700000000000
              0000018bcfe56800     #       last_caught_up_timestamp 1700000000000
              00                   #       TAG_BUFFER
            01                     #     observers: 0
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        02                         # nodes: 1
          00000001                 #   node_id 1
          02                       #   listeners: 1
            0b 434f4e54524f4c4c4552  #   name \"CONTROLLER\"
            0a 6c6f63616c686f7374  #     host \"localhost\"
            2385                   #     port 9093 (UINT16)
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeQuorumResponse {
            error_code: 0,
            error_message: None,
            topics: vec![TopicData {
                topic_name: "__cluster_metadata".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    error_code: 0,
                    error_message: None,
                    leader_id: 1,
                    leader_epoch: 5,
                    high_watermark: 1024,
                    current_voters: vec![ReplicaState {
                        replica_id: 1,
                        replica_directory_id: DIR_ID,
                        log_end_offset: 1024,
                        last_fetch_timestamp: 1_700_000_000_000,
                        last_caught_up_timestamp: 1_700_000_000_000,
                        ..Default::default()
                    }],
                    observers: vec![],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            nodes: vec![Node {
                node_id: 1,
                listeners: vec![Listener {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 9093,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    // Response v2: not the controller; a top-level error with a message, a port above i16::MAX.
    check(
        2,
        "
        0006                       # error_code 6 NOT_LEADER_OR_FOLLOWER
        0a 6e6f7420666f756e64      # error_message \"not found\"
        01                         # topics: 0
        02                         # nodes: 1
          00000002                 #   node_id 2
          02                       #   listeners: 1
            0b 434f4e54524f4c4c4552  #   name \"CONTROLLER\"
            0a 6c6f63616c686f7374  #     host \"localhost\"
            ea60                   #     port 60000 (UINT16)
            00                     #     TAG_BUFFER
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeQuorumResponse {
            error_code: 6,
            error_message: Some("not found".into()),
            topics: vec![],
            nodes: vec![Node {
                node_id: 2,
                listeners: vec![Listener {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 60000,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        },
    );
}

#[test]
fn describe_topic_partitions() {
    use flotilla_protocol::messages::describe_topic_partitions_request::{
        Cursor as RequestCursor, DescribeTopicPartitionsRequest, TopicRequest,
    };
    use flotilla_protocol::messages::describe_topic_partitions_response::{
        Cursor, DescribeTopicPartitionsResponse, DescribeTopicPartitionsResponsePartition,
        DescribeTopicPartitionsResponseTopic,
    };

    // Only version 0 exists (flexible). No cursor.
    check(
        0,
        "
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          00                       #   TAG_BUFFER
        000007d0                   # response_partition_limit 2000
        ff                         # cursor: null
        00                         # TAG_BUFFER
        ",
        &DescribeTopicPartitionsRequest {
            topics: vec![TopicRequest { name: "orders".into(), ..Default::default() }],
            response_partition_limit: 2000,
            cursor: None,
            ..Default::default()
        },
    );
    // Resuming from a cursor.
    check(
        0,
        "
        02                         # topics: 1
          07 6f7264657273          #   name \"orders\"
          00                       #   TAG_BUFFER
        00000001                   # response_partition_limit 1
        01                         # cursor: present
          07 6f7264657273          #   topic_name \"orders\"
          00000001                 #   partition_index 1
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeTopicPartitionsRequest {
            topics: vec![TopicRequest { name: "orders".into(), ..Default::default() }],
            response_partition_limit: 1,
            cursor: Some(RequestCursor { topic_name: "orders".into(), partition_index: 1, ..Default::default() }),
            ..Default::default()
        },
    );
    // Response: one partition, no ELR, no next cursor.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        02                         # topics: 1
          0000                     #   error_code 0
          07 6f7264657273          #   name \"orders\"
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
          00                       #   is_internal false
          02                       #   partitions: 1
            0000                   #     error_code 0
            00000000               #     partition_index 0
            00000001               #     leader_id 1
            00000003               #     leader_epoch 3
            04                     #     replica_nodes: 3
              00000001             #       1
              00000002             #       2
              00000003             #       3
            03                     #     isr_nodes: 2
              00000001             #       1
              00000002             #       2
            00                     #     eligible_leader_replicas: null
            00                     #     last_known_elr: null
            01                     #     offline_replicas: 0
            00                     #     TAG_BUFFER
          80000000                 #   topic_authorized_operations -2147483648
          00                       #   TAG_BUFFER
        ff                         # next_cursor: null
        00                         # TAG_BUFFER
        ",
        &DescribeTopicPartitionsResponse {
            throttle_time_ms: 0,
            topics: vec![DescribeTopicPartitionsResponseTopic {
                error_code: 0,
                name: Some("orders".into()),
                topic_id: ORDERS_ID,
                is_internal: false,
                partitions: vec![DescribeTopicPartitionsResponsePartition {
                    error_code: 0,
                    partition_index: 0,
                    leader_id: 1,
                    leader_epoch: 3,
                    replica_nodes: vec![1, 2, 3],
                    isr_nodes: vec![1, 2],
                    eligible_leader_replicas: None,
                    last_known_elr: None,
                    offline_replicas: vec![],
                    ..Default::default()
                }],
                topic_authorized_operations: i32::MIN,
                ..Default::default()
            }],
            next_cursor: None,
            ..Default::default()
        },
    );
    // Response: ELR present, a next cursor, and an unknown topic with a null name.
    check(
        0,
        "
        00000000                   # throttle_time_ms 0
        03                         # topics: 2
          0000                     #   error_code 0
          07 6f7264657273          #   name \"orders\"
          0f1e2d3c4b5a69788796a5b4c3d2e1f0  # topic_id
          00                       #   is_internal false
          02                       #   partitions: 1
            0000                   #     error_code 0
            00000000               #     partition_index 0
            ffffffff               #     leader_id -1
            00000004               #     leader_epoch 4
            04                     #     replica_nodes: 3
              00000001             #       1
              00000002             #       2
              00000003             #       3
            01                     #     isr_nodes: 0
            02                     #     eligible_leader_replicas: 1
              00000003             #       3
            01                     #     last_known_elr: 0
            02                     #     offline_replicas: 1
              00000001             #       1
            00                     #     TAG_BUFFER
          00000148                 #   topic_authorized_operations
          00                       #   TAG_BUFFER
          0003                     #   error_code 3 UNKNOWN_TOPIC_OR_PARTITION
          00                       #   name null
          00000000000000000000000000000000  # topic_id (nil)
          00                       #   is_internal false
          01                       #   partitions: 0
          80000000                 #   topic_authorized_operations -2147483648
          00                       #   TAG_BUFFER
        01                         # next_cursor: present
          07 6f7264657273          #   topic_name \"orders\"
          00000001                 #   partition_index 1
          00                       #   TAG_BUFFER
        00                         # TAG_BUFFER
        ",
        &DescribeTopicPartitionsResponse {
            throttle_time_ms: 0,
            topics: vec![
                DescribeTopicPartitionsResponseTopic {
                    error_code: 0,
                    name: Some("orders".into()),
                    topic_id: ORDERS_ID,
                    is_internal: false,
                    partitions: vec![DescribeTopicPartitionsResponsePartition {
                        error_code: 0,
                        partition_index: 0,
                        leader_id: -1,
                        leader_epoch: 4,
                        replica_nodes: vec![1, 2, 3],
                        isr_nodes: vec![],
                        eligible_leader_replicas: Some(vec![3]),
                        last_known_elr: Some(vec![]),
                        offline_replicas: vec![1],
                        ..Default::default()
                    }],
                    topic_authorized_operations: 0x148,
                    ..Default::default()
                },
                DescribeTopicPartitionsResponseTopic {
                    error_code: 3,
                    name: None,
                    topic_id: Uuid::nil(),
                    is_internal: false,
                    partitions: vec![],
                    topic_authorized_operations: i32::MIN,
                    ..Default::default()
                },
            ],
            next_cursor: Some(Cursor { topic_name: "orders".into(), partition_index: 1, ..Default::default() }),
            ..Default::default()
        },
    );
}
