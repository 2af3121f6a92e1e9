//! Beneficiaries: the people families' requests are for, their ISEE records, and who has seen
//! their data. Special-category personal data: never in a URL (a codice fiscale is looked up in a
//! POST body), never in an event or a log line; every read and change is in the access log.

use actix_web::{HttpResponse, get, post, put, web};
use ambito_domain::beneficiary::{Beneficiary, DataAction, Details, HouseholdMember};
use ambito_domain::isee::{Isee, IseeKind, NewIsee};
use ambito_domain::rome::in_rome;
use ambito_domain::{Cents, CodiceFiscale, FieldError, IstatCode, Name};
use ambito_persistence::beneficiary::AccessEntry;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::beneficiary as command;
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{BodyReadErrors, CreateErrors, IdempotencyHeader, IfMatchRequired, ReadErrors, UpdateErrors};
use crate::pagination::{Listing, PageQuery};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdMemberView {
    #[schema(
        example = "Giulia Bianchi",
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    #[schema(example = "figlia", min_length = 2, max_length = 60, pattern = "\\S")]
    pub relationship: String,
    /// Whether this person takes care of the beneficiary.
    #[serde(default)]
    pub caregiver: bool,
    #[schema(example = "+39 0375 123456", min_length = 3, max_length = 40, pattern = "\\S")]
    pub phone: Option<String>,
}

/// A person's record as a municipality or staff enter it (and correct it: the codice fiscale
/// stays the record's).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "codice_fiscale": "RSSMRA42C45B898J",
    "given_name": "Maria",
    "family_name": "Rossi",
    "birth_date": "1942-03-05",
    "residence": "019021",
    "address": "Via Roma 1, Casalmaggiore",
    "phone": "+39 0375 000000",
    "household": [{"name": "Giulia Bianchi", "relationship": "figlia", "caregiver": true}],
    "situation": "Vive sola; deambulazione ridotta dopo una frattura del femore."
}))]
pub struct BeneficiaryInput {
    /// The person's 16-character codice fiscale.
    #[schema(min_length = 16, max_length = 16, pattern = "^[A-Za-z0-9]{16}$")]
    pub codice_fiscale: String,
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub given_name: String,
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub family_name: String,
    pub birth_date: NaiveDate,
    /// ISTAT code of the municipality of residence.
    #[schema(pattern = "^[0-9]{6}$")]
    pub residence: String,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub address: String,
    #[schema(min_length = 3, max_length = 40, pattern = "\\S")]
    pub phone: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub household: Vec<HouseholdMemberView>,
    /// The social and health situation.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub situation: String,
    /// The responsible authority, when several serve the municipality (registration only).
    pub authority_id: Option<Uuid>,
}

