//! OCDS publication: the reads that gather a call's framework and its call-offs. Public: a
//! call's releases are read as anyone reads the call once it is published (the access policy
//! with no actor); nothing about families is loaded into what is shown.

use ambito_domain::access::{self, TenderAction};
use ambito_domain::accreditation::Accreditation;
use ambito_domain::delivery_report::DeliveryReport;
use ambito_domain::ocds::{CallOff, Framework, Party};
use ambito_domain::service_request::Answer;
use ambito_domain::service_request::Voucher;
use ambito_domain::tender::{Amendment, Tender};
use ambito_domain::{OrganizationId, TenderId};
use ambito_persistence::accreditation::AccreditationFilter;
use ambito_persistence::{
    DbConnection, Page, accreditation as accreditations, delivery_report as reports, organization, service_request,
    tender as tenders,
};
use chrono::{DateTime, Utc};

use crate::error::ApiError;

/// What a call's releases are made of, owned.
pub struct FrameworkData {
    pub tender: Tender,
    pub authorities: Vec<Party>,
    pub providers: Vec<Party>,
    pub amendments: Vec<Amendment>,
    pub accreditations: Vec<Accreditation>,
}

impl FrameworkData {
    pub fn framework<'a>(&'a self, prefix: &'a str) -> Framework<'a> {
        Framework {
            prefix,
            tender: &self.tender,
            authorities: self.authorities.clone(),
            providers: self.providers.clone(),
            amendments: &self.amendments,
            accreditations: &self.accreditations,
        }
    }
}

fn party(tx: &mut DbConnection, id: OrganizationId) -> Result<Party, ApiError> {
    let org = organization::get(tx, id)?;
    let tax_code = org
        .codice_fiscale
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| org.partita_iva.as_ref().map(ToString::to_string));
    Ok(Party { id: org.id, name: org.name, tax_code })
}

/// A published call, as the public reads it; 404 before publication, whoever asks.
fn published(tx: &mut DbConnection, id: TenderId) -> Result<Tender, ApiError> {
    let tender = tenders::load(tx, id)?;
    access::tender(None, tender.facts(), TenderAction::Read).require()?;
    if tender.published_at.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(tender)
}

pub fn framework(tx: &mut DbConnection, id: TenderId) -> Result<FrameworkData, ApiError> {
    let tender = published(tx, id)?;
    let authorities = tender.authorities.iter().map(|a| party(tx, *a)).collect::<Result<Vec<_>, _>>()?;
    let amendments = tenders::amendments(tx, id, &Page { after: None, limit: i64::MAX - 1 })?.items;
    let filter = AccreditationFilter { tender_id: Some(id), ..Default::default() };
    let accreditations = accreditations::all(tx, &filter)?;
    let mut provider_ids: Vec<OrganizationId> = accreditations.iter().map(|a| a.provider_id).collect();
    provider_ids.sort_by_key(ToString::to_string);
    provider_ids.dedup();
    let providers = provider_ids.into_iter().map(|p| party(tx, p)).collect::<Result<Vec<_>, _>>()?;
    Ok(FrameworkData { tender, authorities, providers, amendments, accreditations })
}

/// A voucher taken under the call, owned.
pub struct CallOffData {
    pub voucher: Voucher,
    pub buyer: Party,
    pub supplier: Party,
    pub accepted_at: DateTime<Utc>,
    pub reports: Vec<DeliveryReport>,
}

impl CallOffData {
    pub fn call_off<'a>(&'a self, prefix: &'a str) -> CallOff<'a> {
        CallOff {
            prefix,
            voucher: &self.voucher,
            buyer: self.buyer.clone(),
            supplier: self.supplier.clone(),
            accepted_at: self.accepted_at,
            reports: &self.reports,
        }
    }
}

/// Every voucher of the call's framework that a provider took, oldest first.
pub fn call_offs(tx: &mut DbConnection, id: TenderId) -> Result<(Tender, Vec<CallOffData>), ApiError> {
    let tender = published(tx, id)?;
    let requests = service_request::with_vouchers_under(tx, id)?;
    let mut taken = Vec::new();
    for request in requests {
        for voucher in request.vouchers {
            if voucher.tender_id != id {
                continue;
            }
            let Some(choice) = voucher.taken_by() else { continue };
            let Some(Answer::Accepted { at, .. }) = choice.answer else { continue };
            let provider = choice.provider_id;
            taken.push((request.authority_id, provider, at, voucher));
        }
    }
    let ids: Vec<_> = taken.iter().map(|(_, _, _, v)| v.id).collect();
    let all_reports = reports::validated_of_vouchers(tx, &ids)?;
    let mut list = Vec::new();
    for (authority, provider, accepted_at, voucher) in taken {
        let reports = all_reports
            .iter()
            .filter(|r| {
                r.provider_id == provider
                    && matches!(r.subject, ambito_domain::delivery_report::ReportSubject::Voucher { voucher_id, .. } if voucher_id == voucher.id)
            })
            .cloned()
            .collect();
        list.push(CallOffData {
            buyer: party(tx, authority)?,
            supplier: party(tx, provider)?,
            accepted_at,
            reports,
            voucher,
        });
    }
    Ok((tender, list))
}
