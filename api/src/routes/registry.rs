//! The public registry (elenco dei soggetti accreditati) of a call and of a district, now or as
//! it stood at any instant; the coverage matrix, as JSON or CSV; and which providers may serve
//! an intervention in a municipality on a day. No token needed, no personal data shown.

use actix_web::{HttpRequest, HttpResponse, get, web};
use ambito_domain::application::ScopeItem;
use ambito_domain::registry::Cell;
use ambito_domain::rome::{end_of_day, in_rome, rome_date};
use ambito_domain::{FieldError, InterventionCode, IstatCode};
use ambito_persistence::municipality;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::commands::registry::{self as command, Entry, Servant};
use crate::error::ApiError;
use crate::export::{csv, wants_csv};
use crate::openapi::PublicErrors;
use crate::pagination::{Listing, PageQuery};
use crate::routes::accreditations::{ActView, instant_or_day};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The registry as it stood then: a day (its end) or an instant; now when left out.
    #[param(example = "2024-06-30", max_length = 40)]
    pub as_of: Option<String>,
}

impl AsOfQuery {
    fn instant(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
        let Some(value) = self.as_of.as_deref() else { return Ok(now) };
        let bad = |e: FieldError| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("as_of: {}", e.message),
            errors: vec![e],
        };
        match value.trim().parse::<NaiveDate>() {
            Ok(day) => Ok(end_of_day(day)),
            Err(_) => instant_or_day("as_of", value, false).map_err(bad),
        }
    }
}

/// A provider on the list for an intervention in a municipality, and the act that added it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryEntryView {
    pub accreditation_id: Uuid,
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    #[schema(example = "Cooperativa Sociale Il Girasole")]
    pub provider_name: String,
    #[schema(example = "home_care_generic")]
    pub intervention: String,
    #[schema(example = "019021")]
    pub municipality: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub round: u32,
    /// The act (determina) that added it.
    pub act: Option<ActView>,
}

impl From<Entry> for RegistryEntryView {
    fn from(e: Entry) -> Self {
        let a = e.accreditation;
        Self {
            accreditation_id: a.id.into(),
            tender_id: a.tender_id.into(),
            provider_id: a.provider_id.into(),
            provider_name: e.provider,
            intervention: a.intervention.into(),
            municipality: a.municipality.into(),
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            round: a.round,
            act: a.act.map(Into::into),
        }
    }
}

/// One page of the registry, and the instant it shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryPage {
    #[schema(value_type = String, format = DateTime)]
    pub as_of: DateTime<FixedOffset>,
    pub items: Vec<RegistryEntryView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn registry_page(entries: Vec<Entry>, page: &PageQuery, as_of: DateTime<Utc>) -> Result<HttpResponse, ApiError> {
    let paged = page.page()?.of(entries, |e| e.accreditation.id.to_string());
    let listing = Listing::from_paged(paged, RegistryEntryView::from);
    Ok(HttpResponse::Ok().json(RegistryPage {
        as_of: in_rome(as_of),
        items: listing.items,
        next_cursor: listing.next_cursor,
    }))
}

/// The registry of a call
///
/// The providers accredited by a published call, for which interventions in which
/// municipalities, with the act that added each: now, or as it stood at `as_of`. Suspended,
/// lapsed, revoked and expired accreditations are not on it.
#[utoipa::path(
    tag = "registry",
    params(("id" = Uuid, Path, description = "The call's id"), AsOfQuery, PageQuery),
    responses((status = 200, description = "One page of the registry", body = RegistryPage), PublicErrors),
    security(())
)]
#[get("/tenders/{id}/registry")]
pub async fn tender_registry(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<AsOfQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = query.instant(state.clock.now())?;
    page.page()?;
    let id = id.into_inner().into();
    let entries = state.read(move |tx| command::of_tender(tx, id, as_of)).await?;
    registry_page(entries, &page, as_of)
}

