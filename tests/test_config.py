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
