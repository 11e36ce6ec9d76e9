"""Connection settings: flags over environment over file; mistakes named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.client import ClientConfig, ConfigError

ENV = {"EDXML_GATEWAY_SECRET": "from-the-environment"}


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_flags_win_over_the_environment_which_wins_over_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "c.toml", '[gateway]\nurl = "http://file/soap"\n'
                 'organ_id = "000.00.00.G22"\nsecret = "from-the-file"\nattempts = 7\n')
    config = ClientConfig.resolve(config_path=path, url="http://flag/soap", environ=ENV)
    assert (config.url, config.organ_id, config.secret, config.attempts) == (
        "http://flag/soap", "000.00.00.G22", "from-the-environment", 7)
    assert ClientConfig.resolve(config_path=path, environ={}).secret == "from-the-file"
    assert "from-the" not in repr(config)


def test_ini_values_are_typed_and_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "client.conf", "[gateway]\nurl = http://gw/soap\norgan_id = X\n"
                 "timeout = 12.5\nbackoff = 2\nca_bundle = ca.pem\nsigning_key = k.pem\n"
                 "signing_cert = c.pem\n")
    config = ClientConfig.resolve(config_path=path, environ=ENV)
    assert (config.timeout, config.backoff) == (12.5, 2.0)
    assert config.verify == str(tmp_path / "ca.pem")
    assert config.signing_key == tmp_path / "k.pem"
    with pytest.raises(ConfigError, match="cannot read the signing key"):
        config.signer()


@pytest.mark.parametrize(("text", "message"), [
    ("[gateway]\nurl = http://gw/soap\n", "organ_id: set --organ-id"),
    ("[gateway]\nurl = http://gw/soap\norgan_id = X\nsecert = oops\n", "unknown setting"),
    ("[gateway]\nurl = http://gw/soap\norgan_id = X\ntimeout = soon\n", "timeout must be"),
    ("[gateway]\nurl = http://gw/soap\norgan_id = X\nverify = maybe\n", "verify must be"),
    ("[gateway]\nurl = http://gw/soap\norgan_id = X\nsigning_key = k.pem\n",
     "signing_key and signing_cert"),
    ("[client]\nurl = http://gw/soap\n", "no [gateway] section"),
    ("url = http://gw/soap\n", "not a valid INI file"),
])
def test_a_wrong_setting_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, "client.ini", text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        ClientConfig.resolve(config_path=path, environ=ENV).signer()


def test_without_a_secret_the_message_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        ClientConfig.resolve(url="http://gw/soap", organ_id="X", environ={})
    assert "EDXML_GATEWAY_SECRET" in str(caught.value)
    assert "url" not in str(caught.value).split("secret")[0]  # only what is missing
    with pytest.raises(ConfigError, match="cannot read the config file"):
        ClientConfig.resolve(config_path=tmp_path / "missing.toml", environ=ENV)
    bad = _file(tmp_path, "bad.toml", "[gateway\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        ClientConfig.resolve(config_path=bad, environ=ENV)
