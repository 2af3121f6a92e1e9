//! Demo data: the two authorities of the seed calls with their districts, a few providers and
//! municipalities, one account per role, and the two seed calls as they went. Loaded by
//! `seed-demo`, and on the first start in demo mode. Identifiers are fictitious, with valid
//! check digits.

mod calls;

use ambito_domain::{Actor, DistrictId, Name, NewOrganization, OrganizationFields, OrganizationKind, Password, Role};
use ambito_persistence::district::{self, NewDistrict};
use ambito_persistence::user::{self, NewUser, UserKind};
use ambito_persistence::{Db, DbConnection, Origin, StoreError, municipality, organization};
use chrono::{DateTime, Utc};

use crate::auth::{hash_now, random_secret};
use crate::error::ApiError;

/// Casalasco district, as DESIGN.md lists it from public sources.
const CASALASCO: &[&str] = &[
    "Calvatone",
    "Casalmaggiore",
    "Casteldidone",
    "Cingia de' Botti",
    "Gussola",
    "Isola Dovarese",
    "Martignana di Po",
    "Motta Baluffi",
    "Piadena Drizzona",
    "Rivarolo del Re ed Uniti",
    "San Giovanni in Croce",
    "San Martino del Lago",
    "Scandolara Ravara",
    "Solarolo Rainerio",
    "Spineda",
    "Tornata",
    "Torre de' Picenardi",
    "Torricella del Pizzo",
    "Voltido",
];

/// Cremonese district: Cremona and the surrounding municipalities of the province.
const CREMONESE: &[&str] = &[
    "Cremona",
    "Acquanegra Cremonese",
    "Annicco",
    "Azzanello",
    "Bonemerse",
    "Bordolano",
    "Cappella Cantone",
    "Cappella de' Picenardi",
    "Casalbuttano ed Uniti",
    "Castelverde",
    "Castelvisconti",
    "Cella Dati",
    "Cicognolo",
    "Corte de' Cortesi con Cignone",
    "Corte de' Frati",
    "Crotta d'Adda",
    "Derovere",
    "Formigara",
    "Gabbioneta-Binanuova",
    "Gadesco-Pieve Delmona",
    "Gerre de' Caprioli",
    "Grontardo",
    "Grumello Cremonese ed Uniti",
    "Malagnino",
    "Olmeneta",
    "Ostiano",
    "Paderno Ponchielli",
    "Persico Dosimo",
    "Pescarolo ed Uniti",
    "Pessina Cremonese",
    "Pieve d'Olmi",
    "Pieve San Giacomo",
    "Pizzighettone",
    "Pozzaglio ed Uniti",
    "Robecco d'Oglio",
    "San Bassano",
    "San Daniele Po",
    "Scandolara Ripa d'Oglio",
    "Sesto ed Uniti",
    "Soresina",
    "Sospiro",
    "Spinadesco",
    "Stagno Lombardo",
    "Vescovato",
    "Volongo",
];

struct DemoOrg {
    kind: OrganizationKind,
    name: &'static str,
    codice_fiscale: Option<&'static str>,
    pec: Option<&'static str>,
    istat_code: Option<&'static str>,
    login: &'static str,
    person: &'static str,
}

const ORGANIZATIONS: &[DemoOrg] = &[
    DemoOrg {
        kind: OrganizationKind::Authority,
        name: "Azienda Sociale Cremonese",
        codice_fiscale: Some("90000000019"),
        pec: Some("asc.demo@pec.example.it"),
        istat_code: None,
        login: "staff@asc.demo",
        person: "Operatore ASC",
    },
    DemoOrg {
        kind: OrganizationKind::Authority,
        name: "Consorzio Casalasco Servizi Sociali",
        codice_fiscale: Some("90000000027"),
        pec: Some("concass.demo@pec.example.it"),
        istat_code: None,
        login: "staff@concass.demo",
        person: "Operatore CONCASS",
    },
    DemoOrg {
        kind: OrganizationKind::Provider,
        name: "Cooperativa Sociale Demo Uno",
        codice_fiscale: Some("00000001016"),
        pec: Some("coop-uno.demo@pec.example.it"),
        istat_code: None,
        login: "operatore@coop-uno.demo",
        person: "Referente Coop Uno",
    },
    DemoOrg {
        kind: OrganizationKind::Provider,
        name: "Cooperativa Sociale Demo Due",
        codice_fiscale: Some("00000001024"),
        pec: Some("coop-due.demo@pec.example.it"),
        istat_code: None,
        login: "operatore@coop-due.demo",
        person: "Referente Coop Due",
    },
    DemoOrg {
        kind: OrganizationKind::Municipality,
        name: "Comune di Cremona",
        codice_fiscale: None,
        pec: None,
        istat_code: Some("019036"),
        login: "servizi.sociali@comune-cremona.demo",
        person: "Assistente sociale Cremona",
    },
    DemoOrg {
        kind: OrganizationKind::Municipality,
        name: "Comune di Casalmaggiore",
        codice_fiscale: None,
        pec: None,
        istat_code: Some("019021"),
        login: "servizi.sociali@comune-casalmaggiore.demo",
        person: "Assistente sociale Casalmaggiore",
    },
];

pub const ADMIN_LOGIN: &str = "admin@ambito.demo";

/// One demo account, with the password it was given.
pub struct DemoAccount {
    pub login: String,
    pub role: Role,
    pub organization: String,
    pub password: String,
}

