//! Organizations: authorities, providers, municipalities and the platform operator.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::organizations;
use crate::{DbConnection, Origin, Page, Paged, Snapshots, StoreError, from_db, outbox, stored, to_db};
use ambito_domain::event::DirectoryEvent;
use ambito_domain::{
    CodiceFiscale, EmailAddress, Invalid, IstatCode, Name, NewOrganization, OrganizationId, OrganizationKind,
    PartitaIva,
};

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: OrganizationId,
    pub kind: OrganizationKind,
    pub name: String,
    pub codice_fiscale: Option<CodiceFiscale>,
    pub partita_iva: Option<PartitaIva>,
    pub pec: Option<EmailAddress>,
    pub istat_code: Option<IstatCode>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
struct Row {
    id: String,
    kind: String,
    name: String,
    codice_fiscale: Option<String>,
    partita_iva: Option<String>,
    pec: Option<String>,
    istat_code: Option<String>,
    active: bool,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn from_record(o: &Organization) -> Self {
        Self {
            id: o.id.to_string(),
            kind: o.kind.as_str().to_owned(),
            name: o.name.clone(),
            codice_fiscale: o.codice_fiscale.as_ref().map(|v| v.to_string()),
            partita_iva: o.partita_iva.as_ref().map(|v| v.to_string()),
            pec: o.pec.as_ref().map(|v| v.to_string()),
            istat_code: o.istat_code.as_ref().map(|v| v.to_string()),
            active: o.active,
            version: o.version,
            created_at: to_db(o.created_at),
            updated_at: to_db(o.updated_at),
        }
    }

    fn into_record(self) -> Result<Organization, StoreError> {
        Ok(Organization {
            id: stored("organization id", self.id.parse())?,
            kind: stored("organization kind", self.kind.parse())?,
            name: self.name,
            codice_fiscale: self
                .codice_fiscale
                .map(|v| stored("codice fiscale", CodiceFiscale::parse(&v)))
                .transpose()?,
            partita_iva: self.partita_iva.map(|v| stored("partita iva", PartitaIva::parse(&v))).transpose()?,
            pec: self.pec.map(|v| stored("pec", EmailAddress::parse(&v))).transpose()?,
            istat_code: self.istat_code.map(|v| stored("istat code", IstatCode::parse(&v))).transpose()?,
            active: self.active,
            version: self.version,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
        })
    }
}

pub fn create(conn: &mut DbConnection, origin: &Origin, new: &NewOrganization) -> Result<Organization, StoreError> {
    if let Some(code) = &new.istat_code {
        if !crate::municipality::unknown_codes(conn, std::slice::from_ref(code))?.is_empty() {
            return Err(Invalid::one("istat_code", format!("no municipality has ISTAT code {code}")).into());
        }
        let taken: i64 =
            organizations::table.filter(organizations::istat_code.eq(code.as_str())).count().get_result(conn)?;
        if taken > 0 {
            return Err(StoreError::Conflict(format!("the municipality {code} already has an organization")));
        }
    }
    if let Some(cf) = &new.codice_fiscale {
        let taken: i64 =
            organizations::table.filter(organizations::codice_fiscale.eq(cf.as_str())).count().get_result(conn)?;
        if taken > 0 {
            return Err(StoreError::Conflict(format!("an organization with codice fiscale {cf} already exists")));
        }
    }
    let now = crate::now();
    let org = Organization {
        id: OrganizationId::new(),
        kind: new.kind,
        name: new.name.as_str().to_owned(),
        codice_fiscale: new.codice_fiscale.clone(),
        partita_iva: new.partita_iva.clone(),
        pec: new.pec.clone(),
        istat_code: new.istat_code.clone(),
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(organizations::table).values(Row::from_record(&org)).execute(conn)?;
    let event = DirectoryEvent::OrganizationCreated { organization_id: org.id, kind: org.kind };
    outbox::record(conn, origin, now, &event, Snapshots::created(&org))?;
    Ok(org)
}

pub fn get(conn: &mut DbConnection, id: OrganizationId) -> Result<Organization, StoreError> {
    organizations::table.filter(organizations::id.eq(id.to_string())).get_result::<Row>(conn)?.into_record()
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    pub kind: Option<OrganizationKind>,
    /// Restricts the list to one organization: the caller's own, for everyone but admins.
    pub only: Option<OrganizationId>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrganizationFilter,
    page: &Page,
) -> Result<Paged<Organization>, StoreError> {
    let mut query = organizations::table.into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    if let Some(id) = filter.only {
        query = query.filter(organizations::id.eq(id.to_string()));
    }
    if let Some(after) = &page.after {
        query = query.filter(organizations::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(organizations::id.asc()).limit(page.fetch()).load(conn)?;
    let orgs = rows.into_iter().map(Row::into_record).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(orgs, |o| o.id.to_string()))
}

/// The fields staff may change after creation; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrganizationPatch {
    pub name: Option<Name>,
    pub pec: Option<EmailAddress>,
    pub active: Option<bool>,
}

/// Applies `patch` to an organization as it was read (`before`), if its stored version is still
/// the one read.
pub fn update(
    conn: &mut DbConnection,
    origin: &Origin,
    before: Organization,
    patch: &OrganizationPatch,
) -> Result<Organization, StoreError> {
    let id = before.id;
    let mut after = before.clone();
    if let Some(name) = &patch.name {
        after.name = name.as_str().to_owned();
    }
    if let Some(pec) = &patch.pec {
        after.pec = Some(pec.clone());
    }
    if let Some(active) = patch.active {
        after.active = active;
    }
    after.version += 1;
    after.updated_at = crate::now();
    let changed = diesel::update(organizations::table)
        .filter(organizations::id.eq(id.to_string()))
        .filter(organizations::version.eq(before.version))
        .set(Row::from_record(&after))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    let event = DirectoryEvent::OrganizationUpdated { organization_id: id };
    outbox::record(conn, origin, after.updated_at, &event, Snapshots::changed(&before, &after))?;
    Ok(after)
}

/// Finds an organization by its codice fiscale (demo data uses it to stay idempotent).
pub fn find_by_codice_fiscale(conn: &mut DbConnection, cf: &CodiceFiscale) -> Result<Option<Organization>, StoreError> {
    organizations::table
        .filter(organizations::codice_fiscale.eq(cf.as_str()))
        .get_result::<Row>(conn)
        .optional()?
        .map(Row::into_record)
        .transpose()
}

pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(organizations::table.count().get_result(conn)?)
}

/// The platform operator's organization, created on first need.
pub fn platform(conn: &mut DbConnection, origin: &Origin) -> Result<Organization, StoreError> {
    let existing = organizations::table
        .filter(organizations::kind.eq(OrganizationKind::Platform.as_str()))
        .order(organizations::id.asc())
        .first::<Row>(conn)
        .optional()?;
    match existing {
        Some(row) => row.into_record(),
        None => {
            let new = NewOrganization::parse(
                OrganizationKind::Platform,
                ambito_domain::OrganizationFields { name: "Ambito platform", ..Default::default() },
            )?;
            create(conn, origin, &new)
        }
    }
}
