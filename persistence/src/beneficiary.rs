//! Beneficiaries, their ISEE records, and the log of every read and change of their data.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::schema::{beneficiaries, isee_records, personal_data_access, service_requests, voucher_choices, vouchers};
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, stored_date, to_db};
use ambito_domain::access::PeopleScope;
use ambito_domain::beneficiary::{Beneficiary, DataAccess, DataAction, Details, HouseholdMember};
use ambito_domain::isee::Isee;
use ambito_domain::{BeneficiaryId, Cents, CodiceFiscale, IstatCode, Name, OrganizationId, ServiceRequestId, UserId};

/// A household member as stored (JSON in the record's row).
#[derive(Serialize, Deserialize)]
struct Member {
    name: String,
    relationship: String,
    caregiver: bool,
    phone: Option<String>,
}

fn household_json(members: &[HouseholdMember]) -> String {
    let stored: Vec<Member> = members
        .iter()
        .map(|m| Member {
            name: m.name.as_str().to_owned(),
            relationship: m.relationship.clone(),
            caregiver: m.caregiver,
            phone: m.phone.clone(),
        })
        .collect();
    serde_json::to_string(&stored).expect("household serializes")
}

fn household_of(json: &str) -> Result<Vec<HouseholdMember>, StoreError> {
    let members: Vec<Member> = stored("household", serde_json::from_str(json))?;
    members
        .into_iter()
        .map(|m| {
            Ok(HouseholdMember {
                name: stored("household name", Name::parse(&m.name))?,
                relationship: m.relationship,
                caregiver: m.caregiver,
                phone: m.phone,
            })
        })
        .collect()
}

pub fn insert(conn: &mut DbConnection, b: &Beneficiary) -> Result<(), StoreError> {
    let d = &b.details;
    diesel::insert_into(beneficiaries::table)
        .values((
            (
                beneficiaries::id.eq(b.id.to_string()),
                beneficiaries::authority_id.eq(b.authority_id.to_string()),
                beneficiaries::codice_fiscale.eq(b.codice_fiscale.as_str()),
                beneficiaries::given_name.eq(d.given_name.as_str()),
                beneficiaries::family_name.eq(d.family_name.as_str()),
                beneficiaries::birth_date.eq(d.birth_date.to_string()),
                beneficiaries::residence.eq(d.residence.as_str()),
                beneficiaries::address.eq(&d.address),
            ),
            (
                beneficiaries::phone.eq(&d.phone),
                beneficiaries::email.eq(&d.email),
                beneficiaries::household.eq(household_json(&d.household)),
                beneficiaries::situation.eq(&d.situation),
                beneficiaries::registered_by.eq(b.registered_by.to_string()),
                beneficiaries::version.eq(b.version),
                beneficiaries::created_at.eq(to_db(b.created_at)),
                beneficiaries::updated_at.eq(to_db(b.updated_at)),
            ),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("this person is already registered".into()),
            other => other,
        })?;
    Ok(())
}

