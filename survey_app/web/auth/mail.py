"""The one place owner mail (team invitations, password resets) is handed to the e-mail channel."""
from __future__ import annotations

from flask import current_app, render_template

from ...channels import ChannelError, build_channels
from ...i18n import translate
from ...messages import EmailContent


def send_owner_mail(to: str, kind: str, link: str, lang: str, **context) -> bool:
    """Renders templates/auth/mail_<kind>.{html,txt} and sends it; False when e-mail is not set up here or the
    send failed (logged): the caller then shows the link to the admin, or says nothing (a reset)."""
    channel = build_channels(current_app.config).get("email")
    if channel is None:
        return False
    values = dict(link=link, business=current_app.config["BUSINESS_NAME"], **context)
    content = EmailContent(to=to, subject=translate(f"mail_{kind}_subject", lang, **values),
                           html=render_template(f"auth/mail_{kind}.html", lang=lang, **values),
                           text=render_template(f"auth/mail_{kind}.txt", lang=lang, **values))
    try:
        channel.send(content)
    except ChannelError as error:
        current_app.logger.warning("owner mail (%s) to a teammate failed: %s", kind, error)
        return False
    return True
