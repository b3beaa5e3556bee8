/*
 * Shared editor script of the Taobao (TBK) nodes.
 * Served by Node-RED at resources/@tbkflow/node-red-taobaoke/tbk-editor.js. Every node set of the
 * package names it in a <script src> tag, and Node-RED runs it before the set's own scripts: it
 * holds text(), the one text lookup of every tbk editor, and draws the generated method nodes'
 * parameter rows: each method node type embeds a description of its parameters as
 * <script type="application/json" data-tbk-spec="<type>">, from which this script draws one
 * TypedInput row per parameter, storing the filled rows in node.params as
 * { <name>: { value: string, type: 'str'|'num'|'bool'|'json'|'date'|'msg'|'flow'|'global'|'env'|'jsonata' } }.
 * Every entry point is guarded: a failure here must never break the editor.
 */
/* global RED, $, window, document */
(function (root) {
  'use strict';
  if (!root || (root.TbkEditor && root.TbkEditor.version >= 1)) return;

  var DYNAMIC_TYPES = ['msg', 'flow', 'global', 'env', 'jsonata'];
  var SAVED_TYPES = ['str', 'num', 'bool', 'json', 'date', 'msg', 'flow', 'global', 'env', 'jsonata'];
  var UNSET = 'tbk-unset';
  var ENV_REFERENCE = /^\$\{[^}]+\}$/;
  var DATE_TEXT = /^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?\s*$/;

  /*
   * English fallbacks of the tbk.editor.* keys, used when a catalog is missing: the build writes
   * them once per generated node set as <script type="application/json" data-tbk-editor-strings>
   * from nodes/locales/en-US/method-editor.json, so they are kept in one place.
   */
  var fallbackStrings = null;
  function fallbacks() {
    if (fallbackStrings) return fallbackStrings;
    fallbackStrings = {};
    try {
      var elements = document.querySelectorAll('script[data-tbk-editor-strings]');
      if (elements.length > 0) fallbackStrings = JSON.parse(elements[0].textContent || '{}') || {};
    } catch (err) {
      warn('editor strings', err);
    }
    return fallbackStrings;
  }

  var specCache = {};
  /* (width:0 + min-width below keeps long descriptions from widening the edit tray) */
  /* the open editor of each type: { rows: [{name, kind, input}], extra: jQuery list } */
  var open = {};

  function warn(where, err) {
    try {
      console.warn('[tbk-editor] ' + where + ': ' + (err && err.message ? err.message : String(err)));
    } catch {
      /* nothing left to do */
    }
  }

  function has(obj, key) {
    return obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, key);
  }

  function namespaceOf(owner) {
    try {
      var def = owner && owner._def ? owner._def : owner;
      return def && def.set && def.set.id ? def.set.id : null;
    } catch {
      return null;
    }
  }

  /* key in the catalog of the owner's node set (Node-RED's owner._, else RED._ in its namespace) */
  function translate(owner, key) {
    if (owner && typeof owner._ === 'function') return owner._(key);
    var ns = namespaceOf(owner);
    return ns && typeof RED !== 'undefined' && RED && typeof RED._ === 'function' ? RED._(ns + ':' + key) : null;
  }

  /*
   * The text of key (e.g. 'tbk-api.paletteLabel') in the catalog of the owner's node set, the owner
   * being a node or a node definition; fallback when the catalog has none (Node-RED then answers
   * with the key itself) or the lookup fails.
   */
  function text(owner, key, fallback) {
    try {
      var value = translate(owner, key);
      if (typeof value === 'string' && value !== '' && value.indexOf(key) === -1) return value;
    } catch {
      /* fall back */
    }
    return fallback;
  }

  /* tbk.editor.<name> of a generated method node, else its English text. */
  function editorText(owner, name) {
    var strings = fallbacks();
    return text(owner, 'tbk.editor.' + name, has(strings, name) ? strings[name] : name);
  }

  function isChinese() {
    try {
      var lang = typeof RED !== 'undefined' && RED.i18n && typeof RED.i18n.lang === 'function' ? RED.i18n.lang() : '';
      return /^zh/i.test(String(lang || ''));
    } catch {
      return false;
    }
  }

  function specFor(type) {
    if (has(specCache, type)) return specCache[type];
    var found = null;
    try {
      var elements = document.querySelectorAll('script[data-tbk-spec]');
      for (var i = 0; i < elements.length; i++) {
        if (elements[i].getAttribute('data-tbk-spec') === type) {
          found = JSON.parse(elements[i].textContent || '{}');
          break;
        }
      }
    } catch (err) {
      warn('spec ' + type, err);
      found = null;
    }
    if (found && (!found.params || !Array.isArray(found.params))) found.params = [];
    if (found) specCache[type] = found;
    return found;
  }

  function validDateText(value) {
    var s = String(value === undefined || value === null ? '' : value);
    return s.trim() === '' || DATE_TEXT.test(s);
  }

  function typesFor(kind, owner) {
    var unset = { value: UNSET, label: editorText(owner, 'notSet'), hasValue: false };
    switch (kind) {
      case 'number':
        /* str too: ids beyond 2^53 must stay exact */
        return ['num', 'str'].concat(DYNAMIC_TYPES);
      case 'boolean':
        return [unset, 'bool'].concat(DYNAMIC_TYPES);
      case 'date':
        /* replaces Node-RED's "timestamp" type: the runtime reads a date row as a literal GMT+8 date string */
        return [{ value: 'date', label: 'date', icon: 'fa fa-calendar', validate: validDateText }].concat(
          DYNAMIC_TYPES,
        );
      case 'json':
        /* "not set" first: an empty JSON value would show as invalid */
        return [unset, 'json', 'str'].concat(DYNAMIC_TYPES);
      case 'string[]':
      case 'number[]':
        return ['str', 'json'].concat(DYNAMIC_TYPES);
      default:
        return ['str'].concat(DYNAMIC_TYPES);
    }
  }

  function typeValues(types) {
    var out = [];
    for (var i = 0; i < types.length; i++) out.push(typeof types[i] === 'string' ? types[i] : types[i].value);
    return out;
  }

  function describe(param, owner) {
    var zh = isChinese();
    var description = zh ? param.zh || param.en || '' : param.en || param.zh || '';
    var limits = [];
    if (param.default !== undefined && param.default !== '')
      limits.push(editorText(owner, 'default') + ': ' + param.default);
    if (param.min !== undefined || param.max !== undefined)
      limits.push(
        editorText(owner, 'range') +
          ': ' +
          (param.min !== undefined ? param.min : '') +
          '…' +
          (param.max !== undefined ? param.max : ''),
      );
    if (param.maxLength !== undefined) limits.push(editorText(owner, 'maxLength') + ': ' + param.maxLength);
    if (param.enum && param.enum.length) limits.push(editorText(owner, 'allowed') + ': ' + param.enum.join(', '));
    return { description: description, limits: limits.join('; ') };
  }

  function placeholderFor(param, owner) {
    if (param.kind === 'date') return 'yyyy-MM-dd HH:mm:ss';
    if (param.default !== undefined && param.default !== '') return String(param.default);
    if (param.example !== undefined && param.example !== '') return editorText(owner, 'example') + ' ' + param.example;
    return '';
  }

  /* the dialog's rows and the help's tables (which must wrap at the sidebar's default width), once per page */
  function injectStyle() {
    try {
      if (typeof document === 'undefined' || !document.createElement || document.getElementById('tbk-editor-style'))
        return;
      var style = document.createElement('style');
      style.id = 'tbk-editor-style';
      style.textContent =
        '.red-ui-help table.tbk-help-table{min-width:0;width:100%;table-layout:fixed;overflow:visible}' +
        '.tbk-help-table th,.tbk-help-table td{overflow-wrap:anywhere;word-break:break-word;vertical-align:top;padding:3px 4px}' +
        '.tbk-help-table td:first-child{font-family:var(--red-ui-monospace-font,monospace);color:var(--red-ui-text-color-code)}' +
        '.tbk-help-table th:first-child{width:34%}.tbk-help-table th:nth-child(2){width:20%}' +
        '.tbk-help-table small{display:block;opacity:0.8}' +
        '.tbk-help-table tr[class^=d] td:first-child:before{content:"\\2514  "}' +
        '.tbk-help-table tr.d1 td:first-child{padding-left:1em}.tbk-help-table tr.d2 td:first-child{padding-left:2em}.tbk-help-table tr.d3 td:first-child{padding-left:3em}' +
        '.tbk-help-table tr.d4 td:first-child,.tbk-help-table tr.d5 td:first-child,.tbk-help-table tr.d6 td:first-child{padding-left:4em}' +
        '.red-ui-help pre{white-space:pre-wrap;overflow-wrap:anywhere}' +
        '.tbk-params .tbk-param{margin-bottom:8px}' +
        '.tbk-params .tbk-param>label{width:160px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:middle}' +
        '.tbk-params .tbk-param.tbk-required>label{font-weight:bold}' +
        '.tbk-params .tbk-star{color:#d6615e;margin-left:2px}' +
        '.tbk-params .tbk-desc{margin:2px 0 0 164px;width:0;min-width:calc(100% - 164px);font-size:0.85em;opacity:0.8;overflow:hidden;overflow-wrap:anywhere;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical}' +
        '.tbk-params .tbk-undocumented{font-style:italic}' +
        '.tbk-params .tbk-note{font-size:0.9em;opacity:0.8;margin:4px 0 8px;width:0;min-width:100%;overflow-wrap:anywhere}' +
        '.tbk-params .tbk-extra-list{min-height:40px}' +
        '.tbk-badges{margin:4px 0 0 104px}' +
        '.tbk-badge{display:inline-block;font-size:0.8em;padding:1px 6px;margin:2px 4px 2px 0;border-radius:3px;border:1px solid #FF8C42}' +
        '.tbk-badge-warn{border-color:#d6615e;color:#d6615e}' +
        '.tbk-method{user-select:all}' +
        '.tbk-params .tbk-problem{color:var(--red-ui-text-color-error,#d6615e);margin:0 0 8px;overflow-wrap:anywhere}' +
        '.tbk-params .tbk-param.tbk-missing input{border-color:var(--red-ui-form-input-border-error-color,#d6615e)}';
      (document.head || document.body).appendChild(style);
    } catch (err) {
      warn('style', err);
    }
  }

  function setTyped(input, types, saved) {
    var values = typeValues(types);
    var type = saved && values.indexOf(saved.type) !== -1 ? saved.type : values[0];
    input.typedInput({ default: type, types: types });
    input.typedInput('type', type);
    if (saved && typeof saved.value === 'string') input.typedInput('value', saved.value);
    else if (saved && saved.value !== undefined && saved.value !== null) input.typedInput('value', String(saved.value));
  }

  function paramRow(container, owner, param, index, saved, documented) {
    var id = 'tbk-param-' + index;
    var row = $('<div class="form-row tbk-param"></div>').attr('data-name', param.name).appendTo(container);
    if (param.required) row.addClass('tbk-required');
    var info = describe(param, owner);
    var label = $('<label></label>')
      .attr('for', id)
      .attr('title', param.name + (info.description ? '\n' + info.description : ''))
      .appendTo(row);
    $('<span class="tbk-param-name"></span>').text(param.name).appendTo(label);
    if (param.required)
      $('<span class="tbk-star">*</span>').attr('title', editorText(owner, 'required')).appendTo(label);
    if (!documented) label.addClass('tbk-undocumented');
    if (param.kind === 'file') {
      $('<span class="tbk-note"></span>').text(editorText(owner, 'fileParam')).appendTo(row);
      return null;
    }
    var input = $('<input type="text" style="width:calc(100% - 170px)">')
      .attr('id', id)
      .attr('placeholder', placeholderFor(param, owner))
      .appendTo(row);
    var types = typesFor(param.kind, owner);
    setTyped(input, types, saved);
    var tips = [];
    if (param.docType) tips.push(param.docType);
    if (!documented) tips.push(editorText(owner, 'undocumented'));
    if (info.description) tips.push(info.description);
    if (info.limits) tips.push(info.limits);
    if (tips.length) {
      var tip = tips.join(' · ');
      $('<div class="tbk-desc"></div>').text(tip).attr('title', tip).appendTo(row);
    }
    return { name: param.name, kind: param.kind, input: input, element: row };
  }

  function extraList(container, owner, entries) {
    $('<div class="tbk-note"></div>').text(editorText(owner, 'extraParams')).appendTo(container);
    var list = $('<ol class="tbk-extra-list"></ol>').appendTo(container);
    list.editableList({
      addItem: function (item, index, data) {
        try {
          var name = $('<input type="text" class="tbk-extra-name" style="width:30%;margin-right:4px">')
            .attr('placeholder', editorText(owner, 'extraName'))
            .appendTo(item);
          var value = $('<input type="text" class="tbk-extra-value" style="width:calc(70% - 10px)">').appendTo(item);
          name.val(data && data.name ? data.name : '');
          setTyped(value, ['str', 'num', 'bool', 'json'].concat(DYNAMIC_TYPES), data && data.entry ? data.entry : null);
        } catch (err) {
          warn('extra row', err);
        }
      },
      removable: true,
      sortable: false,
      height: 'auto',
    });
    for (var i = 0; i < entries.length; i++) list.editableList('addItem', entries[i]);
    return list;
  }

  function keep(type, value) {
    if (type === UNSET || SAVED_TYPES.indexOf(type) === -1) return false;
    return typeof value === 'string' && value.trim() !== '';
  }

  /* The rows of an open dialog as node.params saves them. */
  function readRows(state) {
    var params = {};
    var i;
    for (i = 0; i < state.rows.length; i++) {
      var row = state.rows[i];
      var rowType = row.input.typedInput('type');
      var rowValue = row.input.typedInput('value');
      if (keep(rowType, rowValue)) params[row.name] = { value: String(rowValue), type: rowType };
    }
    if (state.extra) {
      state.extra.editableList('items').each(function () {
        try {
          var item = $(this);
          var name = String(item.find('.tbk-extra-name').val() || '').trim();
          var input = item.find('.tbk-extra-value');
          var extraType = input.typedInput('type');
          var extraValue = input.typedInput('value');
          if (name && !has(params, name) && name !== '__proto__' && keep(extraType, extraValue))
            params[name] = { value: String(extraValue), type: extraType };
        } catch (err) {
          warn('extra save', err);
        }
      });
    }
    return params;
  }

  /*
   * The required parameters with no row: neither set in the node nor mapped from msg (a row of
   * type msg, flow, global, env or JSONata). File parameters can only come in msg.payload, and a
   * method whose parameters are not validated is not checked either (as at runtime).
   */
  function missingRequired(params, spec) {
    var missing = [];
    if (!spec || spec.validate === false) return missing;
    var saved = params && typeof params === 'object' && !Array.isArray(params) ? params : {};
    for (var i = 0; i < spec.params.length; i++) {
      var param = spec.params[i];
      if (!param.required || param.kind === 'file') continue;
      var entry = has(saved, param.name) ? saved[param.name] : null;
      if (
        !entry ||
        typeof entry !== 'object' ||
        !keep(entry.type, entry.value === undefined || entry.value === null ? '' : String(entry.value))
      )
        missing.push(param.name);
    }
    return missing;
  }

  function missingText(owner, missing) {
    return editorText(owner, 'missingRequired') + ': ' + missing.join(', ');
  }

  /* The open dialog's verdict on its required rows: the rows marked, the reason shown above them. */
  function showProblems(state, owner) {
    try {
      var missing = missingRequired(readRows(state), state.spec);
      for (var i = 0; i < state.rows.length; i++)
        state.rows[i].element.toggleClass('tbk-missing', missing.indexOf(state.rows[i].name) !== -1);
      state.problem.toggle(missing.length > 0);
      state.problem.find('.tbk-problem-text').text(missing.length ? missingText(owner, missing) : '');
    } catch (err) {
      warn('required', err);
    }
  }

  var api = {
    version: 1,

    /*
     * The definition's validate for params: every saved row has a known type and a well-formed
     * value (else false), and every required parameter has a row (else the reason, as text).
     */
    validateParams: function (value, type, owner) {
      try {
        var spec = type ? specFor(type) : null;
        if (value === undefined || value === null || value === '') value = {};
        if (typeof value !== 'object' || Array.isArray(value)) return false;
        var kinds = {};
        if (spec) for (var i = 0; i < spec.params.length; i++) kinds[spec.params[i].name] = spec.params[i].kind;
        for (var name in value) {
          if (!has(value, name)) continue;
          var entry = value[name];
          if (!entry || typeof entry !== 'object' || SAVED_TYPES.indexOf(entry.type) === -1) return false;
          var v = entry.value === undefined || entry.value === null ? '' : String(entry.value);
          if (entry.type === 'num' && !(ENV_REFERENCE.test(v.trim()) || (v.trim() !== '' && isFinite(Number(v)))))
            return false;
          if (entry.type === 'json') {
            try {
              JSON.parse(v);
            } catch {
              return false;
            }
          }
          if (entry.type === 'bool' && v !== 'true' && v !== 'false') return false;
          if (entry.type === 'date' && v.trim() !== '' && !DATE_TEXT.test(v)) return false;
          if (
            kinds[name] === 'number' &&
            entry.type === 'str' &&
            v.trim() !== '' &&
            !ENV_REFERENCE.test(v.trim()) &&
            !/^-?[0-9]+(\.[0-9]+)?$/.test(v.trim())
          )
            return false;
        }
        var missing = missingRequired(value, spec);
        return missing.length ? missingText(owner, missing) : true;
      } catch (err) {
        warn('validate', err);
        return true;
      }
    },

    prepare: function (node, type) {
      try {
        injectStyle();
        var spec = specFor(type);
        var container = $('#tbk-params-' + type);
        if (!container.length || !spec) return;
        container.empty();
        var saved =
          node && node.params && typeof node.params === 'object' && !Array.isArray(node.params) ? node.params : {};
        var state = { rows: [], extra: null, spec: spec, problem: null };
        /* why the node is invalid, kept current as the rows change */
        state.problem = $(
          '<div class="tbk-problem"><i class="fa fa-exclamation-triangle"></i> <span class="tbk-problem-text"></span><div class="form-tips"></div></div>',
        )
          .hide()
          .appendTo(container);
        state.problem.find('.form-tips').text(editorText(node, 'missingRequiredTip'));
        var documented = {};
        var ordered = [];
        var i;
        for (i = 0; i < spec.params.length; i++) if (spec.params[i].required) ordered.push(spec.params[i]);
        for (i = 0; i < spec.params.length; i++) if (!spec.params[i].required) ordered.push(spec.params[i]);
        if (!ordered.length) $('<div class="tbk-note"></div>').text(editorText(node, 'noParams')).appendTo(container);
        for (i = 0; i < ordered.length; i++) {
          documented[ordered[i].name] = true;
          try {
            var row = paramRow(
              container,
              node,
              ordered[i],
              i,
              has(saved, ordered[i].name) ? saved[ordered[i].name] : null,
              true,
            );
            if (row) state.rows.push(row);
          } catch (err) {
            warn('row ' + ordered[i].name, err);
          }
        }
        var extras = [];
        for (var name in saved) {
          if (has(saved, name) && !documented[name]) extras.push({ name: name, entry: saved[name] });
        }
        try {
          state.extra = extraList(container, node, extras);
        } catch (err) {
          warn('extra list', err);
        }
        $('<div class="tbk-note"></div>').text(editorText(node, 'payloadNote')).appendTo(container);
        if (spec.docUrl) {
          $('<a target="_blank" rel="noopener noreferrer"></a>')
            .attr('href', spec.docUrl)
            .text(spec.method + ' ' + editorText(node, 'docs'))
            .appendTo($('<div class="tbk-note"></div>').appendTo(container));
        }
        /* a node imported without these properties gets the defaults shown, not an empty select */
        if (!$('#node-input-errorMode').val()) $('#node-input-errorMode').val('auto');
        if ($('#node-input-paging').length && !$('#node-input-paging').val()) $('#node-input-paging').val('one');
        if ($('#node-input-maxPages').length && !String($('#node-input-maxPages').val() || '').trim())
          $('#node-input-maxPages').val('10');
        var paging = $('#node-input-paging');
        if (paging.length) {
          var toggle = function () {
            $('.tbk-max-pages-row').toggle(paging.val() !== 'one');
          };
          paging.on('change', toggle);
          toggle();
        }
        open[type] = state;
        container.on('change input', function () {
          showProblems(state, node);
        });
        showProblems(state, node);
      } catch (err) {
        warn('prepare ' + type, err);
      }
    },

    /* Reads the rows back into node.params; leaves node.params alone when the form was not drawn. */
    save: function (node, type) {
      try {
        var state = open[type];
        delete open[type];
        if (!state || !node) return undefined;
        node.params = readRows(state);
        return undefined;
      } catch (err) {
        warn('save ' + type, err);
        return undefined;
      }
    },

    cancel: function (node, type) {
      delete open[type];
    },

    resize: function () {
      /* rows are percentage based */
    },

    /* Adds the method name and both labels to what the palette filter matches (it matches the type and data-palette-label). */
    paletteAdd: function (def, type, terms) {
      try {
        var el = $('.red-ui-palette-node[data-palette-type="' + type + '"]');
        if (!el.length) return;
        var current = el.attr('data-palette-label') || '';
        if (current.indexOf(terms) === -1) el.attr('data-palette-label', current + ' ' + terms);
      } catch (err) {
        warn('palette ' + type, err);
      }
    },

    specFor: function (type) {
      try {
        return specFor(type);
      } catch {
        return null;
      }
    },

    text: text,
    editorText: editorText,
  };

  root.TbkEditor = api;
  injectStyle();
})(typeof window !== 'undefined' ? window : this);