impl BeneficiaryInput {
    fn parse(self) -> Result<(CodiceFiscale, Details, Option<Uuid>), ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut field = |name: &str, message: String| errors.push(FieldError::new(name, message));
        let cf = CodiceFiscale::parse(&self.codice_fiscale).map_err(|e| field("codice_fiscale", e.to_string()));
        let given = Name::parse(&self.given_name).map_err(|e| field("given_name", e.to_string()));
        let family = Name::parse(&self.family_name).map_err(|e| field("family_name", e.to_string()));
        let residence = IstatCode::parse(&self.residence).map_err(|e| field("residence", e.to_string()));
        let mut household = Vec::new();
        for (i, m) in self.household.into_iter().enumerate() {
            match Name::parse(&m.name) {
                Ok(name) => household.push(HouseholdMember {
                    name,
                    relationship: ambito_domain::text::trim(&m.relationship).to_owned(),
                    caregiver: m.caregiver,
                    phone: m.phone,
                }),
                Err(e) => field(&format!("household.{i}.name"), e.to_string()),
            }
        }
        match (cf, given, family, residence) {
            (Ok(cf), Ok(given_name), Ok(family_name), Ok(residence)) if errors.is_empty() => Ok((
                cf,
                Details {
                    given_name,
                    family_name,
                    birth_date: self.birth_date,
                    residence,
                    address: ambito_domain::text::trim(&self.address).to_owned(),
                    phone: self.phone.map(|p| ambito_domain::text::trim(&p).to_owned()),
                    email: self.email,
                    household,
                    situation: self.situation,
                },
                self.authority_id,
            )),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BeneficiaryView {
    pub id: Uuid,
    /// The authority responsible for the person's services.
    pub authority_id: Uuid,
    #[schema(example = "RSSMRA42C45B898J")]
    pub codice_fiscale: String,
    #[schema(example = "Maria")]
    pub given_name: String,
    #[schema(example = "Rossi")]
    pub family_name: String,
    pub birth_date: NaiveDate,
    #[schema(example = "019021")]
    pub residence: String,
    pub address: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub household: Vec<HouseholdMemberView>,
    pub situation: String,
    /// The municipality that registered the person.
    pub registered_by: Uuid,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<FixedOffset>,
}

impl From<Beneficiary> for BeneficiaryView {
    fn from(b: Beneficiary) -> Self {
        let d = b.details;
        Self {
            id: b.id.into(),
            authority_id: b.authority_id.into(),
            codice_fiscale: b.codice_fiscale.as_str().to_owned(),
            given_name: d.given_name.as_str().to_owned(),
            family_name: d.family_name.as_str().to_owned(),
            birth_date: d.birth_date,
            residence: d.residence.as_str().to_owned(),
            address: d.address,
            phone: d.phone,
            email: d.email,
            household: d
                .household
                .into_iter()
                .map(|m| HouseholdMemberView {
                    name: m.name.as_str().to_owned(),
                    relationship: m.relationship,
                    caregiver: m.caregiver,
                    phone: m.phone,
                })
                .collect(),
            situation: d.situation,
            registered_by: b.registered_by.into(),
            version: b.version,
            created_at: in_rome(b.created_at),
            updated_at: in_rome(b.updated_at),
        }
    }
}

fn render(b: Beneficiary) -> HttpResponse {
    let version = b.version;
    ok_with_etag(&BeneficiaryView::from(b), version)
}

/// Register a person
///
/// A municipality registers one of its residents with the authority whose district includes
/// it (or staff of that authority register someone). One record per person per authority: a
/// second registration answers 409 `beneficiary_exists`. The registration is in the person's
/// access log.
#[utoipa::path(
    tag = "beneficiaries",
    request_body = BeneficiaryInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "Registered", body = BeneficiaryView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/beneficiaries")]
pub async fn register_beneficiary(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<BeneficiaryInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let (cf, details, authority) = body.parse()?;
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, "beneficiaries", &fingerprint, move |tx| {
        let b = command::register(tx, &ctx, cf.clone(), details.clone(), authority.map(Into::into))?;
        let location = format!("/api/v1/beneficiaries/{}", b.id);
        let version = b.version;
        Ok(Created::new(&BeneficiaryView::from(b), location, Some(version)))
    })
    .await
}

/// List people
///
/// Staff: those their authority is responsible for; a municipality: those it registered or
/// asked for; a provider: those it serves. Each read is in the person's access log.
#[utoipa::path(
    tag = "beneficiaries",
    params(PageQuery),
    responses((status = 200, description = "One page of people", body = Listing<BeneficiaryView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/beneficiaries")]
pub async fn list_beneficiaries(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, page) = (state.context(&caller), page.page()?);
    let paged = state.write(move |tx| command::list(tx, &ctx, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, BeneficiaryView::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"codice_fiscale": "RSSMRA42C45B898J"}))]
pub struct LookupInput {
    #[schema(min_length = 16, max_length = 16, pattern = "^[A-Za-z0-9]{16}$")]
    pub codice_fiscale: String,
}

/// Find a person by codice fiscale
///
/// In the body, never in a URL. Answers the record if the caller may read it (404 otherwise),
/// and logs the read.
#[utoipa::path(
    tag = "beneficiaries",
    request_body = LookupInput,
    responses((status = 200, description = "The record", body = BeneficiaryView, headers(("ETag" = String))), BodyReadErrors),
    security(("bearer" = []))
)]
#[post("/beneficiary-lookups")]
pub async fn lookup_beneficiary(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<LookupInput>,
) -> Result<HttpResponse, ApiError> {
    let cf = CodiceFiscale::parse(&body.codice_fiscale)
        .map_err(|e| ApiError::invalid_field("codice_fiscale", e.to_string()))?;
    let ctx = state.context(&caller);
    Ok(render(state.write(move |tx| command::lookup(tx, &ctx, &cf)).await?))
}

/// Get a person's record
///
/// The responsible authority's staff, the municipalities that registered or asked for the
/// person, and the providers serving them. The read is logged.
#[utoipa::path(
    tag = "beneficiaries",
    params(("id" = Uuid, Path, description = "The person's id")),
    responses((status = 200, description = "The record", body = BeneficiaryView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/beneficiaries/{id}")]
pub async fn get_beneficiary(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::get(tx, &ctx, id)).await?))
}

/// Correct a person's record
///
/// The whole record again, with its `ETag` in `If-Match`; the codice fiscale stays the
/// record's. The fields that changed are in the access log.
#[utoipa::path(
    tag = "beneficiaries",
    request_body = BeneficiaryInput,
    params(("id" = Uuid, Path, description = "The person's id"), IfMatchRequired),
    responses((status = 200, description = "Corrected", body = BeneficiaryView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
#[put("/beneficiaries/{id}")]
pub async fn correct_beneficiary(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<BeneficiaryInput>,
) -> Result<HttpResponse, ApiError> {
    let (cf, details, _) = body.into_inner().parse()?;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::correct(tx, &ctx, id, Some(if_match), &cf, details)).await?))
}

