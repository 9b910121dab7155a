//! Controlled documents (受控文件) and training (培训): a document (an SOP, a specification) and
//! its revisions. A revision is drafted with its file (SM3 checksum kept), submitted for review,
//! and approved by QA — not its author — under an electronic signature with the date it takes
//! effect (today or later). The effective revision is the newest approved one whose date has
//! come; every earlier approved one is superseded; an obsolete document has none. A revision is
//! effective for a person only once their training on it is recorded, and a record can be made
//! only under the revision effective for its maker (`select_for_record`).
//!
//! Who may do what, in the organization's scope: `quality.read` reads and selects;
//! `quality.manage` drafts, submits, approves, records training and makes a document obsolete.

use crate::deviations::org_path;
use crate::error::{QualityError, Result};
use crate::{day_of, today};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::esign;
use yaolian_records::files::{self, Upload};
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, RecordVersion, Store, StoreError, Tx};

/// The versioned-record entities.
pub const ENTITY: &str = "qa_document";
pub const REVISION_ENTITY: &str = "qa_document_revision";
pub const TRAINING_ENTITY: &str = "qa_training";

/// The largest document file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// States of a revision as people read them, code and Chinese name (`effective`, `superseded`
/// and `pending` are derived from `approved` and the dates).
pub const STATES: &[(&str, &str)] = &[
    ("draft", "起草"),
    ("in_review", "审核中"),
    ("pending", "已批准，待生效"),
    ("effective", "现行有效"),
    ("superseded", "已被替代"),
    ("obsolete", "已废止"),
];

/// A new document with its first revision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewDocument {
    pub org_id: i64,
    /// 文件编号, e.g. SOP-QC-012, unique in the organization.
    pub code: String,
    pub title: String,
    /// Periodic review interval in months (定期审核), 24 by default.
    #[serde(default = "default_review")]
    pub review_months: i64,
    pub file: Upload,
}

fn default_review() -> i64 {
    24
}

/// A revision as people read it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Revision {
    pub id: i64,
    pub document_id: i64,
    pub revision: i64,
    pub file_name: String,
    pub size: i64,
    pub sm3: String,
    pub reason: String,
    /// One of [`STATES`]' codes.
    pub state: String,
    pub author: String,
    pub effective_on: Option<String>,
    pub approved_by: Option<String>,
    /// When the periodic review falls due (effective date + review interval).
    pub review_due_on: Option<String>,
    pub version: i64,
}

/// A document with its revisions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Document {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    pub title: String,
    pub review_months: i64,
    pub status: String,
    pub owner: String,
    /// YYYY-MM-DD: the last periodic review (定期审核) that kept the effective revision in force.
    pub reviewed_on: Option<String>,
    pub revisions: Vec<Revision>,
    pub version: i64,
}

impl Document {
    /// The revision in force today, if any.
    pub fn effective(&self) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.state == "effective")
    }
}

const REV_COLUMNS: &str =
    "id, document_id, revision, file_name, size, sm3, reason, status, author, effective_on, approved_by, version";

#[derive(Clone)]
struct RevRow {
    id: i64,
    document_id: i64,
    revision: i64,
    file_name: String,
    size: i64,
    sm3: String,
    reason: String,
    status: String,
    author: String,
    effective_on: Option<i64>,
    approved_by: Option<String>,
    version: i64,
}

fn rev_row(r: &sqlx::any::AnyRow) -> std::result::Result<RevRow, sqlx::Error> {
    Ok(RevRow {
        id: r.try_get("id")?,
        document_id: r.try_get("document_id")?,
        revision: r.try_get("revision")?,
        file_name: r.try_get("file_name")?,
        size: r.try_get("size")?,
        sm3: r.try_get("sm3")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        author: r.try_get("author")?,
        effective_on: r.try_get("effective_on")?,
        approved_by: r.try_get("approved_by")?,
        version: r.try_get("version")?,
    })
}

fn rev_image(r: &RevRow) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "document_id": r.document_id,
        "revision": r.revision,
        "file_name": r.file_name,
        "size": r.size,
        "sm3": r.sm3,
        "reason": r.reason,
        "status": r.status,
        "author": r.author,
        "effective_on": r.effective_on.map(day_text),
        "approved_by": r.approved_by,
    })
}

