//! Tenders: their terms, issuing authorities, amendments and questions. Loads and saves the
//! domain's `Tender` and `Question`; the rules live in `ambito_domain::tender`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::children::{Child, Children};
use crate::page::{instant_key, split_instant_key};
use crate::schema::{
    district_municipalities, interventions, organizations, tender_amendments, tender_authorities, tender_districts,
    tender_interventions, tender_municipalities, tender_questions, tender_requirements, tender_rounds, tenders,
};
use crate::stored_date;
use crate::{DbConnection, Page, Paged, StoreError, from_db, municipality, stored, to_db};
use ambito_domain::access::{QuestionScope, TenderScope};
use ambito_domain::tender::{
    Amendment, Issuance, Question, Requirement, Round, Tender, TenderIntervention, TenderKind, TenderState,
    TenderStatus, TenderTerms,
};
use ambito_domain::{
    Cents, DistrictId, FieldError, Invalid, IstatCode, OrganizationId, OrganizationKind, QuestionId, TenderId,
};
use chrono::{DateTime, Utc};

#[derive(Queryable)]
struct Row {
    id: String,
    kind: String,
    state: String,
    title: String,
    description: String,
    reference_code: Option<String>,
    responsible_official: String,
    submission_deadline: NaiveDateTime,
    clarification_deadline: NaiveDateTime,
    validity_from: String,
    validity_to: String,
    cancel_reason: Option<String>,
    published_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Checks what a call refers to against stored data: its authorities are authorities, its
/// districts and municipalities exist, its interventions are in the catalogue with the
/// catalogue's unit. Answers the issuance with the districts' municipalities merged in.
pub fn resolve(conn: &mut DbConnection, issuance: Issuance) -> Result<Issuance, StoreError> {
    let mut errors = Vec::new();
    let ids: Vec<String> = issuance.authorities.iter().map(ToString::to_string).collect();
    let kinds: Vec<(String, String)> = organizations::table
        .filter(organizations::id.eq_any(&ids))
        .select((organizations::id, organizations::kind))
        .load(conn)?;
    for (i, a) in ids.iter().enumerate() {
        if !kinds.iter().any(|(id, kind)| id == a && kind == OrganizationKind::Authority.as_str()) {
            errors.push(FieldError::new(format!("authorities.{i}"), "no authority has this id"));
        }
    }
    let mut terms = issuance.terms;
    for (i, d) in issuance.districts.iter().enumerate() {
        let members: Vec<String> = district_municipalities::table
            .filter(district_municipalities::district_id.eq(d.to_string()))
            .select(district_municipalities::istat_code)
            .load(conn)?;
        if members.is_empty() {
            errors.push(FieldError::new(format!("districts.{i}"), "no district has this id"));
        }
        for m in members {
            terms.municipalities.push(stored("istat code", IstatCode::parse(&m))?);
        }
    }
    terms.municipalities.sort();
    terms.municipalities.dedup();
    let unknown = municipality::unknown_codes(conn, &terms.municipalities)?;
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.iter().map(IstatCode::as_str).collect();
        errors.push(FieldError::new("municipalities", format!("unknown ISTAT codes: {}", list.join(", "))));
    }
    let catalogue: Vec<(String, String)> =
        interventions::table.select((interventions::code, interventions::unit)).load(conn)?;
    for (i, item) in terms.interventions.iter().enumerate() {
        match catalogue.iter().find(|(code, _)| code == item.code.as_str()) {
            None => errors.push(FieldError::new(
                format!("interventions.{i}.code"),
                format!("{} is not in the service catalogue", item.code),
            )),
            Some((_, unit)) if unit != item.unit.as_str() => errors.push(FieldError::new(
                format!("interventions.{i}.unit"),
                format!("{} is measured in {unit}", item.code),
            )),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    Ok(Issuance { terms, ..issuance })
}

fn write_terms(conn: &mut DbConnection, t: &Tender) -> Result<(), StoreError> {
    let id = t.id.to_string();
    let id = id.as_str();
    diesel::delete(tender_authorities::table.filter(tender_authorities::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_districts::table.filter(tender_districts::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_municipalities::table.filter(tender_municipalities::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_interventions::table.filter(tender_interventions::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_requirements::table.filter(tender_requirements::tender_id.eq(id))).execute(conn)?;
    let authorities: Vec<_> = t
        .authorities
        .iter()
        .enumerate()
        .map(|(i, a)| {
            (
                tender_authorities::tender_id.eq(id),
                tender_authorities::authority_id.eq(a.to_string()),
                tender_authorities::position.eq(i as i32),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(tender_authorities::table).values(&authorities).execute(c))?;
    let districts: Vec<_> = t
        .districts
        .iter()
        .map(|d| (tender_districts::tender_id.eq(id), tender_districts::district_id.eq(d.to_string())))
        .collect();
    if !districts.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_districts::table).values(&districts).execute(c))?;
    }
    let municipalities: Vec<_> = t
        .terms
        .municipalities
        .iter()
        .map(|m| (tender_municipalities::tender_id.eq(id), tender_municipalities::istat_code.eq(m.as_str())))
        .collect();
    for chunk in municipalities.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_municipalities::table).values(chunk).execute(c))?;
    }
    let items: Vec<_> = t
        .terms
        .interventions
        .iter()
        .enumerate()
        .map(|(i, item)| {
            (
                tender_interventions::tender_id.eq(id),
                tender_interventions::intervention_code.eq(item.code.as_str()),
                tender_interventions::unit.eq(item.unit.as_str()),
                tender_interventions::rate_cents.eq(item.rate.get()),
                tender_interventions::position.eq(i as i32),
            )
        })
        .collect();
    if !items.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_interventions::table).values(&items).execute(c))?;
    }
    let requirements: Vec<_> = t
        .terms
        .requirements
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                tender_requirements::tender_id.eq(id),
                tender_requirements::code.eq(r.code.as_str()),
                tender_requirements::category.eq(r.category.as_str()),
                tender_requirements::description.eq(&r.description),
                tender_requirements::document_type.eq(r.document_type.as_ref().map(|d| d.as_str())),
                tender_requirements::position.eq(i as i32),
            )
        })
        .collect();
    if !requirements.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_requirements::table).values(&requirements).execute(c))?;
    }
    Ok(())
}

