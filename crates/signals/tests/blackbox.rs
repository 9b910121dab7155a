//! The production black box on SQLite and PostgreSQL: lines and parameters are checked field by
//! field; an ingest is refused whole, naming each bad point's field, or stored whole; points that
//! come late and out of order are folded to the same state as in order; the reference drift
//! raises its rule-2 warning at its ninth shifted point, once; subgroups chart their means and
//! ranges with capability; a bureau decides a warning or raises it as a case in supervision's
//! closed loop; every row equals its ledgered image, and a changed point shows as its ingest's
//! drift.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityError};
use yaolian_signals::blackbox::{self, Ingest, NewLine, NewParameter, PointIn, SeriesIn};
use yaolian_signals::detection::{Decision, Raise};
use yaolian_signals::SignalError;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;

async fn user(store: &Store, org: i64, name: &str, role: &str) -> Principal {
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(store, &sys, org, name, false, &[role]).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn rules(e: SignalError) -> Vec<(String, String)> {
    match e {
        SignalError::Shared(IdentityError::Validation(v)) => {
            let mut r: Vec<_> = v.errors.into_iter().map(|e| (e.field, e.rule)).collect();
            r.sort();
            r
        }
        other => panic!("not a validation error: {other:?}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(f, r)| (f.to_string(), r.to_string())).collect()
}

fn time(ms: i64) -> String {
    yaolian_core::Timestamp(ms).to_rfc3339()
}

fn series(parameter: &str, batch: &str, points: impl IntoIterator<Item = (i64, f64)>) -> SeriesIn {
    SeriesIn {
        line: "L01".into(),
        parameter: parameter.into(),
        batch: batch.into(),
        points: points.into_iter().map(|(t, value)| PointIn { time: time(t), value }).collect(),
    }
}

#[tokio::test]
async fn points_are_judged_as_they_come_and_a_warning_becomes_a_case() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa = user(&store, w.company_a, "a.qa", "quality_head").await;
        let other = user(&store, w.company_b, "b.master", "company_master").await;
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;

        // Lines and parameters, checked.
        let bad = NewLine { code: "L 01".into(), name: String::new(), product: String::new() };
        let got = rules(blackbox::create_line(&store, &qa, &bad, &c).await.unwrap_err());
        assert_eq!(got, pairs(&[("code", "code"), ("name", "length:1..100")]));
        let new = NewLine {
            code: "L01".into(), name: "冻干粉针剂生产线".into(), product: "注射用头孢曲松钠".into()
        };
        let line = blackbox::create_line(&store, &qa, &new, &c).await.unwrap();
        let again = rules(blackbox::create_line(&store, &qa, &new, &c).await.unwrap_err());
        assert_eq!(again, pairs(&[("code", "unique")]));
        let refused = blackbox::create_line(&store, &inspector, &new, &c).await.unwrap_err();
        assert_eq!(refused.code(), "forbidden");
        let mut p = NewParameter {
            code: "shelf_temp".into(),
            name: "板层温度".into(),
            unit: "℃".into(),
            subgroup: 11,
            center: -40.0,
            sigma: 0.0,
            lsl: Some(-35.0),
            usl: Some(-45.0),
        };
        let got = rules(blackbox::add_parameter(&store, &qa, line.id, &p, &c).await.unwrap_err());
        assert_eq!(got, pairs(&[("sigma", "positive"), ("subgroup", "range:1..10"), ("usl", "above:lsl")]));
        (p.subgroup, p.sigma, p.lsl, p.usl) = (1, 0.6, Some(-45.0), Some(-35.0));
        let temp = blackbox::add_parameter(&store, &qa, line.id, &p, &c).await.unwrap();
        let fill = NewParameter {
            code: "fill".into(),
            name: "装量".into(),
            unit: "g".into(),
            subgroup: 5,
            center: 1.0,
            sigma: 0.01,
            lsl: Some(0.97),
            usl: Some(1.03),
        };
        blackbox::add_parameter(&store, &qa, line.id, &fill, &c).await.unwrap();
        let theirs = blackbox::add_parameter(&store, &other, line.id, &fill, &c).await.unwrap_err();
        assert_eq!(theirs.code(), "not_found");

        // A bad ingest is refused whole, each bad point named.
        let start = yaolian_core::Timestamp::now().0 - 3 * 3600 * 1000;
        let at = |i: usize| start + i as i64 * 60_000;
        let mut bad = Ingest {
            series: vec![
                series("shelf_temp", "B1", [(at(0), -40.0)]),
                series("nope", "B1", [(at(0), 1.0)]),
                series("shelf_temp", "", [(at(1), -40.0)]),
            ],
        };
        bad.series[0].points.push(PointIn { time: "yesterday".into(), value: 1.0 });
        bad.series[0].points.push(PointIn { time: time(start + 24 * 3600 * 1000), value: 1.0 });
        let got = rules(blackbox::ingest(&store, &qa, &bad, &c).await.unwrap_err());
        assert_eq!(
            got,
            pairs(&[
                ("series[0].points[1].time", "rfc3339"),
                ("series[0].points[2].time", "not_future"),
                ("series[1].parameter", "known"),
                ("series[2].batch", "length:1..64"),
            ])
        );
        let empty = rules(blackbox::ingest(&store, &qa, &Ingest { series: vec![] }, &c).await.unwrap_err());
        assert_eq!(empty, pairs(&[("series", "count:1..50000")]));
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bb_points").fetch_one(store.pool()).await.unwrap();
        assert_eq!(count, 0);
        let inspectors = blackbox::ingest(&store, &inspector, &bad, &c).await.unwrap_err();
        assert_eq!(inspectors.code(), "forbidden");

        // The reference drift in three calls, the third bringing five late points.
        let z = blackbox::drift_z(60);
        let value = |i: usize| -40.0 + 0.6 * z[i];
        let part = |r: std::ops::Range<usize>| series("shelf_temp", "B2", r.map(|i| (at(i), value(i))));
        let one = blackbox::ingest(&store, &qa, &Ingest { series: vec![part(0..20)] }, &c).await.unwrap();
        assert_eq!((one.points, one.late, one.warnings.len()), (20, 0, 0));
        let two = blackbox::ingest(&store, &qa, &Ingest { series: vec![part(25..45)] }, &c).await.unwrap();
        assert_eq!(two.late, 0);
        assert!(!two.warnings.is_empty(), "the drift raises a warning");
        let three =
            blackbox::ingest(&store, &qa, &Ingest { series: vec![part(45..60), part(20..25)] }, &c).await.unwrap();
        assert_eq!(three.late, 5);
        let filter = blackbox::Filter { line: Some(line.id), ..blackbox::Filter::default() };
        let (list, _) = blackbox::warnings(&store, &inspector, &filter, (100, 0), &c).await.unwrap();
        let first = list.iter().filter(|x| x.rule.starts_with('n')).min_by_key(|x| x.ts).unwrap();
        assert_eq!((first.rule.as_str(), first.ts), (blackbox::DRIFT_RULE, at(blackbox::DRIFT_AT)));
        assert_eq!(list.iter().filter(|x| x.rule == blackbox::DRIFT_RULE).count(), 1, "one warning per rule");
        assert!(list.iter().all(|x| x.ts >= at(blackbox::DRIFT_AT)), "nothing fires before the drift");

        // Folded late and out of order, the series is what it is in order.
        let (_, batches, charts) = blackbox::charts(&store, &qa, line.id, "B2", &c).await.unwrap();
        assert_eq!(batches, ["B2"]);
        let chart = charts.iter().find(|x| x.parameter_id == temp.id).unwrap();
        assert_eq!((chart.samples, chart.points, chart.values.len()), (60, 60, 60));
        let in_order: Vec<f64> = (0..60).map(value).collect();
        assert_eq!(chart.values, in_order);
        let folded = chart.capability.unwrap();
        let mean = in_order.iter().sum::<f64>() / 60.0;
        let s = (in_order.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 59.0).sqrt();
        assert!((folded.ppk - ((-35.0 - mean).min(mean + 45.0) / (3.0 * s))).abs() < 1e-9);
        assert!(chart.breaches.iter().any(|(rule, i)| (*rule, *i) == (2, blackbox::DRIFT_AT)));

        // Subgroups: the values of one time are one sample.
        let fills: Vec<(i64, f64)> = (0..10).flat_map(|t| [0.99, 1.0, 1.01, 1.0, 1.005].map(|v| (at(t), v))).collect();
        blackbox::ingest(&store, &qa, &Ingest { series: vec![series("fill", "B2", fills)] }, &c).await.unwrap();
        let (_, _, charts) = blackbox::charts(&store, &qa, line.id, "B2", &c).await.unwrap();
        let chart = charts.iter().find(|x| x.code == "fill").unwrap();
        assert_eq!((chart.samples, chart.points), (10, 50));
        assert!((chart.values[0] - 1.001).abs() < 1e-12);
        assert!(chart.spreads.iter().all(|r| r.is_some_and(|r| (r - 0.02).abs() < 1e-12)));
        let cap = chart.capability.unwrap();
        // σ within = R̄ / d₂ (n = 5: 2.326).
        assert!((cap.cp.unwrap() - 0.06 / (6.0 * 0.02 / 2.326)).abs() < 1e-9);

        // Another company sees none of it.
        let hidden = blackbox::line(&store, &other, line.id, &c).await.unwrap_err();
        assert_eq!(hidden.code(), "not_found");

        // The bureau decides one warning and raises another as a case, once.
        let drift = list.iter().find(|x| x.rule == blackbox::DRIFT_RULE).unwrap();
        let err = blackbox::decide(&store, &inspector, drift.id, &Decision::default(), &c).await.unwrap_err();
        assert_eq!(rules(err), pairs(&[("action", "one_of:watch,refute"), ("note", "length:1..2000")]));
        let by_company =
            blackbox::decide(&store, &qa, drift.id, &Decision { action: "watch".into(), note: "x".into() }, &c)
                .await
                .unwrap_err();
        assert_eq!(by_company.code(), "forbidden");
        let raise = Raise { company_id: None, note: "板层温度持续偏高，需企业调查".into() };
        let raised = blackbox::raise_case(&store, &inspector, drift.id, &raise, &c).await.unwrap();
        assert_eq!(raised.status, "case");
        let case = yaolian_supervision::cases::get(&store, &inspector, raised.case_id.unwrap(), &c).await.unwrap();
        assert_eq!(
            (case.source.as_str(), case.source_ref.clone(), case.company_id),
            ("blackbox", drift.id.to_string(), w.company_a)
        );
        assert!(case.title.contains("板层温度"), "{}", case.title);
        let twice = blackbox::raise_case(&store, &inspector, drift.id, &raise, &c).await.unwrap_err();
        assert_eq!(twice.code(), "case_state");
        if let Some(other_warning) = list.iter().find(|x| x.id != drift.id) {
            let watch = Decision { action: "watch".into(), note: "继续观察下一批".into() };
            let watched = blackbox::decide(&store, &inspector, other_warning.id, &watch, &c).await.unwrap();
            assert_eq!((watched.status.as_str(), watched.version), ("watch", 2));
        }

        // Every row equals its ledgered image; a changed point is its ingest's drift.
        assert!(blackbox::drifts(&store).await.unwrap().is_empty());
        sqlx::query("UPDATE bb_points SET value = value + 1 WHERE ingest_id = $1 AND pos = 3")
            .bind(two.ingest_id)
            .execute(store.pool())
            .await
            .unwrap();
        let drifts = blackbox::drifts(&store).await.unwrap();
        assert_eq!(drifts.len(), 1);
        assert_eq!((drifts[0].entity.as_str(), drifts[0].entity_id.clone()), ("bb_ingest", two.ingest_id.to_string()));
    })
    .await;
}
