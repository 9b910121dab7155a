//! Attachments (附件) of a regulated record: decoded from base64, size-checked and given their
//! SM3 checksum before anything is stored, so that every module keeps files the same way
//! (application materials, answers to trace anomalies). Each module stores the decoded files in
//! its own table, in the transaction of the record they belong to, and versions their
//! [`FileRef`]s (name, size, SM3) with the record: the checksum is what later proves the bytes
//! unchanged.

use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_core::ValidationError;
use yaolian_ledger::HashAlg;

/// An attachment as uploaded.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Upload {
    /// What the file is, e.g. 营业执照.
    pub label: String,
    /// File name.
    pub name: String,
    #[serde(default)]
    pub content_type: String,
    /// The file, base64.
    pub content_base64: String,
}

/// An attachment as stored: its SM3 checksum is what later proves the bytes unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FileRef {
    pub id: i64,
    pub label: String,
    pub name: String,
    pub size: i64,
    pub sm3: String,
}

/// A decoded, size-checked upload with its SM3 checksum, ready to store.
pub struct Decoded {
    pub label: String,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sm3: String,
}

impl Decoded {
    /// The size in bytes as the tables store it.
    pub fn size(&self) -> i64 {
        i64::try_from(self.bytes.len()).unwrap_or(i64::MAX)
    }

    /// Its reference once stored under `id`.
    pub fn stored_as(&self, id: i64) -> FileRef {
        FileRef { id, label: self.label.clone(), name: self.name.clone(), size: self.size(), sm3: self.sm3.clone() }
    }
}

/// Decodes `files` (at most `max_files`, each at most `max_bytes`), naming each refused one
/// (`files[i].name`, `files[i].content_base64`) and its rule. The same content twice is refused
/// (`duplicate`): one document attached as two materials is a mistake the applicant should see.
pub fn decode(files: &[Upload], max_files: usize, max_bytes: usize) -> Result<Vec<Decoded>, ValidationError> {
    let mut errors = ValidationError::new();
    if files.len() > max_files {
        errors.push("files", format!("max_items:{max_files}"), format!("at most {max_files} attachments"));
    }
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let field = format!("files[{i}]");
        if f.label.trim().is_empty() || f.name.trim().is_empty() || f.name.chars().count() > 200 {
            errors.push(format!("{field}.name"), "length:1..200", "each attachment needs a label and a file name");
            continue;
        }
        match base64::engine::general_purpose::STANDARD.decode(f.content_base64.trim()) {
            Ok(bytes) if bytes.is_empty() => {
                errors.push(format!("{field}.content_base64"), "non_empty", "the file is empty")
            }
            Ok(bytes) if bytes.len() > max_bytes => errors.push(
                format!("{field}.content_base64"),
                format!("max_bytes:{max_bytes}"),
                format!("{} is larger than {} MiB", f.name, max_bytes / 1024 / 1024),
            ),
            Ok(bytes) => {
                let sm3 = HashAlg::Sm3.digest(&[&bytes]).to_hex();
                if let Some(same) = out.iter().find(|d: &&Decoded| d.sm3 == sm3) {
                    errors.push(
                        format!("{field}.content_base64"),
                        "duplicate",
                        format!("{} has the same content as {} ({})", f.name.trim(), same.name, same.label),
                    );
                    continue;
                }
                out.push(Decoded {
                    label: f.label.trim().into(),
                    name: f.name.trim().into(),
                    content_type: if f.content_type.is_empty() {
                        "application/octet-stream".into()
                    } else {
                        f.content_type.clone()
                    },
                    bytes,
                    sm3,
                })
            }
            Err(_) => errors.push(format!("{field}.content_base64"), "base64", "content_base64 is not base64"),
        }
    }
    errors.into_result()?;
    Ok(out)
}

/// Where a module keeps its attachments: its table and the column naming the record a file
/// belongs to. The names are the module's constants, never input.
pub struct FileTable {
    pub table: &'static str,
    pub owner: &'static str,
}

/// Stores `files` under the record `owner_id` in the caller's transaction (the record's own),
/// in order; returns their references for the record's version.
pub async fn store(
    tx: &mut yaolian_store::Tx<'_>,
    at: &FileTable,
    owner_id: i64,
    files: &[Decoded],
    now: i64,
) -> Result<Vec<FileRef>, yaolian_store::StoreError> {
    let sql = format!(
        "INSERT INTO {} ({}, name, label, content_type, size, sm3, content, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        at.table, at.owner
    );
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let row = sqlx::query(&sql)
            .bind(owner_id)
            .bind(&f.name)
            .bind(&f.label)
            .bind(&f.content_type)
            .bind(f.size())
            .bind(&f.sm3)
            .bind(&f.bytes)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
        out.push(f.stored_as(sqlx::Row::try_get(&row, 0)?));
    }
    Ok(out)
}

/// A stored file read back: its name, type as uploaded, SM3 and bytes.
pub struct StoredFile {
    pub name: String,
    pub content_type: String,
    pub sm3: String,
    pub bytes: Vec<u8>,
}

/// The file `file_id` of the record `owner_id` in `at`'s table; `None` when the record has no
/// such file. The caller has checked that the principal may see the record.
pub async fn read(
    pool: &sqlx::AnyPool,
    at: &FileTable,
    owner_id: i64,
    file_id: i64,
) -> Result<Option<StoredFile>, yaolian_store::StoreError> {
    let sql = format!("SELECT name, content_type, sm3, content FROM {} WHERE id = $1 AND {} = $2", at.table, at.owner);
    let row = sqlx::query(&sql).bind(file_id).bind(owner_id).fetch_optional(pool).await?;
    let Some(r) = row else { return Ok(None) };
    use sqlx::Row;
    Ok(Some(StoredFile {
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        sm3: r.try_get("sm3")?,
        bytes: r.try_get("content")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, b64: &str) -> Upload {
        Upload { label: "说明".into(), name: name.into(), content_type: String::new(), content_base64: b64.into() }
    }

    #[test]
    fn refusals_name_the_file_and_the_rule() {
        let ok = decode(&[upload("a.txt", "5byC5bi4")], 2, 10).unwrap_or_default();
        assert_eq!((ok.len(), ok[0].size(), ok[0].sm3.len()), (1, 6, 64));
        let rules = |files: &[Upload]| {
            decode(files, 1, 4).err().map(|e| e.errors.into_iter().map(|e| (e.field, e.rule)).collect::<Vec<_>>())
        };
        assert_eq!(rules(&[upload("a", "!!")]), Some(vec![("files[0].content_base64".into(), "base64".into())]));
        assert_eq!(rules(&[upload("", "YQ==")]), Some(vec![("files[0].name".into(), "length:1..200".into())]));
        assert_eq!(
            rules(&[upload("a", "5byC5bi4")]),
            Some(vec![("files[0].content_base64".into(), "max_bytes:4".into())])
        );
        assert_eq!(
            rules(&[upload("a", "YQ=="), upload("b", "YQ==")]).map(|v| v[0].1.clone()),
            Some("max_items:1".into())
        );
        // The same bytes under another name and label are one document attached twice.
        let twice = decode(&[upload("a.pdf", "YQ=="), upload("b.pdf", "YQ==")], 5, 10).err().map(|e| e.errors);
        let twice = twice.unwrap_or_default();
        assert_eq!(twice.len(), 1);
        assert_eq!((twice[0].field.as_str(), twice[0].rule.as_str()), ("files[1].content_base64", "duplicate"));
        assert!(twice[0].message.contains("a.pdf"), "{}", twice[0].message);
    }
}
