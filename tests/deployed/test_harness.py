"""The deployed tier itself: the zip's code runs through Zappa's handler behind an API Gateway front, with
Lambda's limits, and what a client sees is what API Gateway would give it."""
from __future__ import annotations

import re
import subprocess

from tests.deployed import package


def test_login_page_through_the_front_links_under_the_stage_path(deployed):
    visitor = deployed.client()
    redirect = visitor.get("/owner/")
    assert redirect.status == 302
    assert redirect.header("Location").startswith("/production/login?")
    page = visitor.get(redirect.header("Location"))
    assert page.status == 200
    links = re.findall(r'(?:href|action|src)="([^"?][^"]*)"', page.text)
    assert links and all(link.startswith(("/production/", deployed.static_url + "/static/")) for link in links), links


def test_the_function_runs_the_zip_not_the_working_tree(deployed):
    page = deployed.client().get("/login")
    assert page.status == 200
    logs = deployed.logs()
    assert "START RequestId:" in logs and "REPORT RequestId:" in logs
    assert str(package.ROOT / "survey_app") not in logs


def test_stage_settings_module_is_zappas_own_for_the_packaged_stage(tmp_path):
    """Without overrides, the module the tier generates is byte-for-byte the one `zappa package` put in the zip."""
    package.build_zip()
    generated = package.stage_settings_module(package.PACKAGED_STAGE, tmp_path / "settings", {})
    with package.package_lock():
        packed = subprocess.run(["unzip", "-p", str(package.ZIP), "zappa_settings.py"], capture_output=True,
                                check=True).stdout
    assert (generated / "zappa_settings.py").read_bytes() == packed
