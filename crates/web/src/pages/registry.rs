//! 一品一档 pages: the product list (search, filter, sort, page, CSV), the registration form
//! and a product's dossier page with its change form; 一企一档: a company's dossier page.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_identity::Org;
use yaolian_registry::companies::{self, Dossier, Profile};
use yaolian_registry::products::{self, NewProduct, Product, ProductQuery, DOSAGE_FORMS};

use super::{failure_page, field_error, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry", get(registry_page))
        .route("/registry/persons", axum::routing::post(person_create))
        .route("/registry/products", get(list_page))
        .route("/registry/products.csv", get(list_export))
        .route("/registry/products.xlsx", get(list_export))
        .route(
            "/registry/products/import",
            axum::routing::post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(yaolian_registry::table::MAX_UPLOAD_BYTES)),
        )
        .route("/registry/products/new", get(new_form).post(create))
        .route("/registry/products/{id}", get(detail).post(update))
        .route("/registry/companies/{id}", get(company_page).post(company_update))
}

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    dosage_form: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    page: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }

    fn query(&self, all: bool) -> ProductQuery {
        ProductQuery {
            q: Some(self.q.clone()),
            mah_org_id: None,
            dosage_form: Some(self.dosage_form.clone()),
            sort: Some(self.sort.clone()).filter(|s| !s.is_empty()),
            desc: self.desc == "1",
            limit: if all { 100_000 } else { PAGE_SIZE },
            offset: if all { 0 } else { (self.page() - 1) * PAGE_SIZE },
        }
    }

    /// Whether the list is narrowed (an empty result then says so, not 暂无药品).
    fn is_set(&self) -> bool {
        !self.q.trim().is_empty() || !self.dosage_form.is_empty()
    }

    fn link(&self, sort: Option<&str>, page: Option<i64>) -> String {
        let (key, desc) = super::Sorting { key: &self.sort, desc: &self.desc }.toggle(sort);
        format!(
            "?q={}&dosage_form={}&sort={}&desc={desc}&page={}",
            urlencoding::encode(&self.q),
            urlencoding::encode(&self.dosage_form),
            urlencoding::encode(&key),
            page.unwrap_or(1)
        )
    }
}

#[derive(Template)]
#[template(path = "products.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<Product>,
    total: i64,
    pages: i64,
    filter: Filter,
    forms: &'static [&'static str],
    can_create: bool,
}

impl ListPage {
    fn sort_link(&self, key: &str) -> String {
        self.filter.link(Some(key), None)
    }
    fn sort_class(&self, key: &str) -> &'static str {
        super::Sorting { key: &self.filter.sort, desc: &self.filter.desc }.class(key)
    }
    fn sort_aria(&self, key: &str) -> &'static str {
        super::Sorting { key: &self.filter.sort, desc: &self.filter.desc }.aria(key)
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        self.filter.link(None, Some(*page.borrow()))
    }
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let (items, total) = match products::list(state.store(), &user.principal, &filter.query(false), &user.client).await
    {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    render(&ListPage {
        chrome: user.chrome("products"),
        items,
        total,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        forms: DOSAGE_FORMS,
        can_create: user.principal.has(perm::REGISTRY_MANAGE),
    })
}

/// Every product the filter selects as `products.csv` or `products.xlsx`, in the columns the
/// import reads (an exported file can be edited and imported again); the export is audited.
async fn list_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    match products::list(state.store(), &user.principal, &filter.query(true), &user.client).await {
        Ok((items, _)) => {
            let table = yaolian_registry::import::products_table(&items);
            super::export::send(&state, &user, "products", format, table).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}

/// The form's fields as typed (kept on error).
#[derive(Deserialize, Default, Clone)]
pub struct ProductForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    approval_number: String,
    #[serde(default)]
    generic_name: String,
    #[serde(default)]
    trade_name: String,
    #[serde(default)]
    dosage_form: String,
    #[serde(default)]
    strength: String,
    #[serde(default)]
    pack: String,
    #[serde(default)]
    mah_org_id: String,
    #[serde(default)]
    manufacturer_org_id: String,
    #[serde(default)]
    drug_code: String,
    /// GTINs separated by spaces, commas or new lines.
    #[serde(default)]
    gtins: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expected_version: String,
}

