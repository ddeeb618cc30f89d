"""Trials nobody talks about: every attention source of the fake answers empty for them."""

from fakeupstream import Reply

import upstreams

# What each source answers when it finds nothing, in its real shape.
EMPTY = {
    "europepmc": {"version": "6.9", "hitCount": 0, "resultList": {"result": []}},
    "pubmed_search": {"header": {"type": "esearch"},
                      "esearchresult": {"count": "0", "retmax": "0", "idlist": []}},
    "wikipedia": {"batchcomplete": True, "query": {"exturlusage": [],
                                                   "searchinfo": {"totalhits": 0},
                                                   "search": []}},
    "hackernews": {"hits": [], "nbHits": 0, "page": 0, "nbPages": 0, "hitsPerPage": 100},
    "gdelt": {"articles": []},
    "crossref": upstreams.crossref_list([], cursor=None),
    "reddit": {"kind": "Listing", "data": {"after": None, "dist": 0, "modhash": "",
                                           "geo_filter": "", "children": [], "before": None}},
}


def _asks_for(request, ids):
    """Whether the request's query names one of `ids`."""
    return any(nct_id in value for values in request.query.values() for value in values
               for nct_id in ids)


def install(fake, *ids):
    """Make every source find nothing for `ids`, and what upstreams.py plays for the rest."""
    for name, empty in EMPTY.items():
        standard = getattr(upstreams, name)

        def handler(request, _standard=standard, _empty=empty, **params):
            if _asks_for(request, ids):
                return Reply.json(_empty)
            return _standard(request, **params)

        fake.route(upstreams.ROUTES[name], handler)
