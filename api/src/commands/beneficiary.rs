//! Beneficiaries: registration by a municipality (or staff), reads and corrections under the
//! access policy, ISEE records, and the access log. Every read and change of a person's data is
//! written to the access log in the same transaction; the audit trail and the events keep ids
//! only.

use ambito_domain::access::{self, BeneficiaryAction, BeneficiaryFacts};
use ambito_domain::beneficiary::{Beneficiary, BeneficiaryChange, DataAccess, DataAction, Details, field};
use ambito_domain::isee::{Isee, NewIsee};
use ambito_domain::rome::rome_date;
use ambito_domain::{Actor, BeneficiaryId, CodiceFiscale, Invalid, IstatCode, OrganizationId, Role, ServiceRequestId};
use ambito_persistence::beneficiary::{self as beneficiaries, AccessEntry};
use ambito_persistence::district::DistrictFilter;
use ambito_persistence::{DbConnection, Page, Paged, Snapshots, district, municipality, organization, outbox};

use super::Context;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// A log entry of `ctx`'s actor reading or changing `fields` of a person's data.
pub fn seen(
    ctx: &Context,
    beneficiary: BeneficiaryId,
    action: DataAction,
    fields: &[&'static str],
    request: Option<ServiceRequestId>,
) -> DataAccess {
    DataAccess {
        beneficiary_id: beneficiary,
        at: ctx.now,
        user_id: ctx.origin.user_id,
        organization_id: ctx.origin.organization_id,
        action,
        fields: fields.to_vec(),
        service_request_id: request,
        request_id: ctx.origin.request_id.clone(),
    }
}

/// The ISTAT code of the actor's municipality, for a municipality user.
pub fn municipality_of(tx: &mut DbConnection, actor: &Actor) -> Result<Option<IstatCode>, ApiError> {
    if actor.role != Role::Municipality {
        return Ok(None);
    }
    Ok(organization::get(tx, actor.organization)?.istat_code)
}

/// The authorities whose districts include a municipality.
pub fn authorities_serving(tx: &mut DbConnection, istat: &IstatCode) -> Result<Vec<OrganizationId>, ApiError> {
    let all = district::list(tx, &DistrictFilter::default(), &Page { after: None, limit: i64::MAX - 1 })?.items;
    let mut found: Vec<OrganizationId> =
        all.into_iter().filter(|d| d.municipalities.contains(istat)).map(|d| d.authority_id).collect();
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// The authority responsible for the residents of `istat`: the one whose district includes
/// it, or the one named among several.
pub fn responsible_authority(
    tx: &mut DbConnection,
    istat: &IstatCode,
    named: Option<OrganizationId>,
) -> Result<OrganizationId, ApiError> {
    let serving = authorities_serving(tx, istat)?;
    match (serving.as_slice(), named) {
        ([], _) => Err(Invalid::one("residence", "no district of the platform includes this municipality").into()),
        (_, Some(a)) if serving.contains(&a) => Ok(a),
        (_, Some(_)) => {
            Err(Invalid::one("authority_id", "this authority's districts do not include the municipality").into())
        }
        ([only], None) => Ok(*only),
        (_, None) => Err(Invalid::one("authority_id", "several authorities serve this municipality: name one").into()),
    }
}

/// A residence must be a municipality of the catalogue.
fn known_residence(tx: &mut DbConnection, details: &Details) -> Result<(), ApiError> {
    if municipality::unknown_codes(tx, std::slice::from_ref(&details.residence))?.is_empty() {
        Ok(())
    } else {
        Err(Invalid::one("residence", format!("no municipality has ISTAT code {}", details.residence.as_str())).into())
    }
}

fn facts_of(tx: &mut DbConnection, b: &Beneficiary) -> Result<(Vec<OrganizationId>, Vec<OrganizationId>), ApiError> {
    Ok(beneficiaries::involved(tx, b.id)?)
}

/// Loads a record the actor may act on as `action` says.
fn allowed(tx: &mut DbConnection, actor: &Actor, b: &Beneficiary, action: BeneficiaryAction) -> Result<(), ApiError> {
    let (requesters, serving) = facts_of(tx, b)?;
    let facts = BeneficiaryFacts {
        authority: b.authority_id,
        registered_by: b.registered_by,
        requesters: &requesters,
        serving: &serving,
    };
    Ok(access::beneficiary(actor, facts, action).require()?)
}

/// Whether the actor may read the person's record (for the requests that name them).
pub fn may_read(tx: &mut DbConnection, actor: &Actor, id: BeneficiaryId) -> Result<Beneficiary, ApiError> {
    let b = beneficiaries::load(tx, id)?;
    allowed(tx, actor, &b, BeneficiaryAction::Read)?;
    Ok(b)
}

pub fn register(
    tx: &mut DbConnection,
    ctx: &Context,
    codice_fiscale: CodiceFiscale,
    details: Details,
    authority: Option<OrganizationId>,
) -> Result<Beneficiary, ApiError> {
    access::beneficiary_registration(&ctx.actor).require()?;
    known_residence(tx, &details)?;
    let municipality = municipality_of(tx, &ctx.actor)?;
    let authority = match ctx.actor.role {
        Role::AuthorityStaff => {
            let serving = authorities_serving(tx, &details.residence)?;
            if !serving.contains(&ctx.actor.organization) {
                return Err(Invalid::one("residence", "not a municipality of your authority's districts").into());
            }
            ctx.actor.organization
        }
        _ => responsible_authority(tx, &details.residence, authority)?,
    };
    let exists = beneficiaries::find(tx, authority, &codice_fiscale)?.is_some();
    let (b, event) = Beneficiary::register(
        authority,
        ctx.actor.organization,
        codice_fiscale,
        details,
        municipality.as_ref(),
        exists,
        rome_date(ctx.now),
        ctx.now,
    )?;
    beneficiaries::insert(tx, &b)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
    beneficiaries::log_access(tx, &[seen(ctx, b.id, DataAction::Create, field::RECORD, None)])?;
    Ok(b)
}

/// Reads a record, and logs the read.
pub fn get(tx: &mut DbConnection, ctx: &Context, id: BeneficiaryId) -> Result<Beneficiary, ApiError> {
    let b = may_read(tx, &ctx.actor, id)?;
    beneficiaries::log_access(tx, &[seen(ctx, b.id, DataAction::Read, field::RECORD, None)])?;
    Ok(b)
}

/// Finds the person with a codice fiscale among the records the actor may read.
pub fn lookup(tx: &mut DbConnection, ctx: &Context, cf: &CodiceFiscale) -> Result<Beneficiary, ApiError> {
    let authorities = match ctx.actor.role {
        Role::AuthorityStaff => vec![ctx.actor.organization],
        Role::Municipality => match municipality_of(tx, &ctx.actor)? {
            Some(istat) => authorities_serving(tx, &istat)?,
            None => Vec::new(),
        },
        // Providers reach the people they serve through their requests.
        Role::ProviderMember | Role::Admin => Vec::new(),
    };
    for authority in authorities {
        if let Some(b) = beneficiaries::find(tx, authority, cf)?
            && allowed(tx, &ctx.actor, &b, BeneficiaryAction::Read).is_ok()
        {
            beneficiaries::log_access(tx, &[seen(ctx, b.id, DataAction::Read, field::RECORD, None)])?;
            return Ok(b);
        }
    }
    Err(ApiError::NotFound)
}

pub fn correct(
    tx: &mut DbConnection,
    ctx: &Context,
    id: BeneficiaryId,
    if_match: Option<IfMatch>,
    codice_fiscale: &CodiceFiscale,
    details: Details,
) -> Result<Beneficiary, ApiError> {
    let mut b = beneficiaries::lock(tx, id)?;
    allowed(tx, &ctx.actor, &b, BeneficiaryAction::Change)?;
    if b.codice_fiscale != *codice_fiscale {
        return Err(Invalid::one("codice_fiscale", "the record's codice fiscale does not change").into());
    }
    known_residence(tx, &details)?;
    let loaded = b.version;
    let (event, changed) = b.correct(details, rome_date(ctx.now), ctx.now)?;
    precondition(if_match, loaded)?;
    if !changed.is_empty() {
        beneficiaries::save(tx, &b, loaded)?;
        outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
        beneficiaries::log_access(tx, &[seen(ctx, b.id, DataAction::Update, &changed, None)])?;
    }
    Ok(b)
}

pub fn record_isee(tx: &mut DbConnection, ctx: &Context, id: BeneficiaryId, input: NewIsee) -> Result<Isee, ApiError> {
    let b = beneficiaries::lock(tx, id)?;
    allowed(tx, &ctx.actor, &b, BeneficiaryAction::Change)?;
    let isee = Isee::record(b.id, input, Some(ctx.actor.user), ctx.now)?;
    beneficiaries::insert_isee(tx, &isee)?;
    let event = b.event(BeneficiaryChange::IseeRecorded { isee_id: isee.id });
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
    beneficiaries::log_access(tx, &[seen(ctx, b.id, DataAction::Create, &[field::ISEE], None)])?;
    Ok(isee)
}

pub fn isees(tx: &mut DbConnection, ctx: &Context, id: BeneficiaryId) -> Result<Vec<Isee>, ApiError> {
    let b = may_read(tx, &ctx.actor, id)?;
    beneficiaries::log_access(tx, &[seen(ctx, b.id, DataAction::Read, &[field::ISEE], None)])?;
    Ok(beneficiaries::isees(tx, b.id)?)
}

pub fn access_log(
    tx: &mut DbConnection,
    actor: &Actor,
    id: BeneficiaryId,
    page: &Page,
) -> Result<Paged<AccessEntry>, ApiError> {
    let b = beneficiaries::load(tx, id)?;
    allowed(tx, actor, &b, BeneficiaryAction::ReadAccessLog)?;
    Ok(beneficiaries::access_log(tx, id, page)?)
}

/// The people the actor's organization is responsible for, registered, asked for or serves;
/// each read logged.
pub fn list(tx: &mut DbConnection, ctx: &Context, page: &Page) -> Result<Paged<Beneficiary>, ApiError> {
    let scope = access::people_scope(&ctx.actor)?;
    let paged = beneficiaries::list(tx, scope, page)?;
    let reads: Vec<DataAccess> = paged
        .items
        .iter()
        .map(|b| {
            seen(
                ctx,
                b.id,
                DataAction::Read,
                &[field::CODICE_FISCALE, field::NAME, field::BIRTH_DATE, field::RESIDENCE],
                None,
            )
        })
        .collect();
    beneficiaries::log_access(tx, &reads)?;
    Ok(paged)
}
