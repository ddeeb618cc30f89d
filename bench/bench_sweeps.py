"""Upstream calls a day that keep every swept source fresh for the whole registry.

Against the tests' fake world (tests/sweepworld.py), at the daily volumes below, a history is
swept once (the backfill of that history), then each simulated day brings its new items and
every sweep runs once, as the schedule runs them with SWEEP_EVERY at a day. The calls each
sweep makes are counted at the fake, per source and day. Volumes are estimates (see
docs/performance.md for where each comes from); pass others on the command line.
"""

import argparse
import math
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchlib import FakeUpstream, app_config

from sweepworld import World, nct  # noqa: E402 - found through benchlib's sys.path entry
from trialbuzz import create_app  # noqa: E402
from trialbuzz.jobs.sweeps import RUNNING  # noqa: E402
from trialbuzz.storage.db import get_db  # noqa: E402

# Calls of the fake's bulk routes, by the source they belong to.
ROUTES = {"ctgov": ("ctgov",), "wikipedia": ("wikipedia",), "hackernews": ("hackernews",),
          "europepmc": ("europepmc", "europepmc_annotations"),
          "pubmed": ("pubmed", "pubmed_efetch"), "crossref": ("crossref",),
          "reddit": ("reddit",), "feeds": ("feeds",)}
GOAL = 2000


# The simulation's knobs: option, default (its type is the option's), what it stands for.
OPTIONS = (
    ("--days", 7, "days simulated after the backfill"),
    ("--registry", 20000, "studies in the fake registry (the sweep's cost depends on the "
                          "updates a day, not on this)"),
    ("--updates", 1100, "registry records updated (posted) a day"),
    ("--new-studies", 120, "new studies a day"),
    ("--wikis", "en=25000,de=4000,fr=3500,es=3000,ja=2500", "wiki=links to the registry on it"),
    ("--wiki-new", 0.002, "share of a wiki's links added a day"),
    ("--hn", "1,4,3", "a day: stories linking the registry, comments quoting its address, "
                      "items naming an ID without it"),
    ("--hn-history-days", 3650, "days of Hacker News history swept first"),
    ("--epmc", 800, "Europe PMC records indexed a day with an NCT accession"),
    ("--pubmed", 120, "PubMed records entered a day naming a trial"),
    ("--pubmed-late", 0.3, "share of them whose databank field MEDLINE adds days later"),
    ("--crossref", 60, "Crossref works indexed a day declaring a trial number"),
    ("--reddit", "2,1", "a day: posts linking the registry, posts naming an ID"),
    ("--feeds", 18, "news and blog feeds polled (the shipped list has 18)"),
    ("--feed-entries", 3, "entries naming a trial a day, over all feeds"),
    ("--feeds-every", 3600, "seconds between two polls of a feed (FEEDS_EVERY)"),
    ("--history-days", 14, "days of Europe PMC, PubMed and registry history swept first"),
)


def options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default, meaning in OPTIONS:
        parser.add_argument(name, type=type(default), default=default, help=meaning)
    return parser.parse_args()


class Day:
    """Adds one day of new items to the world."""

    def __init__(self, world, args):
        self.world, self.args = world, args
        self.rng = world.random
        self.next_study = args.registry
        self.ids = sorted(world.studies)
        self.serial = 0

    def serial_id(self):
        self.serial += 1
        return self.serial

    def some(self):
        return self.rng.sample(self.ids, self.rng.choice((1, 1, 1, 2, 3)))

    def add(self, start, end):
        """Items of the day between `start` and `end` (datetimes)."""
        world, args, rng = self.world, self.args, self.rng
        span = (end - start).total_seconds()

        def moment():
            return start + timedelta(seconds=rng.random() * span)

        day = end.date()
        for nct_id in rng.sample(self.ids, min(args.updates, len(self.ids))):
            record, _ = world.studies[nct_id]
            world.studies[nct_id] = (record, day)
        for _ in range(args.new_studies):
            nct_id = nct(4_000_000 + self.next_study)
            self.next_study += 1
            world.add_study(nct_id, day)
            self.ids.append(nct_id)
        for lang, links in wiki_links(args).items():
            for _ in range(max(1, round(links * args.wiki_new))):
                pageid = 5_000_000 + self.serial_id()
                world.add_wiki_link(lang, pageid, f"Article {pageid}",
                                    "https://clinicaltrials.gov/study/" + rng.choice(self.ids))
        add_hn(world, self, moment, args)
        for _ in range(args.epmc):
            chosen = self.some()
            world.add_article(60_000_000 + self.serial_id(), moment().date(), chosen,
                              in_abstract=chosen[:1])
        for _ in range(args.crossref):
            world.add_crossref(f"10.1000/cr.{self.serial_id()}", moment().date(),
                               [(nct_id, "10.18810/clinical-trials-gov")
                                for nct_id in self.some()])
        linking, naming = (int(x) for x in args.reddit.split(","))
        for _ in range(linking):
            world.add_reddit(f"r{self.serial_id():x}", moment(),
                             url="https://clinicaltrials.gov/study/" + rng.choice(self.ids))
        for _ in range(naming):
            world.add_reddit(f"r{self.serial_id():x}", moment(),
                             text="Enrolling: " + ", ".join(self.some()))
        for _ in range(args.feed_entries):
            world.add_feed_entry(f"{rng.randrange(args.feeds)}.rss", self.serial_id(),
                                 moment(), self.some())
        for _ in range(args.pubmed):
            chosen = self.some()
            late = rng.random() < args.pubmed_late
            entered = (moment() - timedelta(days=rng.randrange(3, 30) if late else 0)).date()
            world.add_pubmed(50_000_000 + self.serial_id(), entered, chosen,
                             mhda=moment().date() if late else entered)


