"""Real-shaped ClinicalTrials.gov API v2 study records for the fake upstream."""

import copy


def study(nct_id="NCT04280705", *, title="Adaptive COVID-19 Treatment Trial (ACTT)",
          aliases=None, phases=("PHASE3",), acronym="ACTT", references=None, has_results=True,
          status="COMPLETED", study_type="INTERVENTIONAL", **extra):
    """A v2 single-study body shaped like `GET /api/v2/studies/{id}`; optional fields may be None."""
    ident = {
        "nctId": nct_id,
        "orgStudyIdInfo": {"id": "20-0006"},
        "organization": {"fullName": "National Institute of Allergy and Infectious Diseases "
                                     "(NIAID)", "class": "NIH"},
        "briefTitle": title,
        "officialTitle": f"A Multicenter, Adaptive, Randomized Blinded Controlled Trial: {title}",
    }
    if acronym:
        ident["acronym"] = acronym
    if aliases:
        ident["nctIdAliases"] = list(aliases)
    design = {
        "studyType": study_type,
        "designInfo": {"allocation": "RANDOMIZED", "interventionModel": "PARALLEL"},
        "enrollmentInfo": {"count": 1062, "type": "ACTUAL"},
    }
    if phases:
        design["phases"] = list(phases)
    protocol = {
        "identificationModule": ident,
        "statusModule": {
            "statusVerifiedDate": "2020-11",
            "overallStatus": status,
            "expandedAccessInfo": {"hasExpandedAccess": False},
            "startDateStruct": {"date": "2020-02-21", "type": "ACTUAL"},
            "primaryCompletionDateStruct": {"date": "2020-04-19", "type": "ACTUAL"},
            "completionDateStruct": {"date": "2020-05"},
            "studyFirstSubmitDate": "2020-02-20",
            "studyFirstPostDateStruct": {"date": "2020-02-21", "type": "ACTUAL"},
            "lastUpdateSubmitDate": "2020-11-30",
            "lastUpdatePostDateStruct": {"date": "2020-12-02", "type": "ACTUAL"},
        },
        "sponsorCollaboratorsModule": {
            "responsibleParty": {"type": "SPONSOR"},
            "leadSponsor": {"name": "National Institute of Allergy and Infectious Diseases "
                                    "(NIAID)", "class": "NIH"},
        },
        "descriptionModule": {"briefSummary": "An adaptive, randomized, double-blind trial."},
        "conditionsModule": {"conditions": ["COVID-19"], "keywords": ["remdesivir"]},
        "designModule": design,
    }
    if references is not None:
        protocol["referencesModule"] = {"references": list(references)}
    record = {"protocolSection": protocol,
              "derivedSection": {"miscInfoModule": {"versionHolder": "2024-05-01"}},
              "hasResults": has_results}
    for key, value in extra.items():
        record[key] = value
    return copy.deepcopy(record)


def reference(pmid, kind="RESULT", citation="Beigel JH, et al. Remdesivir for the Treatment of "
              "Covid-19 - Final Report. N Engl J Med. 2020;383(19):1813-1826."):
    """One `referencesModule.references[]` item."""
    item = {"type": kind, "citation": citation}
    if pmid:
        item["pmid"] = pmid
    return item


def trial_record(nct_id="NCT04280705", **study_kwargs):
    """A TrialRecord as the trial service hands it to the attention sources."""
    from datetime import datetime, timezone

    from trialbuzz.registry.ctgov import parse_study
    from trialbuzz.registry.trials import TrialRecord

    record = parse_study(study(nct_id, **study_kwargs))
    fetched = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    return TrialRecord(record["nct_id"], record, fetched, None, nct_id)
