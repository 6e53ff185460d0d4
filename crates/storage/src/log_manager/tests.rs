#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use flotilla_model::LeaderEpoch;

use super::*;
use crate::clean_shutdown::CLEAN_SHUTDOWN_FILE;
use crate::test_util::{batch, small_config, tp};

fn open(dirs: &[PathBuf]) -> LogManager {
    LogManager::open(dirs, |_| small_config(), 0).unwrap()
}

fn produce(log: &Log, count: usize) {
    for _ in 0..count {
        log.append_as_leader(batch(0, 1, 1_000, 150), LeaderEpoch::new(0), 0).unwrap();
    }
}

fn all_records(log: &Log) -> Bytes {
    log.read(log.log_start_offset(), 1 << 24, log.log_end_offset(), true).unwrap().records
}

#[test]
fn create_spread_shutdown_and_reopen_cleanly() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().join("a"), root.path().join("b")];
    let manager = open(&dirs);
    assert!(manager.report().clean_shutdown_dirs.is_empty());
    let mut contents = BTreeMap::new();
    for p in 0..4 {
        let log = manager.get_or_create_log(&tp("orders", p), small_config(), 0).unwrap();
        produce(&log, 10 + p as usize * 10);
        log.update_high_watermark(log.log_end_offset());
        contents.insert(tp("orders", p), all_records(&log));
    }
    // Spread over both dirs, two each.
    for dir in &dirs {
        assert_eq!(fs::read_dir(dir).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir()).count(), 2);
    }
    let again = manager.get_or_create_log(&tp("orders", 0), small_config(), 0).unwrap();
    assert!(Arc::ptr_eq(&again, &manager.log(&tp("orders", 0)).unwrap()));

    manager.shutdown(42, 0).unwrap();
    for dir in &dirs {
        for name in [
            CLEAN_SHUTDOWN_FILE,
            RECOVERY_POINT_CHECKPOINT_FILE,
            LOG_START_OFFSET_CHECKPOINT_FILE,
            REPLICATION_OFFSET_CHECKPOINT_FILE,
        ] {
            assert!(dir.join(name).exists(), "{name} in {}", dir.display());
        }
        assert_eq!(CleanShutdownFile::in_dir(dir).read_broker_epoch(), Some(42));
    }
    drop(manager);

    let manager = open(&dirs);
    assert_eq!(manager.report().clean_shutdown_dirs, dirs);
    assert_eq!(manager.report().logs_loaded, 4);
    for dir in &dirs {
        assert!(!dir.join(CLEAN_SHUTDOWN_FILE).exists(), "the marker goes once the logs are loaded");
    }
    for (tp, records) in &contents {
        let log = manager.log(tp).unwrap();
        assert!(log.load_report().recovered_segments.is_empty(), "{tp}: no recovery after a clean shutdown");
        assert_eq!(&all_records(&log), records);
        assert_eq!(log.high_watermark(), log.log_end_offset());
    }
}

#[test]
fn crash_recovers_from_the_checkpointed_recovery_points() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    let manager = open(&dirs);
    let log = manager.get_or_create_log(&tp("t", 0), small_config(), 0).unwrap();
    produce(&log, 50);
    log.update_high_watermark(Offset::new(40));
    manager.checkpoint_all().unwrap();
    let recovery_point = log.recovery_point();
    assert!(recovery_point.get() > 0, "rolls flushed the older segments");
    produce(&log, 5);
    drop(log);
    drop(manager); // no shutdown: a crash

    let manager = open(&dirs);
    let log = manager.log(&tp("t", 0)).unwrap();
    assert_eq!(log.log_end_offset(), Offset::new(55));
    assert_eq!(log.high_watermark(), Offset::new(40));
    let recovered = &log.load_report().recovered_segments;
    assert!(!recovered.is_empty());
    assert!(recovered.iter().all(|base| log.segments().iter().any(|s| s.base_offset == *base)));
    assert!(recovered[0] <= recovery_point && recovered[0] > Offset::new(0), "scan starts at the recovery point");
}

