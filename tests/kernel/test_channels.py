"""Every transport is a ChannelAdapter, registered by its own package."""

from __future__ import annotations

from rapport.kernel import channels
from rapport.kernel.channels import SECRET_MASK, Adapter, ChannelAdapter
from rapport.models.enums import Channel


def test_every_channel_but_api_has_an_adapter_that_follows_the_protocol():
    for channel in Channel:
        found = channels.adapter(channel.value)
        if channel is Channel.api:
            assert found is None
            continue
        assert isinstance(found, ChannelAdapter), channel
        assert found.channel == channel.value


def test_in_app_channels_have_no_sender_and_transports_do():
    senders = {c.value for c in Channel if channels.adapter(c.value) and channels.adapter(c.value).sender}
    assert senders == {"email", "sms", "whatsapp"}
    assert channels.adapter("whatsapp").window is not None and channels.adapter("email").window is None


def test_settings_go_through_the_adapter_and_a_masked_secret_keeps_its_value():
    stored = channels.check_settings("portal", {"a": 1})
    assert stored == {"a": 1}  # portal has no check: stored as given
    assert channels.connection("portal", {}).state == "ready"
    assert channels.connection("api", None).state == "ready"
    kept = channels._unmask({"smtp": {"password": SECRET_MASK}}, {"smtp": {"password": "s3cret"}})
    assert kept == {"smtp": {"password": "s3cret"}}
    assert channels.mask_secrets({"auth_token": "x", "name": "y"}) == {"auth_token": SECRET_MASK, "name": "y"}


def test_an_adapter_made_of_functions_uses_them():
    adapter = Adapter(
        "zz", check=lambda s: {**s, "checked": True}, status=lambda s: channels.Connection("partial", "x")
    )
    assert adapter.check_settings({}) == {"checked": True}
    assert adapter.connection({}).state == "partial"
