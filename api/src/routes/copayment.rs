//! Co-payment (compartecipazione): each authority's rules, in versions, public to read; and the
//! simulation a social worker shows a family before it asks.

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::copayment::{Band, Formula, Rule};
use ambito_domain::rome::in_rome;
use ambito_domain::{Cents, FieldError, InterventionCode, IstatCode};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::copayment as command;
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{CreateErrors, IdempotencyHeader, PublicBodyReadErrors, PublicErrors};
use crate::pagination::{Listing, PageQuery};
use crate::routes::beneficiaries::IseeKindView;
use crate::routes::catalogue::UnitView;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BandView {
    /// The band's highest ISEE, in cents; left out for the last, open-ended band.
    #[schema(minimum = 0, maximum = 100000000)]
    pub up_to_cents: Option<i64>,
    /// What the family pays per unit in this band, in cents (capped at the tariff).
    #[schema(minimum = 0, maximum = 100000000)]
    pub share_cents: i64,
}

/// How the family's share of a unit follows from its ISEE.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FormulaView {
    /// The family pays nothing.
    Free,
    /// The same share of every unit, whatever the ISEE (capped at the tariff).
    Fixed {
        #[schema(minimum = 0, maximum = 100000000)]
        share_cents: i64,
    },
    /// Nothing at or below the floor, the full tariff at or above the ceiling, in proportion
    /// between (rounded half up to the cent); the full tariff without a valid ISEE.
    Linear {
        #[schema(minimum = 0, maximum = 100000000, example = 583100)]
        floor_cents: i64,
        #[schema(minimum = 0, maximum = 100000000, example = 1749300)]
        ceiling_cents: i64,
    },
    /// A share per unit for each ISEE band, ascending, shares never falling; the full tariff
    /// without a valid ISEE.
    Bands {
        #[schema(min_items = 1, max_items = 50)]
        bands: Vec<BandView>,
    },
}

fn cents(field: &str, value: i64, errors: &mut Vec<FieldError>) -> Cents {
    Cents::new(value).unwrap_or_else(|e| {
        errors.push(FieldError::new(field, e.to_string()));
        Cents::new(0).expect("zero is an amount")
    })
}

impl FormulaView {
    fn parse(self) -> Result<Formula, ApiError> {
        let mut errors = Vec::new();
        let formula = match self {
            Self::Free => Formula::Free,
            Self::Fixed { share_cents } => {
                Formula::Fixed { share: cents("formula.share_cents", share_cents, &mut errors) }
            }
            Self::Linear { floor_cents, ceiling_cents } => Formula::Linear {
                floor: cents("formula.floor_cents", floor_cents, &mut errors),
                ceiling: cents("formula.ceiling_cents", ceiling_cents, &mut errors),
            },
            Self::Bands { bands } => Formula::Bands {
                bands: bands
                    .into_iter()
                    .enumerate()
                    .map(|(i, b)| Band {
                        up_to: b.up_to_cents.map(|c| cents(&format!("formula.bands.{i}.up_to_cents"), c, &mut errors)),
                        share: cents(&format!("formula.bands.{i}.share_cents"), b.share_cents, &mut errors),
                    })
                    .collect(),
            },
        };
        if errors.is_empty() { Ok(formula) } else { Err(ApiError::Validation(errors)) }
    }
}

impl From<Formula> for FormulaView {
    fn from(f: Formula) -> Self {
        match f {
            Formula::Free => Self::Free,
            Formula::Fixed { share } => Self::Fixed { share_cents: share.get() },
            Formula::Linear { floor, ceiling } => {
                Self::Linear { floor_cents: floor.get(), ceiling_cents: ceiling.get() }
            }
            Formula::Bands { bands } => Self::Bands {
                bands: bands
                    .into_iter()
                    .map(|b| BandView { up_to_cents: b.up_to.map(Cents::get), share_cents: b.share.get() })
                    .collect(),
            },
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "intervention": "home_care_professional",
    "isee_kind": "ordinary",
    "valid_from": "2030-01-01",
    "formula": {"kind": "linear", "floor_cents": 583100, "ceiling_cents": 1749300}
}))]
pub struct RuleInput {
    #[schema(example = "home_care_professional", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    /// The kind of ISEE the rule takes.
    pub isee_kind: IseeKindView,
    /// Today or later: the day this version applies from (the previous one ends the day before).
    pub valid_from: NaiveDate,
    pub formula: FormulaView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    pub authority_id: Uuid,
    #[schema(example = "home_care_professional")]
    pub intervention: String,
    pub version: u32,
    pub valid_from: NaiveDate,
    /// The day before the next version; absent for the version in force from now on.
    pub valid_to: Option<NaiveDate>,
    pub isee_kind: IseeKindView,
    pub formula: FormulaView,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
}

impl From<Rule> for RuleView {
    fn from(r: Rule) -> Self {
        Self {
            id: r.id.into(),
            authority_id: r.authority_id.into(),
            intervention: r.intervention.into(),
            version: r.version,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            isee_kind: r.isee_kind.into(),
            formula: r.formula.into(),
            created_at: in_rome(r.created_at),
        }
    }
}

