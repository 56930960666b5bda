"""schemathesis on every operation, in-process against the ASGI app: valid and invalid data.

Its default checks (no 5xx, status codes, content types, headers and bodies as documented)
plus negative-data rejection: whatever breaks the schema (a string where a number goes, a
number where a boolean goes, a value out of range, an unknown layer name, a data URL of
another type) is refused with a 4xx. Left out: positive-data acceptance, since no schema can
say which base64 strings are decodable PNGs, that rows have one length, or that a filter fits
its image: such data fits the schema and is still refused, with a 422 that says why.
"""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lenet_vis.app.config import Settings
from lenet_vis.app.main import create_app

app = create_app(Settings(max_batch=4))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_and_rejects_what_the_schema_forbids(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
