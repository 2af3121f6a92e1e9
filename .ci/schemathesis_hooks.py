"""Schemathesis hooks for .ci/run: which rejections of schema-valid requests are explained.

schemathesis.toml lets positive_data_acceptance (ST202) take 400, 412 and 422 as answers to
schema-valid requests, because some validity no JSON Schema can state: an opaque cursor, the
current ETag, a check digit, an id that must exist, a deadline that must be in the future, one
field compared with another. The check below takes that back for every other reason: a
schema-valid request answered 400, 412 or 422 fails unless the problem+json body names one of the
reasons listed here. Anything else is a constraint the spec could state and does not (a pattern,
a format, a minLength), or a request the API should accept.

When an endpoint gains a rule of that unstateable kind, add its (field, message) here.
"""

import re

import schemathesis

# 422 field errors, as (field pattern, message pattern), that no JSON Schema can foresee.
UNFORESEEABLE_FIELD_ERRORS = [
    # Check digits, and what an organization of each kind must carry (one schema for all kinds).
    (r"^codice_fiscale$", r"check character does not match|^a codice fiscale has 16 characters|is not allowed at that position"),
    (r"^partita_iva$", r"check digit does not match|^a partita IVA has exactly 11 digits"),
    (r"^(codice_fiscale|partita_iva|pec|istat_code)$", r"^required for a|^a PEC address is required|^only a municipality has|^an organization's codice fiscale has 11 digits"),
    # RFC 5322 validity as this API reads it, which `format: email` validators may read otherwise.
    (r"^(pec|email)$", r"^not an e-mail address"),
    # Ids, codes and passwords that must match what is stored.
    (r"^organization_id$", r"^no such organization$|^the platform has no service accounts$"),
    (r"^authority_id$", r"^no authority has this id$"),
    (r"^authorities(\.\d+)?$", r"^no authority has this id$|^your own authority must be among|^each authority once$"),
    (r"^districts\.\d+$", r"^no district has this id$"),
    (r"^istat_code$", r"^no municipality has ISTAT code"),
    (r"^provider_id$", r"^no provider has this id$"),
    (r"^municipalities$", r"^unknown ISTAT codes"),
    (r"^current_password$", r"^the current password is wrong$"),
    (r"^interventions\.\d+\.code$", r"is not in the service catalogue$"),
    (r"^interventions\.\d+\.unit$", r" is measured in "),
    # An application refers to the call's own terms.
    (r"^scope\.\d+\.(intervention|municipality)$", r"^not an? (intervention|municipality) of this call$"),
    (r"^scope\.\d+$", r"^not offered by this application$|^not an active accreditation of this provider under this call$"),
    (r"^declarations\.\d+\.requirement_code$", r"^not a requirement of this call$|^this requirement is met with a document"),
    (r"^requirements\.", r"^attach a document of type |^declare: "),
    # What a file holds, read from its bytes.
    (r"^file$", r"^only PDF documents"),
    # The clock, and calendar dates (a pattern cannot tell 2022-02-30 from 2022-02-28).
    (r"^submission_deadline$", r"^must be in the future when the call is published$"),
    (r"^due_at$", r"^must be in the future$|^give either due_at or due_in_days$"),
    (r"^(submission_deadline|clarification_deadline|due_at|received_at|from|until|to|as_of|deadline_from|deadline_to|starts_at|started_at)$", r"^expected a date and time"),
    (r"^received_at$", r"^must not be in the future$"),
    # What publishing needs, whatever the draft held.
    (r"^(interventions|municipalities|requirements)$", r"^a call (accredits|covers|states) at least one"),
    # One field against another, or against the stored record.
    (r"^clarification_deadline$", r"^must not be after the submission deadline$"),
    (r"^validity_to$", r"^must not be before validity_from$"),
    (r"^valid_to$", r"^must not be before valid_from$|^the patto's validity must be within its accreditations'$"),
    (r"^valid_until$", r"^must not be before valid_from$|^already expired"),
    (r"^until$", r"^must be after the suspension's start$"),
    (r"^effective_from$", r"^from today"),
    (r"^submission_deadline$", r"^must be in the future$"),
    (r"^act_date$", r"^give the act's number and date together$"),
    # A patto's amendment refers to its own terms and documents.
    (r"^rates\.\d+\.intervention$", r"^not an intervention of this patto$"),
    (r"^rates$", r"^change at least one rate$"),
    (r"^remove(\.\d+)?$", r"^not in this patto's scope$|^remove some of the scope"),
    (r"^document_id$", r"^no document of this patto has this id$"),
    # Query parameters that go together.
    (r"^intervention$", r"^give it with a municipality$"),
    (r"^changes$", r"^the amendment changes nothing$"),
    (r"^scope$", r"^admit at least one offered item"),
    # People: a municipality registers its residents, with the authority that serves them.
    (r"^residence$", r"^a municipality registers its own residents$|^no district of the platform includes|^not a municipality of your authority's districts$|^no municipality has ISTAT code"),
    (r"^authority_id$", r"^this authority's districts do not include|^several authorities serve this municipality"),
    (r"^codice_fiscale$", r"^the record's codice fiscale does not change$"),
    (r"^birth_date$", r"^a real birth date, not in the future$"),
    (r"^expires_on$", r"^must not be before issued_on$"),
    # Co-payment rules: the catalogue, the clock, the versions before, a coherent formula.
    (r"^intervention$", r"^not an intervention of the catalogue$|^no call of the responsible authority lists it|^the responsible authority has no co-payment rule"),
    (r"^municipality$", r"^no district of the platform includes it$"),
    (r"^valid_from$", r"^today or later|^after the current version's start"),
    (r"^formula\.", r"^must be above the floor$|^bands go up|^only the last band is open-ended|^a higher ISEE never pays less$|^the last band is open-ended"),
    # Service requests: the person, the catalogue, the clock, what was asked, the call's list.
    (r"^beneficiary_id$", r"^no person you registered has this id$|^the person does not live in your municipality$"),
    (r"^interventions\.\d+\.intervention$", r"^not an intervention of the catalogue$|^mediation is asked with a mediation request$|^asked twice$"),
    (r"^(desired_start|due_on)$", r"^today or later$"),
    (r"^grants\.\d+\.(intervention|valid_from|valid_to)$", r"^not asked in this request$|^granted twice$|^today or later$|^must not be before valid_from$|^within the call's list|^no call of the authority lists it|^the authority has no co-payment rule"),
    (r"^start$", r"^from \d{4}-\d{2}-\d{2} to the voucher's last day"),
    (r"^from$", r"^at most a month ago$"),
    (r"^until$", r"^must not be before from$"),
    # Mediation: where the requester may ask, the clock, the mode, the provider's own list.
    (r"^municipality$", r"^your own municipality$|^not a municipality of your authority's districts$"),
    (r"^beneficiary_id$", r"^no person you may read has this id$"),
    (r"^starts_at$", r"^in the future$|^expected a date and time"),
    (r"^started_at$", r"^not in the future$|^expected a date and time"),
    (r"^place$", r"^where the mediator goes, for a mediation in person$"),
    (r"^pages$", r"^the pages translated$|^only for a written translation$"),
    (r"^mediator_id$", r"^not an active mediator of your list$|^this mediator does not speak"),
    # Delivery reports: the calendar, the voucher or mediations they report, their own lines.
    (r"^month$", r"^a month such as"),
    (r"^days\.\d+\.units$", r"^from 0\.01 to 1,000, with at most two decimals$"),
    (r"^lines\.\d+\.(date|intervention|units|minutes|mediation_request_id|line|reason)$", r"^a day of |^you did not serve this voucher that day$|^the service was suspended that day$|^one line a day$|^not the voucher's intervention$|^not the day of this mediation$|^not a billable mediation of yours$|^one line a mediation$|^already billed|^the mediation bills|^not the mediation's context$|^the report has lines"),
    (r"^lines$", r"^no rate of the patto is in force"),
    (r"^(days|mediations)$", r"^send either days or mediation_request_ids$|^a voucher's report lists days$|^a mediation report lists mediations$"),
    # No text may hold a NUL character, in any field or parameter: one rule for every text, said
    # once in the spec's 422 description rather than as a pattern on each string.
    (r"", r"^must not contain the NUL character"),
    # Objects in a list unique by one of their fields (uniqueItems compares whole items).
    (r"^interventions$", r"^each intervention once$"),
    (r"^(requirements|declarations)$", r"^each requirement( code)? once$"),
]

