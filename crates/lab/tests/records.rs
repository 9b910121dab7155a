//! Templates and lab records on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: an approved
//! template version is never edited and only an approved one makes records; a calculated result
//! cannot be typed over and follows its formula under the pharmacopoeia's rounding; an
//! instrument out of calibration cannot be selected; a correction after submission keeps the
//! original with its reason; the author neither reviews nor approves; an OOS result opens a
//! deviation; approval takes the reagent used out of its lot; the ledger verifies and every row
//! equals its ledgered image.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig, IdentityError};
use yaolian_inventory::items::{self, NewItem};
use yaolian_inventory::stock::{self, Receipt};
use yaolian_lab::instruments::{self, Calibration, NewInstrument};
use yaolian_lab::records::{self, Entries, Input, NewRecord};
use yaolian_lab::rounding::{to_places, Rule};
use yaolian_lab::templates::{self, Definition, Field, NewTemplate, Section};
use yaolian_lab::LabError;
use yaolian_quality::QualityConfig;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn day(offset: i64) -> String {
    (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(offset)).to_string()
}

fn number(key: &str, label: &str, unit: &str, places: u32) -> Field {
    Field {
        key: key.into(),
        label: label.into(),
        kind: "number".into(),
        unit: unit.into(),
        places: Some(places),
        required: true,
        ..Field::default()
    }
}

fn calculated(key: &str, label: &str, formula: &str, places: u32, low: Option<&str>, high: Option<&str>) -> Field {
    Field {
        key: key.into(),
        label: label.into(),
        kind: "calculated".into(),
        unit: "%".into(),
        places: Some(places),
        formula: formula.into(),
        required: true,
        spec_low: low.map(Into::into),
        spec_high: high.map(Into::into),
        ..Field::default()
    }
}

/// An HPLC assay by external standard: five standard injections (a table) whose %RSD must not
/// exceed 2.0, and the content, 95.0–105.0 % of the label claim.
fn assay() -> Definition {
    Definition {
        rounding: "chp".into(),
        method_document_id: None,
        sections: vec![
            Section {
                title: "仪器与试剂".into(),
                rows: 0,
                fields: vec![
                    Field {
                        key: "hplc".into(),
                        label: "高效液相色谱仪".into(),
                        kind: "instrument".into(),
                        required: true,
                        ..Field::default()
                    },
                    Field {
                        key: "mobile".into(),
                        label: "流动相用乙腈".into(),
                        kind: "reagent".into(),
                        ..Field::default()
                    },
                ],
            },
            Section {
                title: "称量".into(),
                rows: 0,
                fields: vec![
                    Field {
                        min: Some("0".into()),
                        max: Some("1000".into()),
                        ..number("w_std", "对照品称样量", "mg", 2)
                    },
                    number("w_smp", "供试品称样量", "mg", 2),
                    number("p_std", "对照品含量", "%", 1),
                    number("a_smp", "供试品峰面积", "", 0),
                ],
            },
            Section {
                title: "对照品重复进样".into(), rows: 5, fields: vec![number("a_std", "对照品峰面积", "", 0)]
            },
            Section {
                title: "结果".into(),
                rows: 0,
                fields: vec![
                    calculated("rsd", "对照品峰面积 RSD", "rsd(a_std[])", 2, None, Some("2.0")),
                    calculated(
                        "content",
                        "含量",
                        "a_smp / mean(a_std[]) * w_std / w_smp * p_std",
                        1,
                        Some("95.0"),
                        Some("105.0"),
                    ),
                ],
            },
        ],
    }
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, Input> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Input { value: v.to_string(), amount: String::new(), file: None }))
        .collect()
}

