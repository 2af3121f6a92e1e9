//! The two seed calls (`../shared/seeds/`), replayed through the API's own commands so that a
//! newcomer opens a demo where something has happened:
//! - seed 000, ASC and CONCASS's mediation accreditation, published two weeks ago and open: two
//!   providers' applications submitted, questions answered and one awaiting its answer. Its real
//!   deadline (Monday 30 May 2022, 12:00) is long past, so the demo keeps its shape, a Monday at
//!   noon Rome time, four to five weeks after the demo's start: the procedure can be tried.
//! - seed 004, CONCASS's home-care provider list, published some seven months ago and concluded
//!   by a determina: its accreditations in the public registry, and the municipalities and
//!   product lines nobody covers yet (the coverage gaps staff must fix).
//!
//! Each step runs the command an HTTP request would, as the demo account that would make it, at
//! the instant it happened: the events and audit trail tell the same story.

use ambito_domain::application::{Declaration, Offer, ScopeItem};
use ambito_domain::measure::Act;
use ambito_domain::rome::{add_days, rome_date, rome_local};
use ambito_domain::tender::{Issuance, Requirement, RequirementCategory, TenderIntervention, TenderKind, TenderTerms};
use ambito_domain::{Cents, InterventionCode, IstatCode, RequirementCode, TenderId, Unit};
use ambito_persistence::{DbConnection, Origin};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc, Weekday};

use super::Seeded;
use crate::commands::{Context, application, tender};
use crate::error::ApiError;

const ASC: &str = "staff@asc.demo";
const CONCASS: &str = "staff@concass.demo";
const COOP_UNO: &str = "operatore@coop-uno.demo";
const COOP_DUE: &str = "operatore@coop-due.demo";

const CREMONA: &str = "019036";
const CASALMAGGIORE: &str = "019021";
const GUSSOLA: &str = "019052";
const PIADENA_DRIZZONA: &str = "019116";

/// Replays both calls up to `now`.
pub(super) fn replay(conn: &mut DbConnection, seeded: &Seeded, now: DateTime<Utc>) -> Result<(), ApiError> {
    mediation(conn, seeded, now)?;
    home_care(conn, seeded, now)?;
    Ok(())
}

/// Runs one command as a demo account at an instant.
fn at(seeded: &Seeded, login: &str, when: DateTime<Utc>) -> Context {
    let actor = seeded.actor(login);
    Context { actor, origin: Origin::of(&actor, None), now: when }
}

/// Rome's `hh:00` on the Rome date of `t`.
fn rome_hour(t: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    rome_local(rome_date(t).and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("an hour of the day")))
}

fn first_of_next_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).expect("a date within the years served")
}

fn code(text: &str) -> InterventionCode {
    InterventionCode::parse(text).expect("a catalogue code")
}

fn istat(text: &str) -> IstatCode {
    IstatCode::parse(text).expect("an ISTAT code")
}

fn terms(code_text: &str, unit: Unit, cents: i64) -> TenderIntervention {
    TenderIntervention { code: code(code_text), unit, rate: Cents::new(cents).expect("a rate") }
}

fn requirement(code: &str, category: RequirementCategory, description: &str) -> Requirement {
    Requirement {
        code: RequirementCode::parse(code).expect("a requirement code"),
        category,
        description: description.to_owned(),
        document_type: None,
    }
}

/// An offer of `scope` (intervention, municipality), declaring every one of `declarations`.
fn offer(scope: &[(&str, &str)], declarations: &[&str]) -> Offer {
    Offer {
        scope: scope.iter().map(|(i, m)| ScopeItem { intervention: code(i), municipality: istat(m) }).collect(),
        declarations: declarations
            .iter()
            .map(|d| Declaration {
                requirement_code: RequirementCode::parse(d).expect("a requirement code"),
                accepted: true,
                note: None,
            })
            .collect(),
    }
}

/// Drafts and publishes a call as `staff` at `when`.
fn publish(
    conn: &mut DbConnection,
    seeded: &Seeded,
    staff: &str,
    when: DateTime<Utc>,
    issuance: Issuance,
) -> Result<TenderId, ApiError> {
    let drafted = tender::draft(conn, &at(seeded, staff, add_days(when, -1)), issuance)?;
    let ctx = at(seeded, staff, when);
    tender::transition(conn, &ctx, drafted.tender.id, None, |t| t.publish(when))?;
    Ok(drafted.tender.id)
}

/// A provider opens an application at `opened` and submits it at `submitted`.
fn apply(
    conn: &mut DbConnection,
    seeded: &Seeded,
    member: &str,
    id: TenderId,
    offered: Offer,
    (opened, submitted): (DateTime<Utc>, DateTime<Utc>),
) -> Result<ambito_domain::ApplicationId, ApiError> {
    let draft = application::open(conn, &at(seeded, member, opened), id, offered)?;
    application::submit(conn, &at(seeded, member, submitted), draft.id, None)?;
    Ok(draft.id)
}

