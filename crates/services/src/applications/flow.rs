//! The steps of an application: submission (with the 秒办 rules), correction and resubmission,
//! withdrawal, the handlers' acts, the signed decision and delivery.

use super::files::{decode_files, store_files};
use super::*;

/// Submits an application (`service.apply` over the applicant company).
pub async fn submit(
    store: &Store,
    sealing: &Sealing,
    principal: &Principal,
    new: &NewApplication,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    submit_at(store, sealing, principal, new, client, Timestamp::now()).await
}

/// [`submit`] with the submission time given: for applications migrated from a predecessor
/// system (存量办件迁移), whose statutory clock started when they were really submitted. The
/// record version and ledger entry are written now; the steps and clock carry `at`.
pub async fn submit_at(
    store: &Store,
    sealing: &Sealing,
    principal: &Principal,
    new: &NewApplication,
    client: &ClientInfo,
    at: Timestamp,
) -> Result<ApplicationView> {
    let t = types::get(store, new.type_code.trim()).await?;
    if !t.active {
        return Err(ValidationError::single(
            "type_code",
            "active",
            format!("{} is not open for applications", t.name_zh),
        )
        .into());
    }
    let form = check_form(&t, &new.form)?;
    let files = decode_files(&new.files)?;
    let mut missing = ValidationError::new();
    for label in &t.attachments {
        if !files.iter().any(|f| &f.label == label) {
            missing.push("files", format!("required:{label}"), format!("attach {label}"));
        }
    }
    missing.into_result()?;
    let applicant_id = new.applicant_org_id.unwrap_or(principal.org_id());
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let applicant = org(&mut tx, "applicant_org_id", applicant_id).await?;
    if applicant.kind != OrgKind::Company.as_str() {
        return Err(ValidationError::single("applicant_org_id", "kind:company", "the applicant is a company").into());
    }
    if !principal.reaches(perm::SERVICE_APPLY, &applicant.path) || principal.is_system() {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, "applications", client).await);
    }
    let (authority_id, authority_name) = match t.action.as_str() {
        "change" | "renew" => {
            let Some(license_id) = new.license_id else {
                return Err(
                    ValidationError::single("license_id", "required", "choose the license to change or renew").into()
                );
            };
            let r = sqlx::query("SELECT holder_org_id, kind, issuer_org_id, status FROM licenses WHERE id = $1")
                .bind(license_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(r) = r else {
                return Err(ValidationError::single("license_id", "exists", format!("no license {license_id}")).into());
            };
            let (holder, kind, issuer, status): (i64, String, i64, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
            if holder != applicant_id || kind != t.license_kind {
                return Err(ValidationError::single(
                    "license_id",
                    "held_by_applicant",
                    format!("the applicant holds no {} with that id", t.license_kind),
                )
                .into());
            }
            if status == "revoked" {
                return Err(ValidationError::single("license_id", "not_revoked", "the license is revoked").into());
            }
            let name: String = sqlx::query("SELECT name FROM orgs WHERE id = $1")
                .bind(issuer)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            (issuer, name)
        }
        _ => authority_of(&mut tx, &applicant.path).await?,
    };
    let now = at;
    let day = now.china_date();
    // A range over the unique index of `number` (`LIKE` would read every application).
    let prefix = format!("SQ{}", day.format("%Y%m%d"));
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM applications WHERE number >= $1 AND number <= $2")
        .bind(&prefix)
        .bind(format!("{prefix}99999999"))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let number = format!("SQ{}{:04}", day.format("%Y%m%d"), count + 1);
    let submitted_by_name = principal.display_name().to_string();
    let mut app = Application {
        id: 0,
        number,
        type_code: t.code.clone(),
        type_name: t.name_zh.clone(),
        category: t.category.clone(),
        applicant_org_id: applicant_id,
        applicant_name: applicant.name.clone(),
        authority_org_id: authority_id,
        authority_name,
        submitted_by: principal.user_id(),
        submitted_by_name,
        status: "submitted".into(),
        form,
        files: Vec::new(),
        license_id: new.license_id.filter(|_| matches!(t.action.as_str(), "change" | "renew")),
        steps: vec![step("submit", principal, "", now)],
        reviewers: Vec::new(),
        correction: None,
        inspection: String::new(),
        clock: Clock::start(Phase::Accept, day, t.accept_days, &cal),
        decision: None,
        auto: None,
        submitted_at: now.0,
        version: 1,
    };
    let id: i64 = sqlx::query(
        "INSERT INTO applications (number, type_code, applicant_org_id, authority_org_id, submitted_by, status, phase_due_on, \
         data, license_id, submitted_at, version, updated_at) VALUES ($1, $2, $3, $4, $5, 'submitted', $6, '{}', $7, $8, 1, $8) \
         RETURNING id",
    )
    .bind(&app.number)
    .bind(&app.type_code)
    .bind(applicant_id)
    .bind(authority_id)
    .bind(principal.user_id())
    .bind(&app.clock.due_on)
    .bind(app.license_id)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    app.id = id;
    app.files = store_files(&mut tx, id, files).await?;
    let data = serde_json::to_value(&app).map_err(|e| ServiceError::unreadable("application", e))?;
    sqlx::query("UPDATE applications SET data = $1 WHERE id = $2")
        .bind(data.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "submit",
            reason: "申请",
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    let group = rollup::group_of(&mut tx, id).await?;
    rollup::shift(&mut tx, None, &group).await?;
    audit::record(
        &mut tx,
        audit::Event::by(principal, audit::action::APPLICATION_SUBMIT, &format!("application:{id}"), client),
    )
    .await?;
    let title = format!("提交{} {}", app.type_name, app.number);
    let link = link(&app);
    timeline::add(
        &mut tx,
        &NewEvent {
            org_id: applicant_id,
            product_id: None,
            module: "services",
            kind: "application_submitted",
            title: &title,
            link: &link,
        },
    )
    .await?;
    raise_todos(&mut tx, &app).await?;
    if !t.auto_rule.is_empty() {
        auto_decide(&mut tx, sealing, &t, &mut app, client, at).await?;
    }
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, today()))
}

