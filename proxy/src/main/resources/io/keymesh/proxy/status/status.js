// keymesh status page: polls /status.json every second and redraws in place (no reload).
'use strict';
(function () {
  const EVERY_MS = 1000;
  const WINDOW_MS = 5 * 60 * 1000;
  const COLORS = ['#2f6fde', '#d0452f', '#2e9d57', '#9b4dca', '#d08a12', '#1a9ba8'];
  const history = new Map();     // link name -> [[wall ms, lag ms], ...] over the last WINDOW_MS
  let previous = null;           // the last status, for rates
  let updates = 0;

  const $ = (id) => document.getElementById(id);
  const svgNs = 'http://www.w3.org/2000/svg';

  function el(tag, attrs, text) {
    const e = tag.startsWith('svg:') ? document.createElementNS(svgNs, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function cell(row, text, cls) {
    row.appendChild(el('td', cls ? { class: cls } : {}, String(text)));
  }

  /** "up" while streaming, "syncing" during a handshake or snapshot, else "down". */
  function linkClass(state) {
    if (state === 'streaming') return 'up';
    if (state === 'snapshot' || state === 'handshake') return 'syncing';
    return 'down';
  }

  function badge(row, cls) {
    const td = el('td', { class: 'link-state', 'data-state': cls });
    td.appendChild(el('span', { class: 'badge ' + cls }, cls));
    row.appendChild(td);
  }

  function rate(now, before, field, seconds) {
    if (!before || seconds <= 0) return 0;
    return Math.max(0, (now[field] - before[field]) / seconds);
  }

  function snapshotText(s) {
    if (!s || !s.running) return '';
    const total = s.keys_total < 0 ? '?' : s.keys_total;
    const eta = s.eta_sec < 0 ? '?' : s.eta_sec + ' s';
    return s.keys_done + '/' + total + ' keys, ' + s.keys_per_sec + ' keys/s, eta ' + eta;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  function renderLinks(status, seconds) {
    const before = new Map(((previous && previous.links) || []).map((l) => [l.peer, l]));
    const rows = status.links.map((l) => {
      const tr = el('tr', { 'data-peer': l.peer });
      const b = before.get(l.peer);
      cell(tr, l.peer);
      cell(tr, l.peer_id || '-');
      badge(tr, linkClass(l.state));
      cell(tr, l.state + (l.waiting ? ' (' + l.waiting + ')' : ''));
      cell(tr, l.lag_ms, 'num');
      cell(tr, l.lag_entries, 'num');
      cell(tr, rate(l, b, 'entries_received', seconds).toFixed(1), 'num');
      cell(tr, (rate(l, b, 'bytes_received', seconds) / 1024).toFixed(1), 'num');
      cell(tr, l.served_state);
      cell(tr, l.unacked_entries, 'num');
      cell(tr, snapshotText(l.snapshot));
      cell(tr, l.last_error, 'error');
      return tr;
    });
    fill($('links').tBodies[0], rows);
    $('links-empty').hidden = status.links.length > 0 || status.node.role === 'replica';
    $('links-section').hidden = status.node.role === 'replica';
  }

  function renderReplicas(status, seconds) {
    const before = new Map(((previous && previous.replicas) || []).map((r) => [r.address + r.id, r]));
    const rows = status.replicas.map((r) => {
      const tr = el('tr', { 'data-replica': r.address });
      cell(tr, r.address);
      cell(tr, r.id);
      cell(tr, r.state);
      cell(tr, r.acked_seq, 'num');
      cell(tr, r.unacked_entries, 'num');
      cell(tr, (rate(r, before.get(r.address + r.id), 'bytes_sent', seconds) / 1024).toFixed(1), 'num');
      cell(tr, r.last_ack_ms_ago < 0 ? '-' : (r.last_ack_ms_ago / 1000).toFixed(1) + ' s ago');
      return tr;
    });
    fill($('replicas').tBodies[0], rows);
    $('replicas-empty').hidden = status.replicas.length > 0;
    $('replicas-section').hidden = status.node.role === 'replica';
  }

  function renderUpstream(status) {
    const u = status.upstream;
    $('upstream-section').hidden = !u;
    if (!u) return;
    $('upstream-summary').textContent = 'following ' + (u.current || 'none') + (u.current_id ? ' (' + u.current_id + ')' : '')
      + ', link ' + (u.up ? 'up' : 'down') + ', lag ' + u.lag_ms + ' ms / ' + u.lag_entries + ' entries, '
      + u.failovers + ' failovers' + (u.snapshot.running ? ', snapshot ' + snapshotText(u.snapshot) : '')
      + (u.last_error ? ', last error: ' + u.last_error : '');
    fill($('upstreams').tBodies[0], u.health.map((h) => {
      const tr = el('tr', { 'data-upstream': h.address });
      cell(tr, h.address);
      badge(tr, h.health === 'up' ? 'up' : h.health === 'unchecked' || h.health === 'going_up' ? 'syncing' : 'down');
      tr.lastChild.firstChild.textContent = h.health;
      cell(tr, h.followed ? 'yes' : '');
      cell(tr, h.last_check);
      return tr;
    }));
  }

  /** This node in the middle, each peer (or upstream) around it, a line per link coloured by its state. */
  function renderMesh(status) {
    const svg = $('mesh');
    const others = status.upstream
      ? status.upstream.health.map((h) => ({ name: h.address, cls: h.followed ? (status.upstream.up ? 'up' : 'down') : (h.health === 'up' ? 'idle' : 'down') }))
      : status.links.map((l) => ({ name: l.peer_id ? l.peer_id + ' ' + l.peer : l.peer, cls: linkClass(l.state) }))
        .concat(status.replicas.map((r) => ({ name: 'replica ' + r.id, cls: r.state === 'streaming' ? 'up' : 'syncing' })));
    const color = { up: '#2e9d57', down: '#c8382f', syncing: '#d08a12', idle: '#9aa3b5' };
    const nodes = [];
    const cx = 210, cy = 100;
    others.forEach((o, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, others.length) - Math.PI / 2;
      const x = cx + 150 * Math.cos(a), y = cy + 70 * Math.sin(a);
      nodes.push(el('svg:line', { x1: cx, y1: cy, x2: x, y2: y, stroke: color[o.cls], 'stroke-width': 3,
        'stroke-dasharray': o.cls === 'down' ? '6 4' : '' }));
      nodes.push(el('svg:circle', { cx: x, cy: y, r: 7, fill: color[o.cls] }));
      nodes.push(el('svg:text', { x: x, y: y - 11, 'text-anchor': 'middle', 'font-size': 11 }, o.name));
    });
    nodes.push(el('svg:circle', { cx: cx, cy: cy, r: 10, fill: '#1d2330' }));
    nodes.push(el('svg:text', { x: cx, y: cy + 24, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 600 },
      status.node.id + ' (this node)'));
    svg.replaceChildren(...nodes);
  }

  function record(status) {
    const now = status.node.now_ms;
    const lags = status.upstream ? [['upstream ' + (status.upstream.current || '-'), status.upstream.lag_ms]]
      : status.links.map((l) => ['from ' + l.peer, l.lag_ms]);
    for (const [name, lag] of lags) {
      if (!history.has(name)) history.set(name, []);
      history.get(name).push([now, lag]);
    }
    for (const [name, points] of history) {
      while (points.length && points[0][0] < now - WINDOW_MS) points.shift();
      if (!points.length) history.delete(name);
    }
  }

  function renderChart(now) {
    const svg = $('chart');
    const w = 720, h = 200, left = 48, bottom = 20, top = 10;
    let max = 100;
    let oldest = now;
    for (const points of history.values()) {
      for (const p of points) max = Math.max(max, p[1]);
      if (points.length) oldest = Math.min(oldest, points[0][0]);
    }
    // the span shown grows with the samples kept, from one minute up to WINDOW_MS
    const span = Math.min(WINDOW_MS, Math.max(60 * 1000, now - oldest));
    const x = (t) => left + ((t - (now - span)) / span) * (w - left - 8);
    const y = (v) => h - bottom - (v / max) * (h - bottom - top);
    const parts = [
      el('svg:line', { x1: left, y1: h - bottom, x2: w - 8, y2: h - bottom, stroke: '#9aa3b5' }),
      el('svg:line', { x1: left, y1: top, x2: left, y2: h - bottom, stroke: '#9aa3b5' }),
      el('svg:text', { x: left - 4, y: top + 8, 'text-anchor': 'end', 'font-size': 10 }, String(Math.round(max))),
      el('svg:text', { x: left - 4, y: h - bottom, 'text-anchor': 'end', 'font-size': 10 }, '0'),
      el('svg:text', { x: left, y: h - 4, 'font-size': 10 }, '-' + Math.round(span / 1000) + ' s'),
      el('svg:text', { x: w - 8, y: h - 4, 'text-anchor': 'end', 'font-size': 10 }, 'now'),
    ];
    const legend = [];
    let i = 0;
    for (const [name, points] of history) {
      const c = COLORS[i++ % COLORS.length];
      parts.push(el('svg:polyline', { fill: 'none', stroke: c, 'stroke-width': 2,
        points: points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ') }));
      const item = el('span', {});
      item.appendChild(el('i', { style: 'background:' + c }));
      item.appendChild(document.createTextNode(name));
      legend.push(item);
    }
    svg.replaceChildren(...parts);
    $('legend').replaceChildren(...legend);
  }

  function render(status) {
    const seconds = previous ? (status.node.now_ms - previous.node.now_ms) / 1000 : 0;
    $('node-id').textContent = status.node.id;
    $('node-role').textContent = status.node.role;
    $('node-address').textContent = status.node.address + ' · backend ' + (status.node.backend_up ? 'up' : 'down')
      + ' · ' + status.node.clients + ' clients';
    renderLinks(status, seconds);
    renderReplicas(status, seconds);
    renderUpstream(status);
    renderMesh(status);
    record(status);
    renderChart(status.node.now_ms);
    previous = status;
    updates++;
    document.body.dataset.updates = String(updates);
    $('updated').className = 'muted';
    $('updated').textContent = 'updated ' + new Date(status.node.now_ms).toLocaleTimeString() + ' (' + updates + ' updates)';
  }

  async function poll() {
    try {
      const response = await fetch('status.json', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
    } catch (e) {
      $('updated').className = 'error';
      $('updated').textContent = 'cannot reach this node: ' + e.message + ' (retrying every second)';
    } finally {
      setTimeout(poll, EVERY_MS);
    }
  }

  poll();
})();
