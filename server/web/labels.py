"""Human labels for registry codes (PHASE2 → Phase 2), shared by pages and the command line;
templates also get the words of sources, kinds and numbers from `trialbuzz.attention.words`."""

from trialbuzz.attention import words
from trialbuzz.attention.document import coverage_line

PHASES = {"EARLY_PHASE1": "Early phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2",
          "PHASE3": "Phase 3", "PHASE4": "Phase 4", "NA": "Not applicable"}


def phase_label(phases):
    """`["PHASE2", "PHASE3"]` → "Phase 2, Phase 3"; empty → "n/a"."""
    return ", ".join(PHASES.get(p, str(p).replace("_", " ").capitalize()) for p in phases or []) \
        or "n/a"


def code_label(code):
    """`ACTIVE_NOT_RECRUITING` → "Active, not recruiting"; None → "unknown"."""
    if not code:
        return "unknown"
    text = str(code).replace("_", " ").lower().capitalize()
    return text.replace("Active not recruiting", "Active, not recruiting")


def init_app(app):
    """Offer the labels and the words of attention to templates as filters and globals."""
    app.jinja_env.filters.update(phase_label=phase_label, code_label=code_label,
                                 source_label=words.source_label, kind_label=words.kind_label,
                                 one_of=words.one_of, coverage_line=coverage_line,
                                 status_label=words.status_label, number=words.number)
    app.jinja_env.globals.update(noun=words.noun, plural=words.plural)