impl ProductForm {
    fn from_product(p: &Product) -> ProductForm {
        ProductForm {
            approval_number: p.approval_number.clone(),
            generic_name: p.generic_name.clone(),
            trade_name: p.trade_name.clone(),
            dosage_form: p.dosage_form.clone(),
            strength: p.strength.clone(),
            pack: p.pack.clone(),
            mah_org_id: p.mah_org_id.to_string(),
            manufacturer_org_id: p.manufacturer_org_id.map(|m| m.to_string()).unwrap_or_default(),
            drug_code: p.drug_code.clone().unwrap_or_default(),
            gtins: p.gtins.join("\n"),
            expected_version: p.version.to_string(),
            ..ProductForm::default()
        }
    }

    /// The product the form describes; its two company pickers resolved to ids first.
    async fn to_new(&self, state: &AppState, user: &PageUser) -> Result<NewProduct, Result<Vec<FieldError>, Response>> {
        let company = Some(yaolian_access::OrgKind::Company);
        let mah_org_id = super::picked_org(state, user, "mah_org_id", &self.mah_org_id, company).await?;
        let manufacturer_org_id = match self.manufacturer_org_id.trim() {
            "" => None,
            m => Some(super::picked_org(state, user, "manufacturer_org_id", m, company).await?),
        };
        Ok(NewProduct {
            approval_number: self.approval_number.clone(),
            generic_name: self.generic_name.clone(),
            trade_name: self.trade_name.clone(),
            dosage_form: self.dosage_form.clone(),
            strength: self.strength.clone(),
            pack: self.pack.clone(),
            mah_org_id,
            manufacturer_org_id,
            drug_code: Some(self.drug_code.clone()).filter(|s| !s.trim().is_empty()),
            gtins: self
                .gtins
                .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct FormPage {
    chrome: Chrome,
    form: ProductForm,
    errors: Vec<FieldError>,
    /// The company pickers' first offers.
    companies: Vec<Org>,
    forms: &'static [&'static str],
    product: Option<Product>,
    can_manage: bool,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        // GTIN errors are per position (`gtins[1]`); the form shows them on the one field.
        field_error(&self.errors, field).or_else(|| {
            (field == "gtins")
                .then(|| self.errors.iter().find(|e| e.field.starts_with("gtins")).map(|e| e.message.as_str()))
                .flatten()
        })
    }
}

async fn render_form(
    state: &AppState,
    user: &PageUser,
    mut form: ProductForm,
    errors: Vec<FieldError>,
    product: Option<Product>,
) -> Response {
    let companies = super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await;
    form.mah_org_id = super::picker_text(state, user, &form.mah_org_id).await;
    form.manufacturer_org_id = super::picker_text(state, user, &form.manufacturer_org_id).await;
    let mut chrome = user.chrome("products");
    if let Some(p) = &product {
        chrome.title = format!("{} · {}", p.generic_name, p.approval_number);
    }
    render(&FormPage {
        chrome,
        form,
        errors,
        companies,
        forms: DOSAGE_FORMS,
        product,
        can_manage: user.principal.has(perm::REGISTRY_MANAGE),
    })
}

async fn new_form(State(state): State<AppState>, user: PageUser) -> Response {
    let form = ProductForm { mah_org_id: user.principal.org_id().to_string(), ..ProductForm::default() };
    render_form(&state, &user, form, Vec::new(), None).await
}

async fn create(State(state): State<AppState>, user: PageUser, Form(form): Form<ProductForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let new = match form.to_new(&state, &user).await {
        Ok(new) => new,
        Err(Ok(errors)) => return render_form(&state, &user, form, errors, None).await,
        Err(Err(page)) => return page,
    };
    match products::create(state.store(), &user.principal, &new, &user.client).await {
        Ok(p) => Redirect::to(&format!("/registry/products/{}", p.id)).into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => render_form(&state, &user, form, errors, None).await,
            Err(page) => page,
        },
    }
}

async fn detail(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    match products::get(state.store(), &user.principal, id, &user.client).await {
        Ok(p) => render_form(&state, &user, ProductForm::from_product(&p), Vec::new(), Some(p)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn update(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<ProductForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let expected = form.expected_version.parse().unwrap_or(0);
    let result = match form.to_new(&state, &user).await {
        Ok(new) => products::update(state.store(), &user.principal, id, &new, &form.reason, expected, &user.client)
            .await
            .map_err(|e| super::refusals(user.lang, e)),
        Err(refused) => Err(refused),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/registry/products/{}", p.id)).into_response(),
        Err(Ok(errors)) => {
            let current = products::get(state.store(), &user.principal, id, &user.client).await.ok();
            render_form(&state, &user, form, errors, current).await
        }
        Err(Err(page)) => page,
    }
}

// ---------------------------------------------------------------- 一企一档

#[derive(Deserialize, Default, Clone)]
pub struct ProfileForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    legal_rep: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    business_scope: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expected_version: String,
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    chrome: Chrome,
    d: Dossier,
    form: ProfileForm,
    errors: Vec<FieldError>,
    can_manage: bool,
    /// The company's licenses, when the reader may see licenses.
    licenses: Vec<yaolian_license::licenses::License>,
}

impl CompanyPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }

    fn module_label(&self, module: &str) -> &'static str {
        match self.chrome.t(&format!("module.{module}")) {
            "??" => "",
            label => label,
        }
    }
}

