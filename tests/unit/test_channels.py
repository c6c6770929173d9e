"""One channel interface: the registry builds only configured channels, and WhatsApp renders the plain chat
messages as the Cloud API's documented request bodies (developers.facebook.com/docs/whatsapp/cloud-api/reference/
messages: template components, text, interactive button and list)."""
import pytest

from survey_app.channels import ChannelError, build_channel, build_channels, channels
from survey_app.channels.email_ses import SesEmail
from survey_app.channels.whatsapp import WhatsAppCloud
from survey_app.domain.conversation import ChatChoices, ChatTemplate, ChatText

WHATSAPP = {"WHATSAPP_API_BASE": "https://graph.test/v21.0", "WHATSAPP_PHONE_NUMBER_ID": "1055",
            "WHATSAPP_TOKEN": "t"}


def test_the_registry_builds_only_the_channels_whose_required_settings_are_set():
    assert build_channels({"AWS_REGION": "ap-southeast-3"}) == {}
    built = build_channels({"AWS_REGION": "ap-southeast-3", "SES_SENDER": "a@toko.test"} | WHATSAPP)
    assert set(built) == {"email", "whatsapp"} <= set(channels)
    assert isinstance(built["email"], SesEmail) and built["email"].region == "ap-southeast-3"
    assert built["whatsapp"].url == "https://graph.test/v21.0/1055/messages"


def test_a_channel_is_looked_up_by_type_and_a_missing_setting_or_unknown_type_builds_nothing():
    assert isinstance(build_channel("whatsapp", WHATSAPP), WhatsAppCloud)
    assert build_channel("whatsapp", WHATSAPP | {"WHATSAPP_TOKEN": ""}) is None
    assert build_channel("sms", WHATSAPP) is None
    ses = build_channel("email", {"SES_SENDER": "a@toko.test", "AWS_REGION": "x", "SES_REGION": "eu-west-1",
                                  "SES_CONFIGURATION_SET": "events"})
    assert (ses.region, ses.configuration_set) == ("eu-west-1", "events")


def test_a_template_renders_body_parameters_url_suffix_and_stop_payload_in_button_order():
    body = WhatsAppCloud.from_configuration(WHATSAPP).body(ChatTemplate(
        "+628123", "survey_invitation", "id", ("Budi",), "tok123", ("STOP",)))
    assert body["to"] == "628123" and body["type"] == "template"
    assert body["template"]["name"] == "survey_invitation" and body["template"]["language"] == {"code": "id"}
    assert body["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Budi"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "tok123"}]},
        {"type": "button", "sub_type": "quick_reply", "index": "1",
         "parameters": [{"type": "payload", "payload": "STOP"}]}]


def test_text_and_choices_render_as_text_reply_buttons_up_to_three_and_a_list_beyond():
    channel = WhatsAppCloud.from_configuration(WHATSAPP)
    assert channel.body(ChatText("+62811", "Halo"))["text"] == {"preview_url": False, "body": "Halo"}
    three = channel.body(ChatChoices("+62811", "Mudah?", "Pilih", (("1", "Ya"), ("2", "Tidak"), ("3", "Entah"))))
    assert three["interactive"]["type"] == "button" and len(three["interactive"]["action"]["buttons"]) == 3
    seven = channel.body(ChatChoices("+62811", "CES", "Pilih", tuple((str(i), f"Pilihan nomor {i} yang panjang sekali")
                                                                    for i in range(1, 8))))
    rows = seven["interactive"]["action"]["sections"][0]["rows"]
    assert seven["interactive"]["type"] == "list" and len(rows) == 7 and max(len(r["title"]) for r in rows) == 24


def test_a_message_the_channel_cannot_render_is_refused_with_a_reason():
    with pytest.raises(ChannelError, match="cannot send a dict"):
        WhatsAppCloud.from_configuration(WHATSAPP).body({"to": "x"})