/// 智能秒办: runs the type's rule; when every check passes the application is accepted and
/// approved by the rule, and the decision keeps the rule, its inputs and its checks.
async fn auto_decide(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    t: &ServiceType,
    app: &mut Application,
    client: &ClientInfo,
    at: Timestamp,
) -> Result<()> {
    let day = today();
    let Some(outcome) =
        rules::evaluate(tx, &t.auto_rule, app.applicant_org_id, &t.license_kind, &app.form, &day.to_string()).await?
    else {
        return Ok(());
    };
    let robot = yaolian_access::run_as_system::robot(&format!("auto:{}", t.auto_rule), "智能秒办");
    let summary: Vec<String> = outcome
        .checks
        .iter()
        .map(|c| format!("{}（{}）", c.detail, if c.passed { "通过" } else { "未通过" }))
        .collect();
    app.auto = Some(outcome.clone());
    app.steps.push(step("auto_check", &robot, &summary.join("；"), at));
    if !outcome.passed {
        return save(tx, &robot, app, "auto_check", "秒办条件不满足，转人工办理", client).await.map(drop);
    }
    app.steps.push(step("accept", &robot, "秒办规则核验通过，自动受理", at));
    app.status = "approved".into();
    app.clock.stop();
    app.decision = Some(Decision {
        outcome: Outcome::Approve,
        opinion: format!(
            "符合智能秒办规则“{}”，{}",
            rules::name_zh(&t.auto_rule),
            if t.category == "filing" { "予以备案" } else { "准予办结" }
        ),
        by: robot.username().to_string(),
        by_name: robot.display_name().to_string(),
        at: at.0,
        signature_id: None,
        rule: Some(outcome),
    });
    app.steps.push(step("approve", &robot, "秒办", at));
    deliver(tx, sealing, &robot, t, app, at).await?;
    save(tx, &robot, app, "approve", "智能秒办", client).await.map(drop)
}

