"""What every page must pass in a real browser: its stylesheet applied, its charts drawn, no CSP refusal,
no console error, no failed request, and no WCAG 2.1 A/AA violation found by axe-core."""
from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import expect

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # axe-core's tags for WCAG 2.0/2.1 levels A and AA
# A refusal fires a `securitypolicyviolation` event on the document (CSP Level 3, "Report a violation");
# the binding survives navigations, so a refusal during a form post is not lost with the page that saw it.
LISTEN_FOR_REFUSALS = """document.addEventListener("securitypolicyviolation", e =>
  window.__cspRefused(`${e.effectiveDirective} refused ${e.blockedURI || "inline"} on ${e.documentURI}`));"""
# preload: false, or axe re-fetches the CDN's stylesheets by XHR (for css-orientation-lock) and the page's CSP
# rightly refuses that connect-src: a refusal caused by the checker, not the app (which locks no orientation).
AXE_RUN = """() => axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"],
                                    preload: false})
  .then(r => r.violations.flatMap(v => [`${v.id} (${v.impact}): ${v.help}, ${v.nodes.length} nodes:`].concat(
    v.nodes.slice(0, 3).map(n =>
      `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`))))""" % WCAG_21_AA


@dataclass
class Watch:
    """Collects, for one browser context, what goes wrong on its pages between two checks."""

    csp: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)  # (where, message)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (url, what went wrong)

    @classmethod
    def on(cls, context) -> Watch:
        watch = cls()
        context.expose_function("__cspRefused", lambda text: watch.csp.append(text))
        context.add_init_script(LISTEN_FOR_REFUSALS)
        context.on("console", lambda m: m.type == "error" and watch.console.append((m.location["url"], m.text)))
        context.on("weberror", lambda e: watch.console.append(("", f"uncaught: {e.error}")))
        # net::ERR_ABORTED is a load the browser gave up as the page moved on (a favicon during a form post)
        context.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED" and watch.requests.append(
            (r.url, f"failed: {r.failure}")))
        context.on("response", lambda r: r.status >= 400 and watch.requests.append((r.url, f"HTTP {r.status}")))
        return watch

    def take(self, expected_error: str = "") -> list[str]:
        """Problems seen since the last take; `expected_error` is the one document meant to answer >= 400."""
        # A refusal or failed load shows twice (event and Chromium's console line): with scripts off, only the line.
        problems = [f"CSP refusal: {text}" for text in self.csp]
        problems += [f"console: {text} ({where})" for where, text in self.console
                     if not (where == expected_error and text.startswith("Failed to load resource"))]
        problems += [f"request {what}: {url}" for url, what in self.requests if url != expected_error]
        for seen in (self.csp, self.console, self.requests):
            seen.clear()
        return problems


@dataclass(frozen=True)
class Styled:
    """A computed style that only the stylesheet sets: proof the stylesheet (from the CDN) was applied."""

    selector: str
    prop: str
    value: str


def check_page(page, watch: Watch, axe_source: str, styled: Styled, asset_origin: str, expected_error: str = "",
               scripts_off_checker=None) -> list[str]:
    """Every problem on the page now shown (empty when it passes), after its charts, if any, are drawn.

    A page loaded with scripts off is shown to axe in `scripts_off_checker`, a page of a context with scripts on.
    """
    page.wait_for_load_state("load")
    linked = page.eval_on_selector_all("link[rel=stylesheet], link[rel=icon], script[src]",
                                       "links => links.map(e => e.href || e.src)")
    problems = [f"asset not from the CDN origin: {url}" for url in linked if not url.startswith(asset_origin + "/")]
    actual = page.eval_on_selector(styled.selector, f"e => getComputedStyle(e).getPropertyValue('{styled.prop}')")
    if actual != styled.value:
        problems.append(f"stylesheet not applied: {styled.selector} {styled.prop} is {actual!r}, not {styled.value!r}")
    charts = page.locator(".chart")
    if charts.count():
        try:  # plotly.js draws one .main-svg per chart; a refused script leaves the divs empty
            expect(page.locator(".chart .main-svg").first).to_be_visible(timeout=10_000)
            expect(page.locator(".chart.js-plotly-plot")).to_have_count(charts.count(), timeout=10_000)
        except AssertionError as error:
            problems.append(f"charts not drawn: {str(error).splitlines()[0]}")
    problems += watch.take(expected_error)
    if scripts_off_checker is not None:
        page = rendered_again(page, scripts_off_checker)
    page.evaluate(axe_source)  # through the debugger protocol: the page's CSP does not apply to the checker
    return problems + [f"axe: {line}" for line in page.evaluate(AXE_RUN)]


def rendered_again(page, checker):
    """The document a scripts-off browser parsed, at its own URL (so the CDN stylesheet loads alike) in a page
    that runs axe: axe's promises never settle where scripts are off, and the page's scripts must stay off."""
    html, url = page.content(), page.url
    checker.route(url, lambda route: route.fulfill(
        status=200, body=html, headers={"Content-Type": "text/html; charset=utf-8",
                                        "Content-Security-Policy": "script-src 'none'"}))
    checker.goto(url)
    checker.unroute(url)
    return checker