/// Loads the demo organizations, districts and accounts unless they are there already. Returns
/// the accounts created, with their passwords (`password` for all when given, else a random one
/// each). Tests start from this; `serve` and `seed-demo` use [`load`].
pub fn seed(db: &Db, password: Option<&str>) -> Result<Vec<DemoAccount>, ApiError> {
    let Some(prepared) = prepare(db, password)? else { return Ok(Vec::new()) };
    db.write(|conn| Ok(accounts(conn, prepared)?.accounts))
}

/// The whole demo as `serve` (in demo mode) and `seed-demo` show it: [`seed`]'s accounts, and
/// the two seed calls replayed through the API's commands up to `now` (see [`calls`]). All in
/// one transaction, on a database without the demo admin: a second start adds nothing, and
/// processes starting together take turns under the start-up lock.
pub fn load(db: &Db, password: Option<&str>, now: DateTime<Utc>) -> Result<Vec<DemoAccount>, ApiError> {
    let Some(prepared) = prepare(db, password)? else { return Ok(Vec::new()) };
    db.write(|conn| {
        let seeded = accounts(conn, prepared)?;
        calls::replay(conn, &seeded, now)?;
        Ok(seeded.accounts)
    })
}

/// The accounts to create with their hashed passwords, or `None` when the demo is there.
struct Prepared(Vec<(&'static str, &'static str, Option<usize>, String, String)>);

fn prepare(db: &Db, password: Option<&str>) -> Result<Option<Prepared>, ApiError> {
    if let Some(p) = password {
        Password::parse(p).map_err(|e| ApiError::invalid_field("AMBITO_DEMO_PASSWORD", e.to_string()))?;
    }
    let present = db.read(|conn| -> Result<bool, ApiError> { Ok(user::find_login(conn, ADMIN_LOGIN)?.is_some()) })?;
    if present {
        return Ok(None);
    }
    // Hash before the transaction: argon2 is slow, and the write lock should be short.
    let mut logins: Vec<(&str, &str, Option<usize>)> = vec![(ADMIN_LOGIN, "Amministratore demo", None)];
    logins.extend(ORGANIZATIONS.iter().enumerate().map(|(i, o)| (o.login, o.person, Some(i))));
    let mut accounts = Vec::new();
    for (login, person, org) in logins {
        let password = password.map_or_else(|| random_secret(12), str::to_owned);
        let hash = hash_now(&password)?;
        accounts.push((login, person, org, password, hash));
    }
    Ok(Some(Prepared(accounts)))
}

/// What the demo's base created, for the calls replayed on top of it.
pub(crate) struct Seeded {
    accounts: Vec<DemoAccount>,
    /// Each account's login and the actor it acts as.
    actors: Vec<(&'static str, Actor)>,
    casalasco: DistrictId,
    cremonese: DistrictId,
}

impl Seeded {
    /// The actor of a demo login.
    pub(crate) fn actor(&self, login: &str) -> Actor {
        self.actors.iter().find(|(l, _)| *l == login).map(|(_, a)| *a).expect("a demo login")
    }
}

fn accounts(conn: &mut DbConnection, prepared: Prepared) -> Result<Seeded, ApiError> {
    let actor = Origin::system();
    let platform = organization::platform(conn, &actor)?;
    let mut created = Vec::new();
    let mut actors = Vec::new();
    let mut org_ids = Vec::new();
    for o in ORGANIZATIONS {
        let new = NewOrganization::parse(
            o.kind,
            OrganizationFields {
                name: o.name,
                codice_fiscale: o.codice_fiscale,
                partita_iva: o.codice_fiscale.filter(|_| o.kind == OrganizationKind::Provider),
                pec: o.pec,
                istat_code: o.istat_code,
            },
        )?;
        org_ids.push(organization::create(conn, &actor, &new)?);
    }
    for (login, person, org, password, hash) in prepared.0 {
        let org = org.map_or(&platform, |i| &org_ids[i]);
        let role = Role::for_organization(org.kind);
        let name = Name::parse(person).expect("demo names are valid");
        let user = user::create(
            conn,
            &actor,
            &NewUser {
                organization_id: org.id,
                kind: UserKind::Person,
                login,
                display_name: &name,
                role,
                password_hash: &hash,
            },
        )?;
        actors.push((login, Actor { user: user.id, organization: org.id, role }));
        created.push(DemoAccount { login: login.to_owned(), role, organization: org.name.clone(), password });
    }
    let casalasco = demo_district(conn, "Ambito distrettuale Casalasco", org_ids[1].id, CASALASCO)?;
    let casalasco = district::create(conn, &actor, &casalasco)?.id;
    let cremonese = demo_district(conn, "Ambito distrettuale Cremonese", org_ids[0].id, CREMONESE)?;
    let cremonese = district::create(conn, &actor, &cremonese)?.id;
    Ok(Seeded { accounts: created, actors, casalasco, cremonese })
}

fn demo_district(
    conn: &mut DbConnection,
    name: &str,
    authority: ambito_domain::OrganizationId,
    names: &[&str],
) -> Result<NewDistrict, StoreError> {
    let mut codes = Vec::new();
    for n in names {
        match municipality::find_by_name(conn, "CR", n)? {
            Some(m) => codes.push(ambito_domain::IstatCode::parse(&m.istat_code).expect("catalogue codes are valid")),
            None => tracing::warn!(municipality = n, "demo district member not in the ISTAT catalogue"),
        }
    }
    Ok(NewDistrict { name: Name::parse(name).expect("valid"), authority_id: authority, municipalities: codes })
}
