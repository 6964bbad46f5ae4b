// sovra HTML report: draws the charts a report file lists (`sovra-charts`) from the report JSON it embeds
// (`sovra-reports`), with ECharts. No number is computed here beyond sorting and picking rows: every value drawn is
// a cell of one of the report's tables. The chart specifications are written by sovra-report's HTML writer
// (crates/sovra-report/src/write/html.rs, `charts`); docs/dashboard.md lists them.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var reports = data("sovra-reports");
  var specs = data("sovra-charts");
  if (!reports || !specs || typeof echarts === "undefined") return;
  var world = null;

  var STATUS = { achieved: "#1a7f37", on_track: "#2f6fb3", behind: "#c77c02", worsening: "#c0392b", undefined: "#888" };
  var PALETTE = ["#2f6fb3", "#c0392b", "#1a7f37", "#c77c02", "#6f42c1", "#0e7c86", "#8a6d3b", "#d63384"];

  function table(report, key) {
    for (var i = 0; i < report.tables.length; i++) if (report.tables[i].key === key) return report.tables[i];
    return null;
  }
  function column(t, key) {
    for (var i = 0; i < t.columns.length; i++) if (t.columns[i].key === key) return t.columns[i];
    return null;
  }
  function label(row, keys) {
    return keys.map(function (k) { return row[k]; }).filter(function (v) { return v !== null && v !== undefined; }).join(" ");
  }
  function fmt(col, v) {
    if (v === null || v === undefined) return "—";
    if (col && col.kind === "share") return (100 * v).toFixed(Math.max(col.decimals || 1, 1)) + "%";
    var d = col ? col.decimals : 2;
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: 0 });
  }
  function axisFmt(col) {
    return function (v) {
      if (col && col.kind === "share") return +(100 * v).toPrecision(3) + "%";
      return Math.abs(v) >= 1e4 ? Number(v).toLocaleString("en-US", { maximumFractionDigits: 0 }) : String(+v.toPrecision(4));
    };
  }
  // Ticks every 1, 2 or 5 years, so that a span of years reads as whole years.
  function yearInterval(years) {
    var span = Math.max.apply(null, years) - Math.min.apply(null, years);
    return span <= 10 ? 1 : span <= 20 ? 2 : 5;
  }
  function unitOf(col, report) {
    if (!col) return "";
    if (col.unit) return col.unit;
    if (col.kind === "amount") return report.provenance.units || "";
    if (col.kind === "share") return "%";
    return "";
  }
  function caption(fig, spec, report, cols) {
    var p = report.provenance;
    var units = cols.filter(Boolean).map(function (c) { return c.label + (unitOf(c, report) ? " (" + unitOf(c, report) + ")" : ""); });
    fig.querySelector("figcaption").textContent = spec.title + " — " + units.join(", ") +
      (p.dataset ? " — " + p.dataset + (p.year ? " " + p.year : "") : "") + ". Numbers: table “" + spec.table + "”.";
  }

  var draw = {
    bar: function (spec, report, el) {
      var t = table(report, spec.table);
      var rows = t.rows.slice();
      var cols = spec.values.map(function (k) { return column(t, k); });
      if (!spec.keep_order) rows.sort(function (a, b) { return (b[spec.values[0]] || 0) - (a[spec.values[0]] || 0); });
      if (spec.top) rows = rows.slice(0, spec.top);
      rows.reverse();
      var cats = rows.map(function (r) { return label(r, spec.label); });
      el.style.height = Math.max(260, 26 * rows.length + 80) + "px";
      return [{
        animation: false,
        color: PALETTE,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { show: cols.length > 1, top: 0 },
        grid: { left: 8, right: 24, top: cols.length > 1 ? 30 : 10, bottom: 24, containLabel: true },
        xAxis: { type: "value", axisLabel: { formatter: axisFmt(cols[0]) } },
        yAxis: { type: "category", data: cats, axisLabel: { width: 220, overflow: "truncate" } },
        series: cols.map(function (c, i) {
          return { name: c.label, type: "bar", data: rows.map(function (r) { return r[spec.values[i]]; }),
            tooltip: { valueFormatter: function (v) { return fmt(c, v); } } };
        })
      }, cols];
    },
    map: function (spec, report, el) {
      var t = table(report, spec.table);
      var col = column(t, spec.value);
      if (!world) {
        var topo = data("sovra-world");
        var iso = data("sovra-iso") || [];
        var numToA3 = {};
        iso.forEach(function (c) { numToA3[c[2]] = c[1]; });
        var geo = topojson.feature(topo, topo.objects.countries);
        // Antarctica takes room and carries no data; rings that cross the antimeridian (Russia's Chukotka, Fiji)
        // are held on the side where most of their points lie, so that a flat map draws no line across the world.
        geo.features = geo.features.filter(function (f) { return f.id !== "010"; });
        geo.features.forEach(function (f) {
          f.properties.iso3 = numToA3[f.id] || f.properties.name;
          var g = f.geometry;
          var polys = !g ? [] : g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
          polys.forEach(function (poly) {
            poly.forEach(function (ring) {
              if (!ring.some(function (p) { return p[0] > 150; }) || !ring.some(function (p) { return p[0] < -150; })) return;
              var east = ring.filter(function (p) { return p[0] > 0; }).length >= ring.length / 2;
              ring.forEach(function (p) {
                if (east && p[0] < 0) p[0] = 180;
                if (!east && p[0] > 0) p[0] = -180;
              });
            });
          });
        });
        echarts.registerMap("world", geo);
        world = geo;
      }
      var values = t.rows.filter(function (r) { return r[spec.value] !== null; })
        .map(function (r) { return { name: r[spec.region], value: r[spec.value] }; });
      var nums = values.map(function (v) { return v.value; });
      el.style.height = "440px";
      return [{
        animation: false,
        tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + fmt(col, p.value); } },
        visualMap: { min: Math.min.apply(null, nums.concat([0])), max: Math.max.apply(null, nums.concat([0])) || 1,
          left: 8, bottom: 8, calculable: true, text: ["high", "low"], formatter: axisFmt(col),
          inRange: { color: ["#f0f4f8", "#9ec5e8", "#2f6fb3", "#0b2e59"] } },
        series: [{ type: "map", map: "world", nameProperty: "iso3", roam: false, data: values,
          itemStyle: { borderColor: "#fff", borderWidth: 0.3, areaColor: "#e4e4e4" },
          emphasis: { label: { show: false } } }]
      }, [col]];
    },
    line: function (spec, report, el) {
      var t = table(report, spec.table);
      var col = column(t, spec.value), xcol = column(t, spec.x);
      var rows = t.rows.filter(function (r) {
        for (var k in (spec.where || {})) if (r[k] !== spec.where[k]) return false;
        return true;
      });
      var groups = {}, order = [];
      rows.forEach(function (r) {
        var g = label(r, spec.series || []) || col.label;
        if (!groups[g]) { groups[g] = []; order.push(g); }
        groups[g].push([r[spec.x], r[spec.value]]);
      });
      order = order.slice(0, spec.max_series || 12);
      el.style.height = "320px";
      var xIsYear = xcol && xcol.kind === "year";
      return [{
        animation: false,
        color: PALETTE,
        tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(col, v); } },
        legend: { show: order.length > 1, top: 0, type: "scroll" },
        grid: { left: 8, right: 24, top: order.length > 1 ? 30 : 10, bottom: 24, containLabel: true },
        xAxis: { type: "value", min: "dataMin", max: "dataMax", interval: xIsYear ? yearInterval(rows.map(function (r) { return r[spec.x]; })) : undefined, axisLabel: { formatter: xIsYear ? function (v) { return String(v); } : axisFmt(xcol) } },
        yAxis: { type: "value", scale: true, axisLabel: { formatter: axisFmt(col) } },
        series: order.map(function (g) {
          return { name: g, type: "line", step: spec.step ? "end" : false, showSymbol: true, symbolSize: 5, connectNulls: false,
            data: groups[g].sort(function (a, b) { return a[0] - b[0]; }) };
        })
      }, [col]];
    },
    paths: function (spec, report, el) {
      var p = table(report, spec.table), t = table(report, spec.targets);
      var targets = t.rows.slice(0, spec.max || 6);
      var series = [];
      targets.forEach(function (tg, i) {
        var color = PALETTE[i % PALETTE.length];
        var rows = p.rows.filter(function (r) { return r.id === tg.id; });
        var name = tg.id + " (" + String(tg.status).replace("_", " ") + ")";
        series.push({ name: name, type: "line", color: color, symbolSize: 5, connectNulls: false,
          data: rows.map(function (r) { return [r.year, r.value]; }) });
        series.push({ name: name, type: "line", color: color, symbol: "none", lineStyle: { type: "dashed" },
          data: rows.filter(function (r) { return r.path !== null; }).map(function (r) { return [r.year, r.path]; }),
          markPoint: { symbol: "diamond", symbolSize: 14, label: { show: false },
            itemStyle: { color: STATUS[tg.status] || color, borderColor: color, borderWidth: 2 },
            data: [{ coord: [tg.target_year, tg.target], name: "target " + tg.target_year }] } });
      });
      el.style.height = "360px";
      var col = column(p, "value");
      return [{
        animation: false,
        tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(col, v); } },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 24, top: 34, bottom: 24, containLabel: true },
        xAxis: { type: "value", min: "dataMin", max: "dataMax", interval: yearInterval(p.rows.map(function (r) { return r.year; })),
          axisLabel: { formatter: function (v) { return String(v); } } },
        yAxis: { type: "value", scale: true },
        series: series
      }, [col]];
    },
    scatter: function (spec, report, el) {
      var t = table(report, spec.table);
      var xc = column(t, spec.x), yc = column(t, spec.y), sc = spec.size ? column(t, spec.size) : null;
      var rows = t.rows.filter(function (r) { return r[spec.x] !== null && r[spec.y] !== null; });
      var smax = sc ? Math.max.apply(null, rows.map(function (r) { return Math.abs(r[spec.size] || 0); }).concat([1e-300])) : 1;
      el.style.height = "380px";
      return [{
        animation: false,
        color: PALETTE,
        tooltip: { trigger: "item", formatter: function (p) {
          var r = rows[p.dataIndex];
          return label(r, spec.label) + "<br>" + xc.label + ": " + fmt(xc, r[spec.x]) + "<br>" + yc.label + ": " + fmt(yc, r[spec.y]) +
            (sc ? "<br>" + sc.label + ": " + fmt(sc, r[spec.size]) : "");
        } },
        grid: { left: 8, right: 24, top: 16, bottom: 30, containLabel: true },
        xAxis: { type: "value", scale: true, name: xc.label, nameLocation: "middle", nameGap: 24, axisLabel: { formatter: axisFmt(xc) } },
        yAxis: { type: "value", scale: true, name: yc.label, axisLabel: { formatter: axisFmt(yc) } },
        series: [{ type: "scatter", data: rows.map(function (r) { return [r[spec.x], r[spec.y]]; }),
          symbolSize: function (v, p) { return sc ? 6 + 24 * Math.sqrt(Math.abs(rows[p.dataIndex][spec.size] || 0) / smax) : 8; },
          itemStyle: { opacity: 0.75 } }]
      }, [xc, yc, sc]];
    },
    sankey: function (spec, report, el) {
      var t = table(report, spec.table);
      var col = column(t, spec.value);
      var rows = t.rows.slice().sort(function (a, b) { return b[spec.value] - a[spec.value]; }).slice(0, spec.top || 40);
      var nodes = {}, links = [];
      rows.forEach(function (r) {
        var s = "from " + label(r, spec.source), d = label(r, spec.target);
        nodes[s] = true; nodes[d] = true;
        links.push({ source: s, target: d, value: r[spec.value] });
      });
      el.style.height = Math.max(360, 14 * Object.keys(nodes).length) + "px";
      return [{
        animation: false,
        tooltip: { trigger: "item", valueFormatter: function (v) { return fmt(col, v); } },
        series: [{ type: "sankey", left: 8, right: 120, data: Object.keys(nodes).map(function (n) { return { name: n }; }),
          links: links, emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.4 },
          label: { fontSize: 11 } }]
      }, [col]];
    }
  };

  var charts = [];
  specs.forEach(function (group) {
    var report = reports[group.report];
    group.charts.forEach(function (spec, i) {
      var fig = document.getElementById("chart-" + group.report + "-" + i);
      if (!fig || !draw[spec.type] || !table(report, spec.table)) return;
      var el = fig.querySelector(".canvas");
      var made = draw[spec.type](spec, report, el);
      el.setAttribute("aria-label", spec.title);
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(made[0]);
      caption(fig, spec, report, made[1]);
      charts.push(chart);
    });
  });
  document.documentElement.setAttribute("data-charts-drawn", String(charts.length));
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
