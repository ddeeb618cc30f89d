"""The objects an app shares between requests, built once when the app is created."""

from flask import current_app, request

from trialbuzz import shared
from trialbuzz.collections import CollectionBook
from trialbuzz.attention import sources
from trialbuzz.attention.filing import Filer
from trialbuzz.attention.harvest import Harvester
from trialbuzz.attention.service import AttentionService
from trialbuzz.jobs import tasks
from trialbuzz.attention.sources.ctgov import RegistrySweep
from trialbuzz.jobs.engine import Jobs, build_huey
from trialbuzz.jobs.sweeps import Sweeps
from trialbuzz.jobs.work import WorkBook
from trialbuzz.registry.ctgov import CtGovClient
from trialbuzz.registry.trials import TrialService
from trialbuzz.resolution.fetch import PageFetcher
from trialbuzz.resolution.pagework import PageWork
from trialbuzz.storage.db import get_db
from trialbuzz.upstream import Upstream, user_agent

EXTENSION = "trialbuzz"


class AppState:
    """Settings, database, upstream clients and services of one app."""

    def __init__(self, app):
        settings = app.config
        self.settings = settings
        self.db = get_db(app)
        # Every upstream's pace: in Redis when REDIS_URL is set, so processes share it.
        pace = shared.pace_storage(settings)
        self.ctgov = CtGovClient(Upstream("ClinicalTrials.gov", settings["CTGOV_URL"], settings,
                                          rate=settings["CTGOV_RATE"], storage=pace,
                                          key="registry"))
        self.pace = pace
        self.trials = TrialService(self.db, self.ctgov, settings["TRIAL_FRESHNESS"])
        self.harvester = Harvester(self.db, sources.build(settings, storage=pace), settings)
        self.sweeps = Sweeps(self.db, sweepers(self.harvester.sources, self.ctgov), self.harvester,
                             settings)
        self.harvester.swept = self.sweeps.covered
        self.trials.swept = lambda: "ctgov" in self.sweeps.covered()
        # The registry gets the same time as each attention source.
        self.registry_deadline = settings["SOURCE_DEADLINE"]
        self.work = WorkBook(self.db, lease_seconds=settings["WORK_LEASE"],
                             queue_seconds=settings["WORK_QUEUE_TIMEOUT"],
                             retry_seconds=settings["SOURCE_RETRY"])
        self.jobs = Jobs(app, build_huey(settings, app.instance_path), self.work,
                         run_refresh=lambda nct_id: tasks.refresh(self, nct_id),
                         run_tick=lambda: tasks.tick(self, self.jobs), settings=settings,
                         run_sweep=lambda source, scope: tasks.sweep(self, source, scope))
        self.collections = CollectionBook(self.db)
        self.attention = AttentionService(self.db, self.trials, self.harvester, self.jobs,
                                          settings)
        self.filer = Filer(self.db, self.trials, self.harvester, self.jobs)
        self.fetcher = PageFetcher(
            allow_hosts=settings["FETCH_ALLOW_HOSTS"],
            connect_timeout=settings["FETCH_CONNECT_TIMEOUT"],
            total_timeout=settings["FETCH_TOTAL_TIMEOUT"],
            max_bytes=settings["FETCH_MAX_BYTES"],
            max_redirects=settings["FETCH_MAX_REDIRECTS"],
            user_agent=user_agent(settings["CONTACT"]),
        )
        self.page_work = PageWork(settings["PAGES_IN_FLIGHT"], settings["PAGE_READERS"],
                                  wait=settings["FETCH_TOTAL_TIMEOUT"])


    def bluesky_reader(self, **options):
        """A reader of the Bluesky firehose filing into this app's store."""
        from trialbuzz.attention.stream import BlueskyReader

        return BlueskyReader(self.db, self.filer, self.settings, storage=self.pace, **options)


def sweepers(enabled, registry):
    """The sweeps of the enabled sources that can sweep: the registry's own listing for the
    ClinicalTrials.gov references, each source's `sweep_pages` for the others."""
    found = []
    for source in enabled:
        if source.id == RegistrySweep.id:
            found.append(RegistrySweep(registry, source))
        elif hasattr(source, "sweep_pages"):
            found.append(source)
    return found


def init_app(app):
    """Build the app's shared objects."""
    app.extensions[EXTENSION] = AppState(app)


def state():
    """The AppState of the current app."""
    return current_app.extensions[EXTENSION]


def base_url():
    """The base URL links point at: `PUBLIC_URL`, else the request's own origin."""
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
