//! Tenders: their terms, issuing authorities, coverage, amendments, and questions.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::schema::{
    district_municipalities, interventions, organizations, tender_amendments, tender_authorities, tender_districts,
    tender_interventions, tender_municipalities, tender_questions, tender_requirements, tenders,
};
use crate::{Actor, DbConnection, Page, Paged, StoreError, audit, from_db, municipality, stored, stored_id, to_db};
use ambito_domain::tender::{Requirement, TenderIntervention, TenderKind, TenderState, TenderStatus, TenderTerms};
use ambito_domain::{Cents, Invalid, IstatCode, OrganizationKind};

#[derive(Debug, Clone, Serialize)]
pub struct Tender {
    pub id: Uuid,
    pub state: TenderState,
    /// Issuing authorities; the first receives the submissions and numbers them.
    pub authorities: Vec<Uuid>,
    pub districts: Vec<Uuid>,
    pub terms: TenderTerms,
    pub cancel_reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Tender {
    pub fn status(&self, now: DateTime<Utc>) -> TenderStatus {
        self.state.status(self.terms.submission_deadline, now)
    }

    pub fn lead_authority(&self) -> Uuid {
        self.authorities[0]
    }

    pub fn is_issued_by(&self, organization: Uuid) -> bool {
        self.authorities.contains(&organization)
    }
}

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

/// A call as staff propose it: its terms, who issues it, and the districts it covers (their
/// municipalities are added to the terms' own).
pub struct NewTender {
    pub authorities: Vec<Uuid>,
    pub districts: Vec<Uuid>,
    pub terms: TenderTerms,
}

fn date(what: &str, s: &str) -> Result<NaiveDate, StoreError> {
    stored(what, NaiveDate::parse_from_str(s, "%Y-%m-%d"))
}

/// Checks references against stored data and returns the terms with the districts'
/// municipalities merged in.
fn resolve(conn: &mut DbConnection, new: &NewTender) -> Result<TenderTerms, StoreError> {
    let mut errors = Vec::new();
    if new.authorities.is_empty() {
        errors.push(ambito_domain::FieldError::new("authorities", "at least one issuing authority"));
    }
    for (i, a) in new.authorities.iter().enumerate() {
        match crate::organization::get(conn, *a) {
            Ok(org) if org.kind == OrganizationKind::Authority => {}
            Ok(_) | Err(StoreError::NotFound) => {
                errors.push(ambito_domain::FieldError::new(format!("authorities.{i}"), "no authority has this id"))
            }
            Err(e) => return Err(e),
        }
    }
    let mut terms = new.terms.clone();
    for (i, d) in new.districts.iter().enumerate() {
        let members: Vec<String> = district_municipalities::table
            .filter(district_municipalities::district_id.eq(d.to_string()))
            .select(district_municipalities::istat_code)
            .load(conn)?;
        if members.is_empty() {
            errors.push(ambito_domain::FieldError::new(format!("districts.{i}"), "no district has this id"));
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
        errors.push(ambito_domain::FieldError::new(
            "municipalities",
            format!("unknown ISTAT codes: {}", list.join(", ")),
        ));
    }
    let catalogue: Vec<(String, String)> =
        interventions::table.select((interventions::code, interventions::unit)).load(conn)?;
    for (i, item) in terms.interventions.iter().enumerate() {
        match catalogue.iter().find(|(code, _)| *code == item.code) {
            None => errors.push(ambito_domain::FieldError::new(
                format!("interventions.{i}.code"),
                format!("{} is not in the service catalogue", item.code),
            )),
            Some((_, unit)) if unit != item.unit.as_str() => errors.push(ambito_domain::FieldError::new(
                format!("interventions.{i}.unit"),
                format!("{} is measured in {unit}", item.code),
            )),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    Ok(terms)
}

fn write_terms(conn: &mut DbConnection, id: &str, new: &NewTender, terms: &TenderTerms) -> Result<(), StoreError> {
    diesel::delete(tender_authorities::table.filter(tender_authorities::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_districts::table.filter(tender_districts::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_municipalities::table.filter(tender_municipalities::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_interventions::table.filter(tender_interventions::tender_id.eq(id))).execute(conn)?;
    diesel::delete(tender_requirements::table.filter(tender_requirements::tender_id.eq(id))).execute(conn)?;
    let authorities: Vec<_> = new
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
    let districts: Vec<_> = new
        .districts
        .iter()
        .map(|d| (tender_districts::tender_id.eq(id), tender_districts::district_id.eq(d.to_string())))
        .collect();
    if !districts.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_districts::table).values(&districts).execute(c))?;
    }
    let municipalities: Vec<_> = terms
        .municipalities
        .iter()
        .map(|m| (tender_municipalities::tender_id.eq(id), tender_municipalities::istat_code.eq(m.as_str())))
        .collect();
    for chunk in municipalities.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_municipalities::table).values(chunk).execute(c))?;
    }
    let items: Vec<_> = terms
        .interventions
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                tender_interventions::tender_id.eq(id),
                tender_interventions::intervention_code.eq(&t.code),
                tender_interventions::unit.eq(t.unit.as_str()),
                tender_interventions::rate_cents.eq(t.rate.get()),
                tender_interventions::position.eq(i as i32),
            )
        })
        .collect();
    if !items.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_interventions::table).values(&items).execute(c))?;
    }
    let requirements: Vec<_> = terms
        .requirements
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                tender_requirements::tender_id.eq(id),
                tender_requirements::code.eq(&r.code),
                tender_requirements::category.eq(r.category.as_str()),
                tender_requirements::description.eq(&r.description),
                tender_requirements::document_type.eq(&r.document_type),
                tender_requirements::position.eq(i as i32),
            )
        })
        .collect();
    if !requirements.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(tender_requirements::table).values(&requirements).execute(c))?;
    }
    Ok(())
}

