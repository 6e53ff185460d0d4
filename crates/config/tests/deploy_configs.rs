//! The example configs under `deploy/` load without warnings and describe one cluster: distinct node ids
//! and ports, the same voters and cluster id everywhere, each node's controller listener where the
//! voters say it is.

#![allow(clippy::unwrap_used)]

use flotilla_config::ServerConfig;

const LOCAL: [&str; 3] = [
    include_str!("../../../deploy/local/node-1.properties"),
    include_str!("../../../deploy/local/node-2.properties"),
    include_str!("../../../deploy/local/node-3.properties"),
];

#[test]
fn the_local_three_node_configs_form_one_cluster() {
    let loaded: Vec<_> =
        LOCAL.iter().map(|text| ServerConfig::load(Some(text), std::iter::empty::<(&str, &str)>()).unwrap()).collect();
    for (i, l) in loaded.iter().enumerate() {
        assert!(l.warnings.is_empty(), "node-{}: {:?}", i + 1, l.warnings);
    }
    let configs: Vec<&ServerConfig> = loaded.iter().map(|l| &l.config).collect();
    let ids: Vec<i32> = configs.iter().map(|c| c.node_id.get()).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    for config in &configs {
        assert_eq!(config.cluster_id, configs[0].cluster_id);
        assert_eq!(config.controller_quorum_voters, configs[0].controller_quorum_voters);
        assert!(config.is_broker() && config.is_controller());
        let own = config.controller_quorum_voters.iter().find(|v| v.node_id == config.node_id).unwrap();
        let controller =
            config.listeners.iter().find(|l| config.controller_listener_names.contains(&l.listener_name)).unwrap();
        assert_eq!(own.address.to_string(), format!("{}:{}", controller.host.as_deref().unwrap(), controller.port));
    }
    let mut ports: Vec<u16> = configs.iter().flat_map(|c| c.listeners.iter().map(|l| l.port)).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 6, "every listener has its own port");
}

#[test]
fn the_local_broker_only_node_joins_that_cluster() {
    let text = include_str!("../../../deploy/local/broker-4.properties");
    let loaded = ServerConfig::load(Some(text), std::iter::empty::<(&str, &str)>()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let broker = &loaded.config;
    let node_1 = ServerConfig::load(Some(LOCAL[0]), std::iter::empty::<(&str, &str)>()).unwrap().config;
    assert!(broker.is_broker() && !broker.is_controller());
    assert_eq!(broker.node_id.get(), 4);
    assert_eq!(broker.cluster_id, node_1.cluster_id);
    assert_eq!(broker.controller_quorum_voters, node_1.controller_quorum_voters);
    let taken: Vec<u16> = LOCAL
        .iter()
        .map(|text| ServerConfig::load(Some(text), std::iter::empty::<(&str, &str)>()).unwrap().config)
        .flat_map(|c| c.listeners.into_iter().map(|l| l.port).chain(c.prometheus_listener.map(|p| p.port)))
        .collect();
    for port in broker.listeners.iter().map(|l| l.port).chain(broker.prometheus_listener.as_ref().map(|p| p.port)) {
        assert!(!taken.contains(&port), "port {port} is already used by a node of the cluster");
    }
}
