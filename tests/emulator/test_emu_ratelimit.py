"""Rate limiting: 40/s per route per account and 700/min per account."""

from conftest import ADA, ALPHA, ALPHA_ORG_KEY, BOB, Client, basic_scenario
from neon_emulator.ratelimit import RateLimiter


def test_off_by_default(emu, ada):
    assert all(ada.get("/auth").status_code == 200 for _i in range(60))


def test_burst_per_route(make_emu):
    emu = make_emu(basic_scenario(rate_limit=True))
    now = [100.0]
    emu.limiter._clock = lambda: now[0]  # frozen time: a loaded machine cannot stretch the burst
    ada = Client(emu, ADA)
    codes = [ada.get("/auth").status_code for _i in range(45)]
    assert codes == [200] * 40 + [429] * 5
    refused = ada.get("/auth")
    assert refused.status_code == 429
    assert set(refused.json()) == {"code", "message", "request_id"}
    assert "Retry-After" not in refused.headers  # Neon documents none
    now[0] += 1.01
    assert ada.get("/auth").status_code == 200
    # Another route of the same account, and another account, are unaffected.
    assert ada.get("/users/me").status_code == 200
    assert Client(emu, BOB).get("/auth").status_code == 200


def test_per_minute_budget_is_per_account(make_emu):
    emu = make_emu(basic_scenario(rate_limit=True, rate_limit_per_minute=30))
    ada = Client(emu, ADA)
    routes = ["/auth", "/users/me", "/users/me/organizations", "/organizations/" + ALPHA]
    codes = [ada.get(routes[i % len(routes)]).status_code for i in range(34)]
    assert codes[:30] == [200] * 30 and codes[30:] == [429] * 4
    # An org key is a different account.
    assert Client(emu, ALPHA_ORG_KEY).get("/auth").status_code == 200


def test_configure_turns_rate_limit_on(emu, ada):
    emu.configure(rate_limit=True, rate_limit_per_route_per_second=2)
    assert [ada.get("/auth").status_code for _i in range(3)] == [200, 200, 429]
    emu.configure(rate_limit=False)
    assert ada.get("/auth").status_code == 200


def test_limiter_windows_with_fake_clock():
    now = [1000.0]
    limiter = RateLimiter(per_minute=700, per_route_per_second=40, clock=lambda: now[0])
    allowed = 0
    # 700 requests spread over 35 s on 20 routes: never more than 40/s on one route.
    for i in range(700):
        now[0] = 1000.0 + i * 0.05
        assert limiter.allow("acct", "GET /r%d" % (i % 20))
        allowed += 1
    assert not limiter.allow("acct", "GET /other")  # 701st within the minute
    assert limiter.allow("acct2", "GET /other")
    now[0] = 1000.0 + 60.01  # the first requests leave the window
    assert limiter.allow("acct", "GET /other")
    for _i in range(39):
        assert limiter.allow("burst", "GET /x")
    assert limiter.allow("burst", "GET /x")
    assert not limiter.allow("burst", "GET /x")
    now[0] += 1.01
    assert limiter.allow("burst", "GET /x")