/// Saves a corrected record.
pub fn save(conn: &mut DbConnection, b: &Beneficiary, loaded_version: i64) -> Result<(), StoreError> {
    let d = &b.details;
    let changed = diesel::update(beneficiaries::table)
        .filter(beneficiaries::id.eq(b.id.to_string()))
        .filter(beneficiaries::version.eq(loaded_version))
        .set((
            (
                beneficiaries::given_name.eq(d.given_name.as_str()),
                beneficiaries::family_name.eq(d.family_name.as_str()),
                beneficiaries::birth_date.eq(d.birth_date.to_string()),
                beneficiaries::residence.eq(d.residence.as_str()),
                beneficiaries::address.eq(&d.address),
                beneficiaries::phone.eq(&d.phone),
            ),
            (
                beneficiaries::email.eq(&d.email),
                beneficiaries::household.eq(household_json(&d.household)),
                beneficiaries::situation.eq(&d.situation),
                beneficiaries::version.eq(b.version),
                beneficiaries::updated_at.eq(to_db(b.updated_at)),
            ),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    i64,
    NaiveDateTime,
    NaiveDateTime,
);

fn to_beneficiary(row: Row) -> Result<Beneficiary, StoreError> {
    let (
        id,
        authority,
        cf,
        given,
        family,
        birth,
        residence,
        address,
        phone,
        email,
        household,
        situation,
        by,
        version,
        created,
        updated,
    ) = row;
    Ok(Beneficiary {
        id: stored("beneficiary id", id.parse())?,
        authority_id: stored("beneficiary authority", authority.parse())?,
        codice_fiscale: stored("codice fiscale", CodiceFiscale::parse(&cf))?,
        details: Details {
            given_name: stored("given name", Name::parse(&given))?,
            family_name: stored("family name", Name::parse(&family))?,
            birth_date: stored_date("birth date", &birth)?,
            residence: stored("residence", IstatCode::parse(&residence))?,
            address,
            phone,
            email,
            household: household_of(&household)?,
            situation,
        },
        registered_by: stored("registered by", by.parse())?,
        version,
        created_at: from_db(created),
        updated_at: from_db(updated),
    })
}

pub fn load(conn: &mut DbConnection, id: BeneficiaryId) -> Result<Beneficiary, StoreError> {
    to_beneficiary(beneficiaries::table.filter(beneficiaries::id.eq(id.to_string())).get_result(conn)?)
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: BeneficiaryId) -> Result<Beneficiary, StoreError> {
    crate::lock_row(conn, "beneficiaries", &id.to_string())?;
    load(conn, id)
}

/// The authority's record of the person with this codice fiscale, if any.
pub fn find(
    conn: &mut DbConnection,
    authority: OrganizationId,
    cf: &CodiceFiscale,
) -> Result<Option<Beneficiary>, StoreError> {
    beneficiaries::table
        .filter(beneficiaries::authority_id.eq(authority.to_string()))
        .filter(beneficiaries::codice_fiscale.eq(cf.as_str()))
        .get_result::<Row>(conn)
        .optional()?
        .map(to_beneficiary)
        .transpose()
}

/// Who else the policy must know of: the municipalities that asked for the person, and the
/// providers that accepted one of their requests.
pub fn involved(
    conn: &mut DbConnection,
    id: BeneficiaryId,
) -> Result<(Vec<OrganizationId>, Vec<OrganizationId>), StoreError> {
    let requests = || service_requests::table.filter(service_requests::beneficiary_id.eq(id.to_string()));
    let requesters: Vec<String> = requests().select(service_requests::requested_by).distinct().load(conn)?;
    let their_vouchers = vouchers::table
        .filter(vouchers::request_id.eq_any(requests().select(service_requests::id)))
        .select(vouchers::id);
    let serving: Vec<String> = voucher_choices::table
        .filter(voucher_choices::voucher_id.eq_any(their_vouchers))
        .filter(voucher_choices::answer.eq("accepted"))
        .select(voucher_choices::provider_id)
        .distinct()
        .load(conn)?;
    let ids = |list: Vec<String>| {
        list.into_iter().map(|o| stored("organization", o.parse())).collect::<Result<Vec<OrganizationId>, _>>()
    };
    Ok((ids(requesters)?, ids(serving)?))
}

/// The records a list shows to `scope`, by id.
pub fn list(conn: &mut DbConnection, scope: PeopleScope, page: &Page) -> Result<Paged<Beneficiary>, StoreError> {
    let mut query = beneficiaries::table.into_boxed();
    match scope {
        PeopleScope::Authority(a) => query = query.filter(beneficiaries::authority_id.eq(a.to_string())),
        PeopleScope::Municipality(m) => {
            let asked = service_requests::table
                .filter(service_requests::requested_by.eq(m.to_string()))
                .select(service_requests::beneficiary_id);
            query = query.filter(beneficiaries::registered_by.eq(m.to_string()).or(beneficiaries::id.eq_any(asked)));
        }
        PeopleScope::Provider(p) => {
            let accepted = voucher_choices::table
                .filter(voucher_choices::provider_id.eq(p.to_string()))
                .filter(voucher_choices::answer.eq("accepted"))
                .select(voucher_choices::voucher_id);
            let requests = vouchers::table.filter(vouchers::id.eq_any(accepted)).select(vouchers::request_id);
            let people = service_requests::table
                .filter(service_requests::id.eq_any(requests))
                .select(service_requests::beneficiary_id);
            query = query.filter(beneficiaries::id.eq_any(people));
        }
    }
    if let Some(after) = &page.after {
        query = query.filter(beneficiaries::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(beneficiaries::id.asc()).limit(page.fetch()).load(conn)?;
    let list = rows.into_iter().map(to_beneficiary).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |b| b.id.to_string()))
}

// --- ISEE -----------------------------------------------------------------------------------

pub fn insert_isee(conn: &mut DbConnection, i: &Isee) -> Result<(), StoreError> {
    diesel::insert_into(isee_records::table)
        .values((
            isee_records::id.eq(i.id.to_string()),
            isee_records::beneficiary_id.eq(i.beneficiary_id.to_string()),
            isee_records::kind.eq(i.kind.as_str()),
            isee_records::value_cents.eq(i.value.get()),
            isee_records::dsu_protocol.eq(&i.dsu_protocol),
            isee_records::issued_on.eq(i.issued_on.to_string()),
            isee_records::expires_on.eq(i.expires_on.to_string()),
            isee_records::recorded_at.eq(to_db(i.recorded_at)),
            isee_records::recorded_by.eq(i.recorded_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

type IseeRow = (String, String, String, i64, String, String, String, NaiveDateTime, Option<String>);

/// Every ISEE recorded for the person, oldest first.
pub fn isees(conn: &mut DbConnection, beneficiary: BeneficiaryId) -> Result<Vec<Isee>, StoreError> {
    let rows: Vec<IseeRow> = isee_records::table
        .filter(isee_records::beneficiary_id.eq(beneficiary.to_string()))
        .order(isee_records::id.asc())
        .load(conn)?;
    rows.into_iter()
        .map(|(id, b, kind, value, protocol, issued, expires, at, by)| {
            Ok(Isee {
                id: stored("isee id", id.parse())?,
                beneficiary_id: stored("isee beneficiary", b.parse())?,
                kind: stored("isee kind", kind.parse())?,
                value: stored("isee value", Cents::new(value))?,
                dsu_protocol: protocol,
                issued_on: stored_date("issued_on", &issued)?,
                expires_on: stored_date("expires_on", &expires)?,
                recorded_at: from_db(at),
                recorded_by: by.as_deref().map(|u| stored("recorded by", u.parse())).transpose()?,
            })
        })
        .collect()
}

// --- the access log ---------------------------------------------------------------------------

pub fn log_access(conn: &mut DbConnection, entries: &[DataAccess]) -> Result<(), StoreError> {
    let rows: Vec<_> = entries
        .iter()
        .map(|a| {
            (
                personal_data_access::id.eq(uuid::Uuid::now_v7().to_string()),
                personal_data_access::beneficiary_id.eq(a.beneficiary_id.to_string()),
                personal_data_access::at.eq(to_db(a.at)),
                personal_data_access::user_id.eq(a.user_id.map(|u| u.to_string())),
                personal_data_access::organization_id.eq(a.organization_id.map(|o| o.to_string())),
                personal_data_access::action.eq(a.action.as_str()),
                personal_data_access::fields.eq(a.fields.join(",")),
                personal_data_access::service_request_id.eq(a.service_request_id.map(|r| r.to_string())),
                personal_data_access::request_id.eq(a.request_id.clone()),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        crate::on_backend!(conn, |c| diesel::insert_into(personal_data_access::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// One entry of the access log as read back.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub id: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: Option<UserId>,
    pub organization_id: Option<OrganizationId>,
    pub action: DataAction,
    pub fields: Vec<String>,
    pub service_request_id: Option<ServiceRequestId>,
    pub request_id: Option<String>,
}

type AccessRow =
    (String, String, NaiveDateTime, Option<String>, Option<String>, String, String, Option<String>, Option<String>);

/// Who read or changed the person's data, oldest first.
pub fn access_log(
    conn: &mut DbConnection,
    beneficiary: BeneficiaryId,
    page: &Page,
) -> Result<Paged<AccessEntry>, StoreError> {
    let mut query = personal_data_access::table
        .filter(personal_data_access::beneficiary_id.eq(beneficiary.to_string()))
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(personal_data_access::id.gt(after.clone()));
    }
    let rows: Vec<AccessRow> = query.order(personal_data_access::id.asc()).limit(page.fetch()).load(conn)?;
    let list = rows
        .into_iter()
        .map(|(id, _, at, user, org, action, fields, request, http)| {
            Ok(AccessEntry {
                id,
                at: from_db(at),
                user_id: user.as_deref().map(|u| stored("access user", u.parse())).transpose()?,
                organization_id: org.as_deref().map(|o| stored("access organization", o.parse())).transpose()?,
                action: stored("access action", action.parse())?,
                fields: fields.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
                service_request_id: request.as_deref().map(|r| stored("access request", r.parse())).transpose()?,
                request_id: http,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page.finish(list, |e| e.id.clone()))
}
