/* The dashboard's trend charts, drawn with ECharts (assets/web/vendor/echarts) from the JSON block each
   chart's <figure> carries (server/web/chart_data.py): the days, one line per rep, the round y ticks and
   every text already translated and formatted by the server. The server's SVG stays in the page for a
   browser without script and is hidden once the chart is drawn. No inline script, no inline style markup
   (the CSP allows neither): the tooltip is built from DOM nodes. */
(function () {
  "use strict";

  function tooltip(data) {
    return function (params) {
      var items = Array.isArray(params) ? params : [params];
      var box = document.createElement("div");
      box.className = "chart-tooltip";
      if (!items.length) return box;
      var title = document.createElement("div");
      title.className = "chart-tooltip-title";
      title.textContent = data.dayTitles[items[0].dataIndex];
      box.appendChild(title);
      items.forEach(function (item) {
        var text = data.series[item.seriesIndex].texts[item.dataIndex];
        if (text === null || text === undefined) return;
        var row = document.createElement("div");
        var swatch = document.createElement("span");
        swatch.className = "chart-tooltip-swatch";
        swatch.style.backgroundColor = item.color; // CSSOM, which the CSP allows
        var name = document.createElement("span");
        name.textContent = item.seriesName + " ";
        var value = document.createElement("strong");
        value.textContent = text;
        row.append(swatch, name, value);
        box.appendChild(row);
      });
      return box;
    };
  }

  function yLabel(data) {
    return function (value) {
      for (var i = 0; i < data.yTicks.length; i++) {
        if (Math.abs(data.yTicks[i] - value) < 1e-9) return data.yLabels[i];
      }
      return "";
    };
  }

  function draw(figure) {
    var source = figure.querySelector("script.chart-data");
    var box = figure.querySelector(".chart-canvas");
    if (!source || !box) return null;
    var data = JSON.parse(source.textContent);
    box.hidden = false;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    var single = data.days.length === 1;
    chart.setOption({
      animation: false,
      color: data.series.map(function (s) { return s.colour; }),
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        confine: true,
        className: "chart-tooltip-box",
        formatter: tooltip(data),
      },
      xAxis: {
        type: "category",
        data: data.days,
        boundaryGap: single,
        axisLabel: { hideOverlap: true },
      },
      yAxis: {
        type: "value",
        min: 0,
        max: data.yMax,
        interval: data.yStep,
        axisLabel: { formatter: yLabel(data) },
      },
      series: data.series.map(function (s) {
        return {
          name: s.name,
          type: "line",
          data: s.values,
          connectNulls: false,
          symbol: "circle",
          symbolSize: single ? 8 : 5,
          lineStyle: { width: 2 },
        };
      }),
    });
    figure.classList.add("drawn");
    return chart;
  }

  function start() {
    if (!window.echarts) return; // the library did not load: the SVG stays
    var charts = [];
    document.querySelectorAll("figure.chart[data-chart]").forEach(function (figure) {
      var chart = draw(figure);
      if (chart) charts.push(chart);
    });
    var pending = null;
    function resize() {
      if (pending) return;
      pending = window.requestAnimationFrame(function () {
        pending = null;
        charts.forEach(function (chart) { chart.resize(); });
      });
    }
    window.addEventListener("resize", resize);
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(resize);
      charts.forEach(function (chart) { observer.observe(chart.getDom()); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
