//! Co-payment rules (enacted by an authority's staff, public to read), the tariff a call sets
//! for an intervention, and the simulation a social worker shows a family before it asks.

use ambito_domain::access::{self, TenderScope};
use ambito_domain::application::ScopeItem;
use ambito_domain::copayment::{self, Formula, Rule, Split};
use ambito_domain::isee::IseeKind;
use ambito_domain::rome::rome_date;
use ambito_domain::service_request::Tariff;
use ambito_domain::{Cents, CopaymentRuleId, InterventionCode, Invalid, IstatCode, OrganizationId};
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, catalogue, copayment as rules, outbox, tender as tenders,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::Context;
use super::beneficiary::responsible_authority;
use crate::error::ApiError;

fn known(tx: &mut DbConnection, intervention: &InterventionCode) -> Result<(), ApiError> {
    if catalogue::interventions(tx)?.iter().any(|i| i.code == *intervention) {
        Ok(())
    } else {
        Err(Invalid::one("intervention", "not an intervention of the catalogue").into())
    }
}

/// Staff enact a new version of their authority's rule for an intervention.
pub fn enact(
    tx: &mut DbConnection,
    ctx: &Context,
    intervention: InterventionCode,
    isee_kind: IseeKind,
    formula: Formula,
    valid_from: NaiveDate,
) -> Result<Rule, ApiError> {
    access::copayment_enactment(&ctx.actor).require()?;
    known(tx, &intervention)?;
    let authority = ctx.actor.organization;
    let previous = rules::versions(tx, authority, &intervention)?.pop();
    let (rule, closed, event) = Rule::enact(
        CopaymentRuleId::new(),
        authority,
        intervention,
        isee_kind,
        formula,
        valid_from,
        previous.as_ref(),
        rome_date(ctx.now),
        Some(ctx.actor.user),
        ctx.now,
    )?;
    rules::enact(tx, &rule, closed.as_ref())?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&rule))?;
    Ok(rule)
}

pub fn list(
    tx: &mut DbConnection,
    authority: Option<OrganizationId>,
    intervention: Option<InterventionCode>,
    page: &Page,
) -> Result<Paged<Rule>, ApiError> {
    Ok(rules::list(tx, authority, intervention.as_ref(), page)?)
}

/// The rate of an intervention in a municipality on a day under the authority's calls.
pub fn tariff(
    tx: &mut DbConnection,
    authority: OrganizationId,
    item: &ScopeItem,
    day: NaiveDate,
) -> Result<Option<Tariff>, ApiError> {
    let calls = tenders::list(
        tx,
        TenderScope::Authority(authority),
        &Default::default(),
        &Page { after: None, limit: i64::MAX - 1 },
    )?
    .items;
    Ok(Tariff::from_calls(&calls, authority, item, day))
}

/// What a family would pay, per unit.
pub struct Simulation {
    pub authority_id: OrganizationId,
    pub tariff: Tariff,
    pub rule: Rule,
    pub split: Split,
    /// Whether the ISEE given was used (a rule that takes none ignores it).
    pub isee_used: bool,
}

pub fn simulate(
    tx: &mut DbConnection,
    intervention: InterventionCode,
    municipality: IstatCode,
    isee: Option<Cents>,
    day: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<Simulation, ApiError> {
    known(tx, &intervention)?;
    let authority = responsible_authority(tx, &municipality, None)
        .map_err(|_| ApiError::from(Invalid::one("municipality", "no district of the platform includes it")))?;
    let day = day.unwrap_or_else(|| rome_date(now));
    let item = ScopeItem { intervention, municipality };
    let tariff = tariff(tx, authority, &item, day)?.ok_or_else(|| {
        ApiError::from(Invalid::one("intervention", "no call of the responsible authority lists it there on that day"))
    })?;
    let versions = rules::versions(tx, authority, &item.intervention)?;
    let rule = copayment::rule_on(&versions, day).cloned().ok_or_else(|| {
        ApiError::from(Invalid::one(
            "intervention",
            "the responsible authority has no co-payment rule for it on that day",
        ))
    })?;
    let isee_used = rule.formula.takes_isee() && isee.is_some();
    let split = copayment::split(&rule.formula, tariff.rate, isee.filter(|_| isee_used));
    Ok(Simulation { authority_id: authority, tariff, rule, split, isee_used })
}
