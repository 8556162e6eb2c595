"""Fuzzing the JSON API against its own OpenAPI document (issue 14, item 6).

schemathesis reads /api/v1/openapi.json and, for every operation, generates requests (valid ones from the
schema, and wrong ones) as a seller, a treasurer and gate staff. Every answer must be no server error and
agree with the document: a documented status code, the documented content type and headers, a body of the
documented shape. Runs on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL): each engine
refuses odd values in its own way.

Bounded in time: FUZZ_EXAMPLES generated requests per operation, role and kind (valid by the schema, and
wrong; 10 by default, about a thousand requests in all, under a minute) and a budget of FUZZ_SECONDS (90) for
the whole run; FUZZ_EXAMPLES=500 FUZZ_SECONDS=1200 for a long local run. The figures
(requests sent, answers by status) are printed at the end."""
import os
import time
from collections import Counter

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks as st_checks
from schemathesis.core.failures import FailureGroup

from ticketing.accounts.services import issue_token
from ticketing.extensions import db
from ticketing.inventory import services as inventory
from ticketing.sales.services import PaymentInput, sell

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 10))
BUDGET = float(os.environ.get("FUZZ_SECONDS", 90))
ROLES = ("seller", "treasurer", "gate")
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_headers_conformance, st_checks.response_schema_conformance]


@pytest.fixture
def api_world(app, make):
    """Something to find: a festival with two sessions, sales by the seller, an entrance; a token per role."""
    from ticketing.gate.services import save_entrance
    festival = make.festival(sessions=2)
    seller = make.user("seller", roles=["seller"])
    users = {"seller": seller, "treasurer": make.user("treasurer", roles=["treasurer"]),
             "gate": make.user("gate", roles=["gate"])}
    for session in festival.sessions:
        seats = [s.id for s in inventory.seat_views(session.id)]
        sell(seller, session.id, seats[:2], PaymentInput("cash"), {"name": "สมชาย", "phone": "0812345678"})
    save_entrance(None, festival.id, None, code="N1", name_th="ประตูเหนือ", name_en="North", stands=["A"])
    tokens = {role: issue_token(None, user) for role, user in users.items()}
    db.session.commit()
    return tokens


def test_the_openapi_document_states_the_rules_marshmallow_fields_cannot(client):
    spec = client.get("/api/v1/openapi.json").json
    create = spec["components"]["schemas"]["OrderCreate"]
    assert {tuple(choice["required"]) for choice in create["oneOf"]} == {("seat_ids",), ("best_available",)}
    query = {p["name"]: p for p in spec["paths"]["/api/v1/orders"]["get"]["parameters"]}
    assert "not before `from`" in query["to"]["schema"].get("description", query["to"].get("description", ""))
    statement = {p["name"]: p for p in spec["paths"]["/api/v1/revenue/statement"]["get"]["parameters"]}
    assert "after 'from'" in statement["to"]["schema"].get("description", statement["to"].get("description", ""))
    header = {p["name"]: p for p in spec["paths"]["/api/v1/orders"]["post"]["parameters"]}
    assert header["Idempotency-Key"]["in"] == "header" and header["Idempotency-Key"]["schema"]["maxLength"] == 100


def test_to_before_from_is_refused_with_its_field(client, api_world):
    auth = {"Authorization": f"Bearer {api_world['treasurer']}"}
    resp = client.get("/api/v1/orders", query_string={"from": "2027-07-20", "to": "2027-07-19"}, headers=auth)
    assert resp.status_code == 422 and "to" in resp.json["fields"]["query"], resp.json
    resp = client.post("/api/v1/orders", json={"session_id": 1, "payment_method": "cash"},
                       headers={"Authorization": f"Bearer {api_world['seller']}"})
    assert resp.status_code == 422 and "seat_ids" in resp.json["fields"]["json"], resp.json


def test_fuzz_the_api_as_seller_treasurer_and_gate(app, api_world, capsys):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    deadline = time.monotonic() + BUDGET
    statuses: Counter = Counter()
    failures: list[str] = []
    def fuzz(role: str, operation, headers: dict, mode: GenerationMode):
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            if time.monotonic() > deadline:
                return
            try:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                statuses[response.status_code] += 1
            except (FailureGroup, AssertionError) as failure:
                statuses["failed"] += 1
                failures.append(f"{role} {mode.value} {operation.label}: {case.method} {case.formatted_path} "
                                f"query={case.query} body={str(case.body)[:200]}\n{str(failure)[:1500]}")
                raise
        try:
            run()
        except (FailureGroup, AssertionError):
            pass  # collected above; one failing operation does not hide the others

    for role in ROLES:
        for operation in operations:
            for mode in GenerationMode:
                # identity: the WSGI transport reads bodies as sent, and answers go out compressed when asked
                fuzz(role, operation, {"Authorization": f"Bearer {api_world[role]}", "Accept-Encoding": "identity"},
                     mode)
    sent = sum(n for key, n in statuses.items() if key != "failed")
    with capsys.disabled():
        print(f"\nAPI fuzz: {sent} requests over {len(operations)} operations x {len(ROLES)} roles; "
              f"answers {dict(sorted((str(k), v) for k, v in statuses.items()))}")
    assert sent > 0
    assert not failures, "\n\n".join(failures[:10])