/// The registry of a district
///
/// Every call's accredited providers in the district's municipalities: now, or as it stood at
/// `as_of`.
#[utoipa::path(
    tag = "registry",
    params(("id" = Uuid, Path, description = "The district's id"), AsOfQuery, PageQuery),
    responses((status = 200, description = "One page of the registry", body = RegistryPage), PublicErrors),
    security(())
)]
#[get("/districts/{id}/registry")]
pub async fn district_registry(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<AsOfQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = query.instant(state.clock.now())?;
    page.page()?;
    let id = id.into_inner().into();
    let entries = state.read(move |tx| command::of_district(tx, id, as_of)).await?;
    registry_page(entries, &page, as_of)
}

/// A cell of the coverage matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellView {
    #[schema(example = "019021")]
    pub municipality: String,
    #[schema(example = "Casalmaggiore")]
    pub municipality_name: String,
    #[schema(example = "social_care")]
    pub product_line: String,
    /// Providers with an active accreditation for an intervention of the line there.
    pub accredited_providers: usize,
    /// Providers that may serve there: an active patto over an active accreditation.
    pub providers_with_patto: usize,
}

/// Municipality × product line: who is accredited, who may serve, and where nobody is.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageMatrixView {
    #[schema(value_type = String, format = DateTime)]
    pub as_of: DateTime<FixedOffset>,
    pub cells: Vec<CellView>,
    /// The cells with no provider accredited.
    pub without_accreditation: Vec<CellView>,
    /// The cells where no provider may serve: no active patto.
    pub without_patto: Vec<CellView>,
}

async fn render_matrix(
    state: &AppState,
    req: &HttpRequest,
    cells: Vec<Cell>,
    as_of: DateTime<Utc>,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let codes: Vec<IstatCode> = cells.iter().map(|c| c.municipality.clone()).collect();
    let names: std::collections::HashMap<String, String> =
        state.read(move |tx| Ok(municipality::names(tx, &codes)?)).await?.into_iter().collect();
    let cells: Vec<CellView> = cells
        .into_iter()
        .map(|c| CellView {
            municipality_name: names.get(c.municipality.as_str()).cloned().unwrap_or_default(),
            municipality: c.municipality.into(),
            product_line: c.product_line.into(),
            accredited_providers: c.accredited,
            providers_with_patto: c.with_patto,
        })
        .collect();
    if wants_csv(req) {
        let header =
            ["municipality", "municipality_name", "product_line", "accredited_providers", "providers_with_patto"];
        let rows = cells.iter().map(|c| {
            vec![
                c.municipality.clone(),
                c.municipality_name.clone(),
                c.product_line.clone(),
                c.accredited_providers.to_string(),
                c.providers_with_patto.to_string(),
            ]
        });
        return csv(&format!("{name}-{}.csv", rome_date(as_of)), &header, rows);
    }
    let gaps = |keep: fn(&CellView) -> bool| -> Vec<CellView> {
        cells
            .iter()
            .filter(|c| keep(c))
            .map(|c| CellView {
                municipality: c.municipality.clone(),
                municipality_name: c.municipality_name.clone(),
                product_line: c.product_line.clone(),
                accredited_providers: c.accredited_providers,
                providers_with_patto: c.providers_with_patto,
            })
            .collect()
    };
    Ok(HttpResponse::Ok().json(CoverageMatrixView {
        as_of: in_rome(as_of),
        without_accreditation: gaps(|c| c.accredited_providers == 0),
        without_patto: gaps(|c| c.providers_with_patto == 0),
        cells,
    }))
}