#[test]
fn corrupt_checkpoint_is_ignored_with_a_warning() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    let manager = open(&dirs);
    let log = manager.get_or_create_log(&tp("t", 0), small_config(), 0).unwrap();
    produce(&log, 30);
    let before = all_records(&log);
    manager.checkpoint_all().unwrap();
    drop(log);
    drop(manager);
    fs::write(root.path().join(RECOVERY_POINT_CHECKPOINT_FILE), "0\n7\nt 0 banana\n").unwrap();

    let manager = open(&dirs);
    assert_eq!(manager.report().corrupt_checkpoints.len(), 1);
    assert!(manager.report().corrupt_checkpoints[0].contains("line 3"));
    let log = manager.log(&tp("t", 0)).unwrap();
    assert_eq!(log.load_report().recovered_segments.first(), Some(&Offset::new(0)), "recovered from the start");
    assert_eq!(all_records(&log), before);
}

#[test]
fn skips_what_is_not_a_partition_and_finishes_deletes() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    for name in ["lost+found", "notes", "orders-0.0123abcd-delete", "orders-1-future"] {
        fs::create_dir(root.path().join(name)).unwrap();
    }
    fs::write(root.path().join("orders-0.0123abcd-delete").join("00000000000000000000.log"), b"x").unwrap();
    fs::write(root.path().join("meta.properties"), "node.id=1\n").unwrap();
    let manager = open(&dirs);
    assert_eq!(manager.report().logs_loaded, 0);
    let skipped: Vec<_> =
        manager.report().skipped_dirs.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_owned()).collect();
    assert_eq!(skipped, vec!["lost+found", "notes", "orders-1-future"]);
    assert!(!root.path().join("orders-0.0123abcd-delete").exists());
    assert!(root.path().join("meta.properties").exists());
}

#[test]
fn delete_log_removes_its_directory() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    let manager = open(&dirs);
    let log = manager.get_or_create_log(&tp("gone", 2), small_config(), 0).unwrap();
    produce(&log, 3);
    let dir = log.dir().to_path_buf();
    assert!(manager.delete_log(&tp("gone", 2)).unwrap());
    assert!(!dir.exists());
    assert!(manager.log(&tp("gone", 2)).is_none());
    assert!(!manager.delete_log(&tp("gone", 2)).unwrap());
    manager.checkpoint_all().unwrap();
    let checkpoint = fs::read_to_string(root.path().join(RECOVERY_POINT_CHECKPOINT_FILE)).unwrap();
    assert_eq!(checkpoint, "0\n0\n");
}

#[test]
fn a_broken_log_dir_goes_offline_and_the_others_carry_on() {
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good");
    let bad = root.path().join("bad");
    fs::write(&bad, b"a file where a directory should be").unwrap();
    let manager = open(&[good.clone(), bad.clone()]);
    assert_eq!(manager.offline_dirs(), vec![bad.clone()]);
    assert_eq!(manager.report().offline_dirs.len(), 1);
    let failures = manager.take_new_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].dir, bad);
    assert!(manager.take_new_failures().is_empty(), "reported once");
    // New logs go to the online dir.
    let log = manager.get_or_create_log(&tp("t", 0), small_config(), 0).unwrap();
    assert!(log.dir().starts_with(&good));

    let err = LogManager::open(&[bad], |_| small_config(), 0).unwrap_err();
    assert!(matches!(err, StorageError::NoOnlineLogDir), "{err}");
}

#[test]
fn the_same_partition_in_two_dirs_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().join("a"), root.path().join("b")];
    for dir in &dirs {
        fs::create_dir_all(dir.join("t-0")).unwrap();
    }
    let err = LogManager::open(&dirs, |_| small_config(), 0).unwrap_err();
    assert!(matches!(err, StorageError::DuplicateLog { .. }), "{err}");
}

