/**
 * The dashboard page's script (inlined). It builds every element with `createElement` and
 * `textContent`: data from the server (breaker names, reasons) is never parsed as HTML.
 * Plain ES2020, no dependencies.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var path = location.pathname;
  var base = path.slice(0, path.lastIndexOf('/') + 1);
  var $ = function (id) { return document.getElementById(id); };
  var grid = $('breakers'), list = $('transitions'), statusEl = $('status'), filterEl = $('filter');
  var summaryEl = $('summary'), emptyEl = $('empty'), messageEl = $('message'), tokenEl = $('token');
  var showEl = $('show'), sortEl = $('sort'), pagerEl = $('pager'), prevEl = $('prev'), nextEl = $('next');
  var restEl = $('rest'), instancesEl = $('instances');
  var cards = new Map();
  var latest = null;
  var MAX_TRANSITIONS = 50;
  // The page asks the server for one page of breakers; filter, show and sort are applied there.
  var query = { filter: '', show: 'all', sort: 'severity', page: 0, limit: 24 };
  var CLASSES = ['open', 'half-open', 'isolated', 'failing', 'slow', 'healthy'];
  var policyBox = $('policies'), policyRows = $('policy-rows');
  // Counts that mean a dependency did not answer live: shown in the warning colour when not 0.
  var WARN = { stale: 1, miss: 1, timeouts: 1, rejected: 1, fallbacks: 1, refused: 1, 'replay-failed': 1, 'dead-lettered': 1 };
  // Count keys that are nouns (the rest are adjectives and do not change with the number).
  var NOUNS = { timeouts: ['timeout', 'timeouts'], retries: ['retry', 'retries'], fallbacks: ['fallback', 'fallbacks'], miss: ['miss', 'misses'] };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, cls) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    if (cls) e.setAttribute('class', cls);
    return e;
  }
  function duration(ms) {
    if (ms === null || ms === undefined) return '\u221e';
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' m ' + (s % 60) + ' s';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' m';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  function latency(ms) {
    if (ms === null || ms === undefined) return '\u2013';
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }
  function num(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function plural(n, word) { return num(n) + ' ' + word + (n === 1 ? '' : 's'); }
  function percent(x) { return (x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0) + ' %'; }

  function stat(dl, label, hint) {
    var d = el('div');
    d.title = hint;
    d.appendChild(el('dt', '', label));
    var dd = el('dd', '', '\u2013');
    d.appendChild(dd);
    dl.appendChild(d);
    return dd;
  }

  function makeCard(name) {
    var root = el('article', 'card');
    root.setAttribute('data-name', name);
    var head = el('div', 'head');
    var title = el('h2', 'name', name);
    var badge = el('span', 'badge');
    head.appendChild(title); head.appendChild(badge);
    root.appendChild(head);
    var meta = el('div', 'meta');
    root.appendChild(meta);
    var spark = svg('svg', 'spark');
    spark.setAttribute('viewBox', '0 0 120 40');
    spark.setAttribute('preserveAspectRatio', 'none');
    var callsPath = svg('path', 'calls'), badPath = svg('path', 'bad');
    spark.appendChild(callsPath); spark.appendChild(badPath);
    root.appendChild(spark);
    var legend = el('div', 'legend');
    root.appendChild(legend);
    var dl = el('dl', 'stats');
    var c = {
      root: root, badge: badge, meta: meta, callsPath: callsPath, badPath: badPath, legend: legend,
      calls: stat(dl, 'calls', 'calls in the breaker\u2019s window'),
      failureRate: stat(dl, 'failure rate', 'failures / calls in the window'),
      slowRate: stat(dl, 'slow rate', 'slow calls / calls in the window'),
      inFlight: stat(dl, 'in flight', 'calls running now'),
      p50: stat(dl, 'p50', 'median latency, last minute'), p90: stat(dl, 'p90', '90th percentile, last minute'),
      p99: stat(dl, 'p99', '99th percentile, last minute'), count: stat(dl, 'samples', 'timed calls, last minute'), totals: el('div', 'totals'), actions: null, name: name
    };
    root.appendChild(dl);
    root.appendChild(c.totals);
    return c;
  }

  function addActions(c) {
    var box = el('div', 'actions');
    ['isolate', 'reset'].forEach(function (action) {
      var b = el('button', '', action === 'isolate' ? 'Isolate' : 'Reset');
      b.type = 'button';
      b.setAttribute('data-action', action);
      b.addEventListener('click', function () { control(c.name, action); });
      box.appendChild(b);
    });
    c.root.appendChild(box);
    c.actions = box;
  }

  function control(name, action) {
    var token = tokenEl ? tokenEl.value.trim() : '';
    if (!token) { messageEl.textContent = 'Enter the control token first.'; return; }
    fetch(base + 'api/breakers/' + encodeURIComponent(name) + '/' + action, {
      method: 'POST', headers: { Authorization: 'Bearer ' + token }
    }).then(function (res) {
      return res.json().then(function (body) {
        messageEl.textContent = res.ok ? (action + ': ' + name + ' is now ' + body.state)
          : (action + ' failed (' + res.status + '): ' + (body.error || ''));
      });
    }).catch(function (err) { messageEl.textContent = action + ' failed: ' + err; });
  }

  function sparkPaths(c, series, snap) {
    var calls = series.calls, bad = [];
    for (var i = 0; i < calls.length; i++) bad.push(series.failures[i] + series.rejected[i]);
    // The peak is the busiest second shown; the scale never goes below 1 (no division by 0).
    var peak = 0;
    for (var j = 0; j < calls.length; j++) if (calls[j] > peak) peak = calls[j];
    var max = Math.max(1, peak);
    var n = calls.length, w = 120 / Math.max(1, n - 1);
    var y = function (v) { return (38 - (v / max) * 36).toFixed(1); };
    var area = 'M0 40', line = '';
    for (var k = 0; k < n; k++) {
      var x = (k * w).toFixed(1);
      area += ' L' + x + ' ' + y(calls[k]);
      line += (k === 0 ? 'M' : ' L') + x + ' ' + y(bad[k]);
    }
    area += ' L120 40 Z';
    c.callsPath.setAttribute('d', area);
    c.badPath.setAttribute('d', line);
    var sum = function (a) { var t = 0; for (var q = 0; q < a.length; q++) t += a[q]; return t; };
    var total = sum(calls);
    // Calls before the dashboard started were never counted: say so rather than show zeros.
    var watched = snap.now - snap.since;
    var span = watched < n * 1000 ? 'since the dashboard started ' + duration(watched) + ' ago' : 'last ' + n + ' s';
    c.legend.textContent = span + ': ' + (total === 0 ? 'no calls' : plural(total, 'call') + ' (' +
      sum(series.failures) + ' failed, ' + sum(series.rejected) + ' rejected) \u00b7 peak ' + peak + '/s');
  }

  // Fleet view: the breaker on each live instance, effective state first, local state if it differs.
  function updateInstances(c, b) {
    if (!c.onInstances) {
      c.onInstances = el('ul', 'on-instances');
      c.root.insertBefore(c.onInstances, c.root.querySelector('.stats'));
      c.root.querySelector('.spark').style.display = 'none';
      c.legend.hidden = true;
      c.totals.hidden = true;
      [c.p50, c.p90, c.p99, c.count].forEach(function (dd) { dd.parentNode.hidden = true; });
    }
    var items = b.instances.map(function (i) {
      var li = el('li', 'on-instance');
      li.setAttribute('data-instance', i.instance);
      li.setAttribute('data-state', i.state);
      li.appendChild(el('span', 'label', i.label));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'to-' + i.state, i.state));
      var notes = [];
      if (i.localState !== i.state) notes.push('local: ' + i.localState);
      if (i.fleetState !== undefined && i.fleetState !== null) notes.push('fleet: ' + i.fleetState);
      if (i.healthy === false) notes.push('local-only');
      notes.push(i.calls + ' calls, ' + i.failures + ' failed');
      li.appendChild(el('span', 'notes', ' \u00b7 ' + notes.join(' \u00b7 ')));
      return li;
    });
    c.onInstances.replaceChildren.apply(c.onInstances, items);
  }

  // Fleet view: one chip per instance, live, degraded (some breakers local-only) or gone.
  function renderInstances(snap) {
    instancesEl.hidden = !snap.fleet;
    if (!snap.fleet) return;
    var items = [el('span', 'total', plural(snap.fleet.instances.filter(function (i) { return i.status !== 'gone'; }).length, 'instance'))];
    snap.fleet.instances.forEach(function (i) {
      var chip = el('span', 'instance ' + i.status);
      chip.setAttribute('data-instance', i.id);
      chip.setAttribute('data-status', i.status);
      chip.appendChild(el('b', '', i.label));
      var text = ' ' + i.status;
      if (i.status === 'gone') text += ' ' + duration(i.goneForMs) + ' ago';
      if (i.status === 'degraded') text += ' (' + i.degraded + ' of ' + i.members + ' local-only)';
      text += ' \u00b7 ' + plural(i.total, 'breaker');
      if (i.counts.trouble > 0) text += ', ' + i.counts.trouble + ' in trouble';
      if (i.omitted > 0) text += ' (' + i.omitted + ' not listed)';
      chip.appendChild(document.createTextNode(text));
      items.push(chip);
    });
    if (snap.fleet.error) items.push(el('span', 'instance error', 'reading the fleet failed: ' + snap.fleet.error));
    instancesEl.replaceChildren.apply(instancesEl, items);
  }

  function update(c, b, snap) {
    c.root.setAttribute('data-state', b.state);
    c.badge.textContent = b.state;
    var meta = b.state + ' for ' + duration(b.timeInStateMs) + ' \u00b7 generation ' + b.generation;
    if (b.state === 'open') meta += ' \u00b7 probes in ' + duration(b.retryAfterMs);
    // Fleet mode: the fleet may refuse calls while this process's own breaker is closed.
    if (b.localState !== undefined && b.localState !== b.state) meta += ' \u00b7 fleet-wide (local: ' + b.localState + ')';
    c.meta.textContent = meta;
    if (b.instances) {
      // The row's state is the most severe one; say on how many of the instances it holds.
      var inState = b.instances.filter(function (i) { return i.state === b.state; }).length;
      var where = inState === b.instances.length ? plural(inState, 'instance') : inState + ' of ' + plural(b.instances.length, 'instance');
      c.meta.textContent = b.state + ' on ' + where + ' \u00b7 generation ' + b.generation;
      updateInstances(c, b);
    }
    c.calls.textContent = String(b.window.calls);
    c.failureRate.textContent = percent(b.window.failureRate);
    c.slowRate.textContent = percent(b.window.slowCallRate);
    c.inFlight.textContent = String(b.inFlight);
    c.p50.textContent = latency(b.latency.p50);
    c.p90.textContent = latency(b.latency.p90);
    c.p99.textContent = latency(b.latency.p99);
    c.count.textContent = String(b.latency.count);
    var t = b.totals;
    c.totals.textContent = 'since created: ' + t.successes + ' ok \u00b7 ' + t.failures + ' failed \u00b7 ' +
      t.timeouts + ' timed out \u00b7 ' + t.rejected + ' rejected \u00b7 ' + t.fallbacks + ' fallbacks';
    if (!b.instances) sparkPaths(c, b.series, snap);
    if (snap.allowControl && !c.actions) addActions(c);
  }

  function render(snap) {
    latest = snap;
    var q = query.filter.toLowerCase();
    var live = new Set();
    snap.breakers.forEach(function (b, i) {
      live.add(b.name);
      var c = cards.get(b.name);
      if (!c) { c = makeCard(b.name); cards.set(b.name, c); }
      update(c, b, snap);
      if (grid.children[i] !== c.root) grid.insertBefore(c.root, grid.children[i] || null);
    });
    cards.forEach(function (c, name) { if (!live.has(name)) { c.root.remove(); cards.delete(name); } });
    renderSummary(snap);
    renderInstances(snap);
    renderPager(snap);
    emptyEl.hidden = snap.total > 0;
    if (tokenEl) tokenEl.hidden = !snap.allowControl;
    renderTransitions(snap);
    renderPolicies(snap, q);
  }

  // Every breaker as counts per class; a class is a button that shows only that class. Rebuilt only
  // when a count changed, and clicks are taken on the container: a click is never lost to a frame
  // that replaces the button under the pointer.
  var summaryShown = '';
  function renderSummary(snap) {
    var counts = snap.counts;
    var key = snap.total + '|' + CLASSES.map(function (k) { return counts[k]; }).join('|');
    if (key === summaryShown) return;
    summaryShown = key;
    var items = [el('span', 'total', plural(snap.total, 'breaker'))];
    CLASSES.forEach(function (k) {
      items.push(document.createTextNode(' \u00b7 '));
      var b = el('button', 'count c-' + k + (counts[k] > 0 && k !== 'healthy' ? ' hot' : ''), num(counts[k]) + ' ' + k);
      b.type = 'button';
      b.setAttribute('data-show', k);
      items.push(b);
    });
    summaryEl.replaceChildren.apply(summaryEl, items);
  }
  summaryEl.addEventListener('click', function (ev) {
    var b = ev.target && ev.target.closest ? ev.target.closest('button[data-show]') : null;
    if (!b) return;
    var k = b.getAttribute('data-show');
    setQuery({ show: query.show === k ? 'all' : k, page: 0 });
  });

  function renderPager(snap) {
    var from = snap.page * snap.limit, to = from + snap.breakers.length;
    var narrowed = snap.query.filter !== '' || snap.query.show !== 'all';
    pagerEl.textContent = snap.matched === 0 ? 'No breaker matches.'
      : 'Showing ' + num(from + 1) + '\u2013' + num(to) + ' of ' + num(snap.matched) +
        (narrowed ? ' matching' : '') + ' \u00b7 page ' + num(snap.page + 1) + ' of ' + num(snap.pages);
    prevEl.disabled = snap.page === 0;
    nextEl.disabled = snap.page >= snap.pages - 1;
    var rest = [];
    if (narrowed && snap.total > snap.matched) rest.push(plural(snap.total - snap.matched, 'other breaker') + ' not shown');
    if (snap.matched > to) rest.push(num(snap.matched - to) + ' more on later pages');
    if (!narrowed && snap.counts.healthy > 0) rest.push(num(snap.counts.healthy) + ' healthy in all');
    restEl.textContent = rest.join(' \u00b7 ');
  }

  function countText(key, n) {
    var noun = NOUNS[key];
    return n + ' ' + (noun ? noun[n === 1 ? 0 : 1] : key);
  }

  // One row per policy other than a breaker: what it reported since the dashboard started.
  function renderPolicies(snap, q) {
    var policies = snap.policies || [];
    policyBox.hidden = policies.length === 0;
    var rows = [];
    policies.forEach(function (p) {
      var tr = el('tr', 'policy');
      tr.setAttribute('data-name', p.name);
      tr.setAttribute('data-kind', p.kind);
      tr.hidden = !!q && p.name.toLowerCase().indexOf(q) < 0;
      tr.appendChild(el('td', 'name', p.name));
      tr.appendChild(el('td', 'kind', p.kind));
      var td = el('td', 'counts');
      Object.keys(p.counts).forEach(function (key, i) {
        var n = p.counts[key];
        if (i > 0) td.appendChild(document.createTextNode(' \u00b7 '));
        var span = el('span', 'count' + (WARN[key] && n > 0 ? ' warn' : ''), countText(key, n));
        span.setAttribute('data-key', key);
        td.appendChild(span);
      });
      tr.appendChild(td);
      rows.push(tr);
    });
    policyRows.replaceChildren.apply(policyRows, rows);
  }

  function entry(snap, at, breaker, from, to, why) {
    var li = el('li', 'transition');
    li.appendChild(el('span', 'when', duration(snap.now - at) + ' ago'));
    li.appendChild(el('span', 'who', breaker));
    li.appendChild(document.createTextNode(' '));
    if (from !== null) {
      li.appendChild(el('span', 'to-' + from, from));
      li.appendChild(document.createTextNode(' '));
    }
    li.appendChild(document.createTextNode('\u2192 '));
    li.appendChild(el('span', 'to-' + to, to));
    li.appendChild(el('div', 'why', why));
    return li;
  }

  // Newest first: the latest transitions (at most MAX_TRANSITIONS), how many older ones are not
  // shown, then breakers whose current state began without a transition the dashboard saw.
  function renderTransitions(snap) {
    var items = [];
    var shown = snap.transitions.slice(0, MAX_TRANSITIONS);
    shown.forEach(function (t) {
      items.push(entry(snap, t.at, t.breaker, t.from, t.to, t.reason + ' \u00b7 generation ' + t.generation));
    });
    if (shown.length === 0) {
      items.push(el('li', 'note', 'No transitions since this dashboard started (' + duration(snap.now - snap.since) + ' ago).'));
    }
    var older = Math.max(snap.transitionCount, snap.transitions.length) - shown.length;
    if (older > 0) items.push(el('li', 'note', plural(older, 'older transition') + ' not shown.'));
    snap.priorStates.forEach(function (p) {
      var why = p.at <= snap.since ? 'entered before this dashboard started' : 'entered without a transition seen here';
      items.push(entry(snap, p.at, p.breaker, null, p.state, why + ' \u00b7 generation ' + p.generation));
    });
    var morePrior = (snap.priorStateCount || 0) - snap.priorStates.length;
    if (morePrior > 0) items.push(el('li', 'note', plural(morePrior, 'more breaker') + ' in a state entered before (not shown).'));
    list.replaceChildren.apply(list, items);
  }

  // A new query reconnects the stream; its first frame answers the query.
  function setQuery(change) {
    Object.keys(change).forEach(function (k) { query[k] = change[k]; });
    showEl.value = query.show;
    sortEl.value = query.sort;
    if (source) source.close();
    connect();
  }
  var typing = null;
  filterEl.addEventListener('input', function () {
    if (typing) clearTimeout(typing);
    typing = setTimeout(function () { setQuery({ filter: filterEl.value.trim(), page: 0 }); }, 250);
  });
  showEl.addEventListener('change', function () { setQuery({ show: showEl.value, page: 0 }); });
  sortEl.addEventListener('change', function () { setQuery({ sort: sortEl.value, page: 0 }); });
  prevEl.addEventListener('click', function () { if (latest) setQuery({ page: Math.max(0, latest.page - 1) }); });
  nextEl.addEventListener('click', function () { if (latest) setQuery({ page: latest.page + 1 }); });

  function setStatus(s) { statusEl.textContent = s; statusEl.className = s; }
  var source = null;
  function connect() {
    var qs = 'filter=' + encodeURIComponent(query.filter) + '&show=' + query.show + '&sort=' + query.sort +
      '&page=' + query.page + '&limit=' + query.limit;
    var own = new EventSource(base + 'events?' + qs);
    source = own;
    own.addEventListener('snapshot', function (ev) {
      if (source !== own) return;
      setStatus('live');
      render(JSON.parse(ev.data));
    });
    own.addEventListener('error', function () {
      if (source !== own) return;
      if (own.readyState === 2) {
        setStatus('closed');
        setTimeout(function () { if (source === own) connect(); }, 3000);
      } else {
        setStatus('reconnecting');
      }
    });
  }
  connect();
})();
`;