async fn render_company(
    state: &AppState,
    user: &PageUser,
    id: i64,
    form: Option<ProfileForm>,
    errors: Vec<FieldError>,
) -> Response {
    let d = match companies::dossier(state.store(), &user.principal, id, &user.client).await {
        Ok(d) => d,
        Err(e) => return failure_page(user.lang, e),
    };
    let form = form.unwrap_or_else(|| ProfileForm {
        legal_rep: d.profile.legal_rep.clone(),
        address: d.profile.address.clone(),
        business_scope: d.profile.business_scope.clone(),
        contact_phone: d.profile.contact_phone.clone(),
        expected_version: d.profile_version.to_string(),
        ..ProfileForm::default()
    });
    let mut chrome = user.chrome("products");
    chrome.title = format!("{} · {}", d.org.name, user.lang.t("company.title"));
    let can_manage = user.principal.reaches(perm::REGISTRY_MANAGE, &d.org.path);
    let licenses = if user.principal.reaches(perm::LICENSE_READ, &d.org.path) {
        let q = yaolian_license::licenses::LicenseQuery {
            holder_org_id: Some(id),
            sort: Some("valid_until".into()),
            limit: 100,
            ..Default::default()
        };
        yaolian_license::licenses::list(state.store(), &user.principal, &q, &user.client)
            .await
            .map(|r| r.0)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    render(&CompanyPage { chrome, d, form, errors, can_manage, licenses })
}

async fn company_page(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    render_company(&state, &user, id, None, Vec::new()).await
}

async fn company_update(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<ProfileForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let profile = Profile {
        legal_rep: form.legal_rep.clone(),
        address: form.address.clone(),
        business_scope: form.business_scope.clone(),
        contact_phone: form.contact_phone.clone(),
    };
    let expected = form.expected_version.parse().unwrap_or(0);
    let result =
        companies::update_profile(state.store(), &user.principal, id, &profile, &form.reason, expected, &user.client)
            .await;
    match result {
        Ok(_) => Redirect::to(&format!("/registry/companies/{id}")).into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => render_company(&state, &user, id, Some(form), errors).await,
            Err(page) => page,
        },
    }
}

// ---------------------------------------------------------------- search and 一员一档

#[derive(Deserialize, Default, Clone)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct PersonForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    qualification: String,
    #[serde(default)]
    cert_number: String,
    #[serde(default)]
    employer_org_id: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    chrome: Chrome,
    q: String,
    results: yaolian_registry::search::Results,
    person: PersonForm,
    errors: Vec<FieldError>,
    companies: Vec<Org>,
    qualifications: &'static [(&'static str, &'static str, &'static str)],
    can_manage: bool,
}

impl RegistryPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
    fn standing_class(&self, standing: &str) -> &'static str {
        match standing {
            "valid" => "ok",
            "expiring" => "warn",
            _ => "danger",
        }
    }
    fn standing_label(&self, standing: &str) -> &'static str {
        self.chrome.t(&format!("person.{standing}"))
    }
}

