"""The ratings API client against the local fake of Proview's REST API."""

from __future__ import annotations

import pytest

from generator.results.ratings import (ApiSettings, ApiUnavailable, AuthError, ConfigError,
                                       RatingsClient, SessionNotFound)

from .conftest import FAST_RETRY

UUID = "f46bd560-53f6-11eb-b441-492a960aa0ba"


def test_fetch_logs_in_once_and_reuses_the_token(fake_api, client):
    fake_api.add_session(UUID, "5506693", rating="High")
    first = client.fetch(UUID)
    second = client.fetch(UUID)
    assert first.final_rating == second.final_rating == "high"
    assert first.external_id == "5506693" and first.status == "completed"
    assert first.raw["system_info"]["browser"] == "Chrome"
    assert fake_api.count("POST", "/v1/user/login") == 1
    assert fake_api.count("GET", "/v1/sessions/", 200) == 2


def test_expired_token_is_renewed_before_use(fake_api, client):
    fake_api.add_session(UUID, "x")
    client.fetch(UUID)
    fake_api.clock.advance(fake_api.expires_in)  # past the token's life
    assert client.fetch(UUID).final_rating == "high"
    assert fake_api.count("POST", "/v1/user/login") == 2
    assert fake_api.count("GET", "/v1/sessions/", 401) == 0  # renewed, not refused


def test_401_triggers_exactly_one_fresh_login(fake_api, client):
    fake_api.add_session(UUID, "x")
    client.fetch(UUID)
    fake_api.revoke_tokens()  # the server forgets tokens the client still thinks valid
    assert client.fetch(UUID).final_rating == "high"
    assert fake_api.count("GET", "/v1/sessions/", 401) == 1
    assert fake_api.count("POST", "/v1/user/login") == 2


def test_401_twice_is_an_auth_error(fake_api, client, monkeypatch):
    fake_api.add_session(UUID, "x")
    fake_api.expires_in = 0  # every token is dead on arrival
    with pytest.raises(AuthError, match="refused a fresh access token"):
        client.fetch(UUID)
    assert fake_api.count("POST", "/v1/user/login") == 2


def test_500_and_dropped_connection_are_retried(fake_api, client):
    fake_api.add_session(UUID, "x")
    fake_api.inject[:] = [500, 0, 503]
    assert client.fetch(UUID).final_rating == "high"
    assert fake_api.count("POST", "/v1/user/login") == 4  # three failed, then one token
    assert fake_api.count("POST", "/v1/user/login", 200) == 1


def test_backoff_doubles_from_the_first_delay(fake_api, api_env):
    from generator.results.ratings import RetryPolicy
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, first_delay=1.0, max_delay=30.0, timeout=5)
    client = RatingsClient(ApiSettings.from_env("dev", api_env), policy, clock=fake_api.clock,
                           sleep=waits.append)
    fake_api.add_session(UUID, "x")
    fake_api.inject[:] = [500, 502, 500]
    client.fetch(UUID)
    assert waits == [1.0, 2.0, 4.0]


def test_retries_run_out(fake_api, client):
    fake_api.add_session(UUID, "x")
    fake_api.inject[:] = [500] * 10
    with pytest.raises(ApiUnavailable, match="login: HTTP 500, still failing after 4 attempt"):
        client.fetch(UUID)


def test_pending_rating_is_none(fake_api, client):
    fake_api.add_session(UUID, "x", rating="low", pending_reads=1)
    assert client.fetch(UUID).pending
    assert client.fetch(UUID).final_rating == "low"


def test_wrong_password_message_names_variables_not_values(fake_api, api_env):
    env = dict(api_env, PROVIEW_PASSWORD="wrong-password-value")
    client = RatingsClient(ApiSettings.from_env("dev", env), FAST_RETRY, clock=fake_api.clock)
    with pytest.raises(AuthError) as info:
        client.fetch(UUID)
    assert "PROVIEW_PASSWORD" in str(info.value)
    assert "wrong-password-value" not in str(info.value) and fake_api.username not in str(info.value)


def test_wrong_app_id_and_unknown_session(fake_api, api_env, client):
    with pytest.raises(SessionNotFound):
        client.fetch("no-such-session")
    env = dict(api_env, PROVIEW_APP_ID="other-app")
    other = RatingsClient(ApiSettings.from_env("dev", env), FAST_RETRY, clock=fake_api.clock)
    fake_api.add_session(UUID, "x")
    with pytest.raises(AuthError, match="PROVIEW_APP_ID"):
        other.fetch(UUID)


def test_settings_hosts_per_environment_and_no_secrets_in_repr():
    env = {"PROVIEW_USERNAME": "u@example.edu", "PROVIEW_PASSWORD": "pw-value", "PROVIEW_APP_ID": "app-value"}
    assert ApiSettings.from_env("prod", env).api_url == "https://proctoring.talview.com"
    assert ApiSettings.from_env("staging", env).auth_url == "https://auth-staging.talview.com"
    dev = ApiSettings.from_env("dev", env)
    assert (dev.auth_url, dev.api_url) == ("https://auth.talview.dev", "https://proview-universal.talview.dev")
    text = repr(dev) + repr(RatingsClient(dev))
    assert "pw-value" not in text and "app-value" not in text and "u@example.edu" not in text
    with pytest.raises(ConfigError, match="PROVIEW_PASSWORD, PROVIEW_APP_ID"):
        ApiSettings.from_env("prod", {"PROVIEW_USERNAME": "u"})
    with pytest.raises(ConfigError, match="plain http is allowed only to loopback"):
        ApiSettings.from_env("prod", dict(env, PROVIEW_API_URL="http://proctoring.example.com"))