/// 送达: acts on the license where the type says so, tells the applicant, adds to the dossier.
async fn deliver(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    actor: &Principal,
    t: &ServiceType,
    app: &mut Application,
    at: Timestamp,
) -> Result<()> {
    let kind = yaolian_license::Kind::parse(&t.license_kind);
    let license_fields = |form: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        let specs = kind.map(|k| k.fields()).unwrap_or(&[]);
        form.iter()
            .filter(|(k, v)| !v.is_empty() && specs.iter().any(|s| s.key == k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let reason = format!("依申请 {} 决定", app.number);
    let note = match t.action.as_str() {
        "issue" => {
            let new = NewLicense {
                kind: t.license_kind.clone(),
                holder_org_id: app.applicant_org_id,
                fields: license_fields(&app.form),
                ..Default::default()
            };
            let id = licenses::issue_in_tx(tx, sealing, actor, app.authority_org_id, &new, &reason).await?;
            app.license_id = Some(id);
            "许可证已核发".to_string()
        }
        "change" | "renew" => {
            let Some(id) = app.license_id else {
                return Err(ServiceError::NoLicense);
            };
            let version: i64 = sqlx::query("SELECT version FROM licenses WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?
                .try_get(0)?;
            let what = if t.action == "change" { ReissueKind::Change } else { ReissueKind::Renew };
            let fields = if what == ReissueKind::Change { license_fields(&app.form) } else { BTreeMap::new() };
            let change = Reissue { fields, valid_until: None, reason: reason.clone(), expected_version: version };
            licenses::reissue_in_tx(tx, sealing, actor, id, what, &change).await?;
            if what == ReissueKind::Change {
                "许可证已变更".to_string()
            } else {
                "许可证已延续".to_string()
            }
        }
        _ => "备案已完成".to_string(),
    };
    app.steps.push(step("deliver", actor, &note, at));
    let title = format!("{}：{} {}", app.type_name, app.number, note);
    tell_decided(tx, app, &title, &format!("{}（{}）", note, app.authority_name)).await
}

/// Tells the applicant of a decision: a message to the submitter and an event on the
/// applicant's dossier timeline, in the decision's transaction.
async fn tell_decided(tx: &mut Tx<'_>, app: &Application, title: &str, body: &str) -> Result<()> {
    let link = link(app);
    portal::send_message(&mut **tx, app.submitted_by, title, body, &link).await?;
    timeline::add(
        tx,
        &NewEvent {
            org_id: app.applicant_org_id,
            product_id: None,
            module: "services",
            kind: "application_decided",
            title,
            link: &link,
        },
    )
    .await?;
    Ok(())
}

/// The applicant answers a 补正 notice: the clock runs again with the pause added back.
pub async fn resubmit(
    store: &Store,
    principal: &Principal,
    id: i64,
    answer: &Resubmission,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let files = decode_files(&answer.files)?;
    let mut tx = store.begin().await?;
    let (mut app, path) = load(&mut tx, id).await?;
    if !applicant_may(principal, &path) {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, &format!("application:{id}"), client).await);
    }
    check_version(&app, answer.expected_version)?;
    if app.status != "correction" {
        return Err(wrong_state(&app, "补正"));
    }
    let t = types::get(store, &app.type_code).await?;
    let mut form = app.form.clone();
    for (k, v) in &answer.form {
        form.insert(k.clone(), v.clone());
    }
    let before = std::mem::replace(&mut app.form, check_form(&t, &form)?);
    if files.is_empty() && app.form == before {
        return Err(
            ValidationError::single("files", "non_empty", "answer the notice with the missing materials").into()
        );
    }
    let mut again = ValidationError::new();
    for (i, f) in files.iter().enumerate() {
        if let Some(same) = app.files.iter().find(|old| old.sm3 == f.sm3) {
            again.push(
                format!("files[{i}].content_base64"),
                "duplicate",
                format!("{} has the same content as {} ({}), attached before", f.name, same.name, same.label),
            );
        }
    }
    again.into_result()?;
    let mut added = store_files(&mut tx, id, files).await?;
    app.files.append(&mut added);
    let day = today();
    if let Some(c) = app.correction.as_mut() {
        c.answered_on = Some(day.to_string());
    }
    app.clock.resume(day, &cal);
    app.status = "submitted".into();
    app.steps.push(step("resubmit", principal, "", Timestamp::now()));
    save(&mut tx, principal, &mut app, "resubmit", "补正提交", client).await?;
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, day))
}

