//! The seed's adapter pattern end to end: busybox appends
//! `$(date -u)'#This is log'` to a file, adapter-fmt follows it and serves
//! the normalised records on HTTP.

mod common;

use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};
use common::{get, path_arg, run, serving};

#[test]
fn busybox_date_lines_come_out_normalised_in_order_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("file.log");
    let (_adapter, base) = serving(&[path_arg(&log)]);

    let started = Utc::now() - TimeDelta::seconds(1);
    // The seed's main container, three rounds of its loop.
    let mut busybox = Command::new("busybox");
    busybox.args([
        "sh",
        "-c",
        r#"for i in 1 2 3; do echo "$(date -u)"'#This is log' >> "$0"; [ $i = 3 ] || sleep 1; done"#,
        path_arg(&log),
    ]);
    let wrote = run(busybox);
    assert!(
        wrote.status.success(),
        "busybox failed (is the busybox package installed?): {}",
        wrote.stderr
    );
    let finished = Utc::now() + TimeDelta::seconds(1);

    let deadline = std::time::Instant::now() + common::DEADLINE;
    let records = loop {
        let (status, body) = get(&format!("{base}/logs"));
        assert_eq!(status, 200);
        let records: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        if records.len() >= 3 {
            break records;
        }
        assert!(std::time::Instant::now() < deadline, "got only {body}");
    };
    assert_eq!(records.len(), 3, "{records:?}");
    let mut times = Vec::new();
    for record in &records {
        assert_eq!(record["message"], "This is log");
        assert_eq!(record["format"], "ctime");
        assert_eq!(record["assumptions"], serde_json::json!(["zone_abbreviation"]));
        assert_eq!(record["source"], path_arg(&log));
        let time: DateTime<Utc> = record["timestamp"].as_str().unwrap().parse().unwrap();
        assert!(started <= time && time <= finished, "{time} is outside the run");
        times.push(time);
    }
    // A second apart as busybox wrote them, so in order means increasing.
    assert!(times.windows(2).all(|w| w[0] < w[1]), "out of order: {times:?}");
    let (_, again) = get(&format!("{base}/logs"));
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&again)
            .unwrap()
            .len(),
        3,
        "repeated records"
    );
}
