// The web studio's page: menus from the host's menu tree, a dialog per plugin command built from its parameters,
// jobs followed through server-sent events, and the Generate, Model and Project panels. No framework, no build step.
'use strict';

const $ = (selector, root = document) => root.querySelector(selector);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
};

const state = { menus: [], commands: new Map(), jobs: new Map(), lastRefusal: null };

async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) { const e = new Error(data.error || response.statusText); e.fields = data.fields; e.status = response.status; throw e; }
  return data;
}

// ---- menus ----
async function loadMenus() {
  const { menus } = await api('/api/menu');
  state.menus = menus;
  const bar = $('#menubar');
  bar.replaceChildren();
  for (const menu of menus) {
    const list = el('ul');
    const addItems = (items, prefix) => {
      for (const item of items) {
        if (item.kind === 'menu') { list.append(el('li', { class: 'sub', text: item.label })); addItems(item.items, item.label); continue; }
        if (item.kind === 'command') state.commands.set(item.id, item);
        list.append(el('li', {}, el('button', {
          type: 'button', text: item.label, dataset: { item: item.id },
          onclick: () => { closeMenus(); activate(item); },
        })));
      }
    };
    addItems(menu.items || [], '');
    const wrapper = el('div', { class: 'menu', dataset: { menu: menu.label } },
      el('button', { type: 'button', text: menu.label, onclick: e => { e.stopPropagation(); const open = wrapper.classList.contains('open'); closeMenus(); wrapper.classList.toggle('open', !open); } }),
      list);
    bar.append(wrapper);
  }
}
const closeMenus = () => document.querySelectorAll('.menu.open').forEach(m => m.classList.remove('open'));
document.addEventListener('click', closeMenus);

function activate(item) {
  if (item.kind === 'command') return openCommand(item);
  switch (item.id) {
    case 'generate': $('[name=prompt]', $('#generate-form')).focus(); return;
    case 'project new': return openProjectDialog();
    case 'model inspect': return inspectModel();
  }
}

// ---- command dialogs ----
function field(parameter) {
  const id = 'param-' + parameter.name;
  const value = parameter.default ?? '';
  let input;
  switch (parameter.kind) {
    case 'flag':
      input = el('input', { type: 'checkbox', id, name: parameter.name, checked: value === 'true' });
      break;
    case 'choice':
      input = el('select', { id, name: parameter.name },
        parameter.required && value ? null : el('option', { value: '', text: value ? '' : '(default)' }),
        parameter.choices.map(c => el('option', { value: c, text: c, selected: c === value })));
      break;
    case 'integer': case 'number':
      input = el('input', {
        type: 'number', id, name: parameter.name, value, min: parameter.minimum ?? undefined, max: parameter.maximum ?? undefined,
        step: parameter.kind === 'integer' ? '1' : 'any',
      });
      break;
    default:
      input = el('input', { type: 'text', id, name: parameter.name, value, placeholder: parameter.kind === 'textlist' ? 'comma-separated' : (parameter.kind === 'path' ? 'a path inside the studio\'s folders' : undefined) });
  }
  return el('label', { for: id, title: parameter.description },
    el('span', { class: parameter.required ? 'required' : undefined, text: parameter.name }),
    input,
    el('span', { class: 'muted', text: parameter.description }),
    el('span', { class: 'field-error', dataset: { for: parameter.name } }));
}

let dialogCommand = null;
function openCommand(command, presets = {}) {
  dialogCommand = command;
  $('#command-title').textContent = command.title;
  $('#command-description').textContent = command.description;
  $('#command-error').textContent = '';
  const fields = $('#command-fields');
  fields.replaceChildren(...command.parameters.map(field));
  for (const [name, value] of Object.entries(presets)) {
    const input = fields.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    if (input.type === 'checkbox') input.checked = value === 'true'; else input.value = value;
  }
  $('#command-dialog').showModal();
}

function commandArguments(form) {
  const args = {};
  for (const input of form.querySelectorAll('[name]')) {
    const name = input.getAttribute('name');
    if (input.type === 'checkbox') { args[name] = input.checked ? 'true' : 'false'; continue; }
    if (input.value.trim() !== '') args[name] = input.value.trim();
  }
  return args;
}

function showFieldErrors(root, fields) {
  root.querySelectorAll('.field-error[data-for]').forEach(span => { span.textContent = ''; });
  for (const [name, message] of Object.entries(fields || {})) {
    const span = root.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
    if (span) span.textContent = message;
  }
  root.querySelector('.field-error:not(:empty)')?.closest('label')?.scrollIntoView({ block: 'center' });
}