# JSON Schema's `integer` is a value: 7.0 is one. serde reads only 7 as an integer, and no schema
# can ask for the number to be written without a fraction.
INTEGRAL_FLOAT = re.compile(r"invalid type: floating point `-?\d+\.0`, expected [iu]\d+")


def _explained(status, problem):
    code = problem.get("code")
    errors = problem.get("errors") or []
    if status == 400:
        # Only cursors the API handed out are valid.
        if code == "invalid_cursor":
            return True
        # A query parameter no pattern can fully state (a calendar date, one given with another).
        if code == "invalid_query" and _all_unforeseeable(errors):
            return True
        return code == "invalid_body" and bool(INTEGRAL_FLOAT.search(problem.get("detail", "")))
    if status == 412:
        # If-Match must name the current version, which changes as the data does.
        return code == "stale_version"
    # An Idempotency-Key names the first request sent with it: a later, different request with the
    # same key depends on what came before, not on anything a schema can say.
    if status == 422 and code == "idempotency_key_reused":
        return True
    return code == "validation_failed" and _all_unforeseeable(errors)


def _all_unforeseeable(errors):
    return bool(errors) and all(
        any(
            re.search(field, e.get("field", "")) and re.search(pattern, e.get("message", ""))
            for field, pattern in UNFORESEEABLE_FIELD_ERRORS
        )
        for e in errors
    )


@schemathesis.check
def valid_data_rejected_without_reason(ctx, response, case):
    """A schema-valid request answered 400, 412 or 422 for a reason the schema could have stated."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 412, 422):
        return None
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, dict) and _explained(response.status_code, problem):
        return None
    raise AssertionError(
        f"Schema-valid request answered {response.status_code} for a reason the schema could state "
        f"(add the constraint to the spec, or accept the request): {response.text[:500]}"
    )
