//! The package model (申报资料): a company's applications, each application's eCTD sequences
//! (0000 upwards, +1 each time, never reused) and each sequence's leaves placed in the CTD tree,
//! built from the effective revisions of controlled documents; the lifecycle of every CTD node
//! across sequences.
//!
//! A sequence is drafted with its leaves (every check made before anything is written: the
//! node takes leaves, a Module 1 title is Chinese, all `new` in 0000, a modified leaf is a
//! current leaf of an earlier sequence in the same node, a delete carries no document, a
//! document has an effective revision the author may read), then built into its folder by
//! [`crate::package::write`] and validated; each step versions the record (its leaves in the
//! image) with a ledger entry and an audit event.

use crate::error::{invalid, Result, SubmissionError};
use crate::package::{self, LeafSpec, NodeAttributes, Operation, SequenceSpec, Target};
use crate::regional::{self, Envelope};
use crate::{ctd, rules::RuleSet, validate};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{FieldError, Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_records::step::{self, Step};
use yaolian_store::sql::{Params, Value};
use yaolian_store::Store;

pub const APPLICATION_ENTITY: &str = "submission_application";
pub const SEQUENCE_ENTITY: &str = "submission_sequence";

/// A sequence's states.
pub const SEQUENCE_STATES: &[(&str, &str)] = &[("draft", "草稿"), ("built", "已编制"), ("sent", "已发送")];

/// Leaves one sequence may hold.
pub const MAX_LEAVES: usize = 5_000;

/// A new application (申请).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewApplication {
    pub org_id: i64,
    /// 申请编号: a lowercase letter, the year and a five-digit serial (x202612345).
    pub number: String,
    /// cnapt1 … cnapt4.
    pub application_type: String,
    /// cnprt1 化学药品, cnprt2 生物制品.
    pub product_type: String,
    /// 原始编号: the year and a six-digit serial.
    pub product_number: String,
    pub substance: String,
    pub manufacturer: String,
    pub product_name: String,
    pub dosage_form: String,
    pub indication: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub number: String,
    pub application_type: String,
    pub product_type: String,
    pub product_number: String,
    pub substance: String,
    pub manufacturer: String,
    pub product_name: String,
    pub dosage_form: String,
    pub indication: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// Sequences drafted so far: the next one's number.
    pub sequences: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// A leaf of a new sequence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewLeaf {
    /// The CTD node's element (`m3-2-s-4-1-specification`, `cn-1-0`).
    pub element: String,
    pub title: String,
    /// new, append, replace or delete.
    pub operation: String,
    /// The leaf it modifies (its key, e.g. `l0000-004`), for append, replace and delete.
    #[serde(default)]
    pub target: Option<String>,
    /// The controlled document whose effective revision is the file (none for a delete).
    #[serde(default)]
    pub document_id: Option<i64>,
}

/// A new sequence.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSequence {
    /// cnsqt1 … cnsqt4.
    pub sequence_type: String,
    /// cnrat1 … cnrat9.
    pub regulatory_activity: String,
    /// The related sequence; by default the sequence itself for cnsqt1/cnsqt4, else 0000.
    #[serde(default)]
    pub related_sequence: Option<String>,
    pub description: String,
    pub leaves: Vec<NewLeaf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Leaf {
    pub id: i64,
    pub sequence: String,
    pub leaf_key: String,
    pub element: String,
    /// CDE's section number (3.2.S.4.1).
    pub section: String,
    pub title: String,
    pub operation: String,
    pub target_key: Option<String>,
    pub document_id: Option<i64>,
    pub revision_id: Option<i64>,
    pub file_name: String,
    pub sm3: String,
    /// Path in the sequence folder and MD5, once built.
    pub path: String,
    pub md5: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Sequence {
    pub id: i64,
    pub application_id: i64,
    pub number: String,
    pub sequence_type: String,
    pub related_sequence: String,
    pub regulatory_activity: String,
    pub description: String,
    pub status: String,
    pub index_md5: String,
    pub files: i64,
    pub bytes: i64,
    pub errors: Option<i64>,
    pub warnings: Option<i64>,
    pub built_at: Option<i64>,
    pub transfer_id: String,
    pub leaves: Vec<Leaf>,
    pub created_at: i64,
    pub version: i64,
}

/// An application with its sequences, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationView {
    pub application: Application,
    pub sequences: Vec<Sequence>,
}

fn bad(field: impl Into<String>, rule: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field.into(), rule, message.into())
}

fn refuse(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SubmissionError::Shared(IdentityError::Validation(ValidationError { errors })))
    }
}

const APP_COLUMNS: &str = "a.id, a.org_id, o.name AS org_name, a.number, a.application_type, a.product_type, \
     a.product_number, a.substance, a.manufacturer, a.product_name, a.dosage_form, a.indication, a.contact_name, \
     a.contact_phone, a.contact_email, a.sequences, a.created_at, a.updated_at, a.version, o.path AS org_path";

