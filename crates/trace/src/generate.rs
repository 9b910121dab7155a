//! A realistic supply chain as EPCIS 2.0 events, for the demo, tests and benchmarks:
//! manufacturer → distributor → hospital / pharmacy → patient.
//!
//! Units (小码, NMPA 药品追溯码) are commissioned in lots of 20 with their batch and expiry,
//! packed 20 to a case and 10 cases to a pallet (SSCC), one pallet a day shipped to one of three
//! distributors, which unpack it and send each case to a hospital or pharmacy; those unpack the
//! case and sell or dispense 14 of its 20 units over the next two weeks (the rest stay in stock).
//! Each retail site gets a steady share of the cases, so daily sales stay level.
//!
//! On top of that clean chain a few anomalies are planted, one per rule, each on its own code or
//! site (`Chain::planted`); everything else breaks no rule. One planted sale needs a recall open
//! first: it is in `Chain::after_recall`, to be captured after opening a recall of
//! `Chain::recall_batch`.

use chrono::{NaiveDate, TimeZone};
use serde::Serialize;
use serde_json::{json, Value};

use crate::sites::Site;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Units in the clean chain (rounded up to whole pallets of 200).
    pub packs: usize,
    /// Units per batch (批号).
    pub batch_size: usize,
    /// Products by 药品标识码 (7 digits), each with its registry id; units are spread over them.
    pub products: Vec<(String, i64)>,
    /// The first production day (China time).
    pub start: NaiveDate,
    /// Plant one anomaly of each kind.
    pub anomalies: bool,
    /// Serials start after this one (to grow a store with several chains of distinct codes).
    pub first_serial: u64,
}

/// A planted anomaly: its kind, and the code key or site key it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planted {
    pub kind: &'static str,
    pub key: String,
}

/// The generated chain.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    pub sites: Vec<Site>,
    /// Events in time order.
    pub events: Vec<Value>,
    /// Events to capture after a recall of `recall_batch` is open.
    pub after_recall: Vec<Value>,
    /// (product id, batch) to recall before `after_recall`.
    pub recall_batch: Option<(i64, String)>,
    pub planted: Vec<Planted>,
    /// Units commissioned in the clean chain, per (product id, batch).
    pub batches: Vec<(i64, String, usize)>,
}

pub const UNITS_PER_CASE: usize = 20;
pub const CASES_PER_PALLET: usize = 10;
const SOLD_PER_CASE: usize = 14;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// An SGLN location of the demo company prefix 6901234.
fn sgln(n: usize) -> String {
    format!("urn:epc:id:sgln:6901234.{n:05}.0")
}

/// Sites of the chain: the manufacturer, 3 distributors, 4 hospitals, 12 pharmacies, and the
/// extra sites the planted anomalies use.
fn sites() -> Vec<Site> {
    let mut out = vec![Site {
        id: sgln(1),
        name: "浙江康恩药业有限公司 生产基地".into(),
        kind: "manufacturer".into(),
        org_id: None,
        province: "浙江".into(),
    }];
    let distributors = [("杭州华东医药配送中心", "浙江"), ("宁波英特药业物流", "浙江"), ("南京医药苏州分公司", "江苏")];
    for (i, (name, p)) in distributors.iter().enumerate() {
        out.push(Site {
            id: sgln(10 + i),
            name: (*name).into(),
            kind: "distributor".into(),
            org_id: None,
            province: (*p).into(),
        });
    }
    let hospitals =
        ["浙江大学医学院附属第一医院", "杭州市第一人民医院", "宁波市医疗中心李惠利医院", "温州医科大学附属第二医院"];
    for (i, name) in hospitals.iter().enumerate() {
        out.push(Site {
            id: sgln(20 + i),
            name: (*name).into(),
            kind: "hospital".into(),
            org_id: None,
            province: "浙江".into(),
        });
    }
    let pharmacies = [
        "老百姓大药房 西湖店",
        "老百姓大药房 滨江店",
        "海王星辰 文三路店",
        "华东大药房 庆春店",
        "九州大药房 拱墅店",
        "益丰大药房 萧山店",
        "国大药房 鄞州店",
        "瑞人堂 海曙店",
        "一心堂 鹿城店",
        "张同泰 上城店",
        "方回春堂 河坊街店",
        "天天好大药房 余杭店",
    ];
    for (i, name) in pharmacies.iter().enumerate() {
        out.push(Site {
            id: sgln(40 + i),
            name: (*name).into(),
            kind: "pharmacy".into(),
            org_id: None,
            province: "浙江".into(),
        });
    }
    // For the planted anomalies: a pharmacy whose sales spike, and one that sells stock it does
    // not hold.
    out.push(Site {
        id: sgln(60),
        name: "康宁大药房 临平店".into(),
        kind: "pharmacy".into(),
        org_id: None,
        province: "浙江".into(),
    });
    out.push(Site {
        id: sgln(61),
        name: "惠民药房 城北店".into(),
        kind: "pharmacy".into(),
        org_id: None,
        province: "浙江".into(),
    });
    out
}

