//! Reference data, public: the municipality catalogue and the service catalogue.

use actix_web::{HttpResponse, get, web};
use ambito_domain::{IstatCode, TargetGroup, Unit};
use ambito_persistence::catalogue::{self, Intervention, ProductLine};
use ambito_persistence::municipality::{self, Municipality, MunicipalityFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::PublicErrors;
use crate::pagination::{Listing, PageQuery};

/// The schema of a six-digit ISTAT municipality code, for lists of codes (utoipa's derive cannot
/// put a pattern on the items of a `Vec<String>`).
pub struct IstatCodeText;

impl utoipa::PartialSchema for IstatCodeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{6}$"))
            .description(Some("A six-digit ISTAT municipality code, such as 019036 for Cremona"))
            .examples(["019036"])
            .into()
    }
}

impl ToSchema for IstatCodeText {}

#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityView {
    #[schema(example = "019036")]
    pub istat_code: String,
    #[schema(example = "Cremona")]
    pub name: String,
    #[schema(example = "CR")]
    pub province: String,
    #[schema(example = "Cremona")]
    pub province_name: String,
    #[schema(example = "Lombardia")]
    pub region: String,
    /// The Belfiore code, as found in a person's codice fiscale.
    #[schema(example = "D150")]
    pub cadastral_code: String,
    pub population: i64,
}

impl From<Municipality> for MunicipalityView {
    fn from(m: Municipality) -> Self {
        Self {
            istat_code: m.istat_code,
            name: m.name,
            province: m.province_abbr,
            province_name: m.province_name,
            region: m.region_name,
            cadastral_code: m.cadastral_code,
            population: m.population,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityQuery {
    /// Province abbreviation, such as `CR`.
    #[param(max_length = 2)]
    pub province: Option<String>,
    /// Part of the name, in any case.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// The unit an intervention is measured, priced and reported in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnitView {
    Hour,
    Meal,
    Trip,
    Month,
    Load,
}

impl From<UnitView> for Unit {
    fn from(u: UnitView) -> Self {
        match u {
            UnitView::Hour => Unit::Hour,
            UnitView::Meal => Unit::Meal,
            UnitView::Trip => Unit::Trip,
            UnitView::Month => Unit::Month,
            UnitView::Load => Unit::Load,
        }
    }
}

impl From<Unit> for UnitView {
    fn from(u: Unit) -> Self {
        match u {
            Unit::Hour => Self::Hour,
            Unit::Meal => Self::Meal,
            Unit::Trip => Self::Trip,
            Unit::Month => Self::Month,
            Unit::Load => Self::Load,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetGroupView {
    Elderly,
    Disabled,
    NonSelfSufficient,
    Minors,
    Families,
    ForeignCitizens,
}

impl From<TargetGroup> for TargetGroupView {
    fn from(g: TargetGroup) -> Self {
        match g {
            TargetGroup::Elderly => Self::Elderly,
            TargetGroup::Disabled => Self::Disabled,
            TargetGroup::NonSelfSufficient => Self::NonSelfSufficient,
            TargetGroup::Minors => Self::Minors,
            TargetGroup::Families => Self::Families,
            TargetGroup::ForeignCitizens => Self::ForeignCitizens,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionView {
    #[schema(example = "home_care_professional")]
    pub code: String,
    #[schema(example = "social_care")]
    pub product_line: String,
    #[schema(example = "Assistenza domiciliare professionale")]
    pub name: String,
    pub unit: UnitView,
    pub target_groups: Vec<TargetGroupView>,
}

impl From<Intervention> for InterventionView {
    fn from(i: Intervention) -> Self {
        Self {
            code: i.code.into(),
            product_line: i.product_line_code.into(),
            name: i.name,
            unit: i.unit.into(),
            target_groups: i.target_groups.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductLineView {
    #[schema(example = "social_care")]
    pub code: String,
    #[schema(example = "Intervento socio-assistenziale")]
    pub name: String,
    pub interventions: Vec<InterventionView>,
}

impl From<ProductLine> for ProductLineView {
    fn from(p: ProductLine) -> Self {
        Self { code: p.code.into(), name: p.name, interventions: p.interventions.into_iter().map(Into::into).collect() }
    }
}

/// List municipalities
///
/// Every Italian comune, from ISTAT's list; filter by province or name.
#[utoipa::path(
    tag = "catalogue",
    params(PageQuery, MunicipalityQuery),
    responses((status = 200, description = "One page of municipalities", body = Listing<MunicipalityView>), PublicErrors),
    security(())
)]
#[get("/municipalities")]
pub async fn list_municipalities(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
    query: web::Query<MunicipalityQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let query = query.into_inner();
    crate::pagination::bounded("province", query.province.as_deref(), 2)?;
    crate::pagination::bounded("q", query.q.as_deref(), 100)?;
    let filter = MunicipalityFilter { province: query.province, name_contains: query.q };
    let paged = state.read(move |conn| Ok(municipality::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, MunicipalityView::from)))
}

/// Get a municipality
#[utoipa::path(
    tag = "catalogue",
    params(("istat_code" = String, Path, description = "Six-digit ISTAT code", example = "019036")),
    responses((status = 200, description = "The municipality", body = MunicipalityView), PublicErrors),
    security(())
)]
#[get("/municipalities/{istat_code}")]
pub async fn get_municipality(state: web::Data<AppState>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = IstatCode::parse(&code).map_err(|_| ApiError::NotFound)?;
    let found = state.read(move |conn| Ok(municipality::get(conn, &code)?)).await?;
    Ok(HttpResponse::Ok().json(MunicipalityView::from(found)))
}

/// List product lines
///
/// The service catalogue: each product line with its interventions, their unit and target
/// groups.
#[utoipa::path(
    tag = "catalogue",
    params(PageQuery),
    responses((status = 200, description = "One page of the catalogue, in its order", body = Listing<ProductLineView>), PublicErrors),
    security(())
)]
#[get("/product-lines")]
pub async fn list_product_lines(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let lines = state.read(|conn| Ok(catalogue::product_lines(conn)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(in_order(&page, lines), ProductLineView::from)))
}

/// One page of a list kept in its catalogue order: the cursor is the position.
fn in_order<T>(page: &ambito_persistence::Page, items: Vec<T>) -> ambito_persistence::Paged<T> {
    let numbered: Vec<(usize, T)> = items.into_iter().enumerate().collect();
    page.of(numbered, |(position, _)| format!("{position:06}")).map(|(_, item)| item)
}

/// List interventions
#[utoipa::path(
    tag = "catalogue",
    params(PageQuery),
    responses((status = 200, description = "One page of the interventions, by product line and position", body = Listing<InterventionView>), PublicErrors),
    security(())
)]
#[get("/interventions")]
pub async fn list_interventions(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let list = state.read(|conn| Ok(catalogue::interventions(conn)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(in_order(&page, list), InterventionView::from)))
}
