"""pytest fixture for the Stripe stand-in (tests/stripe_standin.py); import it into conftest.py."""

import pytest
import stripe

from stripe_standin import StripeStandin


@pytest.fixture
def stripe_standin():
    """A running StripeStandin for one test, with the stripe library's module-level api_base pointed at it.

    The library's api_base and api_key are put back afterwards, whatever the test or the app set them to.
    """
    saved = stripe.api_base, stripe.api_key
    with StripeStandin() as standin:
        stripe.api_base = standin.url
        try:
            yield standin
        finally:
            stripe.api_base, stripe.api_key = saved
