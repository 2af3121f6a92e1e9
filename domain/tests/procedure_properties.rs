//! Random sequences of commands against one call and its applications, checking after each step
//! the invariants of the procedure: no transition leaves the documented lifecycle, a submission
//! is accepted exactly when it is in time and complete, protocol numbers are never reused,
//! admitted ⊆ offered ⊆ the call's scope, a refused command changes nothing, and the coverage
//! gaps are exactly the pairs no admitted scope covers.

use std::collections::BTreeSet;

use ambito_domain::application::{
    Application, ApplicationStatus as S, Declaration, ExclusionReason, IntegrationDue, Offer, ProtocolNumber, ScopeItem,
};
use ambito_domain::coverage;
use ambito_domain::document::{Document, DocumentOwner};
use ambito_domain::rome::parse_instant;
use ambito_domain::tender::{
    AmendedTerms, Issuance, Requirement, RequirementCategory, Tender, TenderIntervention, TenderKind, TenderStatus,
    TenderTerms,
};
use ambito_domain::{
    AmendmentId, ApplicationId, Cents, DocumentId, IntegrationRequestId, IstatCode, OrganizationId, ReceiptId,
    TenderId, Unit,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;

const INTERVENTIONS: [&str; 3] = ["home_care_generic", "meals_delivery", "telecare"];
const LINES: [&str; 3] = ["social_care", "additional", "additional"];
const MUNICIPALITIES: [&str; 3] = ["019021", "019052", "019116"];

fn code<T: TryFrom<String>>(s: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(s.to_owned()).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

fn call(authority: OrganizationId) -> Tender {
    let terms = TenderTerms {
        kind: TenderKind::ProviderList,
        title: "Elenco domiciliarità".into(),
        description: String::new(),
        reference_code: None,
        responsible_official: "Direttore".into(),
        municipalities: MUNICIPALITIES.iter().map(|m| IstatCode::parse(m).unwrap()).collect(),
        interventions: INTERVENTIONS
            .iter()
            .map(|i| TenderIntervention { code: code(i), unit: Unit::Hour, rate: Cents::new(2000).unwrap() })
            .collect(),
        requirements: vec![
            Requirement {
                code: code("no_exclusion_grounds"),
                category: RequirementCategory::General,
                description: "Assenza dei motivi di esclusione".into(),
                document_type: None,
            },
            Requirement {
                code: code("service_charter"),
                category: RequirementCategory::Specific,
                description: "Carta dei servizi".into(),
                document_type: Some(code("service_charter")),
            },
        ],
        submission_deadline: at("2024-02-15T12:00"),
        clarification_deadline: at("2024-02-08T12:00"),
        validity_from: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        validity_to: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
    };
    let issuance = Issuance { authorities: vec![authority], districts: vec![], terms };
    let (mut t, _) = Tender::draft(TenderId::new(), issuance, at("2024-01-10T09:00")).unwrap();
    t.publish(at("2024-01-15T09:00")).unwrap();
    t
}

#[derive(Debug, Clone)]
enum Command {
    Advance(u16),
    /// Moves the clock just past the (current) submission deadline.
    PassDeadline,
    Open {
        provider: usize,
        items: Vec<(usize, usize)>,
        declare: bool,
    },
    Attach(usize),
    Submit(usize),
    Withdraw(usize),
    Amend {
        hours: u16,
        material: bool,
    },
    Confirm(usize),
    Admit {
        app: usize,
        items: Option<Vec<(usize, usize)>>,
    },
    Exclude(usize),
    RequestIntegration {
        app: usize,
        days: i64,
    },
    AnswerIntegration(usize),
    Conclude,
}

fn item() -> impl Strategy<Value = (usize, usize)> {
    (0..INTERVENTIONS.len(), 0..MUNICIPALITIES.len())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => (1u16..40).prop_map(Command::Advance),
        2 => (0usize..3, prop::collection::vec(item(), 0..5), prop::bool::weighted(0.8))
            .prop_map(|(provider, items, declare)| Command::Open { provider, items, declare }),
        4 => (0usize..3).prop_map(Command::Attach),
        5 => (0usize..3).prop_map(Command::Submit),
        1 => (0usize..3).prop_map(Command::Withdraw),
        1 => (0u16..100, any::<bool>()).prop_map(|(hours, material)| Command::Amend { hours, material }),
        1 => (0usize..3).prop_map(Command::Confirm),
        4 => (0usize..3, prop::option::weighted(0.3, prop::collection::vec(item(), 0..4)))
            .prop_map(|(app, items)| Command::Admit { app, items }),
        1 => (0usize..3).prop_map(Command::Exclude),
        1 => (0usize..3, -2i64..100).prop_map(|(app, days)| Command::RequestIntegration { app, days }),
        1 => (0usize..3).prop_map(Command::AnswerIntegration),
        1 => Just(Command::Conclude),
    ]
}

fn scope(items: &[(usize, usize)]) -> Vec<ScopeItem> {
    items
        .iter()
        .map(|(i, m)| ScopeItem {
            intervention: code(INTERVENTIONS[*i]),
            municipality: IstatCode::parse(MUNICIPALITIES[*m]).unwrap(),
        })
        .collect()
}

/// The lifecycle as documented: draft → submitted → withdrawn | replaced | admitted | excluded |
/// integration requested → submitted again | excluded.
fn documented(from: S, to: S) -> bool {
    from == to
        || matches!(
            (from, to),
            (S::Draft, S::Submitted | S::Withdrawn)
                | (S::Submitted, S::Withdrawn | S::Replaced | S::Admitted | S::Excluded | S::IntegrationRequested)
                | (S::IntegrationRequested, S::Submitted | S::Excluded)
        )
}

struct World {
    tender: Tender,
    providers: [OrganizationId; 3],
    apps: Vec<Application>,
    documents: Vec<Vec<Document>>,
    protocol: i64,
    numbers: Vec<ProtocolNumber>,
    now: DateTime<Utc>,
}

impl World {
    fn charter(&self, app: &Application) -> Document {
        Document {
            id: DocumentId::new(),
            owner: DocumentOwner::Application(app.id),
            document_type: code("service_charter"),
            filename: "carta.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 1,
            sha256: "0".repeat(64),
            uploaded_at: self.now,
            uploaded_by: None,
        }
    }

    fn run(&mut self, command: Command) {
        let now = self.now;
        let before: Vec<Application> = self.apps.clone();
        let tender_before = self.tender.clone();
        let pick = |n: usize, len: usize| (len > 0).then(|| n % len);
        let refused = match command {
            Command::Advance(hours) => {
                self.now += Duration::hours(i64::from(hours));
                false
            }
            Command::PassDeadline => {
                self.now = self.now.max(self.tender.terms.submission_deadline + Duration::hours(1));
                false
            }
            Command::Open { provider, items, declare } => {
                let declarations = if declare {
                    vec![Declaration { requirement_code: code("no_exclusion_grounds"), accepted: true, note: None }]
                } else {
                    vec![]
                };
                let offer = Offer { scope: scope(&items), declarations };
                match Application::open(ApplicationId::new(), &self.tender, self.providers[provider], offer, now) {
                    Ok((app, _)) => {
                        self.apps.push(app);
                        self.documents.push(Vec::new());
                        false
                    }
                    Err(_) => true,
                }
            }
            Command::Attach(n) => match pick(n, self.apps.len()) {
                Some(i) => {
                    let doc = self.charter(&self.apps[i]);
                    let ok = self.apps[i].attach(&self.tender, doc.id, doc.document_type.clone(), now).is_ok();
                    if ok {
                        self.documents[i].push(doc);
                    }
                    !ok
                }
                None => true,
            },
            Command::Submit(n) | Command::AnswerIntegration(n) => match pick(n, self.apps.len()) {
                Some(i) => {
                    let app = &self.apps[i];
                    let docs = &self.documents[i];
                    let answering = matches!(command, Command::AnswerIntegration(_));
                    let result = if answering {
                        app.answer_integration(&self.tender, docs, now)
                    } else {
                        app.submit(&self.tender, docs, now)
                    };
                    if !answering {
                        let complete = docs.iter().any(|d| d.document_type.as_str() == "service_charter")
                            && app.declarations.iter().any(|d| d.accepted);
                        let expected = app.status == S::Draft
                            && now < self.tender.terms.submission_deadline
                            && self.tender.status(now) == TenderStatus::Published
                            && complete;
                        assert_eq!(result.is_ok(), expected, "a submission is accepted iff in time and complete");
                    }
                    match result {
                        Ok(reception) => {
                            self.protocol += 1;
                            let number = ProtocolNumber { year: reception.protocol_year(), sequence: self.protocol };
                            let others: Vec<_> = self
                                .apps
                                .iter()
                                .filter(|a| a.provider_id == self.apps[i].provider_id)
                                .map(|a| (a.id, a.status))
                                .collect();
                            let replaced = self.apps[i].replaced_by_submission(&others);
                            let docs = self.documents[i].clone();
                            let (receipt, _) = self.apps[i].receive(
                                &self.tender,
                                reception,
                                ReceiptId::new(),
                                number,
                                &docs,
                                &replaced,
                                now,
                            );
                            self.numbers.push(receipt.protocol_number);
                            for app in self.apps.iter_mut().filter(|a| replaced.contains(&a.id)) {
                                app.status = S::Replaced;
                            }
                            false
                        }
                        Err(_) => true,
                    }
                }
                None => true,
            },
            Command::Withdraw(n) => {
                pick(n, self.apps.len()).is_none_or(|i| self.apps[i].withdraw(&self.tender, now).is_err())
            }
            Command::Amend { hours, material } => {
                let changes = AmendedTerms {
                    submission_deadline: Some(
                        self.tender.terms.submission_deadline + Duration::hours(i64::from(hours)),
                    ),
                    ..Default::default()
                };
                match self.tender.amend(AmendmentId::new(), "Proroga".into(), material, changes, None, now) {
                    Ok((amendment, _)) => {
                        if amendment.material {
                            for app in self.apps.iter_mut().filter(|a| Application::must_reconfirm(a.status)) {
                                app.needs_confirmation = true;
                            }
                        }
                        false
                    }
                    Err(_) => true,
                }
            }
            Command::Confirm(n) => {
                pick(n, self.apps.len()).is_none_or(|i| self.apps[i].confirm(&self.tender, now).is_err())
            }
            Command::Admit { app, items } => pick(app, self.apps.len())
                .is_none_or(|i| self.apps[i].admit(&self.tender, items.as_deref().map(scope), None, now).is_err()),
            Command::Exclude(n) => pick(n, self.apps.len()).is_none_or(|i| {
                self.apps[i].exclude(&self.tender, ExclusionReason::Other, "Esclusa".into(), None, now).is_err()
            }),
            Command::RequestIntegration { app, days } => pick(app, self.apps.len()).is_none_or(|i| {
                let due = IntegrationDue::InDays(days);
                self.apps[i]
                    .request_integration(&self.tender, IntegrationRequestId::new(), "Carta".into(), due, None, now)
                    .is_err()
            }),
            Command::Conclude => {
                let pending = self.apps.iter().filter(|a| a.status.is_pending()).count();
                self.tender.conclude(pending, 0, None, now).is_err()
            }
        };
        if refused {
            assert_eq!(self.tender, tender_before, "a refused command leaves the call as it was");
            assert_eq!(
                &self.apps[..before.len()],
                &before[..],
                "a refused command leaves the applications as they were"
            );
        }
        self.check(&before);
    }

    fn check(&self, before: &[Application]) {
        let call: BTreeSet<ScopeItem> = scope(
            &(0..INTERVENTIONS.len()).flat_map(|i| (0..MUNICIPALITIES.len()).map(move |m| (i, m))).collect::<Vec<_>>(),
        )
        .into_iter()
        .collect();
        for (old, new) in before.iter().zip(&self.apps) {
            assert!(documented(old.status, new.status), "{:?} → {:?} is not in the lifecycle", old.status, new.status);
        }
        for app in &self.apps {
            assert!(app.admitted.iter().all(|s| app.offered.contains(s)), "admitted within offered");
            assert!(app.offered.iter().all(|s| call.contains(s)), "offered within the call");
            assert!(app.admitted.is_empty() || app.status == S::Admitted);
            assert!(
                !app.needs_confirmation
                    || app.status == S::Submitted
                    || app.status == S::Withdrawn
                    || app.status == S::Replaced
                    || app.status == S::Excluded
            );
        }
        let unique: BTreeSet<&ProtocolNumber> = self.numbers.iter().collect();
        assert_eq!(unique.len(), self.numbers.len(), "protocol numbers are never reused");
        // Coverage: the gaps are exactly the pairs no admitted scope covers.
        let admitted: Vec<ScopeItem> =
            self.apps.iter().filter(|a| a.status == S::Admitted).flat_map(|a| a.admitted.clone()).collect();
        let lines: Vec<_> = INTERVENTIONS.iter().zip(LINES).map(|(i, l)| (code(i), code(l))).collect();
        let gaps = coverage::gaps(&self.tender.terms.municipalities, &lines, &admitted);
        let covered: BTreeSet<&ScopeItem> = admitted.iter().collect();
        let expected: Vec<(String, String)> = call
            .iter()
            .filter(|s| !covered.contains(s))
            .map(|s| (s.municipality.to_string(), s.intervention.to_string()))
            .collect();
        let mut found: Vec<(String, String)> =
            gaps.interventions.iter().map(|g| (g.municipality.to_string(), g.intervention.to_string())).collect();
        found.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(found, expected);
        for gap in &gaps.product_lines {
            let line_covered = admitted.iter().any(|s| {
                s.municipality == gap.municipality
                    && lines.iter().any(|(i, l)| *i == s.intervention && *l == gap.product_line)
            });
            assert!(!line_covered, "a reported line gap is not covered");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_procedures_keep_every_invariant(
        open in prop::collection::vec(command(), 5..40),
        examination in prop::collection::vec(command(), 5..40),
    ) {
        let authority = OrganizationId::new();
        let mut world = World {
            tender: call(authority),
            providers: [OrganizationId::new(), OrganizationId::new(), OrganizationId::new()],
            apps: Vec::new(),
            documents: Vec::new(),
            protocol: 0,
            numbers: Vec::new(),
            now: at("2024-02-13T09:00"),
        };
        // Whatever happened while the call was open, the examination follows its deadline.
        let commands = open.into_iter().chain([Command::PassDeadline]).chain(examination);
        for command in commands {
            world.run(command);
        }
    }
}
