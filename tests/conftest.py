import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

# Markers (declared in pyproject.toml, --strict-markers):
#   slow  a test that takes tens of seconds by itself on a quiet 2-core machine (a long simulation,
#         a sweep killed and resumed, a hypothesis search through CLI subprocesses, a checker run
#         per grid point) and not merely because it is the first to compile a kernel or warm a
#         worker (fixture set-up shared with other tests is not marked). CI runs them all;
#         `pytest -m "not slow"` is the quick local run. For repeated local runs,
#         `export ADAMTHEORY_CACHE_DIR=~/.cache/adamtheory-tests` keeps compiled kernels between
#         sessions (by default each session compiles into a fresh temporary directory, below).

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The engine's compiled-kernel cache (adamtheory.engine.cache) in a per-session temporary directory
# unless the caller chose one (tests that need a cold cache set their own).
if "ADAMTHEORY_CACHE_DIR" not in os.environ:
    os.environ["ADAMTHEORY_CACHE_DIR"] = tempfile.mkdtemp(prefix="adamtheory-test-cache-")
    atexit.register(shutil.rmtree, os.environ["ADAMTHEORY_CACHE_DIR"], True)