#[test]
fn retention_and_periodic_flush_run_over_all_logs() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    let manager = open(&dirs);
    let config = LogConfig { retention_bytes: Some(5_000), flush_ms: Some(100), ..small_config() };
    let log = manager.get_or_create_log(&tp("t", 0), config, 0).unwrap();
    produce(&log, 60);
    log.update_high_watermark(log.log_end_offset());
    let deleted = manager.delete_old_segments(0);
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].0, tp("t", 0));
    assert!(log.size_bytes() <= 5_000 + 4_096);
    assert!(log.recovery_point() < log.log_end_offset());
    manager.flush_dirty_logs(1_000);
    assert_eq!(log.recovery_point(), log.log_end_offset());
}

#[test]
fn truncation_through_the_manager_rewrites_the_checkpoints() {
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    let manager = open(&dirs);
    let log = manager.get_or_create_log(&tp("t", 0), small_config(), 0).unwrap();
    produce(&log, 40);
    log.flush(0).unwrap();
    log.update_high_watermark(Offset::new(40));
    log.advance_log_start_offset(Offset::new(30)).unwrap();
    manager.checkpoint_all().unwrap();
    let read = |name| OffsetCheckpointFile::in_dir(root.path(), name).read().unwrap()[&tp("t", 0)];
    assert_eq!(read(RECOVERY_POINT_CHECKPOINT_FILE), Offset::new(40));

    assert!(manager.truncate_to(&tp("t", 0), Offset::new(35), 0).unwrap());
    assert_eq!(read(RECOVERY_POINT_CHECKPOINT_FILE), Offset::new(35));
    manager.truncate_fully_and_start_at(&tp("t", 0), Offset::new(10), 0).unwrap();
    assert_eq!(read(RECOVERY_POINT_CHECKPOINT_FILE), Offset::new(10));
    assert_eq!(read(LOG_START_OFFSET_CHECKPOINT_FILE), Offset::new(10));
    produce(&log, 2);
    drop(log);
    drop(manager);
    // A crash now recovers a log that starts at 10, not at the old start 30.
    let manager = open(&dirs);
    let log = manager.log(&tp("t", 0)).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (Offset::new(10), Offset::new(12)));
    assert!(matches!(manager.truncate_to(&tp("nope", 0), Offset::new(0), 0), Err(StorageError::LogClosed { .. })));
}

#[test]
fn the_metadata_log_directory_is_left_alone() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let raft = dir.join("__cluster_metadata-0").join("raft");
    fs::create_dir_all(&raft).unwrap();
    fs::write(raft.join("CURRENT"), b"MANIFEST-000001\n").unwrap();
    let manager = open(std::slice::from_ref(&dir));
    assert!(manager.logs().is_empty());
    let names: Vec<String> = fs::read_dir(dir.join("__cluster_metadata-0"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["raft".to_string()], "no segment files may appear in the metadata log dir");
}

#[test]
fn concurrent_truncations_write_the_dir_checkpoint_one_at_a_time() {
    // Followers truncate different partitions of one dir at once (one fetcher task per leader); each
    // truncation rewrites the dir's recovery point checkpoint through the same temporary file.
    let root = tempfile::tempdir().unwrap();
    let dirs = vec![root.path().to_path_buf()];
    let manager = Arc::new(open(&dirs));
    const PARTITIONS: i32 = 4;
    const ROUNDS: i64 = 50;
    for p in 0..PARTITIONS {
        let log = manager.get_or_create_log(&tp("t", p), small_config(), 0).unwrap();
        produce(&log, usize::try_from(ROUNDS).unwrap() + 1);
    }
    let threads: Vec<_> = (0..PARTITIONS)
        .map(|p| {
            let manager = Arc::clone(&manager);
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    manager.truncate_to(&tp("t", p), Offset::new(ROUNDS - round), 0).unwrap();
                    manager.checkpoint_recovery_points().unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(manager.take_new_failures().is_empty(), "the log dir stayed online");
    let written = OffsetCheckpointFile::in_dir(root.path(), RECOVERY_POINT_CHECKPOINT_FILE).read().unwrap();
    assert_eq!(written.len(), usize::try_from(PARTITIONS).unwrap());
}