fn time(ms: i64) -> String {
    chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| tz.timestamp_millis_opt(ms).single())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
        .unwrap_or_default()
}

fn object(t: i64, epcs: &[String], action: &str, step: &str, disposition: &str, site: &str) -> Value {
    json!({
        "type": "ObjectEvent", "eventTime": time(t), "eventTimeZoneOffset": "+08:00",
        "epcList": epcs, "action": action, "bizStep": step, "disposition": disposition,
        "readPoint": {"id": site}, "bizLocation": {"id": site}
    })
}

fn aggregation(t: i64, parent: &str, children: &[String], action: &str, site: &str) -> Value {
    let (step, disposition) = if action == "ADD" { ("packing", "in_progress") } else { ("unpacking", "in_progress") };
    json!({
        "type": "AggregationEvent", "eventTime": time(t), "eventTimeZoneOffset": "+08:00",
        "parentID": parent, "childEPCs": children, "action": action, "bizStep": step, "disposition": disposition,
        "readPoint": {"id": site}, "bizLocation": {"id": site}
    })
}

fn shipping(t: i64, epcs: &[String], from: &str, to: &str) -> Value {
    let mut e = object(t, epcs, "OBSERVE", "shipping", "in_transit", from);
    e["destinationList"] = json!([{"type": "location", "destination": to}]);
    e.as_object_mut().map(|o| o.remove("bizLocation"));
    e
}

/// The generated 药品追溯码 (as an EPC URI) of a product's `serial`-th unit. Its check digits:
/// the real algorithm is not public, so any four digits derived from the rest serve.
pub fn unit_code(drug_code: &str, serial: u64) -> String {
    let body = format!("{drug_code}{serial:09}");
    let check = body.bytes().fold(7_u64, |h, b| (h * 31 + u64::from(b - b'0')) % 10_000);
    format!("urn:nmpa:code:{body}{check:04}")
}

fn sscc(serial: u64) -> String {
    // Extension digit 0, company prefix 6901234, serial reference of 9 digits.
    format!("urn:epc:id:sscc:6901234.0{serial:09}")
}

fn key(uri: &str) -> String {
    crate::codes::epc::key(uri, chrono::Utc::now().date_naive()).unwrap_or_else(|_| uri.to_string())
}

