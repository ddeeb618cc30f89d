"""Results reporting from registry records: coverage by FDAAA 801, due dates, lateness."""

import json
from datetime import date
from pathlib import Path

import pytest

from records import reference, study
from trialbuzz.registry.ctgov import parse_study
from trialbuzz.registry.reporting import coverage, registry_date, reporting

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "samples"
TODAY = date(2026, 12, 6)


def sample(name):
    """A trial record parsed from a recorded registry answer in the shared reference samples."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"reference sample {name} not available")
    return parse_study(json.loads(path.read_text()))


def covered_trial(**changes):
    """A phase 3 drug trial completed in 2022, as an applicable clinical trial looks."""
    fields = dict(start=("2021-03-01", "ACTUAL"), primary_completion=("2022-06-15", "ACTUAL"),
                  fda_drug=True, fda_device=False, has_results=False,
                  countries=["United States", "Canada"])
    fields.update(changes)
    return parse_study(study(**fields))


@pytest.mark.parametrize("value, last, expected", [
    ("2020-04-19", True, date(2020, 4, 19)),
    ("2020-02", True, date(2020, 2, 29)),
    ("2021-02", False, date(2021, 2, 1)),
    ("2020", True, date(2020, 12, 31)),
    ("2020-13", True, None),
    ("soon", True, None),
    (None, True, None),
])
def test_registry_dates_read_a_month_as_its_last_day(value, last, expected):
    assert registry_date(value, last=last) == expected


def test_results_submitted_in_time_are_posted_with_no_days_late():
    record = covered_trial(results_submitted="2023-05-30", results_posted="2023-07-01",
                           has_results=True)
    answer = reporting(record, TODAY)
    assert answer["status"] == "posted"
    assert answer["covered"] == "probably"
    assert answer["due"] == "2023-06-15"
    assert answer["days_late"] == 0
    assert answer["results_submitted"] == "2023-05-30"
    assert answer["results_posted"] == "2023-07-01"
    assert answer["primary_completion"] == {"date": "2022-06-15", "estimated": False}
    assert "estimate" in answer["note"]


def test_lateness_is_judged_by_the_first_submission_not_the_posting():
    # Submitted one day before the deadline, posted after quality control two months later.
    record = covered_trial(results_submitted="2023-06-14", results_posted="2023-08-20",
                           has_results=True)
    assert reporting(record, TODAY)["status"] == "posted"
    late = covered_trial(results_submitted="2023-09-13", results_posted="2023-10-20",
                         has_results=True)
    answer = reporting(late, TODAY)
    assert answer["status"] == "posted_late"
    assert answer["days_late"] == 90


def test_the_posting_date_stands_in_when_the_record_gives_no_submission():
    record = covered_trial(results_posted="2023-07-15", has_results=True)
    answer = reporting(record, TODAY)
    assert (answer["status"], answer["days_late"]) == ("posted_late", 30)


def test_unreported_results_are_overdue_once_the_grace_month_has_passed():
    record = covered_trial()
    assert reporting(record, date(2023, 6, 16))["status"] == "not_due"
    assert reporting(record, date(2023, 7, 15))["status"] == "not_due"
    answer = reporting(record, date(2023, 7, 16))
    assert (answer["status"], answer["days_late"]) == ("overdue", 31)
    assert reporting(record, TODAY)["days_late"] == (TODAY - date(2023, 6, 15)).days


def test_a_month_only_primary_completion_is_due_a_year_after_the_months_last_day():
    record = covered_trial(primary_completion=("2022-06", "ACTUAL"))
    assert reporting(record, TODAY)["due"] == "2023-06-30"


def test_a_future_estimated_completion_is_not_due_and_says_it_is_estimated():
    record = covered_trial(primary_completion=("2027-03", "ESTIMATED"), status="RECRUITING")
    answer = reporting(record, TODAY)
    assert answer["status"] == "not_due"
    assert answer["primary_completion"] == {"date": "2027-03", "estimated": True}
    assert answer["due"] == "2028-03-31"
    assert "estimated primary completion" in answer["note"]


def test_a_certificate_of_delay_puts_the_deadline_off_two_more_years():
    record = covered_trial(delay_submitted="2023-05-01")
    answer = reporting(record, TODAY)
    assert answer["due"] == "2025-06-15"
    assert answer["delay_requested"] == "2023-05-01"
    assert answer["status"] == "overdue"
    assert reporting(record, date(2025, 7, 1))["status"] == "not_due"


@pytest.mark.parametrize("changes, covered", [
    ({}, "probably"),
    ({"fda_drug": False, "fda_device": True}, "probably"),
    ({"phases": ("PHASE1",)}, "probably_not"),
    ({"phases": ("EARLY_PHASE1",)}, "probably_not"),
    ({"phases": ("PHASE1", "PHASE2")}, "probably"),
    ({"phases": ("NA",), "fda_drug": False, "fda_device": True}, "probably"),
    ({"study_type": "OBSERVATIONAL"}, "probably_not"),
    ({"status": "WITHDRAWN"}, "probably_not"),
    ({"primary_purpose": "DEVICE_FEASIBILITY"}, "probably_not"),
    ({"fda_drug": False}, "probably_not"),
    ({"fda_drug": None, "fda_device": None}, "unknown"),
    ({"primary_completion": ("2016-12-31", "ACTUAL"),
      "start": ("2014-01-01", "ACTUAL")}, "probably_not"),
    ({"primary_completion": None}, "unknown"),
    # Started before the Final Rule: covered only with a site in the United States.
    ({"start": ("2016-05-01", "ACTUAL"), "countries": ["France"]}, "probably_not"),
    ({"start": ("2016-05-01", "ACTUAL"), "countries": ["France", "Puerto Rico"]}, "probably"),
])
def test_coverage_follows_the_trials_tracker_rules(changes, covered):
    assert coverage(covered_trial(**changes))[0] == covered


def test_trials_not_covered_are_not_applicable_unless_they_posted_results():
    record = covered_trial(phases=("PHASE1",))
    answer = reporting(record, TODAY)
    assert (answer["status"], answer["due"], answer["days_late"]) == ("not_applicable", None,
                                                                     None)
    posted = covered_trial(phases=("PHASE1",), results_posted="2024-01-10", has_results=True)
    assert reporting(posted, TODAY)["status"] == "posted"
    assert reporting(posted, TODAY)["days_late"] is None


def test_unknown_coverage_is_unknown_status():
    record = covered_trial(fda_drug=None, fda_device=None)
    assert reporting(record, TODAY)["status"] == "unknown"


def test_a_result_reference_is_the_known_results_paper():
    record = covered_trial(references=[
        reference("1", "BACKGROUND", "Old work. Prior paper. Lancet. 2001;1:1-2."),
        reference("33052335", "RESULT", "Beigel JH, Tomashek KM, Dodd LE, et al. Remdesivir "
                  "for the Treatment of Covid-19 - Final Report. N Engl J Med. 2020 Nov 5;"
                  "383(19):1813-1826. doi: 10.1056/NEJMoa2007764. Epub 2020 Oct 8."),
    ])
    assert reporting(record, TODAY)["publication"] == {
        "title": "Remdesivir for the Treatment of Covid-19 - Final Report.",
        "url": "https://pubmed.ncbi.nlm.nih.gov/33052335/"}
    assert reporting(covered_trial(), TODAY)["publication"] is None


def test_a_record_stored_by_an_older_release_reports_unknown():
    old = {"nct_id": "NCT04280705", "study_type": "INTERVENTIONAL", "phases": ["PHASE3"],
           "start_date": "2020-02-21", "completion_date": "2020-05", "has_results": False}
    answer = reporting(old, TODAY)
    assert answer["status"] == "unknown"
    assert answer["primary_completion"] is None


@pytest.mark.parametrize("name, status, covered, completion", [
    ("api-v2-study-NCT03475563.json", "not_applicable", "probably_not",
     {"date": "2019-12-30", "estimated": True}),
    ("api-v2-study-NCT03630471.json", "not_applicable", "probably_not",
     {"date": "2019-01-20", "estimated": False}),
])
def test_real_records_report(name, status, covered, completion):
    record = sample(name)
    answer = reporting(record, TODAY)
    assert (answer["status"], answer["covered"], answer["primary_completion"]) == (
        status, covered, completion)


def test_real_record_lists_its_first_result_paper():
    record = sample("api-v2-study-NCT03475563.json")
    paper = reporting(record, TODAY)["publication"]
    assert paper["url"] == "https://pubmed.ncbi.nlm.nih.gov/25828372/"
    assert paper["title"].startswith("Regular Drug-Eluting Stent vs Dedicated Coronary")


def test_estimated_dates_and_enrolment_are_marked_in_the_record():
    record = sample("api-v2-study-NCT03475563.json")
    assert record["dates"] == {"start": {"date": "2018-08-16", "estimated": False},
                               "primary_completion": {"date": "2019-12-30", "estimated": True},
                               "completion": {"date": "2019-12-30", "estimated": True}}
    assert record["enrollment"] == 100
    assert record["enrollment_estimated"] is True
    actual = sample("api-v2-study-NCT03630471.json")
    assert actual["enrollment_estimated"] is False
    assert actual["fda_regulated_drug"] is False and actual["fda_regulated_device"] is False


def test_a_date_not_in_the_registrys_form_is_left_out():
    record = parse_study(study(start=("<b>soon</b>", "ESTIMATED"),
                               primary_completion=("2022-06", "ESTIMATED")))
    assert record["dates"]["start"] is None
    assert record["dates"]["primary_completion"] == {"date": "2022-06", "estimated": True}