$('#command-form').addEventListener('submit', async event => {
  if (event.submitter?.value !== 'run') return;
  event.preventDefault();
  try {
    const job = await api(`/api/commands/${encodeURIComponent(dialogCommand.id)}/run`, { arguments: commandArguments($('#command-fields')) });
    updateJob(job);
    $('#command-dialog').close();
  } catch (e) {
    $('#command-error').textContent = e.message;
    showFieldErrors($('#command-fields'), e.fields);
  }
});

async function runCommand(id, args) {
  const job = await api(`/api/commands/${encodeURIComponent(id)}/run`, { arguments: args });
  updateJob(job);
  return job;
}

// ---- jobs ----
function updateJob(job) {
  const known = state.jobs.get(job.id);
  if (known && known.version > job.version) return;
  state.jobs.set(job.id, job);
  renderJob(job);
  const finished = ['succeeded', 'failed', 'cancelled', 'refused'].includes(job.state);
  if (finished && (!known || known.state !== job.state)) onJobFinished(job);
}

// A job's item is built once and updated in place: progress arrives many times a second, and an item replaced
// between a press and its release would swallow the click on its Cancel button.
function renderJob(job) {
  let item = document.querySelector(`#jobs .job[data-id="${job.id}"]`);
  if (!item) {
    item = el('li', { dataset: { id: job.id } },
      el('div', { class: 'head' }, el('strong', { text: job.title }), el('span', { class: 'state' })),
      el('progress', { max: '1' }),
      el('div', { class: 'message' }),
      el('div', { class: 'extras' }));
    $('#jobs').append(item);
  }
  const running = job.state === 'running' || job.state === 'queued';
  item.className = `job ${job.state}`;
  item.dataset.state = job.state;
  item.querySelector('.state').textContent = job.state;
  item.querySelector('progress').value = Number(job.fraction);
  item.querySelector('.message').textContent = job.message;
  const extras = item.querySelector('.extras');
  let preview = extras.querySelector('img.preview');
  if (job.preview) {
    if (!preview) { preview = el('img', { class: 'preview', alt: 'preview' }); extras.prepend(preview); }
    if (preview.getAttribute('src') !== job.preview) preview.src = job.preview;
  } else if (preview) preview.remove();
  const remedy = extras.querySelector('button.remedy');
  if (job.remedy && !remedy) extras.append(remedyButton(job.remedy));
  else if (!job.remedy && remedy) remedy.remove();
  const cancel = extras.querySelector('button.cancel');
  if (running && !cancel)
    extras.append(el('button', { type: 'button', class: 'secondary cancel', text: 'Cancel', onclick: () => api(`/api/jobs/${job.id}/cancel`, {}).then(updateJob) }));
  else if (!running && cancel) cancel.remove();
}

function remedyButton(remedy) {
  const command = state.commands.get(remedy.command);
  return el('button', {
    type: 'button', class: 'remedy', dataset: { command: remedy.command }, text: command ? command.title : remedy.command,
    onclick: () => runCommand(remedy.command, remedy.arguments).catch(e => alert(e.message)),
  });
}

function onJobFinished(job) {
  if (job.kind === 'generate') {
    const status = $('#generate-status');
    if (job.state === 'refused') {
      status.replaceChildren(el('div', { class: 'refusal', id: 'refusal' }, el('div', { class: 'message', text: job.message }), job.remedy ? remedyButton(job.remedy) : null));
    } else if (job.state === 'succeeded') {
      status.replaceChildren(el('div', { class: 'ok', text: job.message }));
    } else {
      status.replaceChildren(el('div', { class: 'refusal', text: job.message }));
    }
    $('#generate-button').disabled = false;
  }
  refreshAll();
}

// ---- generate ----
$('#generate-form').addEventListener('submit', async event => {
  event.preventDefault();
  const form = event.target;
  const number = name => form.elements[name].value === '' ? null : Number(form.elements[name].value);
  const body = {
    prompt: form.elements.prompt.value, negativePrompt: form.elements.negativePrompt.value || null,
    sldConcept: form.elements.sldConcept.value || null, sldPreset: form.elements.sldPreset.value,
    steps: number('steps'), guidance: number('guidance'), seed: number('seed'), count: number('count'), width: number('width'), height: number('height'),
  };
  showFieldErrors(form, {});
  try {
    $('#generate-button').disabled = true;
    $('#generate-status').replaceChildren(el('div', { class: 'muted', text: 'queued…' }));
    updateJob(await api('/api/generate', body));
  } catch (e) {
    $('#generate-button').disabled = false;
    $('#generate-status').replaceChildren(el('div', { class: 'refusal', text: e.message }));
    showFieldErrors(form, e.fields);
  }
});