/// The applicant withdraws an open application.
pub async fn withdraw(
    store: &Store,
    principal: &Principal,
    id: i64,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (mut app, path) = load(&mut tx, id).await?;
    if !applicant_may(principal, &path) {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, &format!("application:{id}"), client).await);
    }
    check_version(&app, expected_version)?;
    if !is_open(&app.status) {
        return Err(wrong_state(&app, "撤回"));
    }
    app.status = "withdrawn".into();
    app.clock.stop();
    app.steps.push(step("withdraw", principal, "", Timestamp::now()));
    save(&mut tx, principal, &mut app, "withdraw", "申请人撤回", client).await?;
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, today()))
}

/// Whether the principal acts for the applicant at `path` (`service.apply` over it; never the
/// system): the test of resubmission and withdrawal, and of the page offering them.
pub(crate) fn applicant_may(principal: &Principal, path: &str) -> bool {
    principal.reaches(perm::SERVICE_APPLY, path) && !principal.is_system()
}

/// The refusal of a step that does not apply in the application's present state.
fn wrong_state(app: &Application, step: &'static str) -> ServiceError {
    ServiceError::WrongState {
        number: app.number.clone(),
        status: app.status.clone(),
        status_zh: status_zh(&app.status),
        step,
    }
}

fn check_version(app: &Application, expected: i64) -> Result<()> {
    if app.version != expected {
        return Err(ServiceError::StaleVersion {
            what: format!("application {} (now at version {}, not {expected})", app.number, app.version),
        });
    }
    Ok(())
}

/// Why the principal may not handle (`service.handle`) or decide (`service.decide`) an
/// application whose applicant sits at `path`: not a regulator with `permission` over the
/// applicant, or the one who submitted it (separation of duties). `None` when it may.
pub(crate) fn handler_refusal(
    p: &Principal,
    permission: &'static str,
    app: &Application,
    path: &str,
) -> Option<&'static str> {
    if p.is_system() || !p.org_kind().is_regulator() || !p.reaches(permission, path) {
        return Some(permission);
    }
    if p.user_id() == app.submitted_by {
        return Some("separation_of_duties:not_own_application");
    }
    None
}

/// Those of `ids` who may review the application: active users whom [`handler_refusal`] lets
/// handle it (a bureau over the applicant, `service.handle`, not the submitter). The same rule
/// offers the choices on the page and accepts an assignment.
pub(crate) async fn eligible_reviewers(
    store: &Store,
    app: &Application,
    path: &str,
    ids: &[i64],
) -> Result<Vec<Principal>> {
    let people = yaolian_identity::auth::principals_of(store, ids).await?;
    Ok(people.into_iter().filter(|p| handler_refusal(p, perm::SERVICE_HANDLE, app, path).is_none()).collect())
}

/// Checks that the principal handles for the bureau (see [`handler_refusal`]).
pub(crate) async fn check_handler(
    store: &Store,
    p: &Principal,
    permission: &'static str,
    app: &Application,
    path: &str,
    client: &ClientInfo,
) -> Result<()> {
    match handler_refusal(p, permission, app, path) {
        None => Ok(()),
        Some(refused) => Err(audit::deny(store, p, refused, &format!("application:{}", app.id), client).await),
    }
}

/// A handling step by the bureau (`service.handle`): accept, refuse, ask for 补正, assign
/// reviewers, give a review opinion, link an inspection.
pub async fn act(
    store: &Store,
    principal: &Principal,
    id: i64,
    act: &Act,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    act_at(store, principal, id, act, expected_version, client, Timestamp::now()).await
}