/// Enact a co-payment rule
///
/// Staff, for their authority: a new version of the rule for an intervention, from a day on
/// (today or later). The previous version ends the day before; what was charged stays charged.
#[utoipa::path(
    tag = "copayment",
    request_body = RuleInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "Enacted", body = RuleView, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/copayment-rules")]
pub async fn enact_rule(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<RuleInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let intervention = InterventionCode::parse(&body.intervention)
        .map_err(|e| ApiError::invalid_field("intervention", e.to_string()))?;
    let formula = body.formula.parse()?;
    let (kind, from) = (body.isee_kind.into(), body.valid_from);
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, "copayment-rules", &fingerprint, move |tx| {
        let rule = command::enact(tx, &ctx, intervention.clone(), kind, formula.clone(), from)?;
        Ok(Created::new(&RuleView::from(rule), "/api/v1/copayment-rules".to_owned(), None))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    pub authority_id: Option<Uuid>,
    #[param(example = "home_care_professional", max_length = 64, pattern = "^\\S+$")]
    pub intervention: Option<String>,
}

/// List co-payment rules
///
/// Every version of every rule, by authority and intervention: the authorities' regulations
/// are public.
#[utoipa::path(
    tag = "copayment",
    params(PageQuery, RuleQuery),
    responses((status = 200, description = "One page of rules", body = Listing<RuleView>), PublicErrors),
    security(())
)]
#[get("/copayment-rules")]
pub async fn list_rules(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
    query: web::Query<RuleQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let intervention =
        query.intervention.as_deref().map(InterventionCode::parse).transpose().map_err(|e| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("intervention: {e}"),
            errors: vec![FieldError::new("intervention", e.to_string())],
        })?;
    let authority = query.authority_id.map(Into::into);
    let paged = state.read(move |tx| command::list(tx, authority, intervention, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, RuleView::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"intervention": "home_care_professional", "municipality": "019021", "isee_cents": 1166200}))]
pub struct SimulationInput {
    #[schema(example = "home_care_professional", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    /// Where the family lives (ISTAT code).
    #[schema(example = "019021", pattern = "^[0-9]{6}$")]
    pub municipality: String,
    /// The family's ISEE in cents; left out, the family pays as one without a valid ISEE.
    #[schema(minimum = 0, maximum = 100000000)]
    pub isee_cents: Option<i64>,
    /// The day of service; today when left out.
    pub date: Option<NaiveDate>,
}

/// What a family would pay per unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimulationView {
    /// The authority responsible for the municipality.
    pub authority_id: Uuid,
    /// The call whose rate is the tariff.
    pub tender_id: Uuid,
    pub unit: UnitView,
    #[schema(example = 2180)]
    pub tariff_cents: i64,
    #[schema(example = 1090)]
    pub family_cents: i64,
    #[schema(example = 1090)]
    pub authority_cents: i64,
    pub rule_id: Uuid,
    pub rule_version: u32,
    /// The kind of ISEE the rule takes.
    pub isee_kind: IseeKindView,
    pub formula: FormulaView,
    /// Whether the ISEE given was used (a free or fixed rule takes none).
    pub isee_used: bool,
}

/// Simulate the co-payment
///
/// What a family with a given ISEE would pay per unit of an intervention in its municipality,
/// under the responsible authority's rule and the tariff of its call. Nothing is stored: the
/// ISEE travels in the body, never in a URL.
#[utoipa::path(
    tag = "copayment",
    request_body = SimulationInput,
    responses((status = 200, description = "The split of one unit", body = SimulationView), PublicBodyReadErrors),
    security(())
)]
#[post("/copayment/simulations")]
pub async fn simulate(state: web::Data<AppState>, body: Json<SimulationInput>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut errors = Vec::new();
    let intervention = InterventionCode::parse(&body.intervention)
        .map_err(|e| errors.push(FieldError::new("intervention", e.to_string())));
    let municipality =
        IstatCode::parse(&body.municipality).map_err(|e| errors.push(FieldError::new("municipality", e.to_string())));
    let isee = body.isee_cents.map(|c| cents("isee_cents", c, &mut errors));
    let (Ok(intervention), Ok(municipality)) = (intervention, municipality) else {
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (date, now) = (body.date, state.clock.now());
    let s = state.read(move |tx| command::simulate(tx, intervention, municipality, isee, date, now)).await?;
    Ok(HttpResponse::Ok().json(SimulationView {
        authority_id: s.authority_id.into(),
        tender_id: s.tariff.tender_id.into(),
        unit: s.tariff.unit.into(),
        tariff_cents: s.tariff.rate.get(),
        family_cents: s.split.family.get(),
        authority_cents: s.split.authority.get(),
        rule_id: s.rule.id.into(),
        rule_version: s.rule.version,
        isee_kind: s.rule.isee_kind.into(),
        formula: s.rule.formula.into(),
        isee_used: s.isee_used,
    }))
}
