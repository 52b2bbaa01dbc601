from __future__ import annotations

import pytest

from generator.results.ratings import ApiSettings, RatingsClient, RetryPolicy

from .fake_proview import FakeClock, FakeProview, serve

FAST_RETRY = RetryPolicy(attempts=4, first_delay=0.001, max_delay=0.01, timeout=5)


@pytest.fixture
def fake_api():
    fake = FakeProview(clock=FakeClock())
    server, url = serve(fake)
    fake.url = url  # type: ignore[attr-defined]
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_env(fake_api):
    return {"PROVIEW_USERNAME": fake_api.username, "PROVIEW_PASSWORD": fake_api.password,
            "PROVIEW_APP_ID": fake_api.app_id, "PROVIEW_AUTH_URL": fake_api.url,
            "PROVIEW_API_URL": fake_api.url + "/"}


@pytest.fixture
def client(fake_api, api_env):
    settings = ApiSettings.from_env("dev", api_env)
    return RatingsClient(settings, FAST_RETRY, clock=fake_api.clock)