/// Generates a chain (deterministic for a plan).
pub fn generate(plan: &Plan) -> Chain {
    let sites = sites();
    let manufacturer = sites[0].id.clone();
    let distributors: Vec<String> = sites.iter().filter(|s| s.kind == "distributor").map(|s| s.id.clone()).collect();
    let retail: Vec<(String, bool)> = sites
        .iter()
        .filter(|s| (s.kind == "hospital" || s.kind == "pharmacy") && s.id != sgln(60) && s.id != sgln(61))
        .map(|s| (s.id.clone(), s.kind == "hospital"))
        .collect();
    let t0 = china_ms(plan.start) + 9 * HOUR;
    let pallets = plan.packs.div_ceil(UNITS_PER_CASE * CASES_PER_PALLET).max(1);
    let mut chain = Chain { sites: sites.clone(), ..Chain::default() };
    let products = if plan.products.is_empty() { vec![("8100001".to_string(), 0)] } else { plan.products.clone() };
    let batch_size = plan.batch_size.max(UNITS_PER_CASE);
    // (time, event): built per pallet, sorted at the end.
    let mut timed: Vec<(i64, Value)> = Vec::new();
    let mut serial: u64 = plan.first_serial;
    let mut sscc_serial: u64 = plan.first_serial / 10;
    // Units still in stock at a retail site: (site, unit, batch expiry) for planting.
    let mut stock: Vec<(String, String, i64)> = Vec::new();
    let mut sold: Vec<(String, String, i64)> = Vec::new();
    let mut unit_no = 0_usize;
    for p in 0..pallets {
        let made = t0 + p as i64 * DAY;
        let (drug_code, product_id) = &products[p % products.len()];
        let pallet = sscc({
            sscc_serial += 1;
            sscc_serial
        });
        let mut case_ids = Vec::new();
        for c in 0..CASES_PER_PALLET {
            let batch_no = unit_no / batch_size;
            let batch = format!("B{}{:04}", plan.start.format("%y%m"), batch_no + 1);
            let expiry = (plan.start + chrono::Days::new(730)).format("%Y-%m-%d").to_string();
            let units: Vec<String> = (0..UNITS_PER_CASE)
                .map(|_| {
                    serial += 1;
                    unit_code(drug_code, serial)
                })
                .collect();
            unit_no += UNITS_PER_CASE;
            match chain.batches.iter_mut().find(|(pid, b, _)| pid == product_id && *b == batch) {
                Some(entry) => entry.2 += UNITS_PER_CASE,
                None => chain.batches.push((*product_id, batch.clone(), UNITS_PER_CASE)),
            }
            let t = made + c as i64 * 60_000;
            let mut commission = object(t, &units, "ADD", "commissioning", "active", &manufacturer);
            commission["ilmd"] = json!({"cbvmda:lotNumber": batch, "cbvmda:itemExpirationDate": expiry});
            timed.push((t, commission));
            let case = sscc({
                sscc_serial += 1;
                sscc_serial
            });
            timed.push((t + 30_000, aggregation(t + 30_000, &case, &units, "ADD", &manufacturer)));
            case_ids.push((case, units));
        }
        let cases: Vec<String> = case_ids.iter().map(|(c, _)| c.clone()).collect();
        let packed = made + 2 * HOUR;
        timed.push((packed, aggregation(packed, &pallet, &cases, "ADD", &manufacturer)));
        let distributor = &distributors[p % distributors.len()];
        let shipped = made + 6 * HOUR;
        timed.push((shipped, shipping(shipped, std::slice::from_ref(&pallet), &manufacturer, distributor)));
        let received = made + DAY;
        timed.push((
            received,
            object(received, std::slice::from_ref(&pallet), "OBSERVE", "receiving", "in_progress", distributor),
        ));
        timed.push((received + HOUR, aggregation(received + HOUR, &pallet, &cases, "DELETE", distributor)));
        for (c, (case, units)) in case_ids.iter().enumerate() {
            let (site, hospital) = &retail[(p * CASES_PER_PALLET + c) % retail.len()];
            let out = received + 3 * HOUR + c as i64 * 60_000;
            timed.push((out, shipping(out, std::slice::from_ref(case), distributor, site)));
            let arrived = received + DAY;
            timed.push((
                arrived,
                object(arrived, std::slice::from_ref(case), "OBSERVE", "receiving", "in_progress", site),
            ));
            timed.push((arrived + HOUR, aggregation(arrived + HOUR, case, units, "DELETE", site)));
            for (i, u) in units.iter().enumerate() {
                if i < SOLD_PER_CASE {
                    let t = arrived + (i as i64 + 1) * DAY + ((c * 7 + i * 13) % 9) as i64 * HOUR;
                    let step = if *hospital { "dispensing" } else { "retail_selling" };
                    let disposition = if *hospital { "dispensed" } else { "retail_sold" };
                    timed.push((t, object(t, std::slice::from_ref(u), "OBSERVE", step, disposition, site)));
                    sold.push((site.clone(), u.clone(), t));
                } else {
                    stock.push((site.clone(), u.clone(), arrived + HOUR));
                }
            }
        }
    }
    let end = timed.iter().map(|(t, _)| *t).max().unwrap_or(t0);
    if plan.anomalies {
        plant(&mut chain, &mut timed, &stock, &sold, &sites, &products, end, t0);
    }
    timed.sort_by_key(|(t, _)| *t);
    chain.events = timed.into_iter().map(|(_, e)| e).collect();
    chain
}