fn application_from(r: &sqlx::any::AnyRow) -> Result<Application> {
    Ok(Application {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        number: r.try_get("number")?,
        application_type: r.try_get("application_type")?,
        product_type: r.try_get("product_type")?,
        product_number: r.try_get("product_number")?,
        substance: r.try_get("substance")?,
        manufacturer: r.try_get("manufacturer")?,
        product_name: r.try_get("product_name")?,
        dosage_form: r.try_get("dosage_form")?,
        indication: r.try_get("indication")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        contact_email: r.try_get("contact_email")?,
        sequences: r.try_get("sequences")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn application_image(a: &Application) -> serde_json::Value {
    serde_json::json!({
        "org_id": a.org_id,
        "number": a.number,
        "application_type": a.application_type,
        "product_type": a.product_type,
        "product_number": a.product_number,
        "substance": a.substance,
        "manufacturer": a.manufacturer,
        "product_name": a.product_name,
        "dosage_form": a.dosage_form,
        "indication": a.indication,
        "contact_name": a.contact_name,
        "contact_phone": a.contact_phone,
        "contact_email": a.contact_email,
        "sequences": a.sequences,
    })
}

fn sequence_image(s: &Sequence) -> serde_json::Value {
    serde_json::json!({
        "application_id": s.application_id,
        "number": s.number,
        "sequence_type": s.sequence_type,
        "related_sequence": s.related_sequence,
        "regulatory_activity": s.regulatory_activity,
        "description": s.description,
        "status": s.status,
        "index_md5": s.index_md5,
        "files": s.files,
        "bytes": s.bytes,
        "errors": s.errors,
        "warnings": s.warnings,
        "transfer_id": s.transfer_id,
        "leaves": s.leaves.iter().map(|l| serde_json::json!({
            "leaf_key": l.leaf_key,
            "element": l.element,
            "title": l.title,
            "operation": l.operation,
            "target_key": l.target_key,
            "document_id": l.document_id,
            "revision_id": l.revision_id,
            "sm3": l.sm3,
            "path": l.path,
            "md5": l.md5,
        })).collect::<Vec<_>>(),
    })
}

/// The envelope an application's sequence carries.
fn envelope(
    a: &Application,
    number: &str,
    sequence_type: &str,
    related: &str,
    activity: &str,
    description: &str,
) -> Envelope {
    Envelope {
        application_id: a.number.clone(),
        application_type: a.application_type.clone(),
        product_type: a.product_type.clone(),
        product_number: a.product_number.clone(),
        related_sequence: related.into(),
        regulatory_activity: activity.into(),
        sequence_number: number.into(),
        sequence_type: sequence_type.into(),
        description: description.into(),
        contact_name: a.contact_name.clone(),
        contact_phone: a.contact_phone.clone(),
        contact_email: a.contact_email.clone(),
    }
}

/// The envelope's faults under the names of our fields.
fn envelope_faults(e: &Envelope) -> Vec<FieldError> {
    regional::faults(e)
        .into_iter()
        .map(|(field, message)| {
            let name = match field {
                "application-id" => "number",
                "application-type" => "application_type",
                "product-type" => "product_type",
                "product-number" => "product_number",
                "regulatory-activity-type" => "regulatory_activity",
                "sequence-type" => "sequence_type",
                "related-sequence" => "related_sequence",
                "sequence-description" => "description",
                "sequence-contact/name" => "contact_name",
                "sequence-contact/phone" => "contact_phone",
                "sequence-contact/email" => "contact_email",
                other => other,
            };
            bad(name, "envelope", message)
        })
        .collect()
}

async fn org_path(store: &Store, org_id: i64) -> Result<String> {
    let path: Option<String> =
        sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(org_id).fetch_optional(store.pool()).await?;
    Ok(path.ok_or(IdentityError::NotFound("organization"))?)
}

/// Creates an application for an organization the principal sends for (`submission.send`).
pub async fn create_application(
    store: &Store,
    principal: &Principal,
    new: &NewApplication,
    client: &ClientInfo,
) -> Result<Application> {
    let path = org_path(store, new.org_id).await?;
    if !principal.reaches(perm::SUBMISSION_SEND, &path) {
        let target = format!("{APPLICATION_ENTITY}:new org {}", new.org_id);
        return Err(audit::deny::<IdentityError>(store, principal, perm::SUBMISSION_SEND, &target, client)
            .await
            .into());
    }
    let mut a = Application {
        id: 0,
        org_id: new.org_id,
        org_name: String::new(),
        number: new.number.trim().to_string(),
        application_type: new.application_type.trim().to_string(),
        product_type: new.product_type.trim().to_string(),
        product_number: new.product_number.trim().to_string(),
        substance: new.substance.trim().to_string(),
        manufacturer: new.manufacturer.trim().to_string(),
        product_name: new.product_name.trim().to_string(),
        dosage_form: new.dosage_form.trim().to_string(),
        indication: new.indication.trim().to_string(),
        contact_name: new.contact_name.trim().to_string(),
        contact_phone: new.contact_phone.trim().to_string(),
        contact_email: new.contact_email.trim().to_string(),
        sequences: 0,
        created_at: 0,
        updated_at: 0,
        version: 1,
    };
    // The envelope's fields as the first sequence would carry them.
    let mut errors: Vec<FieldError> = envelope_faults(&envelope(&a, "0000", "cnsqt1", "0000", "cnrat1", "-"));
    for (field, value) in [
        ("substance", &a.substance),
        ("manufacturer", &a.manufacturer),
        ("product_name", &a.product_name),
        ("dosage_form", &a.dosage_form),
        ("indication", &a.indication),
    ] {
        let n = value.chars().count();
        if n == 0 || n > 200 {
            errors.push(bad(field, "length:1..200", "1 to 200 characters"));
        }
    }
    refuse(errors)?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM submission_applications WHERE org_id = $1 AND number = $2")
            .bind(a.org_id)
            .bind(&a.number)
            .fetch_optional(store.pool())
            .await?;
    if taken.is_some() {
        refuse(vec![bad("number", "unique", format!("application {} exists", a.number))])?;
    }
    let now = Timestamp::now().0;
    let mut tx = store.begin().await?;
    a.id = sqlx::query_scalar(
        "INSERT INTO submission_applications (org_id, number, application_type, product_type, product_number, substance, \
         manufacturer, product_name, dosage_form, indication, contact_name, contact_phone, contact_email, created_by, \
         created_at, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $15) \
         RETURNING id",
    )
    .bind(a.org_id)
    .bind(&a.number)
    .bind(&a.application_type)
    .bind(&a.product_type)
    .bind(&a.product_number)
    .bind(&a.substance)
    .bind(&a.manufacturer)
    .bind(&a.product_name)
    .bind(&a.dosage_form)
    .bind(&a.indication)
    .bind(&a.contact_name)
    .bind(&a.contact_phone)
    .bind(&a.contact_email)
    .bind(principal.username())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let s = Step {
        entity: APPLICATION_ENTITY,
        id: a.id,
        version: 1,
        data: application_image(&a),
        action: "create",
        reason: "",
        audit: audit::action::SUBMISSION,
        target: format!("{APPLICATION_ENTITY}:{} {} create", a.id, a.number),
    };
    step::record(&mut tx, principal, s, client).await?;
    tx.commit().await?;
    // Read back as stored (the reach was checked above).
    let sql =
        format!("SELECT {APP_COLUMNS} FROM submission_applications a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1");
    application_from(&sqlx::query(&sql).bind(a.id).fetch_one(store.pool()).await?)
}

async fn load_application(
    store: &Store,
    principal: &Principal,
    permission: &str,
    id: i64,
    client: &ClientInfo,
) -> Result<Application> {
    // A company's applications are its workspace: a regulator reads what it received (the
    // transfers), never the drafts.
    if principal.org_kind().is_regulator() {
        return Err(IdentityError::NotFound("application").into());
    }
    let sql =
        format!("SELECT {APP_COLUMNS} FROM submission_applications a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1");
    let row = yaolian_identity::readable::row(
        store,
        principal,
        permission,
        &sql,
        id,
        (APPLICATION_ENTITY, "application"),
        client,
    )
    .await?;
    application_from(&row)
}

/// Applications in the principal's scope (`submission.read`), newest change first, narrowed by
/// a number or product name containing `q`; none for a regulator (it reads the transfers it
/// received).
pub async fn list_applications(
    store: &Store,
    principal: &Principal,
    q: Option<&str>,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Application>, i64)> {
    if principal.org_kind().is_regulator() && principal.has(perm::SUBMISSION_READ) {
        return Ok((Vec::new(), 0));
    }
    let q = q.map(str::trim).filter(|q| !q.is_empty()).map(str::to_string);
    let (rows, total) = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUBMISSION_READ,
        "submission_applications",
        (APP_COLUMNS, "submission_applications a JOIN orgs o ON o.id = a.org_id", "a.updated_at DESC, a.id DESC"),
        |p: &mut Params| q.map(|q| p.like_any(&["a.number", "a.product_name"], &q)),
        limit,
        offset,
        client,
    )
    .await?;
    Ok((rows.iter().map(application_from).collect::<Result<Vec<_>>>()?, total))
}

/// An application with its sequences and their leaves (`submission.read`).
pub async fn get_application(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    let application = load_application(store, principal, perm::SUBMISSION_READ, id, client).await?;
    let sequences = sequences_of(store, id).await?;
    Ok(ApplicationView { application, sequences })
}

const SEQ_COLUMNS: &str =
    "id, application_id, number, sequence_type, related_sequence, regulatory_activity, description, \
     status, index_md5, files, bytes, errors, warnings, built_at, transfer_id, created_at, version";

/// Every sequence of an application with its leaves: two statements.
async fn sequences_of(store: &Store, application_id: i64) -> Result<Vec<Sequence>> {
    let rows = sqlx::query(&format!(
        "SELECT {SEQ_COLUMNS} FROM submission_sequences WHERE application_id = $1 ORDER BY number"
    ))
    .bind(application_id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Sequence {
            id: r.try_get("id")?,
            application_id: r.try_get("application_id")?,
            number: r.try_get("number")?,
            sequence_type: r.try_get("sequence_type")?,
            related_sequence: r.try_get("related_sequence")?,
            regulatory_activity: r.try_get("regulatory_activity")?,
            description: r.try_get("description")?,
            status: r.try_get("status")?,
            index_md5: r.try_get("index_md5")?,
            files: r.try_get("files")?,
            bytes: r.try_get("bytes")?,
            errors: r.try_get("errors")?,
            warnings: r.try_get("warnings")?,
            built_at: r.try_get("built_at")?,
            transfer_id: r.try_get("transfer_id")?,
            leaves: Vec::new(),
            created_at: r.try_get("created_at")?,
            version: r.try_get("version")?,
        });
    }
    let leaves = sqlx::query(
        "SELECT l.id, l.sequence_id, s.number, l.leaf_key, l.element, l.title, l.operation, t.leaf_key AS target_key, \
         l.document_id, l.revision_id, l.file_name, l.sm3, l.path, l.md5 FROM submission_leaves l \
         JOIN submission_sequences s ON s.id = l.sequence_id LEFT JOIN submission_leaves t ON t.id = l.target_id \
         WHERE l.application_id = $1 ORDER BY s.number, l.position",
    )
    .bind(application_id)
    .fetch_all(store.pool())
    .await?;
    let at: HashMap<i64, usize> = out.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    for r in &leaves {
        let sequence_id: i64 = r.try_get("sequence_id")?;
        let element: String = r.try_get("element")?;
        let leaf = Leaf {
            id: r.try_get("id")?,
            sequence: r.try_get("number")?,
            leaf_key: r.try_get("leaf_key")?,
            section: ctd::node(&element).map(|n| n.section.clone()).unwrap_or_default(),
            element,
            title: r.try_get("title")?,
            operation: r.try_get("operation")?,
            target_key: r.try_get("target_key")?,
            document_id: r.try_get("document_id")?,
            revision_id: r.try_get("revision_id")?,
            file_name: r.try_get("file_name")?,
            sm3: r.try_get("sm3")?,
            path: r.try_get("path")?,
            md5: r.try_get("md5")?,
        };
        if let Some(i) = at.get(&sequence_id) {
            out[*i].leaves.push(leaf);
        }
    }
    Ok(out)
}

/// Drafts the application's next sequence with its leaves (`submission.send`): every leaf
/// checked first, then one transaction.
pub async fn create_sequence(
    store: &Store,
    principal: &Principal,
    application_id: i64,
    new: &NewSequence,
    client: &ClientInfo,
) -> Result<Sequence> {
    let mut a = load_application(store, principal, perm::SUBMISSION_SEND, application_id, client).await?;
    let earlier = sequences_of(store, application_id).await?;
    let number = format!("{:04}", a.sequences);
    if a.sequences > 9999 {
        refuse(vec![bad("number", "max:9999", "an application holds at most 10,000 sequences")])?;
    }
    let own = matches!(new.sequence_type.as_str(), "cnsqt1" | "cnsqt4");
    let related = new.related_sequence.clone().unwrap_or_else(|| if own { number.clone() } else { "0000".into() });
    let description = new.description.trim();
    let mut errors =
        envelope_faults(&envelope(&a, &number, &new.sequence_type, &related, &new.regulatory_activity, description));
    errors.retain(|e| !matches!(e.field.as_str(), "number" | "application_type" | "product_type" | "product_number"));
    if new.leaves.is_empty() || new.leaves.len() > MAX_LEAVES {
        errors.push(bad("leaves", &format!("count:1..={MAX_LEAVES}"), "a sequence holds 1 to 5,000 leaves"));
    }
    // The leaves of earlier sequences: by key, with whether each is still current.
    let all: Vec<&Leaf> = earlier.iter().flat_map(|s| &s.leaves).collect();
    let by_key: HashMap<&str, &Leaf> = all.iter().map(|l| (l.leaf_key.as_str(), *l)).collect();
    let retired: HashSet<&str> = all
        .iter()
        .filter(|l| matches!(l.operation.as_str(), "replace" | "delete"))
        .filter_map(|l| l.target_key.as_deref())
        .collect();
    let mut modified_here: HashSet<&str> = HashSet::new();
    let mut appended_here: HashSet<&str> = HashSet::new();
    let mut files: Vec<Option<(i64, i64, String, String)>> = Vec::with_capacity(new.leaves.len());
    for (i, l) in new.leaves.iter().enumerate() {
        let f = |name: &str| format!("leaves[{i}].{name}");
        let node = ctd::node(&l.element).filter(|n| n.leaves);
        if node.is_none() {
            errors.push(bad(f("element"), "ctd_node", "not a CTD node that takes documents"));
        }
        let title = l.title.trim();
        let n = title.chars().count();
        if n == 0 || n > 500 {
            errors.push(bad(f("title"), "length:1..500", "1 to 500 characters"));
        }
        if node.is_some_and(|n| n.module == 1) && !title.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            errors.push(bad(f("title"), "chinese", "a Module 1 title is in Chinese"));
        }
        let op = l.operation.as_str();
        if !matches!(op, "new" | "append" | "replace" | "delete") {
            errors.push(bad(f("operation"), "one_of:new,append,replace,delete", "new, append, replace or delete"));
        }
        if number == "0000" && op != "new" {
            errors.push(bad(f("operation"), "first_sequence_new", "every leaf of sequence 0000 is new"));
        }
        match (op, l.target.as_deref()) {
            ("new", Some(_)) => errors.push(bad(f("target"), "none_for_new", "a new leaf modifies nothing")),
            ("append" | "replace" | "delete", None) => {
                errors.push(bad(f("target"), "required", "the leaf of an earlier sequence it modifies"))
            }
            ("append" | "replace" | "delete", Some(t)) => match by_key.get(t) {
                None => errors.push(bad(f("target"), "exists", format!("no leaf {t} in an earlier sequence"))),
                Some(target) => {
                    if retired.contains(t) || target.operation == "delete" {
                        errors.push(bad(f("target"), "current", format!("{t} was replaced or deleted before")));
                    }
                    if target.element != l.element {
                        errors.push(bad(f("target"), "same_node", format!("{t} is in {}", target.section)));
                    }
                    if op != "append" && !modified_here.insert(t) {
                        errors.push(bad(f("target"), "once", format!("{t} is replaced or deleted twice")));
                    }
                    // One sequence does not both append to a leaf and replace or delete it.
                    let both = if op == "append" {
                        appended_here.insert(t);
                        modified_here.contains(t)
                    } else {
                        appended_here.contains(t)
                    };
                    if both {
                        errors.push(bad(
                            f("target"),
                            "append_or_replace",
                            format!("{t} is both appended to and replaced or deleted in this sequence"),
                        ));
                    }
                }
            },
            _ => {}
        }
        match (op, l.document_id) {
            ("delete", Some(_)) => errors.push(bad(f("document_id"), "none_for_delete", "a delete carries no file")),
            ("delete", None) => files.push(None),
            (_, None) => {
                errors.push(bad(f("document_id"), "required", "the controlled document to submit"));
                files.push(None);
            }
            (_, Some(doc)) => match yaolian_quality::documents::effective_file(store, principal, doc, client).await {
                Ok((d, rev, _)) if d.org_id == a.org_id => {
                    files.push(Some((doc, rev.id, rev.file_name.clone(), rev.sm3.clone())))
                }
                Ok(_) => {
                    errors.push(bad(f("document_id"), "same_org", "a document of the applicant"));
                    files.push(None);
                }
                Err(e) => {
                    errors.push(bad(f("document_id"), e.code(), e.to_string()));
                    files.push(None);
                }
            },
        }
    }
    refuse(errors)?;
    let now = Timestamp::now().0;
    let mut tx = store.begin().await?;
    let seq_id: i64 = sqlx::query_scalar(
        "INSERT INTO submission_sequences (application_id, number, sequence_type, related_sequence, regulatory_activity, \
         description, status, created_by, created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, 1, $8) RETURNING id",
    )
    .bind(application_id)
    .bind(&number)
    .bind(&new.sequence_type)
    .bind(&related)
    .bind(&new.regulatory_activity)
    .bind(description)
    .bind(principal.username())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut leaves = Vec::with_capacity(new.leaves.len());
    for (i, (l, file)) in new.leaves.iter().zip(&files).enumerate() {
        let key = format!("l{number}-{:04}", i + 1);
        let target = l.target.as_deref().and_then(|t| by_key.get(t));
        let (document_id, revision_id, file_name, sm3) = match file {
            Some((d, r, n, s)) => (Some(*d), Some(*r), n.clone(), s.clone()),
            None => (None, None, String::new(), String::new()),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO submission_leaves (sequence_id, application_id, position, leaf_key, element, title, operation, \
             target_id, document_id, revision_id, file_name, sm3) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             RETURNING id",
        )
        .bind(seq_id)
        .bind(application_id)
        .bind(i as i64)
        .bind(&key)
        .bind(&l.element)
        .bind(l.title.trim())
        .bind(&l.operation)
        .bind(target.map(|t| t.id))
        .bind(document_id)
        .bind(revision_id)
        .bind(&file_name)
        .bind(&sm3)
        .fetch_one(&mut *tx)
        .await?;
        leaves.push(Leaf {
            id,
            sequence: number.clone(),
            leaf_key: key,
            element: l.element.clone(),
            section: ctd::node(&l.element).map(|n| n.section.clone()).unwrap_or_default(),
            title: l.title.trim().to_string(),
            operation: l.operation.clone(),
            target_key: target.map(|t| t.leaf_key.clone()),
            document_id,
            revision_id,
            file_name,
            sm3,
            path: String::new(),
            md5: String::new(),
        });
    }
    let seq = Sequence {
        id: seq_id,
        application_id,
        number: number.clone(),
        sequence_type: new.sequence_type.clone(),
        related_sequence: related,
        regulatory_activity: new.regulatory_activity.clone(),
        description: description.to_string(),
        status: "draft".into(),
        index_md5: String::new(),
        files: 0,
        bytes: 0,
        errors: None,
        warnings: None,
        built_at: None,
        transfer_id: String::new(),
        leaves,
        created_at: now,
        version: 1,
    };
    // The application counts its sequences: a number is never handed out twice.
    step::bump(
        &mut tx,
        ("submission_applications", a.id, a.version),
        "sequences = $1",
        vec![Value::I64(a.sequences + 1)],
        "application",
    )
    .await?;
    a.sequences += 1;
    a.version += 1;
    let s = Step {
        entity: APPLICATION_ENTITY,
        id: a.id,
        version: a.version,
        data: application_image(&a),
        action: "add-sequence",
        reason: &format!("序列 {number}"),
        audit: audit::action::SUBMISSION,
        target: format!("{APPLICATION_ENTITY}:{} {} sequence {number}", a.id, a.number),
    };
    step::record(&mut tx, principal, s, client).await?;
    let s = Step {
        entity: SEQUENCE_ENTITY,
        id: seq_id,
        version: 1,
        data: sequence_image(&seq),
        action: "draft",
        reason: "",
        audit: audit::action::SUBMISSION,
        target: format!("{SEQUENCE_ENTITY}:{seq_id} {} {number} draft", a.number),
    };
    step::record(&mut tx, principal, s, client).await?;
    tx.commit().await?;
    Ok(seq)
}

