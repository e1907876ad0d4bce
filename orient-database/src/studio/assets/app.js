// Orient studio: a small page over the studio's JSON API. Routes live in the URL hash:
//   #/                       tables
//   #/table/NAME?QUERY       rows of a table (QUERY is passed to the API as is: sort, dir, after,
//                            before, limit, eq.COL, has.COL, null.COL, notnull.COL)
//   #/row/NAME/KEY           one row and the rows that point at it
//   #/new/NAME               insert a row (--write)
//   #/schema, #/diagram, #/migrations, #/seed
// Everything is built with DOM calls and textContent: no value from the database is ever parsed as HTML.
// The one exception is the diagram's SVG, drawn by the server with every name XML-escaped: it is read
// with the XML parser (never the HTML one), and only a lone <svg> root is taken.
'use strict';

(() => {
  const main = document.getElementById('main');
  let info = { writable: false, database: '' };
  let flash = null;
  let renders = 0;
  let routing = 0;

  // A blocked resource would mean the page relies on something its own CSP forbids: record it where
  // the browser test (and anyone in the developer tools) can see it.
  document.addEventListener('securitypolicyviolation', (e) => {
    const seen = document.body.dataset.cspViolations;
    document.body.dataset.cspViolations = (seen ? seen + '; ' : '') + e.violatedDirective + ' ' + e.blockedURI;
    console.warn('Content-Security-Policy blocked', e.violatedDirective, e.blockedURI);
  });

  // The token came in the first URL and is now in an HttpOnly cookie: drop it from the address bar.
  if (location.search) {
    history.replaceState(null, '', location.pathname + location.hash);
  }

  // ---------- small helpers ----------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') el.className = value;
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else if (name === 'dataset') Object.assign(el.dataset, value);
      else if (name === 'value') el.value = value;
      else if (name === 'checked') el.checked = value;
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(el, child);
      else if (child instanceof Node) el.appendChild(child);
      else el.appendChild(document.createTextNode(String(child)));
    }
  }

  const enc = encodeURIComponent;
  const fmtCount = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));

  class ApiError extends Error {
    constructor(status, body) {
      super(body && body.error ? body.error : 'HTTP ' + status);
      this.status = status;
      this.problems = (body && body.problems) || [];
    }
  }

  async function api(path) {
    const response = await fetch(path, { headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  // Changes: JSON with the custom header the server requires (a cross-site form cannot send it).
  async function send(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-Orient-Studio': '1', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const result = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, result);
    return result;
  }

  function typeLabel(ty) {
    return { big_int: 'bigint', integer: 'integer', bool: 'bool', text: 'text', double: 'double',
      binary: 'blob', timestamp: 'timestamp', json: 'json', numeric: 'numeric' }[ty] || ty;
  }

  function fmtDate(seconds) {
    const d = new Date(seconds * 1000);
    if (Number.isNaN(d.getTime())) return null;
    return d.toISOString().replace('T', ' ').replace(/\.000Z$/, '');
  }

  function badge(status, text, title) {
    return h('span', { class: 'badge badge-' + status, title }, text || status);
  }

  function statusBadge(status, differences) {
    switch (status) {
      case 'ok': return badge('ok', 'matches struct', 'The live table matches its declared struct');
      case 'drift': return badge('drift', 'drift · ' + differences, 'The live table differs from its struct; see Schema');
      case 'missing': return badge('missing', 'missing', 'Declared, but not in the database');
      case 'undeclared': return badge('undeclared', 'no struct', 'In the database, but no struct declares it');
      default: return badge('undeclared', status);
    }
  }

  // A value as the page shows it, by the column's declared type.
  function cell(column, value, full) {
    if (value === null || value === undefined) return h('span', { class: 'null' }, 'NULL');
    if (typeof value === 'object' && 'blob' in value) {
      return h('span', { class: 'muted', title: value.hex }, 'blob · ' + value.blob + ' bytes');
    }
    let shown;
    switch (column.type) {
      case 'bool':
        if (value === 1 || value === 0) {
          shown = value === 1
            ? h('span', { class: 'yes', title: 'true (1)' }, '✓')
            : h('span', { class: 'no', title: 'false (0)' }, '✗');
        }
        break;
      case 'timestamp':
        if (typeof value === 'number') {
          const date = fmtDate(value);
          if (date) {
            const local = new Date(value * 1000).toLocaleString();
            shown = h('time', { title: value + ' · local time ' + local, datetime: date.replace(' ', 'T') + 'Z' },
              date, h('span', { class: 'utc' }, ' UTC'));
          }
        }
        break;
      case 'json':
        if (typeof value === 'string') {
          try {
            shown = h('pre', { class: full ? 'json full' : 'json' }, JSON.stringify(JSON.parse(value), null, 2));
          } catch (_) {
            shown = h('span', { class: 'text', title: 'not valid JSON' }, value);
          }
        }
        break;
      default:
        break;
    }
    if (!shown) {
      shown = typeof value === 'string'
        ? h('span', { class: full ? 'text full' : 'text' }, value)
        : h('span', { class: 'number' }, String(value));
    }
    const ref = column.references;
    if (ref) {
      const href = ref.to_key
        ? '#/row/' + enc(ref.table) + '/' + enc(String(value))
        : '#/table/' + enc(ref.table) + '?' + enc('eq.' + ref.column) + '=' + enc(String(value));
      return h('a', { href, class: 'fk', title: '→ ' + ref.table + '.' + ref.column }, shown);
    }
    return shown;
  }

  function errorBox(error) {
    return h('div', { class: 'error', role: 'alert' },
      h('strong', {}, error.status ? 'Error ' + error.status + ': ' : 'Error: '), error.message,
      error.problems && error.problems.length > 1
        ? h('ul', {}, error.problems.map((p) => h('li', {}, p))) : null);
  }

  function crumbs(...parts) {
    const items = [h('a', { href: '#/' }, 'Tables')];
    for (const part of parts) items.push(h('span', { class: 'sep' }, '›'), part);
    return h('div', { class: 'crumbs' }, items);
  }

  // ---------- pages ----------

  async function tablesPage() {
    const data = await api('/api/tables');
    const filter = h('input', { type: 'search', placeholder: 'Filter tables…', class: 'filter-names', 'aria-label': 'Filter tables' });
    const rows = data.tables.map((t) => h('tr', { dataset: { table: t.name } },
      h('td', {}, t.status === 'missing' ? h('span', { class: 'muted' }, t.name)
        : h('a', { href: '#/table/' + enc(t.name), class: 'table-link' }, t.name)),
      h('td', { class: 'num' }, fmtCount(t.rows)),
      h('td', {}, statusBadge(t.status, t.differences))));
    const body = h('tbody', {}, rows);
    filter.addEventListener('input', () => {
      const q = filter.value.toLowerCase();
      for (const tr of body.children) tr.hidden = !tr.dataset.table.includes(q);
    });
    const drifting = data.tables.filter((t) => t.status !== 'ok').length;
    return [
      h('div', { class: 'page-head' },
        h('h1', {}, 'Tables'),
        h('span', { class: 'muted' }, data.tables.length + ' tables · ',
          drifting ? h('a', { href: '#/schema' }, drifting + ' differ from their structs') : 'all match their structs')),
      h('div', { class: 'toolbar' }, filter),
      h('table', { class: 'grid tables' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Table'), h('th', { class: 'num' }, 'Rows'), h('th', {}, 'Struct'))),
        body),
      data.unmodelled.length ? h('p', { class: 'muted' }, 'Also in the database, outside the model: ',
        data.unmodelled.map((o) => o.kind + ' ' + o.name).join(', ')) : null,
    ];
  }

  function tableQuery(params) {
    const q = params.toString();
    return q ? '?' + q : '';
  }

  async function tablePage(name, params) {
    const page = await api('/api/tables/' + enc(name) + '/rows' + tableQuery(params));
    const table = page.table;
    const columns = table.columns;
    const countSpan = h('span', { class: 'muted', id: 'row-count' }, 'counting…');
    const countParams = new URLSearchParams();
    for (const [k, v] of params) if (k.includes('.')) countParams.append(k, v);
    api('/api/tables/' + enc(name) + '/count' + tableQuery(countParams))
      .then((c) => { countSpan.textContent = fmtCount(c.count) + (countParams.toString() ? ' matching rows' : ' rows'); })
      .catch(() => { countSpan.textContent = ''; });

    const sortBy = page.sort || (table.key.length === 1 ? table.key[0] : '');
    const head = h('tr', {}, columns.map((c) => {
      const label = [h('span', { class: 'col-name' }, c.name)];
      if (c.name === sortBy) label.push(h('span', { class: 'sort-mark' }, page.descending ? ' ▼' : ' ▲'));
      let title = h('span', {}, label);
      if (c.sortable) {
        const p = new URLSearchParams();
        for (const [k, v] of params) if (k.includes('.')) p.append(k, v);
        if (!(c.primary_key && table.key.length === 1)) p.set('sort', c.name);
        if (c.name === sortBy && !page.descending) p.set('dir', 'desc');
        title = h('a', { href: '#/table/' + enc(name) + tableQuery(p), class: 'sort', title: 'Sort by ' + c.name }, label);
      }
      const type = typeLabel(c.type) + (c.nullable ? '' : ' · not null') + (c.primary_key ? ' · key' : '');
      return h('th', { dataset: { column: c.name } }, title,
        h('div', { class: 'col-type' }, type, c.references ? h('span', { class: 'ref' }, ' → ' + c.references.table) : null));
    }));

    const keyColumns = new Set(table.key);
    const body = h('tbody', {}, page.rows.map((row) => h('tr', { dataset: { key: row.key } },
      row.values.map((value, i) => {
        const column = columns[i];
        let content = cell(column, value, false);
        if (keyColumns.has(column.name) && !column.references) {
          content = h('a', { href: '#/row/' + enc(name) + '/' + enc(row.key), class: 'row-link', title: 'Open this row' }, content);
        }
        return h('td', { class: 't-' + column.type }, content);
      }))));
    if (table.key_is_rowid) {
      for (const tr of body.children) {
        tr.prepend(h('td', {}, h('a', { href: '#/row/' + enc(name) + '/' + enc(tr.dataset.key), class: 'row-link' }, '#' + tr.dataset.key)));
      }
      head.prepend(h('th', {}, table.key[0]));
    }

    const nav = (label, id, param, cursor) => {
      if (!cursor) return h('button', { id, disabled: true, class: 'button' }, label);
      const p = new URLSearchParams(params);
      p.delete('after'); p.delete('before');
      p.set(param, cursor);
      return h('a', { id, class: 'button', href: '#/table/' + enc(name) + tableQuery(p) }, label);
    };
    const first = new URLSearchParams(params);
    first.delete('after'); first.delete('before');
    const pager = h('div', { class: 'pager' },
      h('a', { class: 'button', id: 'first', href: '#/table/' + enc(name) + tableQuery(first) }, '⇤ First'),
      nav('← Previous', 'prev', 'before', page.prev),
      nav('Next →', 'next', 'after', page.next),
      h('span', { class: 'muted' }, page.rows.length + ' rows on this page'));

    return [
      crumbs(h('span', {}, name)),
      h('div', { class: 'page-head' },
        h('h1', {}, name),
        table.declared
          ? (table.differences.length ? h('a', { href: '#/schema/' + enc(name) }, statusBadge('drift', table.differences.length)) : statusBadge('ok'))
          : statusBadge('undeclared'),
        countSpan,
        info.writable && !table.read_only ? h('a', { class: 'button primary', href: '#/new/' + enc(name), id: 'new-row' }, '+ New row') : null),
      table.read_only ? h('p', { class: 'muted', id: 'read-only-table' }, table.read_only) : null,
      filterBar(name, table, params, page.filters),
      h('div', { class: 'scroll' }, h('table', { class: 'grid rows', id: 'rows' }, h('thead', {}, head), body)),
      page.rows.length ? null : h('p', { class: 'empty' }, 'No rows.'),
      pager,
    ];
  }

  function filterBar(name, table, params, filters) {
    const column = h('select', { id: 'filter-column', 'aria-label': 'Column' },
      table.columns.map((c) => h('option', { value: c.name }, c.name)));
    const op = h('select', { id: 'filter-op', 'aria-label': 'Condition' },
      h('option', { value: 'eq' }, 'equals'),
      h('option', { value: 'has' }, 'contains'),
      h('option', { value: 'null' }, 'is null'),
      h('option', { value: 'notnull' }, 'is not null'));
    const value = h('input', { id: 'filter-value', placeholder: 'value', 'aria-label': 'Value' });
    op.addEventListener('change', () => { value.disabled = op.value === 'null' || op.value === 'notnull'; });
    const form = h('form', { class: 'filters', id: 'filter-form' }, column, op, value,
      h('button', { type: 'submit', class: 'button' }, 'Filter'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const p = new URLSearchParams(params);
      p.delete('after'); p.delete('before');
      p.append(op.value + '.' + column.value, value.disabled ? '' : value.value);
      location.hash = '#/table/' + enc(name) + tableQuery(p);
    });
    const labels = { eq: '=', contains: 'contains', is_null: 'is null', not_null: 'is not null' };
    const chips = filters.map((f) => {
      const p = new URLSearchParams();
      for (const [k, v] of params) {
        if (k === 'after' || k === 'before') continue;
        if (!(k === parameter(f) && v === f.value)) p.append(k, v);
      }
      return h('span', { class: 'chip' }, f.column + ' ' + labels[f.op] +
        (f.op === 'eq' || f.op === 'contains' ? ' “' + f.value + '”' : ''),
      h('a', { href: '#/table/' + enc(name) + tableQuery(p), class: 'chip-x', title: 'Remove this filter' }, '×'));
    });
    return h('div', { class: 'toolbar' }, form, chips);
  }

  function parameter(filter) {
    return { eq: 'eq', contains: 'has', is_null: 'null', not_null: 'notnull' }[filter.op] + '.' + filter.column;
  }

  async function rowPage(name, key) {
    const data = await api('/api/tables/' + enc(name) + '/rows/' + enc(key));
    const table = data.table;
    const container = h('div', {});
    const render = (row, editing) => {
      container.replaceChildren(...rowView(name, key, table, row, editing, render, data.referenced_by).flat(Infinity).filter(Boolean));
    };
    render(data.row, false);
    return [
      crumbs(h('a', { href: '#/table/' + enc(name) }, name), h('span', {}, key)),
      container,
    ];
  }

  function rowView(name, key, table, row, editing, render, referencedBy) {
    const status = h('div', { class: 'status-line' });
    if (flash) { status.append(h('div', { class: 'notice', id: 'flash' }, flash)); flash = null; }
    const inputs = new Map();
    const fields = table.columns.map((c, i) => {
      const value = row.values[i];
      let shown;
      if (editing && !c.primary_key) {
        const editor = editorFor(c, value);
        inputs.set(c.name, editor);
        shown = editor.element;
      } else {
        shown = cell(c, value, true);
      }
      return h('tr', { dataset: { column: c.name } },
        h('th', {}, c.name, h('div', { class: 'col-type' }, typeLabel(c.type) + (c.nullable ? '' : ' · not null') + (c.primary_key ? ' · key' : ''),
          c.references ? h('span', { class: 'ref' }, ' → ' + c.references.table + '.' + c.references.column) : null)),
        h('td', {}, shown));
    });
    const actions = h('div', { class: 'actions' });
    if (table.read_only) {
      actions.append(h('p', { class: 'muted', id: 'read-only-table' }, table.read_only));
    } else if (info.writable && !editing) {
      actions.append(
        h('button', { class: 'button primary', id: 'edit', onclick: () => render(row, true) }, 'Edit'),
        h('button', { class: 'button danger', id: 'delete', onclick: () => confirmDelete(name, key, actions) }, 'Delete…'));
    }
    if (editing) {
      const save = async () => {
        const values = {};
        for (const [column, editor] of inputs) {
          const v = editor.read();
          if (v !== editor.unchanged) values[column] = v;
        }
        if (!Object.keys(values).length) { render(row, false); return; }
        try {
          const saved = await send('PUT', '/api/tables/' + enc(name) + '/rows/' + enc(key), { values });
          flash = 'Saved.';
          render(saved.row, false);
        } catch (error) {
          status.replaceChildren(errorBox(error));
        }
      };
      actions.append(
        h('button', { class: 'button primary', id: 'save', onclick: save }, 'Save'),
        h('button', { class: 'button', id: 'cancel', onclick: () => render(row, false) }, 'Cancel'));
    }
    return [
      h('div', { class: 'page-head' }, h('h1', {}, name, h('span', { class: 'key' }, ' ' + key)), actions),
      status,
      h('table', { class: 'record', id: 'record' }, h('tbody', {}, fields)),
      referencedBy.length ? h('h2', {}, 'Rows pointing here') : null,
      referencedBy.map((r) => referencing(r)),
    ];
  }

  function referencing(r) {
    const params = new URLSearchParams();
    for (const [k, v] of r.filter) params.append(k, v);
    const link = '#/table/' + enc(r.table.name) + '?' + params.toString();
    const columns = r.table.columns;
    const keys = new Set(r.table.key);
    return h('section', { class: 'referencing', dataset: { table: r.table.name } },
      h('h3', {}, h('a', { href: link, class: 'ref-table' }, r.table.name),
        h('span', { class: 'muted' }, ' · ' + r.columns.join(', ') + ' · ' + fmtCount(r.count) + (r.count === 1 ? ' row' : ' rows')),
        r.count > r.rows.length ? h('a', { href: link, class: 'more' }, ' show all →') : null),
      r.rows.length ? h('div', { class: 'scroll' }, h('table', { class: 'grid rows small' },
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.name)))),
        h('tbody', {}, r.rows.map((row) => h('tr', { dataset: { key: row.key } }, row.values.map((v, i) => {
          let content = cell(columns[i], v, false);
          if (keys.has(columns[i].name) && !columns[i].references) {
            content = h('a', { href: '#/row/' + enc(r.table.name) + '/' + enc(row.key), class: 'row-link' }, content);
          }
          return h('td', { class: 't-' + columns[i].type }, content);
        })))))) : null);
  }

  // An input for one column; read() gives what to send (strings are read by the column's type on the
  // server), or `unchanged` when the field was not touched.
  function editorFor(column, value) {
    const unchanged = {};
    const nullable = column.nullable;
    let control;
    let read;
    const initialText = () => {
      if (value === null || value === undefined) return '';
      if (column.type === 'timestamp' && typeof value === 'number') return fmtDate(value) || String(value);
      if (column.type === 'json' && typeof value === 'string') {
        try { return JSON.stringify(JSON.parse(value), null, 2); } catch (_) { return value; }
      }
      if (column.type === 'bool') return value === 1 ? 'true' : value === 0 ? 'false' : String(value);
      return String(value);
    };
    if (column.type === 'bool') {
      control = h('select', { name: column.name },
        h('option', { value: 'true' }, '✓ true'), h('option', { value: 'false' }, '✗ false'),
        nullable ? h('option', { value: '' }, 'NULL') : null);
      control.value = value === null ? '' : initialText();
    } else if (column.type === 'json' || (typeof value === 'string' && (value.length > 80 || value.includes('\n')))) {
      control = h('textarea', { name: column.name, rows: column.type === 'json' ? 6 : 4 });
      control.value = initialText();
    } else {
      control = h('input', { name: column.name, value: initialText(),
        placeholder: column.type === 'timestamp' ? 'YYYY-MM-DD HH:MM:SS (UTC) or Unix seconds' : '' });
    }
    const initial = control.value;
    const isNull = nullable && column.type !== 'bool'
      ? h('input', { type: 'checkbox', class: 'null-box', checked: value === null, title: 'NULL' }) : null;
    if (isNull) {
      const sync = () => { control.disabled = isNull.checked; };
      isNull.addEventListener('change', sync);
      sync();
    }
    read = () => {
      if (isNull && isNull.checked) return value === null ? unchanged : null;
      if (isNull && value === null) return control.value;
      if (control.value === initial) return unchanged;
      if (column.type === 'bool' && control.value === '') return null;
      return control.value;
    };
    const element = h('div', { class: 'editor' }, control,
      isNull ? h('label', { class: 'null-label' }, isNull, ' NULL') : null);
    return { element, read, unchanged };
  }

  async function confirmDelete(name, key, actions) {
    let plan;
    try {
      plan = await api('/api/tables/' + enc(name) + '/rows/' + enc(key) + '/delete');
    } catch (error) {
      actions.after(errorBox(error));
      return;
    }
    const words = { delete: 'deletes', set_null: 'sets to NULL', set_default: 'resets to its default', blocked: 'is blocked by' };
    const effects = plan.effects.map((e) => h('li', { class: 'effect-' + e.action },
      (e.action === 'blocked' ? 'blocked by ' : words[e.action] + ' ') + fmtCount(e.rows) + ' ' +
      (e.rows === 1 ? 'row' : 'rows') + ' of ' + e.table + ' (' + e.columns.join(', ') + ')' +
      (e.depth > 1 ? ', ' + e.depth + ' levels down' : '')));
    const panel = h('div', { class: 'confirm', id: 'confirm-delete' },
      h('p', {}, h('strong', {}, 'Delete ' + name + ' ' + key + '?'),
        plan.effects.length ? ' This also:' : ' No other row points at it.'),
      effects.length ? h('ul', {}, effects) : null);
    if (plan.blocked) {
      panel.append(h('p', { class: 'error' }, 'It cannot be deleted while those rows point at it (RESTRICT / NO ACTION).'));
      panel.append(h('button', { class: 'button', onclick: () => panel.remove() }, 'Close'));
    } else {
      panel.append(
        h('button', { class: 'button danger', id: 'confirm', onclick: async () => {
          try {
            await send('DELETE', '/api/tables/' + enc(name) + '/rows/' + enc(key), { confirm: plan.effects });
            flash = 'Deleted ' + name + ' ' + key + '.';
            location.hash = '#/table/' + enc(name);
          } catch (error) {
            panel.append(errorBox(error));
          }
        } }, 'Delete'),
        h('button', { class: 'button', onclick: () => panel.remove() }, 'Cancel'));
    }
    const old = document.getElementById('confirm-delete');
    if (old) old.remove();
    actions.parentElement.after(panel);
  }

  async function newRowPage(name) {
    if (!info.writable) throw new ApiError(403, { error: 'the studio is read-only; start it with --write to insert rows' });
    const page = await api('/api/tables/' + enc(name) + '/rows?limit=1');
    const table = page.table;
    const status = h('div', { class: 'status-line' });
    const editors = new Map();
    const fields = table.columns.map((c) => {
      let hint = '';
      if (c.autoincrement || (c.primary_key && (c.type === 'big_int' || c.type === 'integer') && table.key.length === 1)) hint = 'automatic';
      else if (c.default_now) hint = 'now';
      else if (c.default !== null) hint = 'default ' + c.default;
      else if (c.nullable) hint = 'NULL';
      let control;
      if (c.type === 'bool') {
        control = h('select', { name: c.name }, h('option', { value: '' }, hint ? '(' + hint + ')' : '—'),
          h('option', { value: 'true' }, '✓ true'), h('option', { value: 'false' }, '✗ false'));
      } else if (c.type === 'json') {
        control = h('textarea', { name: c.name, rows: 4, placeholder: hint });
      } else {
        control = h('input', { name: c.name, placeholder: c.type === 'timestamp' ? (hint || 'YYYY-MM-DD HH:MM:SS') : hint });
      }
      editors.set(c.name, control);
      return h('tr', { dataset: { column: c.name } },
        h('th', {}, c.name, h('div', { class: 'col-type' }, typeLabel(c.type) + (c.nullable || hint ? '' : ' · required'))),
        h('td', {}, control));
    });
    const save = async () => {
      const values = {};
      for (const [column, control] of editors) if (control.value !== '') values[column] = control.value;
      try {
        const created = await send('POST', '/api/tables/' + enc(name) + '/rows', { values });
        flash = 'Inserted.';
        location.hash = '#/row/' + enc(name) + '/' + enc(created.row.key);
      } catch (error) {
        status.replaceChildren(errorBox(error));
      }
    };
    return [
      crumbs(h('a', { href: '#/table/' + enc(name) }, name), h('span', {}, 'new row')),
      h('div', { class: 'page-head' }, h('h1', {}, 'New row in ' + name),
        h('div', { class: 'actions' }, h('button', { class: 'button primary', id: 'insert', onclick: save }, 'Insert'))),
      status,
      h('p', { class: 'muted' }, 'Empty fields get their default. Times are UTC.'),
      h('table', { class: 'record' }, h('tbody', {}, fields)),
    ];
  }

  async function schemaPage(focus) {
    const data = await api('/api/schema');
    const differing = data.tables.filter((t) => t.status !== 'ok');
    const cards = data.tables.map((t) => {
      const declared = t.declared || { columns: [], indexes: [], foreign_keys: [], primary_key: [] };
      const live = t.live || { columns: [], indexes: [], foreign_keys: [], primary_key: [] };
      const names = [];
      for (const c of declared.columns.concat(live.columns)) if (!names.includes(c.name)) names.push(c.name);
      const colRows = names.map((n) => {
        const d = declared.columns.find((c) => c.name === n);
        const l = live.columns.find((c) => c.name === n);
        const defaultText = (c) => (c && c.default ? c.default.value !== undefined ? String(c.default.value) : c.default.kind : '');
        return h('tr', { class: !d || !l ? 'differs' : '' },
          h('td', {}, n, (declared.primary_key.includes(n) || live.primary_key.includes(n)) ? h('span', { class: 'muted' }, ' · key') : null),
          h('td', {}, d ? typeLabel(d.type) + (d.nullable ? '' : ' not null') : h('span', { class: 'null' }, 'not declared')),
          h('td', {}, l ? typeLabel(l.type) + (l.nullable ? '' : ' not null') : h('span', { class: 'null' }, 'missing')),
          h('td', {}, defaultText(d) || defaultText(l)));
      });
      const indexes = (t.live ? live : declared).indexes.map((i) =>
        h('li', {}, h('code', {}, i.name), ' (' + i.columns.join(', ') + ')', i.unique ? h('span', { class: 'muted' }, ' unique') : null));
      const fks = (t.live ? live : declared).foreign_keys.map((f) =>
        h('li', {}, '(' + f.columns.join(', ') + ') → ', h('a', { href: '#/schema/' + enc(f.references_table) }, f.references_table),
          '(' + f.references_columns.join(', ') + ')', h('span', { class: 'muted' }, ' on delete ' + f.on_delete.replace('_', ' '))));
      const open = t.status !== 'ok' || focus === t.name;
      return h('details', { class: 'schema-table', id: 'schema-' + t.name, open },
        h('summary', {}, h('span', { class: 'schema-name' }, t.name), statusBadge(t.status, t.differences.length),
          t.live ? h('a', { href: '#/table/' + enc(t.name), class: 'muted small' }, ' rows →') : null),
        t.differences.length ? h('ul', { class: 'differences' }, t.differences.map((d) => h('li', {}, d.message))) : null,
        h('table', { class: 'grid small' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Declared'), h('th', {}, 'Live'), h('th', {}, 'Default'))),
          h('tbody', {}, colRows)),
        h('div', { class: 'two' },
          h('div', {}, h('h4', {}, 'Indexes'), indexes.length ? h('ul', {}, indexes) : h('p', { class: 'muted' }, 'none')),
          h('div', {}, h('h4', {}, 'Foreign keys'), fks.length ? h('ul', {}, fks) : h('p', { class: 'muted' }, 'none'))));
    });
    setTimeout(() => {
      const target = focus && document.getElementById('schema-' + focus);
      if (target) target.scrollIntoView();
    }, 0);
    return [
      h('div', { class: 'page-head' }, h('h1', {}, 'Schema'),
        data.clean ? badge('ok', 'database matches the structs') : badge('drift', differing.length + ' tables differ'),
        h('span', { class: 'muted' }, 'schema_version ' + data.schema_version)),
      h('p', { class: 'muted' }, 'Declared = the Rust structs; live = this database. The same comparison as ',
        h('code', {}, 'orient-db check'), '.'),
      cards,
    ];
  }

  function readSvg(text) {
    const parsed = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = parsed.documentElement;
    if (root.namespaceURI !== 'http://www.w3.org/2000/svg' || root.localName !== 'svg'
      || parsed.getElementsByTagName('parsererror').length) {
      throw new Error('the diagram sent by the server could not be read as SVG');
    }
    return document.importNode(root, true);
  }

  async function diagramPage() {
    const data = await api('/api/diagram');
    const svg = readSvg(data.svg);
    svg.id = 'diagram';
    const natural = [svg.getAttribute('width'), svg.getAttribute('height')];
    const frame = h('div', { class: 'diagram-frame', id: 'diagram-frame' }, svg);
    let fitted = false;
    const fit = h('button', { class: 'button', id: 'diagram-fit', type: 'button', title: 'Scale the diagram to the width of the page' }, 'Fit to width');
    fit.addEventListener('click', () => {
      fitted = !fitted;
      // Attributes, not inline styles: the Content-Security-Policy allows no style="…".
      if (fitted) {
        svg.setAttribute('width', '100%');
        svg.removeAttribute('height');
      } else {
        svg.setAttribute('width', natural[0]);
        svg.setAttribute('height', natural[1]);
      }
      fit.textContent = fitted ? 'Actual size' : 'Fit to width';
    });
    const text = h('textarea', { id: 'mermaid-text', class: 'mermaid-text', readonly: true, spellcheck: 'false', rows: 18, 'aria-label': 'Mermaid erDiagram' });
    text.value = data.mermaid;
    const source = h('details', { class: 'mermaid', id: 'mermaid' },
      h('summary', {}, 'Mermaid source'),
      h('p', { class: 'muted' }, 'The same as ', h('code', {}, 'orient-db schema --format mermaid'),
        ': paste it into Markdown on GitHub or GitLab (a ', h('code', {}, '```mermaid'), ' block) or into mermaid.live.'),
      text);
    const status = h('span', { class: 'muted', id: 'copy-status', role: 'status' });
    const copy = h('button', { class: 'button', id: 'copy-mermaid', type: 'button' }, 'Copy Mermaid');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(data.mermaid);
        status.textContent = 'Copied.';
      } catch (_) {
        // No clipboard access here: select the text so that it can be copied by hand.
        source.open = true;
        text.focus();
        text.select();
        status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
      }
    });
    const key = (cls, label, meaning) => [h('span', { class: 'k ' + cls }, label), ' ' + meaning];
    return [
      h('div', { class: 'page-head' }, h('h1', {}, 'Diagram'),
        h('span', { class: 'muted' }, data.tables + ' tables · ' + data.foreign_keys + ' foreign keys · a click on a table opens it'),
        h('div', { class: 'actions' }, status, fit, copy,
          h('a', { class: 'button', id: 'download-svg', href: '/api/diagram.svg', download: 'orient-schema.svg' }, 'Download SVG'))),
      h('p', { class: 'legend muted' },
        key('k-pk', 'PK', 'primary key'), ' · ', key('k-fk', 'FK', 'foreign key'), ' · ', key('k-uk', 'UK', 'unique'),
        ' · ', h('code', {}, 'text?'), ' nullable · lines run from a foreign key to the row it references: ',
        h('code', {}, '||'), ' exactly one, ', h('code', {}, 'o|'), ' zero or one, ', h('code', {}, 'o<'), ' zero or more'),
      frame,
      source,
    ];
  }

  async function migrationsPage() {
    const data = await api('/api/migrations');
    const modified = new Set(data.modified.map((m) => m.version));
    return [
      h('div', { class: 'page-head' }, h('h1', {}, 'Migrations'),
        data.pending.length ? badge('drift', data.pending.length + ' pending') : badge('ok', 'up to date')),
      h('h2', {}, 'Applied'),
      data.applied.length ? h('table', { class: 'grid', id: 'applied' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Name'), h('th', {}, 'Applied at (UTC)'), h('th', {}, 'Checksum'))),
        h('tbody', {}, data.applied.map((m) => h('tr', { class: modified.has(m.version) ? 'differs' : '' },
          h('td', {}, h('code', {}, m.version)),
          h('td', {}, m.name || ''),
          h('td', {}, m.run_on || ''),
          h('td', {}, m.checksum ? h('code', { title: m.checksum }, m.checksum.slice(0, 16) + '…') : h('span', { class: 'null' }, 'not recorded'),
            modified.has(m.version) ? badge('missing', 'edited since applied') : null)))))
        : h('p', { class: 'muted' }, 'None.'),
      h('h2', {}, 'Pending'),
      data.pending.length ? h('ul', {}, data.pending.map((m) => h('li', {}, h('code', {}, m.name))))
        : h('p', { class: 'muted' }, 'None: the database is up to date.'),
      data.unknown.length ? [h('h2', {}, 'Unknown to this binary'),
        h('p', { class: 'error' }, 'Applied by a newer version: ', data.unknown.map((m) => m.version).join(', '))] : null,
    ];
  }

  async function seedPage() {
    const data = await api('/api/seed');
    const stateBadge = (row) => {
      switch (row.state) {
        case 'matches': return badge('ok', '✓ matches');
        case 'differs': return badge('drift', 'differs: ' + row.fields.join(', '));
        case 'missing': return badge('missing', 'missing');
        default: return badge('undeclared', row.state);
      }
    };
    const total = { matches: 0, differs: 0, missing: 0 };
    for (const t of data.tables) for (const r of t.rows) total[r.state] = (total[r.state] || 0) + 1;
    return [
      h('div', { class: 'page-head' }, h('h1', {}, 'Seed data'),
        badge('ok', total.matches + ' match'),
        total.differs ? badge('drift', total.differs + ' differ') : null,
        total.missing ? badge('missing', total.missing + ' missing') : null,
        h('span', { class: 'muted' }, 'The rows orient-seed writes, found by their natural keys')),
      data.tables.map((t) => {
        const counts = { matches: 0, differs: 0, missing: 0 };
        for (const r of t.rows) counts[r.state] = (counts[r.state] || 0) + 1;
        return h('details', { class: 'schema-table', id: 'seed-' + t.table, open: counts.differs + counts.missing > 0 },
          h('summary', {}, h('span', { class: 'schema-name' }, t.table),
            t.exists ? null : badge('missing', 'table missing'),
            counts.matches ? badge('ok', counts.matches + ' match') : null,
            counts.differs ? badge('drift', counts.differs + ' differ') : null,
            counts.missing ? badge('missing', counts.missing + ' missing') : null,
            t.exists ? h('a', { href: '#/table/' + enc(t.table), class: 'muted small' }, ' rows →') : null),
          h('table', { class: 'grid small' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Natural key'), h('th', {}, 'In this database'))),
            h('tbody', {}, t.rows.map((r) => h('tr', { dataset: { state: r.state } },
              h('td', {}, h('code', {}, r.key)), h('td', {}, stateBadge(r)))))));
      }),
    ];
  }

  // ---------- routing ----------

  async function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?', 2);
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(query || '');
    let page;
    let nav = 'tables';
    let render;
    switch (parts[0]) {
      case undefined: page = 'tables'; render = tablesPage; break;
      case 'table': page = 'table'; render = () => tablePage(parts[1], params); break;
      case 'row': page = 'row'; render = () => rowPage(parts[1], parts.slice(2).join('/')); break;
      case 'new': page = 'new'; render = () => newRowPage(parts[1]); break;
      case 'schema': page = nav = 'schema'; render = () => schemaPage(parts[1]); break;
      case 'diagram': page = nav = 'diagram'; render = diagramPage; break;
      case 'migrations': page = nav = 'migrations'; render = migrationsPage; break;
      case 'seed': page = nav = 'seed'; render = seedPage; break;
      default: page = 'missing'; render = async () => [h('p', { class: 'error' }, 'No such page.')];
    }
    for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === nav);
    const seq = ++routing;
    document.body.dataset.state = 'loading';
    document.body.dataset.page = page;
    document.title = (parts[1] ? parts[1] + ' · ' : page !== 'tables' ? page + ' · ' : '') + 'Orient studio';
    let content;
    try {
      content = [await render()].flat(Infinity).filter(Boolean);
    } catch (error) {
      content = [errorBox(error)];
    }
    // A newer navigation started while this page loaded: it draws instead.
    if (seq !== routing) return;
    // A message from the page before (a delete leads back to its table) that this page did not show.
    if (flash) {
      content.unshift(h('div', { class: 'notice', id: 'flash' }, flash));
      flash = null;
    }
    main.replaceChildren(...content);
    renders += 1;
    document.body.dataset.render = String(renders);
    document.body.dataset.state = 'ready';
  }

  async function start() {
    try {
      info = await api('/api/info');
      const mode = document.getElementById('mode');
      mode.textContent = info.writable ? 'editing on' : 'read-only';
      mode.className = 'mode ' + (info.writable ? 'mode-write' : 'mode-read');
      mode.title = info.writable ? 'Started with --write: rows can be edited, inserted and deleted' : 'Started without --write: nothing can be changed';
      const db = document.getElementById('database');
      db.textContent = info.database;
      db.title = info.database;
    } catch (error) {
      main.replaceChildren(errorBox(error));
      document.body.dataset.state = 'ready';
      return;
    }
    window.addEventListener('hashchange', route);
    route();
  }

  start();
})();
