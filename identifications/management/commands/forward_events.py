"""Local testing without a tunnel (like `stripe listen --forward-to`): poll a running service's events API and POST
each new event, signed with a local secret as Standard Webhooks says, to a URL on this machine."""

import base64
import json
import secrets
import time
from datetime import UTC, datetime

import requests
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from standardwebhooks.webhooks import Webhook

# The HTTP session polling the service (tests point it at Django's test client).
new_session = requests.Session


class Command(BaseCommand):
    help = (
        "Poll GET /v1/orgs/{org}/events of a running service with an API key and forward each new event, signed "
        "with --secret (printed when generated), to --forward-to, e.g. http://localhost:9000/hook."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="The service (default: %(default)s).")
        parser.add_argument("--org", required=True, help="The organization's slug (org_id).")
        parser.add_argument("--api-key", required=True, help="The organization's API key.")
        parser.add_argument("--forward-to", required=True, help="Where to POST each event.")
        parser.add_argument("--secret", default="", help="whsec_... to sign with (default: a new one, printed).")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls (default: 2).")
        parser.add_argument("--once", action="store_true", help="Forward what is new once, then exit.")
        parser.add_argument(
            "--since", default="", help="RFC 3339 time to start from (default: now; earlier events are not sent)."
        )

    def handle(self, *args, base_url, org, api_key, forward_to, secret, interval, once, since, **options):
        secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")
        signer = Webhook(secret)
        self.stdout.write(f"Signing secret: {secret}")
        self.stdout.write(
            gettext("Forwarding events of %(org)s to %(url)s (Ctrl-C to stop).") % {"org": org, "url": forward_to}
        )
        session = new_session()
        session.headers["Authorization"] = f"Bearer {api_key}"
        after = since or datetime.now(UTC).isoformat()
        seen: set[str] = set()
        while True:
            for event in self._new_events(session, f"{base_url.rstrip('/')}/v1/orgs/{org}/events", after, seen):
                status = self._forward(signer, forward_to, event)
                seen.add(event["id"])
                after = max(after, event["timestamp"].replace("Z", "+00:00"))
                self.stdout.write(
                    gettext("Forwarded %(id)s (%(type)s): %(status)s")
                    % {"id": event["id"], "type": event["type"], "status": status}
                )
            if once:
                return
            time.sleep(interval)

    def _new_events(self, session, url, after, seen) -> list[dict]:
        """Every event since `after` not yet forwarded, oldest first (the API lists newest first, by pages)."""
        events, params = [], {"created_after": after, "limit": 100}
        while url:
            response = session.get(url, params=params, timeout=10)
            if response.status_code != 200:
                raise CommandError(f"GET {response.url}: {response.status_code} {response.text[:200]}")
            page = response.json()
            events.extend(event for event in page["results"] if event["id"] not in seen)
            url, params = page["next"], None
        return list(reversed(events))

    def _forward(self, signer: Webhook, url: str, event: dict) -> str:
        body = json.dumps(event, separators=(",", ":"))
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": event["id"],
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(event["id"], now, body),
        }
        try:
            return str(requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=10).status_code)
        except requests.RequestException as error:
            return type(error).__name__