mirror_enum!(IseeKindView <=> IseeKind {
    Ordinary,
    /// For disabled or dependent adults.
    SocioSanitario,
    /// For services to minors.
    Minors,
});

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "ordinary", "value_cents": 1166200, "dsu_protocol": "INPS-ISEE-2024-00012345A-00", "issued_on": "2024-01-15", "expires_on": "2024-12-31"}))]
pub struct IseeInput {
    pub kind: IseeKindView,
    /// The indicator in euro cents.
    #[schema(minimum = 0, maximum = 100000000)]
    pub value_cents: i64,
    #[schema(min_length = 3, max_length = 64, pattern = "\\S")]
    pub dsu_protocol: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IseeView {
    pub id: Uuid,
    pub kind: IseeKindView,
    #[schema(example = 1166200)]
    pub value_cents: i64,
    pub dsu_protocol: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: DateTime<FixedOffset>,
}

impl From<Isee> for IseeView {
    fn from(i: Isee) -> Self {
        Self {
            id: i.id.into(),
            kind: i.kind.into(),
            value_cents: i.value.get(),
            dsu_protocol: i.dsu_protocol,
            issued_on: i.issued_on,
            expires_on: i.expires_on,
            recorded_at: in_rome(i.recorded_at),
        }
    }
}

/// Record an ISEE
///
/// Staff or the municipality. It applies to the family's share from its issue date on, not
/// before: a co-payment rule takes the latest valid ISEE of its kind on each day.
#[utoipa::path(
    tag = "beneficiaries",
    request_body = IseeInput,
    params(("id" = Uuid, Path, description = "The person's id"), IdempotencyHeader),
    responses((status = 201, description = "Recorded", body = IseeView, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/beneficiaries/{id}/isee")]
pub async fn record_isee(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<IseeInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::json!({
        "kind": body.kind, "value_cents": body.value_cents, "dsu_protocol": body.dsu_protocol,
        "issued_on": body.issued_on, "expires_on": body.expires_on,
    });
    let value = Cents::new(body.value_cents).map_err(|e| ApiError::invalid_field("value_cents", e.to_string()))?;
    let input = NewIsee {
        kind: body.kind.into(),
        value,
        dsu_protocol: body.dsu_protocol,
        issued_on: body.issued_on,
        expires_on: body.expires_on,
    };
    let (ctx, id) = (state.context(&caller), id.into_inner());
    let scope = format!("beneficiaries/{id}/isee");
    idempotency::run(&state, &caller, key, &scope, &fingerprint, move |tx| {
        let isee = command::record_isee(tx, &ctx, id.into(), input.clone())?;
        let location = format!("/api/v1/beneficiaries/{id}/isee");
        Ok(Created::new(&IseeView::from(isee), location, None))
    })
    .await
}

/// List a person's ISEE records
///
/// Oldest first; the read is logged.
#[utoipa::path(
    tag = "beneficiaries",
    params(("id" = Uuid, Path, description = "The person's id"), PageQuery),
    responses((status = 200, description = "The records", body = Listing<IseeView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/beneficiaries/{id}/isee")]
pub async fn list_isee(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id, page) = (state.context(&caller), id.into_inner().into(), page.page()?);
    let all = state.write(move |tx| command::isees(tx, &ctx, id)).await?;
    let paged = page.of(all, |i| i.id.to_string());
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, IseeView::from)))
}

mirror_enum!(DataActionView <=> DataAction { Read, Create, Update });

/// One read or change of the person's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntryView {
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
    /// Who: the user and their organization.
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub action: DataActionView,
    /// Which parts of the data: `codice_fiscale`, `name`, `birth_date`, `residence`, `address`,
    /// `contact`, `household`, `situation`, `isee`, `care_plan`, `copayment`.
    #[schema(example = json!(["care_plan", "copayment"]))]
    pub fields: Vec<String>,
    /// The service request it was for, if any.
    pub service_request_id: Option<Uuid>,
    /// The HTTP request (`X-Request-Id`).
    pub request_id: Option<String>,
}

impl From<AccessEntry> for AccessEntryView {
    fn from(e: AccessEntry) -> Self {
        Self {
            at: in_rome(e.at),
            user_id: e.user_id.map(Into::into),
            organization_id: e.organization_id.map(Into::into),
            action: e.action.into(),
            fields: e.fields,
            service_request_id: e.service_request_id.map(Into::into),
            request_id: e.request_id,
        }
    }
}

/// Who has seen the person's data
///
/// Every read and change of the record, its ISEE, and the care plans and co-payments of their
/// requests: who, when, which fields, for which request (GDPR art. 15). The responsible
/// authority's staff.
#[utoipa::path(
    tag = "beneficiaries",
    params(("id" = Uuid, Path, description = "The person's id"), PageQuery),
    responses((status = 200, description = "Oldest first", body = Listing<AccessEntryView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/beneficiaries/{id}/access-log")]
pub async fn beneficiary_access_log(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::access_log(tx, &actor, id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, AccessEntryView::from)))
}