async function refreshGallery() {
  const { images } = await api('/api/images');
  $('#gallery').replaceChildren(...images.map(image => el('figure', { dataset: { name: image.name } },
    el('img', { src: image.url, alt: image.name }),
    el('figcaption', {}, el('span', { class: 'parameters', text: image.parameters || '(no parameters)' }), ' ',
      el('a', { href: image.download, text: 'download' })))));
}

// ---- models and edits ----
async function refreshModels() {
  const data = await api('/api/models');
  const select = $('#model-select');
  const active = data.active?.path;
  select.replaceChildren(el('option', { value: '', text: active ? '' : '(choose a model)', hidden: !!active }),
    ...data.models.map(m => el('option', { value: m.path, text: `${m.path} (${m.kind})`, selected: m.path === active })));
  const info = data.active;
  $('#model-info').textContent = info
    ? `${info.path} · ${info.device} · ${info.dtype}${info.family ? ' · ' + info.family : ''}${info.loaded ? '' : ' · not loaded yet'}${info.busy ? ' · busy' : ''}`
    : 'no model chosen';
  const live = info?.liveEdit;
  $('#live-edit').replaceChildren(live
    ? el('div', { class: 'live-box', id: 'live-edit-box', dataset: { stamp: live.stamp } },
        el('div', { text: `Live edit: ${live.name || 'unnamed patch'}` }),
        el('div', { class: 'muted', text: `${live.concepts ? 'erases ' + live.concepts.join(', ') + ' · ' : ''}${live.method ? live.method + ' · ' : ''}${live.tensors} tensors · stamp ${live.stamp.slice(0, 16)}` }),
        el('button', { type: 'button', class: 'secondary', id: 'restore-button', text: 'Restore original', onclick: () => api('/api/models/restore', {}).then(updateJob) }))
    : el('div', { class: 'muted', id: 'no-live-edit', text: info?.loaded ? 'The original weights are live.' : '' }));
}
$('#model-select').addEventListener('change', async event => {
  if (!event.target.value) return;
  await api('/api/models/select', { path: event.target.value }).catch(e => alert(e.message));
  refreshAll();
});

