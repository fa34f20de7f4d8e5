/* CityPilot registry map (templates/pilots/_map.html). Plain JavaScript, no build step, no outside request.
 *
 * For every element with [data-registry-map]: fetch the province GeoJSON (data-geo-url) and the map data
 * (data-map-url, the JSON of GET /api/pilots/map), register the GeoJSON as ECharts' 'china' map (ECharts then
 * adds the 南海诸岛 inset), shade provinces by their number of pilots and place each pilot with coordinates.
 * Clicking a point opens the pilot. Labels follow <html lang>: Chinese by default, English for 'en'.
 * Once drawn (animation finished) the element carries data-state="ready" and data-points="<number of points>"
 * (data-state="error" when the data could not be loaded).
 */
(function () {
  "use strict";
  if (window.CityPilotRegistryMap) return; // the fragment may be included more than once

  var LABELS = {
    zh: {
      pilots: "试点数",
      points: "试点",
      more: "多",
      fewer: "少",
      batch: function (year) { return year + "年度批次"; },
      province: function (name, count) { return name + "：" + count + " 个试点"; },
      caption: function (data) {
        return "共 " + data.total + " 个试点，地图上 " + data.points.length + " 个；" +
          data.without_coordinates + " 个试点无坐标";
      },
      failed: "地图数据加载失败，请刷新页面重试。",
    },
    en: {
      pilots: "Pilots",
      points: "Pilots",
      more: "More",
      fewer: "Fewer",
      batch: function (year) { return "Batch " + year; },
      province: function (name, count) { return name + ": " + count + (count === 1 ? " pilot" : " pilots"); },
      caption: function (data) {
        return data.total + " pilots, " + data.points.length + " on the map; " +
          data.without_coordinates + " pilots without coordinates";
      },
      failed: "The map data could not be loaded. Please reload the page.",
    },
  };

  function labels() {
    var lang = (document.documentElement.lang || "").toLowerCase();
    return lang === "en" || lang.indexOf("en-") === 0 ? LABELS.en : LABELS.zh;
  }

  var geoRequests = {};
  var charts = [];

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function loadGeo(url) {
    if (!geoRequests[url]) {
      geoRequests[url] = getJSON(url).then(function (geo) {
        if (!window.echarts.getMap("china")) window.echarts.registerMap("china", geo);
        return geo;
      });
    }
    return geoRequests[url];
  }

  function escape(text) {
    return window.echarts.format.encodeHTML(String(text == null ? "" : text));
  }

  function option(geo, data, L) {
    // Provinces with pilots are shaded; the others keep the plain area colour of the geo component.
    var counts = data.provinces || {};
    var regions = [];
    geo.features.forEach(function (feature) {
      var name = feature.properties.name;
      if (counts[name]) regions.push({ name: name, value: counts[name] });
    });
    var max = 1;
    regions.forEach(function (region) { if (region.value > max) max = region.value; });
    return {
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          if (params.seriesType === "scatter") {
            var p = params.data.pilot;
            return "<strong>" + escape(p.name) + "</strong><br>" + escape(L.batch(p.batch)) + "<br>" + escape(p.kind_label);
          }
          return escape(L.province(params.name, params.value || 0));
        },
      },
      visualMap: {
        type: "continuous",
        seriesIndex: 0,
        min: 1,
        max: Math.max(max, 2),
        text: [L.more, L.fewer],
        calculable: true,
        left: 16,
        bottom: 24,
        inRange: { color: ["#cfe2f3", "#7fb0dc", "#1f5fa6"] },
      },
      geo: {
        map: "china",
        roam: true,
        scaleLimit: { min: 0.8, max: 12 },
        layoutCenter: ["50%", "55%"],
        layoutSize: "115%",
        itemStyle: { areaColor: "#f1f3f5", borderColor: "#7b8794", borderWidth: 0.6 },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffe08a" } },
        select: { disabled: true },
      },
      series: [
        { type: "map", geoIndex: 0, name: L.pilots, data: regions },
        {
          type: "scatter",
          coordinateSystem: "geo",
          name: L.points,
          symbolSize: 8,
          itemStyle: { color: "#b71c1c", borderColor: "#ffffff", borderWidth: 1, opacity: 0.9 },
          emphasis: { scale: 1.8 },
          data: data.points.map(function (p) { return { name: p.name, value: [p.lon, p.lat], pilot: p }; }),
        },
      ],
    };
  }

  function render(element) {
    if (element.dataset.state) return;
    element.dataset.state = "loading";
    var L = labels();
    var caption = element.parentElement && element.parentElement.querySelector("[data-registry-map-caption]");
    Promise.all([loadGeo(element.dataset.geoUrl), getJSON(element.dataset.mapUrl)])
      .then(function (results) {
        var geo = results[0];
        var data = results[1];
        var chart = window.echarts.init(element, null, { renderer: "canvas" });
        chart.on("click", { seriesType: "scatter" }, function (params) {
          var url = params.data && params.data.pilot && params.data.pilot.url;
          if (url) window.location.assign(url);
        });
        chart.on("finished", function () {
          if (element.dataset.state === "loading") element.dataset.state = "ready"; // drawn, animation over
        });
        element.dataset.points = String(data.points.length);
        if (caption) caption.textContent = L.caption(data);
        chart.setOption(option(geo, data, L));
        charts.push(chart);
      })
      .catch(function (error) {
        element.dataset.state = "error";
        if (caption) caption.textContent = L.failed;
        if (window.console) window.console.error("registry map:", error);
      });
  }

  function renderAll() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-registry-map]").forEach(render);
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      charts = charts.filter(function (chart) {
        if (chart.isDisposed() || !document.body.contains(chart.getDom())) {
          if (!chart.isDisposed()) chart.dispose();
          return false;
        }
        chart.resize();
        return true;
      });
    }, 150);
  });

  // Pages that swap the list (and the map with it) through htmx get the new map drawn.
  document.addEventListener("htmx:afterSettle", renderAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();

  window.CityPilotRegistryMap = { render: renderAll, charts: function () { return charts.slice(); } };
})();