/// The folder an organization's application is built in.
pub fn application_folder(dir: &Path, org_id: i64, number: &str) -> PathBuf {
    dir.join("outgoing").join(org_id.to_string()).join(number)
}

/// Builds a drafted sequence into `<dir>/outgoing/<org>/<application>/<number>` from the
/// controlled documents' revisions it names, validates it, and records the paths, MD5s and the
/// validation's counts (`submission.send`). Earlier sequences must be built first (their
/// folders are what the lifecycle is checked against).
pub async fn build_sequence(
    store: &Store,
    principal: &Principal,
    (application_id, number): (i64, &str),
    dir: &Path,
    client: &ClientInfo,
) -> Result<Sequence> {
    let a = load_application(store, principal, perm::SUBMISSION_SEND, application_id, client).await?;
    let sequences = sequences_of(store, application_id).await?;
    let Some(seq) = sequences.iter().find(|s| s.number == number).cloned() else {
        return Err(IdentityError::NotFound("sequence").into());
    };
    if seq.status != "draft" {
        return Err(SubmissionError::WrongState {
            transfer_id: format!("{} {}", a.number, seq.number),
            status: seq.status,
            action: "build",
        });
    }
    if let Some(before) = sequences.iter().find(|s| s.number < seq.number && s.status == "draft") {
        return Err(IdentityError::Conflict(format!("build sequence {} first", before.number)).into());
    }
    // One build of a draft at a time writes its folder.
    let Some(claim) = crate::claim::take(store, "submission_sequences", (seq.id, seq.version), BUILD_CLAIM_MS).await?
    else {
        return Err(SubmissionError::Busy { what: format!("sequence {} of {}", seq.number, a.number) });
    };
    let built = build_claimed(store, principal, (&a, &sequences, seq), dir, client).await;
    claim.release(store).await;
    built
}

