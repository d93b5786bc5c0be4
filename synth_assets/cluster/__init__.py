"""The production topology of a Dagster deployment, as local processes (issue 16).

* :mod:`.config`: the instance (PostgreSQL storage, QueuedRunCoordinator limits, DefaultRunLauncher) and the
  workspace (a ``grpc_server`` entry) as YAML, and the start-up check of the instance database;
* :mod:`.processes`: ``dagster code-server start``, ``dagster-webserver`` and ``dagster-daemon run`` started,
  waited for and stopped;
* :mod:`.backfills`: backfills submitted the way the UI submits them (GraphQL ``launchPartitionBackfill``),
  their runs watched, a failed run re-executed (``launchRunReexecution``);
* :mod:`.demo`: ``make cluster-demo``.
"""
