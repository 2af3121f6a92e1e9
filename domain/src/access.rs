//! The one access policy: given who acts and what they act on, it answers whether they may,
//! whether their role may not (403), or whether the thing is not theirs to see at all (404,
//! answered exactly as for a thing that does not exist). List queries take a scope from here,
//! so that nothing is loaded and then hidden.

use crate::Role;
use crate::event::{DirectoryEvent, Readers};
use crate::ids::{OrganizationId, UserId};

/// Who is acting: a user, their organization, and the role that organization's kind gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub organization: OrganizationId,
    pub role: Role,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    fn is(&self, role: Role, organization: OrganizationId) -> bool {
        self.role == role && self.organization == organization
    }

    fn staff_of(&self, authorities: &[OrganizationId]) -> bool {
        self.role == Role::AuthorityStaff && authorities.contains(&self.organization)
    }
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// The actor sees the thing, but their role may not do this.
    Forbidden,
    /// Not the actor's to see: answered as if it did not exist.
    NotFound,
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("your role may not do this")]
    Forbidden,
    #[error("no such resource")]
    NotFound,
}

impl Decision {
    pub fn require(self) -> Result<(), Denied> {
        match self {
            Self::Allowed => Ok(()),
            Self::Forbidden => Err(Denied::Forbidden),
            Self::NotFound => Err(Denied::NotFound),
        }
    }

    /// Allowed when `may`, else forbidden: for someone who sees the thing.
    fn role(may: bool) -> Self {
        if may { Self::Allowed } else { Self::Forbidden }
    }
}

// --- the directory: organizations, users, districts, the audit trail --------------------------

/// What is done with an organization or a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordAction {
    Read,
    /// Change it, or create one: platform admins.
    Administer,
}

/// An organization, or anything that belongs to one (its user accounts).
pub fn organization(actor: &Actor, owner: OrganizationId, action: RecordAction) -> Decision {
    if actor.is_admin() {
        return Decision::Allowed;
    }
    if actor.organization != owner {
        return Decision::NotFound;
    }
    Decision::role(action == RecordAction::Read)
}

/// Districts are public reference data; admins edit them.
pub fn district(actor: Option<&Actor>, action: RecordAction) -> Decision {
    match action {
        RecordAction::Read => Decision::Allowed,
        RecordAction::Administer => Decision::role(actor.is_some_and(Actor::is_admin)),
    }
}

/// What only platform admins do: create organizations, accounts and districts, read the audit
/// trail.
pub fn platform_administration(actor: &Actor) -> Decision {
    Decision::role(actor.is_admin())
}

/// Which organizations a list of organizations or users shows.
pub fn directory_scope(actor: &Actor) -> Option<OrganizationId> {
    (!actor.is_admin()).then_some(actor.organization)
}

pub(crate) fn directory_readers(event: &DirectoryEvent) -> Readers {
    match event {
        DirectoryEvent::OrganizationCreated { organization_id, .. }
        | DirectoryEvent::OrganizationUpdated { organization_id }
        | DirectoryEvent::UserCreated { organization_id, .. }
        | DirectoryEvent::UserUpdated { organization_id, .. }
        | DirectoryEvent::PasswordChanged { organization_id, .. } => Readers::only([*organization_id]),
        DirectoryEvent::DistrictCreated { .. } | DirectoryEvent::DistrictUpdated { .. } => Readers::public(),
    }
}

// --- calls ------------------------------------------------------------------------------------

/// What the policy needs to know of a call.
#[derive(Debug, Clone, Copy)]
pub struct TenderFacts<'a> {
    pub issuers: &'a [OrganizationId],
    /// Published once (open, closed, concluded, or cancelled after publication).
    pub published: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderAction {
    /// The call, its documents, amendments, answered questions, coverage and accreditations.
    Read,
    /// Edit a draft, publish, amend, cancel, conclude, attach documents, answer questions:
    /// the issuing authorities' staff. To anyone else the management of a call is not there.
    Manage,
    /// Record an application received outside the platform (PEC, by hand, by post, courier).
    RecordReceived,
    /// Open an application: providers.
    Apply,
    /// Ask a question: providers.
    Ask,
}

pub fn tender(actor: Option<&Actor>, call: TenderFacts<'_>, action: TenderAction) -> Decision {
    let issuer = actor.is_some_and(|a| a.staff_of(call.issuers));
    let admin = actor.is_some_and(Actor::is_admin);
    if !(call.published || issuer || admin) {
        return Decision::NotFound;
    }
    match action {
        TenderAction::Read => Decision::Allowed,
        TenderAction::Manage | TenderAction::RecordReceived if issuer => Decision::Allowed,
        TenderAction::Manage | TenderAction::RecordReceived if admin => Decision::Forbidden,
        TenderAction::Manage | TenderAction::RecordReceived => Decision::NotFound,
        TenderAction::Apply | TenderAction::Ask => match actor {
            None => Decision::NotFound,
            Some(a) => Decision::role(a.role == Role::ProviderMember),
        },
    }
}

