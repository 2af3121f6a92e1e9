//! Open Contracting Data Standard 1.1.5: a call as the first stage of an open framework
//! agreement, and each voucher taken by a provider as a call-off under it.
//!
//! A call's releases share its `ocid` (the configured prefix and the call's id). Each change
//! worth publishing is a release: the publication (`tender`), each amendment
//! (`tenderAmendment`), each later round opening (`tenderUpdate`), each round concluded
//! (`award`: every admitted provider a `supplier` with an award), each suspension, reinstatement
//! or revocation of an accreditation (`awardUpdate`), the cancellation (`tenderCancellation`).
//! Every release states the whole process as it stood at its date, so the record's compiled
//! release is the last one.
//!
//! A call-off names the framework in `relatedProcesses`, its award and contract with the
//! provider, and the validated delivery reports as the contract's transactions (the cost of the
//! units delivered at the patto's rate). Nothing about the family appears: no person, no
//! municipality, no age band, no co-payment.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::accreditation::Accreditation;
use crate::delivery_report::DeliveryReport;
use crate::measure::{MeasureKind, Standing, View, standing};
use crate::rome::in_rome;
use crate::service_request::Voucher;
use crate::tender::{Amendment, Tender, TenderKind, TenderState};
use crate::{Cents, OrganizationId};

/// The prefix for development: OCDS assigns real ones on registration.
pub const DEVELOPMENT_PREFIX: &str = "ocds-xxxxxx";

/// An organization as a party: its id, name and tax code (codice fiscale or partita IVA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub id: OrganizationId,
    pub name: String,
    pub tax_code: Option<String>,
}

/// The ocid of a process.
pub fn ocid(prefix: &str, id: impl std::fmt::Display) -> String {
    format!("{prefix}-{id}")
}

