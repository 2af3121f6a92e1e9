//! Accreditations: the authority's measure that a provider may deliver an intervention in a
//! municipality for a period. Made when a call is concluded, from its admitted applications.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::schema::{accreditations, application_scope, applications};
use crate::{Actor, DbConnection, StoreError, audit, stored, stored_id, to_db};
use ambito_domain::IstatCode;
use ambito_domain::application::ApplicationStatus;

#[derive(Debug, Clone, Serialize)]
pub struct Accreditation {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub application_id: Uuid,
    pub provider_id: Uuid,
    pub intervention: String,
    pub municipality: IstatCode,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub status: String,
}

/// Admitted (provider, application, intervention, municipality) of a call.
pub fn admitted_scope(
    conn: &mut DbConnection,
    tender_id: Uuid,
) -> Result<Vec<(Uuid, Uuid, String, IstatCode)>, StoreError> {
    let rows: Vec<(String, String, String, String)> = application_scope::table
        .inner_join(applications::table.on(applications::id.eq(application_scope::application_id)))
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .filter(applications::status.eq(ApplicationStatus::Admitted.as_str()))
        .filter(application_scope::admitted.eq(true))
        .order((applications::provider_id, application_scope::intervention_code, application_scope::istat_code))
        .select((
            applications::provider_id,
            applications::id,
            application_scope::intervention_code,
            application_scope::istat_code,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(p, a, i, m)| {
            Ok((stored_id("provider", &p)?, stored_id("application", &a)?, i, stored("istat", IstatCode::parse(&m))?))
        })
        .collect()
}

/// Turns a concluded call's admitted scope into accreditations for its validity period.
pub fn grant(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: Uuid,
    valid_from: NaiveDate,
    valid_to: NaiveDate,
) -> Result<Vec<Accreditation>, StoreError> {
    let now = to_db(crate::now());
    let granted: Vec<Accreditation> = admitted_scope(conn, tender_id)?
        .into_iter()
        .map(|(provider_id, application_id, intervention, municipality)| Accreditation {
            id: Uuid::now_v7(),
            tender_id,
            application_id,
            provider_id,
            intervention,
            municipality,
            valid_from,
            valid_to,
            status: "active".into(),
        })
        .collect();
    let rows: Vec<_> = granted
        .iter()
        .map(|a| {
            (
                accreditations::id.eq(a.id.to_string()),
                accreditations::tender_id.eq(tender_id.to_string()),
                accreditations::application_id.eq(a.application_id.to_string()),
                accreditations::provider_id.eq(a.provider_id.to_string()),
                accreditations::intervention_code.eq(&a.intervention),
                accreditations::istat_code.eq(a.municipality.as_str()),
                accreditations::valid_from.eq(valid_from.to_string()),
                accreditations::valid_to.eq(valid_to.to_string()),
                accreditations::status.eq("active"),
                accreditations::created_at.eq(now),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        crate::on_backend!(conn, |c| diesel::insert_into(accreditations::table).values(chunk).execute(c))?;
    }
    audit::record(
        conn,
        actor,
        "accreditations.granted",
        "tender",
        &tender_id.to_string(),
        None::<&()>,
        Some(&granted.len()),
    )?;
    Ok(granted)
}

pub fn of_tender(conn: &mut DbConnection, tender_id: Uuid) -> Result<Vec<Accreditation>, StoreError> {
    type Row = (String, String, String, String, String, String, String, String, NaiveDateTime);
    let rows: Vec<Row> = accreditations::table
        .filter(accreditations::tender_id.eq(tender_id.to_string()))
        .order(accreditations::id.asc())
        .select((
            accreditations::id,
            accreditations::application_id,
            accreditations::provider_id,
            accreditations::intervention_code,
            accreditations::istat_code,
            accreditations::valid_from,
            accreditations::valid_to,
            accreditations::status,
            accreditations::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, application, provider, intervention, istat, from, to, status, _)| {
            Ok(Accreditation {
                id: stored_id("accreditation id", &id)?,
                tender_id,
                application_id: stored_id("application", &application)?,
                provider_id: stored_id("provider", &provider)?,
                intervention,
                municipality: stored("istat", IstatCode::parse(&istat))?,
                valid_from: stored("valid_from", NaiveDate::parse_from_str(&from, "%Y-%m-%d"))?,
                valid_to: stored("valid_to", NaiveDate::parse_from_str(&to, "%Y-%m-%d"))?,
                status,
            })
        })
        .collect()
}