/// Drafting a call: authority staff (for a call their own authority issues, as the input states).
pub fn tender_drafting(actor: &Actor) -> Decision {
    Decision::role(actor.role == Role::AuthorityStaff)
}

/// Which calls a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenderScope {
    /// Calls published once.
    Public,
    /// Public calls and every call, drafts included, that this authority issues.
    Authority(OrganizationId),
    Everything,
}

pub fn tender_scope(actor: Option<&Actor>) -> TenderScope {
    match actor {
        Some(a) if a.is_admin() => TenderScope::Everything,
        Some(a) if a.role == Role::AuthorityStaff => TenderScope::Authority(a.organization),
        _ => TenderScope::Public,
    }
}

/// Which questions of a call a list shows: answered ones are public; an unanswered one only to
/// the issuing authorities' staff, admins, and the organization that asked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionScope {
    All,
    AnsweredOrAskedBy(Option<OrganizationId>),
}

pub fn question_scope(actor: Option<&Actor>, call: TenderFacts<'_>) -> QuestionScope {
    match actor {
        Some(a) if a.is_admin() || a.staff_of(call.issuers) => QuestionScope::All,
        Some(a) => QuestionScope::AnsweredOrAskedBy(Some(a.organization)),
        None => QuestionScope::AnsweredOrAskedBy(None),
    }
}

/// One question: answered ones are public; an unanswered one is read by the issuers' staff,
/// admins, and the organization that asked it.
pub fn question(actor: Option<&Actor>, call: TenderFacts<'_>, asked_by: OrganizationId, answered: bool) -> Decision {
    if tender(actor, call, TenderAction::Read) != Decision::Allowed {
        return Decision::NotFound;
    }
    match question_scope(actor, call) {
        QuestionScope::All => Decision::Allowed,
        QuestionScope::AnsweredOrAskedBy(asker) if answered || asker == Some(asked_by) => Decision::Allowed,
        QuestionScope::AnsweredOrAskedBy(_) => Decision::NotFound,
    }
}

pub fn tender_readers(call: TenderFacts<'_>) -> Readers {
    if call.published { Readers::public() } else { Readers::only(call.issuers.iter().copied()) }
}

/// An unanswered question is read by the issuers and the organization that asked; once
/// answered, by everyone.
pub fn question_readers(call: TenderFacts<'_>, asked_by: OrganizationId, answered: bool) -> Readers {
    if answered && call.published {
        Readers::public()
    } else {
        Readers::only(call.issuers.iter().copied().chain([asked_by]))
    }
}

// --- applications -----------------------------------------------------------------------------

/// What the policy needs to know of an application.
#[derive(Debug, Clone, Copy)]
pub struct ApplicationFacts<'a> {
    pub provider: OrganizationId,
    /// Submitted once: no longer a draft.
    pub received: bool,
    /// Received outside the platform and recorded by an issuer's staff, who act for the
    /// provider on it.
    pub recorded: bool,
    pub issuers: &'a [OrganizationId],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationAction {
    Read,
    /// The applicant's side: edit the offer, attach documents, submit, withdraw, confirm,
    /// answer an integration request. Staff do it for an application they recorded.
    Prepare,
    /// Admit, exclude, ask for integration: the issuing authorities' staff.
    Examine,
}

fn application_visible(actor: &Actor, app: ApplicationFacts<'_>) -> bool {
    let own = actor.organization == app.provider && (!app.recorded || app.received);
    // A draft is the provider's own until submitted: the authority does not read offers early.
    let examiner =
        (app.received && actor.is_admin()) || (actor.staff_of(app.issuers) && (app.received || app.recorded));
    own || examiner
}

pub fn application(actor: &Actor, app: ApplicationFacts<'_>, action: ApplicationAction) -> Decision {
    if !application_visible(actor, app) {
        return Decision::NotFound;
    }
    Decision::role(match action {
        ApplicationAction::Read => true,
        ApplicationAction::Prepare if app.recorded => actor.staff_of(app.issuers),
        ApplicationAction::Prepare => actor.is(Role::ProviderMember, app.provider),
        ApplicationAction::Examine => actor.staff_of(app.issuers),
    })
}

/// Which applications of a call a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationScope {
    /// A provider's own, drafts included (not the ones staff are still recording for it).
    Provider(OrganizationId),
    /// Every application once received; the issuers' staff also see those they are recording.
    Received { recorded_drafts: bool },
}

pub fn application_scope(actor: &Actor, call: TenderFacts<'_>) -> Result<ApplicationScope, Denied> {
    tender(Some(actor), call, TenderAction::Read).require()?;
    if actor.staff_of(call.issuers) {
        Ok(ApplicationScope::Received { recorded_drafts: true })
    } else if actor.is_admin() {
        Ok(ApplicationScope::Received { recorded_drafts: false })
    } else if actor.role == Role::ProviderMember {
        Ok(ApplicationScope::Provider(actor.organization))
    } else {
        Err(Denied::NotFound)
    }
}

