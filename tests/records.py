"""Real-shaped ClinicalTrials.gov API v2 study records for the fake upstream."""

import copy


def _struct(value):
    """A `*DateStruct` from `(date, type)` (type None leaves it out, as older records do)."""
    if value is None:
        return None
    date, kind = value
    return {"date": date, "type": kind} if kind else {"date": date}


def study(nct_id="NCT04280705", *, title="Adaptive COVID-19 Treatment Trial (ACTT)",
          aliases=None, phases=("PHASE3",), acronym="ACTT", references=None, has_results=True,
          status="COMPLETED", study_type="INTERVENTIONAL", start=("2020-02-21", "ACTUAL"),
          primary_completion=("2020-04-19", "ACTUAL"), completion=("2020-05", None),
          enrollment=(1062, "ACTUAL"), fda_drug=None, fda_device=None, primary_purpose=None,
          results_submitted=None, results_posted=None, delay_submitted=None, countries=None,
          **extra):
    """A v2 single-study body shaped like `GET /api/v2/studies/{id}`; optional fields may be None.
    Dates are `(date, type)` pairs; `fda_drug`/`fda_device` fill `oversightModule`;
    `results_*` and `delay_submitted` the results dates of `statusModule`."""
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
    }
    if enrollment is not None:
        design["enrollmentInfo"] = {"count": enrollment[0], "type": enrollment[1]}
    if primary_purpose:
        design["designInfo"]["primaryPurpose"] = primary_purpose
    if phases:
        design["phases"] = list(phases)
    status_module = {
        "statusVerifiedDate": "2020-11",
        "overallStatus": status,
        "expandedAccessInfo": {"hasExpandedAccess": False},
        "startDateStruct": _struct(start),
        "primaryCompletionDateStruct": _struct(primary_completion),
        "completionDateStruct": _struct(completion),
        "studyFirstSubmitDate": "2020-02-20",
        "resultsFirstSubmitDate": results_submitted,
        "dispFirstSubmitDate": delay_submitted,
        "studyFirstPostDateStruct": {"date": "2020-02-21", "type": "ACTUAL"},
        "resultsFirstPostDateStruct": _struct((results_posted, "ACTUAL") if results_posted
                                              else None),
        "lastUpdateSubmitDate": "2020-11-30",
        "lastUpdatePostDateStruct": {"date": "2020-12-02", "type": "ACTUAL"},
    }
    protocol = {
        "identificationModule": ident,
        "statusModule": {key: value for key, value in status_module.items()
                         if value is not None},
        "sponsorCollaboratorsModule": {
            "responsibleParty": {"type": "SPONSOR"},
            "leadSponsor": {"name": "National Institute of Allergy and Infectious Diseases "
                                    "(NIAID)", "class": "NIH"},
        },
        "descriptionModule": {"briefSummary": "An adaptive, randomized, double-blind trial."},
        "conditionsModule": {"conditions": ["COVID-19"], "keywords": ["remdesivir"]},
        "designModule": design,
    }
    if fda_drug is not None or fda_device is not None:
        protocol["oversightModule"] = {"oversightHasDmc": True,
                                       **({"isFdaRegulatedDrug": fda_drug}
                                          if fda_drug is not None else {}),
                                       **({"isFdaRegulatedDevice": fda_device}
                                          if fda_device is not None else {})}
    if countries:
        protocol["contactsLocationsModule"] = {"locations": [
            {"facility": f"Site {index}", "country": country}
            for index, country in enumerate(countries, 1)]}
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
