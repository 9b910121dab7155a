//! Attachments of an application: decoded and size-checked on submission, stored with their
//! SM3 checksums, read back by whoever may see the application.

use super::*;

/// Decoded, size-checked uploads with their SM3 checksums.
pub(super) struct Decoded {
    pub(super) label: String,
    name: String,
    content_type: String,
    bytes: Vec<u8>,
    sm3: String,
}

pub(super) fn decode_files(files: &[Upload]) -> std::result::Result<Vec<Decoded>, ValidationError> {
    let mut errors = ValidationError::new();
    if files.len() > MAX_FILES {
        errors.push("files", format!("max_items:{MAX_FILES}"), format!("at most {MAX_FILES} attachments"));
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
            Ok(bytes) if bytes.len() > MAX_FILE_BYTES => errors.push(
                format!("{field}.content_base64"),
                format!("max_bytes:{MAX_FILE_BYTES}"),
                format!("{} is larger than {} MiB", f.name, MAX_FILE_BYTES / 1024 / 1024),
            ),
            Ok(bytes) => {
                let sm3 = HashAlg::Sm3.digest(&[&bytes]).to_hex();
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

pub(super) async fn store_files(tx: &mut Tx<'_>, application_id: i64, files: Vec<Decoded>) -> Result<Vec<FileRef>> {
    let now = Timestamp::now().0;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let size = i64::try_from(f.bytes.len()).unwrap_or(i64::MAX);
        let id: i64 = sqlx::query(
            "INSERT INTO application_files (application_id, name, label, content_type, size, sm3, content, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(application_id)
        .bind(&f.name)
        .bind(&f.label)
        .bind(&f.content_type)
        .bind(size)
        .bind(&f.sm3)
        .bind(f.bytes)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        out.push(FileRef { id, label: f.label, name: f.name, size, sm3: f.sm3 });
    }
    Ok(out)
}

/// An attachment's bytes (who may see the application may read its files).
pub async fn file(
    store: &Store,
    principal: &Principal,
    id: i64,
    file_id: i64,
    client: &ClientInfo,
) -> Result<(FileRef, String, Vec<u8>)> {
    let view = get(store, principal, id, client).await?;
    let Some(meta) = view.application.files.iter().find(|f| f.id == file_id).cloned() else {
        return Err(IdentityError::NotFound("attachment").into());
    };
    let r = sqlx::query("SELECT content_type, content FROM application_files WHERE id = $1 AND application_id = $2")
        .bind(file_id)
        .bind(id)
        .fetch_one(store.pool())
        .await?;
    Ok((meta, r.try_get(0)?, r.try_get(1)?))
}
