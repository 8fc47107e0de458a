// Soi Đường: the organizer dashboard. Plain script, no framework, no build step. Every value
// from the API reaches the page through textContent or attributes set one by one, never as
// markup, so a unit or person named "<script>" stays text.
(function () {
  'use strict';

  const API = '/api/v1';
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const pct = new Intl.NumberFormat('vi-VN', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const num = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 });
  const STATES = {
    submitted: 'Đã nộp',
    submitted_late: 'Nộp muộn',
    late: 'Quá hạn, chưa nộp',
    pending: 'Chưa nộp',
  };
  const FIELDS = {
    full_name: 'họ tên',
    birth_date: 'ngày sinh',
    phone: 'số điện thoại',
    categories: 'đối tượng',
    admitted_on: 'ngày kết nạp',
    unit: 'đơn vị',
  };

  // The tokens live in sessionStorage: they are API bearer tokens (no cookie, so no CSRF), and
  // they are gone when the tab closes, so a shared office computer does not stay logged in.
  const store = {
    get access() { return sessionStorage.getItem('sd.access'); },
    get refresh() { return sessionStorage.getItem('sd.refresh'); },
    set(pair) {
      sessionStorage.setItem('sd.access', pair.access_token);
      sessionStorage.setItem('sd.refresh', pair.refresh_token);
    },
    clear() {
      sessionStorage.removeItem('sd.access');
      sessionStorage.removeItem('sd.refresh');
    },
  };

  // What the page shows: the units one may pick, the drill-down path (its first element is
  // the picked unit, never anything above it), the year.
  const state = { roots: [], path: [], year: null, preview: null };

  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || 'Máy chủ không trả lời được (mã ' + status + ').');
      this.status = status;
      this.code = e.code || '';
      this.details = e.details || null;
    }
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c !== null && c !== undefined) node.append(c);
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  function say(text, isError) {
    const s = $('status');
    s.textContent = text || '';
    s.classList.toggle('err', Boolean(isError));
  }

  async function refreshTokens() {
    const token = store.refresh;
    if (!token) return false;
    const res = await fetch(API + '/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (!res.ok) return false;
    store.set(await res.json());
    return true;
  }

  // One request with the bearer token. An expired access token is refreshed once, quietly;
  // any other 401 (or a failed refresh) ends the session and shows the login form.
  async function call(path, opts, retried) {
    const o = Object.assign({}, opts || {});
    o.headers = Object.assign({}, o.headers || {});
    if (store.access) o.headers.authorization = 'Bearer ' + store.access;
    let res;
    try {
      res = await fetch(API + path, o);
    } catch (e) {
      throw new ApiError(0, { error: { message: 'Không kết nối được máy chủ. Hãy kiểm tra mạng rồi thử lại.' } });
    }
    if (res.ok) return res;
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    const err = new ApiError(res.status, body);
    if (res.status === 401) {
      if (err.code === 'token_expired' && !retried && await refreshTokens()) return call(path, opts, true);
      store.clear();
      showLogin(err.message);
    }
    throw err;
  }

  async function json(path, opts) {
    return (await call(path, opts)).json();
  }

  function showLogin(message) {
    $('app').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    say(message || '', Boolean(message));
    $('login-name').focus();
  }

  async function login(ev) {
    ev.preventDefault();
    say('Đang đăng nhập…');
    try {
      const res = await fetch(API + '/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: $('login-name').value.trim(), password: $('login-pass').value }),
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new ApiError(res.status, body);
      store.set(body);
      $('login-pass').value = '';
      await start();
    } catch (e) {
      say(e.message, true);
    }
  }

  async function logout() {
    const token = store.refresh;
    try {
      if (token) {
        await call('/auth/logout', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: token }),
        });
      }
    } catch (e) { /* the session ends here either way */ }
    store.clear();
    showLogin('Đã đăng xuất.');
  }

  async function start() {
    say('Đang tải…');
    const [me, years] = await Promise.all([json('/me'), json('/indicator-years')]);
    let roots = me.roles.organizer_of || [];
    if (me.roles.admin && roots.length === 0) {
      roots = (await json('/units')).filter((u) => u.parent_id === null || u.parent_id === undefined);
    }
    $('login').hidden = true;
    $('logout').hidden = false;
    if (roots.length === 0) {
      say('Tài khoản này chưa phụ trách đơn vị nào. Hãy nhờ cấp trên phân công.', true);
      return;
    }
    state.roots = roots;
    fill($('unit'), roots.map((u) => [u.id, u.name]));
    const now = new Date().getFullYear();
    fill($('year'), years.map((y) => [y.year, String(y.year)]));
    const pick = years.find((y) => y.year === now) || years[years.length - 1];
    state.year = pick ? pick.year : now;
    $('year').value = String(state.year);
    state.path = [{ id: roots[0].id, name: roots[0].name }];
    $('app').hidden = false;
    await load();
  }

  function fill(select, options) {
    select.replaceChildren(...options.map(([v, t]) => el('option', { value: String(v), text: t })));
  }

  function current() {
    return state.path[state.path.length - 1];
  }

  function query(extra) {
    return '?unit_id=' + encodeURIComponent(current().id) + '&year=' + encodeURIComponent(state.year) + (extra || '');
  }

  async function load() {
    const unit = current();
    $('title').textContent = unit.name;
    $('indicators').dataset.unit = '';
    crumbs();
    $('roster-out').replaceChildren();
    $('roster-apply').hidden = true;
    state.preview = null;
    say('Đang tải số liệu của ' + unit.name + '…');
    try {
      const [report, subs] = await Promise.all([
        json('/stats/indicators' + query()),
        json('/indicator-reports' + query()),
      ]);
      if (current() !== unit) return;
      renderReport(report);
      renderSubmissions(subs);
      $('indicators').dataset.unit = report.unit_name;
      say('Đã tải số liệu năm ' + report.year + ' của ' + report.unit_name + '.');
    } catch (e) {
      if (e.status !== 401) say(e.message, true);
    }
  }

  function crumbs() {
    const items = state.path.map((u, i) => {
      if (i === state.path.length - 1) return el('li', {}, el('span', { 'aria-current': 'page', text: u.name }));
      const b = el('button', { type: 'button', class: 'link', text: u.name });
      b.addEventListener('click', () => { state.path = state.path.slice(0, i + 1); load(); });
      return el('li', {}, b);
    });
    $('crumbs').replaceChildren(...items);
    // One level is the heading itself: the trail appears once there is a way back up.
    $('crumbs').parentElement.hidden = state.path.length < 2;
  }

  function drill(child) {
    state.path.push({ id: child.unit_id, name: child.unit_name });
    load().then(() => $('title').focus());
  }

  function date(iso) {
    if (!iso) return '—';
    const [y, m, d] = iso.slice(0, 10).split('-');
    return d + '/' + m + '/' + y;
  }

  function value(ind, rate) {
    if (rate === null || rate === undefined) return '—';
    return ind.kind === 'count' ? num.format(rate) : pct.format(rate);
  }

  function target(ind, t) {
    return ind.kind === 'count' ? 'tối thiểu ' + num.format(t) + (ind.per ? '/' + ind.per : '') : pct.format(t);
  }

  // The rate (or the reported number), with "met/counted" under a rate.
  function figure(ind, g) {
    const cell = el('td', { class: 'n', text: value(ind, g.rate) });
    if (ind.kind !== 'count') cell.append(el('span', { class: 'sub', text: num.format(g.numerator) + '/' + num.format(g.denominator) }));
    return cell;
  }

  function badge(met) {
    if (met === true) return el('span', { class: 'badge met', text: '✓ Đạt' });
    if (met === false) return el('span', { class: 'badge miss', text: '✗ Chưa đạt' });
    return el('span', { class: 'badge none', text: 'Chưa có số liệu' });
  }

  function renderReport(r) {
    $('report-h').textContent = 'Các chỉ tiêu năm ' + r.year + ' (' + r.phase_title + ')';
    const p = r.period;
    let text = 'Tính các lượt hoàn thành từ ' + date(p.from) + ' đến ' + date(p.to) +
      ', đoàn viên tính đến ' + date(p.cutoff) + '; hạn nộp báo cáo năm ' + date(p.deadline) + '.';
    if (r.self_declared) text += ' Có ' + num.format(r.self_declared) + ' người tự khai đơn vị nhưng chưa có trong danh sách, chưa được tính.';
    $('period').textContent = text;
    $('indicators').replaceChildren(...r.indicators.map(indicator));
    for (const chart of document.querySelectorAll('#indicators svg.chart')) {
      for (const name of chart.querySelectorAll('text.name')) fit(name, Number(chart.dataset.room));
    }
  }

  function indicator(ind) {
    const id = 'ind-' + ind.code.replace(/[^0-9A-Za-z]/g, '-');
    const head = el('h3', { id: id + '-h', text: ind.code + '. ' + ind.title });
    const count = ind.kind === 'count';
    const cols = count ? ['Nhóm', 'Số liệu', 'Chỉ tiêu', 'Kết quả'] : ['Nhóm', 'Tỉ lệ (đạt/tổng)', 'Chỉ tiêu', 'Kết quả'];
    const rows = ind.groups.map((g) => el('tr', { 'data-group': g.key },
      el('th', { scope: 'row', text: g.title }),
      figure(ind, g),
      el('td', { class: 'n', text: target(ind, g.target) }),
      el('td', {}, badge(g.met))));
    const table = el('table', { class: 'groups', 'data-code': ind.code },
      el('thead', {}, el('tr', {}, ...cols.map((c, i) => el('th', { scope: 'col', class: i && i < cols.length - 1 ? 'n' : '', text: c })))),
      el('tbody', {}, ...rows));
    const card = el('section', { class: 'card indicator', 'aria-labelledby': id + '-h' }, head,
      el('p', { class: 'note', text: (ind.measured ? 'Đo trên nền tảng (hoàn thành khóa học).' : 'Theo báo cáo của các đơn vị.') +
        (ind.reports ? ' Đã có báo cáo của ' + ind.reports.submitted + '/' + ind.reports.expected + ' đơn vị.' : '') }),
      el('div', { class: 'scroll' }, table));
    if (ind.children && ind.children.length) {
      card.append(chart(ind, id), children(ind, id));
    }
    return card;
  }

  // One bar per child unit; the vertical line is the target. Met bars are solid, bars below
  // target are hatched and end in "✗", so the difference does not rest on colour alone. On a
  // narrow screen each name sits above its bar, so names need not be cut short.
  function chart(ind, id) {
    const kids = ind.children;
    const width = Math.max(260, Math.min(1100, $('indicators').clientWidth - 34));
    const stacked = width < 480;
    const nameW = stacked ? 0 : Math.min(240, Math.round(width * 0.4));
    const left = stacked ? 0 : nameW + 6;
    const valueW = 82;
    const barW = width - left - valueW - 6;
    const row = stacked ? 46 : 30;
    const top = stacked ? 20 : 6;
    const height = kids.length * row + 8;
    const max = ind.kind === 'count'
      ? Math.max(...kids.map((k) => k.rate || 0), ...kids.map((k) => k.target), 1) * 1.1
      : 1;
    const x = (v) => left + Math.max(0, Math.min(1, v / max)) * barW;
    const root = svg('svg', {
      class: 'chart', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height,
      role: 'img', 'aria-labelledby': id + '-ct', 'aria-describedby': id + '-tbl', 'data-room': stacked ? width : nameW,
    });
    const title = svg('title', { id: id + '-ct' });
    title.textContent = 'Biểu đồ chỉ tiêu ' + ind.code + ' theo đơn vị trực thuộc; số liệu ở bảng bên dưới.';
    const pattern = svg('pattern', { id: id + '-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
    pattern.append(svg('rect', { width: 6, height: 6, fill: '#f4b4ac' }), svg('rect', { width: 3, height: 6, fill: '#b42318' }));
    const defs = svg('defs');
    defs.append(pattern);
    root.append(title, defs);
    kids.forEach((k, i) => {
      const y = 4 + i * row;
      const link = svg('a', { href: '#don-vi-' + k.unit_id, class: 'unit-bar', 'data-unit': k.unit_id });
      const tip = svg('title');
      tip.textContent = k.unit_name + ': ' + value(ind, k.rate) + ', chỉ tiêu ' + target(ind, k.target) + '. Bấm để xem chi tiết.';
      const name = svg('text', { class: 'name', x: 0, y: stacked ? y + 13 : y + 19 });
      name.textContent = k.unit_name;
      link.append(tip, svg('rect', { class: 'hit', x: 0, y: y, width: width, height: row - 2 }), name,
        svg('rect', { class: 'track', x: left, y: y + top, width: barW, height: 16 }));
      if (k.rate !== null && k.rate !== undefined) {
        const miss = k.met === false;
        link.append(svg('rect', { class: miss ? 'b-miss' : 'b-met', fill: miss ? 'url(#' + id + '-hatch)' : '#1a7f37', x: left, y: y + top, width: Math.max(2, x(k.rate) - left), height: 16 }));
      }
      const tx = x(k.target);
      link.append(svg('line', { class: 'target', x1: tx, x2: tx, y1: y + top - 4, y2: y + top + 20 }));
      const label = svg('text', { x: left + barW + 6, y: y + top + 13 });
      label.textContent = value(ind, k.rate) + (k.met === true ? ' ✓' : k.met === false ? ' ✗' : '');
      link.append(label);
      link.addEventListener('click', (ev) => { ev.preventDefault(); drill(k); });
      root.append(link);
    });
    const legend = el('p', { class: 'legend', text: 'Thanh đặc, ✓: đạt chỉ tiêu; thanh gạch chéo, ✗: chưa đạt; vạch đứng: mức chỉ tiêu. Bấm vào một đơn vị để xem chi tiết.' });
    return el('div', {}, root, legend);
  }

  // Shortens a name that does not fit its column; the full name stays in the bar's tooltip
  // and in the table below.
  function fit(text, room) {
    if (!text.isConnected || typeof text.getComputedTextLength !== 'function') return;
    let s = text.textContent;
    while (s.length > 4 && text.getComputedTextLength() > room - 4) {
      s = s.slice(0, -1);
      text.textContent = s.trimEnd() + '…';
    }
  }

  function children(ind, id) {
    const count = ind.kind === 'count';
    const rows = ind.children.map((k) => {
      const b = el('button', { type: 'button', class: 'link', text: k.unit_name });
      b.addEventListener('click', () => drill(k));
      return el('tr', {},
        el('th', { scope: 'row' }, b),
        figure(ind, k),
        el('td', { class: 'n', text: target(ind, k.target) }),
        el('td', {}, badge(k.met)));
    });
    const cols = count ? ['Đơn vị', 'Số liệu', 'Chỉ tiêu', 'Kết quả'] : ['Đơn vị', 'Tỉ lệ (đạt/tổng)', 'Chỉ tiêu', 'Kết quả'];
    return el('details', {},
      el('summary', { text: 'Bảng số liệu các đơn vị trực thuộc (' + ind.children.length + ')' }),
      el('div', { class: 'scroll' }, el('table', { id: id + '-tbl', class: 'children' },
        el('thead', {}, el('tr', {}, ...cols.map((c, i) => el('th', { scope: 'col', class: i && i < cols.length - 1 ? 'n' : '', text: c })))),
        el('tbody', {}, ...rows))));
  }

  function renderSubmissions(s) {
    const missing = s.units.filter((u) => u.state === 'late' || u.state === 'pending').length;
    $('subs-summary').textContent = 'Hạn nộp ' + date(s.deadline) + '. Đã nộp: ' + s.submitted +
      '; quá hạn chưa nộp: ' + s.late + '; chưa nộp (còn hạn): ' + s.pending + '. ' +
      (missing ? missing + ' đơn vị chưa nộp.' : 'Mọi đơn vị đã nộp.');
    $('subs-table').tBodies[0].replaceChildren(...s.units.map((u) => {
      const miss = u.state === 'late' || u.state === 'pending';
      return el('tr', { class: miss ? 'missing' : '' },
        el('th', { scope: 'row', class: 'd' + Math.min(3, u.depth), text: u.unit_name }),
        el('td', {}, el('span', { class: 'badge ' + (miss ? 'miss' : 'met'), text: (miss ? '✗ ' : '✓ ') + (STATES[u.state] || u.state) })),
        el('td', { text: u.submitted_at ? date(u.submitted_at) : '—' }));
    }));
  }

  async function roster(dryRun) {
    const file = $('roster-file').files[0];
    const out = $('roster-out');
    if (!file) {
      say('Hãy chọn tệp danh sách.', true);
      return;
    }
    const form = new FormData();
    form.append('file', file, file.name);
    say(dryRun ? 'Đang đọc tệp…' : 'Đang cập nhật danh sách…');
    $('roster-apply').hidden = true;
    try {
      const unit = current();
      const sum = await json('/units/' + encodeURIComponent(unit.id) + '/roster?dry_run=' + dryRun, { method: 'POST', body: form });
      out.replaceChildren(...summary(sum));
      if (dryRun) {
        state.preview = unit;
        $('roster-apply').hidden = false;
        say('Đã xem trước: chưa có thay đổi nào được ghi.');
      } else {
        const keep = out.cloneNode(true);
        await load();
        out.replaceChildren(...keep.childNodes);
        say('Đã cập nhật danh sách đoàn viên của ' + unit.name + '.');
      }
    } catch (e) {
      if (e.status === 401) return;
      say(e.message, true);
      const errors = (e.details && e.details.errors) || [];
      out.replaceChildren(el('h3', { class: 'err', text: 'Tệp có lỗi, chưa có thay đổi nào được ghi' }),
        el('ul', { class: 'plain' }, ...errors.map((x) => el('li', {
          text: (x.line ? 'Dòng ' + x.line + (x.column ? ', cột ' + x.column : '') + ': ' : '') + x.message +
            (x.more ? ' (và ' + x.more + ' lỗi khác)' : ''),
        }))));
    }
  }

  function summary(s) {
    const head = el('h3', { text: (s.dry_run ? 'Xem trước: ' : 'Đã cập nhật: ') + s.file });
    const counts = el('p', { class: 'counts', text: 'Tệp có ' + s.rows + ' người: thêm mới ' + s.added.length +
      ', cập nhật ' + s.updated.length + ', giữ nguyên ' + s.unchanged + ', đánh dấu đã rời ' + s.left.length +
      '; ' + s.matched_accounts + ' người khớp với tài khoản đã đăng ký.' });
    const list = (title, items, text) => items.length
      ? el('details', {}, el('summary', { text: title + ' (' + items.length + ')' }),
        el('ul', { class: 'plain' }, ...items.map((p) => el('li', { text: text(p) }))))
      : null;
    return [head, counts,
      list('Thêm mới', s.added, (p) => 'Dòng ' + p.line + ': ' + p.full_name),
      list('Cập nhật', s.updated, (p) => 'Dòng ' + p.line + ': ' + p.full_name + ' (' + p.fields.map((f) => FIELDS[f] || f).join(', ') + ')'),
      list('Đánh dấu đã rời đơn vị', s.left, (p) => p.full_name),
    ].filter(Boolean);
  }

  // The file name the server chose (RFC 6266: filename* in UTF-8 first), else a plain one.
  function fileName(res, fmt) {
    const cd = res.headers.get('content-disposition') || '';
    const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
    if (star) {
      try { return decodeURIComponent(star[1].trim()); } catch (e) { /* fall through */ }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
    return plain ? plain[1] : 'bao-cao-chi-tieu.' + fmt;
  }

  async function download(fmt) {
    say('Đang tạo tệp…');
    try {
      const res = await call('/stats/indicators' + query('&format=' + encodeURIComponent(fmt)));
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: fileName(res, fmt) });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say('Đã tải tệp ' + a.download + '.');
    } catch (e) {
      if (e.status !== 401) say(e.message, true);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('pick').addEventListener('submit', (ev) => ev.preventDefault());
    $('unit').addEventListener('change', () => {
      const u = state.roots.find((r) => String(r.id) === $('unit').value);
      if (u) { state.path = [{ id: u.id, name: u.name }]; load(); }
    });
    $('year').addEventListener('change', () => { state.year = Number($('year').value); load(); });
    $('roster-form').addEventListener('submit', (ev) => { ev.preventDefault(); roster(true); });
    $('roster-apply').addEventListener('click', () => roster(false));
    $('roster-file').addEventListener('change', () => { $('roster-apply').hidden = true; $('roster-out').replaceChildren(); });
    for (const b of document.querySelectorAll('[data-format]')) {
      b.addEventListener('click', () => download(b.dataset.format));
    }
    $('title').setAttribute('tabindex', '-1');
    if (store.access) {
      start().catch((e) => { if (e.status !== 401) showLogin(e.message); });
    } else {
      showLogin();
    }
  });
}());