/// The row of a call, as written.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = tenders, treat_none_as_null = true)]
struct Columns<'a> {
    id: String,
    kind: &'a str,
    state: &'a str,
    title: &'a str,
    description: &'a str,
    reference_code: Option<&'a str>,
    responsible_official: &'a str,
    submission_deadline: NaiveDateTime,
    clarification_deadline: NaiveDateTime,
    validity_from: String,
    validity_to: String,
    cancel_reason: Option<&'a str>,
    published_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> Columns<'a> {
    fn of(t: &'a Tender) -> Self {
        Self {
            id: t.id.to_string(),
            kind: t.terms.kind.as_str(),
            state: t.state.as_str(),
            title: &t.terms.title,
            description: &t.terms.description,
            reference_code: t.terms.reference_code.as_deref(),
            responsible_official: &t.terms.responsible_official,
            submission_deadline: to_db(t.terms.submission_deadline),
            clarification_deadline: to_db(t.terms.clarification_deadline),
            validity_from: t.terms.validity_from.to_string(),
            validity_to: t.terms.validity_to.to_string(),
            cancel_reason: t.cancel_reason.as_deref(),
            published_at: t.published_at.map(to_db),
            version: t.version,
            created_at: to_db(t.created_at),
            updated_at: to_db(t.updated_at),
        }
    }
}