def wiki_links(args):
    return {lang: int(count) for lang, count in
            (item.split("=") for item in args.wikis.split(",") if item)}


def add_hn(world, day, moment, args, days=1):
    stories, quoting, naming = (float(x) for x in args.hn.split(","))
    for _ in range(round(stories * days)):
        world.add_hn(2 * day.serial_id(), moment(),
                     url="https://clinicaltrials.gov/study/" + day.rng.choice(day.ids))
    for _ in range(round(quoting * days)):
        world.add_hn(2 * day.serial_id() + 1, moment(), story=False,
                     text="See https://clinicaltrials.gov/study/" + day.rng.choice(day.ids))
    for _ in range(round(naming * days)):
        world.add_hn(2 * day.serial_id() + 1, moment(), story=False,
                     text="It is " + ", ".join(day.some()))


def history(world, day, args, start):
    """The history swept first: the registry, every wiki's links, Hacker News's years, and
    `--history-days` of Europe PMC and PubMed."""
    rng = world.random
    for n in range(args.registry):
        world.add_study(nct(4_000_000 + n),
                        (start - timedelta(days=rng.randrange(1, 5000))).date())
    day.ids = sorted(world.studies)
    for lang, links in wiki_links(args).items():
        for n in range(links):
            world.add_wiki_link(lang, 1_000_000 + n // 2, f"Article {n // 2}",
                                "https://clinicaltrials.gov/study/" + rng.choice(day.ids))
    hn_start = start - timedelta(days=args.hn_history_days)
    add_hn(world, day, lambda: hn_start + (start - hn_start) * rng.random(), args,
           days=args.hn_history_days)
    epmc, pubmed = args.epmc, args.pubmed
    for n in range(args.history_days):
        day_start = start - timedelta(days=args.history_days - n)
        moment = (lambda s=day_start: s + timedelta(seconds=rng.random() * 86400))
        for _ in range(epmc):
            chosen = day.some()
            world.add_article(60_000_000 + day.serial_id(), moment().date(), chosen)
        for _ in range(pubmed):
            world.add_pubmed(50_000_000 + day.serial_id(), moment().date(), day.some())


def sweep_once(state, keys=None):
    """Run every sweep (or those of `keys`) to its end; their outcomes."""
    outcomes = {}
    for key in keys if keys is not None else state.sweeps.keys():
        assert state.sweeps.claim(key, RUNNING), key
        outcomes[key] = state.sweeps.run(key).outcome
    return outcomes


def feed_list(path, base_url, count):
    """A feed list naming `count` feeds of the fake world."""
    path.write_text("".join(f'[[feed]]\nname = "Feed {n}"\nkind = "news"\n'
                            f'url = "{base_url}/feeds/{n}.rss"\n\n' for n in range(count)),
                    encoding="utf-8")
    return str(path)


def counted(world):
    return {source: sum(world.bulk[route] for route in routes)
            for source, routes in ROUTES.items()}


def main():
    args = options()
    fake = FakeUpstream().start()
    world = World(now=datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc))
    world.install(fake)
    day = Day(world, args)
    history(world, day, args, world.now)
    langs = list(wiki_links(args))
    with tempfile.TemporaryDirectory(prefix="trialbuzz-bench-") as tmp:
        app = create_app(app_config(Path(tmp), fake.url, SWEEP_EVERY=86400,
                                    EMBEDDED_WORKER=False, WIKIPEDIA_LANGUAGES=langs,
                                    FEEDS_EVERY=args.feeds_every,
                                    FEEDS_FILE=feed_list(Path(tmp) / "bench-feeds.toml", fake.url,
                                                         args.feeds)))
        get_db(app).migrate()
        state = app.extensions["trialbuzz"]
        state.sweeps.clock = lambda: world.now
        started = time.monotonic()
        outcomes = sweep_once(state)
        backfill = counted(world)
        print(f"history swept first ({time.monotonic() - started:.0f} s): "
              + ", ".join(f"{source} {calls}" for source, calls in backfill.items())
              + f"; outcomes {set(outcomes.values())}")
        per_day = []
        for _ in range(args.days):
            before = counted(world)
            day.add(world.now, world.now + timedelta(days=1))
            # The feeds are polled every FEEDS_EVERY through the day, the other sweeps once.
            feeds = [key for key in state.sweeps.keys() if key[0] == "feeds"]
            polls = max(1, 86400 // args.feeds_every)
            for _ in range(polls - 1):
                world.now += timedelta(seconds=args.feeds_every)
                assert set(sweep_once(state, feeds).values()) == {"done"}
            world.now += timedelta(days=1) - timedelta(seconds=args.feeds_every * (polls - 1))
            outcomes = sweep_once(state)
            after = counted(world)
            per_day.append({source: after[source] - before[source] for source in after})
            assert set(outcomes.values()) == {"done"}, outcomes
        state.jobs.shutdown()
        get_db(app).dispose()
    fake.stop()
    print(f"\nupstream calls a day over {args.days} days (mean, max), every sweep daily:")
    totals = [sum(day_calls.values()) for day_calls in per_day]
    for source in ROUTES:
        values = [day_calls[source] for day_calls in per_day]
        print(f"  {source:<11} {statistics.fmean(values):7.1f} {max(values):6d}")
    print(f"  {'all':<11} {statistics.fmean(totals):7.1f} {max(totals):6d}   goal <= {GOAL}: "
          f"{'met' if max(totals) <= GOAL else 'NOT met'}")
    annotations = math.ceil(args.epmc / 8)
    print(f"\n(Europe PMC: {annotations} annotation calls for a day's {args.epmc} records, "
          f"8 a call; the day of the last sweep is asked again.)")


if __name__ == "__main__":
    main()