pub fn create(conn: &mut DbConnection, actor: &Actor, new: &NewTender) -> Result<Tender, StoreError> {
    new.terms.check()?;
    let terms = resolve(conn, new)?;
    let id = Uuid::now_v7();
    let now = to_db(crate::now());
    diesel::insert_into(tenders::table)
        .values((
            tenders::id.eq(id.to_string()),
            tenders::kind.eq(terms.kind.as_str()),
            tenders::state.eq(TenderState::Draft.as_str()),
            tenders::title.eq(terms.title.trim()),
            tenders::description.eq(&terms.description),
            tenders::reference_code.eq(&terms.reference_code),
            tenders::responsible_official.eq(terms.responsible_official.trim()),
            tenders::submission_deadline.eq(to_db(terms.submission_deadline)),
            tenders::clarification_deadline.eq(to_db(terms.clarification_deadline)),
            tenders::validity_from.eq(terms.validity_from.to_string()),
            tenders::validity_to.eq(terms.validity_to.to_string()),
            tenders::version.eq(1),
            tenders::created_at.eq(now),
            tenders::updated_at.eq(now),
        ))
        .execute(conn)?;
    write_terms(conn, &id.to_string(), new, &terms)?;
    let tender = get(conn, id)?;
    audit::record(conn, actor, "tender.created", "tender", &id.to_string(), None::<&()>, Some(&tender))?;
    Ok(tender)
}

