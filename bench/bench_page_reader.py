"""The page reader on hostile shapes against a flat page of the same size: CPU and memory ratios.

Each shape is read in a fresh child process, so the figures do not share a heap: CPU is the
reading thread's own time, memory the peak resident size over the process as it stood with the
page already in hand (Linux resets the peak through /proc/self/clear_refs).
"""

import argparse
import json
import os
import subprocess
import sys
import time

SIZE = 2 * 1024 * 1024  # FETCH_MAX_BYTES, the largest page the fetcher hands over
ID = "NCT04280705"


def _fill(unit, size, head="", tail=""):
    return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail


def shapes(size):
    """name -> page of about `size` bytes; every one names the trial at its very start."""
    lead = f"<p>{ID}</p>"
    pages = {"flat": _fill(f"<p>Results of the trial were reported in a journal.</p>\n", size,
                           head=lead)}
    # Deep nesting of every tag the reader treats specially, and of plain blocks.
    for tag in ("td", "th", "tr", "table", "h1", "dt", "label", "a", "div", "li", "p",
                "template", "noscript", "b"):
        pages[f"nested <{tag}>"] = _fill(f"<{tag}>", size, head=lead)
    pages["nested td label"] = _fill("<table><tr><td>US NCT (ClinicalTrials.gov registry) "
                                     "number", size, head=lead)
    pages["nested label"] = _fill("<h3>ClinicalTrials.gov number", size, head=lead)
    pages["tiny tags"] = _fill("<b></b>", size, head=lead)
    pages["tiny text"] = _fill("<i>x</i>", size, head=lead)
    pages["links"] = _fill("<a href='/study/NCT01492673'>x</a>", size, head=lead)
    pages["stray end tags"] = _fill("</span>", size, head=lead + "<div>" * 200)
    pages["one text node"] = _fill("x", size, head=lead)
    pages["angle brackets"] = _fill("<", size, head=lead)
    pages["open comment"] = _fill("x", size, head=lead + "<!--")
    pages["huge attribute"] = _fill("x", size, head=lead + "<a title='", tail="'>")
    pages["many attributes"] = _fill(" x=1", size, head=lead + "<a", tail=">")
    return pages


def _status(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def measure_one(name, size):
    """Child process: read one shape and print its figures as JSON."""
    from trialbuzz.resolution.htmlreader import ids_from_html

    page = shapes(size)[name]
    ids_from_html("<p>warm</p>")  # imports and first-call costs stay out of the figures
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # the peak resident size starts again from here
    started, wall = time.thread_time(), time.perf_counter()
    found = ids_from_html(page)
    cpu, wall = time.thread_time() - started, time.perf_counter() - wall
    peak = max(_status("VmHWM"), before)
    print(json.dumps({"cpu": cpu, "wall": wall, "extra": peak - before, "bytes": len(page),
                      "found": ID in found.nct_ids, "complete": found.complete}))


def run(name, size):
    """Measure one shape in a fresh interpreter."""
    output = subprocess.run([sys.executable, __file__, "--child", name, "--size", str(size)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=SIZE, help="page size in bytes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure_one(args.child, args.size)

    names = list(shapes(args.size))
    print(f"page reader, pages of {args.size / 1024 / 1024:.1f} MiB, one fresh process each")
    flat = run("flat", args.size)
    print(f"{'shape':22} {'CPU s':>7} {'x flat':>7} {'extra MiB':>10} {'x flat':>7} "
          f"{'read':>9} {'ID':>4}")
    worst_cpu = worst_mem = 0.0
    for name in names:
        figures = flat if name == "flat" else run(name, args.size)
        cpu_ratio = figures["cpu"] / max(flat["cpu"], 1e-9)
        mem_ratio = figures["extra"] / max(flat["extra"], 1)
        worst_cpu, worst_mem = max(worst_cpu, figures["cpu"]), max(worst_mem, figures["extra"])
        print(f"{name:22} {figures['cpu']:7.3f} {cpu_ratio:7.1f} "
              f"{figures['extra'] / 2**20:10.1f} {mem_ratio:7.1f} "
              f"{'whole' if figures['complete'] else 'budget':>9} "
              f"{'yes' if figures['found'] else 'no':>4}")
    print(f"worst CPU {worst_cpu:.3f} s (ceiling about 1 s); worst extra memory "
          f"{worst_mem / 2**20:.1f} MiB (ceiling 64 MiB)")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