fn rules(e: LabError) -> Vec<(String, String)> {
    match e {
        LabError::Shared(IdentityError::Validation(v)) => v.errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[test]
fn definitions_are_checked_with_the_field_and_rule_named() {
    assert!(templates::compile(&assay()).is_ok());
    let c = templates::compile(&assay()).unwrap();
    // The table's column is five fields; the row keys are what records use.
    assert!(c.slot("a_std_5").is_some() && c.slot("a_std").is_none());
    assert_eq!(c.slot("a_std_2").unwrap().label(), "对照品峰面积（第 2 行）");
    let mut bad = assay();
    bad.sections[3].fields[1].formula = "a_smp / missing".into();
    bad.sections[1].fields[0].key = "W std".into();
    bad.sections[3].fields[0].formula = "rsd(nope[])".into();
    let err = templates::compile(&bad).unwrap_err();
    let got: Vec<(&str, &str)> = err.errors.iter().map(|e| (e.field.as_str(), e.rule.as_str())).collect();
    assert_eq!(got, vec![("sections[1].fields[0].key", "key")]);
    bad.sections[1].fields[0].key = "w_std".into();
    let err = templates::compile(&bad).unwrap_err();
    let got: Vec<(&str, &str)> = err.errors.iter().map(|e| (e.field.as_str(), e.rule.as_str())).collect();
    assert_eq!(
        got,
        vec![("sections[3].fields[0].formula", "column"), ("sections[3].fields[1].formula", "formula:unknown_field")]
    );
    // Two calculated fields that read each other are a cycle.
    let mut cycle = assay();
    cycle.sections[3].fields[0].formula = "content * 2".into();
    cycle.sections[3].fields[1].formula = "rsd + 1".into();
    assert_eq!(templates::compile(&cycle).unwrap_err().errors[0].rule, "formula:cycle");
    // Limits and kinds.
    let mut odd = assay();
    odd.sections[0].fields[0].places = Some(2);
    odd.sections[1].fields[1].spec_low = Some("9x".into());
    odd.sections[2].rows = 500;
    let err = templates::compile(&odd).unwrap_err();
    let got: Vec<(&str, &str)> = err.errors.iter().map(|e| (e.field.as_str(), e.rule.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("sections[0].fields[0].figures", "numeric"),
            ("sections[1].fields[1].spec_low", "decimal"),
            ("sections[2].rows", "range:0..200"),
        ]
    );
}

#[tokio::test]
async fn a_record_runs_from_an_approved_template_to_its_signed_approval() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let id_cfg = IdentityConfig::default();
        let q_cfg = QualityConfig::default();
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let master = principal(&store, w.company_a, "lab.head", &["company_master"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let second = principal(&store, w.company_a, "analyst.two", &["lab_analyst"]).await;
        let keeper = principal(&store, w.company_a, "keeper", &["storekeeper"]).await;
        let pw = fixtures::PASSWORD;

        // Two instruments: one calibrated today, one overdue.
        let mut ids = Vec::new();
        for (code, performed) in [("HPLC-01", day(0)), ("HPLC-02", day(-400))] {
            let new = NewInstrument {
                org_id: w.company_a,
                code: code.into(),
                name: "高效液相色谱仪".into(),
                calibration_interval_days: 365,
                ..NewInstrument::default()
            };
            let i = instruments::register(&store, &qa, &new, &c).await.unwrap();
            let cal = Calibration { performed_on: performed, certificate: format!("JZ-{code}"), passed: true };
            ids.push(instruments::calibrate(&store, &qa, i.id, &cal, &c).await.unwrap().id);
        }
        let (good, overdue) = (ids[0], ids[1]);
        // Acetonitrile, 4000 mL in one lot.
        let item = NewItem {
            org_id: w.company_a,
            code: "R-0001".into(),
            name_zh: "乙腈".into(),
            category: "reagent".into(),
            unit: "mL".into(),
            ..NewItem::default()
        };
        let item = items::create(&store, &keeper, &item, &c).await.unwrap();
        let receipt = Receipt {
            item_id: item.id,
            lot_no: "L-2026-01".into(),
            expires_on: day(300),
            qty: "4000".into(),
            ..Receipt::default()
        };
        let lot = stock::receive(&store, &id_cfg, &keeper, &receipt, &c).await.unwrap();

        // The template: drafted by QA, not approvable by its drafter, approved by the lab head.
        let new = NewTemplate {
            org_id: w.company_a,
            code: "TPL-HPLC-001".into(),
            title: "高效液相色谱法含量测定".into(),
            definition: assay(),
        };
        assert_eq!(templates::create(&store, &analyst, &new, &c).await.unwrap_err().code(), "forbidden");
        let tv = templates::create(&store, &qa, &new, &c).await.unwrap();
        assert_eq!((tv.number, tv.status.as_str()), (1, "draft"));
        // A draft makes no record.
        let make = NewRecord {
            template_version_id: tv.id,
            title: "阿司匹林片含量测定（批号 260301）".into(),
            project_id: None,
        };
        assert_eq!(records::create(&store, &analyst, &make, &c).await.unwrap_err().code(), "template_not_approved");
        let err = templates::approve(&store, &id_cfg, &qa, tv.id, pw, None, &c).await.unwrap_err();
        assert_eq!(err.code(), "same_person");
        let tv = templates::approve(&store, &id_cfg, &master, tv.id, pw, None, &c).await.unwrap();
        assert_eq!((tv.status.as_str(), tv.approved_by.as_deref()), ("approved", Some("lab.head")));
        // An approved version is never edited.
        let err = templates::edit(&store, &qa, tv.id, &assay(), tv.version, &c).await.unwrap_err();
        assert_eq!(err.code(), "template_locked");

        // The analyst makes a record and fills it.
        let r = records::create(&store, &analyst, &make, &c).await.unwrap();
        assert!(r.number.starts_with("SY-") && r.status == "draft");
        let enter =
            |pairs: &[(&str, &str)], version: i64| Entries { values: values(pairs), reason: String::new(), version };
        // A calculated result is not typed; a value is checked against its field.
        let err = records::enter(
            &store,
            &analyst,
            r.id,
            &enter(&[("content", "99.9"), ("w_std", "25.123"), ("w_smp", "abc")], r.version),
            &c,
        )
        .await
        .unwrap_err();
        assert_eq!(
            rules(err),
            vec![
                ("content".to_string(), "calculated".to_string()),
                ("w_smp".to_string(), "decimal".to_string()),
                ("w_std".to_string(), "places:2".to_string()),
            ]
        );
        let err =
            records::enter(&store, &analyst, r.id, &enter(&[("w_std", "1200.00")], r.version), &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("w_std".to_string(), "range:0..1000".to_string())]);
        // An instrument out of calibration cannot be selected.
        let err = records::enter(&store, &analyst, r.id, &enter(&[("hplc", &overdue.to_string())], r.version), &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "out_of_calibration");
        // Someone else cannot fill the analyst's record.
        let err =
            records::enter(&store, &second, r.id, &enter(&[("w_std", "25.12")], r.version), &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");

        let areas = [1_530_100.0, 1_528_400.0, 1_531_900.0, 1_529_500.0, 1_530_600.0];
        let mut pairs: Vec<(String, String)> = vec![
            ("hplc".into(), good.to_string()),
            ("w_std".into(), "25.12".into()),
            ("w_smp".into(), "25.30".into()),
            ("p_std".into(), "99.8".into()),
            ("a_smp".into(), "1523400".into()),
        ];
        for (i, a) in areas.iter().enumerate() {
            pairs.push((format!("a_std_{}", i + 1), format!("{a}")));
        }
        let mut vals: BTreeMap<String, Input> = pairs
            .iter()
            .map(|(k, v)| (k.clone(), Input { value: v.clone(), amount: String::new(), file: None }))
            .collect();
        vals.insert("mobile".into(), Input { value: lot.id.to_string(), amount: "50".into(), file: None });
        let r = records::enter(
            &store,
            &analyst,
            r.id,
            &Entries { values: vals, reason: String::new(), version: r.version },
            &c,
        )
        .await
        .unwrap();
        // The results follow their formulas, rounded to their places under GB/T 8170.
        let mean = areas.iter().sum::<f64>() / 5.0;
        let content = 1_523_400.0 / mean * 25.12 / 25.30 * 99.8;
        assert_eq!(Some(r.entries["content"].value.clone()), to_places(content, 1, Rule::HalfEven));
        let rsd = yaolian_lab::chroma::rsd_percent(&areas).unwrap();
        assert_eq!(Some(r.entries["rsd"].value.clone()), to_places(rsd, 2, Rule::HalfEven));
        assert_eq!(r.entries["content"].source, "calculated");
        assert_eq!(r.entries["hplc"].value, "HPLC-01");
        assert_eq!((r.entries["mobile"].value.as_str(), r.entries["mobile"].amount.as_str()), ("L-2026-01", "50"));
        assert!(!r.oos);

        // Submitted under the author's signature; the instrument's use is in its log.
        let r = records::submit(&store, &id_cfg, &q_cfg, &analyst, r.id, pw, None, &c).await.unwrap();
        assert_eq!(r.status, "submitted");
        let uses = instruments::uses_of(&store, &qa, good, &c).await.unwrap();
        assert_eq!(uses.len(), 1);
        assert_eq!(uses[0].record_ref, r.number);
        // A correction needs its reason, keeps the original, and the calculation follows it.
        let fix = enter(&[("w_smp", "25.03")], r.version);
        assert_eq!(
            rules(records::enter(&store, &analyst, r.id, &fix, &c).await.unwrap_err()),
            vec![("reason".into(), "required".into())]
        );
        let fix = Entries { reason: "称量记录抄写错误，以天平打印条为准".into(), ..fix };
        let before = r.entries["content"].value.clone();
        let r = records::enter(&store, &analyst, r.id, &fix, &c).await.unwrap();
        let w_smp = &r.entries["w_smp"];
        assert_eq!(w_smp.value, "25.03");
        assert_eq!((w_smp.corrections[0].from.as_str(), w_smp.corrections[0].to.as_str()), ("25.30", "25.03"));
        assert_eq!(w_smp.corrections[0].reason, "称量记录抄写错误，以天平打印条为准");
        let corrected = &r.entries["content"];
        assert_eq!(corrected.corrections[0].from, before);
        assert_eq!(
            Some(corrected.value.clone()),
            to_places(1_523_400.0 / mean * 25.12 / 25.03 * 99.8, 1, Rule::HalfEven)
        );

        // The author neither reviews nor approves; review and approval are two other people.
        let err = records::review(&store, &id_cfg, &analyst, r.id, pw, None, &c).await.unwrap_err();
        assert_eq!(err.code(), "same_person");
        let err = records::approve(&store, &id_cfg, &qa, r.id, pw, None, &c).await.unwrap_err();
        assert_eq!(err.code(), "record_state");
        let r = records::review(&store, &id_cfg, &second, r.id, pw, None, &c).await.unwrap();
        assert_eq!((r.status.as_str(), r.reviewed_by.as_deref()), ("reviewed", Some("analyst.two")));
        assert_eq!(
            records::approve(&store, &id_cfg, &second, r.id, pw, None, &c).await.unwrap_err().code(),
            "forbidden"
        );
        let on_hand = |l: i64| {
            let store = store.clone();
            let keeper = keeper.clone();
            async move { stock::lot(&store, &keeper, l, &ClientInfo::default()).await.unwrap().on_hand }
        };
        assert_eq!(on_hand(lot.id).await, 4_000_000);
        let r = records::approve(&store, &id_cfg, &qa, r.id, pw, None, &c).await.unwrap();
        assert_eq!(r.status, "approved");
        // Approval took the 50 mL used out of the lot.
        assert_eq!(on_hand(lot.id).await, 3_950_000);
        let err = records::enter(
            &store,
            &analyst,
            r.id,
            &Entries { reason: "再改".into(), ..enter(&[("p_std", "99.7")], r.version) },
            &c,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "record_state");
        let signed = yaolian_store::versions::history(store.pool(), records::ENTITY, &r.id.to_string()).await.unwrap();
        let sigs = yaolian_records::esign::signatures_for(&store, &signed).await.unwrap();
        let meanings: Vec<&str> = sigs.iter().map(|s| s.meaning.as_str()).collect();
        assert_eq!(meanings, vec!["author", "review", "approve"]);

        // A record its author may approve by role is still not approved by its author.
        let own =
            records::create(&store, &master, &NewRecord { title: "自测".into(), ..make.clone() }, &c).await.unwrap();
        let mut vals = values(&pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
        vals.insert("a_smp".into(), Input { value: "1400000".into(), amount: String::new(), file: None });
        let own = records::enter(
            &store,
            &master,
            own.id,
            &Entries { values: vals, reason: String::new(), version: own.version },
            &c,
        )
        .await
        .unwrap();
        // 1400000 against the standard's mean: about 91 %, below 95.0 — out of specification.
        assert!(own.oos && own.entries["content"].oos && !own.entries["rsd"].oos);
        let own = records::submit(&store, &id_cfg, &q_cfg, &master, own.id, pw, None, &c).await.unwrap();
        // The OOS opened a deviation in the quality module, naming the record.
        let dev = yaolian_quality::deviations::get(&store, &qa, own.deviation_id.unwrap(), &c).await.unwrap();
        assert_eq!((dev.source.as_str(), dev.record_ref.as_str()), ("oos", own.number.as_str()));
        assert!(dev.title.contains("含量"), "{}", dev.title);
        let own = records::review(&store, &id_cfg, &analyst, own.id, pw, None, &c).await.unwrap();
        let err = records::approve(&store, &id_cfg, &master, own.id, pw, None, &c).await.unwrap_err();
        assert_eq!(err.code(), "same_person");

        // A new template version supersedes the first; records keep theirs.
        let v2 = templates::new_version(&store, &qa, tv.id, "增加系统适用性拖尾因子", &c).await.unwrap();
        assert_eq!((v2.number, v2.status.as_str()), (2, "draft"));
        let v2 = templates::approve(&store, &id_cfg, &master, v2.id, pw, None, &c).await.unwrap();
        assert_eq!(v2.status, "approved");
        let old = templates::get(&store, &qa, tv.id, &c).await.unwrap();
        assert_eq!((old.status.as_str(), old.records), ("superseded", 2));
        assert_eq!(records::create(&store, &analyst, &make, &c).await.unwrap_err().code(), "template_not_approved");

        let (list, total) = records::list(&store, &qa, Some("oos"), 50, 0, &c).await.unwrap();
        assert_eq!((total, list[0].id), (1, own.id));
        assert!(records::drifts(&store).await.unwrap().is_empty());
        assert!(templates::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn delivered(org: i64, key: &str, kind: &str, name: &str, content: &str) -> yaolian_lab::results::Delivery {
    yaolian_lab::results::Delivery {
        org_id: org,
        idempotency_key: key.into(),
        instrument: "BAL-01".into(),
        kind: kind.into(),
        acquired_at: "2026-12-01T09:30:00+08:00".into(),
        acquired_by: "wangfang".into(),
        source_path: String::new(),
        raw: yaolian_records::files::Upload {
            label: "原始文件".into(),
            name: name.into(),
            content_type: String::new(),
            content_base64: b64(content),
        },
    }
}

/// A weighing from the balance and peak areas from two injections' peak tables, each number
/// taken from its result; the formula reads them like typed numbers.
fn weighed_and_injected() -> Definition {
    let result = |key: &str, label: &str| Field {
        key: key.into(),
        label: label.into(),
        kind: "result".into(),
        ..Field::default()
    };
    let taken = |key: &str, label: &str, unit: &str, from: &str, value: &str, peak: &str| Field {
        from: Some(templates::FromResult { result: from.into(), value: value.into(), peak: peak.into() }),
        required: false,
        ..number(key, label, unit, 5)
    };
    Definition {
        rounding: "chp".into(),
        method_document_id: None,
        sections: vec![
            Section {
                title: "称量".into(),
                rows: 0,
                fields: vec![
                    result("bal", "天平读数"),
                    taken("w", "供试品称样量", "g", "bal", "weight", ""),
                    result("bal_mg", "天平读数（毫克）"),
                    taken("w_mg", "对照品称样量", "mg", "bal_mg", "weight", ""),
                    Field {
                        key: "photo".into(),
                        label: "称量照片".into(),
                        kind: "attachment".into(),
                        ..Field::default()
                    },
                ],
            },
            Section {
                title: "进样".into(),
                rows: 2,
                fields: vec![result("run", "色谱图"), taken("area", "主峰面积", "", "run", "area", "Metformin")],
            },
            Section {
                title: "结果".into(),
                rows: 0,
                fields: vec![Field {
                    required: false,
                    ..calculated("mean_area", "平均峰面积", "mean(area[])", 0, None, None)
                }],
            },
        ],
    }
}

#[test]
fn a_taken_number_names_a_result_field_and_what_it_takes() {
    let mut def = weighed_and_injected();
    assert!(templates::compile(&def).is_ok());
    let fields = &mut def.sections[0].fields;
    fields[1].from.as_mut().unwrap().result = "w_mg".into();
    fields[3].from.as_mut().unwrap().value = "mass".into();
    def.sections[1].fields[1].from.as_mut().unwrap().peak = String::new();
    let err = templates::compile(&def).unwrap_err();
    let got: Vec<(String, String)> = err.errors.into_iter().map(|e| (e.field, e.rule)).collect();
    assert!(
        got.contains(&(
            "sections[0].fields[3].from.value".into(),
            format!("one_of:{}", templates::RESULT_VALUES.iter().map(|v| v.0).collect::<Vec<_>>().join(","))
        )),
        "{got:?}"
    );
    assert!(got.contains(&("sections[1].fields[1].from.peak".into(), "length:1..100".into())), "{got:?}");
    let mut def = weighed_and_injected();
    def.sections[0].fields[1].from.as_mut().unwrap().result = "w_mg".into();
    let err = templates::compile(&def).unwrap_err();
    let got: Vec<(String, String)> = err.errors.into_iter().map(|e| (e.field, e.rule)).collect();
    assert_eq!(got, vec![("sections[0].fields[1].from.result".to_string(), "result_field".to_string())]);
    let mut def = weighed_and_injected();
    def.sections[0].fields[0] =
        Field { from: def.sections[0].fields[1].from.clone(), ..def.sections[0].fields[0].clone() };
    let err = templates::compile(&def).unwrap_err();
    assert!(err.errors.iter().any(|e| e.field == "sections[0].fields[0].from" && e.rule == "numeric"));
}

#[tokio::test]
async fn numbers_are_taken_from_the_chosen_results_never_typed() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let id_cfg = IdentityConfig::default();
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let master = principal(&store, w.company_a, "lab.head", &["company_master"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let new = NewTemplate {
            org_id: w.company_a,
            code: "TPL-TAKEN".into(),
            title: "取数测试".into(),
            definition: weighed_and_injected(),
        };
        let tv = templates::create(&store, &qa, &new, &c).await.unwrap();
        let tv = templates::approve(&store, &id_cfg, &master, tv.id, fixtures::PASSWORD, None, &c).await.unwrap();
        let make = NewRecord { template_version_id: tv.id, title: "取数".into(), project_id: None };
        let r = records::create(&store, &analyst, &make, &c).await.unwrap();

        let deliver = |key: &'static str, kind: &'static str, name: &'static str, content: &'static str| {
            let store = store.clone();
            let analyst = analyst.clone();
            async move {
                let d = delivered(w.company_a, key, kind, name, content);
                yaolian_lab::results::deliver(&store, &analyst, &d, &ClientInfo::default()).await.unwrap().0.id
            }
        };
        let stable = deliver("bal01-0001-stable", "balance", "w1.sics", "S S      0.25312 g\r\n").await;
        let dynamic = deliver("bal01-0002-dynamic", "balance", "w2.sics", "S D      0.25 g\r\n").await;
        let inj1 =
            deliver("hplc01-0001-inj1", "peaks", "inj-1.csv", "Peak Name,RT [min],Area\nMetformin,4.812,1523400\n")
                .await;
        let inj2 =
            deliver("hplc01-0002-inj2", "peaks", "inj-2.csv", "Peak Name,RT [min],Area\nMetformin,4.809,1523600.5\n")
                .await;
        let blank =
            deliver("hplc01-0003-blank", "peaks", "blank.csv", "Peak Name,RT [min],Area\nSolvent,1.2,310\n").await;

        let enter = |pairs: &[(&str, String)], version: i64| Entries {
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Input { value: v.clone(), amount: String::new(), file: None }))
                .collect(),
            reason: String::new(),
            version,
        };
        // A taken number is not typed; a dynamic reading, a table without the peak and a weighing
        // in another unit are refused under the field that would take them.
        let err = records::enter(&store, &analyst, r.id, &enter(&[("w", "0.25312".into())], r.version), &c)
            .await
            .unwrap_err();
        assert_eq!(rules(err), vec![("w".to_string(), "from_result".to_string())]);
        let tries = [("bal", dynamic.to_string()), ("bal_mg", stable.to_string()), ("run_1", blank.to_string())];
        let err = records::enter(&store, &analyst, r.id, &enter(&tries, r.version), &c).await.unwrap_err();
        assert_eq!(
            rules(err),
            vec![
                ("w".to_string(), "stable".to_string()),
                ("w_mg".to_string(), "result_unit:g".to_string()),
                ("area_1".to_string(), "peak:Metformin".to_string()),
            ]
        );
        let picks = [("bal", stable.to_string()), ("run_1", inj1.to_string()), ("run_2", inj2.to_string())];
        let r = records::enter(&store, &analyst, r.id, &enter(&picks, r.version), &c).await.unwrap();
        let e = |k: &str| r.entries.get(k).cloned().unwrap_or_default();
        assert_eq!((e("w").value.as_str(), e("w").source.as_str(), e("w").ref_id), ("0.25312", "result", Some(stable)));
        assert_eq!((e("area_1").value.as_str(), e("area_2").value.as_str()), ("1523400", "1523600.5"));
        assert_eq!(e("area_2").detail, "取自 inj-2.csv");
        // The calculation reads them: (1523400 + 1523600.5) / 2 = 1523500.25 → 1523500 (0 places).
        assert_eq!((e("mean_area").value.as_str(), e("mean_area").exact.as_str()), ("1523500", "1523500.25000"));
        // Choosing no result clears what it gave.
        let r =
            records::enter(&store, &analyst, r.id, &enter(&[("run_2", String::new())], r.version), &c).await.unwrap();
        assert!(!r.entries.contains_key("area_2") && !r.entries.contains_key("run_2"));
        assert!(!r.entries.contains_key("mean_area"), "a mean of a column with a row missing waits");

        // An attachment field takes a file, kept with its SM3; text is not a file.
        let file = |name: &str, b64: &str| Input {
            file: Some(yaolian_records::files::Upload {
                label: "附件".into(),
                name: name.into(),
                content_type: "image/png".into(),
                content_base64: b64.into(),
            }),
            ..Input::default()
        };
        let mut with = enter(&[], r.version);
        with.values.insert("photo".into(), Input { value: "照片.png".into(), ..Input::default() });
        let err = records::enter(&store, &analyst, r.id, &with, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("photo".to_string(), "file".to_string())]);
        with.values.insert("photo".into(), file("照片.png", "!!not base64"));
        let err = records::enter(&store, &analyst, r.id, &with, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("photo".to_string(), "base64".to_string())]);
        with.values.insert("photo".into(), file("照片.png", &b64("PNG bytes of the weighing")));
        let r = records::enter(&store, &analyst, r.id, &with, &c).await.unwrap();
        let photo = r.entries.get("photo").cloned().unwrap();
        let sm3 = yaolian_ledger::HashAlg::Sm3.digest(&[b"PNG bytes of the weighing"]).to_hex();
        assert_eq!((photo.value.as_str(), photo.source.as_str()), ("照片.png", "attachment"));
        assert!(photo.detail.contains(&sm3), "{}", photo.detail);
        let (name, kind, stored_sm3, bytes) =
            records::file(&store, &analyst, r.id, photo.ref_id.unwrap(), &c).await.unwrap();
        assert_eq!(
            (name.as_str(), kind.as_str(), stored_sm3, bytes),
            ("照片.png", "image/png", sm3, b"PNG bytes of the weighing".to_vec())
        );
        let outsider = principal(&store, w.company_b, "outsider", &["lab_analyst"]).await;
        assert!(records::file(&store, &outsider, r.id, photo.ref_id.unwrap(), &c).await.is_err());

        // Submitted, sent back by a reviewer with the reason, corrected by the author with hers
        // (which returns it to review); the author cannot send back her own record.
        let reviewer = principal(&store, w.company_a, "reviewer", &["lab_analyst"]).await;
        let q = QualityConfig::default();
        let r = records::submit(&store, &id_cfg, &q, &analyst, r.id, fixtures::PASSWORD, None, &c).await.unwrap();
        let err = records::send_back(&store, &analyst, r.id, "自查", r.version, &c).await.unwrap_err();
        assert_eq!(err.code(), "same_person");
        let err = records::send_back(&store, &reviewer, r.id, "  ", r.version, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("reason".to_string(), "length:1..500".to_string())]);
        let r =
            records::send_back(&store, &reviewer, r.id, "第 2 针未取数，请补选色谱图", r.version, &c).await.unwrap();
        assert_eq!((r.status.as_str(), r.return_note.as_str()), ("returned", "第 2 针未取数，请补选色谱图"));
        let err = records::review(&store, &id_cfg, &reviewer, r.id, fixtures::PASSWORD, None, &c).await.unwrap_err();
        assert_eq!(err.code(), "record_state");
        let err = records::enter(&store, &analyst, r.id, &enter(&[("run_2", inj2.to_string())], r.version), &c)
            .await
            .unwrap_err();
        assert_eq!(rules(err), vec![("reason".to_string(), "required".to_string())]);
        let mut fix = enter(&[("run_2", inj2.to_string())], r.version);
        fix.reason = "补选第 2 针色谱图".into();
        let r = records::enter(&store, &analyst, r.id, &fix, &c).await.unwrap();
        assert_eq!((r.status.as_str(), r.return_note.as_str()), ("submitted", ""));
        let area = r.entries.get("area_2").unwrap();
        assert_eq!((area.value.as_str(), area.corrections.len()), ("1523600.5", 1));
        assert_eq!(area.corrections[0].reason, "补选第 2 针色谱图");
        let r = records::review(&store, &id_cfg, &reviewer, r.id, fixtures::PASSWORD, None, &c).await.unwrap();
        assert_eq!(r.status, "reviewed");
        assert!(ledger::verify(&store).await.unwrap().is_ok());
        assert!(records::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}
