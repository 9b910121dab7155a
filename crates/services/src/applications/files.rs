//! Attachments of an application: decoded and size-checked on submission, stored with their
//! SM3 checksums, read back by whoever may see the application.

use super::*;

use yaolian_records::files::Decoded;

/// Decoded, size-checked uploads with their SM3 checksums (`yaolian_records::files`).
pub(super) fn decode_files(files: &[Upload]) -> std::result::Result<Vec<Decoded>, ValidationError> {
    yaolian_records::files::decode(files, MAX_FILES, MAX_FILE_BYTES)
}

/// Where an application's attachments are kept.
const AT: yaolian_records::files::FileTable =
    yaolian_records::files::FileTable { table: "application_files", owner: "application_id" };

pub(super) async fn store_files(tx: &mut Tx<'_>, application_id: i64, files: Vec<Decoded>) -> Result<Vec<FileRef>> {
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
    let Some(f) = yaolian_records::files::read(store.pool(), &AT, id, file_id).await? else {
        return Err(IdentityError::NotFound("attachment").into());
    };
    Ok((meta, f.content_type, f.bytes))
}