/// [`act`] with the step's time given, for migrated applications (see [`submit_at`]).
#[allow(clippy::too_many_arguments)]
pub async fn act_at(
    store: &Store,
    principal: &Principal,
    id: i64,
    act: &Act,
    expected_version: i64,
    client: &ClientInfo,
    at: Timestamp,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (mut app, path) = load(&mut tx, id).await?;
    check_handler(store, principal, perm::SERVICE_HANDLE, &app, &path, client).await?;
    check_version(&app, expected_version)?;
    let t = types::get(store, &app.type_code).await?;
    let day = at.china_date();
    let wrong_state = |step: &'static str, app: &Application| wrong_state(app, step);
    let (action, reason): (&str, String) = match act {
        Act::Accept { opinion } => {
            if app.status != "submitted" {
                return Err(wrong_state("受理", &app));
            }
            app.status = "accepted".into();
            app.clock = Clock::start(Phase::Decide, day, t.decide_days, &cal);
            app.steps.push(step("accept", principal, opinion, at));
            ("accept", "受理".into())
        }
        Act::Refuse { reason } => {
            if app.status != "submitted" {
                return Err(wrong_state("不予受理", &app));
            }
            require_text("reason", reason)?;
            app.status = "refused".into();
            app.clock.stop();
            app.steps.push(step("refuse", principal, reason, at));
            ("refuse", reason.trim().to_string())
        }
        Act::RequestCorrection { items, note } => {
            if app.status != "submitted" {
                return Err(wrong_state("补正告知", &app));
            }
            if app.correction.is_some() {
                return Err(ServiceError::CorrectionAlreadyNotified);
            }
            let items: Vec<String> = items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            if items.is_empty() {
                return Err(ValidationError::single("items", "non_empty", "list what is missing").into());
            }
            app.correction = Some(Correction {
                items: items.clone(),
                note: note.trim().into(),
                requested_on: day.to_string(),
                answered_on: None,
            });
            app.status = "correction".into();
            app.clock.pause(day);
            app.steps.push(step("correction", principal, &items.join("；"), at));
            ("correction", format!("补正告知：{}", items.join("；")))
        }
        Act::Assign { reviewer_ids } => {
            if app.status != "accepted" {
                return Err(wrong_state("指派审查", &app));
            }
            if reviewer_ids.is_empty() {
                return Err(ValidationError::single("reviewer_ids", "non_empty", "choose at least one reviewer").into());
            }
            let eligible = eligible_reviewers(store, &app, &path, reviewer_ids).await?;
            let mut reviewers = Vec::new();
            for rid in reviewer_ids {
                let Some(p) = eligible.iter().find(|p| p.user_id() == *rid) else {
                    return Err(ValidationError::single(
                        "reviewer_ids",
                        "may_review",
                        format!(
                            "user {rid} cannot review this application: a reviewer is an active user of a bureau \
                             over the applicant holding 审查 (service.handle), who did not submit it"
                        ),
                    )
                    .into());
                };
                let (username, name) = (p.username().to_string(), p.display_name().to_string());
                reviewers.push(Reviewer { user_id: *rid, username, name, opinion: None, conclusion: None });
            }
            let names: Vec<String> = reviewers.iter().map(|r| r.name.clone()).collect();
            app.reviewers = reviewers;
            app.steps.push(step("assign", principal, &names.join("、"), at));
            ("assign", format!("指派审查：{}", names.join("、")))
        }
        Act::Review { opinion, conclusion } => {
            if app.status != "accepted" {
                return Err(wrong_state("审查", &app));
            }
            require_text("opinion", opinion)?;
            if !matches!(conclusion.as_str(), "approve" | "reject") {
                return Err(ValidationError::single(
                    "conclusion",
                    "one_of:approve,reject",
                    "conclude approve or reject",
                )
                .into());
            }
            let Some(me) = app.reviewers.iter_mut().find(|r| r.user_id == principal.user_id()) else {
                return Err(
                    audit::deny(store, principal, "assigned_reviewer", &format!("application:{id}"), client).await
                );
            };
            me.opinion = Some(opinion.trim().into());
            me.conclusion = Some(conclusion.clone());
            let word = if conclusion == "approve" { "建议准予" } else { "建议不予" };
            app.steps.push(step("review", principal, &format!("{word}：{}", opinion.trim()), at));
            ("review", format!("审查意见：{word}"))
        }
        Act::Inspection { reference } => {
            if app.status != "accepted" {
                return Err(wrong_state("关联现场检查", &app));
            }
            require_text("reference", reference)?;
            app.inspection = reference.trim().into();
            app.steps.push(step("inspection", principal, reference, at));
            ("inspection", format!("现场检查 {}", reference.trim()))
        }
    };
    save(&mut tx, principal, &mut app, action, &reason, client).await?;
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, day))
}

