"""Scripts as the pool's parent: functions from ``__main__``, a script
without an ``if __name__ == "__main__":`` guard, and forks of the parent."""

import concurrent.futures as cf
import multiprocessing
import subprocess
import sys
import textwrap
import threading

import deli
import jobs


def run_script(tmp_path, source, seconds=90):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=seconds,
        cwd=str(tmp_path),
    )


def test_functions_of_a_guarded_script_run_in_workers(tmp_path):
    done = run_script(
        tmp_path,
        """
        import deli

        def triple(x):
            return 3 * x

        if __name__ == "__main__":
            with deli.ProcessPoolExecutor(1) as pool:
                print("value", pool.submit(triple, 14).result(timeout=60))
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "value 42" in done.stdout


def test_a_script_without_a_main_guard_fails_its_jobs_instead_of_forking_on(tmp_path):
    # Without the check, each worker's import of the script starts a pool
    # whose worker imports the script again, without end (this test would
    # then run into its timeout).
    done = run_script(
        tmp_path,
        """
        import deli

        def triple(x):
            return 3 * x

        with deli.ProcessPoolExecutor(1) as pool:
            try:
                print("value", pool.submit(triple, 14).result(timeout=30))
            except deli.WorkerDied as died:
                print("died", died)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "value" not in done.stdout
    assert "died" in done.stdout
    assert "RuntimeError" in done.stdout
    assert "if __name__ == '__main__':" in done.stdout


def test_a_pool_inside_a_job_is_still_allowed(pool):
    assert pool.submit(jobs.nested_pool_sum, 5).result(timeout=120) == 10


def test_shutdown_ends_after_a_fork_based_pool_copied_the_pipes():
    # A fork of this process (here, multiprocessing's fork start method)
    # holds copies of the deli workers' request pipes: the deli workers
    # never see end of file, and shutdown must end anyway.
    pool = deli.ProcessPoolExecutor(2)
    assert pool.submit(jobs.identity, 1).result(timeout=60) == 1
    forked = cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        assert forked.submit(jobs.identity, 2).result(timeout=60) == 2
        ended = threading.Event()

        def shut_down():
            pool.shutdown(wait=True)
            ended.set()

        threading.Thread(target=shut_down, daemon=True).start()
        assert ended.wait(60), "shutdown hung"
    finally:
        forked.shutdown(wait=True)