/// The states of a document's revisions (newest first) as of `today`: the newest approved one
/// whose date has come is effective, older approved ones superseded, later-dated ones pending.
/// `reviewed_on`, the last periodic review that confirmed the effective revision, restarts its
/// review interval.
fn states(rows: &[RevRow], obsolete: bool, today: i64, review_months: i64, reviewed_on: Option<i64>) -> Vec<Revision> {
    let effective =
        rows.iter().find(|r| r.status == "approved" && r.effective_on.is_some_and(|d| d <= today)).map(|r| r.id);
    rows.iter()
        .map(|r| {
            let state = match r.status.as_str() {
                _ if obsolete => "obsolete",
                "approved" if Some(r.id) == effective => "effective",
                "approved" if r.effective_on.is_some_and(|d| d > today) => "pending",
                "approved" => "superseded",
                other => other,
            };
            let review_due_on = r.effective_on.map(|d| d.max(reviewed_on.unwrap_or(d))).and_then(|d| {
                let date = yaolian_core::time::date_of_day_number(d)?;
                date.checked_add_months(chrono::Months::new(u32::try_from(review_months).ok()?)).map(|x| x.to_string())
            });
            Revision {
                id: r.id,
                document_id: r.document_id,
                revision: r.revision,
                file_name: r.file_name.clone(),
                size: r.size,
                sm3: r.sm3.clone(),
                reason: r.reason.clone(),
                state: state.to_string(),
                author: r.author.clone(),
                effective_on: r.effective_on.map(day_text),
                approved_by: r.approved_by.clone(),
                review_due_on: (state == "effective").then_some(review_due_on).flatten(),
                version: r.version,
            }
        })
        .collect()
}

fn doc_image(r: &sqlx::any::AnyRow) -> std::result::Result<serde_json::Value, sqlx::Error> {
    let mut image = serde_json::json!({
        "id": r.try_get::<i64, _>("id")?,
        "org_id": r.try_get::<i64, _>("org_id")?,
        "code": r.try_get::<String, _>("code")?,
        "title": r.try_get::<String, _>("title")?,
        "review_months": r.try_get::<i64, _>("review_months")?,
        "status": r.try_get::<String, _>("status")?,
        "owner": r.try_get::<String, _>("owner")?,
    });
    // Present only once a periodic review has been recorded, so that a document's earlier
    // versions keep the image they were ledgered with.
    if let Some(day) = r.try_get::<Option<i64>, _>("reviewed_on")? {
        image["reviewed_on"] = serde_json::Value::from(day_text(day));
    }
    Ok(image)
}

const DOC_COLUMNS: &str = "id, org_id, code, title, review_months, status, owner, reviewed_on, version";

async fn save_document(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
) -> Result<RecordVersion> {
    let row = sqlx::query(&format!("SELECT {DOC_COLUMNS} FROM qa_documents WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let version: i64 = row.try_get("version")?;
    versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action,
            reason,
            data: &doc_image(&row)?,
            expected_version: Some(version - 1),
        },
    )
    .await
    .map_err(Into::into)
}

async fn save_revision(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row = sqlx::query(&format!("SELECT {REV_COLUMNS} FROM qa_document_revisions WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let r = rev_row(&row)?;
    let step = crate::Step {
        entity: REVISION_ENTITY,
        id,
        version: r.version,
        data: rev_image(&r),
        action,
        reason,
        audit: audit::action::QUALITY_DOCUMENT,
        target: format!("qa_document_revision:{id} rev {} {action}", r.revision),
    };
    crate::record_step(tx, principal, step, client).await
}

/// Inserts a draft revision of `document_id` inside `tx`: its id and number.
pub(crate) async fn insert_revision(
    tx: &mut Tx<'_>,
    principal: &Principal,
    document_id: i64,
    file: &Upload,
    reason: &str,
    client: &ClientInfo,
) -> Result<(i64, i64)> {
    let decoded = files::decode(std::slice::from_ref(file), 1, MAX_FILE_BYTES)?;
    let Some(f) = decoded.first() else {
        return Err(ValidationError::single("file", "required", "the document's file").into());
    };
    let next: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(revision), 0) + 1 AS BIGINT) FROM qa_document_revisions WHERE document_id = $1",
    )
    .bind(document_id)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = sqlx::query(
        "INSERT INTO qa_document_revisions (document_id, revision, file_name, size, sm3, content, reason, status, author, \
         version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, 1, $9) RETURNING id",
    )
    .bind(document_id)
    .bind(next)
    .bind(&f.name)
    .bind(f.size())
    .bind(&f.sm3)
    .bind(f.bytes.clone())
    .bind(reason.trim())
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    save_revision(tx, principal, id, "draft", "", client).await?;
    Ok((id, next))
}

