//! The authorization matrix (issue "Keep the attack suite"): every API route against every
//! demo account and an anonymous caller, on SQLite and PostgreSQL.
//!
//! [`MATRIX`] is the table, one row per request: method, path, one code per caller, then the
//! JSON body (if any). The callers are, in this order and grouped by spaces:
//! `anonymous | admin secadmin auditor | nmpa.leader zj.leader zj.reviewer zj.clerk
//! zj.inspector js.inspector hz.inspector | kc.master kc.qa kc.analyst ht.master hk.master
//! hk.pharmacist ms.master ms.pharmacist zjph.master` (see `common/demo.rs`). Codes:
//!
//! - `A` — allowed: the request passed authorization. That is a 2xx, or 400, 409 or 422: the
//!   state-changing rows send bodies that are valid where cheap (the first allowed caller then
//!   creates the record and later ones get a 409/422 duplicate) or name a stale
//!   `expected_version`, so that an allowed caller changes nothing (409). The domain functions
//!   check the caller before the version, so a 409 means the caller got through.
//! - `D` — denied: 403 for a logged-in caller, 401 for the anonymous one.
//! - `N` — not found: 404 (a record outside the caller's reach may be hidden as not found).
//! - `U` — 401 for a logged-in caller (a wrong second-factor code); `X` — 503 (the test server
//!   runs without the site signing key). Any other status fails the cell.
//!
//! Path placeholders `{org.kc}`, `{product.ht}`, `{user.kc.target}` … are real ids from the
//! seeded world; a record of 康辰 (`kc`) tried by 恒泰 (`ht`) or another province is an IDOR
//! cell. The rows run top to bottom, every caller on one row before the next row, so a row that
//! changes state (closing a recall, completing a to-do) comes after the rows that read it, and
//! logout is last. Changed accounts are `kc.target` and `ht.target`, which are no column.
//!
//! The table must cover the API: the test fails when the OpenAPI document has a route without
//! a row, or when a `.route(…)` in `src/api/*.rs` is neither in the document nor in the table.
//! A cell marked `// FINDING:` above its row records today's behaviour where it differs from what
//! the role rules say; it is a bug to fix, not the intended rule.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::demo::{self, Demo};
use common::{login, Server, Session};
use reqwest::Method;
use serde_json::Value;
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

