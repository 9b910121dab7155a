//! Attachments of an application: decoded and size-checked on submission, stored with their
//! SM3 checksums, read back by whoever may see the application.

use super::*;

use yaolian_records::files::Decoded;

/// Decoded, size-checked uploads with their SM3 checksums (`yaolian_records::files`).
pub(super) fn decode_files(files: &[Upload]) -> std::result::Result<Vec<Decoded>, ValidationError> {
    yaolian_records::files::decode(files, MAX_FILES, MAX_FILE_BYTES)
}

pub(super) async fn store_files(tx: &mut Tx<'_>, application_id: i64, files: Vec<Decoded>) -> Result<Vec<FileRef>> {
    const AT: yaolian_records::files::FileTable =
        yaolian_records::files::FileTable { table: "application_files", owner: "application_id" };
    Ok(yaolian_records::files::store(tx, &AT, application_id, &files, Timestamp::now().0).await?)
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
