"""Bounce and complaint rates against SES's review and pause thresholds (services/email_feedback.py)."""
import pytest

from survey_app.services.email_feedback import EmailRates


@pytest.mark.parametrize("bounced, status", [(0, "healthy"), (49, "healthy"), (50, "warning"), (99, "warning"),
                                             (100, "at_risk"), (1000, "at_risk")])
def test_bounce_rate_is_reviewed_from_5_percent_and_may_pause_from_10(bounced, status):
    assert EmailRates(days=7, sent=1000, bounced=bounced, complained=0).bounce_status == status


@pytest.mark.parametrize("complained, status", [(0, "healthy"), (9, "healthy"), (10, "warning"), (49, "warning"),
                                                (50, "at_risk")])
def test_complaint_rate_is_reviewed_from_a_tenth_of_a_percent_and_may_pause_from_half(complained, status):
    assert EmailRates(days=30, sent=10000, bounced=0, complained=complained).complaint_status == status


def test_without_e_mail_sent_there_is_no_rate_to_judge():
    rates = EmailRates(days=7, sent=0, bounced=0, complained=0)
    assert (rates.bounce_rate, rates.bounce_status, rates.complaint_status) == (None, "no_data", "no_data")
