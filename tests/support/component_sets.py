"""Which Dapr component sets the suite runs its Dapr-host tests on.

By default: the REST suite on `local` (SQLite) and `redis`, the Dapr-host suite on
`redis`, and the tests whose outcome depends on the state store on `postgres` too
(what keeps a CI run short). `OPTIMUS_TEST_POSTGRES=all` runs both whole suites on
`postgres` as well:

    OPTIMUS_TEST_POSTGRES=all .venv/bin/python -m pytest tests/api tests/dapr_host -k postgres
"""

from __future__ import annotations

import os

from optimus.dapr_runtime import ComponentSet

ALL_ON_POSTGRES = os.environ.get("OPTIMUS_TEST_POSTGRES", "") == "all"

# The hosts of the REST suite (tests/api): `dapr-<set>` is `optimus serve --dapr` on that set.
REST_HOSTS = ["embedded", "dapr-local", "dapr-redis"]
if ALL_ON_POSTGRES:
    REST_HOSTS.append("dapr-postgres")
# The component sets of the Dapr-host suite (tests/dapr_host).
DAPR_HOST_SETS = [ComponentSet.REDIS] + ([ComponentSet.POSTGRES] if ALL_ON_POSTGRES else [])