/// How long a build's claim holds.
const BUILD_CLAIM_MS: i64 = 30 * 60 * 1000;
/// How long a send's claim holds (a package under 10 GB, with the receiver's validation).
const SEND_CLAIM_MS: i64 = 2 * 60 * 60 * 1000;

/// The build of a claimed draft: its files read, written, validated and recorded.
async fn build_claimed(
    store: &Store,
    principal: &Principal,
    (a, sequences, mut seq): (&Application, &[Sequence], Sequence),
    dir: &Path,
    client: &ClientInfo,
) -> Result<Sequence> {
    let mut leaves = Vec::with_capacity(seq.leaves.len());
    let target_seq: HashMap<&str, &str> =
        sequences.iter().flat_map(|s| s.leaves.iter().map(|l| (l.leaf_key.as_str(), l.sequence.as_str()))).collect();
    for l in &seq.leaves {
        let file = match (l.document_id, l.revision_id) {
            (Some(d), Some(r)) => {
                let bytes = yaolian_quality::documents::revision_file(store, principal, d, r, client).await?;
                Some((l.file_name.clone(), bytes))
            }
            _ => None,
        };
        let operation = match l.operation.as_str() {
            "append" => Operation::Append,
            "replace" => Operation::Replace,
            "delete" => Operation::Delete,
            _ => Operation::New,
        };
        let target = l.target_key.as_ref().map(|k| Target {
            sequence: target_seq.get(k.as_str()).copied().unwrap_or("0000").to_string(),
            leaf_id: k.clone(),
        });
        leaves.push(LeafSpec {
            id: l.leaf_key.clone(),
            element: l.element.clone(),
            title: l.title.clone(),
            operation,
            target,
            file,
        });
    }
    let spec = SequenceSpec {
        envelope: envelope(
            a,
            &seq.number,
            &seq.sequence_type,
            &seq.related_sequence,
            &seq.regulatory_activity,
            &seq.description,
        ),
        attributes: NodeAttributes {
            substance: a.substance.clone(),
            manufacturer: a.manufacturer.clone(),
            product_name: a.product_name.clone(),
            dosage_form: a.dosage_form.clone(),
            indication: a.indication.clone(),
        },
        leaves,
    };
    let folder = application_folder(dir, a.org_id, &a.number);
    let target = folder.join(&seq.number);
    let (written, report) = tokio::task::spawn_blocking(move || {
        // A build that failed half-way leaves no folder behind to mislead the next one.
        let _ = std::fs::remove_dir_all(&target);
        let written = package::write(&folder, &spec).map_err(|e| e.to_string())?;
        let report = validate::validate(&target, &RuleSet::shipped()).map_err(|e| e.to_string())?;
        Ok::<_, String>((written, report))
    })
    .await
    .map_err(|e| IdentityError::Conflict(e.to_string()))?
    .map_err(|e| SubmissionError::Shared(IdentityError::Validation(ValidationError::single("sequence", "build", e))))?;
    let mut tx = store.begin().await?;
    for l in &mut seq.leaves {
        if let Some((path, md5)) = written.files.get(&l.leaf_key) {
            l.path = path.clone();
            l.md5 = md5.clone();
            sqlx::query("UPDATE submission_leaves SET path = $1, md5 = $2 WHERE id = $3")
                .bind(path)
                .bind(md5)
                .bind(l.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    seq.status = "built".into();
    seq.index_md5 = written.index_md5.clone();
    seq.files = (written.files.len() + 1) as i64;
    seq.bytes = written.bytes as i64;
    seq.errors = Some(report.errors as i64);
    seq.warnings = Some(report.warnings as i64);
    let now = Timestamp::now().0;
    seq.built_at = Some(now);
    step::bump(
        &mut tx,
        ("submission_sequences", seq.id, seq.version),
        "status = 'built', index_md5 = $1, files = $2, bytes = $3, errors = $4, warnings = $5, built_at = $6",
        vec![
            Value::Text(seq.index_md5.clone()),
            Value::I64(seq.files),
            Value::I64(seq.bytes),
            Value::I64(report.errors as i64),
            Value::I64(report.warnings as i64),
            Value::I64(now),
        ],
        "sequence",
    )
    .await?;
    seq.version += 1;
    record_step(&mut tx, principal, (a, &seq), ("build", "编制"), client).await?;
    tx.commit().await?;
    Ok(seq)
}

/// A sequence's step after its row was bumped: its version (the image with its leaves), ledger
/// entry and audit event.
async fn record_step(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &Principal,
    (a, seq): (&Application, &Sequence),
    (action, reason): (&'static str, &str),
    client: &ClientInfo,
) -> Result<()> {
    let s = Step {
        entity: SEQUENCE_ENTITY,
        id: seq.id,
        version: seq.version,
        data: sequence_image(seq),
        action,
        reason,
        audit: audit::action::SUBMISSION,
        target: format!("{SEQUENCE_ENTITY}:{} {} {} {action}", seq.id, a.number, seq.number),
    };
    step::record(tx, principal, s, client).await?;
    Ok(())
}

/// Sends a built sequence to the regulator's receiver (`submission.send`): a sequence built
/// without errors, its folder as it was built (index.xml's MD5), the earlier sequences sent
/// first. The transfer (a stopped one resumed) is recorded on the sequence, which is then sent.
/// A site with no receiver configured or no signing key loaded refuses (503) once the caller
/// and the sequence are checked.
pub async fn send_sequence(
    store: &Store,
    principal: &Principal,
    (application_id, number): (i64, &str),
    (dir, remote, keys): (&Path, Option<&crate::sender::Remote>, Option<crate::sender::SenderKeys<'_>>),
    client: &ClientInfo,
) -> Result<(Sequence, crate::transfers::Transfer)> {
    let a = load_application(store, principal, perm::SUBMISSION_SEND, application_id, client).await?;
    let sequences = sequences_of(store, application_id).await?;
    let Some(seq) = sequences.iter().find(|s| s.number == number).cloned() else {
        return Err(IdentityError::NotFound("sequence").into());
    };
    if seq.status != "built" {
        return Err(SubmissionError::WrongState {
            transfer_id: format!("{} {}", a.number, seq.number),
            status: seq.status,
            action: "send",
        });
    }
    if seq.errors != Some(0) {
        return Err(invalid("sequence", "validation", "a sequence with validation errors is not sent"));
    }
    if let Some(before) = sequences.iter().find(|s| s.number < seq.number && s.status != "sent") {
        return Err(IdentityError::Conflict(format!("send sequence {} first", before.number)).into());
    }
    let remote = remote.ok_or(SubmissionError::NoReceiver)?;
    let keys = keys.ok_or(SubmissionError::NoSigningKey)?;
    let folder = application_folder(dir, a.org_id, &a.number).join(&seq.number);
    let index = folder.join("index.xml");
    let md5 = tokio::task::spawn_blocking(move || validate::md5_file(&index))
        .await
        .map_err(|e| IdentityError::Conflict(e.to_string()))?;
    if md5.ok().as_deref() != Some(seq.index_md5.as_str()) {
        return Err(invalid("sequence", "unchanged", "the sequence's folder is not as it was built"));
    }
    // One send of a sequence at a time; the sequence is marked sent before the claim is given
    // up. A transfer of it that the receiver acknowledged in full before (a send that stopped
    // before the sequence was marked) is taken as it is, not sent again.
    let Some(claim) = crate::claim::take(store, "submission_sequences", (seq.id, seq.version), SEND_CLAIM_MS).await?
    else {
        return Err(SubmissionError::Busy { what: format!("sequence {} of {}", seq.number, a.number) });
    };
    let marked = send_claimed(store, principal, (&a, seq), (&folder, remote, keys), client).await;
    claim.release(store).await;
    marked
}

/// The send of a claimed sequence and its step.
async fn send_claimed(
    store: &Store,
    principal: &Principal,
    (a, mut seq): (&Application, Sequence),
    (folder, remote, keys): (&Path, &crate::sender::Remote, crate::sender::SenderKeys<'_>),
    client: &ClientInfo,
) -> Result<(Sequence, crate::transfers::Transfer)> {
    let transfer = match crate::transfers::acknowledged_send(store, a.org_id, (&a.number, &seq.number)).await? {
        Some(t) => t,
        None => crate::sender::send(store, principal, folder, remote, keys, client).await?.0,
    };
    let mut tx = store.begin().await?;
    step::bump(
        &mut tx,
        ("submission_sequences", seq.id, seq.version),
        "status = 'sent', transfer_id = $1",
        vec![Value::Text(transfer.transfer_id.clone())],
        "sequence",
    )
    .await?;
    seq.status = "sent".into();
    seq.transfer_id = transfer.transfer_id.clone();
    seq.version += 1;
    record_step(&mut tx, principal, (a, &seq), ("send", "发送"), client).await?;
    tx.commit().await?;
    Ok((seq, transfer))
}

/// One leaf in a node's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeafState {
    pub sequence: String,
    pub leaf_key: String,
    pub title: String,
    pub operation: String,
    pub target_key: Option<String>,
    /// current (现行), replaced (已替换), deleted (已删除), or the delete itself (删除操作).
    pub state: String,
    pub file_name: String,
}

/// A CTD node with leaves: what is current and what happened, sequence by sequence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NodeLife {
    pub element: String,
    pub section: String,
    pub title: String,
    pub current: usize,
    pub history: Vec<LeafState>,
}

/// The lifecycle view (生命周期): for every CTD node that holds leaves, in the tree's order, the
/// current documents and each leaf's fate across sequences (`submission.read`).
pub async fn lifecycle(
    store: &Store,
    principal: &Principal,
    application_id: i64,
    client: &ClientInfo,
) -> Result<Vec<NodeLife>> {
    let view = get_application(store, principal, application_id, client).await?;
    Ok(lifecycle_of(&view.sequences))
}

/// The lifecycle from the sequences' leaves (pure).
pub fn lifecycle_of(sequences: &[Sequence]) -> Vec<NodeLife> {
    let leaves: Vec<&Leaf> = sequences.iter().flat_map(|s| &s.leaves).collect();
    let mut fate: HashMap<&str, &str> = HashMap::new();
    for l in &leaves {
        if let Some(t) = l.target_key.as_deref() {
            match l.operation.as_str() {
                "replace" => {
                    fate.insert(t, "replaced");
                }
                "delete" => {
                    fate.insert(t, "deleted");
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for node in ctd::nodes().iter().filter(|n| n.leaves) {
        let here: Vec<&&Leaf> = leaves.iter().filter(|l| l.element == node.element).collect();
        if here.is_empty() {
            continue;
        }
        let history: Vec<LeafState> = here
            .iter()
            .map(|l| LeafState {
                sequence: l.sequence.clone(),
                leaf_key: l.leaf_key.clone(),
                title: l.title.clone(),
                operation: l.operation.clone(),
                target_key: l.target_key.clone(),
                state: if l.operation == "delete" {
                    "delete".into()
                } else {
                    fate.get(l.leaf_key.as_str()).copied().unwrap_or("current").to_string()
                },
                file_name: l.file_name.clone(),
            })
            .collect();
        out.push(NodeLife {
            element: node.element.clone(),
            section: node.section.clone(),
            title: node.title.clone(),
            current: history.iter().filter(|h| h.state == "current").count(),
            history,
        });
    }
    out
}

/// Every application and sequence row rebuilt as its image and compared with its latest
/// version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    use yaolian_store::state::{check, Image};
    let rows = sqlx::query(&format!(
        "SELECT {APP_COLUMNS} FROM submission_applications a JOIN orgs o ON o.id = a.org_id ORDER BY a.id"
    ))
    .fetch_all(store.pool())
    .await?;
    let mut apps = Vec::with_capacity(rows.len());
    let mut seqs = Vec::new();
    for r in &rows {
        let a = application_from(r)?;
        for s in sequences_of(store, a.id).await? {
            seqs.push(Image { entity_id: s.id.to_string(), data: sequence_image(&s) });
        }
        apps.push(Image { entity_id: a.id.to_string(), data: application_image(&a) });
    }
    let mut out = check(store, APPLICATION_ENTITY, apps).await?;
    out.extend(check(store, SEQUENCE_ENTITY, seqs).await?);
    Ok(out)
}

/// The applications as a table (CSV and Excel exports).
pub fn table(list: &[Application]) -> audit::Table {
    let rows = list.iter().map(|a| {
        vec![
            a.number.clone(),
            a.org_name.clone(),
            a.product_name.clone(),
            regional::label(regional::APPLICATION_TYPES, &a.application_type).unwrap_or("").to_string(),
            regional::label(regional::PRODUCT_TYPES, &a.product_type).unwrap_or("").to_string(),
            a.product_number.clone(),
            a.sequences.to_string(),
            Timestamp(a.updated_at).to_china_string(),
        ]
    });
    audit::Table::new(
        "电子申报",
        &["申请编号", "申请人", "产品名称", "申请类型", "产品类型", "原始编号", "序列数", "最近更新"],
        rows,
    )
}

/// The Chinese name of a sequence state.
pub fn state_zh(code: &str) -> &'static str {
    SEQUENCE_STATES.iter().find(|(c, _)| *c == code).map_or("", |(_, z)| z)
}