const MATRIX: &str = r#"
// method path                                              anon adm reg     company    body
POST   /api/v1/auth/login                                   A AAA AAAAAAA AAAAAAAAA {"username": "nobody"}
GET    /api/v1/me                                           D AAA AAAAAAA AAAAAAAAA
POST   /api/v1/me/password                                  D AAA AAAAAAA AAAAAAAAA {"current_password": "Yaolian@2026", "new_password": "short"}
// U: 401 for a logged-in caller, the wrong TOTP code (the session is complete already).
POST   /api/v1/auth/totp                                    D UUU UUUUUUU UUUUUUUUU {"code": "000000"}
POST   /api/v1/auth/totp/enroll                             D AAA AAAAAAA AAAAAAAAA
POST   /api/v1/auth/totp/confirm                            D UUU UUUUUUU UUUUUUUUU {"code": "000000"}
GET    /api/v1/orgs                                         D AAD AAAAAAA AAAAAAAAA
GET    /api/v1/orgs/{org.kc}                                D AAD AAAAADD AADDDDDDD
GET    /api/v1/orgs/{org.ht}                                D AAD ADDDDAD DDDADDDDD
POST   /api/v1/orgs                                         D ADD DDDDDDD DDDDDDDDD {"kind": "site", "name": "康辰药业 新仓库", "code": "91330100MA27XL3K2N-09", "parent_id": {org.kc}}
GET    /api/v1/users                                        D AAD AADDDDD ADDAADADA
POST   /api/v1/users                                        D DDD DDDDDDD ADDDDDDDD {"org_id": {org.kc}, "username": "kc.new", "display_name": "新人", "password": "Yaolian@2026", "roles": ["quality_head"]}
GET    /api/v1/users/{user.kc.qa}                           D AAD AADDDDD AADDDDDDD
GET    /api/v1/users/{user.ht.master}                       D AAD ADDDDDD DDDADDDDD
GET    /api/v1/users/{user.kc.qa}/history                   D AAD AADDDDD AADDDDDDD
PUT    /api/v1/users/{user.kc.target}/roles                 D DAD DDDDDDD ADDDDDDDD {"roles": ["quality_head"], "reason": "矩阵"}
PUT    /api/v1/users/{user.kc.target}/status                D ADD DDDDDDD ADDDDDDDD {"active": true, "reason": "矩阵"}
POST   /api/v1/users/{user.kc.target}/unlock                D DAD DDDDDDD DDDDDDDDD
PUT    /api/v1/users/{user.kc.target}/password              D AAD DDDDDDD ADDDDDDDD {"password": "Another@Pass2026"}
GET    /api/v1/roles                                        D AAD DDDDDDD ADDAADADA
PUT    /api/v1/roles/lab_analyst/mfa                        D DAD DDDDDDD DDDDDDDDD {"requires_mfa": false, "reason": "矩阵"}
// Role requests (two-person rule): the security administrator proposes; the system or security
// administrator decides (here the system administrator refuses 恒泰's, then the proposer's try is
// a 409: decided already; separation refusals are 409 too, tested in identity).
GET    /api/v1/role-requests                                D AAD DDDDDDD DDDDDDDDD
POST   /api/v1/role-requests                                D DAD DDDDDDD DDDDDDDDD {"user_id": {user.kc.target}, "roles": ["quality_head", "lab_analyst"], "reason": "矩阵"}
POST   /api/v1/role-requests/{role_request.ht}/decision     D AAD DDDDDDD DDDDDDDDD {"approve": false, "reason": "矩阵"}
GET    /api/v1/tokens                                       D AAA AAAAAAA AAAAAAAAA
POST   /api/v1/tokens                                       D AAA AAAAAAA AAAAAAAAA {"name": "矩阵", "scopes": ["portal.use"], "valid_days": 1}
DELETE /api/v1/tokens/{token.kc.master}                     D NNN NNNNNNN ANNNNNNNN
GET    /api/v1/audit                                        D DDA DDDDDDD DDDDDDDDD
GET    /api/v1/audit.csv                                    D DDA DDDDDDD DDDDDDDDD
GET    /api/v1/audit.xlsx                                   D DDA DDDDDDD DDDDDDDDD
GET    /api/v1/audit/summary                                D DDA DDDDDDD DDDDDDDDD
GET    /api/v1/audit/alerts                                 D DDA DDDDDDD DDDDDDDDD
GET    /api/v1/audit/alert-rules                            D DDA DDDDDDD DDDDDDDDD
PUT    /api/v1/audit/alert-rules/bulk_export                D DDA DDDDDDD DDDDDDDDD {"enabled": true, "threshold": 3, "window_minutes": 10, "reason": "矩阵"}
GET    /api/v1/portal/todos                                 D AAA AAAAAAA AAAAAAAAA
POST   /api/v1/portal/todos                                 D ADD DDDDDDD DDDDDDDDD {"org_id": {org.kc}, "module": "trace", "title": "矩阵"}
GET    /api/v1/portal/messages                              D AAA AAAAAAA AAAAAAAAA
POST   /api/v1/portal/messages/{message.kc.qa}/read         D NNN NNNNNNN NANNNNNNN
POST   /api/v1/portal/todos/{todo.kc.qa}/done               D NNN NNNNNNN NANNNNNNN
GET    /api/v1/ledger/checkpoint                            A AAA AAAAAAA AAAAAAAAA
// X: this server has no site signing key: 503 for the one caller allowed to sign (the
// permission is checked first); a signing server is tested in api.rs.
POST   /api/v1/ledger/checkpoints                           D XDD DDDDDDD DDDDDDDDD
GET    /api/v1/ledger/checkpoints/1                         N NNN NNNNNNN NNNNNNNNN
GET    /api/v1/ledger/entries/0                             D DDA DDDDDDD DDDDDDDDD
GET    /api/v1/ledger/proof/inclusion?index=0&tree_size=1   A AAA AAAAAAA AAAAAAAAA
GET    /api/v1/ledger/proof/consistency?first=1&second=1    A AAA AAAAAAA AAAAAAAAA
GET    /api/v1/ledger/public-key                            A AAA AAAAAAA AAAAAAAAA
GET    /api/v1/records/product/{product.kc}                 D DDD AAAAADD AADDDDDDD
GET    /api/v1/records/product/{product.kc}/signatures      D DDD AAAAADD AADDDDDDD
POST   /api/v1/records/product/{product.kc}/signatures      D DDD AAAAADD AADDDDDDD {"version": 99, "meaning": "review", "password": "Yaolian@2026"}
GET    /api/v1/records/license/{license.kc}                 D DDD AAAAADD AADDDDDDD
GET    /api/v1/products                                     D DDD AAAAAAA AAAAAAAAA
POST   /api/v1/products                                     D DDD DDADDDD AADDDDDDD {"approval_number": "国药准字H20230002", "generic_name": "阿莫西林胶囊", "dosage_form": "胶囊剂", "strength": "0.25g", "pack": "24粒/盒", "mah_org_id": {org.kc}, "gtins": ["06901234000092"]}
GET    /api/v1/products/{product.kc}                        D DDD AAAAADD AADDDDDDD
GET    /api/v1/products/{product.ht}                        D DDD ADDDDAD DDDADDDDD
PUT    /api/v1/products/{product.kc}                        D DDD DDADDDD AADDDDDDD {"approval_number": "国药准字H20230001", "generic_name": "盐酸二甲双胍片", "dosage_form": "片剂", "strength": "0.5g", "pack": "30片/盒", "mah_org_id": {org.kc}, "gtins": ["06901234000016"], "reason": "矩阵", "expected_version": 99}
POST   /api/v1/products/import                              D DDD DDADDDD AADAADADA
GET    /api/v1/products.xlsx                                D DDD AAAAAAA AAAAAAAAA
GET    /api/v1/companies/{org.kc}/dossier                   D DDD AAAAADD AADDDDDDD
PUT    /api/v1/companies/{org.kc}/profile                   D DDD DDADDDD AADDDDDDD {"profile": {"legal_rep": "陈康", "address": "杭州", "business_scope": "片剂", "contact_phone": "0571-1"}, "reason": "矩阵", "expected_version": 99}
GET    /api/v1/registry/search?q=康辰                         D DDD AAAAAAA AAAAAAAAA
GET    /api/v1/persons?q=周明                                 D DDD AAAAAAA AAAAAAAAA
POST   /api/v1/persons                                      D DDD DDADDDD AADDDDDDD {"name": "吴婷", "qualification": "qualified_person", "cert_number": "SQ-33-2023-0045", "employer_org_id": {org.kc}, "valid_from": "2023-01-15", "valid_until": "2028-01-14"}
GET    /api/v1/licenses                                     D DDD AAAAAAA AADAADADA
POST   /api/v1/licenses                                     D DDD AADDDDD DDDDDDDDD @license
GET    /api/v1/licenses/{license.kc}                        D DDD AAAAADD AADDDDDDD
POST   /api/v1/licenses/{license.kc}/change                 D DDD AADDDDD DDDDDDDDD {"fields": {"quality_head": "陈静"}, "reason": "矩阵", "expected_version": 99}
POST   /api/v1/licenses/{license.kc}/renew                  D DDD AADDDDD DDDDDDDDD {"reason": "矩阵", "expected_version": 99}
POST   /api/v1/licenses/{license.kc}/status                 D DDD AADDDDD DDDDDDDDD {"action": "suspend", "reason": "矩阵", "expected_version": 99}
GET    /api/v1/licenses/{license.kc}/export                 D DDD AAAAADD AADDDDDDD
GET    /api/v1/public/licenses/{license.kc.identifier}      A AAA AAAAAAA AAAAAAAAA
GET    /api/v1/public/licenses/revoked                      A AAA AAAAAAA AAAAAAAAA
GET    /api/v1/public/authority-keys/none                   N NNN NNNNNNN NNNNNNNNN
GET    /api/v1/services/types                               D AAA AAAAAAA AAAAAAAAA
PUT    /api/v1/services/types/drug_retail_issue             D ADD DDDDDDD DDDDDDDDD {"accept_days": 5, "decide_days": 20, "active": true, "reason": "矩阵", "expected_version": 99}
GET    /api/v1/services/calendar                            D AAA AAAAAAA AAAAAAAAA
PUT    /api/v1/services/calendar/2030-01-02                 D ADD DDDDDDD DDDDDDDDD {"kind": "holiday", "name": "矩阵", "reason": "矩阵"}
GET    /api/v1/services/statistics                          D DDD AAAADDD AADAADADA
GET    /api/v1/applications                                 D DDD AAAADDD AADAADADA
POST   /api/v1/applications                                 D DDD DDDDDDD AADDDDDDD @application
GET    /api/v1/applications/{application.kc}                D DDD AAAADDD AADDDDDDD
GET    /api/v1/applications/{application.kc}/reviewers      D DDD DDAADDD DDDDDDDDD
GET    /api/v1/applications/{application.kc}/files/{file.kc} D DDD AAAADDD AADDDDDDD
POST   /api/v1/applications/{application.kc}/resubmit       D DDD DDDDDDD AADDDDDDD {"expected_version": 99}
POST   /api/v1/applications/{application.kc}/act            D DDD DDAADDD DDDDDDDDD {"action": "accept", "expected_version": 99}
POST   /api/v1/applications/{application.kc}/decide         D DDD AADDDDD DDDDDDDDD {"outcome": "approve", "opinion": "矩阵", "password": "Yaolian@2026", "expected_version": 99}
POST   /api/v1/applications/{application.kc}/withdraw       D DDD DDDDDDD AADDDDDDD {"expected_version": 99}
// 202 accepts the job; the site of each event is checked in the job.
POST   /epcis/capture                                       D DDD AADDAAA AADAAAAAA {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-28T10:00:00+08:00", "epcisBody": {"eventList": []}}
GET    /epcis/capture/999999                                D NNN NNNNNNN NNNNNNNNN
// The first allowed caller stores the event; later ones get 409 (duplicate) before any site
// check, and other companies 422 (not their site).
POST   /epcis/events                                        D DDD AADDAAA AADAAAAAA {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00", "epcList": ["urn:epc:id:sgtin:6901234.000001.1001"], "action": "ADD", "bizStep": "commissioning", "disposition": "active", "readPoint": {"id": "{kc.site}"}, "ilmd": {"cbvmda:lotNumber": "B2026001", "cbvmda:itemExpirationDate": "2028-11-30"}}
GET    /epcis/events                                        D DDD AAADAAA AADAAAAAA
GET    /epcis/events/none                                   D DDD NNNDNNN NNDNNNNNN
GET    /epcis/epcs/urn:epc:id:sgtin:6901234.000001.1001/events D DDD AAADAAA AADAAAAAA
GET    /api/v1/trace/events/none/proof                      D DDD NNNDNNN NNDNNNNNN
GET    /api/v1/trace/verify/06901234000016                  D DDD AAADAAA AADAAAAAA
GET    /api/v1/trace/codes/81000010000000000001             D DDD NNNDNNN DDDDDDDDD
GET    /api/v1/trace/where-to?product_id={product.kc}&batch=B2026001 D DDD AAADAAA DDDDDDDDD
// 属地: a bureau reads sites of its own area (杭州 and 江苏 are not 康辰's).
GET    /api/v1/trace/where-from?site={kc.site}              D DDD AAADANN AADNNNNNN
GET    /api/v1/trace/recalls                                D DDD AAADAAA DDDDDDDDD
// js.inspector (江苏) and hz.inspector (杭州) are D: 康辰 (浙江) is outside their subtree.
POST   /api/v1/trace/recalls                                D DDD AADDADD ADDDDDDDD {"product_id": {product.kc}, "batches": ["B2026002"], "level": 3, "reason": "矩阵"}
GET    /api/v1/trace/recalls/{recall.kc}                    D NNN AAANAAA AANNNNNNN
GET    /api/v1/trace/anomalies                              D DDD AAADAAA AADAAAAAA
POST   /api/v1/trace/anomalies/999999/close                 D DDD NNDDNNN DDDDDDDDD {"note": "矩阵"}
GET    /api/v1/supervision/cases                            D DDD AAADAAA DDDDDDDDD
GET    /api/v1/supervision/cases/statistics                 D DDD AAADAAA DDDDDDDDD
// js.inspector and hz.inspector get 422: 康辰 is not under their bureau.
POST   /api/v1/supervision/cases                            D DDD AADDAAA DDDDDDDDD {"company_id": {org.kc}, "title": "矩阵", "level": "low"}
GET    /api/v1/supervision/cases/{case.zj}                  D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/cases/{case.zj}/assignment       D NNN AADNANN NNNNNNNNN {"assignee": "zj.inspector", "version": 999}
// Only the assigned officer disposes; the case has none yet.
POST   /api/v1/supervision/cases/{case.zj}/disposal         D NNN DDDNDNN NNNNNNNNN {"findings": "矩阵", "measures": ["none"], "version": 999}
POST   /api/v1/supervision/cases/{case.zj}/verification     D NNN AADNANN NNNNNNNNN {"passed": true, "note": "矩阵", "version": 999}
POST   /api/v1/supervision/cases/{case.zj}/closure          D NNN AADNANN NNNNNNNNN {"version": 999}
POST   /api/v1/supervision/anomaly-cases                    D DDD NNDDNNN DDDDDDDDD {"anomaly_id": 999999}
GET    /api/v1/supervision/scores                           D DDD AAADAAA DDDDDDDDD
GET    /api/v1/supervision/scores/distribution              D DDD AAADAAA DDDDDDDDD
GET    /api/v1/supervision/companies/{org.kc}/portrait      D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/scores/recompute                 D DDD AADDAAA DDDDDDDDD
GET    /api/v1/supervision/model                            D DDD AAADAAA DDDDDDDDD
PUT    /api/v1/supervision/model                            D DDD AADDDDD DDDDDDDDD {"model": {}, "reason": "矩阵", "version": 999}
GET    /api/v1/supervision/plans                            D DDD AAADAAA DDDDDDDDD
POST   /api/v1/supervision/plans                            D DDD AADDAAA DDDDDDDDD {"year": 2027}
GET    /api/v1/supervision/plans/{plan.zj}                  D NNN AAANANN NNNNNNNNN
GET    /api/v1/supervision/plans/{plan.zj}/inspections      D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/plans/{plan.zj}/inspections      D NNN AADNANN NNNNNNNNN {"company_id": {org.kc}, "month": 6, "kind": "for_cause", "reason": "矩阵"}
POST   /api/v1/supervision/plans/{plan.zj}/publication      D NNN AADNDNN NNNNNNNNN {"version": 999, "password": "Yaolian@2026"}
GET    /api/v1/supervision/inspections/{inspection.zj}      D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/inspections/{inspection.zj}/schedule D NNN AADNANN NNNNNNNNN {"month": 6, "reason": "矩阵", "version": 999}
POST   /api/v1/supervision/inspections/{inspection.zj}/start D NNN AADNANN NNNNNNNNN {"members": ["zj.leader"], "version": 999}
GET    /api/v1/supervision/inspections/{inspection.zj}/onsite D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/inspections/{inspection.zj}/progress D NNN DADNANN NNNNNNNNN {"checklist": [], "version": 999}
POST   /api/v1/supervision/inspections/{inspection.zj}/findings D NNN DADNANN NNNNNNNNN {"grade": "minor", "description": "矩阵"}
POST   /api/v1/supervision/findings/{finding.zj}/evidence   D NNN DADNANN NNNNNNNNN {"files": []}
GET    /api/v1/supervision/findings/{finding.zj}/evidence-check D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/inspections/{inspection.zj}/signatures/inspector D NNN DADNANN NNNNNNNNN {"version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/inspections/{inspection.zj}/signatures/company D NNN DADNANN NNNNNNNNN {"version": 999, "representative": "kc.master", "password": "Yaolian@2026"}
POST   /api/v1/supervision/findings/{finding.zj}/capa       D NNN NNNNNNN AANNNNNNN {"capa": "矩阵", "version": 999}
POST   /api/v1/supervision/findings/{finding.zj}/capa-verification D NNN AADNANN NNNNNNNNN {"passed": true, "version": 999}
GET    /api/v1/supervision/company-findings                 D DDD DDDDDDD AAAAADADA
GET    /api/v1/supervision/sampling-plans                   D DDD AAADAAA DDDDDDDDD
POST   /api/v1/supervision/sampling-plans                   D DDD AADDAAA DDDDDDDDD {"year": 2026, "title": "矩阵", "quota": 0}
GET    /api/v1/supervision/sampling-plans/{sampling.zj}     D NNN AAANANN NNNNNNNNN
GET    /api/v1/supervision/sampling-plans/{sampling.zj}/samples D NNN AAANANN NNNNNNNNN
GET    /api/v1/supervision/samples/{sample.zj}              D NNN AAANANN NNNNNNNNN
GET    /api/v1/supervision/samples/{sample.zj}/comparison   D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/samples/{sample.zj}/assignment   D NNN AADNANN NNNNNNNNN {"members": ["zj.inspector", "zj.leader"], "version": 999}
POST   /api/v1/supervision/samples/{sample.zj}/taking       D NNN AADNANN NNNNNNNNN {"batch": "B1", "quantity": "1", "place": "矩阵", "seal": "1", "version": 999}
POST   /api/v1/supervision/samples/{sample.zj}/handover     D NNN AADNANN NNNNNNNNN {"to": "zj.leader", "version": 999}
POST   /api/v1/supervision/samples/{sample.zj}/receipt      D NNN AADNANN NNNNNNNNN {"seal_intact": true, "version": 999}
POST   /api/v1/supervision/samples/{sample.zj}/results      D NNN AADNANN NNNNNNNNN {"items": [{"item": "含量", "low": "90", "high": "110", "value": "100"}], "version": 999}
POST   /api/v1/supervision/samples/{sample.zj}/report       D NNN AADNANN NNNNNNNNN {"version": 999, "password": "Yaolian@2026"}
GET    /api/v1/supervision/complaints                       D DDD AAADAAA DDDDDDDDD
POST   /api/v1/supervision/complaints                       D DDD AADDAAA DDDDDDDDD {"kind": "report", "channel": "form", "subject": "", "content": ""}
GET    /api/v1/supervision/complaints/{complaint.zj}        D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/complaints/{complaint.zj}/triage D NNN AADNANN NNNNNNNNN {"accept": true, "note": "矩阵", "version": 999}
POST   /api/v1/supervision/complaints/{complaint.zj}/reply  D NNN AADNANN NNNNNNNNN {"text": "矩阵", "version": 999}
POST   /api/v1/supervision/complaints/{complaint.zj}/enforcement D NNN AADNANN NNNNNNNNN {"version": 999}
POST   /api/v1/supervision/cases/{case.zj}/enforcement      D NNN AADNANN NNNNNNNNN
GET    /api/v1/supervision/enforcements                     D DDD AAADAAA DDDDDDDDD
POST   /api/v1/supervision/enforcements                     D DDD AADDAAA DDDDDDDDD {"company_id": {org.kc}, "title": ""}
GET    /api/v1/supervision/enforcements/statistics          D DDD AAADAAA DDDDDDDDD
GET    /api/v1/supervision/enforcements/{enforcement.zj}    D NNN AAANANN NNNNNNNNN
GET    /api/v1/supervision/enforcements/{enforcement.zj}/evidence-check D NNN AAANANN NNNNNNNNN
POST   /api/v1/supervision/enforcements/{enforcement.zj}/filing D NNN AADNDNN NNNNNNNNN {"handlers": ["zj.inspector", "zj.leader"], "version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/ending D NNN AADNDNN NNNNNNNNN {"reason": "矩阵", "version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/evidence D NNN DDDNDNN NNNNNNNNN {"files": [], "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/report D NNN DDDNDNN NNNNNNNNN {"facts": "矩阵", "legal_basis": "矩阵", "penalty_basis": "矩阵", "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/review D NNN AADNANN NNNNNNNNN {"passed": true, "opinion": "矩阵", "version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/notice D NNN AADNDNN NNNNNNNNN {"version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/statement D NNN DDDNDNN NNNNNNNNN {"text": "矩阵", "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/hearing D NNN DDDNDNN NNNNNNNNN {"version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/hearing-report D NNN DDDNDNN NNNNNNNNN {"text": "矩阵", "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/pauses D NNN DDDNDNN NNNNNNNNN {"kind": "testing", "note": "矩阵", "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/resumption D NNN DDDNDNN NNNNNNNNN {"pause_id": 1, "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/extension D NNN AADNDNN NNNNNNNNN {"limit": "verify", "reason": "矩阵", "version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/decision D NNN AADNDNN NNNNNNNNN {"outcome": "penalty", "version": 999, "password": "Yaolian@2026"}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/service D NNN DDDNDNN NNNNNNNNN {"method": "direct", "text": "矩阵", "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/execution D NNN DDDNDNN NNNNNNNNN {"text": "矩阵", "version": 999}
POST   /api/v1/supervision/enforcements/{enforcement.zj}/closure D NNN AADNDNN NNNNNNNNN {"reason": "矩阵", "version": 999, "password": "Yaolian@2026"}
GET    /api/v1/supervision/enforcement-documents/999999/export D NNN NNNNNNN NNNNNNNNN
GET    /api/v1/public/documents/000000000000000000000000    N NNN NNNNNNN NNNNNNNNN
POST   /api/v1/trace/anomalies/999999/answers               D DDD DDDDDDD NNDNNNNNN {"text": "矩阵"}
GET    /api/v1/trace/anomalies/999999/files/1               D DDD NNNDNNN NNDNNNNNN
GET    /api/v1/trace/sites                                  D DDD AAADAAA AADAAAAAA
POST   /api/v1/trace/sites                                  D DDD AADDADD DDDDDDDDD [{"id": "{kc.site}", "name": "康辰药业 钱塘生产基地", "kind": "manufacturer", "org_id": {org.kc}}]
GET    /api/v1/trace/pack-codes                             D DDD AAADAAA AADAAAAAA
POST   /api/v1/trace/pack-codes                             D DDD AADDADD AADDDDDDD {"prefix": "8110001", "product_id": {product.kc}, "level": "case", "per_parent": 20}
POST   /api/v1/trace/recalls/{recall.kc}/close              D DDD AADDADD ADDDDDDDD
// Inventory: a company's stockrooms; regulators hold no inventory permission. 康辰's item and lot
// are at 康辰 itself, out of the lab analyst's own-organization scope (not found for him).
GET    /api/v1/inventory/items                              D DDD DDDDDDD AAAAADADA
GET    /api/v1/inventory/items/{item.kc}                    D NNN NNNNNNN AANNNNNNN
GET    /api/v1/inventory/lots/{lot.kc}                      D NNN NNNNNNN AANNNNNNN
GET    /api/v1/inventory/expiring                           D DDD DDDDDDD AAAAADADA
GET    /api/v1/inventory/waste                              D DDD DDDDDDD AAAAADADA
GET    /api/v1/inventory/adjustments                        D DDD DDDDDDD AADDDDDDD
POST   /api/v1/inventory/items                              D DDD DDDDDDD ADDDDDDDD {"org_id": {org.kc}, "code": "R-0002", "name_zh": "甲醇", "category": "reagent", "unit": "mL", "cas": "67-56-1"}
POST   /api/v1/inventory/lots                               D NNN NNNNNNN ADNNNNNNN {"item_id": {item.kc}, "lot_no": "L-M", "expires_on": "2031-01-01", "qty": "10"}
POST   /api/v1/inventory/issues                             D NNN NNNNNNN ADNNNNNNN {"item_id": {item.kc}, "qty": "1", "purpose": "矩阵"}
POST   /api/v1/inventory/lots/{lot.kc}/return               D NNN NNNNNNN ADNNNNNNN {"qty": "1000", "purpose": "矩阵"}
POST   /api/v1/inventory/lots/{lot.kc}/count                D NNN NNNNNNN ADNNNNNNN {"counted": "5", "reason": "矩阵"}
POST   /api/v1/inventory/adjustments/{adjustment.kc}/decision D NNN NNNNNNN AANNNNNNN {"approve": false, "note": "矩阵"}
GET    /api/v1/inventory/usage                              D DDD DDDDDDD AAAAADADA
POST   /api/v1/inventory/lots/{lot.kc}/transfer             D NNN NNNNNNN ADNNNNNNN {"room": "矩阵库房", "reason": "矩阵"}
POST   /api/v1/inventory/lots/{lot.kc}/dispose              D NNN NNNNNNN ADNNNNNNN {"reason": "矩阵"}
// Quality: deviations and CAPAs of a company; QA (质量负责人) investigates, approves and manages
// CAPAs, master accounts and analysts report. 康辰's records are at 康辰 itself.
GET    /api/v1/quality/deviations                           D DDD DDDDDDD AAAAADADA
GET    /api/v1/quality/capas                                D DDD DDDDDDD AAAAADADA
GET    /api/v1/quality/deviations/{deviation.kc}            D NNN NNNNNNN AANNNNNNN
GET    /api/v1/quality/capas/{capa.kc}                      D NNN NNNNNNN AANNNNNNN
POST   /api/v1/quality/deviations                           D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "title": "矩阵", "description": "矩阵"}
POST   /api/v1/quality/oos                                  D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "test": "含量测定", "result": "93.2%", "specification": "95.0%～105.0%"}
POST   /api/v1/quality/signals                              D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "source": "environment", "at": "B级区 灌装间", "parameter": "悬浮粒子", "reading": "3620", "limit": "3520"}
POST   /api/v1/quality/deviations/{deviation.kc}/investigation D NNN NNNNNNN AANNNNNNN {"classification": "minor", "classification_reason": "矩阵", "cause_category": "method", "five_whys": ["矩阵"], "root_cause": "矩阵", "impact": "矩阵"}
POST   /api/v1/quality/deviations/{deviation.kc}/extension  D NNN NNNNNNN AANNNNNNN {"due_on": "2031-01-01", "reason": "矩阵"}
POST   /api/v1/quality/capas                                D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "title": "矩阵", "actions": [{"description": "矩阵", "owner": "矩阵", "due_on": "2031-01-01"}]}
POST   /api/v1/quality/capas/{capa.kc}/action-done          D NNN NNNNNNN AANNNNNNN {"index": 0, "evidence": "矩阵"}
POST   /api/v1/quality/capas/{capa.kc}/actions              D NNN NNNNNNN AANNNNNNN {"actions": [{"description": "矩阵", "owner": "矩阵", "due_on": "2031-01-01"}], "reason": "矩阵"}
POST   /api/v1/quality/capas/{capa.kc}/closure              D NNN NNNNNNN AANNNNNNN {"note": "矩阵", "password": "Yaolian@2026"}
POST   /api/v1/quality/capas/{capa.kc}/effectiveness        D NNN NNNNNNN AANNNNNNN {"effective": false, "note": "矩阵", "password": "Yaolian@2026"}
POST   /api/v1/quality/deviations/{deviation.kc}/approval   D NNN NNNNNNN AANNNNNNN {"password": "Yaolian@2026"}
// Controlled documents: QA drafts, submits and approves (the seeded draft's author is the
// system, so 康辰's master account approves it), records training, makes a document obsolete.
GET    /api/v1/quality/documents                            D DDD DDDDDDD AAAAADADA
GET    /api/v1/quality/documents/{doc.kc}                   D NNN NNNNNNN AANNNNNNN
GET    /api/v1/quality/documents/{doc.kc}/for-me            D NNN NNNNNNN AANNNNNNN
POST   /api/v1/quality/documents                            D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "code": "SOP-QC-099", "title": "矩阵", "file": {"label": "文件", "name": "a.pdf", "content_base64": "YWJj"}}
POST   /api/v1/quality/documents/{doc.kc}/revisions         D NNN NNNNNNN AANNNNNNN {"file": {"label": "文件", "name": "a.pdf", "content_base64": "YWJk"}, "reason": "矩阵"}
POST   /api/v1/quality/documents/{doc.kc}/submission        D NNN NNNNNNN AANNNNNNN
POST   /api/v1/quality/documents/{doc.kc}/approval          D NNN NNNNNNN AANNNNNNN {"effective_on": "2030-01-01", "password": "Yaolian@2026"}
POST   /api/v1/quality/documents/{doc.kc}/trainings         D NNN NNNNNNN AANNNNNNN {"revision_id": {docrev.kc}, "user_id": {user.kc.analyst}}
POST   /api/v1/quality/documents/{doc.kc}/review            D NNN NNNNNNN AANNNNNNN {"note": "矩阵", "password": "Yaolian@2026"}
POST   /api/v1/quality/documents/{doc.kc}/obsolete          D NNN NNNNNNN AANNNNNNN {"reason": "矩阵"}
// Change control: requested by whoever reports (康辰's change is at 康辰 itself), assessed by QA,
// signed by the functions (the assessment names QA only, so the first signer starts it, and
// the steps after find it in another state or refuse their input: 409 / 422).
GET    /api/v1/quality/changes                              D DDD DDDDDDD AAAAADADA
GET    /api/v1/quality/changes/{change.kc}                  D NNN NNNNNNN AANNNNNNN
POST   /api/v1/quality/changes                              D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "title": "矩阵", "description": "矩阵", "reason": "矩阵", "kind": "other"}
POST   /api/v1/quality/changes/{change.kc}/assessment       D NNN NNNNNNN AANNNNNNN {"classification": "minor", "classification_reason": "矩阵", "risks": [{"mode": "矩阵", "effect": "矩阵", "severity": 2, "occurrence": 2, "detection": 2}], "tasks": [{"description": "矩阵", "owner": "矩阵", "due_on": "2031-01-01"}]}
POST   /api/v1/quality/changes/{change.kc}/decision         D NNN NNNNNNN AANNNNNNN {"function": "qa", "approved": true, "password": "Yaolian@2026"}
POST   /api/v1/quality/changes/{change.kc}/task-done        D NNN NNNNNNN AANNNNNNN {"index": 0, "evidence": "矩阵"}
POST   /api/v1/quality/changes/{change.kc}/batch-review     D NNN NNNNNNN AANNNNNNN {"batch": "B1", "acceptable": true, "conclusion": "矩阵"}
POST   /api/v1/quality/changes/{change.kc}/document-revision D NNN NNNNNNN AANNNNNNN {"document_id": {doc.kc}, "file": {"label": "文件", "name": "a.pdf", "content_base64": "YWJl"}, "reason": "矩阵"}
POST   /api/v1/quality/changes/{change.kc}/closure          D NNN NNNNNNN AANNNNNNN {"note": "矩阵", "password": "Yaolian@2026"}
// Instruments: the company's (康辰's is at 康辰 itself); QA and master accounts register and
// calibrate, master accounts and analysts use — once calibrated.
GET    /api/v1/lab/instruments                              D DDD DDDDDDD AAAAADADA
GET    /api/v1/lab/instruments/{instrument.kc}              D NNN NNNNNNN AANNNNNNN
GET    /api/v1/lab/instruments/{instrument.kc}/uses         D NNN NNNNNNN AANNNNNNN
POST   /api/v1/lab/instruments                              D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "code": "BAL-09", "name": "矩阵", "calibration_interval_days": 365}
POST   /api/v1/lab/instruments/{instrument.kc}/calibrations D NNN NNNNNNN AANNNNNNN {"performed_on": "2026-01-01", "certificate": "矩阵", "passed": true}
POST   /api/v1/lab/instruments/{instrument.kc}/uses         D NNN NNNNNNN ADNNNNNNN {"purpose": "矩阵"}
// Results from the instrument capture agent: delivered by whoever may use the laboratory's
// instruments (the first caller stores it, a second sending the same content gets it back).
GET    /api/v1/lab/results                                  D DDD DDDDDDD AAAAADADA
POST   /api/v1/lab/results                                  D DDD DDDDDDD ADDDDDDDD {"org_id": {org.kc}, "idempotency_key": "matrix-0001", "instrument": "HPLC-01", "kind": "raw", "acquired_at": "2026-12-01T09:30:00+08:00", "acquired_by": "矩阵", "raw": {"label": "原始文件", "name": "a.dat", "content_base64": "YWJj"}}
// Record templates and lab records: 康辰's are at 康辰 itself (not found for the lab analyst);
// QA and master accounts design and approve templates; the master account (with 实验员's
// lab.use) makes and fills records, QA reviews and approves (lab.manage) but does not fill.
GET    /api/v1/lab/templates                                D DDD DDDDDDD AAAAADADA
POST   /api/v1/lab/templates                                D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "code": "TPL-009", "title": "矩阵", "definition": {"sections": [{"title": "称量", "fields": [{"key": "w", "label": "称样量", "kind": "number"}]}]}}
GET    /api/v1/lab/templates/{template.kc}                  D NNN NNNNNNN AANNNNNNN
PUT    /api/v1/lab/templates/{template.kc}                  D NNN NNNNNNN AANNNNNNN {"definition": {"sections": [{"title": "称量", "fields": [{"key": "w", "label": "称样量", "kind": "number"}]}]}, "version": 2}
POST   /api/v1/lab/templates/{template.kc}/versions         D NNN NNNNNNN AANNNNNNN {"change_note": "矩阵"}
POST   /api/v1/lab/templates/{template.kc}/approval         D NNN NNNNNNN AANNNNNNN {"password": "Yaolian@2026"}
GET    /api/v1/lab/records                                  D DDD DDDDDDD AAAAADADA
POST   /api/v1/lab/records                                  D NNN NNNNNNN ADNNNNNNN {"template_version_id": {template.kc}, "title": "矩阵"}
GET    /api/v1/lab/records/{record.kc}                      D NNN NNNNNNN AANNNNNNN
POST   /api/v1/lab/records/{record.kc}/entries              D NNN NNNNNNN ADNNNNNNN {"values": {}, "version": 1}
POST   /api/v1/lab/records/{record.kc}/submission           D NNN NNNNNNN ADNNNNNNN {"password": "Yaolian@2026"}
POST   /api/v1/lab/records/{record.kc}/review               D NNN NNNNNNN AANNNNNNN {"password": "Yaolian@2026"}
POST   /api/v1/lab/records/{record.kc}/approval             D NNN NNNNNNN AANNNNNNN {"password": "Yaolian@2026"}
POST   /api/v1/lab/records/{record.kc}/send-back            D NNN NNNNNNN AANNNNNNN {"reason": "矩阵", "version": 1}
// Environment monitoring: 康辰's room is at 康辰 itself; QA and master accounts set rooms up,
// the master account records readings (the analyst's own organization is the lab).
GET    /api/v1/lab/rooms                                    D DDD DDDDDDD AAAAADADA
POST   /api/v1/lab/rooms                                    D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "code": "R-09", "name": "矩阵", "temp_low": "18", "temp_high": "26", "rh_low": "45", "rh_high": "65"}
GET    /api/v1/lab/rooms/{room.kc}/readings                 D NNN NNNNNNN AANNNNNNN
POST   /api/v1/lab/rooms/{room.kc}/readings                 D NNN NNNNNNN ADNNNNNNN {"temperature": "22.0", "humidity": "50"}
// R&D projects: 康辰's is at 康辰 itself, proposed by QA (so only the master account decides it);
// the master account (lab.use) proposes; the leader (QA) plans tasks.
GET    /api/v1/lab/projects                                 D DDD DDDDDDD AAAAADADA
POST   /api/v1/lab/projects                                 D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "code": "YF-09", "title": "矩阵", "objective": "矩阵", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "phases": [{"name": "小试", "starts_on": "2026-01-01", "ends_on": "2026-06-30"}]}
GET    /api/v1/lab/projects/{project.kc}                    D NNN NNNNNNN AANNNNNNN
POST   /api/v1/lab/projects/{project.kc}/decision           D NNN NNNNNNN AANNNNNNN {"approve": false, "reason": "矩阵", "password": "Yaolian@2026"}
POST   /api/v1/lab/projects/{project.kc}/tasks              D NNN NNNNNNN AANNNNNNN {"phase": 0, "title": "矩阵", "assignee": "kc.qa", "starts_on": "2026-01-01", "ends_on": "2026-02-01", "planned_hours": 8}
POST   /api/v1/lab/projects/{project.kc}/progress           D NNN NNNNNNN AANNNNNNN {"no": 1, "actual_hours": 2}
POST   /api/v1/lab/projects/{project.kc}/closure            D NNN NNNNNNN AANNNNNNN {"outcome": "矩阵", "password": "Yaolian@2026"}
GET    /api/v1/signals/adr-reports                          D DDD AAADAAA AADAAAAAA
POST   /api/v1/signals/adr-reports                          D DDD DDDDDDD AADAAAAAA {"reporter_kind": "medical", "sex": "x", "onset_on": "", "outcome": "improved", "drugs": [], "events": []}
POST   /api/v1/signals/adr-reports/batch                    D DDD DDDDDDD AADAAAAAA {"reports": []}
POST   /api/v1/signals/adr-reports/import                   D DDD DDDDDDD AADAAAAAA {"x": 1}
GET    /api/v1/signals/adr-reports/{adr.zjph}               D NNN AAANANN NNNNNNNNA
GET    /api/v1/signals/adr-terms                            D AAA AAAAAAA AAAAAAAAA
GET    /api/v1/signals/runs                                 D DDD AAADAAA AADAAAAAA
GET    /api/v1/signals/adr-signals                          D DDD AAADAAA AADAAAAAA
GET    /api/v1/signals/adr-signals/{signal.zj}              D NNN AAANANN NNNNNNNNN
POST   /api/v1/signals/adr-signals/{signal.zj}/decision     D NNN DADNANN NNNNNNNNN {"action": "watch", "note": ""}
POST   /api/v1/signals/adr-signals/{signal.zj}/case         D NNN DADNANN NNNNNNNNN {"note": ""}
POST   /api/v1/signals/runs                                 D DDD AADDAAA DDDDDDDDD
POST   /api/v1/signals/blackbox/points                      D DDD DDDDDDD AADAAAAAA {"series": []}
GET    /api/v1/signals/blackbox/lines                       D DDD AAADAAA AADAAAAAA
POST   /api/v1/signals/blackbox/lines                       D DDD DDDDDDD AADAAAAAA {"code": "L 1", "name": ""}
GET    /api/v1/signals/blackbox/lines/{bbline.kc}           D NNN AAANANN AANNNNNNN
POST   /api/v1/signals/blackbox/lines/{bbline.kc}/parameters D DDD DDDDDDD AADNNNNNN {"code": "x", "name": "", "center": 1, "sigma": 0}
GET    /api/v1/signals/blackbox/lines/{bbline.kc}/charts    D NNN AAANANN AANNNNNNN
GET    /api/v1/signals/blackbox/warnings                    D DDD AAADAAA AADAAAAAA
GET    /api/v1/signals/blackbox/warnings/{bbwarning.kc}     D NNN AAANANN AANNNNNNN
POST   /api/v1/signals/blackbox/warnings/{bbwarning.kc}/decision D NNN AADNANN DDNNNNNNN {"action": "watch", "note": ""}
POST   /api/v1/signals/blackbox/warnings/{bbwarning.kc}/case D NNN AADNANN DDNNNNNNN {"note": ""}
GET    /api/v1/submission/receiver                      D DDD DDDDDDD XXDXXDXDX
POST   /api/v1/submission/transfers                     D DDD DDDDDDD AADAADADA {"manifest": {"format": "x", "transfer_id": "", "application": "", "sequence": "", "chunk_size": 0, "total_bytes": 0, "files": [], "chunks": [], "package_sm3": "", "sealed_key": "", "receiver_key_id": "", "nonce_prefix": "", "sender_public_pem": "", "created_at": 0}, "signature": ""}
GET    /api/v1/submission/transfers/0123456789abcdef0123456789abcdef         D DDD NNNDDDD NNDNNDNDN
PUT    /api/v1/submission/transfers/0123456789abcdef0123456789abcdef/chunks/0 D DDD DDDDDDD NNDNNDNDN
POST   /api/v1/submission/transfers/0123456789abcdef0123456789abcdef/complete D DDD DDDDDDD NNDNNDNDN
POST   /api/v1/submission/transfers/0123456789abcdef0123456789abcdef/cancel D DDD DDDDDDD NNDNNDNDN
GET    /api/v1/submission/transfers/0123456789abcdef0123456789abcdef/report  D DDD NNNDDDD NNDNNDNDN
GET    /api/v1/submission/applications                  D DDD AAADDDD AADAADADA
POST   /api/v1/submission/applications                  D DDD DDDDDDD AADDDDDDD {"org_id": {org.kc}, "number": "x202612345", "application_type": "cnapt3", "product_type": "cnprt1", "product_number": "2026000123", "substance": "阿莫西林", "manufacturer": "康辰药业", "product_name": "阿莫西林胶囊", "dosage_form": "胶囊剂", "indication": "感染", "contact_name": "张工", "contact_phone": "0571-88886666", "contact_email": "reg@example.com"}
GET    /api/v1/submission/applications/{ectd.kc}        D NNN NNNNNNN AANNNNNNN
POST   /api/v1/submission/applications/{ectd.kc}/sequences D NNN NNNNNNN AANNNNNNN {"sequence_type": "cnsqt1", "regulatory_activity": "cnrat1", "description": "矩阵", "leaves": []}
POST   /api/v1/submission/applications/{ectd.kc}/sequences/0000/build D NNN NNNNNNN NNNNNNNNN
POST   /api/v1/submission/applications/{ectd.kc}/sequences/0000/send D NNN NNNNNNN NNNNNNNNN
GET    /api/v1/submission/applications/{ectd.kc}/lifecycle D NNN NNNNNNN AANNNNNNN
POST   /api/v1/auth/logout                                  D AAA AAAAAAA AAAAAAAAA
"#;

