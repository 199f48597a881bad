"""deli.trace records each job's run on its worker's lane."""

import collections
import json

import deli
import deli.trace
import jobs


def test_one_slice_per_job_on_its_workers_pid(tmp_path):
    with deli.ProcessPoolExecutor(2) as pool:
        pool.submit(jobs.identity, 0).result(timeout=60)
        deli.trace.start()
        pids = [f.result(timeout=60) for f in [pool.submit(jobs.pid) for _ in range(8)]]
        trace = deli.trace.stop()
    path = tmp_path / "trace.json"
    trace.write_chrome_json(str(path))
    events = json.loads(path.read_text())
    if isinstance(events, dict):
        events = events["traceEvents"]
    slices = collections.Counter(e["pid"] for e in events if e.get("ph") == "X" and e["pid"] in set(pids))
    assert slices == collections.Counter(pids)
    assert len(trace) > 0