/// Which applications a list across calls shows (`GET /applications`): a provider's own; the
/// calls of a staff member's authority, as [`application_scope`] shows each; for an admin,
/// every received one. Municipalities take part in no call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationsScope {
    pub scope: ApplicationScope,
    /// Only the calls this authority issues (alone or jointly).
    pub issuer: Option<OrganizationId>,
}

pub fn applications_scope(actor: &Actor) -> Result<ApplicationsScope, Denied> {
    let (scope, issuer) = match actor.role {
        Role::Admin => (ApplicationScope::Received { recorded_drafts: false }, None),
        Role::AuthorityStaff => (ApplicationScope::Received { recorded_drafts: true }, Some(actor.organization)),
        Role::ProviderMember => (ApplicationScope::Provider(actor.organization), None),
        Role::Municipality => return Err(Denied::Forbidden),
    };
    Ok(ApplicationsScope { scope, issuer })
}

pub fn application_readers(app: ApplicationFacts<'_>) -> Readers {
    let provider = (!app.recorded || app.received).then_some(app.provider);
    let issuers: &[OrganizationId] = if app.received || app.recorded { app.issuers } else { &[] };
    Readers::only(provider.into_iter().chain(issuers.iter().copied()))
}

// --- accreditations, requirements, patti --------------------------------------------------------

/// What the policy needs to know of an accreditation or a patto: whose, and which authorities
/// issued its call.
#[derive(Debug, Clone, Copy)]
pub struct ListingFacts<'a> {
    pub provider: OrganizationId,
    pub issuers: &'a [OrganizationId],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingAction {
    /// The whole record, with its measures and their reasons (the public registry shows less).
    Read,
    /// Suspend, reinstate, revoke; for a patto, amend: the issuing authorities' staff.
    Decide,
    /// Sign a patto: its provider's members, and staff of the authority that signs it.
    Sign { authority: OrganizationId },
}

/// An accreditation or a patto: its provider sees its own, the issuing authorities' staff see
/// and act on all of their calls'; municipalities and the public see the registry only.
pub fn listing(actor: &Actor, facts: ListingFacts<'_>, action: ListingAction) -> Decision {
    let issuer = actor.staff_of(facts.issuers);
    let own = actor.organization == facts.provider;
    if !(issuer || own || actor.is_admin()) {
        return Decision::NotFound;
    }
    Decision::role(match action {
        ListingAction::Read => true,
        ListingAction::Decide => issuer,
        ListingAction::Sign { authority } => {
            actor.is(Role::ProviderMember, facts.provider) || actor.is(Role::AuthorityStaff, authority)
        }
    })
}

/// Which accreditations or patti a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingScope {
    Provider(OrganizationId),
    /// Those of calls this authority issues.
    Authority(OrganizationId),
    Everything,
}

/// Municipalities and the public read the registry; these lists are not theirs: 404.
pub fn listing_scope(actor: &Actor) -> Result<ListingScope, Denied> {
    match actor.role {
        Role::Admin => Ok(ListingScope::Everything),
        Role::AuthorityStaff => Ok(ListingScope::Authority(actor.organization)),
        Role::ProviderMember => Ok(ListingScope::Provider(actor.organization)),
        Role::Municipality => Err(Denied::NotFound),
    }
}

/// A provider's certificates (DURC and registrations): the provider records its own; authority
/// staff check them, and confirm a provider's requirements after a lapse.
pub fn certificates(actor: &Actor, provider: OrganizationId, action: RecordAction) -> Decision {
    let own = actor.organization == provider;
    if !(own || actor.is_admin() || actor.role == Role::AuthorityStaff) {
        return Decision::NotFound;
    }
    Decision::role(match action {
        RecordAction::Read => true,
        RecordAction::Administer => own && actor.role == Role::ProviderMember,
    })
}

/// Confirming a provider's requirements after a lapse: authority staff, for the accreditations
/// of their own calls.
pub fn requirement_confirmation(actor: &Actor, provider: OrganizationId) -> Decision {
    match certificates(actor, provider, RecordAction::Read) {
        Decision::Allowed => Decision::role(actor.role == Role::AuthorityStaff),
        other => other,
    }
}

// --- the change feed --------------------------------------------------------------------------

/// Which events of the feed an actor reads: all for admins, else those their organization may
/// read.
pub fn event_scope(actor: &Actor) -> Option<OrganizationId> {
    directory_scope(actor)
}

// --- beneficiaries, their requests, co-payment rules ------------------------------------------

