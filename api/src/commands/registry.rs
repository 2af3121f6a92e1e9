//! The public registry (elenco dei soggetti accreditati): which providers are accredited, now or
//! as it stood at any instant; the coverage matrix of a district or a call; and which providers
//! may serve an intervention in a municipality on a day. Nothing personal is in any of it.

use std::collections::HashMap;

use ambito_domain::access::TenderScope;
use ambito_domain::access::{self, TenderAction};
use ambito_domain::accreditation::{Accreditation, AccreditationStatus};
use ambito_domain::application::ScopeItem;
use ambito_domain::measure::View;
use ambito_domain::patto::{Patto, may_serve};
use ambito_domain::registry::{self, Cell};
use ambito_domain::rome::{end_of_day, rome_date};
use ambito_domain::{
    Cents, DistrictId, InterventionCode, IstatCode, OrganizationId, PattoId, ProductLineCode, TenderId,
};
use ambito_persistence::accreditation::AccreditationFilter;
use ambito_persistence::patto::PattoFilter;
use ambito_persistence::{
    DbConnection, Page, accreditation as accreditations, catalogue, district, patto as patti, tender as tenders,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::accreditation::{Derivation, evaluate};
use crate::error::ApiError;

/// An accreditation on the list, with its provider's name.
pub struct Entry {
    pub accreditation: Accreditation,
    pub provider: String,
}

fn named(tx: &mut DbConnection, list: Vec<Accreditation>) -> Result<Vec<Entry>, ApiError> {
    let mut ids: Vec<OrganizationId> = list.iter().map(|a| a.provider_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<OrganizationId, String> = tenders::organization_names(tx, &ids)?.into_iter().collect();
    Ok(list
        .into_iter()
        .map(|a| Entry { provider: names.get(&a.provider_id).cloned().unwrap_or_default(), accreditation: a })
        .collect())
}

/// The accreditations a filter covers that are active in `view`.
fn active(tx: &mut DbConnection, filter: &AccreditationFilter, view: View) -> Result<Vec<Accreditation>, ApiError> {
    let list = accreditations::all(tx, filter)?;
    Ok(evaluate(tx, list, view)?
        .into_iter()
        .filter(|(_, status)| *status == Some(AccreditationStatus::Active))
        .map(|(a, _)| a)
        .collect())
}

/// A published call, as the public sees it.
fn public_tender(tx: &mut DbConnection, id: TenderId) -> Result<ambito_domain::tender::Tender, ApiError> {
    let tender = tenders::load(tx, id)?;
    access::tender(None, tender.facts(), TenderAction::Read).require()?;
    Ok(tender)
}

/// The registry of a call as it stood at `at`.
pub fn of_tender(tx: &mut DbConnection, id: TenderId, at: DateTime<Utc>) -> Result<Vec<Entry>, ApiError> {
    public_tender(tx, id)?;
    let list = active(tx, &AccreditationFilter { tender_id: Some(id), ..Default::default() }, View::at(at))?;
    named(tx, list)
}

/// The registry of a district as it stood at `at`: every call's accreditations in its
/// municipalities.
pub fn of_district(tx: &mut DbConnection, id: DistrictId, at: DateTime<Utc>) -> Result<Vec<Entry>, ApiError> {
    let district = district::get(tx, id)?;
    let filter = AccreditationFilter { municipalities: Some(district.municipalities), ..Default::default() };
    let list = active(tx, &filter, View::at(at))?;
    named(tx, list)
}

/// The catalogue's product line of each of these interventions, in catalogue order.
fn lines_of(
    tx: &mut DbConnection,
    codes: &[InterventionCode],
) -> Result<Vec<(InterventionCode, ProductLineCode)>, ApiError> {
    Ok(catalogue::interventions(tx)?
        .into_iter()
        .filter(|i| codes.contains(&i.code))
        .map(|i| (i.code, i.product_line_code))
        .collect())
}

/// The matrix over `municipalities` and the lines of `interventions`, as it stood at `at`.
fn matrix(
    tx: &mut DbConnection,
    municipalities: Vec<IstatCode>,
    interventions: Vec<InterventionCode>,
    filter: AccreditationFilter,
    at: DateTime<Utc>,
) -> Result<Vec<Cell>, ApiError> {
    let view = View::at(at);
    let list = active(tx, &filter, view)?;
    let mut tender_ids: Vec<TenderId> = list.iter().map(|a| a.tender_id).collect();
    tender_ids.sort_unstable();
    tender_ids.dedup();
    let mut agreements: Vec<Patto> = Vec::new();
    for t in tender_ids {
        agreements.extend(patti::all(tx, &PattoFilter { tender_id: Some(t), ..Default::default() })?);
    }
    let day = rome_date(at);
    let accredited: Vec<(OrganizationId, ScopeItem)> = list.iter().map(|a| (a.provider_id, a.item())).collect();
    let serving: Vec<(OrganizationId, ScopeItem)> = list
        .iter()
        .filter(|a| {
            agreements.iter().any(|p| {
                p.provider_id == a.provider_id && p.tender_id == a.tender_id && p.covers(&a.item(), day, at).is_some()
            })
        })
        .map(|a| (a.provider_id, a.item()))
        .collect();
    let lines = lines_of(tx, &interventions)?;
    Ok(registry::matrix(&municipalities, &lines, &accredited, &serving))
}

/// The coverage matrix of a district as it stood at `at`, over the product lines of the
/// published calls that cover it.
pub fn district_matrix(tx: &mut DbConnection, id: DistrictId, at: DateTime<Utc>) -> Result<Vec<Cell>, ApiError> {
    let district = district::get(tx, id)?;
    let calls =
        tenders::list(tx, TenderScope::Public, &Default::default(), &Page { after: None, limit: i64::MAX - 1 })?.items;
    let mut interventions: Vec<InterventionCode> = calls
        .iter()
        .filter(|t| t.terms.municipalities.iter().any(|m| district.municipalities.contains(m)))
        .flat_map(|t| t.terms.interventions.iter().map(|i| i.code.clone()))
        .collect();
    interventions.sort();
    interventions.dedup();
    let filter = AccreditationFilter { municipalities: Some(district.municipalities.clone()), ..Default::default() };
    matrix(tx, district.municipalities, interventions, filter, at)
}

/// The coverage matrix of a call as it stood at `at`.
pub fn tender_matrix(tx: &mut DbConnection, id: TenderId, at: DateTime<Utc>) -> Result<Vec<Cell>, ApiError> {
    let tender = public_tender(tx, id)?;
    let interventions = tender.terms.interventions.iter().map(|i| i.code.clone()).collect();
    let filter = AccreditationFilter { tender_id: Some(id), ..Default::default() };
    matrix(tx, tender.terms.municipalities, interventions, filter, at)
}

/// A provider that may serve, under which patto and at which rate.
pub struct Servant {
    pub provider_id: OrganizationId,
    pub provider: String,
    pub tender_id: TenderId,
    pub patto_id: PattoId,
    pub rate: Cents,
}

/// Which providers may serve `item` on `day`, as known at `now`: an active patto covering it
/// that day over an accreditation of it active then; by provider name, favouring no one.
pub fn eligible(
    tx: &mut DbConnection,
    item: ScopeItem,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Servant>, ApiError> {
    let agreements = patti::all(tx, &PattoFilter { item: Some(item.clone()), ..Default::default() })?;
    let list = accreditations::all(tx, &AccreditationFilter { item: Some(item.clone()), ..Default::default() })?;
    let derivation = Derivation::of(tx, &list)?;
    let view = View { known_at: now, at: end_of_day(day) };
    let statuses: Vec<_> = list
        .iter()
        .filter_map(|a| derivation.status(a, view).map(|s| (a.provider_id, a.tender_id, a.item(), s)))
        .collect();
    let found = may_serve(&agreements, &statuses, &item, day, now);
    let mut ids: Vec<OrganizationId> = found.iter().map(|e| e.patto.provider_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<OrganizationId, String> = tenders::organization_names(tx, &ids)?.into_iter().collect();
    let mut servants: Vec<Servant> = found
        .into_iter()
        .map(|e| Servant {
            provider_id: e.patto.provider_id,
            provider: names.get(&e.patto.provider_id).cloned().unwrap_or_default(),
            tender_id: e.patto.tender_id,
            patto_id: e.patto.id,
            rate: e.rate.rate,
        })
        .collect();
    servants.sort_by(|a, b| a.provider.cmp(&b.provider).then(a.patto_id.cmp(&b.patto_id)));
    Ok(servants)
}
