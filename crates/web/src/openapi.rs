//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the page that
//! browses it (Swagger UI, vendored).

use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "yaolian API", description = "药链 — drug lifecycle regulation and quality platform. Errors are RFC 9457 problem+json with a stable `code`."),
    paths(
        api::login, api::totp_step, api::totp_enroll, api::totp_confirm, api::logout, api::me, api::change_password,
        api::list_orgs, api::get_org, api::create_org,
        api::list_users, api::create_user, api::get_user, api::user_history, api::assign_roles, api::set_status,
        api::unlock_user, api::reset_password,
        api::list_roles, api::set_role_mfa, api::list_role_requests, api::propose_roles, api::decide_role_request,
        api::list_tokens, api::create_token, api::revoke_token,
        api::list_audit, api::export_audit, api::export_audit_xlsx,
        api::list_todos, api::create_todo, api::complete_todo, api::list_messages, api::read_message,
        api::latest_checkpoint, api::checkpoint_at, api::make_checkpoint, api::entry, api::inclusion, api::consistency,
        api::public_key,
        api::record, api::signatures, api::sign,
        api::list_products, api::create_product, api::get_product, api::update_product,
        api::company_dossier, api::update_company_profile, api::registry_search, api::list_persons, api::create_person,
        api::import_products, api::export_products_xlsx,
        api::audit_summary, api::audit_alerts, api::alert_rules, api::update_alert_rule,
        api::list_licenses, api::issue_license, api::get_license, api::change_license, api::renew_license,
        api::license_status, api::export_license, api::verify_license, api::revocation_list, api::authority_key,
        api::service_types, api::update_service_type, api::service_calendar, api::set_calendar_day, api::service_statistics,
        api::list_applications, api::submit_application, api::get_application, api::application_reviewers, api::resubmit_application,
        api::withdraw_application, api::act_on_application, api::decide_application, api::application_file,
        api::capture_document, api::capture_status, api::capture_event, api::query_events, api::get_event, api::epc_events,
        api::event_proof, api::verify_code, api::code_history, api::where_to, api::where_from, api::list_recalls, api::open_recall,
        api::get_recall, api::close_recall, api::list_anomalies, api::close_anomaly, api::answer_anomaly, api::anomaly_file, api::list_sites, api::upsert_sites, api::list_pack_codes, api::register_pack_code,
        api::list_items, api::create_item, api::get_item, api::receive_lot, api::get_lot, api::return_to_lot, api::count_lot,
        api::dispose_lot, api::issue_stock, api::list_adjustments, api::decide_adjustment, api::expiring_lots, api::waste_report, api::transfer_lot, api::usage_log,
        api::list_deviations, api::report_deviation, api::report_oos, api::report_signal, api::get_deviation, api::investigate_deviation,
        api::extend_deviation, api::approve_deviation, api::list_capas, api::open_capa, api::get_capa, api::capa_action_done,
        api::capa_add_actions, api::close_capa, api::capa_effectiveness,
        api::list_documents, api::create_document, api::get_document, api::revise_document, api::submit_document,
        api::approve_document, api::record_training, api::document_for_me, api::obsolete_document, api::review_document,
        api::list_changes, api::request_change, api::get_change, api::assess_change, api::decide_change,
        api::change_task_done, api::review_change_batch, api::revise_change_document, api::close_change,
        api::list_instruments, api::register_instrument, api::get_instrument, api::calibrate_instrument,
        api::instrument_uses, api::use_instrument, api::deliver_result, api::list_results,
        api::list_templates, api::create_template, api::get_template, api::edit_template, api::new_template_version,
        api::approve_template, api::list_records, api::create_record, api::get_record, api::enter_record,
        api::submit_record, api::review_record, api::send_back_record, api::approve_record, api::list_rooms, api::create_room,
        api::room_readings, api::record_reading, api::list_projects, api::propose_project, api::get_project,
        api::decide_project, api::add_project_task, api::project_progress, api::close_project,
        api::list_cases, api::raise_case, api::case_from_anomaly, api::case_statistics, api::get_case,
        api::assign_case, api::dispose_case, api::verify_case, api::close_case, api::list_scores,
        api::score_distribution, api::recompute_scores, api::company_portrait, api::get_model, api::change_model,
        api::list_plans, api::generate_plan, api::get_plan, api::plan_inspections, api::add_inspection,
        api::publish_plan, api::get_inspection, api::change_inspection, api::start_inspection, api::get_onsite,
        api::record_progress, api::add_finding, api::add_evidence, api::check_evidence, api::sign_as_inspector,
        api::sign_for_company, api::list_sampling_plans, api::create_sampling_plan, api::get_sampling_plan,
        api::plan_samples, api::get_sample, api::assign_sample, api::take_sample, api::hand_over_sample,
        api::receive_sample, api::record_sample_results, api::compare_sample, api::sign_sample_report,
        api::respond_to_finding, api::verify_finding_capa, api::list_company_findings,
        api::list_complaints, api::register_complaint, api::get_complaint, api::triage_complaint,
        api::reply_complaint, api::complaint_to_enforcement, api::case_to_enforcement, api::list_enforcements,
        api::open_enforcement, api::enforcement_statistics, api::get_enforcement, api::file_enforcement,
        api::end_enforcement, api::add_enforcement_evidence, api::check_enforcement_evidence,
        api::submit_enforcement_report, api::review_enforcement, api::notify_enforcement,
        api::record_enforcement_statement, api::request_enforcement_hearing, api::report_enforcement_hearing,
        api::pause_enforcement, api::resume_enforcement, api::extend_enforcement, api::decide_enforcement,
        api::serve_enforcement, api::execute_enforcement, api::close_enforcement, api::export_enforcement_document,
        api::verify_enforcement_document,
        api::list_adr_reports, api::submit_adr_report, api::submit_adr_batch, api::import_adr_reports,
        api::get_adr_report, api::adr_terms, api::list_signal_runs, api::run_signal_detection,
        api::list_adr_signals, api::get_adr_signal, api::decide_adr_signal, api::adr_signal_case,
        api::ingest_points, api::list_lines, api::create_line, api::get_line, api::add_parameter, api::line_charts,
        api::list_warnings, api::get_warning, api::decide_warning, api::warning_case,
        api::receiver_info, api::open_transfer, api::get_transfer, api::put_chunk, api::complete_transfer, api::cancel_transfer,
        api::transfer_report, api::list_submission_applications, api::create_submission_application,
        api::get_submission_application, api::create_submission_sequence, api::build_submission_sequence, api::send_submission_sequence,
        api::submission_lifecycle,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security),
    security(("session" = []), ("bearer" = [])),
    tags(
        (name = "auth", description = "Login, second factor, the caller's account"),
        (name = "identity", description = "Organizations, users, roles, API tokens"),
        (name = "audit", description = "Security audit log"),
        (name = "portal", description = "To-dos and messages"),
        (name = "registry", description = "Dossiers: 一企一档 companies, 一品一档 products, 一员一档 persons"),
        (name = "records", description = "Record history with field diffs, ledger anchoring and electronic signatures"),
        (name = "ledger", description = "Tamper-evident ledger: signed checkpoints, entries, RFC 9162 proofs"),
        (name = "license", description = "Electronic licenses (电子证照): life cycle, export, public verification, revocation list"),
        (name = "services", description = "Online services (政务服务): applications, time limits, 秒办, statistics"),
        (name = "inventory", description = "Reagent and material inventory (试剂物料库存): items, lots, FEFO issues, counts, controlled chemicals"),
        (name = "quality", description = "Quality system (质量体系): deviations, OOS, CAPA with effectiveness checks, change control with FMEA, controlled documents and training"),
        (name = "lab", description = "Laboratory (研发实验室): instruments, calibration, use, results, templates, records"),
        (name = "supervision", description = "Supervision (监管): risk scores and credit grades, risk cases from alert to closure, inspection plans and on-site inspections, sampling, complaints and enforcement cases with sealed documents"),
        (name = "signals", description = "Signals (信号): adverse drug reaction reports and disproportionality signal detection (PRR, ROR, IC, EBGM), signals decided or raised as risk cases"),
        (name = "submission", description = "Electronic submission (电子申报): eCTD sequences sent to the regulator in sealed chunks with a signed manifest, resumable, acknowledged at three levels"),
        (name = "trace", description = "Drug traceability (药品追溯): EPCIS 2.0 capture and query, verification, where-to / where-from, recalls, anomalies"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("yl_session"))));
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("ylt_…").build()),
        );
    }
}

pub async fn document() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

pub async fn browse() -> Html<&'static str> {
    Html(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>yaolian API</title><link rel="stylesheet" href="/assets/vendor/swagger-ui/swagger-ui.css"><link rel="icon" href="/assets/favicon.svg"></head>
<body><div id="swagger-ui"></div><script src="/assets/vendor/swagger-ui/swagger-ui-bundle.js"></script><script src="/assets/swagger-init.js"></script></body></html>"#,
    )
}
