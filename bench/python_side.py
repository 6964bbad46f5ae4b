"""bench/run.sh y: the README's main job from Python, and the report → pandas conversion.

  python bench/python_side.py job       → {"seconds": load + depend inside the interpreter, "import": seconds}
  python bench/python_side.py pandas N  → {"rows": …, "median_ms": …, "min_ms": …} of N to_pandas() calls
"""
import json
import statistics
import sys
import time

t0 = time.perf_counter()
import sovra  # noqa: E402

t1 = time.perf_counter()
if sys.argv[1] == "job":
    r = sovra.load("icio2022", progress=False).depend("EU27", "CHN", top=10, min_output=1000)
    t2 = time.perf_counter()
    assert r.summary["value_added_from_them"] > 0
    print(json.dumps({"seconds": t2 - t1, "import": t1 - t0}))
else:
    n = int(sys.argv[2])
    r = sovra.load("icio2022", progress=False).depend("EU27", "CHN")
    times = []
    for _ in range(n):
        s = time.perf_counter()
        df = r.to_pandas()
        times.append((time.perf_counter() - s) * 1e3)
    print(json.dumps({"rows": len(df), "columns": len(df.columns), "median_ms": statistics.median(times),
                      "min_ms": min(times)}))