/// A provider's question at `asked`, and the staff's answer at `answered` when there is one.
fn question(
    conn: &mut DbConnection,
    seeded: &Seeded,
    id: TenderId,
    (member, asked, text): (&str, DateTime<Utc>, &str),
    answer: Option<(&str, DateTime<Utc>, &str)>,
) -> Result<(), ApiError> {
    let asked = tender::ask(conn, &at(seeded, member, asked), id, text.to_owned())?;
    if let Some((staff, when, text)) = answer {
        tender::answer(conn, &at(seeded, staff, when), id, asked.id, None, text.to_owned())?;
    }
    Ok(())
}

/// Seed 000: open, with applications and questions.
fn mediation(conn: &mut DbConnection, seeded: &Seeded, now: DateTime<Utc>) -> Result<(), ApiError> {
    let published = add_days(rome_hour(now, 9), -14);
    // A Monday at noon, as the real one was, four to five weeks ahead.
    let mut day = rome_date(now) + Days::new(28);
    while day.weekday() != Weekday::Mon {
        day = day + Days::new(1);
    }
    let deadline = rome_local(day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")));
    let validity_from = first_of_next_month(first_of_next_month(day));
    let asc = seeded.actor(ASC).organization;
    let concass = seeded.actor(CONCASS).organization;
    let issuance = Issuance {
        authorities: vec![asc, concass],
        districts: vec![seeded.cremonese, seeded.casalasco],
        terms: TenderTerms {
            kind: TenderKind::Accreditation,
            title: "Accreditamento sperimentale della nuova unità d'offerta sociale «Servizio di mediazione \
                    linguistico-culturale» per il territorio cremonese e casalasco"
                .to_owned(),
            description: "Azienda Sociale Cremonese in collaborazione con il Consorzio Casalasco Servizi Sociali \
                          (CONCASS) indice un'istruttoria pubblica per l'accreditamento sperimentale del servizio \
                          di mediazione linguistico-culturale nei contesti sociale, socio-sanitario, sanitario e \
                          scolastico, proseguendo il progetto LAB'IMPACT. Le domande pervengono a pena di \
                          esclusione entro il termine. (Dati dimostrativi: il bando reale scadeva lunedì 30 \
                          maggio 2022 alle 12.00.)"
                .to_owned(),
            reference_code: Some("PROG-2463".to_owned()),
            responsible_official: "dr. Graziano Pirotta, Direttore Generale di Azienda Sociale Cremonese".to_owned(),
            municipalities: Vec::new(),
            interventions: vec![
                terms("mediation_social", Unit::Hour, 2500),
                terms("mediation_socio_health", Unit::Hour, 2500),
                terms("mediation_health", Unit::Hour, 2700),
                terms("mediation_school", Unit::Hour, 2500),
            ],
            requirements: vec![
                requirement(
                    "no_exclusion_grounds",
                    RequirementCategory::General,
                    "Assenza dei motivi di esclusione del codice dei contratti pubblici",
                ),
                requirement(
                    "durc",
                    RequirementCategory::General,
                    "Regolarità contributiva (DURC) in corso di validità",
                ),
                requirement(
                    "mediators_qualification",
                    RequirementCategory::Specific,
                    "Mediatori con qualifica di mediatore linguistico-culturale",
                ),
            ],
            submission_deadline: deadline,
            clarification_deadline: add_days(deadline, -7),
            validity_from,
            validity_to: validity_from + Months::new(24) - Days::new(1),
        },
    };
    let id = publish(conn, seeded, ASC, published, issuance)?;
    let all = ["no_exclusion_grounds", "durc", "mediators_qualification"];
    question(
        conn,
        seeded,
        id,
        (
            COOP_DUE,
            add_days(published, 3),
            "Il servizio in ambito scolastico comprende anche i colloqui con le famiglie?",
        ),
        Some((
            ASC,
            add_days(published, 5),
            "Sì: la mediazione scolastica comprende i colloqui tra insegnanti e famiglie e gli incontri di \
             inserimento degli alunni neoarrivati.",
        )),
    )?;
    let uno_scope = [
        ("mediation_health", CREMONA),
        ("mediation_social", CREMONA),
        ("mediation_health", CASALMAGGIORE),
        ("mediation_social", CASALMAGGIORE),
    ];
    apply(conn, seeded, COOP_UNO, id, offer(&uno_scope, &all), (add_days(published, 6), add_days(published, 9)))?;
    question(
        conn,
        seeded,
        id,
        (
            COOP_UNO,
            add_days(published, 10),
            "È possibile candidarsi per un solo contesto e per alcuni comuni soltanto?",
        ),
        Some((
            ASC,
            add_days(published, 11),
            "Sì: la domanda indica i contesti e i comuni per cui il soggetto si candida; l'accreditamento è \
             concesso per quelli.",
        )),
    )?;
    apply(
        conn,
        seeded,
        COOP_DUE,
        id,
        offer(&[("mediation_school", CREMONA), ("mediation_socio_health", CREMONA)], &all),
        (add_days(published, 12), add_days(published, 13)),
    )?;
    question(
        conn,
        seeded,
        id,
        (COOP_UNO, add_days(published, 13), "Le ore di traduzione scritta sono remunerate alla stessa tariffa oraria?"),
        None,
    )?;
    Ok(())
}

/// Seed 004: concluded, with its accreditations and coverage gaps.
fn home_care(conn: &mut DbConnection, seeded: &Seeded, now: DateTime<Utc>) -> Result<(), ApiError> {
    let published = add_days(rome_hour(now, 9), -210);
    let deadline = add_days(rome_hour(published, 12), 31);
    let decided = add_days(rome_hour(deadline, 10), 5);
    let validity_from = first_of_next_month(rome_date(decided));
    let concass = seeded.actor(CONCASS).organization;
    let issuance = Issuance {
        authorities: vec![concass],
        districts: vec![seeded.casalasco],
        terms: TenderTerms {
            kind: TenderKind::ProviderList,
            title: "Avviso pubblico per la costituzione di un elenco di soggetti erogatori sul sistema della \
                    domiciliarietà"
                .to_owned(),
            description: "Il Consorzio Casalasco Servizi Sociali costituisce un elenco di soggetti erogatori di \
                          interventi domiciliari per persone anziane, disabili o non autosufficienti, minori e \
                          famiglie, che garantisca l'offerta di ogni linea di prodotto in ciascun Comune \
                          dell'Ambito Distrettuale Casalasco. Con i soggetti individuati il Consorzio sottoscrive \
                          un patto di accreditamento."
                .to_owned(),
            reference_code: Some("CONCASS-DOMICILIARIETA".to_owned()),
            responsible_official: "Direttore del Consorzio Casalasco Servizi Sociali".to_owned(),
            municipalities: Vec::new(),
            interventions: vec![
                terms("educational_individual", Unit::Hour, 2350),
                terms("educational_group", Unit::Hour, 1900),
                terms("home_care_professional", Unit::Hour, 2180),
                terms("home_care_generic", Unit::Hour, 1950),
                terms("group_care", Unit::Hour, 1700),
                terms("meals_delivery", Unit::Meal, 750),
                terms("telecare", Unit::Month, 1800),
                terms("accompanied_transport", Unit::Trip, 1500),
                terms("laundry", Unit::Load, 900),
                terms("parenting_support", Unit::Hour, 2350),
            ],
            requirements: vec![
                requirement("no_exclusion_grounds", RequirementCategory::General, "Assenza dei motivi di esclusione"),
                requirement(
                    "service_charter",
                    RequirementCategory::Specific,
                    "Carta dei servizi adottata per gli interventi domiciliari",
                ),
            ],
            submission_deadline: deadline,
            clarification_deadline: add_days(deadline, -7),
            validity_from,
            validity_to: validity_from + Months::new(36) - Days::new(1),
        },
    };
    let id = publish(conn, seeded, CONCASS, published, issuance)?;
    let declared = ["no_exclusion_grounds", "service_charter"];
    question(
        conn,
        seeded,
        id,
        (COOP_UNO, add_days(published, 4), "Le proposte ulteriori della linea 3 vanno descritte nella domanda?"),
        Some((
            CONCASS,
            add_days(published, 6),
            "Sì, in un allegato libero: il Consorzio le valuta e, se le accoglie, le inserisce nel patto.",
        )),
    )?;
    let uno = apply(
        conn,
        seeded,
        COOP_UNO,
        id,
        offer(
            &[
                ("home_care_professional", CASALMAGGIORE),
                ("home_care_generic", CASALMAGGIORE),
                ("home_care_professional", GUSSOLA),
                ("home_care_generic", GUSSOLA),
            ],
            &declared,
        ),
        (add_days(published, 10), add_days(published, 12)),
    )?;
    let due = apply(
        conn,
        seeded,
        COOP_DUE,
        id,
        offer(&[("meals_delivery", CASALMAGGIORE), ("educational_individual", PIADENA_DRIZZONA)], &declared),
        (add_days(published, 14), add_days(published, 15)),
    )?;
    let staff = at(seeded, CONCASS, decided);
    for application in [uno, due] {
        application::admit(conn, &staff, application, None, None)?;
    }
    let act = Act { number: format!("{}/57", rome_date(decided).year()), date: rome_date(decided) };
    tender::conclude(conn, &staff, id, None, Some(act))?;
    Ok(())
}