/// One row of [`MATRIX`].
struct Row {
    line: usize,
    method: Method,
    path: &'static str,
    codes: Vec<char>,
    body: Option<&'static str>,
}

fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    for (i, line) in MATRIX.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        let mut next = || {
            let t = rest.trim_start();
            let end = t.find(char::is_whitespace).unwrap_or(t.len());
            rest = &t[end..];
            &t[..end]
        };
        let method: Method = next().parse().unwrap();
        let path = next();
        let codes: String = (0..4).map(|_| next()).collect();
        let body = Some(rest.trim()).filter(|b| !b.is_empty());
        assert_eq!(codes.chars().count(), 1 + demo::USERS.len(), "line {}: one code per caller", i + 1);
        out.push(Row { line: i + 1, method, path, codes: codes.chars().collect(), body });
    }
    out
}

/// The code a response status stands for (see the module documentation); `!` for any other.
fn code(status: u16, anonymous: bool) -> char {
    match status {
        200..=299 | 400 | 409 | 422 => 'A',
        401 if anonymous => 'D',
        401 => 'U',
        403 => 'D',
        404 => 'N',
        503 => 'X',
        _ => '!',
    }
}

/// A path's route template: `{…}` segments and the query dropped to `{}`.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/")
}

/// The template of `templates` that `path` (a row's path, placeholders or literal values) is a
/// case of, preferring literal segments (`/public/licenses/revoked` over `/{identifier}`).
fn template_of<'a>(path: &str, templates: &'a BTreeSet<String>) -> Option<&'a String> {
    let segs: Vec<&str> = path.split('?').next().unwrap_or(path).split('/').collect();
    templates
        .iter()
        .filter_map(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            if ts.len() != segs.len() {
                return None;
            }
            let mut literal = 0;
            for (a, b) in ts.iter().zip(&segs) {
                if a == b {
                    literal += 1;
                } else if *a != "{}" {
                    return None;
                }
            }
            Some((literal, t))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// `(METHOD, template)` of every `.route(…)` in `src/api/*.rs`.
fn source_routes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (at, _) in text.match_indices(".route(") {
            let rest = &text[at + ".route(".len()..];
            let open = rest.find('"').unwrap();
            let close = open + 1 + rest[open + 1..].find('"').unwrap();
            let path = &rest[open + 1..close];
            // The handlers: up to the parenthesis that closes `.route(`.
            let mut depth = 1;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            // A method router: `get(`, `.post(`, `axum::routing::put(`, not `forget(`.
            let handlers = &rest[close..end];
            for m in ["get", "post", "put", "delete", "patch"] {
                let called = handlers
                    .match_indices(&format!("{m}("))
                    .any(|(i, _)| !handlers[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if called {
                    out.insert((m.to_uppercase(), shape(path)));
                }
            }
        }
    }
    out
}

async fn send(
    server: &Server,
    who: Option<&Session>,
    anon: &reqwest::Client,
    method: &Method,
    path: &str,
    body: Option<&Value>,
) -> u16 {
    let url = server.url(path);
    let mut req = match who {
        Some(s) => s.client.request(method.clone(), url).header("X-CSRF-Token", &s.csrf),
        None => anon.request(method.clone(), url),
    };
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap().status().as_u16()
}

fn body_of(demo: &Demo, raw: &str) -> Value {
    match raw {
        "@application" => {
            let mut app = demo::retail_application();
            app["applicant_org_id"] = demo.id("org.kc").into();
            app
        }
        "@license" => demo::license_body(demo.id("org.kc")),
        _ => serde_json::from_str(&demo.fill(raw)).unwrap_or_else(|e| panic!("body {raw}: {e}")),
    }
}

/// Every row of the table, on both backends, gives the code the table says for each caller.
#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    each_backend(|store| async move {
        let started = Instant::now();
        let mut world = demo::seed(&store).await;
        let (key_id, key) = yaolian_store::ledger::site_key(&store, &[5u8; 16]).await.unwrap();
        yaolian_store::ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        let server = Server::start(store.clone(), WebConfig { public_per_minute: 1_000, ..WebConfig::default() }).await;
        world.records(&server).await;
        let mut sessions = Vec::new();
        for (username, ..) in demo::USERS {
            sessions.push(login(&server, username).await);
        }
        let anon = reqwest::Client::new();
        let mut wrong = Vec::new();
        let mut observed = String::new();
        for row in rows() {
            let path = world.fill(row.path);
            let body = row.body.map(|b| body_of(&world, b));
            let mut got = String::new();
            let mut statuses = Vec::new();
            for (i, expected) in row.codes.iter().enumerate() {
                let who = i.checked_sub(1).map(|u| &sessions[u]);
                let status = send(&server, who, &anon, &row.method, &path, body.as_ref()).await;
                let c = code(status, who.is_none());
                got.push(c);
                statuses.push(status);
                if c != *expected {
                    let name = who.map_or("anonymous", |_| demo::USERS[i - 1].0);
                    wrong.push(format!(
                        "line {}: {} {} as {name}: expected {expected}, got {status}",
                        row.line, row.method, row.path
                    ));
                }
            }
            let grouped = format!("{} {} {} {}", &got[..1], &got[1..4], &got[4..11], &got[11..]);
            observed.push_str(&format!(
                "{:<6} {:<52} {grouped} {}\n",
                row.method.as_str(),
                row.path,
                row.body.unwrap_or("")
            ));
            if got.contains('!') || std::env::var("MATRIX_STATUSES").is_ok() {
                observed.push_str(&format!("//   statuses: {statuses:?}\n"));
            }
        }
        eprintln!("matrix: {} rows × {} callers in {:?}", rows().len(), 1 + demo::USERS.len(), started.elapsed());
        assert!(wrong.is_empty(), "{}\n\nobserved:\n{observed}", wrong.join("\n"));
        server.stop().await;
    })
    .await;
}