/// What the policy needs to know of a beneficiary: the responsible authority, the municipality
/// that registered the person, those that asked for them, and the providers that accepted one of
/// their requests.
#[derive(Debug, Clone, Copy)]
pub struct BeneficiaryFacts<'a> {
    pub authority: OrganizationId,
    pub registered_by: OrganizationId,
    pub requesters: &'a [OrganizationId],
    pub serving: &'a [OrganizationId],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeneficiaryAction {
    Read,
    /// Correct the record, record an ISEE: the authority's staff and the municipalities involved.
    Change,
    /// Who has seen the person's data: the responsible authority's staff.
    ReadAccessLog,
}

/// A person's record: special-category data, read only by the responsible authority's staff,
/// the municipalities that registered or asked for them and the providers serving them; admins
/// of the platform do not read it. Everyone else is told it does not exist.
pub fn beneficiary(actor: &Actor, facts: BeneficiaryFacts<'_>, action: BeneficiaryAction) -> Decision {
    let staff = actor.is(Role::AuthorityStaff, facts.authority);
    let municipality = actor.role == Role::Municipality
        && (actor.organization == facts.registered_by || facts.requesters.contains(&actor.organization));
    let provider = actor.role == Role::ProviderMember && facts.serving.contains(&actor.organization);
    if !(staff || municipality || provider) {
        return Decision::NotFound;
    }
    Decision::role(match action {
        BeneficiaryAction::Read => true,
        BeneficiaryAction::Change => staff || municipality,
        BeneficiaryAction::ReadAccessLog => staff,
    })
}

/// Registering a person: municipalities (their residents) and authority staff.
pub fn beneficiary_registration(actor: &Actor) -> Decision {
    Decision::role(matches!(actor.role, Role::Municipality | Role::AuthorityStaff))
}

/// Whose people or requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleScope {
    /// Those the authority is responsible for.
    Authority(OrganizationId),
    /// Those the municipality registered or asked for.
    Municipality(OrganizationId),
    /// Those the provider was offered or serves.
    Provider(OrganizationId),
}

/// Platform admins manage the platform, not people's care: these lists are not theirs.
pub fn people_scope(actor: &Actor) -> Result<PeopleScope, Denied> {
    match actor.role {
        Role::AuthorityStaff => Ok(PeopleScope::Authority(actor.organization)),
        Role::Municipality => Ok(PeopleScope::Municipality(actor.organization)),
        Role::ProviderMember => Ok(PeopleScope::Provider(actor.organization)),
        Role::Admin => Err(Denied::NotFound),
    }
}

/// What the policy needs to know of a service request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub authority: OrganizationId,
    pub requested_by: OrganizationId,
    /// Providers whose answer to an offer is awaited.
    pub offered: &'a [OrganizationId],
    /// Providers that accepted one of its vouchers.
    pub serving: &'a [OrganizationId],
}

/// How much of a request an actor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestView {
    /// Everything, the care plan included.
    Full,
    /// What a provider needs to decide on an offer: interventions, units, municipality, start, age band.
    Offer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAction {
    Read,
    /// Ask for an integration, grant, refuse: the responsible authority's staff.
    Assess,
    /// Answer an integration: the requesting municipality.
    Integrate,
    /// Record the family's choice of provider: the requesting municipality or staff.
    Choose,
    /// Accept or decline an offer: a provider offered one of its vouchers (or serving another).
    Answer,
    /// Suspend or resume the service: the municipality, staff, or the provider serving.
    Suspend,
    Close,
}

pub fn request_view(actor: &Actor, facts: RequestFacts<'_>) -> Result<RequestView, Denied> {
    let provider = |list: &[OrganizationId]| actor.role == Role::ProviderMember && list.contains(&actor.organization);
    if actor.is(Role::AuthorityStaff, facts.authority)
        || actor.is(Role::Municipality, facts.requested_by)
        || provider(facts.serving)
    {
        Ok(RequestView::Full)
    } else if provider(facts.offered) {
        Ok(RequestView::Offer)
    } else {
        Err(Denied::NotFound)
    }
}

pub fn service_request(actor: &Actor, facts: RequestFacts<'_>, action: RequestAction) -> Decision {
    if request_view(actor, facts).is_err() {
        return Decision::NotFound;
    }
    let staff = actor.is(Role::AuthorityStaff, facts.authority);
    let requester = actor.is(Role::Municipality, facts.requested_by);
    let provider = |list: &[OrganizationId]| actor.role == Role::ProviderMember && list.contains(&actor.organization);
    Decision::role(match action {
        RequestAction::Read => true,
        RequestAction::Assess => staff,
        RequestAction::Integrate => requester,
        RequestAction::Choose | RequestAction::Close => staff || requester,
        // Whether an offer awaits this provider's answer is the request's to say (409).
        RequestAction::Answer => provider(facts.offered) || provider(facts.serving),
        RequestAction::Suspend => staff || requester || provider(facts.serving),
    })
}

/// Filing a request: a municipality's social workers and systems.
pub fn request_submission(actor: &Actor) -> Decision {
    Decision::role(actor.role == Role::Municipality)
}