async fn render_registry(
    state: &AppState,
    user: &PageUser,
    q: String,
    person: PersonForm,
    errors: Vec<FieldError>,
) -> Response {
    let results = match yaolian_registry::search::search(state.store(), &user.principal, &q, 20, &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let companies = super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await;
    render(&RegistryPage {
        chrome: user.chrome("registry"),
        q,
        results,
        person,
        errors,
        companies,
        qualifications: yaolian_registry::persons::QUALIFICATIONS,
        can_manage: user.principal.has(perm::REGISTRY_MANAGE),
    })
}

async fn registry_page(State(state): State<AppState>, user: PageUser, Query(f): Query<SearchForm>) -> Response {
    render_registry(&state, &user, f.q, PersonForm::default(), Vec::new()).await
}

async fn person_create(State(state): State<AppState>, user: PageUser, Form(form): Form<PersonForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let company = Some(yaolian_access::OrgKind::Company);
    let employer_org_id =
        match super::picked_org(&state, &user, "employer_org_id", &form.employer_org_id, company).await {
            Ok(id) => id,
            Err(Ok(errors)) => return render_registry(&state, &user, String::new(), form, errors).await,
            Err(Err(page)) => return page,
        };
    let new = yaolian_registry::persons::NewPerson {
        name: form.name.clone(),
        qualification: form.qualification.clone(),
        cert_number: form.cert_number.clone(),
        employer_org_id,
        valid_from: form.valid_from.clone(),
        valid_until: form.valid_until.clone(),
    };
    match yaolian_registry::persons::create(state.store(), &user.principal, &new, &user.client).await {
        Ok(p) => Redirect::to(&format!("/registry?q={}", urlencoding::encode(&p.cert_number))).into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => render_registry(&state, &user, String::new(), form, errors).await,
            Err(page) => page,
        },
    }
}

// ---------------------------------------------------------------- import / export

#[derive(Template)]
#[template(path = "import_result.html")]
struct ImportPage {
    chrome: Chrome,
    report: yaolian_registry::import::ImportReport,
    file_name: String,
}

impl ImportPage {
    /// A refused row's column and reason as the page shows them (see [`import_refusal`]).
    fn refusal(&self, e: &yaolian_registry::import::RowError) -> (String, String) {
        import_refusal(self.chrome.lang, e)
    }
}

/// A refused row of a product import: the column by its heading and the reason — in Chinese
/// the rule said about the column (`批准文号不符合要求`, `缺少“剂型”列`), never the field key or
/// the English message.
fn import_refusal(lang: crate::i18n::Lang, e: &yaolian_registry::import::RowError) -> (String, String) {
    use yaolian_registry::import::PRODUCT_COLUMNS;
    let key = e.field.split(['[', '.']).next().unwrap_or("");
    let column = match key {
        "file" => "文件".to_string(),
        _ => {
            PRODUCT_COLUMNS.iter().find(|(_, en)| *en == key).map_or("内容".to_string(), |(zh, _)| (*zh).to_string())
        }
    };
    if lang != crate::i18n::Lang::Zh {
        return (e.field.clone(), e.message.clone());
    }
    let reason = if e.rule == "column_required" {
        let missing = e.message.split([' ', '(']).find(|w| !w.is_empty() && !w.is_ascii()).unwrap_or("必需");
        format!("缺少“{missing}”列")
    } else {
        yaolian_core::refusal::sentence(&column, &e.rule)
    };
    (column, reason)
}

/// The upload form posts the file as multipart form data with the CSRF token.
async fn import_upload(State(state): State<AppState>, user: PageUser, form: axum::extract::Multipart) -> Response {
    let (file_name, file) = match super::file_form(&user, form).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match yaolian_registry::import::import_products(state.store(), &user.principal, &file, &user.client).await {
        Ok(report) => render(&ImportPage { chrome: user.chrome("products"), report, file_name }),
        Err(e) => failure_page(user.lang, e),
    }
}

#[cfg(test)]
mod tests {
    use super::import_refusal;
    use crate::i18n::Lang;
    use yaolian_registry::import::RowError;

    #[test]
    fn an_import_refusal_names_the_column_in_chinese() {
        let e = |field: &str, rule: &str, message: &str| RowError {
            row: 3,
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        };
        let got = import_refusal(Lang::Zh, &e("approval_number", "approval_prefix", "must start with 国药准字"));
        assert_eq!(got, ("批准文号".to_string(), "批准文号不符合要求".to_string()));
        let got = import_refusal(Lang::Zh, &e("mah", "required", "name the MAH"));
        assert_eq!(got.1, "上市许可持有人为必填项");
        let got = import_refusal(
            Lang::Zh,
            &e("file", "column_required", "the first row must have a column 剂型 (dosage_form)"),
        );
        assert_eq!(got, ("文件".to_string(), "缺少“剂型”列".to_string()));
        let got = import_refusal(Lang::En, &e("mah", "required", "name the MAH"));
        assert_eq!(got.1, "name the MAH");
    }
}