fn date(t: DateTime<Utc>) -> String {
    in_rome(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn euros(c: Cents) -> Value {
    euros_of(c.get())
}

fn euros_of(cents: i64) -> Value {
    json!({"amount": cents as f64 / 100.0, "currency": "EUR"})
}

fn party(p: &Party, roles: &[&str]) -> Value {
    let mut v = json!({"id": p.id.to_string(), "name": p.name, "roles": roles});
    if let Some(code) = &p.tax_code {
        v["identifier"] = json!({"scheme": "IT-CF", "id": code, "legalName": p.name});
    }
    v
}

fn reference(p: &Party) -> Value {
    json!({"id": p.id.to_string(), "name": p.name})
}

/// What a call's releases are made of.
#[derive(Debug, Clone)]
pub struct Framework<'a> {
    pub prefix: &'a str,
    pub tender: &'a Tender,
    /// The issuing authorities, in the call's order.
    pub authorities: Vec<Party>,
    /// Every provider with an accreditation under the call.
    pub providers: Vec<Party>,
    pub amendments: &'a [Amendment],
    pub accreditations: &'a [Accreditation],
}

/// One release: its id (unique within the ocid), date and tags.
struct Milestone {
    id: String,
    at: DateTime<Utc>,
    tag: &'static str,
}

impl Framework<'_> {
    pub fn ocid(&self) -> String {
        ocid(self.prefix, self.tender.id)
    }

    fn milestones(&self) -> Vec<Milestone> {
        let t = self.tender;
        let Some(published) = t.published_at else { return Vec::new() };
        let mut list = vec![Milestone { id: "tender".into(), at: published, tag: "tender" }];
        for a in self.amendments {
            list.push(Milestone { id: format!("amendment-{}", a.id), at: a.amended_at, tag: "tenderAmendment" });
        }
        for r in &t.rounds {
            if r.number > 1 {
                list.push(Milestone { id: format!("round-{}", r.number), at: r.opened_at, tag: "tenderUpdate" });
            }
            if let Some(at) = r.concluded_at {
                list.push(Milestone { id: format!("round-{}-award", r.number), at, tag: "award" });
            }
        }
        for acc in self.accreditations {
            for m in &acc.measures {
                list.push(Milestone { id: format!("measure-{}", m.id), at: m.recorded_at, tag: "awardUpdate" });
            }
        }
        if t.state == TenderState::Cancelled {
            list.push(Milestone { id: "cancellation".into(), at: t.updated_at, tag: "tenderCancellation" });
        }
        list.sort_by_key(|m| m.at);
        list
    }

    /// Every release of the call, oldest first; none before it is published.
    pub fn releases(&self) -> Vec<Value> {
        self.milestones().iter().map(|m| self.release(&m.id, m.at, &[m.tag])).collect()
    }

    /// The compiled release: the process as its last release states it.
    pub fn compiled(&self) -> Option<Value> {
        let last = self.milestones().last().map(|m| m.at)?;
        Some(self.release("compiled", last, &["compiled"]))
    }

    /// The process as it stood at `at`.
    fn release(&self, id: &str, at: DateTime<Utc>, tags: &[&str]) -> Value {
        let t = self.tender;
        let ocid = self.ocid();
        let rounds: Vec<_> = t.rounds.iter().filter(|r| r.opened_at <= at).collect();
        let concluded: Vec<u32> =
            rounds.iter().filter(|r| r.concluded_at.is_some_and(|c| c <= at)).map(|r| r.number).collect();
        let open = rounds.last().filter(|r| r.concluded_at.is_none_or(|c| c > at));
        let cancelled = t.state == TenderState::Cancelled && t.updated_at <= at;
        let status = if cancelled {
            "cancelled"
        } else if open.is_none() && !concluded.is_empty() {
            "complete"
        } else {
            "active"
        };
        let amendments: Vec<Value> = self
            .amendments
            .iter()
            .filter(|a| a.amended_at <= at)
            .map(|a| {
                json!({
                    "id": a.id.to_string(),
                    "date": date(a.amended_at),
                    "rationale": a.reason,
                    "description": if a.material { "Rettifica sostanziale: i partecipanti confermano la domanda" } else { "Rettifica" },
                })
            })
            .collect();
        let items: Vec<Value> = t
            .terms
            .interventions
            .iter()
            .map(|i| {
                json!({
                    "id": i.code.as_str(),
                    "description": i.code.as_str(),
                    "classification": {"scheme": "x_ambito_intervention", "id": i.code.as_str()},
                    "unit": {"name": i.unit.as_str(), "value": euros(i.rate)},
                })
            })
            .collect();
        // The window as it stood: the latest round opened by then, with the deadline in force.
        let window = rounds.last().map(|r| {
            let mut end = r.submission_deadline;
            if r.number == 1 {
                end = t.rounds.first().map_or(end, |first| first.submission_deadline);
                // An amendment that moved the deadline later shows from its date only.
                for a in self.amendments.iter().filter(|a| a.amended_at > at) {
                    if let Some(before) =
                        a.changes.get("submission_deadline").and_then(|c| c.get("before")).and_then(Value::as_str)
                        && let Ok(before) = DateTime::parse_from_rfc3339(before)
                    {
                        end = end.min(before.to_utc());
                    }
                }
            }
            json!({"startDate": date(if r.number == 1 { t.published_at.unwrap_or(r.opened_at) } else { r.opened_at }), "endDate": date(end)})
        });
        let buyer = self.authorities.first();
        let mut tender = json!({
            "id": t.id.to_string(),
            "title": t.terms.title,
            "description": t.terms.description,
            "status": status,
            "procurementMethod": "open",
            "procurementMethodDetails": match t.terms.kind {
                TenderKind::Accreditation => "Istruttoria pubblica per l'accreditamento (accordo quadro aperto)",
                TenderKind::ProviderList => "Avviso pubblico per l'elenco dei soggetti accreditati (accordo quadro aperto)",
            },
            "mainProcurementCategory": "services",
            "techniques": {"hasFrameworkAgreement": true, "frameworkAgreement": {"method": "withoutReopeningCompetition", "isOpenFrameworkAgreement": true}},
            "items": items,
            "contractPeriod": {"startDate": date(crate::rome::start_of_day(t.terms.validity_from)), "endDate": date(crate::rome::end_of_day(t.terms.validity_to))},
            "hasEnquiries": true,
            "enquiryPeriod": {"endDate": date(t.terms.clarification_deadline)},
        });
        if t.terms.description.trim().is_empty() {
            tender.as_object_mut().map(|o| o.remove("description"));
        }
        if let Some(w) = window {
            tender["tenderPeriod"] = w;
        }
        if let Some(b) = buyer {
            tender["procuringEntity"] = reference(b);
        }
        if let Some(published) = t.published_at {
            tender["datePublished"] = json!(date(published));
        }
        if let Some(code) = &t.terms.reference_code {
            tender["identifiers"] = json!([{"scheme": "x_reference_code", "id": code}]);
        }
        if !amendments.is_empty() {
            tender["amendments"] = json!(amendments);
        }
        let mut parties: Vec<Value> =
            self.authorities.iter().map(|a| party(a, &["buyer", "procuringEntity"])).collect();
        let mut awards = Vec::new();
        for p in &self.providers {
            let theirs: Vec<&Accreditation> = self
                .accreditations
                .iter()
                .filter(|a| a.provider_id == p.id && concluded.contains(&a.round) && a.granted_at <= at)
                .collect();
            let Some(first) = theirs.iter().map(|a| a.granted_at).min() else { continue };
            parties.push(party(p, &["supplier"]));
            let view = View::at(at);
            let standings: Vec<Standing> = theirs.iter().map(|a| standing(&a.measures, view)).collect();
            let all_revoked = standings.iter().all(|s| matches!(s, Standing::Revoked { .. }));
            let mut codes: Vec<&str> = theirs.iter().map(|a| a.intervention.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let mut municipalities: Vec<&str> = theirs.iter().map(|a| a.municipality.as_str()).collect();
            municipalities.sort_unstable();
            municipalities.dedup();
            let award_items: Vec<Value> =
                items.iter().filter(|i| codes.contains(&i["id"].as_str().unwrap_or(""))).cloned().collect();
            let mut measures: Vec<_> = theirs
                .iter()
                .flat_map(|a| a.measures.iter().map(move |m| (a, m)))
                .filter(|(_, m)| m.recorded_at <= at)
                .collect();
            measures.sort_by_key(|(_, m)| m.recorded_at);
            let changes: Vec<Value> = measures
                .iter()
                .map(|(a, m)| {
                    let what = match m.kind {
                        MeasureKind::Suspension => "Sospensione",
                        MeasureKind::Reinstatement => "Revoca della sospensione",
                        MeasureKind::Revocation => "Revoca",
                    };
                    json!({
                        "id": m.id.to_string(),
                        "date": date(m.recorded_at),
                        "rationale": m.reason,
                        "description": format!("{what} dell'accreditamento {} nel comune {}", a.intervention.as_str(), a.municipality.as_str()),
                    })
                })
                .collect();
            let mut award = json!({
                "id": format!("{}-{}", t.id, p.id),
                "title": format!("Accreditamento di {}", p.name),
                "status": if all_revoked { "cancelled" } else { "active" },
                "date": date(first),
                "suppliers": [reference(p)],
                "items": award_items,
                "contractPeriod": {
                    "startDate": date(crate::rome::start_of_day(theirs.iter().map(|a| a.valid_from).min().unwrap_or(t.terms.validity_from))),
                    "endDate": date(crate::rome::end_of_day(theirs.iter().map(|a| a.valid_to).max().unwrap_or(t.terms.validity_to))),
                },
                "description": format!("Comuni: {}", municipalities.join(", ")),
            });
            if !changes.is_empty() {
                award["amendments"] = json!(changes);
            }
            awards.push(award);
        }
        let mut release = json!({
            "ocid": ocid,
            "id": format!("{ocid}-{id}"),
            "date": date(at),
            "tag": tags,
            "initiationType": "tender",
            "language": "it",
            "parties": parties,
            "tender": tender,
        });
        if let Some(b) = buyer {
            release["buyer"] = reference(b);
        }
        if !awards.is_empty() {
            release["awards"] = json!(awards);
        }
        release
    }
}

/// A voucher taken by a provider, as a call-off of its call's framework.
#[derive(Debug, Clone)]
pub struct CallOff<'a> {
    pub prefix: &'a str,
    pub voucher: &'a Voucher,
    /// The authority that granted it.
    pub buyer: Party,
    /// The provider that took it.
    pub supplier: Party,
    /// When the provider accepted it.
    pub accepted_at: DateTime<Utc>,
    /// Its validated delivery reports.
    pub reports: &'a [DeliveryReport],
}