/// Enacting a co-payment rule: staff, for their own authority. (Rules are public to read.)
pub fn copayment_enactment(actor: &Actor) -> Decision {
    Decision::role(actor.role == Role::AuthorityStaff)
}

// --- mediation requests, mediators, delivery reports -------------------------------------------

/// What the policy needs to know of a mediation request.
#[derive(Debug, Clone, Copy)]
pub struct MediationFacts<'a> {
    pub authority: OrganizationId,
    pub requested_by: OrganizationId,
    /// Providers it was offered to, that did not decline.
    pub offered: &'a [OrganizationId],
    pub confirmed: Option<OrganizationId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediationAction {
    Read,
    /// Offer it to a provider: the responsible authority's staff.
    Offer,
    /// Confirm or decline an offer: a provider offered it.
    Answer,
    /// Record the delivery, or that the person did not come: the provider that confirmed.
    Deliver,
    /// The requesting service, or the responsible authority's staff.
    Cancel,
}

/// How much of a mediation request an actor reads: the provider offered it learns what it needs
/// to decide (language, context, mode, slot, place), not who or why.
pub fn mediation_view(actor: &Actor, facts: MediationFacts<'_>) -> Result<RequestView, Denied> {
    let provider = |p: &OrganizationId| actor.is(Role::ProviderMember, *p);
    if actor.is(Role::AuthorityStaff, facts.authority)
        || (actor.organization == facts.requested_by && matches!(actor.role, Role::AuthorityStaff | Role::Municipality))
        || facts.confirmed.as_ref().is_some_and(provider)
    {
        Ok(RequestView::Full)
    } else if facts.offered.iter().any(provider) {
        Ok(RequestView::Offer)
    } else {
        Err(Denied::NotFound)
    }
}

pub fn mediation(actor: &Actor, facts: MediationFacts<'_>, action: MediationAction) -> Decision {
    if mediation_view(actor, facts).is_err() {
        return Decision::NotFound;
    }
    let staff = actor.is(Role::AuthorityStaff, facts.authority);
    let requester = actor.organization == facts.requested_by && actor.role != Role::ProviderMember;
    let provider = actor.role == Role::ProviderMember;
    Decision::role(match action {
        MediationAction::Read => true,
        MediationAction::Offer => staff,
        // Whether this provider may still answer, or is the one that confirmed, is the request's to say.
        MediationAction::Answer | MediationAction::Deliver => provider,
        MediationAction::Cancel => staff || requester,
    })
}

/// Asking for a mediation: a municipality's services, or an authority's.
pub fn mediation_submission(actor: &Actor) -> Decision {
    Decision::role(matches!(actor.role, Role::Municipality | Role::AuthorityStaff))
}

/// A provider's mediators: the provider keeps its list; authority staff read it.
pub fn mediators(actor: &Actor, provider: OrganizationId, action: RecordAction) -> Decision {
    let own = actor.organization == provider && actor.role == Role::ProviderMember;
    if !(own || actor.role == Role::AuthorityStaff) {
        return Decision::NotFound;
    }
    Decision::role(action == RecordAction::Read || own)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    Read,
    /// Submit or correct: the provider.
    Submit,
    /// Contest or validate: the paying authority's staff.
    Review,
}

