import json

import pytest

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError


def test_round_trips_through_json():
    c = Config(cell="gru", hidden=8, covariates=["a"], period=24)
    assert Config.from_dict(json.loads(json.dumps(c.to_dict()))) == c


@pytest.mark.parametrize("kw, message", [
    ({"cell": "transformer"}, "cell"),
    ({"horizon": 0}, "horizon"),
    ({"dropout": 1.5}, "dropout"),
    ({"lr": -1.0}, "lr"),
    ({"log": "maybe"}, "log"),
])
def test_bad_values_name_the_field(kw, message):
    with pytest.raises(UserError, match=message):
        Config(**kw)


@pytest.mark.parametrize("kw, message", [
    ({"hidden": 20000}, "`hidden` (20000) must be a whole number from 1 to 4,096"),
    ({"layers": 20000}, "`layers`"),
    ({"ensemble": 10**6}, "`ensemble`"),
    ({"epochs": 10**6}, "`epochs`"),
    ({"batch_size": 10**7}, "`batch_size`"),
    ({"patience": 10**6}, "`patience`"),
    ({"lookback": 10**8}, "`lookback`"),
    ({"horizon": 10**8}, "`horizon`"),
    ({"period": 10**8}, "`period`"),
    ({"threads": 10**6}, "`threads`"),
    ({"seed": 99999999999999999999}, "`seed`"),
    ({"seed": -1}, "`seed`"),
    ({"hidden": True}, "`hidden`"),
    ({"hidden": 10**50}, "..."),  # a 51-digit number is cut short in the message
    ({"hidden": 10**5000}, "too long to print"),  # past str()'s digit limit: no ValueError
    ({"lr": 1e300}, "`lr`"),
    ({"weight_decay": float("inf")}, "`weight_decay`"),
    ({"clip": float("inf")}, "`clip`"),
])
def test_numbers_beyond_their_bounds_are_refused_in_one_line(kw, message):
    with pytest.raises(UserError) as err:
        Config(**kw)
    assert message in str(err.value) and "\n" not in str(err.value) and len(str(err.value)) < 200


def test_the_bounds_themselves_are_accepted():
    from lstm_forecast.config import MAX

    c = Config(**{name: MAX[name] for name in ("hidden", "layers", "ensemble", "threads", "seed")})
    assert (c.hidden, c.layers, c.ensemble, c.seed) == (4096, 16, 32, MAX["seed"])