fn require_text(field: &str, v: &str) -> std::result::Result<(), ValidationError> {
    let n = v.trim().chars().count();
    if n == 0 || n > 2000 {
        return Err(ValidationError::single(
            field,
            "length:1..2000",
            format!("{field} must have 1 to 2000 characters"),
        ));
    }
    Ok(())
}

/// The decision (`service.decide`), signed by the decider with password (and TOTP when
/// enrolled); on approval the license is issued, changed or renewed in the same transaction.
pub async fn decide(
    store: &Store,
    config: &IdentityConfig,
    sealing: &Sealing,
    principal: &Principal,
    id: i64,
    d: &Decide,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    decide_at(store, config, sealing, principal, id, d, client, Timestamp::now()).await
}

/// [`decide`] with the decision's time given, for migrated applications (see [`submit_at`]); the
/// signature and ledger entry are made now.
#[allow(clippy::too_many_arguments)]
pub async fn decide_at(
    store: &Store,
    config: &IdentityConfig,
    sealing: &Sealing,
    principal: &Principal,
    id: i64,
    d: &Decide,
    client: &ClientInfo,
    at: Timestamp,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let Some(outcome) = Outcome::parse(&d.outcome) else {
        return Err(ValidationError::single("outcome", "one_of:approve,reject", "decide approve or reject").into());
    };
    require_text("opinion", &d.opinion)?;
    let (app, path) = {
        let mut tx = store.begin().await?;
        load(&mut tx, id).await?
    };
    check_handler(store, principal, perm::SERVICE_DECIDE, &app, &path, client).await?;
    if app.reviewers.iter().any(|r| r.user_id == principal.user_id() && r.opinion.is_some()) {
        return Err(audit::deny(
            store,
            principal,
            "separation_of_duties:not_own_review",
            &format!("application:{id}"),
            client,
        )
        .await);
    }
    check_version(&app, d.expected_version)?;
    if app.status != "accepted" {
        return Err(wrong_state(&app, "决定"));
    }
    if app.decision_missing().is_some() {
        return Err(ServiceError::ReviewMissing);
    }
    let target = format!("application:{id} v{}", app.version + 1);
    esign::reauthenticate(store, config, principal, &d.password, d.totp.as_deref(), &target, client).await?;
    let t = types::get(store, &app.type_code).await?;
    let mut tx = store.begin().await?;
    let (mut app, _) = load(&mut tx, id).await?;
    check_version(&app, d.expected_version)?;
    app.status = match outcome {
        Outcome::Approve => "approved".into(),
        Outcome::Reject => "rejected".into(),
    };
    app.clock.stop();
    app.decision = Some(Decision {
        outcome,
        opinion: d.opinion.trim().into(),
        by: principal.username().to_string(),
        by_name: principal.display_name().to_string(),
        at: at.0,
        signature_id: None,
        rule: None,
    });
    app.steps.push(step(outcome.as_str(), principal, &d.opinion, at));
    if outcome == Outcome::Approve {
        deliver(&mut tx, sealing, principal, &t, &mut app, at).await?;
    } else {
        let title = format!("{}：{} 不予许可", app.type_name, app.number);
        tell_decided(&mut tx, &app, &title, d.opinion.trim()).await?;
    }
    let written = save(&mut tx, principal, &mut app, outcome.as_str(), d.opinion.trim(), client).await?;
    esign::sign_in_tx(&mut tx, principal, &d.password, "decide", &written, client).await?;
    tx.commit().await?;
    let mut view = [ApplicationView::new(app, &cal, today())];
    with_signatures(store, &mut view).await?;
    let [view] = view;
    Ok(view)
}