/// A delivery report: its provider and the paying authority's staff.
pub fn delivery_report(
    actor: &Actor,
    provider: OrganizationId,
    authority: OrganizationId,
    action: ReportAction,
) -> Decision {
    let own = actor.is(Role::ProviderMember, provider);
    let staff = actor.is(Role::AuthorityStaff, authority);
    if !(own || staff) {
        return Decision::NotFound;
    }
    Decision::role(match action {
        ReportAction::Read => true,
        ReportAction::Submit => own,
        ReportAction::Review => staff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Allowed as A, Forbidden as F, NotFound as N};

    /// The demo world: two authorities, two providers, a municipality, the platform.
    struct World {
        asc: OrganizationId,
        concass: OrganizationId,
        uno: OrganizationId,
        due: OrganizationId,
        cremona: OrganizationId,
        platform: OrganizationId,
    }

    fn world() -> World {
        World {
            asc: OrganizationId::new(),
            concass: OrganizationId::new(),
            uno: OrganizationId::new(),
            due: OrganizationId::new(),
            cremona: OrganizationId::new(),
            platform: OrganizationId::new(),
        }
    }

    fn actor(role: Role, organization: OrganizationId) -> Actor {
        Actor { user: UserId::new(), organization, role }
    }

    /// The actors of every table below, in order: admin; staff of the issuing authority (own);
    /// staff of a peer authority; the provider (own); a peer provider; a municipality
    /// (unrelated); and no one.
    fn actors(w: &World) -> [Option<Actor>; 7] {
        [
            Some(actor(Role::Admin, w.platform)),
            Some(actor(Role::AuthorityStaff, w.asc)),
            Some(actor(Role::AuthorityStaff, w.concass)),
            Some(actor(Role::ProviderMember, w.uno)),
            Some(actor(Role::ProviderMember, w.due)),
            Some(actor(Role::Municipality, w.cremona)),
            None,
        ]
    }

    #[test]
    fn calls() {
        let w = world();
        let issuers = [w.asc];
        let draft = TenderFacts { issuers: &issuers, published: false };
        let published = TenderFacts { issuers: &issuers, published: true };
        let table: &[(TenderFacts<'_>, TenderAction, [Decision; 7])] = &[
            (draft, TenderAction::Read, [A, A, N, N, N, N, N]),
            (draft, TenderAction::Manage, [F, A, N, N, N, N, N]),
            (draft, TenderAction::RecordReceived, [F, A, N, N, N, N, N]),
            (draft, TenderAction::Apply, [F, F, N, N, N, N, N]),
            (draft, TenderAction::Ask, [F, F, N, N, N, N, N]),
            (published, TenderAction::Read, [A, A, A, A, A, A, A]),
            (published, TenderAction::Manage, [F, A, N, N, N, N, N]),
            (published, TenderAction::RecordReceived, [F, A, N, N, N, N, N]),
            (published, TenderAction::Apply, [F, F, F, A, A, F, N]),
            (published, TenderAction::Ask, [F, F, F, A, A, F, N]),
        ];
        for (facts, action, expected) in table {
            for (who, (a, want)) in actors(&w).iter().zip(expected).enumerate() {
                assert_eq!(
                    tender(a.as_ref(), *facts, *action),
                    *want,
                    "{action:?} published={} actor #{who}",
                    facts.published
                );
            }
        }
    }

    #[test]
    fn applications() {
        let w = world();
        let issuers = [w.asc];
        let facts = |received, recorded| ApplicationFacts { provider: w.uno, received, recorded, issuers: &issuers };
        let (draft, submitted) = (facts(false, false), facts(true, false));
        let (recording, recorded) = (facts(false, true), facts(true, true));
        let table: &[(ApplicationFacts<'_>, ApplicationAction, [Decision; 6])] = &[
            (draft, ApplicationAction::Read, [N, N, N, A, N, N]),
            (draft, ApplicationAction::Prepare, [N, N, N, A, N, N]),
            (draft, ApplicationAction::Examine, [N, N, N, F, N, N]),
            (submitted, ApplicationAction::Read, [A, A, N, A, N, N]),
            (submitted, ApplicationAction::Prepare, [F, F, N, A, N, N]),
            (submitted, ApplicationAction::Examine, [F, A, N, F, N, N]),
            (recording, ApplicationAction::Read, [N, A, N, N, N, N]),
            (recording, ApplicationAction::Prepare, [N, A, N, N, N, N]),
            (recording, ApplicationAction::Examine, [N, A, N, N, N, N]),
            (recorded, ApplicationAction::Read, [A, A, N, A, N, N]),
            (recorded, ApplicationAction::Prepare, [F, A, N, F, N, N]),
            (recorded, ApplicationAction::Examine, [F, A, N, F, N, N]),
        ];
        for (facts, action, expected) in table {
            for (who, (a, want)) in actors(&w).iter().take(6).zip(expected).enumerate() {
                let a = a.expect("signed in");
                assert_eq!(
                    application(&a, *facts, *action),
                    *want,
                    "{action:?} received={} recorded={} actor #{who}",
                    facts.received,
                    facts.recorded
                );
            }
        }
    }

    #[test]
    fn application_lists_and_readers() {
        let w = world();
        let issuers = [w.asc];
        let call = TenderFacts { issuers: &issuers, published: true };
        let scopes: Vec<_> = actors(&w).iter().take(6).map(|a| application_scope(a.as_ref().unwrap(), call)).collect();
        assert_eq!(
            scopes,
            [
                Ok(ApplicationScope::Received { recorded_drafts: false }),
                Ok(ApplicationScope::Received { recorded_drafts: true }),
                Err(Denied::NotFound),
                Ok(ApplicationScope::Provider(w.uno)),
                Ok(ApplicationScope::Provider(w.due)),
                Err(Denied::NotFound),
            ]
        );
        let draft = ApplicationFacts { provider: w.uno, received: false, recorded: false, issuers: &issuers };
        assert_eq!(application_readers(draft), Readers::only([w.uno]));
        let submitted = ApplicationFacts { received: true, ..draft };
        assert!(application_readers(submitted).may_read(w.asc) && !application_readers(submitted).public);
        let recording = ApplicationFacts { recorded: true, ..draft };
        assert_eq!(application_readers(recording), Readers::only([w.asc]));
    }

    #[test]
    fn directory() {
        let w = world();
        // (owner, action) for each actor of `actors` but the anonymous one.
        let table: &[(OrganizationId, RecordAction, [Decision; 6])] = &[
            (w.asc, RecordAction::Read, [A, A, N, N, N, N]),
            (w.asc, RecordAction::Administer, [A, F, N, N, N, N]),
            (w.uno, RecordAction::Read, [A, N, N, A, N, N]),
            (w.uno, RecordAction::Administer, [A, N, N, F, N, N]),
            (w.cremona, RecordAction::Read, [A, N, N, N, N, A]),
        ];
        for (owner, action, expected) in table {
            for (who, (a, want)) in actors(&w).iter().take(6).zip(expected).enumerate() {
                assert_eq!(organization(a.as_ref().unwrap(), *owner, *action), *want, "{action:?} actor #{who}");
            }
        }
        let everyone = actors(&w);
        let district_admin: Vec<Decision> =
            everyone.iter().map(|a| district(a.as_ref(), RecordAction::Administer)).collect();
        assert_eq!(district_admin, [A, F, F, F, F, F, F]);
        assert!(everyone.iter().all(|a| district(a.as_ref(), RecordAction::Read) == A));
        let platform: Vec<Decision> =
            everyone.iter().take(6).map(|a| platform_administration(a.as_ref().unwrap())).collect();
        assert_eq!(platform, [A, F, F, F, F, F]);
    }

    #[test]
    fn accreditations_and_patti() {
        let w = world();
        let issuers = [w.asc];
        let facts = ListingFacts { provider: w.uno, issuers: &issuers };
        let sign = ListingAction::Sign { authority: w.asc };
        let table: &[(ListingAction, [Decision; 6])] = &[
            (ListingAction::Read, [A, A, N, A, N, N]),
            (ListingAction::Decide, [F, A, N, F, N, N]),
            (sign, [F, A, N, A, N, N]),
        ];
        for (action, expected) in table {
            for (who, (a, want)) in actors(&w).iter().take(6).zip(expected).enumerate() {
                assert_eq!(listing(a.as_ref().unwrap(), facts, *action), *want, "{action:?} actor #{who}");
            }
        }
        let scopes: Vec<_> = actors(&w).iter().take(6).map(|a| listing_scope(a.as_ref().unwrap())).collect();
        assert_eq!(
            scopes,
            [
                Ok(ListingScope::Everything),
                Ok(ListingScope::Authority(w.asc)),
                Ok(ListingScope::Authority(w.concass)),
                Ok(ListingScope::Provider(w.uno)),
                Ok(ListingScope::Provider(w.due)),
                Err(Denied::NotFound),
            ]
        );
        let read: Vec<Decision> =
            actors(&w).iter().take(6).map(|a| certificates(a.as_ref().unwrap(), w.uno, RecordAction::Read)).collect();
        assert_eq!(read, [A, A, A, A, N, N]);
        let record: Vec<Decision> = actors(&w)
            .iter()
            .take(6)
            .map(|a| certificates(a.as_ref().unwrap(), w.uno, RecordAction::Administer))
            .collect();
        assert_eq!(record, [F, F, F, A, N, N]);
        let confirm: Vec<Decision> =
            actors(&w).iter().take(6).map(|a| requirement_confirmation(a.as_ref().unwrap(), w.uno)).collect();
        assert_eq!(confirm, [F, A, A, F, N, N]);
    }

    #[test]
    fn questions_and_lists_of_calls() {
        let w = world();
        let issuers = [w.asc];
        let call = TenderFacts { issuers: &issuers, published: true };
        let scopes: Vec<_> = actors(&w).iter().map(|a| question_scope(a.as_ref(), call)).collect();
        assert_eq!(
            scopes,
            [
                QuestionScope::All,
                QuestionScope::All,
                QuestionScope::AnsweredOrAskedBy(Some(w.concass)),
                QuestionScope::AnsweredOrAskedBy(Some(w.uno)),
                QuestionScope::AnsweredOrAskedBy(Some(w.due)),
                QuestionScope::AnsweredOrAskedBy(Some(w.cremona)),
                QuestionScope::AnsweredOrAskedBy(None),
            ]
        );
        let lists: Vec<_> = actors(&w).iter().map(|a| tender_scope(a.as_ref())).collect();
        assert_eq!(
            lists,
            [
                TenderScope::Everything,
                TenderScope::Authority(w.asc),
                TenderScope::Authority(w.concass),
                TenderScope::Public,
                TenderScope::Public,
                TenderScope::Public,
                TenderScope::Public,
            ]
        );
        assert_eq!(question_readers(call, w.uno, false), Readers::only([w.asc, w.uno]));
        let unanswered: Vec<Decision> = actors(&w).iter().map(|a| question(a.as_ref(), call, w.uno, false)).collect();
        assert_eq!(unanswered, [A, A, N, A, N, N, N]);
        assert!(actors(&w).iter().all(|a| question(a.as_ref(), call, w.uno, true) == A));
        assert!(question_readers(call, w.uno, true).public);
    }

    #[test]
    fn beneficiaries_and_their_requests() {
        let w = world();
        let other_town = actor(Role::Municipality, OrganizationId::new());
        // Uno serves the person; Due was offered one of their requests; Cremona asked.
        let everyone: Vec<Actor> = actors(&w).into_iter().take(6).flatten().chain([other_town]).collect();
        let (serving, offered, requesters) = ([w.uno], [w.due], [w.cremona]);
        let person =
            BeneficiaryFacts { authority: w.asc, registered_by: w.cremona, requesters: &requesters, serving: &serving };
        let table: &[(BeneficiaryAction, [Decision; 7])] = &[
            (BeneficiaryAction::Read, [N, A, N, A, N, A, N]),
            (BeneficiaryAction::Change, [N, A, N, F, N, A, N]),
            (BeneficiaryAction::ReadAccessLog, [N, A, N, F, N, F, N]),
        ];
        for (action, expected) in table {
            let got: Vec<Decision> = everyone.iter().map(|a| beneficiary(a, person, *action)).collect();
            assert_eq!(got, expected, "{action:?}");
        }
        let request = RequestFacts { authority: w.asc, requested_by: w.cremona, offered: &offered, serving: &serving };
        let views: Vec<_> = everyone.iter().map(|a| request_view(a, request)).collect();
        use RequestView::{Full, Offer};
        let nf = Err(Denied::NotFound);
        assert_eq!(views, [nf, Ok(Full), nf, Ok(Full), Ok(Offer), Ok(Full), nf]);
        let table: &[(RequestAction, [Decision; 7])] = &[
            (RequestAction::Read, [N, A, N, A, A, A, N]),
            (RequestAction::Assess, [N, A, N, F, F, F, N]),
            (RequestAction::Integrate, [N, F, N, F, F, A, N]),
            (RequestAction::Choose, [N, A, N, F, F, A, N]),
            (RequestAction::Answer, [N, F, N, A, A, F, N]),
            (RequestAction::Suspend, [N, A, N, A, F, A, N]),
            (RequestAction::Close, [N, A, N, F, F, A, N]),
        ];
        for (action, expected) in table {
            let got: Vec<Decision> = everyone.iter().map(|a| service_request(a, request, *action)).collect();
            assert_eq!(got, expected, "{action:?}");
        }
        let filing: Vec<Decision> = everyone.iter().map(request_submission).collect();
        assert_eq!(filing, [F, F, F, F, F, A, A]);
        let scopes: Vec<_> = everyone.iter().map(people_scope).collect();
        assert_eq!(scopes[0], Err(Denied::NotFound), "admins do not read people's care");
        assert_eq!(scopes[5], Ok(PeopleScope::Municipality(w.cremona)));
    }

    #[test]
    fn mediation_requests_mediators_and_reports() {
        let w = world();
        // Cremona asked, ASC is responsible; Uno was offered it, Due confirmed.
        let (offered, everyone) = ([w.uno], actors(&w));
        let pending = MediationFacts { authority: w.asc, requested_by: w.cremona, offered: &offered, confirmed: None };
        let taken = MediationFacts { confirmed: Some(w.due), offered: &[], ..pending };
        let read = |f: MediationFacts<'_>| -> Vec<_> {
            everyone.iter().map(|a| a.as_ref().map(|a| mediation_view(a, f).ok())).collect()
        };
        use RequestView::{Full, Offer};
        assert_eq!(
            read(pending),
            [Some(None), Some(Some(Full)), Some(None), Some(Some(Offer)), Some(None), Some(Some(Full)), None]
        );
        assert_eq!(
            read(taken),
            [Some(None), Some(Some(Full)), Some(None), Some(None), Some(Some(Full)), Some(Some(Full)), None]
        );
        let table: &[(MediationFacts<'_>, MediationAction, [Decision; 6])] = &[
            (pending, MediationAction::Offer, [N, A, N, F, N, F]),
            (pending, MediationAction::Answer, [N, F, N, A, N, F]),
            (pending, MediationAction::Cancel, [N, A, N, F, N, A]),
            (taken, MediationAction::Deliver, [N, F, N, N, A, F]),
        ];
        for (facts, action, expected) in table {
            let got: Vec<Decision> =
                everyone.iter().take(6).map(|a| mediation(a.as_ref().unwrap(), *facts, *action)).collect();
            assert_eq!(got, expected, "{action:?}");
        }
        let lists: Vec<Decision> =
            everyone.iter().take(6).map(|a| mediators(a.as_ref().unwrap(), w.uno, RecordAction::Administer)).collect();
        assert_eq!(lists, [N, F, F, A, N, N]);
        let table: &[(ReportAction, [Decision; 6])] = &[
            (ReportAction::Read, [N, A, N, A, N, N]),
            (ReportAction::Submit, [N, F, N, A, N, N]),
            (ReportAction::Review, [N, A, N, F, N, N]),
        ];
        for (action, expected) in table {
            let got: Vec<Decision> =
                everyone.iter().take(6).map(|a| delivery_report(a.as_ref().unwrap(), w.uno, w.asc, *action)).collect();
            assert_eq!(got, expected, "{action:?}");
        }
    }
}