impl CallOff<'_> {
    pub fn ocid(&self) -> String {
        ocid(self.prefix, self.voucher.id)
    }

    /// The call-off's one release, as it stands: award and contract, and the validated reports
    /// as transactions. Its id changes with each validated report.
    pub fn release(&self) -> Value {
        let v = self.voucher;
        let ocid = self.ocid();
        let framework = ocid_of(self.prefix, v);
        let reports: Vec<&DeliveryReport> = self.reports.iter().filter(|r| r.validation.is_some()).collect();
        let at =
            reports.iter().filter_map(|r| r.validation.as_ref().map(|x| x.at)).fold(self.accepted_at, DateTime::max);
        let item = json!({
            "id": v.intervention.as_str(),
            "description": format!("{} ({} {} per {})", v.intervention.as_str(), v.units, v.unit.as_str(), v.period.as_str()),
            "classification": {"scheme": "x_ambito_intervention", "id": v.intervention.as_str()},
            "quantity": v.units,
            "unit": {"name": v.unit.as_str(), "value": euros(v.rate)},
        });
        let period = json!({
            "startDate": date(crate::rome::start_of_day(v.valid_from)),
            "endDate": date(crate::rome::end_of_day(v.valid_to)),
        });
        let transactions: Vec<Value> = reports
            .iter()
            .filter_map(|r| {
                let validation = r.validation.as_ref()?;
                let total: i64 = validation.costs.iter().map(|c| c.amount.get()).sum();
                Some(json!({
                    "id": r.id.to_string(),
                    "date": date(validation.at),
                    "value": euros_of(total),
                    "payer": reference(&self.buyer),
                    "payee": reference(&self.supplier),
                }))
            })
            .collect();
        let mut tags = vec!["award", "contract"];
        let mut contract = json!({
            "id": format!("{}-contract", v.id),
            "awardID": format!("{}-award", v.id),
            "title": "Voucher (buono servizio)",
            "status": "active",
            "period": period,
            "items": [item.clone()],
            "dateSigned": date(self.accepted_at),
        });
        if !transactions.is_empty() {
            tags.push("implementation");
            contract["implementation"] = json!({"transactions": transactions});
        }
        json!({
            "ocid": ocid,
            "id": format!("{ocid}-{}", reports.len()),
            "date": date(at),
            "tag": tags,
            "initiationType": "tender",
            "language": "it",
            "parties": [party(&self.buyer, &["buyer", "procuringEntity"]), party(&self.supplier, &["supplier"])],
            "buyer": reference(&self.buyer),
            "relatedProcesses": [{
                "id": "framework",
                "relationship": ["framework"],
                "title": "Accordo quadro (avviso di accreditamento)",
                "scheme": "ocid",
                "identifier": framework,
            }],
            "tender": {"id": v.id.to_string(), "status": "complete", "procurementMethod": "limited", "procurementMethodDetails": "Libera scelta del beneficiario tra i soggetti accreditati (buono servizio)", "mainProcurementCategory": "services", "items": [item.clone()]},
            "awards": [{
                "id": format!("{}-award", v.id),
                "status": "active",
                "date": date(self.accepted_at),
                "suppliers": [reference(&self.supplier)],
                "items": [item],
                "contractPeriod": period,
            }],
            "contracts": [contract],
        })
    }
}

fn ocid_of(prefix: &str, v: &Voucher) -> String {
    ocid(prefix, v.tender_id)
}

/// A release package: its URI, when it was published, by whom, and the releases.
pub fn release_package(uri: &str, published: DateTime<Utc>, publisher: &str, releases: Vec<Value>) -> Value {
    json!({
        "uri": uri,
        "version": "1.1",
        "publishedDate": date(published),
        "publisher": {"name": publisher},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "publicationPolicy": "https://www.ambito.example/ocds/publication-policy",
        "releases": releases,
    })
}

/// A record package with one record: the ocid, every release, and the compiled release.
pub fn record_package(
    uri: &str,
    published: DateTime<Utc>,
    publisher: &str,
    ocid: &str,
    releases: Vec<Value>,
    compiled: Value,
) -> Value {
    json!({
        "uri": uri,
        "version": "1.1",
        "publishedDate": date(published),
        "publisher": {"name": publisher},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "publicationPolicy": "https://www.ambito.example/ocds/publication-policy",
        "records": [{"ocid": ocid, "releases": releases, "compiledRelease": compiled}],
    })
}
