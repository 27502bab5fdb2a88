"""Wire-format conformance of the DigitalOcean simulator, checked by DigitalOcean's own client.

Run by scripts/pydo-conformance.sh, which installs `pydo` into a virtual environment and starts
`webrana simulate digitalocean`; run by hand as

    python scripts/pydo_conformance.py --endpoint http://127.0.0.1:PORT --token TOKEN

`pydo` is generated from DigitalOcean's OpenAPI description: it builds the paths, query strings,
headers and bodies the real API expects and accepts only the status codes the real API documents
for each operation (202 for a create, 200 for a read, 204 for a delete, …). Every check that
fails is printed; the exit status is 1 if any did, 0 otherwise.

pydo authenticates through azure-core's bearer-token policy, which refuses plain-HTTP URLs unless
a call passes `enforce_https=False`; every call below does, since the simulator listens on
loopback HTTP. That is the only concession to the simulator: base URL and transport options, no
code path of its own (integrations.md §5).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from typing import Any, Callable

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from pydo import Client

failures: list[str] = []


def check(condition: bool, what: str, detail: Any = None) -> bool:
    if condition:
        print(f"  ok   {what}")
    else:
        suffix = f": {detail!r}" if detail is not None else ""
        print(f"  FAIL {what}{suffix}")
        failures.append(what)
    return condition


def section(title: str) -> None:
    print(f"\n-- {title}")


class Headers:
    """A `raw_response_hook` that keeps the last HTTP status and response headers."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: dict[str, str] = {}

    def __call__(self, pipeline_response: Any) -> None:
        response = pipeline_response.http_response
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}


def call(fn: Callable[..., Any], *args: Any, hook: Headers | None = None, **kwargs: Any) -> Any:
    """One pydo operation over plain HTTP (see the module docstring)."""
    kwargs["enforce_https"] = False
    if hook is not None:
        kwargs["raw_response_hook"] = hook
    return fn(*args, **kwargs)


