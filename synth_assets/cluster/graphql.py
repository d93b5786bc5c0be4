"""One GraphQL request to a Dagster webserver, the API its UI uses; errors as one sentence."""

from __future__ import annotations

import requests

TIMEOUT_SECONDS = 60


class ClusterError(RuntimeError):
    """A cluster request or process that failed; the message says why."""


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    """POST ``query`` to ``url``/graphql; its ``data``, or a :class:`ClusterError`."""
    try:
        response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables or {}},
                                 timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise ClusterError(f"no Dagster webserver answers at {url} ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise ClusterError(f"{url}/graphql answered HTTP {response.status_code}: {response.text[:300]}")
    body = response.json()
    if body.get("errors"):
        raise ClusterError(f"{url}/graphql refused the request: {body['errors'][0].get('message')}")
    return body["data"]


def expect(result: dict, typename: str, what: str) -> dict:
    """``result`` if its ``__typename`` is ``typename``, else a :class:`ClusterError` with its message."""
    if result.get("__typename") != typename:
        raise ClusterError(f"{what} failed ({result.get('__typename')}): {result.get('message', result)}")
    return result
