//! Accreditations: reading them with where each stands, and the issuing authorities' measures
//! on them (suspend, reinstate, revoke).

use std::collections::HashMap;

use ambito_domain::access::{self, ListingAction, ListingFacts, ListingScope};
use ambito_domain::accreditation::{Accreditation, AccreditationStatus};
use ambito_domain::measure::{Act, Decision, View};
use ambito_domain::requirement::{Certificate, Confirmation, Requirements};
use ambito_domain::{AccreditationId, Actor, OrganizationId, TenderId};
use ambito_persistence::accreditation::AccreditationFilter;
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, accreditation as accreditations, outbox, requirement, tender as tenders,
};

use super::Context;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// An accreditation and where it stands (`None`: not on the list yet in that view).
pub type Standing = (Accreditation, Option<AccreditationStatus>);

/// What the status of accreditations is derived from besides themselves: their providers'
/// requirements and their calls' issuing authorities.
pub struct Derivation {
    certificates: HashMap<OrganizationId, Vec<Certificate>>,
    confirmations: HashMap<OrganizationId, Vec<Confirmation>>,
    issuers: HashMap<TenderId, Vec<OrganizationId>>,
}

impl Derivation {
    /// Loads what the statuses of `list` need.
    pub fn of(tx: &mut DbConnection, list: &[Accreditation]) -> Result<Self, ApiError> {
        let mut providers: Vec<OrganizationId> = list.iter().map(|a| a.provider_id).collect();
        providers.sort_unstable();
        providers.dedup();
        let (certificates, confirmations) = requirement::of_providers(tx, &providers)?;
        let mut by_provider: HashMap<OrganizationId, Vec<Certificate>> = HashMap::new();
        for c in certificates {
            by_provider.entry(c.provider_id).or_default().push(c);
        }
        let mut confirmed: HashMap<OrganizationId, Vec<Confirmation>> = HashMap::new();
        for c in confirmations {
            confirmed.entry(c.provider_id).or_default().push(c);
        }
        let mut issuers = HashMap::new();
        for a in list {
            if let std::collections::hash_map::Entry::Vacant(slot) = issuers.entry(a.tender_id) {
                slot.insert(tenders::issuers(tx, a.tender_id)?);
            }
        }
        Ok(Self { certificates: by_provider, confirmations: confirmed, issuers })
    }

    pub fn issuers(&self, tender: TenderId) -> &[OrganizationId] {
        self.issuers.get(&tender).map_or(&[], Vec::as_slice)
    }

    pub fn status(&self, a: &Accreditation, view: View) -> Option<AccreditationStatus> {
        let requirements = Requirements {
            certificates: self.certificates.get(&a.provider_id).map_or(&[], Vec::as_slice),
            confirmations: self.confirmations.get(&a.provider_id).map_or(&[], Vec::as_slice),
        };
        a.status(requirements, self.issuers(a.tender_id), view)
    }
}

/// Where each accreditation stands in `view`.
pub fn evaluate(tx: &mut DbConnection, list: Vec<Accreditation>, view: View) -> Result<Vec<Standing>, ApiError> {
    let context = Derivation::of(tx, &list)?;
    Ok(list
        .into_iter()
        .map(|a| {
            let status = context.status(&a, view);
            (a, status)
        })
        .collect())
}

fn facts<'a>(a: &Accreditation, context: &'a Derivation) -> ListingFacts<'a> {
    ListingFacts { provider: a.provider_id, issuers: context.issuers(a.tender_id) }
}

pub fn get(
    tx: &mut DbConnection,
    actor: &Actor,
    id: AccreditationId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Standing, ApiError> {
    let a = accreditations::load(tx, id)?;
    let context = Derivation::of(tx, std::slice::from_ref(&a))?;
    access::listing(actor, facts(&a, &context), ListingAction::Read).require()?;
    let status = context.status(&a, View::at(now));
    Ok((a, status))
}

/// The accreditations the actor may read, filtered, with where each stands now.
pub fn list(
    tx: &mut DbConnection,
    actor: &Actor,
    mut filter: AccreditationFilter,
    page: &Page,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Paged<Standing>, ApiError> {
    match access::listing_scope(actor)? {
        ListingScope::Provider(p) => filter.provider_id = Some(p),
        ListingScope::Authority(a) => filter.issued_by = Some(a),
        ListingScope::Everything => {}
    }
    let paged = accreditations::list(tx, &filter, page)?;
    let context = Derivation::of(tx, &paged.items)?;
    Ok(paged.map(|a| {
        let status = context.status(&a, View::at(now));
        (a, status)
    }))
}

/// The accreditations of a call, with where each stands now: public once it is.
pub fn of_tender(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    id: TenderId,
    page: &Page,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Paged<Standing>, ApiError> {
    let tender = tenders::load(tx, id)?;
    access::tender(actor, tender.facts(), access::TenderAction::Read).require()?;
    let filter = AccreditationFilter { tender_id: Some(id), ..Default::default() };
    let paged = accreditations::list(tx, &filter, page)?;
    let derivation = Derivation::of(tx, &paged.items)?;
    Ok(paged.map(|a| {
        let status = derivation.status(&a, View::at(now));
        (a, status)
    }))
}

/// Staff of an issuing authority suspend, reinstate or revoke an accreditation, with a reason
/// and the act that decides it.
pub fn decide(
    tx: &mut DbConnection,
    ctx: &Context,
    id: AccreditationId,
    if_match: Option<IfMatch>,
    decision: Decision,
    reason: String,
    act: Option<Act>,
) -> Result<Standing, ApiError> {
    let mut a = accreditations::lock(tx, id)?;
    let context = Derivation::of(tx, std::slice::from_ref(&a))?;
    access::listing(&ctx.actor, facts(&a, &context), ListingAction::Decide).require()?;
    let before = a.clone();
    let event = a.decide(decision, reason, act, Some(ctx.actor.user), ctx.now)?;
    precondition(if_match, before.version)?;
    let decided = a.measures.last().expect("a measure was just decided");
    accreditations::save(tx, &a, before.version, decided)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &a))?;
    let status = context.status(&a, View::at(ctx.now));
    Ok((a, status))
}