fn write_rounds(conn: &mut DbConnection, t: &Tender) -> Result<(), StoreError> {
    let id = t.id.to_string();
    diesel::delete(tender_rounds::table.filter(tender_rounds::tender_id.eq(&id))).execute(conn)?;
    let rows: Vec<_> = t
        .rounds
        .iter()
        .map(|r| {
            (
                tender_rounds::tender_id.eq(&id),
                tender_rounds::number.eq(r.number as i32),
                tender_rounds::opened_at.eq(to_db(r.opened_at)),
                tender_rounds::submission_deadline.eq(to_db(r.submission_deadline)),
                tender_rounds::clarification_deadline.eq(to_db(r.clarification_deadline)),
                tender_rounds::concluded_at.eq(r.concluded_at.map(to_db)),
                tender_rounds::act_number.eq(r.act.as_ref().map(|a| a.number.as_str())),
                tender_rounds::act_date.eq(r.act.as_ref().map(|a| a.date.to_string())),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_rounds::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// Stores a new call.
pub fn insert(conn: &mut DbConnection, t: &Tender) -> Result<(), StoreError> {
    diesel::insert_into(tenders::table).values(Columns::of(t)).execute(conn)?;
    write_terms(conn, t)?;
    write_rounds(conn, t)
}

/// Saves a changed call if the stored version is still `loaded_version`; with `terms`, its
/// authorities, districts, municipalities, interventions and requirements too.
pub fn save(conn: &mut DbConnection, t: &Tender, loaded_version: i64, terms: bool) -> Result<(), StoreError> {
    let changed = diesel::update(tenders::table)
        .filter(tenders::id.eq(t.id.to_string()))
        .filter(tenders::version.eq(loaded_version))
        .set(Columns::of(t))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    write_rounds(conn, t)?;
    if terms { write_terms(conn, t) } else { Ok(()) }
}

pub fn load(conn: &mut DbConnection, id: TenderId) -> Result<Tender, StoreError> {
    let row: Row = tenders::table.filter(tenders::id.eq(id.to_string())).get_result(conn)?;
    let mut all = assemble(conn, vec![row])?;
    Ok(all.remove(0))
}

/// The issuing authorities of a call, in order: what the access policy needs to know of the
/// call of an application.
pub fn issuers(conn: &mut DbConnection, id: TenderId) -> Result<Vec<OrganizationId>, StoreError> {
    let rows: Vec<String> = tender_authorities::table
        .filter(tender_authorities::tender_id.eq(id.to_string()))
        .order(tender_authorities::position.asc())
        .select(tender_authorities::authority_id)
        .load(conn)?;
    rows.iter().map(|a| stored("authority", a.parse())).collect()
}

/// Loads a call for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: TenderId) -> Result<Tender, StoreError> {
    crate::lock_row(conn, "tenders", &id.to_string())?;
    load(conn, id)
}

/// Identifies the statement of a call's child tables in the connections' statement caches.
struct TenderChildren;

/// A call's child tables in one statement (see [`crate::children`]): authorities (`a`, with
/// their names),
/// districts (`d`), interventions (`i`), municipalities (`m`), requirements (`q`), rounds (`r`).
const CHILDREN: &[&str] = &[
    "SELECT t.tender_id, 'a', CAST(t.position AS BIGINT), t.authority_id, o.name, CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) \
     FROM tender_authorities t JOIN organizations o ON o.id = t.authority_id WHERE t.tender_id",
    "SELECT tender_id, 'd', CAST(NULL AS BIGINT), district_id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM tender_districts WHERE tender_id",
    "SELECT tender_id, 'i', CAST(position AS BIGINT), intervention_code, unit, CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), rate_cents, CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM tender_interventions WHERE tender_id",
    "SELECT tender_id, 'm', CAST(NULL AS BIGINT), istat_code, CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM tender_municipalities WHERE tender_id",
    "SELECT tender_id, 'q', CAST(position AS BIGINT), code, category, description, document_type, \
     CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM tender_requirements WHERE tender_id",
    "SELECT tender_id, 'r', CAST(number AS BIGINT), act_number, act_date, CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
     CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), opened_at, submission_deadline, clarification_deadline, \
     concluded_at FROM tender_rounds WHERE tender_id",
];

/// Loads a call with its issuing authorities' names, in order, in two statements.
pub fn load_named(
    conn: &mut DbConnection,
    id: TenderId,
) -> Result<(Tender, Vec<(OrganizationId, String)>), StoreError> {
    let row: Row = tenders::table.filter(tenders::id.eq(id.to_string())).get_result(conn)?;
    let ids = [row.id.as_str()];
    let children = Children::<TenderChildren>::new(CHILDREN, &ids).load(conn)?;
    let names = children
        .iter()
        .filter(|c| c.kind == "a")
        .map(|c| Ok((stored("authority", c.text(&c.s1, "authority")?.parse())?, c.s2.clone().unwrap_or_default())))
        .collect::<Result<_, StoreError>>()?;
    let mut all = assemble_from(vec![row], &children)?;
    Ok((all.remove(0), names))
}

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Tender>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let children = Children::<TenderChildren>::new(CHILDREN, &ids).load(conn)?;
    assemble_from(rows, &children)
}

fn assemble_from(rows: Vec<Row>, children: &[Child]) -> Result<Vec<Tender>, StoreError> {
    let of_kind = |owner: &str, kind: &'static str| {
        let owner = owner.to_owned();
        children.iter().filter(move |c| c.owner == owner && c.kind == kind)
    };
    rows.into_iter()
        .map(|r| {
            let id = r.id.clone();
            Ok(Tender {
                rounds: of_kind(&id, "r")
                    .map(|c| {
                        Ok(Round {
                            number: c
                                .n
                                .and_then(|n| u32::try_from(n).ok())
                                .ok_or_else(|| StoreError::Corrupt("round".into()))?,
                            opened_at: from_db(c.instant(c.t1, "round opening")?),
                            submission_deadline: from_db(c.instant(c.t2, "round deadline")?),
                            clarification_deadline: from_db(c.instant(c.t3, "round clarification deadline")?),
                            concluded_at: c.t4.map(from_db),
                            act: crate::measure::act(c.s1.clone(), c.s2.clone())?,
                        })
                    })
                    .collect::<Result<_, StoreError>>()?,
                id: stored("tender id", r.id.parse())?,
                state: stored("tender state", r.state.parse())?,
                authorities: of_kind(&id, "a")
                    .map(|c| stored("authority", c.text(&c.s1, "authority")?.parse()))
                    .collect::<Result<_, _>>()?,
                districts: of_kind(&id, "d")
                    .map(|c| stored("district", c.text(&c.s1, "district")?.parse::<DistrictId>()))
                    .collect::<Result<_, _>>()?,
                terms: TenderTerms {
                    kind: stored("tender kind", r.kind.parse())?,
                    title: r.title,
                    description: r.description,
                    reference_code: r.reference_code,
                    responsible_official: r.responsible_official,
                    municipalities: of_kind(&id, "m")
                        .map(|c| stored("istat code", IstatCode::parse(&c.text(&c.s1, "municipality")?)))
                        .collect::<Result<_, _>>()?,
                    interventions: of_kind(&id, "i")
                        .map(|c| {
                            Ok(TenderIntervention {
                                code: stored("intervention", c.text(&c.s1, "intervention")?.try_into())?,
                                unit: stored("unit", c.text(&c.s2, "unit")?.parse())?,
                                rate: stored(
                                    "rate",
                                    Cents::new(c.i.ok_or_else(|| StoreError::Corrupt("rate".into()))?),
                                )?,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                    requirements: of_kind(&id, "q")
                        .map(|c| {
                            Ok(Requirement {
                                code: stored("requirement", c.text(&c.s1, "requirement")?.try_into())?,
                                category: stored("category", c.text(&c.s2, "category")?.parse())?,
                                description: c.text(&c.s3, "description")?,
                                document_type: c
                                    .s4
                                    .clone()
                                    .map(|d| stored("document type", d.try_into()))
                                    .transpose()?,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                    submission_deadline: from_db(r.submission_deadline),
                    clarification_deadline: from_db(r.clarification_deadline),
                    validity_from: stored_date("validity_from", &r.validity_from)?,
                    validity_to: stored_date("validity_to", &r.validity_to)?,
                },
                cancel_reason: r.cancel_reason,
                published_at: r.published_at.map(from_db),
                version: r.version,
                created_at: from_db(r.created_at),
                updated_at: from_db(r.updated_at),
            })
        })
        .collect()
}

/// Which calls a list holds, within the caller's scope, and in which order.
#[derive(Debug, Clone, Default)]
pub struct TenderFilter {
    /// As a reader sees it: `closed` is a published call whose deadline has passed at `now`.
    pub status: Option<(TenderStatus, DateTime<Utc>)>,
    pub kind: Option<TenderKind>,
    /// Calls this authority issues (alone or jointly).
    pub authority: Option<OrganizationId>,
    /// Calls covering this municipality.
    pub municipality: Option<IstatCode>,
    /// Submission deadline at or after.
    pub deadline_from: Option<DateTime<Utc>>,
    /// Submission deadline before.
    pub deadline_to: Option<DateTime<Utc>>,
    pub sort: TenderSort,
}

/// The order of a list of calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TenderSort {
    /// Oldest first, by creation.
    #[default]
    Created,
    /// Soonest submission deadline first.
    SubmissionDeadline,
}

/// The cursor of a list sorted by deadline: the deadline and the id of the last call seen.
fn deadline_key(t: &Tender) -> String {
    instant_key(t.terms.submission_deadline, t.id)
}

/// Whether `cursor` is one a list in `sort` order gave out.
pub fn valid_cursor(sort: TenderSort, cursor: &str) -> bool {
    match sort {
        TenderSort::Created => true,
        TenderSort::SubmissionDeadline => split_instant_key(cursor).is_some(),
    }
}

pub fn list(
    conn: &mut DbConnection,
    scope: TenderScope,
    filter: &TenderFilter,
    page: &Page,
) -> Result<Paged<Tender>, StoreError> {
    let mut query = tenders::table.into_boxed();
    let public = tenders::published_at.is_not_null();
    match scope {
        TenderScope::Public => query = query.filter(public),
        TenderScope::Authority(org) => {
            let own = tender_authorities::table
                .filter(tender_authorities::authority_id.eq(org.to_string()))
                .select(tender_authorities::tender_id);
            query = query.filter(public.or(tenders::id.eq_any(own)));
        }
        TenderScope::Everything => {}
    }
    if let Some((status, now)) = filter.status {
        let published = TenderState::Published.as_str();
        query = match status {
            TenderStatus::Draft => query.filter(tenders::state.eq(TenderState::Draft.as_str())),
            TenderStatus::Published => {
                query.filter(tenders::state.eq(published)).filter(tenders::submission_deadline.gt(to_db(now)))
            }
            TenderStatus::Closed => {
                query.filter(tenders::state.eq(published)).filter(tenders::submission_deadline.le(to_db(now)))
            }
            TenderStatus::Concluded => query.filter(tenders::state.eq(TenderState::Concluded.as_str())),
            TenderStatus::Cancelled => query.filter(tenders::state.eq(TenderState::Cancelled.as_str())),
        };
    }
    if let Some(kind) = filter.kind {
        query = query.filter(tenders::kind.eq(kind.as_str()));
    }
    if let Some(authority) = filter.authority {
        let issued = tender_authorities::table
            .filter(tender_authorities::authority_id.eq(authority.to_string()))
            .select(tender_authorities::tender_id);
        query = query.filter(tenders::id.eq_any(issued));
    }
    if let Some(code) = &filter.municipality {
        let covering = tender_municipalities::table
            .filter(tender_municipalities::istat_code.eq(code.to_string()))
            .select(tender_municipalities::tender_id);
        query = query.filter(tenders::id.eq_any(covering));
    }
    if let Some(from) = filter.deadline_from {
        query = query.filter(tenders::submission_deadline.ge(to_db(from)));
    }
    if let Some(to) = filter.deadline_to {
        query = query.filter(tenders::submission_deadline.lt(to_db(to)));
    }
    let rows: Vec<Row> = match filter.sort {
        TenderSort::Created => {
            if let Some(after) = &page.after {
                query = query.filter(tenders::id.gt(after.clone()));
            }
            query.order(tenders::id.asc()).limit(page.fetch()).load(conn)?
        }
        TenderSort::SubmissionDeadline => {
            if let Some(after) = &page.after {
                let (deadline, id) =
                    split_instant_key(after).ok_or_else(|| StoreError::Corrupt("a deadline cursor".into()))?;
                query = query.filter(
                    tenders::submission_deadline
                        .gt(deadline)
                        .or(tenders::submission_deadline.eq(deadline).and(tenders::id.gt(id.to_owned()))),
                );
            }
            query.order((tenders::submission_deadline.asc(), tenders::id.asc())).limit(page.fetch()).load(conn)?
        }
    };
    let list = assemble(conn, rows)?;
    Ok(match filter.sort {
        TenderSort::Created => page.finish(list, |t| t.id.to_string()),
        TenderSort::SubmissionDeadline => page.finish(list, deadline_key),
    })
}

/// Names of organizations, for showing who issues calls.
pub fn organization_names(
    conn: &mut DbConnection,
    ids: &[OrganizationId],
) -> Result<Vec<(OrganizationId, String)>, StoreError> {
    let wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, String)> = organizations::table
        .filter(organizations::id.eq_any(&wanted))
        .select((organizations::id, organizations::name))
        .load(conn)?;
    rows.into_iter().map(|(id, name)| Ok((stored("organization id", id.parse())?, name))).collect()
}

pub fn insert_amendment(conn: &mut DbConnection, a: &Amendment) -> Result<(), StoreError> {
    diesel::insert_into(tender_amendments::table)
        .values((
            tender_amendments::id.eq(a.id.to_string()),
            tender_amendments::tender_id.eq(a.tender_id.to_string()),
            tender_amendments::reason.eq(&a.reason),
            tender_amendments::material.eq(a.material),
            tender_amendments::changes_json.eq(a.changes.to_string()),
            tender_amendments::amended_at.eq(to_db(a.amended_at)),
            tender_amendments::amended_by.eq(a.amended_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn amendments(conn: &mut DbConnection, tender_id: TenderId, page: &Page) -> Result<Paged<Amendment>, StoreError> {
    let mut query =
        tender_amendments::table.filter(tender_amendments::tender_id.eq(tender_id.to_string())).into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(tender_amendments::id.gt(after.clone()));
    }
    let rows: Vec<(String, String, bool, String, NaiveDateTime, Option<String>)> = query
        .order(tender_amendments::id.asc())
        .limit(page.fetch())
        .select((
            tender_amendments::id,
            tender_amendments::reason,
            tender_amendments::material,
            tender_amendments::changes_json,
            tender_amendments::amended_at,
            tender_amendments::amended_by,
        ))
        .load(conn)?;
    let list = rows
        .into_iter()
        .map(|(id, reason, material, changes, at, by)| {
            Ok(Amendment {
                id: stored("amendment id", id.parse())?,
                tender_id,
                reason,
                material,
                changes: stored("amendment changes", serde_json::from_str(&changes))?,
                amended_at: from_db(at),
                amended_by: by.as_deref().map(|b| stored("amended by", b.parse())).transpose()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page.finish(list, |a| a.id.to_string()))
}

type QuestionRow =
    (String, String, String, String, NaiveDateTime, Option<String>, Option<NaiveDateTime>, Option<String>, i64);

fn to_question(row: QuestionRow) -> Result<Question, StoreError> {
    let (id, tender, org, question, asked_at, answer, answered_at, answered_by, version) = row;
    Ok(Question {
        id: stored("question id", id.parse())?,
        tender_id: stored("tender id", tender.parse())?,
        asked_by: stored("asked by", org.parse())?,
        question,
        asked_at: from_db(asked_at),
        answer,
        answered_at: answered_at.map(from_db),
        answered_by: answered_by.as_deref().map(|b| stored("answered by", b.parse())).transpose()?,
        version,
    })
}

fn question_columns() -> (
    tender_questions::id,
    tender_questions::tender_id,
    tender_questions::asked_by_organization,
    tender_questions::question,
    tender_questions::asked_at,
    tender_questions::answer,
    tender_questions::answered_at,
    tender_questions::answered_by,
    tender_questions::version,
) {
    (
        tender_questions::id,
        tender_questions::tender_id,
        tender_questions::asked_by_organization,
        tender_questions::question,
        tender_questions::asked_at,
        tender_questions::answer,
        tender_questions::answered_at,
        tender_questions::answered_by,
        tender_questions::version,
    )
}

pub fn insert_question(conn: &mut DbConnection, q: &Question) -> Result<(), StoreError> {
    diesel::insert_into(tender_questions::table)
        .values((
            tender_questions::id.eq(q.id.to_string()),
            tender_questions::tender_id.eq(q.tender_id.to_string()),
            tender_questions::asked_by_organization.eq(q.asked_by.to_string()),
            tender_questions::question.eq(&q.question),
            tender_questions::asked_at.eq(to_db(q.asked_at)),
            tender_questions::version.eq(q.version),
        ))
        .execute(conn)?;
    Ok(())
}

/// A question of a call; `NotFound` when it belongs to another call.
pub fn load_question(conn: &mut DbConnection, tender_id: TenderId, id: QuestionId) -> Result<Question, StoreError> {
    to_question(
        tender_questions::table
            .filter(tender_questions::id.eq(id.to_string()))
            .filter(tender_questions::tender_id.eq(tender_id.to_string()))
            .select(question_columns())
            .get_result(conn)?,
    )
}

/// Loads a question of a call for a change, locking its row (see [`lock`]).
pub fn lock_question(conn: &mut DbConnection, tender_id: TenderId, id: QuestionId) -> Result<Question, StoreError> {
    let query = tender_questions::table
        .filter(tender_questions::id.eq(id.to_string()))
        .filter(tender_questions::tender_id.eq(tender_id.to_string()))
        .select(question_columns());
    let row: QuestionRow = match conn {
        DbConnection::Postgresql(c) => query.for_update().get_result(c)?,
        DbConnection::Sqlite(c) => query.get_result(c)?,
    };
    to_question(row)
}

pub fn save_question(conn: &mut DbConnection, q: &Question, loaded_version: i64) -> Result<(), StoreError> {
    let changed = diesel::update(tender_questions::table)
        .filter(tender_questions::id.eq(q.id.to_string()))
        .filter(tender_questions::version.eq(loaded_version))
        .set((
            tender_questions::answer.eq(&q.answer),
            tender_questions::answered_at.eq(q.answered_at.map(to_db)),
            tender_questions::answered_by.eq(q.answered_by.map(|u| u.to_string())),
            tender_questions::version.eq(q.version),
        ))
        .execute(conn)?;
    if changed == 0 { Err(StoreError::Stale) } else { Ok(()) }
}

/// The questions of a call that `scope` shows, oldest first.
pub fn questions(
    conn: &mut DbConnection,
    tender_id: TenderId,
    scope: QuestionScope,
    page: &Page,
) -> Result<Paged<Question>, StoreError> {
    let mut query = tender_questions::table.filter(tender_questions::tender_id.eq(tender_id.to_string())).into_boxed();
    if let QuestionScope::AnsweredOrAskedBy(asker) = scope {
        let asked = tender_questions::asked_by_organization.eq(asker.map(|a| a.to_string()).unwrap_or_default());
        query = query.filter(tender_questions::answer.is_not_null().or(asked));
    }
    if let Some(after) = &page.after {
        query = query.filter(tender_questions::id.gt(after.clone()));
    }
    let rows: Vec<QuestionRow> =
        query.order(tender_questions::id.asc()).limit(page.fetch()).select(question_columns()).load(conn)?;
    let list = rows.into_iter().map(to_question).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |q| q.id.to_string()))
}
