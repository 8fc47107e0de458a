// The participant pages, made live: the paper (answers saved as they are tapped, kept in the
// browser while the connection is gone and sent when it returns, a countdown on the server's
// clock, the submit at the deadline) and the round's board (refreshed without reloading).
// Without this script both pages still work as plain forms and links.
'use strict';
(function () {
  var paper = document.getElementById('bai-lam');
  if (paper) live(paper);
  var board = document.getElementById('bang');
  if (board) refresh(board);

  function live(form) {
    var id = form.dataset.attempt;
    var token = form.elements._csrf.value;
    var deadline = Date.parse(form.dataset.deadline);
    // The server's clock minus this phone's: the countdown never trusts the phone's time.
    var offset = Date.parse(form.dataset.now) - Date.now();
    var store = 'soiduong-bai-lam-' + id;
    var status = document.getElementById('trang-thai');
    var clock = document.getElementById('dong-ho');
    var questions = Array.prototype.slice.call(form.querySelectorAll('fieldset[data-q]'));
    var pending = load();
    var sending = false;
    var submitting = false;
    var ended = false;
    var warned = {};

    function load() {
      try {
        var v = JSON.parse(localStorage.getItem(store) || '{}');
        return v && typeof v === 'object' ? v : {};
      } catch (e) {
        return {};
      }
    }

    function keep() {
      try {
        if (Object.keys(pending).length) localStorage.setItem(store, JSON.stringify(pending));
        else localStorage.removeItem(store);
      } catch (e) { /* private mode: the queue lives in this page only */ }
    }

    function inputs(q) {
      return Array.prototype.slice.call(form.querySelectorAll('input[name="c' + q + '"]'));
    }

    function chosen(q) {
      return inputs(q).filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }

    function same(a, b) {
      return a && b && a.length === b.length && a.every(function (x, i) { return x === b[i]; });
    }

    function say(text, bad) {
      status.textContent = text;
      status.classList.toggle('err', !!bad);
    }

    function at(t) {
      return new Date(t).toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    }

    function waiting() {
      return Object.keys(pending).length;
    }

    function counts() {
      var done = questions.filter(function (f) { return chosen(f.dataset.q).length > 0; }).length;
      Array.prototype.forEach.call(form.querySelectorAll('.done-count'), function (el) {
        el.textContent = String(done);
      });
      Array.prototype.forEach.call(form.querySelectorAll('.grid button[data-q]'), function (b) {
        b.classList.toggle('answered', chosen(b.dataset.q).length > 0);
      });
    }

    function offline() {
      say('Mất kết nối. ' + waiting() + ' câu trả lời đang được giữ trên máy này và sẽ tự gửi khi có mạng lại.', true);
    }

    // Answers kept from an earlier visit (the connection dropped, the page was closed).
    Object.keys(pending).forEach(function (q) {
      inputs(q).forEach(function (i) { i.checked = pending[q].indexOf(i.value) >= 0; });
    });
    counts();

    function send() {
      if (sending || ended || !waiting()) return;
      sending = true;
      var batch = {};
      Object.keys(pending).forEach(function (q) { batch[q] = pending[q].slice(); });
      var answers = Object.keys(batch).map(function (q) {
        return { question_id: Number(q), option_ids: batch[q] };
      });
      fetch('/lam-bai/' + id + '/luu', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: JSON.stringify({ answers: answers })
      }).then(function (res) {
        sending = false;
        if (res.ok) {
          return res.json().then(function (r) {
            offset = Date.parse(r.server_now) - Date.now();
            deadline = Date.parse(r.deadline);
            Object.keys(batch).forEach(function (q) {
              if (same(pending[q], batch[q])) delete pending[q];
            });
            keep();
            if (waiting()) send();
            else say('Đã lưu lúc ' + at(Date.now() + offset) + '.');
          });
        }
        if (res.status === 409) {
          ended = true;
          say('Bài làm đã kết thúc. Đang mở kết quả…', true);
          location.href = '/lam-bai/' + id;
        } else if (res.status === 401 || res.status === 403) {
          say('Phiên đăng nhập đã hết. Câu trả lời vẫn được giữ trên máy này; hãy đăng nhập lại ở một thẻ khác rồi quay lại trang này.', true);
        } else {
          say('Chưa lưu được (mã lỗi ' + res.status + '). Sẽ tự thử lại.', true);
        }
      }).catch(function () {
        sending = false;
        offline();
      });
    }

    form.addEventListener('change', function (e) {
      var f = e.target.closest('fieldset[data-q]');
      if (!f || ended) return;
      pending[f.dataset.q] = chosen(f.dataset.q);
      keep();
      counts();
      if (navigator.onLine === false) offline();
      send();
    });
    window.addEventListener('online', function () {
      say('Đã có mạng lại. Đang gửi các câu trả lời…');
      send();
    });
    window.addEventListener('offline', function () {
      if (waiting()) offline();
      else say('Mất kết nối. Câu trả lời bạn chọn sẽ được giữ trên máy này và tự gửi khi có mạng lại.', true);
    });
    setInterval(send, 5000);

    // One question per screen: move between questions here, without the network.
    function show(k) {
      if (k < 0 || k >= questions.length) return;
      questions.forEach(function (f, i) { f.hidden = i !== k; });
      form.elements.cau.value = String(k + 1);
      var prev = form.querySelector('button[value="truoc"]');
      var next = form.querySelector('button[value="sau"]');
      if (prev) prev.disabled = k === 0;
      if (next) next.disabled = k + 1 >= questions.length;
      Array.prototype.forEach.call(form.querySelectorAll('.grid button'), function (b) {
        if (b.value === 'cau-' + (k + 1)) b.setAttribute('aria-current', 'step');
        else b.removeAttribute('aria-current');
      });
      history.replaceState(null, '', '?xem=tung-cau&cau=' + (k + 1));
      questions[k].focus();
    }

    function current() {
      return Number(form.elements.cau.value || '1') - 1;
    }

    form.addEventListener('submit', function (e) {
      var by = e.submitter;
      if (!by) return; // an old browser: the plain form saves and moves on the server
      var go = by.value;
      if (go === 'nop') {
        e.preventDefault();
        submit(false);
      } else if (go === 'luu') {
        e.preventDefault();
        send();
        if (!waiting()) say('Mọi câu trả lời đã được lưu.');
      } else if (form.elements.xem.value === 'tung-cau') {
        e.preventDefault();
        if (go === 'truoc') show(current() - 1);
        else if (go === 'sau') show(current() + 1);
        else if (go.indexOf('cau-') === 0) show(Number(go.slice(4)) - 1);
      }
    });

    // The submit carries every answer the form holds (taps made offline included) and the
    // page's key, so a retry after a lost reply returns the first result.
    function submit(auto) {
      if (submitting) return;
      submitting = true;
      ended = true;
      say(auto ? 'Hết giờ: đang nộp bài…' : 'Đang nộp bài…');
      var body = new URLSearchParams(new FormData(form));
      body.set('di', 'nop');
      var inFlight = false;
      function go() {
        if (inFlight) return;
        inFlight = true;
        fetch(form.action, { method: 'POST', credentials: 'same-origin', body: body })
          .then(function (res) {
            inFlight = false;
            if (res.ok) {
              pending = {};
              keep();
              location.href = res.redirected ? res.url : '/lam-bai/' + id;
              return;
            }
            submitting = false;
            ended = false;
            say('Chưa nộp được (mã lỗi ' + res.status + '). Hãy bấm “Nộp bài” lần nữa.', true);
          })
          .catch(function () {
            inFlight = false;
            say('Mất kết nối: bài làm được giữ trên máy này và sẽ tự nộp khi có mạng lại.', true);
            setTimeout(go, 3000);
          });
      }
      window.addEventListener('online', go);
      go();
    }

    function tick() {
      var left = deadline - (Date.now() + offset);
      if (left <= 0) {
        clock.textContent = 'Hết giờ';
        submit(true);
        return;
      }
      var s = Math.ceil(left / 1000);
      var h = Math.floor(s / 3600);
      var m = Math.floor((s % 3600) / 60);
      var sec = s % 60;
      clock.textContent = 'Còn lại ' + (h ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' + String(sec).padStart(2, '0');
      clock.classList.toggle('err', s <= 60);
      [300, 60].forEach(function (mark) {
        if (s <= mark && !warned[mark]) {
          warned[mark] = true;
          if (!status.textContent || !status.classList.contains('err')) say('Còn ' + mark / 60 + ' phút.');
        }
      });
      setTimeout(tick, (left % 1000) + 5);
    }
    tick();
  }

  // The board: the section is fetched again every few seconds while the page is shown and
  // swapped in whole (the server renders and escapes it).
  function refresh(section) {
    var every = Number(section.dataset.refresh || '20') * 1000;
    setInterval(function () {
      if (document.hidden) return;
      fetch(section.dataset.src, { credentials: 'same-origin' })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (text) {
          if (!text) return;
          var fresh = new DOMParser().parseFromString(text, 'text/html').getElementById('bang');
          if (!fresh) return;
          section.replaceChildren.apply(section, Array.prototype.map.call(fresh.childNodes, function (n) {
            return document.importNode(n, true);
          }));
        })
        .catch(function () { /* offline: the next refresh tries again */ });
    }, every);
  }
})();