/// The coverage matrix of a district
///
/// For every municipality of the district and every product line of the calls covering it:
/// how many providers hold an active accreditation there, and how many may serve there under an
/// active patto; the cells with none. Now, or as it stood at `as_of`. Send `Accept: text/csv`
/// for a spreadsheet.
#[utoipa::path(
    tag = "registry",
    params(("id" = Uuid, Path, description = "The district's id"), AsOfQuery),
    responses(
        (status = 200, description = "The matrix", content(
            (CoverageMatrixView = "application/json"),
            (String = "text/csv", example = "municipality,municipality_name,product_line,accredited_providers,providers_with_patto\n019021,Casalmaggiore,social_care,2,1\n")
        )),
        PublicErrors
    ),
    security(())
)]
#[get("/districts/{id}/coverage-matrix")]
pub async fn district_coverage_matrix(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<AsOfQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = query.instant(state.clock.now())?;
    let id = id.into_inner().into();
    let cells = state.read(move |tx| command::district_matrix(tx, id, as_of)).await?;
    render_matrix(&state, &req, cells, as_of, "coverage-district").await
}

/// The coverage matrix of a call
///
/// For every municipality and product line of a published call: how many providers hold an
/// active accreditation there, and how many may serve under an active patto; the cells with
/// none. Now, or as it stood at `as_of`. Send `Accept: text/csv` for a spreadsheet.
#[utoipa::path(
    tag = "registry",
    params(("id" = Uuid, Path, description = "The call's id"), AsOfQuery),
    responses(
        (status = 200, description = "The matrix", content(
            (CoverageMatrixView = "application/json"),
            (String = "text/csv", example = "municipality,municipality_name,product_line,accredited_providers,providers_with_patto\n019021,Casalmaggiore,social_care,2,1\n")
        )),
        PublicErrors
    ),
    security(())
)]
#[get("/tenders/{id}/coverage-matrix")]
pub async fn tender_coverage_matrix(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<AsOfQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = query.instant(state.clock.now())?;
    let id = id.into_inner().into();
    let cells = state.read(move |tx| command::tender_matrix(tx, id, as_of)).await?;
    render_matrix(&state, &req, cells, as_of, "coverage-call").await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibleQuery {
    #[param(example = "home_care_professional", max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    #[param(example = "019021", pattern = "^[0-9]{6}$")]
    pub municipality: String,
    /// The day of service; today when left out.
    pub date: Option<NaiveDate>,
}

/// A provider that may serve, under which patto, at which rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct EligibleView {
    pub provider_id: Uuid,
    #[schema(example = "Cooperativa Sociale Il Girasole")]
    pub provider_name: String,
    pub tender_id: Uuid,
    pub patto_id: Uuid,
    /// The rate per unit in force that day, in euro cents.
    #[schema(example = 2180)]
    pub rate_cents: i64,
}

impl From<Servant> for EligibleView {
    fn from(s: Servant) -> Self {
        Self {
            provider_id: s.provider_id.into(),
            provider_name: s.provider,
            tender_id: s.tender_id.into(),
            patto_id: s.patto_id.into(),
            rate_cents: s.rate.get(),
        }
    }
}

/// Who may serve
///
/// The providers that may serve an intervention in a municipality on a day: an active patto
/// covering it that day, over an accreditation of it active then. In alphabetical order,
/// favouring no one.
#[utoipa::path(
    tag = "registry",
    params(EligibleQuery, PageQuery),
    responses((status = 200, description = "The providers", body = Listing<EligibleView>), PublicErrors),
    security(())
)]
#[get("/registry/eligible-providers")]
pub async fn eligible_providers(
    state: web::Data<AppState>,
    query: web::Query<EligibleQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let query = query.into_inner();
    let bad = |field: &str, message: String| ApiError::BadRequest {
        code: "invalid_query",
        detail: format!("{field}: {message}"),
        errors: vec![FieldError::new(field, message)],
    };
    let intervention = InterventionCode::parse(&query.intervention).map_err(|e| bad("intervention", e.to_string()))?;
    let municipality = IstatCode::parse(&query.municipality).map_err(|e| bad("municipality", e.to_string()))?;
    let now = state.clock.now();
    let day = query.date.unwrap_or_else(|| rome_date(now));
    let item = ScopeItem { intervention, municipality };
    let servants = state.read(move |tx| command::eligible(tx, item, day, now)).await?;
    let paged = page.of(servants, |s| format!("{}\u{1f}{}", s.provider, s.patto_id));
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, EligibleView::from)))
}