/// The table has a row for every route of the OpenAPI document, and every route the API
/// modules register is in the document or the table; every row names a route that exists.
#[tokio::test]
async fn the_matrix_covers_every_route() {
    let doc: Value = serde_json::to_value(<yaolian_web::openapi::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), shape(path)));
        }
    }
    let templates: BTreeSet<String> = documented.iter().map(|(_, t)| t.clone()).collect();
    let source = source_routes();
    let all_templates: BTreeSet<String> =
        templates.iter().cloned().chain(source.iter().map(|(_, t)| t.clone())).collect();
    let mut in_table = BTreeSet::new();
    let mut problems = Vec::new();
    for row in rows() {
        match template_of(row.path, &all_templates) {
            Some(t) => {
                in_table.insert((row.method.to_string(), t.clone()));
            }
            None => problems.push(format!("line {}: {} {} is no route", row.line, row.method, row.path)),
        }
    }
    for route in &documented {
        if !in_table.contains(route) {
            problems.push(format!("{} {} is in the OpenAPI document but has no row in MATRIX", route.0, route.1));
        }
    }
    for route in &source {
        if !documented.contains(route) && !in_table.contains(route) {
            problems.push(format!("{} {} is routed in src/api but neither documented nor in MATRIX", route.0, route.1));
        }
    }
    for route in &in_table {
        if !documented.contains(route) && !source.contains(route) {
            problems.push(format!("{} {}: a row for a route that does not exist", route.0, route.1));
        }
    }
    assert!(source.len() > 80, "the route scan found only {} routes", source.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
