/* Berth dashboard: a single page over berthd's /api/v1 routes (docs/dashboard.md).
 *
 * The secret is asked once and kept in sessionStorage (this tab only); every call sends
 * `Authorization: Harbor-Secret <secret>`, and a 401 signs out. Nothing is shown before a
 * call with the secret succeeded. Pages are built with DOM calls and textContent only
 * (no HTML parsing of strings), so no server text can become markup; the page's Content-Security-Policy
 * forbids inline script and style anyway. Each page refreshes itself every 2 s while shown. */
'use strict';

(function () {
  const KEY = 'berth.secret';
  const REFRESH_MS = 2000;
  const FINAL = ['Success', 'Error', 'Stopped'];
  const state = { secret: sessionStorage.getItem(KEY) || '', timer: null, gen: 0, follow: null };

  const $ = (id) => document.getElementById(id);

  /* el('td', {class: 'num'}, 'text', child, ...): an element; null/undefined children skipped. */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids) {
      if (kid === undefined || kid === null || kid === false) continue;
      e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* ---- formatting ---------------------------------------------------------------------- */

  function pad(n) { return String(n).padStart(2, '0'); }
  function fmtTime(t) {
    if (!t) return '–';
    const d = new Date(t * 1000);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z';
  }
  function fmtDur(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + pad(s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h' + pad(Math.floor(s % 3600 / 60)) + 'm';
    return Math.floor(s / 86400) + 'd' + Math.floor(s % 86400 / 3600) + 'h';
  }
  function now() { return Date.now() / 1000; }
  function ago(t) { return t ? fmtDur(now() - t) + ' ago' : '–'; }
  function until(t) { return t ? 'in ' + fmtDur(t - now()) : '–'; }
  function tm(t) { return el('span', { class: 'time' }, fmtTime(t)); }
  function badge(text, cls) { return el('span', { class: 'badge ' + (cls || text) }, text); }
  function jobLink(id) { return el('a', { href: '#/jobs/' + encodeURIComponent(id), class: 'mono' }, id); }

  /* A table; on a phone each row becomes a card of labelled cells, unless compact (few
   * narrow columns that fit as they are). */
  function table(head, rows, numeric, compact) {
    const nums = new Set(numeric || []);
    return el('div', { class: 'scroll' }, el('table', { class: compact ? 'compact' : 'list' },
      el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { class: nums.has(i) ? 'num' : null }, h)))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c, i) =>
        el('td', { class: nums.has(i) ? 'num' : null, 'data-label': head[i] }, c)))))));
  }
  /* Label/value pairs as a grid of fields ([label, value, wide]); empty values left out. */
  function kv(pairs) {
    return el('dl', { class: 'kv' }, ...pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== '')
      .map(([k, v, wide]) => el('div', { class: wide ? 'field wide' : 'field' }, el('dt', {}, k), el('dd', {}, v))));
  }
  function statBox(label, value, cls) {
    return el('div', { class: 'stat ' + (cls || '') }, el('div', { class: 'label' }, label),
      el('div', { class: 'value' }, String(value)));
  }

  /* ---- API ------------------------------------------------------------------------------ */

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function request(method, path, body, signal) {
    const opt = { method, cache: 'no-store', signal,
      headers: { 'Authorization': 'Harbor-Secret ' + state.secret } };
    if (body !== undefined) {
      opt.body = JSON.stringify(body);
      opt.headers['Content-Type'] = 'application/json';
    }
    let r;
    try {
      r = await fetch(path, opt);
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'cannot reach berthd: ' + e.message);
    }
    if (r.ok) return r;
    const text = await r.text();
    let msg = text.trim() || 'HTTP ' + r.status;
    try {
      const j = JSON.parse(text);
      msg = j.message + (j.details ? ': ' + j.details : '');
    } catch (e) { /* not Harbor's error JSON */ }
    throw new ApiError(r.status, msg + ' (HTTP ' + r.status + ')');
  }
  async function api(method, path, body) {
    const r = await request(method, path, body);
    const text = await r.text();
    return text ? JSON.parse(text) : null;
  }
  const get = (path) => api('GET', path);

  /* ---- shell: sign in, routing, refresh ------------------------------------------------ */

  function show(signedIn) {
    $('login').hidden = signedIn;
    $('app').hidden = !signedIn;
    $('nav').hidden = !signedIn;
    $('logout').hidden = !signedIn;
    $('footer').hidden = !signedIn;
  }

  function signOut(message) {
    stopFollow();
    clearTimeout(state.timer);
    state.gen++;
    state.secret = '';
    sessionStorage.removeItem(KEY);
    $('page').replaceChildren();
    show(false);
    $('login-error').textContent = message || '';
    $('login-error').hidden = !message;
    $('secret').value = '';
    $('secret').focus();
  }

  async function signIn(ev) {
    ev.preventDefault();
    const secret = $('secret').value.trim();
    if (!secret) return;
    state.secret = secret;
    $('login-button').disabled = true;
    try {
      await get('/api/v1/queues');
      sessionStorage.setItem(KEY, secret);
      $('login-error').hidden = true;
      show(true);
      route();
    } catch (e) {
      state.secret = '';
      $('login-error').textContent = e.status === 401
        ? 'Wrong secret: berthd answered 401 unauthorized.'
        : 'Cannot sign in: ' + e.message;
      $('login-error').hidden = false;
    } finally {
      $('login-button').disabled = false;
    }
  }

  function banner(text) {
    $('banner').textContent = text || '';
    $('banner').hidden = !text;
  }
  let toastTimer = null;
  function toast(text) {
    $('toast').textContent = text;
    $('toast').hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { $('toast').hidden = true; }, 4000);
  }
  function failed(e) {
    if (e.name === 'AbortError') return;
    if (e.status === 401) signOut('The secret was refused (401 unauthorized). Sign in again.');
    else banner(e.message);
  }

  /* Runs an action (button click), then shows its result and refreshes the page. */
  async function act(button, fn) {
    button.disabled = true;
    try {
      const msg = await fn();
      if (msg) toast(msg);
      banner('');
      refresh();
    } catch (e) {
      failed(e);
    } finally {
      button.disabled = false;
    }
  }

  const pages = {};

  function parseHash() {
    const parts = location.hash.replace(/^#\/?/, '').split('/');
    return { name: pages[parts[0]] ? parts[0] : 'overview',
      arg: parts[1] ? decodeURIComponent(parts.slice(1).join('/')) : '' };
  }

  function route() {
    if (!state.secret) return signOut('');
    stopFollow();
    banner('');
    $('toast').hidden = true;
    const { name, arg } = parseHash();
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === name);
    state.page = { name, arg, view: null };
    $('page').replaceChildren();
    $('page').dataset.page = name;
    refresh();
  }

  /* Renders the current page again with fresh data; ignores results of an older page. */
  async function refresh() {
    clearTimeout(state.timer);
    const gen = ++state.gen;
    const p = state.page;
    try {
      const view = await pages[p.name](p.arg, p);
      if (gen !== state.gen) return;
      if (view && view.parentNode !== $('page')) $('page').replaceChildren(view);
      $('updated').textContent = 'Updated ' + fmtTime(Math.floor(now()));
    } catch (e) {
      if (gen === state.gen) failed(e);
    }
    if (gen === state.gen && state.secret) state.timer = setTimeout(refresh, REFRESH_MS);
  }

  /* ---- overview -------------------------------------------------------------------------- */

  /* Stacked bars per minute. x is in percent of the width (so the chart fills any screen and
   * its text keeps its size), y in pixels. */
  function chart(minutes) {
    const H = 180, B = 20, T = 10, L = 5;   /* L: percent kept for the y labels */
    const max = Math.max(1, ...minutes.map((m) => m.success + m.error + m.stopped));
    const bw = (100 - L) / minutes.length;
    const s = svg('svg', { class: 'chart', height: H, role: 'img', 'aria-label': 'jobs finished per minute' });
    const y = (v) => (H - B) - (H - B - T) * v / max;
    s.append(svg('line', { x1: L + '%', y1: H - B, x2: '100%', y2: H - B, class: 'axis' }));
    s.append(svg('text', { x: 0, y: T + 4 }, String(max)));
    s.append(svg('text', { x: 0, y: H - B }, '0'));
    const names = { ok: 'succeeded', bad: 'failed', stop: 'stopped' };
    minutes.forEach((m, i) => {
      const x = L + i * bw + bw * 0.12, w = bw * 0.76;
      let base = 0;
      for (const [v, cls] of [[m.success, 'ok'], [m.error, 'bad'], [m.stopped, 'stop']]) {
        if (v > 0) {
          const r = svg('rect', { x: x + '%', y: y(base + v), width: w + '%', height: y(base) - y(base + v), class: cls });
          r.append(svg('title', {}, `${fmtTime(m.at).slice(11, 16)}: ${v} ${names[cls]}`));
          s.append(r);
        }
        base += v;
      }
      if ((minutes.length - 1 - i) % 5 === 0) {
        s.append(svg('text', { x: (x + w / 2) + '%', y: H - 5, 'text-anchor': 'middle' }, fmtTime(m.at).slice(11, 16)));
      }
    });
    return s;
  }

  pages.overview = async function () {
    const [tp, queues, hooks, pools] = await Promise.all([get('/api/v1/throughput?minutes=15'),
      get('/api/v1/queues'), get('/api/v1/hooks'), get('/api/v1/pools')]);
    const sum = (k) => tp.reduce((a, m) => a + m[k], 0);
    const waiting = queues.reduce((a, q) => a + q.waiting, 0);
    const running = queues.reduce((a, q) => a + q.running, 0);
    const workers = pools.reduce((a, p) => a + p.workers.length, 0);
    return el('div', {},
      el('h1', {}, 'Overview'),
      el('div', { class: 'stats', id: 'overview-stats' },
        statBox('Succeeded (15 min)', sum('success'), 'ok'),
        statBox('Failed (15 min)', sum('error'), sum('error') ? 'bad' : ''),
        statBox('Stopped (15 min)', sum('stopped')),
        statBox('Waiting', waiting),
        statBox('Running', running),
        statBox('Nodes / workers', pools.length + ' / ' + workers)),
      el('div', { class: 'card' }, el('h2', {}, 'Jobs finished per minute'), chart(tp),
        el('div', { class: 'legend' },
          el('span', {}, el('span', { class: 'sw ok' }), 'succeeded'),
          el('span', {}, el('span', { class: 'sw bad' }), 'failed'),
          el('span', {}, el('span', { class: 'sw stop' }), 'stopped'),
          el('span', {}, 'UTC'))),
      el('div', { class: 'card' }, el('h2', {}, 'Queues'),
        queueTable(queues, false)),
      el('div', { class: 'card' }, el('h2', {}, el('a', { href: '#/hooks' }, 'Hook outbox')),
        el('div', { class: 'stats' },
          statBox('Pending', hooks.pending), statBox('Retrying', hooks.retrying, hooks.retrying ? 'bad' : ''),
          statBox('Parked', hooks.parked, hooks.parked ? 'bad' : ''), statBox('Dropped', hooks.dropped))));
  };

  /* ---- queues ---------------------------------------------------------------------------- */

  function queueAction(name, action) {
    return api('PUT', '/api/v1/queues/' + encodeURIComponent(name), { action });
  }

  function queueTable(queues, withActions) {
    if (!queues.length) return el('p', { class: 'empty' }, 'No queues yet: no node has registered a job type.');
    const head = ['Queue', 'Waiting', 'Running', 'Oldest', 'State'];
    if (withActions) head.push('Actions');
    const rows = queues.map((q) => {
      const r = [el('span', { class: 'mono' }, q.name), q.waiting,
        q.running + (q.max_concurrency ? ' / ' + q.max_concurrency : ''),
        q.oldest_age ? fmtDur(q.oldest_age) : '–',
        q.paused ? badge('paused') : badge('active')];
      if (withActions) {
        const toggle = el('button', { class: 'small ' + (q.paused ? '' : 'secondary'),
          'data-action': q.paused ? 'resume' : 'pause', 'data-queue': q.name }, q.paused ? 'Resume' : 'Pause');
        toggle.addEventListener('click', () => act(toggle, async () => {
          await queueAction(q.name, q.paused ? 'resume' : 'pause');
          return q.name + (q.paused ? ' resumed' : ' paused');
        }));
        const stop = el('button', { class: 'small danger', 'data-action': 'stop', 'data-queue': q.name,
          disabled: q.waiting === 0 }, 'Stop pending');
        stop.addEventListener('click', () => {
          if (!confirm(`Stop the ${q.waiting} job(s) waiting in ${q.name}?`)) return;
          act(stop, async () => {
            const res = await queueAction(q.name, 'stop');
            return `${res.stopped} pending job(s) of ${q.name} stopped`;
          });
        });
        r.push(el('div', { class: 'actions' }, toggle, stop));
      }
      return r;
    });
    return table(head, rows, [1, 2], !withActions);
  }

  pages.queues = async function () {
    const queues = await get('/api/v1/queues');
    const pauseAll = el('button', { class: 'secondary' }, 'Pause all');
    pauseAll.addEventListener('click', () => act(pauseAll, async () => {
      await queueAction('all', 'pause'); return 'All queues paused';
    }));
    const resumeAll = el('button', { class: 'secondary' }, 'Resume all');
    resumeAll.addEventListener('click', () => act(resumeAll, async () => {
      await queueAction('all', 'resume'); return 'All queues resumed';
    }));
    return el('div', {}, el('h1', {}, 'Queues'),
      el('div', { class: 'card' },
        el('p', { class: 'muted' }, 'A paused queue keeps its jobs and no node takes new ones; running jobs go on. ' +
          'Harbor core\'s job-service dashboard uses the same pause flag.'),
        queueTable(queues, true),
        el('div', { class: 'row' }, pauseAll, resumeAll)));
  };

  /* ---- jobs ------------------------------------------------------------------------------ */

  function stopFollow() {
    if (state.follow) state.follow.abort();
    state.follow = null;
  }

  /* The log panel: the whole log now, or followed (streamed) until the job ends. */
  function logPanel(id, job) {
    const pre = el('pre', { class: 'log', id: 'log' }, '');
    const status = el('span', { class: 'muted', id: 'log-status' });
    const follow = el('button', { class: 'secondary small', id: 'follow' }, 'Follow');
    const reload = el('button', { class: 'secondary small' }, 'Reload');
    const path = '/api/v1/jobs/' + encodeURIComponent(id) + '/log';
    async function load() {
      try {
        const r = await request('GET', path);
        pre.textContent = await r.text();
        status.textContent = '';
      } catch (e) {
        pre.textContent = '';
        status.textContent = e.status === 404 ? 'No log yet.' : e.message;
        if (e.status === 401) failed(e);
      }
    }
    async function startFollow() {
      stopFollow();
      const ctl = new AbortController();
      state.follow = ctl;
      follow.textContent = 'Stop following';
      status.textContent = 'Following…';
      pre.textContent = '';
      try {
        const r = await request('GET', path + '?follow=true', undefined, ctl.signal);
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          pre.append(dec.decode(value, { stream: true }));
          pre.scrollTop = pre.scrollHeight;
        }
        status.textContent = 'End of log: the job finished.';
      } catch (e) {
        status.textContent = e.name === 'AbortError' ? 'Stopped following.' : e.message;
        if (e.status === 401) failed(e);
      } finally {
        if (state.follow === ctl) state.follow = null;
        follow.textContent = 'Follow';
      }
    }
    follow.addEventListener('click', () => (state.follow ? stopFollow() : startFollow()));
    reload.addEventListener('click', () => { stopFollow(); load(); });
    if (FINAL.includes(job.status)) load(); else startFollow();
    return el('div', { class: 'card' }, el('div', { class: 'pool-head' }, el('h2', {}, 'Log'),
      el('div', { class: 'actions' }, status, follow, reload)), pre);
  }

  function jobFields(j) {
    let params = null;
    if (j.parameters) params = el('pre', { class: 'json' }, JSON.stringify(j.parameters, null, 2));
    return kv([
      ['Status', el('span', { id: 'job-status' }, badge(j.status))],
      ['Name', j.name], ['Kind', j.kind], ['Unique', j.unique ? 'yes' : 'no'],
      ['Enqueued', fmtTime(j.enqueue_time)], ['Updated', fmtTime(j.update_time) + ' (' + ago(j.update_time) + ')'],
      ['Run at', j.run_at ? fmtTime(j.run_at) : null],
      ['Last check-in', j.check_in_at ? fmtTime(j.check_in_at) : null],
      ['Cron', j.cron_spec], ['Policy', j.upstream_job_id ? el('a', { href: '#/policies/' + encodeURIComponent(j.upstream_job_id) }, j.upstream_job_id) : null],
      ['Revision', j.revision], ['Status hook', j.web_hook_url, true], ['Parameters', params, true]]);
  }

  /* The job's details; the log panel is put in p.logSlot once per job and kept. */
  async function jobView(id, p) {
    const path = '/api/v1/jobs/' + encodeURIComponent(id);
    const [res, checkins] = await Promise.all([get(path), get(path + '/checkins')]);
    const j = res.job;
    if (!p.logSlot.firstChild) p.logSlot.append(logPanel(id, j));
    const stop = el('button', { class: 'danger', id: 'job-stop', disabled: FINAL.includes(j.status) },
      j.kind === 'Periodic' ? 'Unschedule' : 'Stop');
    stop.addEventListener('click', () => {
      if (!confirm((j.kind === 'Periodic' ? 'Unschedule ' : 'Stop ') + id + '?')) return;
      act(stop, async () => { await api('POST', path, { action: 'stop' }); return 'Stop requested for ' + id; });
    });
    const ci = checkins.length
      ? table(['Time', 'Check-in'], checkins.map((c) => [tm(c.at), c.message]))
      : el('p', { class: 'empty' }, 'No check-ins.');
    return [el('div', { class: 'card' },
      el('div', { class: 'pool-head' }, el('h2', { class: 'mono', id: 'job-id' }, id), el('div', { class: 'actions' }, stop)),
      jobFields(j),
      j.kind === 'Periodic' ? el('p', {}, el('a', { href: '#/policies/' + encodeURIComponent(id) }, 'Executions of this policy')) : null,
      el('h3', {}, 'Check-ins'), ci)];
  }

  function lookupForm(value) {
    const input = el('input', { type: 'text', id: 'job-lookup', placeholder: 'job id (24 hex, or policy@time)',
      value: value || '', autocomplete: 'off', spellcheck: 'false' });
    const form = el('form', { class: 'row lookup' }, input, el('button', { type: 'submit' }, 'Look up'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const id = input.value.trim();
      if (id) location.hash = '#/jobs/' + encodeURIComponent(id);
    });
    return el('div', { class: 'card' }, el('h1', {}, 'Jobs'), form);
  }

  /* Stops a running job (as Harbor core's dashboard does: the job's own stop). */
  function stopButton(id) {
    const b = el('button', { class: 'small danger', 'data-stop': id }, 'Stop');
    b.addEventListener('click', () => {
      if (!confirm('Stop ' + id + '?')) return;
      act(b, async () => {
        await api('POST', '/api/v1/jobs/' + encodeURIComponent(id), { action: 'stop' });
        return 'Stop requested for ' + id;
      });
    });
    return b;
  }

  async function runningNow() {
    const pools = await get('/api/v1/pools');
    const rows = [];
    for (const pool of pools) {
      for (const w of pool.workers) {
        if (w.job_id) rows.push([jobLink(w.job_id), w.job_name, pool.host || pool.worker_pool_id, ago(w.started_at), stopButton(w.job_id)]);
      }
    }
    return [el('div', { class: 'card' }, el('h2', {}, 'Running now'),
      rows.length ? table(['Job', 'Type', 'Node', 'Started', ''], rows) : el('p', { class: 'empty' }, 'No job is running.'))];
  }

  /* The lookup form stays (what is typed in it survives refreshes); the rest is redrawn. */
  pages.jobs = async function (id, p) {
    if (!p.root) {
      p.content = el('div', {});
      p.logSlot = el('div', {});   /* the log panel, kept across refreshes (jobView) */
      p.root = el('div', {}, lookupForm(id), p.content, p.logSlot);
    }
    let parts;
    try {
      parts = id ? await jobView(id, p) : await runningNow();
    } catch (e) {
      if (!id || e.status !== 404) throw e;
      parts = [el('p', { class: 'error' }, 'No job ' + id + ' (it may have expired).')];
    }
    p.content.replaceChildren(...parts);
    return p.root;
  };

  /* ---- periodic policies ----------------------------------------------------------------- */

  pages.policies = async function (id) {
    if (id) {
      const ex = await get('/api/v1/jobs/' + encodeURIComponent(id) + '/executions?page_number=1&page_size=25');
      const rows = (ex || []).map((e) => [jobLink(e.job.id), badge(e.job.status), tm(e.job.run_at), tm(e.job.update_time)]);
      return el('div', {}, el('h1', {}, 'Executions'),
        el('div', { class: 'card' }, el('p', {}, 'Policy ', jobLink(id)),
          rows.length ? table(['Execution', 'Status', 'Run at', 'Updated'], rows)
            : el('p', { class: 'empty' }, 'No executions yet.')));
    }
    const list = await get('/api/v1/policies');
    const rows = list.map((p) => [
      el('a', { href: '#/policies/' + encodeURIComponent(p.id), class: 'mono' }, p.id), p.job_name,
      el('code', {}, p.cron_spec), el('span', {}, tm(p.next_fire_at), el('br'), el('span', { class: 'muted' }, until(p.next_fire_at))),
      tm(p.last_planned_at)]);
    return el('div', {}, el('h1', {}, 'Periodic policies'),
      el('div', { class: 'card' }, rows.length
        ? table(['Policy', 'Job', 'Cron (UTC)', 'Next fire', 'Last planned'], rows)
        : el('p', { class: 'empty' }, 'No periodic policies.')));
  };

  /* ---- pools and workers ----------------------------------------------------------------- */

  pages.pools = async function () {
    const pools = await get('/api/v1/pools');
    if (!pools.length) return el('div', {}, el('h1', {}, 'Pools'), el('p', { class: 'empty' }, 'No live worker pool.'));
    return el('div', {}, el('h1', {}, 'Pools and workers'), ...pools.map((p) => {
      const rows = p.workers.map((w) => [el('span', { class: 'mono' }, w.id),
        w.job_id ? jobLink(w.job_id) : el('span', { class: 'muted' }, 'idle'), w.job_name || '', w.job_id ? fmtDur(now() - w.started_at) : '']);
      return el('div', { class: 'card pool' },
        el('div', { class: 'pool-head' }, el('h2', { class: 'mono' }, p.worker_pool_id), badge(p.status)),
        kv([['Node', (p.host || '?') + ' (pid ' + p.pid + ')'], ['Started', fmtTime(p.started_at) + ' (' + ago(p.started_at) + ')'],
          ['Heartbeat', ago(p.heartbeat_at)], ['Concurrency', p.concurrency], ['Job types', p.job_names.join(', '), true]]),
        el('h3', {}, 'Workers'),
        table(['Worker', 'Job', 'Type', 'Running for'], rows));
    }));
  };

  /* ---- hooks ------------------------------------------------------------------------------ */

  pages.hooks = async function () {
    const [counts, parked] = await Promise.all([get('/api/v1/hooks'), get('/api/v1/hooks/parked?limit=100')]);
    const replay = el('button', { id: 'replay', disabled: counts.parked === 0 }, 'Replay parked events');
    replay.addEventListener('click', () => act(replay, async () => {
      const r = await api('POST', '/api/v1/hooks/replay');
      return 'Replayed ' + r.replayed + ' event(s)';
    }));
    const rows = parked.map((h) => [jobLink(h.job_id),
      el('span', {}, badge(h.status), h.check_in ? el('div', { class: 'muted' }, h.check_in) : null),
      el('span', { class: 'mono' }, h.url), h.reason, tm(h.parked_at)]);
    return el('div', {}, el('h1', {}, 'Status hooks'),
      el('div', { class: 'stats' }, statBox('Pending', counts.pending), statBox('Retrying', counts.retrying),
        statBox('Parked', counts.parked, counts.parked ? 'bad' : ''), statBox('Dropped', counts.dropped)),
      el('div', { class: 'card' }, el('div', { class: 'pool-head' }, el('h2', {}, 'Parked events'), replay),
        el('p', { class: 'muted' }, 'Events whose delivery kept failing until the retry period ran out. ' +
          'Replaying puts them back in the outbox in order.'),
        rows.length ? table(['Job', 'Status', 'Hook URL', 'Reason', 'Parked'], rows)
          : el('p', { class: 'empty' }, 'Nothing is parked.')));
  };

  /* ---- start ------------------------------------------------------------------------------ */

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', signIn);
    $('logout').addEventListener('click', () => signOut(''));
    window.addEventListener('hashchange', route);
    if (!state.secret) return signOut('');
    show(true);
    route();
  });
})();
