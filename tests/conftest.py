import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings

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