/// Replaces the terms of a draft, if the stored version is still `expected_version`.
pub fn replace_terms(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    new: &NewTender,
) -> Result<Tender, StoreError> {
    let before = get(conn, id)?;
    new.terms.check()?;
    let terms = resolve(conn, new)?;
    if before.version != expected_version {
        return Err(StoreError::Stale);
    }
    let changed = diesel::update(tenders::table)
        .filter(tenders::id.eq(id.to_string()))
        .filter(tenders::version.eq(expected_version))
        .set((
            tenders::kind.eq(terms.kind.as_str()),
            tenders::title.eq(terms.title.trim()),
            tenders::description.eq(&terms.description),
            tenders::reference_code.eq(&terms.reference_code),
            tenders::responsible_official.eq(terms.responsible_official.trim()),
            tenders::submission_deadline.eq(to_db(terms.submission_deadline)),
            tenders::clarification_deadline.eq(to_db(terms.clarification_deadline)),
            tenders::validity_from.eq(terms.validity_from.to_string()),
            tenders::validity_to.eq(terms.validity_to.to_string()),
            tenders::version.eq(expected_version + 1),
            tenders::updated_at.eq(to_db(crate::now())),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    write_terms(conn, &id.to_string(), new, &terms)?;
    let after = get(conn, id)?;
    audit::record(conn, actor, "tender.updated", "tender", &id.to_string(), Some(&before), Some(&after))?;
    Ok(after)
}

/// A change of stored state, with what goes with it.
pub enum Transition {
    Publish,
    Cancel { reason: String },
    Conclude,
}

pub fn transition(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    transition: Transition,
) -> Result<Tender, StoreError> {
    let before = get(conn, id)?;
    if before.version != expected_version {
        return Err(StoreError::Stale);
    }
    let now = to_db(crate::now());
    let (state, action) = match &transition {
        Transition::Publish => (TenderState::Published, "tender.published"),
        Transition::Cancel { .. } => (TenderState::Cancelled, "tender.cancelled"),
        Transition::Conclude => (TenderState::Concluded, "tender.concluded"),
    };
    let target = tenders::table.filter(tenders::id.eq(id.to_string())).filter(tenders::version.eq(expected_version));
    let base =
        (tenders::state.eq(state.as_str()), tenders::version.eq(expected_version + 1), tenders::updated_at.eq(now));
    let changed = match transition {
        Transition::Publish => diesel::update(target).set((base, tenders::published_at.eq(now))).execute(conn)?,
        Transition::Cancel { reason } => {
            diesel::update(target).set((base, tenders::cancel_reason.eq(reason.as_str()))).execute(conn)?
        }
        Transition::Conclude => diesel::update(target).set(base).execute(conn)?,
    };
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    let after = get(conn, id)?;
    audit::record(conn, actor, action, "tender", &id.to_string(), Some(&before), Some(&after))?;
    Ok(after)
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Tender, StoreError> {
    let row: Row = tenders::table.find(id.to_string()).first(conn)?;
    let mut all = assemble(conn, vec![row])?;
    Ok(all.remove(0))
}

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Tender>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let authorities: Vec<(String, String)> = tender_authorities::table
        .filter(tender_authorities::tender_id.eq_any(&ids))
        .order((tender_authorities::tender_id, tender_authorities::position))
        .select((tender_authorities::tender_id, tender_authorities::authority_id))
        .load(conn)?;
    let districts: Vec<(String, String)> =
        tender_districts::table.filter(tender_districts::tender_id.eq_any(&ids)).load(conn)?;
    let municipalities: Vec<(String, String)> = tender_municipalities::table
        .filter(tender_municipalities::tender_id.eq_any(&ids))
        .order((tender_municipalities::tender_id, tender_municipalities::istat_code))
        .load(conn)?;
    let items: Vec<(String, String, String, i64)> = tender_interventions::table
        .filter(tender_interventions::tender_id.eq_any(&ids))
        .order((tender_interventions::tender_id, tender_interventions::position))
        .select((
            tender_interventions::tender_id,
            tender_interventions::intervention_code,
            tender_interventions::unit,
            tender_interventions::rate_cents,
        ))
        .load(conn)?;
    let requirements: Vec<(String, String, String, String, Option<String>)> = tender_requirements::table
        .filter(tender_requirements::tender_id.eq_any(&ids))
        .order((tender_requirements::tender_id, tender_requirements::position))
        .select((
            tender_requirements::tender_id,
            tender_requirements::code,
            tender_requirements::category,
            tender_requirements::description,
            tender_requirements::document_type,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let of = |t: &String| *t == r.id;
            Ok(Tender {
                id: stored_id("tender id", &r.id)?,
                state: stored("tender state", r.state.parse())?,
                authorities: authorities
                    .iter()
                    .filter(|(t, _)| of(t))
                    .map(|(_, a)| stored_id("authority", a))
                    .collect::<Result<_, _>>()?,
                districts: districts
                    .iter()
                    .filter(|(t, _)| of(t))
                    .map(|(_, d)| stored_id("district", d))
                    .collect::<Result<_, _>>()?,
                terms: TenderTerms {
                    kind: stored::<TenderKind, _>("tender kind", r.kind.parse())?,
                    title: r.title,
                    description: r.description,
                    reference_code: r.reference_code,
                    responsible_official: r.responsible_official,
                    municipalities: municipalities
                        .iter()
                        .filter(|(t, _)| of(t))
                        .map(|(_, m)| stored("istat code", IstatCode::parse(m)))
                        .collect::<Result<_, _>>()?,
                    interventions: items
                        .iter()
                        .filter(|(t, ..)| of(t))
                        .map(|(_, code, unit, rate)| {
                            Ok(TenderIntervention {
                                code: code.clone(),
                                unit: stored("unit", unit.parse())?,
                                rate: stored("rate", Cents::new(*rate))?,
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                    requirements: requirements
                        .iter()
                        .filter(|(t, ..)| of(t))
                        .map(|(_, code, category, description, document_type)| {
                            Ok(Requirement {
                                code: code.clone(),
                                category: stored("category", category.parse())?,
                                description: description.clone(),
                                document_type: document_type.clone(),
                            })
                        })
                        .collect::<Result<_, StoreError>>()?,
                    submission_deadline: from_db(r.submission_deadline),
                    clarification_deadline: from_db(r.clarification_deadline),
                    validity_from: date("validity_from", &r.validity_from)?,
                    validity_to: date("validity_to", &r.validity_to)?,
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

/// Which calls a reader may list.
#[derive(Debug, Clone, Copy)]
pub enum TenderScope {
    /// Published calls (open, closed or concluded) and cancelled ones that had been published.
    Public,
    /// Public calls and every call, drafts included, that this authority issues.
    Authority(Uuid),
    Everything,
}

pub fn list(conn: &mut DbConnection, scope: TenderScope, page: &Page) -> Result<Paged<Tender>, StoreError> {
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
    if let Some(after) = &page.after {
        query = query.filter(tenders::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(tenders::id.asc()).limit(page.fetch()).load(conn)?;
    let list = assemble(conn, rows)?;
    Ok(page.finish(list, |t| t.id.to_string()))
}

#[derive(Debug, Clone, Serialize)]
pub struct Amendment {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub reason: String,
    pub material: bool,
    pub changes: serde_json::Value,
    pub amended_at: DateTime<Utc>,
    pub amended_by: Option<Uuid>,
}

/// What an amendment may change after publication.
#[derive(Debug, Clone, Default)]
pub struct AmendedTerms {
    pub description: Option<String>,
    pub submission_deadline: Option<DateTime<Utc>>,
    pub clarification_deadline: Option<DateTime<Utc>>,
}

/// Records an amendment and applies it. A material one (or one that moves a deadline) marks
/// every submitted application as needing its provider's confirmation.
pub fn amend(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    reason: &str,
    material: bool,
    changes: &AmendedTerms,
) -> Result<(Tender, Amendment), StoreError> {
    let before = get(conn, id)?;
    let mut terms = before.terms.clone();
    let mut changed = serde_json::Map::new();
    let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            changed.insert(field.to_owned(), serde_json::json!({"before": old, "after": new}));
        }
    };
    if let Some(d) = &changes.description {
        note("description", terms.description.clone().into(), d.clone().into());
        terms.description = d.clone();
    }
    if let Some(d) = changes.submission_deadline {
        note("submission_deadline", serde_json::json!(terms.submission_deadline), serde_json::json!(d));
        terms.submission_deadline = d;
    }
    if let Some(d) = changes.clarification_deadline {
        note("clarification_deadline", serde_json::json!(terms.clarification_deadline), serde_json::json!(d));
        terms.clarification_deadline = d;
    }
    if changed.is_empty() {
        return Err(Invalid::one("changes", "the amendment changes nothing").into());
    }
    terms.check()?;
    if before.version != expected_version {
        return Err(StoreError::Stale);
    }
    let material = material || changed.contains_key("submission_deadline");
    let updated = diesel::update(tenders::table)
        .filter(tenders::id.eq(id.to_string()))
        .filter(tenders::version.eq(expected_version))
        .set((
            tenders::description.eq(&terms.description),
            tenders::submission_deadline.eq(to_db(terms.submission_deadline)),
            tenders::clarification_deadline.eq(to_db(terms.clarification_deadline)),
            tenders::version.eq(expected_version + 1),
            tenders::updated_at.eq(to_db(crate::now())),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::Stale);
    }
    let amendment = Amendment {
        id: Uuid::now_v7(),
        tender_id: id,
        reason: reason.to_owned(),
        material,
        changes: serde_json::Value::Object(changed),
        amended_at: crate::now(),
        amended_by: actor.user_id,
    };
    diesel::insert_into(tender_amendments::table)
        .values((
            tender_amendments::id.eq(amendment.id.to_string()),
            tender_amendments::tender_id.eq(id.to_string()),
            tender_amendments::reason.eq(reason),
            tender_amendments::material.eq(material),
            tender_amendments::changes_json.eq(amendment.changes.to_string()),
            tender_amendments::amended_at.eq(to_db(amendment.amended_at)),
            tender_amendments::amended_by.eq(actor.user_id.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    if material {
        crate::application::require_confirmation(conn, id)?;
    }
    let after = get(conn, id)?;
    audit::record(conn, actor, "tender.amended", "tender", &id.to_string(), Some(&before), Some(&after))?;
    Ok((after, amendment))
}

pub fn amendments(conn: &mut DbConnection, tender_id: Uuid) -> Result<Vec<Amendment>, StoreError> {
    let rows: Vec<(String, String, bool, String, NaiveDateTime, Option<String>)> = tender_amendments::table
        .filter(tender_amendments::tender_id.eq(tender_id.to_string()))
        .order(tender_amendments::id.asc())
        .select((
            tender_amendments::id,
            tender_amendments::reason,
            tender_amendments::material,
            tender_amendments::changes_json,
            tender_amendments::amended_at,
            tender_amendments::amended_by,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, reason, material, changes, at, by)| {
            Ok(Amendment {
                id: stored_id("amendment id", &id)?,
                tender_id,
                reason,
                material,
                changes: stored("amendment changes", serde_json::from_str(&changes))?,
                amended_at: from_db(at),
                amended_by: by.as_deref().map(|b| stored_id("amended by", b)).transpose()?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: Uuid,
    pub tender_id: Uuid,
    /// Kept for access checks; never shown to others.
    #[serde(skip)]
    pub asked_by_organization: Uuid,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

type QuestionRow = (String, String, String, String, NaiveDateTime, Option<String>, Option<NaiveDateTime>);

fn to_question(row: QuestionRow) -> Result<Question, StoreError> {
    let (id, tender, org, question, asked_at, answer, answered_at) = row;
    Ok(Question {
        id: stored_id("question id", &id)?,
        tender_id: stored_id("tender id", &tender)?,
        asked_by_organization: stored_id("asked by", &org)?,
        question,
        asked_at: from_db(asked_at),
        answer,
        answered_at: answered_at.map(from_db),
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
) {
    (
        tender_questions::id,
        tender_questions::tender_id,
        tender_questions::asked_by_organization,
        tender_questions::question,
        tender_questions::asked_at,
        tender_questions::answer,
        tender_questions::answered_at,
    )
}

pub fn ask(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: Uuid,
    organization: Uuid,
    question: &str,
    now: DateTime<Utc>,
) -> Result<Question, StoreError> {
    let q = Question {
        id: Uuid::now_v7(),
        tender_id,
        asked_by_organization: organization,
        question: question.to_owned(),
        asked_at: now,
        answer: None,
        answered_at: None,
    };
    diesel::insert_into(tender_questions::table)
        .values((
            tender_questions::id.eq(q.id.to_string()),
            tender_questions::tender_id.eq(tender_id.to_string()),
            tender_questions::asked_by_organization.eq(organization.to_string()),
            tender_questions::question.eq(question),
            tender_questions::asked_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    audit::record(conn, actor, "tender.question_asked", "tender_question", &q.id.to_string(), None::<&()>, Some(&q))?;
    Ok(q)
}

pub fn question(conn: &mut DbConnection, id: Uuid) -> Result<Question, StoreError> {
    to_question(tender_questions::table.find(id.to_string()).select(question_columns()).first(conn)?)
}

pub fn answer(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Question, StoreError> {
    let before = question(conn, id)?;
    diesel::update(tender_questions::table.find(id.to_string()))
        .set((
            tender_questions::answer.eq(text),
            tender_questions::answered_at.eq(to_db(now)),
            tender_questions::answered_by.eq(actor.user_id.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    let after = question(conn, id)?;
    audit::record(
        conn,
        actor,
        "tender.question_answered",
        "tender_question",
        &id.to_string(),
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// The questions of a call: answered ones for everyone; unanswered ones only for staff
/// (`all`) or the organization that asked them.
pub fn questions(
    conn: &mut DbConnection,
    tender_id: Uuid,
    all: bool,
    asker: Option<Uuid>,
) -> Result<Vec<Question>, StoreError> {
    let rows: Vec<QuestionRow> = tender_questions::table
        .filter(tender_questions::tender_id.eq(tender_id.to_string()))
        .order(tender_questions::id.asc())
        .select(question_columns())
        .load(conn)?;
    let list = rows.into_iter().map(to_question).collect::<Result<Vec<_>, _>>()?;
    Ok(list.into_iter().filter(|q| all || q.answer.is_some() || Some(q.asked_by_organization) == asker).collect())
}

/// Names of the issuing authorities, in order.
pub fn authority_names(conn: &mut DbConnection, tender: &Tender) -> Result<Vec<(Uuid, String)>, StoreError> {
    let ids: Vec<String> = tender.authorities.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String)> = organizations::table
        .filter(organizations::id.eq_any(&ids))
        .select((organizations::id, organizations::name))
        .load(conn)?;
    tender
        .authorities
        .iter()
        .map(|a| {
            let name = rows.iter().find(|(id, _)| *id == a.to_string()).map(|(_, n)| n.clone()).unwrap_or_default();
            Ok((*a, name))
        })
        .collect()
}
