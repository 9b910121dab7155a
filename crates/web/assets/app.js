// yaolian page behaviour: small, dependency-free, loaded on every page (CSP: no inline JS).
(function () {
  'use strict';
  // Buttons with data-confirm ask first.
  document.addEventListener('click', function (e) {
    var el = e.target.closest('[data-confirm]');
    if (el && !window.confirm(el.getAttribute('data-confirm'))) { e.preventDefault(); }
    // Print buttons (data-print) on printable pages.
    if (e.target.closest('[data-print]')) { window.print(); }
  });
  // Organization pickers (input[data-org-pick] with a datalist): as the user types, the list
  // offers the organizations whose name or code contains it (at most 20, of the picker's kind).
  var pickTimer = null;
  document.addEventListener('input', function (e) {
    var el = e.target;
    if (!el.matches || !el.matches('input[data-org-pick]')) { return; }
    var list = document.getElementById(el.getAttribute('list'));
    var q = el.value.trim();
    if (!list || [].some.call(list.options, function (o) { return o.value === q; })) { return; }
    clearTimeout(pickTimer);
    pickTimer = setTimeout(function () {
      var kind = el.getAttribute('data-org-pick');
      var url = '/api/v1/orgs?limit=20&q=' + encodeURIComponent(q) + (kind ? '&kind=' + encodeURIComponent(kind) : '');
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (orgs) {
          if (!Array.isArray(orgs) || el.value.trim() !== q) { return; }
          list.replaceChildren.apply(list, orgs.map(function (o) {
            var option = document.createElement('option');
            option.value = o.name + ' ' + o.code;
            return option;
          }));
        })
        .catch(function () { /* the typed text still resolves on the server */ });
    }, 200);
  });
  // Upload forms (data-max-bytes: what their files may take of the body the route accepts):
  // the chosen files are added up before sending, and a form over it says so above itself and
  // is not sent, so nothing typed is lost (the server would refuse the body whole, before
  // reading the form). Sizes in MiB, as the forms state their limits.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var max = Number(form.getAttribute && form.getAttribute('data-max-bytes'));
    if (!max) { return; }
    var total = 0;
    form.querySelectorAll('input[type=file]').forEach(function (input) {
      [].forEach.call(input.files || [], function (f) { total += f.size; });
    });
    if (total <= max) { return; }
    e.preventDefault();
    var mb = function (n) { return (Math.floor(n / 104857.6) / 10).toFixed(1) + ' MiB'; };
    var alert = form.querySelector('.upload-too-large');
    if (!alert) {
      alert = document.createElement('p');
      alert.className = 'alert error upload-too-large';
      alert.setAttribute('role', 'alert');
      form.insertBefore(alert, form.firstChild);
    }
    alert.textContent = form.getAttribute('data-too-large').replace('{size}', mb(total)).replace('{max}', mb(max));
    alert.scrollIntoView({ block: 'center' });
  });
  // Charts: <div class="chart" data-chart='{"x":[...],"y":[...],"name":"..."}'>
  function drawCharts(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll('.chart[data-chart]').forEach(function (el) {
      var d;
      try { d = JSON.parse(el.getAttribute('data-chart')); } catch (err) { return; }
      var chart = window.echarts.init(el);
      var category = { type: 'category', data: d.x };
      // A line chart (readings against limits) has decimals and, per series, its own axis.
      var value = { type: 'value', minInterval: 1 };
      if (d.line) {
        // Each axis spans its series' values and limits, so every limit line shows.
        value = [0, 1].map(function (axis) {
          var all = [];
          (d.series || []).forEach(function (s) {
            if ((s.axis || 0) === axis) { all = all.concat(s.data, s.limits || []); }
          });
          if (!all.length) { return { type: 'value', scale: true }; }
          var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all), pad = (hi - lo) * 0.1 || 1;
          return { type: 'value', min: Math.floor(lo - pad), max: Math.ceil(hi + pad) };
        });
      }
      chart.setOption({
        animation: false,
        grid: d.horizontal ? { left: 8, right: 24, top: 8, bottom: 24, containLabel: true }
                           : { left: 40, right: d.line ? 64 : 16, top: 24, bottom: 32 },
        tooltip: { trigger: 'axis' },
        xAxis: d.horizontal ? value : category,
        yAxis: d.horizontal ? category : value,
        // A horizontal bar carries its value (a single bar has no axis to read it from).
        series: (d.series || [{ name: d.name, data: d.y }]).map(function (s) {
          if (d.line) {
            var lim = s.limits || [];
            // A point outside its limits is drawn large and red.
            var data = s.data.map(function (v) {
              return (lim.length === 2 && (v < lim[0] || v > lim[1]))
                ? { value: v, symbolSize: 10, itemStyle: { color: '#b42318' } } : v;
            });
            return { name: s.name, type: 'line', data: data, yAxisIndex: s.axis || 0,
                     markLine: lim.length ? { symbol: 'none', silent: true, lineStyle: { type: 'dashed' },
                                              label: { formatter: '{c}' },
                                              data: lim.map(function (v) { return { yAxis: v }; }) } : undefined };
          }
          // `"grouped": true` for series that overlap (approved ones among all), not parts of a whole.
          return { name: s.name, type: 'bar', stack: d.grouped ? undefined : 'all', data: s.data, barMaxWidth: 36,
                   label: d.horizontal ? { show: true, position: 'right' } : undefined };
        }),
        legend: d.series ? { top: 0, type: 'scroll' } : undefined,
        // `"colors"` for series that are kinds, not outcomes (the default reads ok / failed).
        color: d.colors || ['#0b6e4f', '#b42318', '#b54708', '#2e90fa']
      });
    });
  }
  // One resize handler for every chart on the page, those a live refresh drew included.
  function resizeCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll('[_echarts_instance_]').forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  }
  // A live part (监管大屏): <div data-live="/url" data-every="30"> refetches its HTML every so
  // many seconds while the page is visible, disposes the charts it held and draws the new ones.
  function liveParts() {
    document.querySelectorAll('[data-live]').forEach(function (root) {
      var every = Math.max(5, parseInt(root.getAttribute('data-every'), 10) || 30) * 1000;
      window.setInterval(function () {
        if (document.hidden) { return; }
        fetch(root.getAttribute('data-live'), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (html === null) { return; }
            if (window.echarts) {
              root.querySelectorAll('.chart').forEach(function (el) {
                var chart = window.echarts.getInstanceByDom(el);
                if (chart) { chart.dispose(); }
              });
            }
            root.innerHTML = html;
            drawCharts(root);
          })
          .catch(function () {});
      }, every);
    });
  }
  // Control charts (生产黑匣子): <div id="control-charts" data-charts='[…]' data-labels='{…}'>, one
  // section per parameter (values against their limits with the breaching samples in red, the
  // ranges, the EWMA and the CUSUM); refreshed from the API every 10 s while the page is open.
  function chinaTime(ms) { return new Date(ms + 8 * 3600 * 1000).toISOString().slice(11, 19); }
  function lineChart(el, x, series, limits) {
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 56, top: 28, bottom: 28 },
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll' },
      xAxis: { type: 'category', data: x },
      yAxis: { type: 'value', scale: true },
      series: series.map(function (s, i) {
        return { name: s.name, type: 'line', data: s.data, showSymbol: x.length <= 60, connectNulls: false,
                 markLine: i === 0 && limits.length ? { symbol: 'none', silent: true,
                   lineStyle: { type: 'dashed', color: '#b54708' }, label: { formatter: '{b} {c}', position: 'end' },
                   data: limits.map(function (l) { return { name: l[0], yAxis: +l[1].toFixed(4) }; }) } : undefined };
      }),
      color: ['#0b6e4f', '#2e90fa', '#b54708', '#7a5af8']
    }, true);
  }
  function drawControls(root, charts) {
    var L = {};
    try { L = JSON.parse(root.getAttribute('data-labels') || '{}'); } catch (err) { return; }
    charts.forEach(function (c) {
      var sec = document.getElementById('parameter-' + c.parameter_id);
      if (!sec) { return; }
      var x = c.ts.map(chinaTime);
      var red = {};
      (c.breaches || []).forEach(function (b) { red[b[1]] = true; });
      var values = c.values.map(function (v, i) {
        return red[i] ? { value: v, symbol: 'circle', symbolSize: 9, itemStyle: { color: '#b42318' } } : v;
      });
      lineChart(sec.querySelector('.control-main'), x, [{ name: c.subgroup > 1 ? L.mean : L.value, data: values }],
                [[L.ucl, c.ucl], [L.center, c.center], [L.lcl, c.lcl]]);
      lineChart(sec.querySelector('.control-spread'), x, [{ name: c.subgroup > 1 ? L.range : L.mr, data: c.spreads }],
                [[L.ucl, c.spread_ucl], [L.center, c.spread_center]]);
      lineChart(sec.querySelector('.control-ewma'), x,
                [{ name: L.ewma, data: c.ewma }, { name: L.ucl, data: c.ewma_upper }, { name: L.lcl, data: c.ewma_lower }],
                [[L.center, c.center]]);
      lineChart(sec.querySelector('.control-cusum'), x,
                [{ name: L.high, data: c.cusum_high }, { name: L.low, data: c.cusum_low }], [[L.h, c.cusum_h]]);
      var count = sec.querySelector('.cap-count');
      if (count) { count.textContent = c.samples + ' / ' + c.points; }
    });
  }
  function controlCharts() {
    var root = document.getElementById('control-charts');
    if (!root || !window.echarts) { return; }
    var charts;
    try { charts = JSON.parse(root.getAttribute('data-charts') || '[]'); } catch (err) { return; }
    drawControls(root, charts);
    var state = document.getElementById('live-state');
    var url = '/api/v1/signals/blackbox/lines/' + root.getAttribute('data-line') + '/charts?batch=' +
              encodeURIComponent(root.getAttribute('data-batch') || '');
    window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (!d) { return; }
          drawControls(root, d.charts);
          if (state) { state.textContent = state.getAttribute('data-live-label') + ' ' + chinaTime(Date.now()); }
        })
        .catch(function () {});
    }, 10000);
  }
  function onLoad() {
    drawCharts();
    controlCharts();
    liveParts();
    window.addEventListener('resize', resizeCharts);
  }
  // After every deferred script (a page may load ECharts after this file).
  if (document.readyState === 'complete') { onLoad(); } else { window.addEventListener('load', onLoad); }
})();