fn china_ms(d: NaiveDate) -> i64 {
    yaolian_core::Timestamp::china_day_start(d).millis()
}

/// Plants one anomaly per rule on codes and sites the clean chain leaves alone.
#[allow(clippy::too_many_arguments)]
fn plant(
    chain: &mut Chain,
    timed: &mut Vec<(i64, Value)>,
    stock: &[(String, String, i64)],
    sold: &[(String, String, i64)],
    sites: &[Site],
    products: &[(String, i64)],
    end: i64,
    t0: i64,
) {
    let manufacturer = sites[0].id.clone();
    let jiangsu = sites.iter().find(|s| s.province == "江苏").map(|s| s.id.clone()).unwrap_or_default();
    let dist = sites.iter().find(|s| s.kind == "distributor").map(|s| s.id.clone()).unwrap_or_default();
    let after = end + DAY;
    // Stock units, taken from different retail sites so that no two plants share one.
    let mut pick = stock.iter().step_by(stock.len() / 8 + 1);
    let mut next = || pick.next().cloned();
    let mut plant = |kind: &'static str, key: String| chain.planted.push(Planted { kind, key });

    // 1. The same code commissioned again.
    if let Some((_, u, _)) = next() {
        timed.push((after, object(after, std::slice::from_ref(&u), "ADD", "commissioning", "active", &manufacturer)));
        plant("duplicate_commissioning", key(&u));
    }
    // 2. Sold by a pharmacy that does not hold it.
    if let Some((_, u, _)) = next() {
        let t = after + HOUR;
        timed.push((t, object(t, std::slice::from_ref(&u), "OBSERVE", "retail_selling", "retail_sold", &sgln(61))));
        plant("not_holder", key(&u));
    }
    // 3. Received by a distributor that nobody shipped it to.
    if let Some((_, u, _)) = next() {
        let t = after + 2 * HOUR;
        timed.push((t, object(t, std::slice::from_ref(&u), "OBSERVE", "receiving", "in_progress", &dist)));
        plant("receipt_without_shipment", key(&u));
    }
    // 4. Destroyed, then sold.
    if let Some((site, u, _)) = next() {
        let t = after + 3 * HOUR;
        timed.push((t, object(t, std::slice::from_ref(&u), "OBSERVE", "destroying", "destroyed", &site)));
        timed.push((
            t + DAY,
            object(t + DAY, std::slice::from_ref(&u), "OBSERVE", "retail_selling", "retail_sold", &site),
        ));
        plant("sale_destroyed", key(&u));
    }
    // 5. Moved into a second case while in another: stock at a pharmacy packed there into a
    // new tote, then that tote's content packed again elsewhere… kept simple: a unit packed
    // into two cases at its holder.
    if let Some((site, u, _)) = next() {
        let t = after + 4 * HOUR;
        timed.push((t, aggregation(t, &sscc(900_000_001), std::slice::from_ref(&u), "ADD", &site)));
        timed.push((t + HOUR, aggregation(t + HOUR, &sscc(900_000_002), std::slice::from_ref(&u), "ADD", &site)));
        plant("already_aggregated", key(&u));
    }
    // 6. Sold twice: a clean sale repeated the next day at the same pharmacy.
    if let Some((site, u, t)) =
        sold.iter().rev().find(|(s, _, _)| sites.iter().any(|x| x.id == *s && x.kind == "pharmacy"))
    {
        let again = (*t).max(end) + DAY + 5 * HOUR;
        timed.push((again, object(again, std::slice::from_ref(u), "OBSERVE", "retail_selling", "retail_sold", site)));
        plant("sold_twice", key(u));
    }
    // 7. Seen in another province 20 minutes after its sale.
    if let Some((_, u, t)) = sold.get(sold.len() / 2) {
        let t2 = t + 20 * 60_000;
        timed.push((t2, object(t2, std::slice::from_ref(u), "OBSERVE", "inspecting", "retail_sold", &jiangsu)));
        plant("too_close", key(u));
    }
    // 8. A code never commissioned, sold.
    let fake = unit_code(&products[0].0, 999_999_999);
    let t = after + 6 * HOUR;
    timed.push((t, object(t, std::slice::from_ref(&fake), "OBSERVE", "retail_selling", "retail_sold", &sgln(40))));
    plant("unknown_code", key(&fake));

    // 9. An expired lot: 20 units that expire ten days after production, shipped to a
    // pharmacy, one sold after expiry.
    let (drug_code, product_id) = &products[0];
    let lot = "EXP0001".to_string();
    let made = t0 + HOUR;
    let expiry = time(made + 10 * DAY).get(..10).unwrap_or_default().to_string();
    let units: Vec<String> = (0..UNITS_PER_CASE as u64).map(|i| unit_code(drug_code, 800_000_000 + i)).collect();
    let mut commission = object(made, &units, "ADD", "commissioning", "active", &manufacturer);
    commission["ilmd"] = json!({"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry});
    timed.push((made, commission));
    let case = sscc(900_000_003);
    timed.push((made + HOUR, aggregation(made + HOUR, &case, &units, "ADD", &manufacturer)));
    let pharmacy = sgln(41);
    timed.push((made + 2 * HOUR, shipping(made + 2 * HOUR, std::slice::from_ref(&case), &manufacturer, &pharmacy)));
    timed.push((
        made + DAY,
        object(made + DAY, std::slice::from_ref(&case), "OBSERVE", "receiving", "in_progress", &pharmacy),
    ));
    timed.push((made + DAY + HOUR, aggregation(made + DAY + HOUR, &case, &units, "DELETE", &pharmacy)));
    let t = made + 20 * DAY;
    timed.push((t, object(t, std::slice::from_ref(&units[0]), "OBSERVE", "retail_selling", "retail_sold", &pharmacy)));
    plant("sale_expired", key(&units[0]));

    // 10. A pharmacy whose sales jump: 4 cases in, 2 a day sold for 20 days, then 50 in a day.
    let spike = sgln(60);
    let lot = "SPK0001".to_string();
    let units: Vec<String> = (0..80_u64).map(|i| unit_code(drug_code, 810_000_000 + i)).collect();
    let made = t0 + 2 * HOUR;
    let mut commission = object(made, &units, "ADD", "commissioning", "active", &manufacturer);
    let expiry = time(made + 730 * DAY).get(..10).unwrap_or_default().to_string();
    commission["ilmd"] = json!({"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry});
    timed.push((made, commission));
    timed.push((made + HOUR, shipping(made + HOUR, &units, &manufacturer, &spike)));
    timed.push((made + DAY, object(made + DAY, &units, "OBSERVE", "receiving", "in_progress", &spike)));
    for (i, u) in units.iter().enumerate().take(40) {
        let t = made + (2 + i as i64 / 2) * DAY + (i as i64 % 2) * 3 * HOUR;
        timed.push((t, object(t, std::slice::from_ref(u), "OBSERVE", "retail_selling", "retail_sold", &spike)));
    }
    let day = made + 25 * DAY;
    for (i, u) in units.iter().enumerate().skip(40).take(30) {
        let t = day + i as i64 * 60_000;
        timed.push((t, object(t, std::slice::from_ref(u), "OBSERVE", "retail_selling", "retail_sold", &spike)));
    }
    plant("sales_spike", crate::codes::epc::key(&spike, chrono::Utc::now().date_naive()).unwrap_or_default());

    // 11. A recalled batch sold after the recall opened (captured after `recall_batch`).
    let lot = "RCL0001".to_string();
    let units: Vec<String> = (0..UNITS_PER_CASE as u64).map(|i| unit_code(drug_code, 820_000_000 + i)).collect();
    let made = t0 + 3 * HOUR;
    let mut commission = object(made, &units, "ADD", "commissioning", "active", &manufacturer);
    commission["ilmd"] = json!({"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry});
    timed.push((made, commission));
    let pharmacy = sgln(42);
    timed.push((made + HOUR, shipping(made + HOUR, &units, &manufacturer, &pharmacy)));
    timed.push((made + DAY, object(made + DAY, &units, "OBSERVE", "receiving", "in_progress", &pharmacy)));
    let t = after + 8 * HOUR;
    chain.after_recall.push(object(
        t,
        std::slice::from_ref(&units[0]),
        "OBSERVE",
        "retail_selling",
        "retail_sold",
        &pharmacy,
    ));
    chain.recall_batch = Some((*product_id, lot));
    chain.planted.push(Planted { kind: "sale_recalled", key: key(&units[0]) });
}