def sim_control(endpoint: str, path: str, body: dict | None = None) -> Any:
    """The simulator's own `/_sim/` routes (not DigitalOcean's API, so not through pydo)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        endpoint + path,
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def error_body(error: HttpResponseError) -> dict:
    try:
        return error.response.json()
    except Exception:  # noqa: BLE001 - a body that is not JSON is itself a finding
        return {"unparsable": error.response.text()}


def check_error_body(body: dict, status: int, error_id: str) -> None:
    check(body.get("id") == error_id, f"{status} body id is {error_id!r}", body)
    check(isinstance(body.get("message"), str) and body["message"] != "", f"{status} body has a message", body)
    try:
        uuid.UUID(str(body.get("request_id")))
        valid = True
    except ValueError:
        valid = False
    check(valid, f"{status} body has a UUID request_id", body)


def run(endpoint: str, token: str, active_timeout: float) -> None:
    # retry_total=0: a fault must reach the caller rather than be retried away; the retrying
    # client below shows the default policy riding over a single 503.
    client = Client(token=token, endpoint=endpoint, retry_total=0)

    section("GET /v2/account (client.account.get)")
    account = call(client.account.get)["account"]
    check(isinstance(account.get("droplet_limit"), int), "account.droplet_limit is an integer", account)
    for field in ("email", "uuid", "status"):
        check(field in account, f"account.{field} present", account)

    section("POST /v2/droplets (client.droplets.create)")
    run_tag = f"pydo-{uuid.uuid4().hex[:12]}"
    body = {
        "name": "pydo-conformance-1",
        "region": "sgp1",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-22-04-x64",
        "tags": ["webrana", run_tag],
        "monitoring": True,
        "ipv6": True,
        "user_data": "#cloud-config\nssh_pwauth: true\n",
    }
    hook = Headers()
    created = call(client.droplets.create, body=body, hook=hook)
    check(hook.status == 202, "create answers 202", hook.status)
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        check(header in hook.headers, f"create carries {header}", sorted(hook.headers))
    droplet = created["droplet"]
    droplet_id = droplet["id"]
    check(isinstance(droplet_id, int), "droplet.id is an integer", droplet_id)
    check(droplet["status"] == "new", "a new droplet is 'new'", droplet["status"])
    check(droplet["networks"] == {"v4": [], "v6": []}, "networks are empty at creation", droplet["networks"])
    check(set(body["tags"]) <= set(droplet["tags"]), "the droplet carries its tags", droplet["tags"])
    check(droplet["size_slug"] == "s-1vcpu-1gb", "size_slug echoes the size", droplet.get("size_slug"))
    check(droplet["region"]["slug"] == "sgp1", "region.slug echoes the region", droplet.get("region"))
    check(droplet["image"]["slug"] == "ubuntu-22-04-x64", "image.slug echoes the image", droplet.get("image"))
    check(sorted(droplet["features"]) == ["ipv6", "monitoring"], "features list monitoring and ipv6", droplet["features"])
    check(isinstance(droplet.get("vpc_uuid"), str), "vpc_uuid is set", droplet.get("vpc_uuid"))
    actions = created.get("links", {}).get("actions", [])
    check(len(actions) == 1 and actions[0].get("rel") == "create", "links.actions holds the create action", actions)
    create_action = actions[0]["id"] if actions else None

    section("GET /v2/droplets/{id} (client.droplets.get)")
    hook = Headers()
    read = call(client.droplets.get, droplet_id, hook=hook)["droplet"]
    check(hook.status == 200, "read answers 200", hook.status)
    check(read["id"] == droplet_id and read["name"] == body["name"], "read returns the same droplet", read.get("id"))

    section("GET /v2/droplets?tag_name= (client.droplets.list)")
    listed = call(client.droplets.list, tag_name=run_tag, per_page=20)
    ids = [d["id"] for d in listed.get("droplets", [])]
    check(ids == [droplet_id], "list by the run's tag finds exactly the droplet", ids)
    check(listed.get("meta", {}).get("total") == 1, "meta.total is 1", listed.get("meta"))
    check("links" in listed, "the list has links", listed)
    other = call(client.droplets.list, tag_name=f"{run_tag}-none", per_page=20)
    check(other.get("droplets") == [] and other.get("meta", {}).get("total") == 0, "an unused tag lists nothing", other)

    section("until active (client.droplets.get)")
    deadline = time.monotonic() + active_timeout
    while True:
        read = call(client.droplets.get, droplet_id)["droplet"]
        if read["status"] != "new" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    check(read["status"] == "active", f"the droplet turns active within {active_timeout:.0f} s", read["status"])
    v4 = read["networks"]["v4"]
    public = [n for n in v4 if n.get("type") == "public"]
    private = [n for n in v4 if n.get("type") == "private"]
    check(len(public) == 1 and public[0]["ip_address"].startswith("203.0.113."), "one public v4 in 203.0.113.0/24", v4)
    check(len(private) == 1 and private[0]["ip_address"].startswith("10.130."), "one private v4 in 10.130.0.0/16", v4)
    for entry in v4:
        check(
            {"ip_address", "netmask", "gateway", "type"} <= set(entry),
            f"v4 {entry.get('type')} entry has ip_address, netmask, gateway, type",
            entry,
        )
    v6 = read["networks"]["v6"]
    check(len(v6) == 1 and isinstance(v6[0].get("netmask"), int), "one v6 entry with an integer netmask", v6)

    if create_action is not None:
        section("GET /v2/actions/{id} (client.actions.get)")
        action = call(client.actions.get, create_action)["action"]
        check(action["status"] == "completed", "the create action is completed", action.get("status"))
        check(action["type"] == "create" and action["resource_id"] == droplet_id, "the action names its droplet", action)

    section("POST /v2/droplets/{id}/actions (client.droplet_actions.post)")
    hook = Headers()
    action = call(client.droplet_actions.post, droplet_id, body={"type": "reboot"}, hook=hook)["action"]
    check(hook.status == 201, "an action answers 201", hook.status)
    check(action["type"] == "reboot" and action["resource_type"] == "droplet", "the action is a droplet reboot", action)
    again = call(client.droplet_actions.get, droplet_id, action["id"])["action"]
    check(again["id"] == action["id"], "the action reads back through /v2/droplets/{id}/actions/{id}", again)

    section("errors (401, 404, 422) as pydo raises them")
    stranger = Client(token="not-the-token", endpoint=endpoint, retry_total=0)
    try:
        call(stranger.droplets.get, droplet_id)
        check(False, "a wrong token raises ClientAuthenticationError")
    except ClientAuthenticationError as e:
        check(e.status_code == 401, "a wrong token raises ClientAuthenticationError (401)", e.status_code)
        check_error_body(error_body(e), 401, "unauthorized")
    try:
        call(client.droplets.create, body={**body, "name": "pydo-conformance-bad", "size": "s-99vcpu"})
        check(False, "an unknown size raises HttpResponseError")
    except HttpResponseError as e:
        check(e.status_code == 422, "an unknown size raises HttpResponseError (422)", e.status_code)
        check_error_body(error_body(e), 422, "unprocessable_entity")

    section("DELETE /v2/droplets/{id} (client.droplets.destroy)")
    hook = Headers()
    call(client.droplets.destroy, droplet_id, hook=hook)
    check(hook.status == 204, "delete answers 204", hook.status)
    # pydo lists 404 among a read's documented answers: it returns the error body, not raises.
    hook = Headers()
    try:
        gone = call(client.droplets.get, droplet_id, hook=hook)
    except HttpResponseError as e:
        gone = error_body(e)
        hook.status = e.status_code
    check(hook.status == 404, "reading a deleted droplet answers 404", hook.status)
    check_error_body(gone if isinstance(gone, dict) else {}, 404, "not_found")

    section("injected faults (POST /_sim/config) as pydo surfaces them")
    for fault, status, error_id in (
        ("server_error", 500, "server_error"),
        ("service_unavailable", 503, "service_unavailable"),
    ):
        sim_control(endpoint, "/_sim/config", {"fault": fault, "count": 1})
        try:
            call(client.account.get)
            check(False, f"{fault} raises HttpResponseError")
        except HttpResponseError as e:
            check(e.status_code == status, f"{fault} raises HttpResponseError ({status})", e.status_code)
            check_error_body(error_body(e), status, error_id)
    # pydo's default retry policy (azure-core: 10 tries, backoff) rides over one 503.
    retrying = Client(token=token, endpoint=endpoint, retry_backoff_factor=0.01)
    sim_control(endpoint, "/_sim/config", {"fault": "service_unavailable", "count": 1})
    hook = Headers()
    account = call(retrying.account.get, hook=hook)
    check(hook.status == 200 and "account" in account, "the default retry policy recovers from one 503", hook.status)

    sim_control(endpoint, "/_sim/config", {"per_minute_budget": 1})
    try:
        call(client.account.get)
        check(False, "an exhausted budget raises HttpResponseError")
    except HttpResponseError as e:
        check(e.status_code == 429, "an exhausted budget raises HttpResponseError (429)", e.status_code)
        check_error_body(error_body(e), 429, "too_many_requests")
        headers = {k.lower(): v for k, v in e.response.headers.items()}
        check(headers.get("ratelimit-remaining") == "0", "429 carries ratelimit-remaining: 0", headers)
        check("retry-after" in headers or "ratelimit-reset" in headers, "429 says when to come back", headers)
    sim_control(endpoint, "/_sim/config", {"per_minute_budget": 100_000})
    check(call(client.account.get)["account"] is not None, "calls succeed again once the budget is raised")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the simulator's base URL, no /v2")
    parser.add_argument("--token", required=True)
    parser.add_argument("--active-timeout", type=float, default=20.0, help="seconds to wait for active")
    args = parser.parse_args()
    try:
        import pydo

        version = getattr(pydo, "__version__", None) or getattr(getattr(pydo, "_version", None), "VERSION", "?")
        print(f"pydo {version} against {args.endpoint}")
        run(args.endpoint.rstrip("/"), args.token, args.active_timeout)
    except Exception as e:  # noqa: BLE001 - an unexpected raise is a conformance failure too
        import traceback

        traceback.print_exc()
        failures.append(f"unexpected {type(e).__name__}: {e}")
    print()
    if failures:
        print(f"pydo conformance: {len(failures)} check(s) failed:")
        for what in failures:
            print(f"  - {what}")
        return 1
    print("pydo conformance: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
