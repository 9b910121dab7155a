//! A list page's export: the rows its filter selects (not the page shown) as `<list>.csv` or
//! `<list>.xlsx`, from one [`Table`] so both files hold the same columns, each export recorded
//! in the audit log (`audit::record_export`, which feeds the bulk-export alert).
//!
//! A list routes both files to one handler, which takes the [`Format`] from the path:
//! `.route("/licenses.csv", get(h)).route("/licenses.xlsx", get(h))`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use yaolian_audit::{self as audit, Table};

use super::{error_page, failure_page, PageUser};
use crate::i18n::Lang;
use crate::AppState;

/// The file an export writes, from the extension of the requested path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn of_path(path: &str) -> Option<Format> {
        if path.ends_with(".csv") {
            Some(Format::Csv)
        } else if path.ends_with(".xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Format::of_path(parts.uri.path()).ok_or_else(|| {
            let lang = Lang::from_parts(parts);
            error_page(lang, StatusCode::NOT_FOUND, lang.t("err.not_found"))
        })
    }
}

/// Records the export of `table` as `<stem>.csv` or `<stem>.xlsx` and answers the file; or the
/// page that says why not.
pub async fn send(state: &AppState, user: &PageUser, stem: &str, format: Format, table: Table) -> Response {
    let name = format!("{stem}.{}", format.extension());
    if let Err(e) = audit::record_export(state.store(), &user.principal, &name, table.rows.len(), &user.client).await {
        return failure_page(user.lang, e);
    }
    match format {
        Format::Csv => crate::api::csv_response(&name, table.to_csv()),
        Format::Xlsx => match yaolian_registry::table::table_xlsx(&table) {
            Ok(bytes) => crate::api::xlsx_response(&name, bytes),
            Err(e) => {
                tracing::error!(error = %e, file = %name, "writing an export failed");
                error_page(user.lang, StatusCode::INTERNAL_SERVER_ERROR, user.lang.t("err.generic"))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn the_format_is_the_extension_of_the_path() {
        assert_eq!(Format::of_path("/licenses.csv"), Some(Format::Csv));
        assert_eq!(Format::of_path("/admin/users.xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::of_path("/licenses"), None);
        assert_eq!(Format::Xlsx.extension(), "xlsx");
    }
}
