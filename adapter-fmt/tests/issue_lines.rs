//! The lines issue 12 quotes from real logs (loghub's 16 systems and
//! public pattern collections), with the instants their sources give:
//! found anywhere in the line, the complete stamp chosen over the partial
//! one, and what only looks like a date (an IPv4 address, a version)
//! never read as one. Each expected instant is the source's own (Unix
//! seconds, or the stated zone), converted with Python's datetime and
//! zoneinfo, not by adapter-fmt. The whole corpora are measured by
//! `cargo run --release -p adapter-fmt --example realworld`.

use adapter_fmt::detect::{detect, Assumptions, Context, DetectConfig};
use adapter_fmt::evidence::Evidence;
use chrono::{DateTime, Utc};

const NOW: &str = "2026-11-26T20:00:00Z";

/// Reads `lines` as one source does (evidence carried from line to line);
/// each stamp as RFC 3339 with its assumptions, or `None`.
fn read(lines: &[&str]) -> Vec<Option<(String, Assumptions)>> {
    let config = DetectConfig::default();
    let mut evidence = Evidence::default();
    let now: DateTime<Utc> = NOW.parse().unwrap();
    lines
        .iter()
        .map(|line| {
            let mut ctx = Context {
                config: &config,
                evidence: &mut evidence,
                now,
            };
            detect(line.as_bytes(), &mut ctx).map(|found| {
                (
                    found
                        .timestamp
                        .instant
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    found.timestamp.assumptions,
                )
            })
        })
        .collect()
}

fn instant(line: &str) -> Option<String> {
    read(&[line]).remove(0).map(|(instant, _)| instant)
}

#[test]
fn stamps_the_old_detector_did_not_find() {
    // Android logcat, no year: month and day kept, the year inferred.
    let logcat = read(&["03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs"]);
    let (stamp, assumptions) = logcat[0].clone().unwrap();
    assert_eq!(stamp, "2026-03-17T16:13:38.811Z");
    assert!(assumptions.contains(Assumptions::YEAR_INFERRED));
    // Hadoop 0.x: yyMMdd HHmmss.
    assert_eq!(
        instant("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block"),
        Some("2008-11-09T20:36:15Z".into())
    );
    // HealthApp: yyyyMMdd-HH:mm:ss:SSS, milliseconds unpadded.
    assert_eq!(
        instant("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579"),
        Some("2017-12-23T22:15:29.606Z".into())
    );
    assert_eq!(
        instant("20171223-22:16:0:11|Step_LSC|30002312|x"),
        Some("2017-12-23T22:16:00.011Z".into())
    );
    // Proxifier: [MM.dd HH:mm:ss].
    assert_eq!(
        instant("[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy"),
        Some("2026-10-30T16:49:06Z".into())
    );
    // A stamp far into the line.
    assert_eq!(
        instant("Started GET \"/\" for 10.8.44.72 at 2026-08-12 08:46:29 +0000"),
        Some("2026-08-12T08:46:29Z".into())
    );
    // A time after the date with a dash.
    assert_eq!(
        instant("24/03/2015-18:35:12 job"),
        Some("2015-03-24T18:35:12Z".into())
    );
    // Zones the old detector lost: JavaScript's GMT-0500, PHP's IANA name.
    assert_eq!(
        instant("Fri Jan 25 2019 07:29:34 GMT-0500 (Eastern Standard Time) x"),
        Some("2019-01-25T12:29:34Z".into())
    );
    assert_eq!(
        instant("[18-Mar-2012 11:54:38 Asia/Kolkata] PHP Warning: x"),
        Some("2012-03-18T06:24:38Z".into())
    );
    assert_eq!(
        instant("2032-10-04T04:44:37:214-0800 y"),
        Some("2032-10-04T12:44:37.214Z".into())
    );
    // An offset after a colon-separated fraction.
    assert_eq!(
        instant("[otel.javaagent 2025-04-24 19:51:57:317 +0000] INFO x"),
        Some("2025-04-24T19:51:57.317Z".into())
    );
}

#[test]
fn the_unix_time_of_supercomputer_logs_wins_over_their_local_dates() {
    // BGL: Unix seconds, a local date, a local stamp BGL's own way.
    assert_eq!(
        instant("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected"),
        Some("2005-06-03T22:42:50Z".into())
    );
    // Thunderbird: Unix seconds, then a local date and a year-less syslog stamp.
    assert_eq!(
        instant("- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root"),
        Some("2005-11-09T20:01:01Z".into())
    );
    // HPC: Unix seconds as a field, nothing else: read, and said so.
    let hpc = read(&["134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change"]);
    let (stamp, assumptions) = hpc[0].clone().unwrap();
    assert_eq!(stamp, "2004-02-26T14:12:22Z");
    assert!(assumptions.contains(Assumptions::EPOCH_FIELD));
    // A number in a message after a real stamp is not its time.
    assert_eq!(
        instant("20171223-22:15:29:636|Step_SPUtils|30002312|setTodayTotalDetailSteps=1514038440000##7007"),
        Some("2017-12-23T22:15:29.636Z".into())
    );
}

#[test]
fn what_only_looks_like_a_date_is_not_one() {
    // The IP address is not 2014-12-10; the stamp after it is the line's.
    assert_eq!(
        instant("10.12.14.7 - - [26/Nov/2026:18:03:08 +0000] \"GET / HTTP/1.1\" 200 512"),
        Some("2026-11-26T18:03:08Z".into())
    );
    assert_eq!(
        instant("Deny inbound UDP from 192.168.2.2/65020 to 10.10.10.10/65021"),
        None
    );
    assert_eq!(instant("upgraded to version 2.10.26 today"), None);
}

#[test]
fn log4j_two_digit_years_read_as_the_source_writes_them() {
    // Spark's yy/MM/dd: consecutive lines days apart, not years.
    let spark = read(&[
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
        "17/06/13 20:10:41 INFO spark.SecurityManager: Changing view acls to: yarn,curi",
    ]);
    assert_eq!(spark[0].as_ref().unwrap().0, "2017-06-09T20:10:40Z");
    assert_eq!(spark[1].as_ref().unwrap().0, "2017-06-13T20:10:41Z");
    // A source whose day changes while its year stays reads day first.
    let european = read(&[
        "13/06/24 10:00:00 a",
        "14/06/24 10:00:00 b",
        "15/06/24 10:00:00 c",
    ]);
    assert_eq!(european[2].as_ref().unwrap().0, "2024-06-15T10:00:00Z");
    // A stamp years away from its neighbours is flagged.
    let jump = read(&["2026-11-26 10:00:00 a", "2016-11-26 10:00:01 b"]);
    assert!(jump[1]
        .as_ref()
        .unwrap()
        .1
        .contains(Assumptions::FAR_FROM_NEIGHBOURS));
}
