// Vista's operator console. Plain browser JavaScript, no build step, no network beyond this
// origin's /graphql: the projectionStatus subscription over Server-Sent Events (EventSource,
// reconnecting on its own and, after a close, with backoff), one query for operatorAllowed, and
// the operator mutations. Everything shown is put into the page as text nodes, never as HTML:
// event payloads and error messages are untrusted.

(() => {
  const GRAPHQL = '/graphql';
  const TOKEN_KEY = 'vista-operator-token';
  /** Samples kept per generation for the charts (one a second: ten minutes). */
  const HISTORY = 600;
  /** The charts show this many seconds. */
  const CHART_SECONDS = 300;

  const POSITIONS = 'positions { stream position lag lagSeconds start }';
  const SUMMARY = `name version generation status detail deadLetterCount deadLettersNotKept lastActionAt ${POSITIONS}
    live { lastAdvanceAt }
    rebuilding { generation version status detail lastAdvanceAt ${POSITIONS} }`;
  // The live stream is anonymous (EventSource sends no Authorization header): it carries what
  // anyone may read, each payload cut to its first kilobyte. What only an operator may read (a
  // letter's error text and whole payload, who took an action, a state change's whole reason)
  // is asked for with the token, one letter at a time or once per change of the page's history.
  const DETAIL = `${SUMMARY}
    deadLetters(first: 50) { id stream sequence subject type errorCode error attempts createdAt retryRequested payload payloadBytes payloadTruncated }
    actions(last: 20) { id action deadLetterId at via outcome detail }
    statusChanges(last: 20) { generation status detail at }
    generations(last: 10) { generation version role createdAt liveAt retiredAt }
    partitions { index status positions { position lag } }`;
  const OPERATOR_DETAIL = `{ projections { name
    actions(last: 20) { id address userAgent }
    statusChanges(last: 20) { at generation status detail }
    partitions { index owner } } }`;
  const WHOLE_LETTER =
    'query ($p: String!, $id: ID!) { deadLetter(projection: $p, id: $id) { error payload payloadBytes } }';

  /**
   * @type {{ projections: any[] | null, operator: boolean, notice: {text: string, error: boolean} | null,
   *   operatorDetail: {name: string, key: string, from: Map<string, string>, changes: any[],
   *     owners: Map<number, string | null>, at: number} | null,
   *   letters: Map<string, {error: string, payload: string, payloadBytes: number}> }}
   */
  const state = {
    projections: null,
    operator: false,
    notice: null,
    operatorDetail: null,
    letters: new Map(),
  };
  /** Per `name:gN`: [{ t, done, lag }] one a second, for events/s, lag trend and rebuild rate. */
  const samples = new Map();

  // ---------------------------------------------------------------- DOM, as text only

  /** An element with attributes and children; strings become text nodes, never markup. */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
      else element.setAttribute(key, value === true ? '' : String(value));
    }
    append(element, children);
    return element;
  }

  function append(element, children) {
    for (const child of children.flat(Number.POSITIVE_INFINITY)) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function sparkline(values, label) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 100 40');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    if (values.length > 1) {
      const max = Math.max(1, ...values);
      const line = document.createElementNS(SVG, 'polyline');
      const points = values.map(
        (v, i) => `${((i / (values.length - 1)) * 100).toFixed(2)},${(38 - (v / max) * 36).toFixed(2)}`,
      );
      line.setAttribute('points', points.join(' '));
      svg.append(line);
    }
    return svg;
  }

  const number = (n) => (n === null || n === undefined ? '?' : Number(n).toLocaleString('en-US'));
  const seconds = (s) => {
    if (s === null || s === undefined) return '?';
    if (s < 1) return `${s.toFixed(1)} s`;
    if (s < 120) return `${Math.round(s)} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  };
  const time = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
  const status = (s) =>
    h(
      'span',
      { class: `badge s-${String(s).toLowerCase()}`, 'data-testid': 'status' },
      String(s).toLowerCase().replace('_', ' '),
    );

  // ---------------------------------------------------------------- GraphQL

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  async function graphql(query, variables) {
    const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
    if (token()) headers.authorization = `Bearer ${token()}`;
    const response = await fetch(GRAPHQL, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
    if (body.errors?.length) {
      const error = new Error(body.errors.map((e) => e.message).join('; '));
      error.code = body.errors[0].extensions?.code;
      throw error;
    }
    return body.data;
  }

  async function checkOperator() {
    try {
      state.operator = token() ? (await graphql('{ operatorAllowed }')).operatorAllowed : false;
    } catch {
      state.operator = false;
    }
    const mode = document.getElementById('operator-mode');
    mode.textContent = state.operator ? 'operator' : token() ? 'token refused: read-only' : 'read-only';
    mode.className = state.operator ? 'mode operator' : 'mode';
    document.getElementById('token-forget').hidden = !token();
    state.operatorDetail = null;
    loadingDetail = '';
    if (!state.operator) state.letters.clear();
    loadOperatorDetail();
    render();
  }

  /** An operator's view of the page's history, asked for again only when the history changed. */
  const historyKey = (p) => `${p.name}|${p.lastActionAt}|${p.statusChanges.map((c) => c.at).join(',')}`;
  let loadingDetail = '';
  /**
   * Partitions change owners (a process joins, dies or gives one up) without a mark in the
   * anonymous stream: a split projection's operator detail is asked for again this often.
   */
  const OWNERS_REFRESH_MS = 5000;
  const ownersStale = (p) =>
    (p.partitions?.length ?? 0) > 1 && Date.now() - (state.operatorDetail?.at ?? 0) > OWNERS_REFRESH_MS;

  async function loadOperatorDetail() {
    const { name } = route();
    const p = name && state.operator ? (state.projections || []).find((x) => x.name === name) : null;
    if (!p) return;
    const key = historyKey(p);
    if ((state.operatorDetail?.key === key && !ownersStale(p)) || loadingDetail === key) return;
    loadingDetail = key;
    try {
      const mine = (await graphql(OPERATOR_DETAIL)).projections.find((x) => x.name === p.name);
      if (!mine || loadingDetail !== key) return;
      const from = new Map(
        mine.actions.map((a) => [a.id, [a.address, a.userAgent].filter(Boolean).join(' · ')]),
      );
      const owners = new Map(mine.partitions.map((x) => [x.index, x.owner]));
      state.operatorDetail = { name: p.name, key, from, changes: mine.statusChanges, owners, at: Date.now() };
      render();
    } catch {
      // The anonymous detail stays on the page; the next change asks again.
    } finally {
      if (loadingDetail === key) loadingDetail = '';
    }
  }

  /** One dead letter whole (error text and payload): an operator's request, one letter at a time. */
  async function loadLetter(p, d) {
    try {
      const { deadLetter } = await graphql(WHOLE_LETTER, { p: p.name, id: d.id });
      if (deadLetter) state.letters.set(`${p.name}#${d.id}`, deadLetter);
    } catch (error) {
      state.notice = { text: `Dead letter #${d.id}: ${error.message}`, error: true };
    }
    render();
  }

  let source = null;
  let sourceQuery = '';
  let retryMs = 1000;
  let retryTimer = null;

  /** (Re)opens the subscription for what the current page shows. The browser reconnects an
   *  interrupted stream itself; a closed one is reopened here with backoff. */
  function subscribe() {
    const query = `subscription Console { projectionStatus { ${route().name ? DETAIL : SUMMARY} } }`;
    if (source && query === sourceQuery && source.readyState !== EventSource.CLOSED) return;
    if (source) source.close();
    clearTimeout(retryTimer);
    sourceQuery = query;
    source = new EventSource(`${GRAPHQL}?query=${encodeURIComponent(query)}`);
    const connection = document.getElementById('connection');
    source.addEventListener('open', () => {
      retryMs = 1000;
      connection.textContent = 'live';
      connection.className = 'connection live';
    });
    source.addEventListener('next', (event) => {
      const payload = JSON.parse(event.data);
      if (payload.errors?.length) {
        state.notice = { text: payload.errors.map((e) => e.message).join('; '), error: true };
      } else if (payload.data) {
        state.projections = payload.data.projectionStatus;
        lastPushAt = Date.now();
        record(state.projections);
        loadOperatorDetail();
      }
      render();
    });
    const reopen = () => {
      connection.textContent = `reconnecting in ${Math.round(retryMs / 1000)} s…`;
      connection.className = 'connection down';
      source.close();
      retryTimer = setTimeout(() => {
        sourceQuery = '';
        subscribe();
      }, retryMs);
      retryMs = Math.min(30000, retryMs * 2);
    };
    source.addEventListener('complete', reopen);
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) reopen();
      else {
        connection.textContent = 'reconnecting…';
        connection.className = 'connection down';
      }
    });
  }

  // ---------------------------------------------------------------- samples and rates

  const sum = (positions, field) => positions.reduce((total, p) => total + (p[field] || 0), 0);

  function remember(key, done, lag, now) {
    let list = samples.get(key);
    if (!list) {
      list = [];
      samples.set(key, list);
    }
    const last = list[list.length - 1];
    // One sample a second at most: the latest value in that second wins.
    if (last && now - last.t < 1000) {
      last.done = done;
      last.lag = lag;
    } else list.push({ t: now, done, lag });
    while (list.length > HISTORY) list.shift();
  }

  function record(projections) {
    const now = Date.now();
    for (const p of projections) {
      remember(`${p.name}:g${p.generation}`, sum(p.positions, 'position'), sum(p.positions, 'lag'), now);
      const b = p.rebuilding;
      if (b)
        remember(`${p.name}:g${b.generation}`, sum(b.positions, 'position'), sum(b.positions, 'lag'), now);
    }
  }

  /** Between pushes nothing moved: carry the last values forward so rates fall to zero, and
   *  redraw until the rate window has drained. Local only; the server is not asked. */
  let lastPushAt = 0;
  setInterval(() => {
    if (!state.projections) return;
    record(state.projections);
    if (Date.now() - lastPushAt < 12000) render();
  }, 1000);

  /** Events per second over the last `window` seconds, at each sample. */
  function rates(list, window = 5) {
    const out = [];
    for (let i = 1; i < list.length; i++) {
      const from = list[Math.max(0, i - window)];
      const to = list[i];
      out.push(to.t > from.t ? Math.max(0, ((to.done - from.done) * 1000) / (to.t - from.t)) : 0);
    }
    return out;
  }

  function recent(key) {
    const list = samples.get(key) || [];
    const since = Date.now() - CHART_SECONDS * 1000;
    return list.filter((s) => s.t >= since);
  }

  function trend(list) {
    if (list.length < 2) return '→ steady';
    const now = list[list.length - 1];
    const before = list.find((s) => s.t >= now.t - 60000) || list[0];
    if (now.lag > before.lag)
      return `↑ rising (+${number(now.lag - before.lag)} in ${seconds((now.t - before.t) / 1000)})`;
    if (now.lag < before.lag)
      return `↓ falling (−${number(before.lag - now.lag)} in ${seconds((now.t - before.t) / 1000)})`;
    return '→ steady';
  }

  // ---------------------------------------------------------------- views

  function route() {
    const match = /^#\/projection\/([a-z0-9_]+)$/.exec(location.hash);
    return { name: match ? match[1] : null };
  }

  function positionsTable(positions) {
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'stream'),
            h('th', { class: 'num' }, 'position'),
            h('th', { class: 'num' }, 'lag'),
            h('th', { class: 'num' }, 'lag time'),
          ),
        ),
        h(
          'tbody',
          {},
          positions.map((p) =>
            h(
              'tr',
              { 'data-testid': 'stream-row', 'data-stream': p.stream },
              h(
                'td',
                {},
                p.stream,
                p.start && p.start !== 'beginning' ? h('div', { class: 'muted' }, `from ${p.start}`) : null,
              ),
              h('td', { class: 'num', 'data-testid': 'position' }, number(p.position)),
              h('td', { class: 'num', 'data-testid': 'lag' }, number(p.lag)),
              h('td', { class: 'num' }, p.lag ? seconds(p.lagSeconds) : '–'),
            ),
          ),
        ),
      ),
    );
  }

  function charts(key) {
    const list = recent(key);
    const perSecond = rates(list);
    const current = perSecond.length ? perSecond[perSecond.length - 1] : 0;
    return h(
      'div',
      { class: 'charts' },
      h(
        'div',
        { class: 'chart rate' },
        sparkline(perSecond, 'events per second over the last minutes'),
        `${number(Math.round(current))} events/s`,
      ),
      h(
        'div',
        { class: 'chart lag' },
        sparkline(
          list.map((s) => s.lag),
          'lag over the last minutes',
        ),
        `lag ${trend(list)}`,
      ),
    );
  }

  function rebuildProgress(p) {
    const b = p.rebuilding;
    if (!b) return null;
    const done = sum(b.positions, 'position');
    const unknown = b.positions.some((s) => s.lag === null);
    const total = done + sum(b.positions, 'lag');
    const perSecond = rates(recent(`${p.name}:g${b.generation}`), 10);
    const rate = perSecond.length ? perSecond[perSecond.length - 1] : 0;
    const left = rate > 0 ? (total - done) / rate : null;
    return h(
      'div',
      { class: 'rebuild', 'data-testid': 'rebuild' },
      h(
        'div',
        {},
        'Rebuilding into generation ',
        h('b', {}, `g${b.generation}`),
        ` (v${b.version}) `,
        status(b.status),
      ),
      h('progress', {
        max: unknown ? null : Math.max(total, 1),
        value: unknown ? null : done,
        'aria-label': 'rebuild progress',
      }),
      h(
        'div',
        { class: 'meta' },
        h(
          'span',
          {},
          `${number(done)} of ${unknown ? '?' : number(total)} events`,
          unknown ? '' : ` (${total ? Math.floor((done / total) * 100) : 100}%)`,
        ),
        h('span', {}, `${number(Math.round(rate))} events/s`),
        h('span', {}, left === null ? 'time left ?' : `${seconds(left)} left`),
      ),
      b.detail ? h('div', { class: 'reason' }, b.detail) : null,
    );
  }

  /** Past the cap, the poison events skipped without a letter (they stay in the stream). */
  function notKept(p) {
    if (!p.deadLettersNotKept) return null;
    return h(
      'span',
      {
        class: 'warn',
        'data-testid': 'dead-letters-not-kept',
        title:
          'Past DEAD_LETTER_MAX these poison events were skipped without a letter; a rebuild after a fix applies them.',
      },
      ` (+${number(p.deadLettersNotKept)} not kept)`,
    );
  }

  function attention(p) {
    return (
      p.status === 'HALTED' ||
      p.status === 'STALLED' ||
      (p.rebuilding && (p.rebuilding.status === 'HALTED' || p.rebuilding.status === 'STALLED'))
    );
  }

  function card(p) {
    const key = `${p.name}:g${p.generation}`;
    return h(
      'section',
      { class: `card${attention(p) ? ' attention' : ''}`, 'data-testid': 'projection', 'data-name': p.name },
      h('h2', {}, h('a', { href: `#/projection/${encodeURIComponent(p.name)}` }, p.name), status(p.status)),
      p.detail ? h('div', { class: 'reason', 'data-testid': 'reason' }, p.detail) : null,
      h(
        'div',
        { class: 'meta' },
        h(
          'span',
          {},
          'live ',
          h('b', { 'data-testid': 'live-generation' }, `g${p.generation}`),
          ` v${p.version}`,
        ),
        h('span', {}, 'building ', h('b', {}, p.rebuilding ? `g${p.rebuilding.generation}` : '–')),
        h(
          'span',
          {},
          'dead letters ',
          h('b', { 'data-testid': 'dead-letter-count' }, number(p.deadLetterCount)),
          notKept(p),
        ),
        h(
          'span',
          {},
          'lag ',
          h(
            'b',
            { 'data-testid': 'total-lag' },
            number(p.positions.some((s) => s.lag === null) ? null : sum(p.positions, 'lag')),
          ),
        ),
      ),
      positionsTable(p.positions),
      charts(key),
      rebuildProgress(p),
    );
  }

  function overview() {
    const list = state.projections || [];
    const halted = list.filter(attention);
    return [
      h('h1', {}, 'Projections'),
      halted.length
        ? h(
            'div',
            { class: 'notice error', role: 'alert' },
            `${halted.length} projection${halted.length > 1 ? 's need' : ' needs'} attention: ${halted.map((p) => p.name).join(', ')}`,
          )
        : null,
      list.length
        ? h('div', { class: 'grid' }, list.map(card))
        : h('p', { class: 'muted' }, 'No projection has run yet.'),
    ];
  }

  async function act(label, query, variables) {
    try {
      const data = await graphql(query, variables);
      const action = Object.values(data)[0];
      state.notice = {
        text: `${label}: ${action.outcome.toLowerCase()}: ${action.detail}`,
        error: action.outcome !== 'ACCEPTED',
      };
    } catch (error) {
      state.notice = { text: `${label} failed: ${error.message}`, error: true };
    }
    render();
  }

  function operatorButtons(p) {
    if (!state.operator) return null;
    return h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          class: 'primary',
          'data-testid': 'start-rebuild',
          disabled: Boolean(p.rebuilding),
          onclick: () =>
            act('Rebuild', 'mutation ($p: String!) { startRebuild(projection: $p) { outcome detail } }', {
              p: p.name,
            }),
        },
        'Start rebuild',
      ),
      h(
        'button',
        {
          'data-testid': 'retry-dead-letters',
          disabled: p.deadLetterCount === 0 && p.status !== 'HALTED',
          onclick: () =>
            act('Retry', 'mutation ($p: String!) { retryDeadLetters(projection: $p) { outcome detail } }', {
              p: p.name,
            }),
        },
        'Retry dead letters',
      ),
    );
  }

  function deadLetters(p) {
    if (!p.deadLetters.length)
      return h('p', { class: 'muted', 'data-testid': 'no-dead-letters' }, 'No unresolved dead letters.');
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['#', 'stream', 'sequence', 'type', 'error', 'attempts', 'payload', ''].map((t) =>
              h('th', {}, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          p.deadLetters.map((d) => {
            const whole = state.operator ? state.letters.get(`${p.name}#${d.id}`) : undefined;
            return h(
              'tr',
              { 'data-testid': 'dead-letter', 'data-id': d.id },
              h('td', { class: 'num' }, d.id),
              h('td', {}, d.stream),
              h('td', { class: 'num' }, number(d.sequence)),
              h('td', {}, h('code', {}, d.type || '–')),
              h(
                'td',
                {},
                h('b', {}, d.errorCode),
                ' ',
                h(
                  'span',
                  { 'data-testid': 'dead-letter-error' },
                  // Without the token the error is its code and place: the code is shown already.
                  whole ? whole.error : d.error.replace(`${d.errorCode} at `, 'at '),
                ),
                d.retryRequested ? h('div', { class: 'muted' }, 'retry requested') : null,
              ),
              h('td', { class: 'num' }, d.attempts),
              h(
                'td',
                {},
                h('div', { class: 'muted' }, d.subject),
                h('pre', { class: 'payload', 'data-testid': 'payload' }, whole ? whole.payload : d.payload),
                !whole && d.payloadTruncated
                  ? h(
                      'div',
                      { class: 'muted' },
                      `first ${number(d.payload.length)} characters of ${number(d.payloadBytes)} bytes`,
                    )
                  : null,
                state.operator && !whole
                  ? h(
                      'button',
                      { 'data-testid': 'whole-dead-letter', onclick: () => loadLetter(p, d) },
                      d.payloadTruncated ? 'Whole payload and error' : 'Error text',
                    )
                  : null,
              ),
              h(
                'td',
                {},
                state.operator
                  ? h(
                      'button',
                      {
                        class: 'danger',
                        'data-testid': 'skip-dead-letter',
                        onclick: () => {
                          if (confirm(`Skip ${d.stream} #${d.sequence} for good? It will not be applied.`)) {
                            act(
                              'Skip',
                              'mutation ($p: String!, $id: ID!) { skipDeadLetter(projection: $p, id: $id) { outcome detail } }',
                              { p: p.name, id: d.id },
                            );
                          }
                        },
                      },
                      'Skip',
                    )
                  : null,
              ),
            );
          }),
        ),
      ),
    );
  }

  /**
   * A split projection's partitions: each one's status and own position and lag (summed over
   * streams); for an operator also the process that owns each (none while it is between owners).
   */
  function partitionsTable(partitions, owners) {
    if (!partitions || partitions.length < 2) return null;
    const row = (x) => [
      String(x.index),
      x.status.toLowerCase().replace('_', ' '),
      number(sum(x.positions, 'position')),
      number(x.positions.some((s) => s.lag === null) ? null : sum(x.positions, 'lag')),
    ];
    return [
      h('h2', {}, 'Partitions'),
      owners
        ? simpleTable(
            'partitions',
            ['partition', 'status', 'position', 'lag', 'owner'],
            partitions.map((x) => [...row(x), owners.get(x.index) ?? 'none']),
          )
        : simpleTable('partitions', ['partition', 'status', 'position', 'lag'], partitions.map(row)),
    ];
  }

  function simpleTable(testid, headings, rows) {
    if (!rows.length) return h('p', { class: 'muted' }, 'None yet.');
    return h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { 'data-testid': testid },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            headings.map((t) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((cells) =>
            h(
              'tr',
              {},
              cells.map((c) => h('td', {}, c)),
            ),
          ),
        ),
      ),
    );
  }

  function projectionPage(name) {
    const p = (state.projections || []).find((x) => x.name === name);
    // An operator's detail of this page's history, once it has come.
    const mine =
      p && state.operator && state.operatorDetail?.key === historyKey(p) ? state.operatorDetail : null;
    if (!state.projections) return [h('p', { class: 'muted' }, 'Loading…')];
    if (!p)
      return [
        h('p', {}, h('a', { href: '#/' }, '← all projections')),
        h('p', {}, 'No projection named ', h('code', {}, name), '.'),
      ];
    return [
      h('p', {}, h('a', { href: '#/' }, '← all projections')),
      h('h1', {}, p.name, ' ', status(p.status)),
      p.detail ? h('div', { class: 'reason', 'data-testid': 'reason' }, p.detail) : null,
      h(
        'div',
        { class: 'meta' },
        h(
          'span',
          {},
          'live ',
          h('b', { 'data-testid': 'live-generation' }, `g${p.generation}`),
          ` v${p.version}`,
        ),
        h('span', {}, 'last advance ', h('b', {}, time(p.live.lastAdvanceAt))),
        h(
          'span',
          {},
          'dead letters ',
          h('b', { 'data-testid': 'dead-letter-count' }, number(p.deadLetterCount)),
          notKept(p),
        ),
      ),
      operatorButtons(p),
      positionsTable(p.positions),
      partitionsTable(p.partitions, mine?.owners),
      charts(`${p.name}:g${p.generation}`),
      rebuildProgress(p),
      h('h2', {}, 'Generations'),
      simpleTable(
        'generations',
        ['generation', 'version', 'role', 'created', 'live', 'retired'],
        p.generations.map((g) => [
          `g${g.generation}`,
          `v${g.version}`,
          g.role,
          time(g.createdAt),
          time(g.liveAt),
          time(g.retiredAt),
        ]),
      ),
      h('h2', {}, 'Dead letters'),
      deadLetters(p),
      h('h2', {}, 'Recent state changes'),
      h(
        'p',
        { class: 'muted' },
        'Retries, halts, stops, standbys and the recoveries from them; catching up and running are routine and not listed.',
      ),
      simpleTable(
        'state-changes',
        ['when', 'generation', 'state', 'reason'],
        (mine ? mine.changes : p.statusChanges).map((c) => [
          time(c.at),
          `g${c.generation}`,
          status(c.status),
          c.detail || '',
        ]),
      ),
      h('h2', {}, 'Operator actions'),
      simpleTable(
        'actions',
        ['when', 'action', 'outcome', 'detail', 'from'],
        p.actions.map((a) => [
          time(a.at),
          a.action.toLowerCase().replace(/_/g, ' ') + (a.deadLetterId ? ` #${a.deadLetterId}` : ''),
          a.outcome.toLowerCase(),
          a.detail,
          [a.via, mine?.from.get(a.id)].filter(Boolean).join(' · '),
        ]),
      ),
    ];
  }

  // A re-render between a button's press and release would swallow the click: while a pointer
  // is down, rendering waits for it to come up.
  let pointerDown = false;
  let renderPending = false;
  document.addEventListener('pointerdown', () => (pointerDown = true), true);
  document.addEventListener(
    'pointerup',
    () => {
      setTimeout(() => {
        pointerDown = false;
        if (renderPending) render();
      }, 0);
    },
    true,
  );

  function render() {
    if (pointerDown) {
      renderPending = true;
      return;
    }
    renderPending = false;
    const main = document.getElementById('main');
    const { name } = route();
    const notice = state.notice
      ? h(
          'div',
          { class: `notice${state.notice.error ? ' error' : ''}`, role: 'status', 'data-testid': 'notice' },
          state.notice.text,
        )
      : null;
    const content = name ? projectionPage(name) : overview();
    // Keep the scroll position and a focused button across live re-renders.
    const focused = document.activeElement?.dataset ? document.activeElement.dataset.testid : undefined;
    main.replaceChildren();
    append(main, [notice, content]);
    if (focused) {
      const again = main.querySelector(`[data-testid="${focused}"]`);
      if (again) again.focus();
    }
  }

  // ---------------------------------------------------------------- start

  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('token-input');
    if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    checkOperator();
  });
  document.getElementById('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    checkOperator();
  });
  window.addEventListener('hashchange', () => {
    state.notice = null;
    subscribe();
    render();
    document.getElementById('main').focus();
  });
  subscribe();
  checkOperator();
})();
