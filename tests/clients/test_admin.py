"""Topic administration through librdkafka's and kafka-python's admin clients: every error Kafka returns."""

import confluent_kafka
import kafka
import kafka.admin
import kafka.errors
import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from clients import create_topic, produce_confluent


@pytest.fixture
def admin(node):
    return AdminClient({"bootstrap.servers": node.bootstrap})


def create_error(admin, topic: NewTopic, **kwargs):
    try:
        admin.create_topics([topic], operation_timeout=30, **kwargs)[topic.topic].result(timeout=60)
    except confluent_kafka.KafkaException as e:
        return e.args[0].code()
    return None


def test_create_describe_grow_and_delete(admin, node, topic_name):
    assert create_error(admin, NewTopic(topic_name, 2, 1, config={"retention.ms": "3600000"})) is None
    meta = admin.list_topics(timeout=30)
    assert len(meta.topics[topic_name].partitions) == 2
    assert meta.topics[topic_name].partitions[0].leader == 1

    resource = ConfigResource(ConfigResource.Type.TOPIC, topic_name)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    assert configs["retention.ms"].value == "3600000"
    assert configs["retention.ms"].source == confluent_kafka.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert configs["cleanup.policy"].value == "delete"
    assert configs["cleanup.policy"].is_default

    admin.create_partitions([NewPartitions(topic_name, 5)])[topic_name].result(timeout=60)
    assert len(admin.list_topics(timeout=30).topics[topic_name].partitions) == 5

    produce_confluent(node.bootstrap, topic_name, [(None, b"doomed")])
    admin.delete_topics([topic_name], operation_timeout=30)[topic_name].result(timeout=60)
    assert topic_name not in admin.list_topics(timeout=30).topics
    # Delete removes the data from disk.
    assert not [d for d in node.data.iterdir() if d.name.startswith(topic_name + "-")]


def test_create_errors(admin, topic_name):
    assert create_error(admin, NewTopic(topic_name, 1, 1)) is None
    assert create_error(admin, NewTopic(topic_name, 1, 1)) == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS
    assert create_error(admin, NewTopic("bad/name", 1, 1)) == confluent_kafka.KafkaError.TOPIC_EXCEPTION
    assert create_error(admin, NewTopic("x" * 250, 1, 1)) == confluent_kafka.KafkaError.TOPIC_EXCEPTION
    assert create_error(admin, NewTopic(topic_name + "-rf", 1, 3)) == \
        confluent_kafka.KafkaError.INVALID_REPLICATION_FACTOR
    assert create_error(admin, NewTopic(topic_name + "-p", 0, 1)) == confluent_kafka.KafkaError.INVALID_PARTITIONS
    assert create_error(admin, NewTopic(topic_name + "-c", 1, 1, config={"cleanup.policy": "sideways"})) == \
        confluent_kafka.KafkaError.INVALID_CONFIG
    assert create_error(admin, NewTopic(topic_name + "-u", 1, 1, config={"no.such.config": "1"})) == \
        confluent_kafka.KafkaError.INVALID_CONFIG


def test_validate_only_creates_nothing(admin, topic_name):
    assert create_error(admin, NewTopic(topic_name, 4, 1), validate_only=True) is None
    assert topic_name not in admin.list_topics(timeout=30).topics
    assert create_error(admin, NewTopic(topic_name, 1, 3), validate_only=True) == \
        confluent_kafka.KafkaError.INVALID_REPLICATION_FACTOR


def test_partitions_only_grow(admin, topic_name):
    create_error(admin, NewTopic(topic_name, 3, 1))
    for count in (3, 2):
        with pytest.raises(confluent_kafka.KafkaException) as e:
            admin.create_partitions([NewPartitions(topic_name, count)])[topic_name].result(timeout=60)
        assert e.value.args[0].code() == confluent_kafka.KafkaError.INVALID_PARTITIONS
    with pytest.raises(confluent_kafka.KafkaException) as e:
        admin.create_partitions([NewPartitions(topic_name + "-missing", 4)])[topic_name + "-missing"].result(60)
    assert e.value.args[0].code() == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART


def test_deleting_an_unknown_topic(admin, topic_name):
    with pytest.raises(confluent_kafka.KafkaException) as e:
        admin.delete_topics([topic_name], operation_timeout=30)[topic_name].result(timeout=60)
    assert e.value.args[0].code() == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART


def test_kafka_python_admin_errors(node, topic_name):
    client = kafka.admin.KafkaAdminClient(bootstrap_servers=node.bootstrap)
    try:
        client.create_topics([kafka.admin.NewTopic(topic_name, 2, 1)])
        with pytest.raises(kafka.errors.TopicAlreadyExistsError):
            client.create_topics([kafka.admin.NewTopic(topic_name, 2, 1)])
        with pytest.raises(kafka.errors.InvalidReplicationFactorError):
            client.create_topics([kafka.admin.NewTopic(topic_name + "-rf", 1, 2)])
        with pytest.raises(kafka.errors.InvalidPartitionsError):
            client.create_partitions({topic_name: kafka.admin.NewPartitions(1)})
        assert topic_name in client.list_topics()
        client.delete_topics([topic_name])
        with pytest.raises(kafka.errors.UnknownTopicOrPartitionError):
            client.delete_topics([topic_name])
    finally:
        client.close()


def test_topic_names_that_collide_on_dot_and_underscore(admin, topic_name):
    base = topic_name.replace("-", "")[:40]
    assert create_error(admin, NewTopic(f"{base}.a", 1, 1)) is None
    assert create_error(admin, NewTopic(f"{base}_a", 1, 1)) == confluent_kafka.KafkaError.TOPIC_EXCEPTION