async function refreshEdits() {
  const { catalogs } = await api('/api/edits');
  const rows = [];
  for (const catalog of catalogs) {
    for (const edit of catalog.edits) {
      const actions = [
        el('button', { type: 'button', dataset: { action: 'load' }, text: 'Load', onclick: () => runCommand(catalog.load, { [catalog.parameter]: edit.name }) }),
        catalog.delete ? el('button', { type: 'button', class: 'secondary', dataset: { action: 'delete' }, text: 'Delete',
          onclick: () => confirm(`Delete the stored edit '${edit.name}'?`) && runCommand(catalog.delete, { [catalog.parameter]: edit.name }) }) : null,
        catalog.export ? el('button', { type: 'button', class: 'secondary', dataset: { action: 'export' }, text: 'Export',
          onclick: () => openCommand(state.commands.get(catalog.export), { [catalog.parameter]: edit.name }) }) : null,
      ];
      rows.push(el('tr', { class: edit.live ? 'live' : undefined, dataset: { name: edit.name, safe: String(edit.safeCheckpoint) } },
        el('td', { text: edit.name + (edit.live ? ' (live)' : '') }),
        el('td', { text: edit.concepts.join(', ') }),
        el('td', { text: edit.method }),
        el('td', { text: `${edit.family} ${edit.baseFingerprint.slice(0, 10)}${edit.fitsModel === false ? ' (other base)' : ''}`, title: edit.safeCheckpoint ? 'a safe checkpoint for projects' : 'not a safe checkpoint (short run, or another base)' }),
        el('td', { text: new Date(edit.created).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) }),
        el('td', { text: formatBytes(edit.bytes) }),
        el('td', {}, actions)));
    }
  }
  $('#edits tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '7', class: 'muted', text: 'No stored edits yet (Models ▸ Erase concept…).' }))]));
}
const formatBytes = n => n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`;

async function inspectModel() {
  try {
    const report = await api('/api/models/inspect');
    $('#info-title').textContent = 'Inspect model';
    $('#info-body').textContent = JSON.stringify(report, null, 2);
  } catch (e) {
    $('#info-title').textContent = 'Inspect model';
    $('#info-body').textContent = e.message;
  }
  $('#info-dialog').showModal();
}

// ---- projects ----
function openProjectDialog() {
  const form = $('#project-form');
  form.reset();
  showFieldErrors(form, {});
  $('#project-dialog').showModal();
}
$('#project-form').addEventListener('submit', async event => {
  if (event.submitter?.value !== 'create') return;
  event.preventDefault();
  const form = event.target;
  const blocklist = form.elements.blocklist.value.split(',').map(s => s.trim()).filter(Boolean);
  try {
    const job = await api('/api/projects', { name: form.elements.name.value, blocklist });
    if (job.id) updateJob(job);
    $('#project-dialog').close();
    refreshAll();
  } catch (e) { showFieldErrors(form, e.fields || { name: e.message }); }
});

$('#block-form').addEventListener('submit', async event => {
  event.preventDefault();
  const input = event.target.elements.concept;
  if (!input.value.trim()) return;
  const result = await api('/api/projects/block', { concept: input.value }).catch(e => alert(e.message));
  if (result?.id) updateJob(result);
  input.value = '';
  refreshAll();
});

async function refreshProjects() {
  const data = await api('/api/projects');
  const active = data.active;
  $('#block-form').hidden = !active;
  $('#project-info').replaceChildren(active
    ? el('div', {}, el('strong', { id: 'project-name', text: active.name }),
        el('div', { class: 'chips', id: 'blocklist' }, active.blocklist.length ? active.blocklist.map(c => el('span', { class: 'chip', dataset: { concept: c } }, c,
          el('button', { type: 'button', title: `unblock ${c}`, text: '×', onclick: () => api('/api/projects/unblock', { concept: c }).then(r => { if (r.id) updateJob(r); refreshAll(); }) }))) : el('span', { class: 'muted', text: 'blocks nothing' })),
        el('button', { type: 'button', class: 'secondary', text: 'Close project', onclick: () => api('/api/projects/close', {}).then(r => { if (r.id) updateJob(r); refreshAll(); }) }))
    : el('div', { class: 'muted', text: 'No project is open (Project ▸ New project…).' }));
  const status = active?.status;
  // Busy (a command holds the model) or not loaded yet: ask again shortly.
  if (status && !status.known) setTimeout(refreshAll, 1000);
  $('#project-status').replaceChildren(!status ? '' : !status.known ? el('div', { class: 'muted', text: status.message })
    : status.satisfied ? el('div', { class: 'ok', id: 'project-satisfied', text: status.message || 'the live model satisfies the blocklist' })
    : el('div', { class: 'refusal', id: 'project-unsatisfied' }, el('div', { class: 'message', text: status.message }), status.remedy ? remedyButton(status.remedy) : null));
  $('#project-list').replaceChildren(...data.projects.map(p => el('li', { dataset: { folder: p.folder } },
    el('span', { text: `${p.name}${p.blocklist?.length ? ' — blocks ' + p.blocklist.join(', ') : ''}${p.error ? ' (' + p.error + ')' : ''}` }),
    active?.folder === p.folder ? el('span', { class: 'muted', text: 'open' })
      : el('button', { type: 'button', class: 'secondary', text: 'Open', onclick: () => api('/api/projects/open', { folder: p.folder }).then(r => { if (r.id) updateJob(r); refreshAll(); }) }))));
}

// ---- refresh and events ----
// One refresh at a time; a change announced during one is read by another right after it (never dropped).
let refreshing = null, again = false;
function refreshAll() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = Promise.all([refreshModels(), refreshEdits(), refreshProjects(), refreshGallery()])
    .catch(e => console.error(e)).finally(() => {
      refreshing = null;
      if (again) { again = false; refreshAll(); }
    });
  return refreshing;
}

function listen() {
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => { $('#connection').textContent = 'connected'; });
  source.addEventListener('error', () => { $('#connection').textContent = 'reconnecting…'; });
  source.addEventListener('job', event => updateJob(JSON.parse(event.data)));
  source.addEventListener('state', () => refreshAll());
}

(async () => {
  await loadMenus();
  await refreshAll();
  listen();
  document.body.dataset.ready = 'true';
})();