/// Creates a document with its first revision, a draft (QA).
pub async fn create(store: &Store, principal: &Principal, new: &NewDocument, client: &ClientInfo) -> Result<Document> {
    let mut errors = ValidationError::new();
    errors.length("code", &new.code, 1, 60);
    errors.length("title", &new.title, 1, 200);
    if !(1..=120).contains(&new.review_months) {
        errors.push("review_months", "range:1..120", "one to 120 months");
    }
    errors.into_result()?;
    let path = org_path(store, new.org_id).await?;
    if !principal.reaches(perm::QUALITY_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::QUALITY_MANAGE, "qa_documents", client).await);
    }
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO qa_documents (org_id, code, title, review_months, status, owner, version, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, 1, $6) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.code.trim())
    .bind(new.title.trim())
    .bind(new.review_months)
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::single("code", "unique", "another document has this number").into())
        }
        Err(e) => return Err(e.into()),
    };
    save_document(&mut tx, principal, id, "create", "").await?;
    insert_revision(&mut tx, principal, id, &new.file, "首次发布", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A document the principal may act on with `permission`.
async fn reach(
    store: &Store,
    principal: &Principal,
    id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<Document> {
    let d = get(store, principal, id, client).await?;
    let path = org_path(store, d.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("qa_document:{id}"), client).await);
    }
    Ok(d)
}

fn wrong(d: &Document, status: &str, action: &'static str) -> QualityError {
    QualityError::WrongState { what: format!("document {}", d.code), status: status.to_string(), action }
}

