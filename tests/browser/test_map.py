"""The registry map fragment in a real Chromium: ECharts draws the provinces and one point per placed pilot.

The fragment is shown on a test-only page (this module is the URL conf of its tests), so the test does
not depend on the registry page that includes it. Set CITYPILOT_MAP_SCREENSHOT=/path.png to keep a picture.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path, reverse
from django.utils import translation

import citypilot.urls
from citypilot.notices.services import import_notice
from citypilot.pilots.map import map_data
from citypilot.pilots.models import Pilot
from citypilot.pilots.selectors import filter_pilots, visible_pilots
from tests.pilots.conftest import SEED_BYTES

PAGE = """{% extends "base.html" %}{% block content %}
<h1>map</h1>{% include "pilots/_map.html" with map_url=map_url %}
{% endblock %}"""


def map_page(request: HttpRequest) -> HttpResponse:
    with translation.override(request.GET.get("lang", "zh-hans")):
        template = engines["django"].from_string(PAGE)
        return HttpResponse(template.render({"map_url": reverse("api:pilots_map") + "?batch=2013"}, request))


urlpatterns = [path("test-only/map/", map_page), *citypilot.urls.urlpatterns]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

STATE = """() => {
  const el = document.querySelector('[data-registry-map]');
  const chart = echarts.getInstanceByDom(el);
  const option = chart.getOption();
  const canvas = el.querySelector('canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4 * 97) if (pixels[i] > 0) painted += 1;
  const geo = chart.getModel().getComponent('geo').coordinateSystem;
  return {
    registered: !!echarts.getMap('china'),
    geo: option.geo.map((g) => g.map),
    regions: geo.regions.map((r) => r.name),
    series: option.series.map((s) => s.type),
    points: option.series.find((s) => s.type === 'scatter').data.length,
    shaded: option.series.find((s) => s.type === 'map').data
      .filter((d) => d.value != null).map((d) => [d.name, d.value]),
    painted: painted,
    canvas: [canvas.width, canvas.height],
    width: chart.getWidth(),
  };
}"""


def ready(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-registry-map][data-state=ready]")


def test_map_draws_provinces_and_one_point_per_placed_pilot(page: Any, live_server: Any) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None, publish=True)
    expected = map_data(filter_pilots(visible_pilots(AnonymousUser()), batch=2013))
    assert len(expected["points"]) == 101 and expected["without_coordinates"] == 2
    page.set_viewport_size({"width": 1200, "height": 900})
    ready(page, live_server.url + "/test-only/map/")

    state = page.evaluate(STATE)
    assert state["registered"] and state["geo"] == ["china"]
    assert "南海诸岛" in state["regions"] and "河北" in state["regions"]  # the inset ECharts adds for 'china'
    assert state["series"] == ["map", "scatter"]
    assert state["points"] == len(expected["points"]) == int(page.get_attribute("[data-registry-map]", "data-points"))
    assert dict(state["shaded"]) == expected["provinces"]
    assert state["canvas"][0] > 0 and state["painted"] > 1000
    caption = page.inner_text("[data-registry-map-caption]")
    assert f"{expected['without_coordinates']} 个试点无坐标" in caption and "101" in caption
    if os.environ.get("CITYPILOT_MAP_SCREENSHOT"):
        page.screenshot(path=os.environ["CITYPILOT_MAP_SCREENSHOT"], full_page=True)

    # Hovering a point names it; clicking opens the pilot.
    nyingchi = Pilot.objects.get(batch__year=2013, name="林芝地区")
    x, y = page.evaluate(
        """([lon, lat]) => {
          const el = document.querySelector('[data-registry-map]');
          const [px, py] = echarts.getInstanceByDom(el).convertToPixel({geoIndex: 0}, [lon, lat]);
          const box = el.getBoundingClientRect();
          return [box.left + px, box.top + py];
        }""",
        [float(nyingchi.lon or 0), float(nyingchi.lat or 0)],
    )
    page.mouse.move(x, y)
    page.wait_for_function("() => document.body.innerText.includes('2013年度批次')")
    assert "林芝地区" in page.locator("[data-registry-map]").inner_text()
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(rf"/{nyingchi.pk}/?$"))


def test_map_follows_the_page_language_and_the_window_size(page: Any, live_server: Any) -> None:
    import_notice(SEED_BYTES, filename="notice_2013.txt", actor=None, publish=True)
    page.set_viewport_size({"width": 1200, "height": 900})
    ready(page, live_server.url + "/test-only/map/?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert "2 pilots without coordinates" in page.inner_text("[data-registry-map-caption]")
    wide = page.evaluate(STATE)["width"]
    page.set_viewport_size({"width": 700, "height": 900})
    chart = "echarts.getInstanceByDom(document.querySelector('[data-registry-map]'))"
    page.wait_for_function(f"() => {chart}.getWidth() < {wide}")