/// Drafts the next revision with its file and the reason for the change (QA); one draft or
/// review at a time.
pub async fn revise(
    store: &Store,
    principal: &Principal,
    id: i64,
    file: &Upload,
    reason: &str,
    client: &ClientInfo,
) -> Result<Document> {
    let mut errors = ValidationError::new();
    errors.length("reason", reason, 1, 500);
    errors.into_result()?;
    revisable(store, principal, id, client).await?;
    let mut tx = store.begin().await?;
    insert_revision(&mut tx, principal, id, file, reason, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The document, if the principal may draft its next revision now: QA, not obsolete, no
/// draft or revision in review.
pub(crate) async fn revisable(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Document> {
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if d.status == "obsolete" {
        return Err(wrong(&d, "obsolete", "revise"));
    }
    if let Some(open) = d.revisions.iter().find(|r| r.state == "draft" || r.state == "in_review") {
        return Err(wrong(&d, &open.state, "draft another revision"));
    }
    Ok(d)
}

/// Submits the draft for review (QA).
pub async fn submit(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Document> {
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    let Some(draft) = d.revisions.iter().find(|r| r.state == "draft") else {
        return Err(wrong(&d, "without a draft", "submit"));
    };
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE qa_document_revisions SET status = 'in_review', version = version + 1, updated_at = $1 WHERE id = $2",
    )
    .bind(Timestamp::now().0)
    .bind(draft.id)
    .execute(&mut *tx)
    .await?;
    save_revision(&mut tx, principal, draft.id, "submit", "提交审核", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Approves the revision in review (QA, not its author) under an electronic signature, with the
/// date it takes effect (today or later); the revision it replaces is superseded from that day.
#[allow(clippy::too_many_arguments)]
pub async fn approve(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    effective_on: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Document> {
    let mut errors = ValidationError::new();
    let day = day_of(&mut errors, "effective_on", effective_on);
    errors.into_result()?;
    let Some(day) = day else { return Err(ValidationError::single("effective_on", "date", "date").into()) };
    if day < today() {
        return Err(ValidationError::single("effective_on", "future", "today or later").into());
    }
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    let Some(rev) = d.revisions.iter().find(|r| r.state == "in_review") else {
        return Err(wrong(&d, "without a revision in review", "approve"));
    };
    if rev.author == principal.username() {
        return Err(ValidationError::single("password", "other_person", "the author does not approve").into());
    }
    esign::reauthenticate(store, identity, principal, password, None, &format!("qa_document:{id} approve"), client)
        .await?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE qa_document_revisions SET status = 'approved', effective_on = $1, approved_by = $2, \
         version = version + 1, updated_at = $3 WHERE id = $4",
    )
    .bind(day)
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .bind(rev.id)
    .execute(&mut *tx)
    .await?;
    let written =
        save_revision(&mut tx, principal, rev.id, "approve", &format!("批准，{} 生效", day_text(day)), client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records that `user_id` was trained on revision `revision_id` of the document (QA).
pub async fn record_training(
    store: &Store,
    principal: &Principal,
    id: i64,
    revision_id: i64,
    user_id: i64,
    client: &ClientInfo,
) -> Result<()> {
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    let Some(rev) = d.revisions.iter().find(|r| r.id == revision_id) else {
        return Err(ValidationError::single("revision_id", "exists", "no such revision of this document").into());
    };
    if !["pending", "effective"].contains(&rev.state.as_str()) {
        return Err(wrong(&d, &rev.state, "train on this revision"));
    }
    let trainee = yaolian_identity::auth::principal_for_user(store, user_id)
        .await
        .map_err(|_| QualityError::from(ValidationError::single("user_id", "exists", "no such user")))?;
    let path = org_path(store, d.org_id).await?;
    if !trainee.reaches(perm::QUALITY_READ, &path) {
        return Err(ValidationError::single("user_id", "exists", "the person does not work under this document").into());
    }
    let mut tx = store.begin().await?;
    let inserted =
        sqlx::query("INSERT INTO qa_trainings (revision_id, user_id, trained_on, recorded_by) VALUES ($1, $2, $3, $4)")
            .bind(revision_id)
            .bind(user_id)
            .bind(today())
            .bind(principal.username())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from);
    match inserted {
        Ok(_) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::single("user_id", "unique", "the training is recorded already").into())
        }
        Err(e) => return Err(e.into()),
    }
    let key = format!("{revision_id}:{user_id}");
    let data = serde_json::json!({
        "revision_id": revision_id,
        "user_id": user_id,
        "username": trainee.username(),
        "trained_on": day_text(today()),
        "recorded_by": principal.username(),
    });
    versions::append(
        &mut tx,
        NewVersion {
            entity: TRAINING_ENTITY,
            entity_id: &key,
            actor: principal.username(),
            action: "train",
            reason: "",
            data: &data,
            expected_version: Some(0),
        },
    )
    .await?;
    let target = format!("qa_training:{key} {} rev {}", d.code, rev.revision);
    audit::record(&mut tx, audit::Event::by(principal, audit::action::QUALITY_DOCUMENT, &target, client)).await?;
    tx.commit().await?;
    Ok(())
}

/// The revision of the document effective for `user_id` today: the effective revision, and only
/// once the person's training on it is recorded (`not_trained` otherwise, naming the revision).
pub async fn effective_for(
    store: &Store,
    principal: &Principal,
    id: i64,
    user_id: i64,
    client: &ClientInfo,
) -> Result<Revision> {
    let d = get(store, principal, id, client).await?;
    let Some(rev) = d.effective().cloned() else {
        return Err(wrong(&d, "without an effective revision", "use"));
    };
    let trained: Option<i64> =
        sqlx::query_scalar("SELECT trained_on FROM qa_trainings WHERE revision_id = $1 AND user_id = $2")
            .bind(rev.id)
            .bind(user_id)
            .fetch_optional(store.pool())
            .await?;
    if trained.is_none() {
        return Err(QualityError::NotTrained { code: d.code, revision: rev.revision });
    }
    Ok(rev)
}

/// The effective (approved and in force) revision of a document with its file's bytes
/// (`quality.read` over the document's organization): what an eCTD sequence is drafted from.
/// A document without an effective revision is refused naming its state.
pub async fn effective_file(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<(Document, Revision, Vec<u8>)> {
    let d = get(store, principal, id, client).await?;
    let Some(rev) = d.effective().cloned() else {
        return Err(wrong(&d, "without an effective revision", "be submitted"));
    };
    let content = content_checked(store, &d, &rev).await?;
    Ok((d, rev, content))
}

/// The bytes of one revision of a document (`quality.read`): the revision a drafted eCTD
/// sequence named, read again when it is built.
pub async fn revision_file(
    store: &Store,
    principal: &Principal,
    id: i64,
    revision_id: i64,
    client: &ClientInfo,
) -> Result<Vec<u8>> {
    let d = get(store, principal, id, client).await?;
    let Some(rev) = d.revisions.iter().find(|r| r.id == revision_id).cloned() else {
        return Err(IdentityError::NotFound("revision").into());
    };
    content_checked(store, &d, &rev).await
}

/// A revision's stored bytes, checked against its recorded SM3.
async fn content_checked(store: &Store, d: &Document, rev: &Revision) -> Result<Vec<u8>> {
    let content: Vec<u8> = sqlx::query_scalar("SELECT content FROM qa_document_revisions WHERE id = $1")
        .bind(rev.id)
        .fetch_one(store.pool())
        .await?;
    if yaolian_ledger::HashAlg::Sm3.digest(&[&content]).to_hex() != rev.sm3 {
        return Err(IdentityError::Store(yaolian_store::StoreError::Corrupt(format!(
            "document {} revision {}: the file does not match its SM3",
            d.code, rev.revision
        )))
        .into());
    }
    Ok(content)
}

/// The revision a new record (a lab record, a batch record) is made under: `revision` of the
/// document must be the one effective today and the principal trained on it; a superseded,
/// obsolete, pending or unapproved revision is refused.
pub async fn select_for_record(
    store: &Store,
    principal: &Principal,
    id: i64,
    revision: i64,
    client: &ClientInfo,
) -> Result<Revision> {
    let d = get(store, principal, id, client).await?;
    let Some(rev) = d.revisions.iter().find(|r| r.revision == revision) else {
        return Err(ValidationError::single("revision", "exists", "no such revision").into());
    };
    if rev.state != "effective" {
        return Err(wrong(&d, &rev.state, "make a new record under this revision"));
    }
    effective_for(store, principal, id, principal.user_id(), client).await
}

/// Makes a document obsolete (废止), with the reason (QA).
pub async fn make_obsolete(
    store: &Store,
    principal: &Principal,
    id: i64,
    reason: &str,
    client: &ClientInfo,
) -> Result<Document> {
    let mut errors = ValidationError::new();
    errors.length("reason", reason, 1, 500);
    errors.into_result()?;
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if d.status == "obsolete" {
        return Err(wrong(&d, "obsolete", "make obsolete"));
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE qa_documents SET status = 'obsolete', version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(Timestamp::now().0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    save_document(&mut tx, principal, id, "obsolete", reason.trim()).await?;
    let target = format!("qa_document:{id} {} obsolete", d.code);
    let event = audit::Event {
        detail: reason,
        ..audit::Event::by(principal, audit::action::QUALITY_DOCUMENT, &target, client)
    };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A document from its row and its revisions' rows (newest first).
fn assemble(row: &sqlx::any::AnyRow, revs: &[RevRow]) -> Result<Document> {
    let id: i64 = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let review_months: i64 = row.try_get("review_months")?;
    let reviewed_on: Option<i64> = row.try_get("reviewed_on")?;
    Ok(Document {
        id,
        org_id: row.try_get("org_id")?,
        code: row.try_get("code")?,
        title: row.try_get("title")?,
        review_months,
        revisions: states(revs, status == "obsolete", today(), review_months, reviewed_on),
        reviewed_on: reviewed_on.map(day_text),
        status,
        owner: row.try_get("owner")?,
        version: row.try_get("version")?,
    })
}

/// The revisions of the documents `ids`, newest first within each, in one query.
async fn revisions_of(store: &Store, ids: &[i64]) -> Result<Vec<RevRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::new();
    let list: Vec<String> = ids.iter().map(|id| p.push(*id)).collect();
    let sql = format!(
        "SELECT {REV_COLUMNS} FROM qa_document_revisions WHERE document_id IN ({}) ORDER BY document_id, revision DESC",
        list.join(", ")
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(rev_row).collect::<std::result::Result<Vec<_>, _>>()?)
}

/// Documents from their rows, with every revision fetched at once.
async fn assemble_all(store: &Store, rows: &[sqlx::any::AnyRow]) -> Result<Vec<Document>> {
    let ids = rows.iter().map(|r| r.try_get::<i64, _>("id")).collect::<std::result::Result<Vec<_>, _>>()?;
    let revs = revisions_of(store, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, id) in rows.iter().zip(&ids) {
        let mine: Vec<RevRow> = revs.iter().filter(|r| r.document_id == *id).cloned().collect();
        out.push(assemble(row, &mine)?);
    }
    Ok(out)
}

/// QA records the periodic review (定期审核) of the effective revision under a signature
/// (`review`): the revision stays in force and its next review falls due a full interval later.
/// A review that finds a change needed drafts a revision instead.
pub async fn confirm_review(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    note: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Document> {
    let mut errors = ValidationError::new();
    errors.length("note", note, 1, 1000);
    errors.into_result()?;
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if d.effective().is_none() {
        return Err(wrong(&d, &d.status, "review (no revision in force)"));
    }
    esign::reauthenticate(store, identity, principal, password, None, &format!("qa_document:{id} review"), client)
        .await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE qa_documents SET reviewed_on = $1, version = version + 1, updated_at = $2 WHERE id = $3")
        .bind(today())
        .bind(Timestamp::now().0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let written = save_document(&mut tx, principal, id, "review", note.trim()).await?;
    let target = format!("qa_document:{id} {} review", d.code);
    let event =
        audit::Event { detail: note, ..audit::Event::by(principal, audit::action::QUALITY_DOCUMENT, &target, client) };
    audit::record(&mut tx, event).await?;
    esign::sign_in_tx(&mut tx, principal, password, "review", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A printed copy of a revision (受控副本): what it prints, who printed it and when, for the
/// watermark on every page.
#[derive(Debug, Clone)]
pub struct PrintCopy {
    pub document: Document,
    pub revision: Revision,
    /// The file's text when it is UTF-8 text (an SOP kept as text prints in full); `None` for a
    /// binary file, whose copy is the cover sheet with the file's SM3 checksum.
    pub text: Option<String>,
    pub printed_by: String,
    pub printed_at: Timestamp,
}

/// A revision's printed copy (`quality.read`); the print itself is recorded in the audit trail
/// (who printed which revision when), as the watermark says.
pub async fn print_copy(
    store: &Store,
    principal: &Principal,
    id: i64,
    revision_id: i64,
    client: &ClientInfo,
) -> Result<PrintCopy> {
    let document = get(store, principal, id, client).await?;
    let Some(revision) = document.revisions.iter().find(|r| r.id == revision_id).cloned() else {
        return Err(IdentityError::NotFound("revision").into());
    };
    let content: Vec<u8> =
        sqlx::query_scalar("SELECT content FROM qa_document_revisions WHERE id = $1 AND document_id = $2")
            .bind(revision_id)
            .bind(id)
            .fetch_one(store.pool())
            .await?;
    let text = String::from_utf8(content).ok().filter(|t| !t.contains('\0'));
    let printed_at = Timestamp::now();
    let target = format!("qa_document_revision:{revision_id} {} rev {} print", document.code, revision.revision);
    let mut tx = store.begin().await?;
    audit::record(&mut tx, audit::Event::by(principal, audit::action::EXPORT, &target, client)).await?;
    tx.commit().await?;
    Ok(PrintCopy { document, revision, text, printed_by: principal.username().to_string(), printed_at })
}

/// Documents in force whose periodic review falls due within `days` (or is past), of the
/// principal's organizations: what the 工作台 card counts and `/quality/documents?review=due`
/// lists. `None` for a principal who reads none (not audited: the home page asks what to show).
pub async fn reviews_due(store: &Store, principal: &Principal, days: i64) -> Result<Option<Vec<i64>>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::QUALITY_READ, &mut p) else { return Ok(None) };
    let sql = format!(
        "SELECT d.id, d.org_id, d.code, d.title, d.review_months, d.status, d.owner, d.reviewed_on, d.version \
         FROM qa_documents d JOIN orgs o ON o.id = d.org_id WHERE {scope} AND d.status = 'active'"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let limit = day_text(today() + days);
    Ok(Some(
        assemble_all(store, &rows)
            .await?
            .into_iter()
            .filter(|d| d.effective().and_then(|r| r.review_due_on.as_deref()).is_some_and(|due| *due <= *limit))
            .map(|d| d.id)
            .collect(),
    ))
}

/// One document with its revisions, if the principal may read it (not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Document> {
    let sql = "SELECT d.id, d.org_id, d.code, d.title, d.review_months, d.status, d.owner, d.reviewed_on, d.version, \
               o.path AS org_path FROM qa_documents d JOIN orgs o ON o.id = d.org_id WHERE d.id = $1";
    let row = crate::readable_row(store, principal, sql, id, (ENTITY, "document"), client).await?;
    let docs = assemble_all(store, std::slice::from_ref(&row)).await?;
    docs.into_iter().next().ok_or_else(|| IdentityError::NotFound("document").into())
}

/// Documents the principal may read, by number; each with its revisions.
pub async fn list(store: &Store, principal: &Principal, limit: i64, client: &ClientInfo) -> Result<Vec<Document>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::QUALITY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::QUALITY_READ, "qa_documents", client).await);
    };
    let lim = p.push(limit.clamp(1, 500));
    let sql = format!(
        "SELECT d.id, d.org_id, d.code, d.title, d.review_months, d.status, d.owner, d.reviewed_on, d.version \
         FROM qa_documents d \
         JOIN orgs o ON o.id = d.org_id WHERE {scope} ORDER BY d.updated_at DESC, d.id DESC LIMIT {lim}"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    assemble_all(store, &rows).await
}

/// A person who may be trained on a document: who works under it (reads its organization's
/// quality records), and whether their training on the effective revision is recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trainee {
    pub user_id: i64,
    pub name: String,
    pub username: String,
    pub trained: bool,
}

/// The people of the document's organization and the organizations below it who work under it,
/// with their training on the effective revision: the table QA picks from (QA only).
pub async fn trainees(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Vec<Trainee>> {
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    let path = org_path(store, d.org_id).await?;
    let (lo, hi) = yaolian_store::sql::prefix_range(&path);
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.path >= $1 AND o.path < $2 \
         AND u.status = 'active' ORDER BY u.id LIMIT 500",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(store.pool())
    .await?;
    let people = yaolian_identity::auth::principals_of(store, &ids).await?;
    let effective = d.effective().map(|r| r.id);
    let mut trained: Vec<i64> = Vec::new();
    if let Some(rev) = effective {
        trained = sqlx::query_scalar("SELECT user_id FROM qa_trainings WHERE revision_id = $1")
            .bind(rev)
            .fetch_all(store.pool())
            .await?;
    }
    Ok(people
        .iter()
        .filter(|p| p.reaches(perm::QUALITY_READ, &path))
        .map(|p| Trainee {
            user_id: p.user_id(),
            name: p.display_name().to_string(),
            username: p.username().to_string(),
            trained: trained.contains(&p.user_id()),
        })
        .collect())
}

/// Every document and revision whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {DOC_COLUMNS} FROM qa_documents ORDER BY id")).fetch_all(store.pool()).await?;
    let images = rows
        .iter()
        .map(|r| {
            Ok(yaolian_store::state::Image { entity_id: r.try_get::<i64, _>("id")?.to_string(), data: doc_image(r)? })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
    let mut out = yaolian_store::state::check(store, ENTITY, images).await?;
    let rows = sqlx::query(&format!("SELECT {REV_COLUMNS} FROM qa_document_revisions ORDER BY id"))
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let rev = rev_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: rev.id.to_string(), data: rev_image(&rev) });
    }
    out.extend(yaolian_store::state::check(store, REVISION_ENTITY, images).await?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(id: i64, revision: i64, status: &str, effective_on: Option<i64>) -> RevRow {
        RevRow {
            id,
            document_id: 1,
            revision,
            file_name: "sop.pdf".into(),
            size: 1,
            sm3: String::new(),
            reason: String::new(),
            status: status.into(),
            author: "a".into(),
            effective_on,
            approved_by: None,
            version: 1,
        }
    }

    #[test]
    fn the_newest_approved_revision_in_force_is_effective_and_older_ones_superseded() {
        let today = 20_000;
        let rows = [
            rev(4, 4, "draft", None),
            rev(3, 3, "approved", Some(today + 10)),
            rev(2, 2, "approved", Some(today - 5)),
            rev(1, 1, "approved", Some(today - 400)),
        ];
        let s: Vec<String> = states(&rows, false, today, 24, None).into_iter().map(|r| r.state).collect();
        assert_eq!(s, ["draft", "pending", "effective", "superseded"]);
        let s: Vec<String> = states(&rows, true, today, 24, None).into_iter().map(|r| r.state).collect();
        assert!(s.iter().all(|x| x == "obsolete"));
    }
}
