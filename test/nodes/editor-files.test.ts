import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { buildNodes } from '../../scripts/build-nodes';
import { htmlForRole } from '../../scripts/editor-html';
import { labelProblems } from '../../scripts/locale-catalogs';
import { CATEGORIES, LANGS, ROLES } from '../../scripts/node-sets';
import { readUiStrings } from '../../scripts/ui-strings';
import { loadSpecs, SPECS_DIR } from '../../lib/method-specs';
import type { MethodSpec, Role } from '../../lib/method-specs/types';
import { REPO_ROOT } from '../support/paths';

const PACKAGE_NAME = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string }).name;
const EDITOR_SCRIPT = readFileSync(join(REPO_ROOT, 'resources', 'tbk-editor.js'), 'utf8');
const UI_STRINGS = readUiStrings(join(REPO_ROOT, 'nodes', 'locales'));

interface ScriptTag {
  attrs: string;
  body: string;
}

function scripts(html: string): ScriptTag[] {
  const out: ScriptTag[] = [];
  const re = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html)) !== null) out.push({ attrs: m[1]!, body: m[2]! });
  return out;
}

function attr(tag: ScriptTag, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag.attrs);
  return m ? m[1] : undefined;
}

/** Objects made in a vm context have another Object prototype: compare plain copies. */
function plain(value: unknown): any {
  return JSON.parse(JSON.stringify(value));
}

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function lookup(catalog: any, key: string): unknown {
  let current = catalog;
  for (const part of key.split('.')) {
    if (current === null || typeof current !== 'object' || !(part in current)) return undefined;
    current = current[part];
  }
  return current;
}

/** data-i18n keys of a template, without their [attribute] prefix. */
function i18nKeys(html: string): string[] {
  const keys: string[] = [];
  const re = /data-i18n="([^"]+)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html)) !== null) for (const key of m[1]!.split(';')) keys.push(key.replace(/^\[[^\]]+\]/, ''));
  return keys;
}

interface FakeElement {
  attrs: Record<string, string>;
  textContent: string;
  getAttribute(name: string): string | null;
}

/**
 * The <script> elements of a page as a document the definition scripts can query (attribute
 * selectors only), as the editor has them: the node set's HTML, then its help.
 */
function fakeDocument(html: string): { elements: FakeElement[]; document: Record<string, unknown> } {
  const elements: FakeElement[] = scripts(html).map((tag) => {
    const attrs: Record<string, string> = {};
    for (const m of tag.attrs.matchAll(/([\w-]+)(?:\s*=\s*"([^"]*)")?/g)) attrs[m[1]!] = m[2] ?? '';
    return { attrs, textContent: tag.body, getAttribute: (name: string) => (name in attrs ? attrs[name]! : null) };
  });
  const matches = (element: FakeElement, selector: string): boolean => {
    const m = /^script\[([\w-]+)(?:([\^]?=)"([^"]*)")?\]$/.exec(selector);
    if (!m) throw new Error(`selector not supported by the fake document: ${selector}`);
    const value = element.attrs[m[1]!];
    if (value === undefined) return false;
    return m[2] === undefined || (m[2] === '=' ? value === m[3] : value.startsWith(m[3]!));
  };
  const document = {
    querySelectorAll: (selector: string) => elements.filter((e) => matches(e, selector)),
    querySelector: (selector: string) => elements.find((e) => matches(e, selector)) ?? null,
    getElementById: () => null,
    createElement: () => ({}),
  };
  return { elements, document };
}

/** Runs a node set's definition scripts against a stub RED (and a document of the page); returns the registered definitions. */
function loadDefinitions(
  html: string,
  window: Record<string, unknown> = {},
  globals: Record<string, unknown> = {},
): { defs: Record<string, any>; order: string[]; elements: FakeElement[] } {
  const defs: Record<string, any> = {};
  const order: string[] = [];
  const RED = {
    nodes: {
      registerType(type: string, def: Record<string, unknown>) {
        assert.ok(!(type in defs), `${type} registered twice`);
        def.type = type; // as Node-RED's registry does
        defs[type] = def;
        order.push(type);
      },
    },
  };
  const { elements, document } = fakeDocument(html);
  const context = vm.createContext({ RED, window, document, console: { warn() {}, log() {} }, ...globals });
  for (const tag of scripts(html)) {
    if (attr(tag, 'type') === 'text/javascript' && attr(tag, 'src') === undefined)
      vm.runInContext(tag.body, context, { timeout: 2000 });
  }
  return { defs, order, elements };
}

/** A window with the shared editor script run in it, as Node-RED runs a page's <script src> before its other scripts. */
function withSharedScript(): Record<string, unknown> {
  const window: Record<string, unknown> = {};
  const document = { querySelectorAll: () => [], getElementById: () => null };
  vm.runInContext(EDITOR_SCRIPT, vm.createContext({ window, document, console: { warn() {} } }), { timeout: 2000 });
  return window;
}

/** A translate function over a locale catalog, as Node-RED gives a definition (`this._`): the key itself when missing. */
function translator(catalog: any): (key: string) => string {
  return (key: string) => {
    const value = lookup(catalog, key);
    return typeof value === 'string' ? value : key;
  };
}

function sampleSpecs(): MethodSpec[] {
  const base = {
    version: 1,
    confidence: 'doc',
    auth: 'none' as const,
    writes: false,
    validate: true,
    response: [],
    errors: [],
    sources: ['test'],
  };
  return [
    {
      ...base,
      method: 'taobao.tbk.dg.material.optional.upgrade',
      type: 'tbk-dg-material-optional-upgrade',
      title: { zh: '淘宝客-推广者-物料搜索升级版', en: 'Material search (upgraded)' },
      label: { zh: '物料搜索', en: "Material's search" },
      role: 'promoter',
      catalogRole: 'promoter',
      status: 'resolved',
      docId: 64759,
      params: [
        {
          name: 'q',
          kind: 'string',
          docType: 'String',
          required: false,
          description: '查询词 </script><script>alert(1)</script>',
          descriptionEn: 'query & "words"',
          example: '手机',
        },
        {
          name: 'adzone_id',
          kind: 'number',
          docType: 'Number',
          required: true,
          description: '推广位 id',
          example: '123456789',
        },
        {
          name: 'page_size',
          kind: 'number',
          docType: 'Number',
          required: false,
          description: '页大小',
          default: '20',
          min: 1,
          max: 100,
          example: '20',
        },
        {
          name: 'is_tmall',
          kind: 'boolean',
          docType: 'Boolean',
          required: false,
          description: '天猫',
          example: 'true',
        },
      ],
      response: [
        {
          name: 'result_list',
          docType: 'MapData[]',
          description: '结果 <b>',
          children: [{ name: 'item_id', docType: 'String', description: '商品 id', example: 'abc' }],
        },
      ],
      errors: [
        {
          code: 'isv.invalid-parameter',
          desc: '参数错误 <i>',
          solution: '检查参数 https://open.taobao.com/doc.htm?docId=1&docType=1',
        },
      ],
      paging: {
        style: 'page',
        pageParam: 'page_no',
        sizeParam: 'page_size',
        totalPath: 'total_results',
        listPath: 'result_list',
      },
    },
    {
      ...base,
      method: 'taobao.tbk.sc.rta.consumer.match',
      type: 'tbk-sc-rta-consumer-match',
      title: { zh: '淘宝客-服务商-定向活动目标发布', en: 'RTA consumer match' },
      label: { zh: '定向活动目标发布', en: 'RTA match' },
      role: 'provider',
      catalogRole: 'provider',
      status: 'method-inferred',
      confidence: 'inferred',
      auth: 'required',
      validate: false,
      sibling: 'taobao.tbk.rta.consumer.match',
      params: [],
    },
    {
      ...base,
      method: 'taobao.tbk.sc.publisher.info.save',
      type: 'tbk-sc-publisher-info-save',
      title: { zh: '淘宝客-公用-私域用户备案', en: 'Register publisher' },
      label: { zh: '私域用户备案', en: 'Save publisher' },
      role: 'common',
      catalogRole: 'common',
      status: 'resolved',
      writes: true,
      params: [
        {
          name: 'inviter_code',
          kind: 'string',
          docType: 'String',
          required: true,
          description: '邀请码',
          example: 'xxx',
        },
      ],
    },
    {
      ...base,
      method: 'taobao.tbk.other.thing.get',
      type: 'tbk-other-thing-get',
      title: { zh: '其他', en: 'Other thing' },
      label: { zh: '其他', en: 'Other' },
      role: 'other',
      catalogRole: 'content-partner',
      status: 'resolved',
      params: [
        {
          name: 'start_time',
          kind: 'date',
          docType: 'Date',
          required: false,
          description: '开始时间',
          example: '2024-01-01 00:00:00',
        },
        { name: 'image', kind: 'file', docType: 'byte[]', required: false, description: '图片' },
        { name: 'ids', kind: 'number[]', docType: 'Number[]', required: false, description: 'ids', example: '[1,2]' },
      ],
    },
  ];
}

function checkBuild(label: string, getSpecs: () => { specsDir: string; specs: MethodSpec[] }): void {
  describe(`editor files (${label})`, function () {
    let outDir = '';
    let specs: MethodSpec[] = [];
    let tmp = '';

    before(function () {
      const source = getSpecs();
      if (!source.specs.length) return this.skip();
      specs = source.specs;
      tmp = mkdtempSync(join(tmpdir(), 'tbk-editor-'));
      outDir = join(tmp, 'nodes');
      const result = buildNodes({ rootDir: REPO_ROOT, specsDir: source.specsDir, outDir });
      assert.deepEqual([...result.types].sort(), specs.map((s) => s.type).sort());
    });

    after(function () {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    const byRole = (role: Role) => specs.filter((s) => s.role === role);
    const html = (role: Role) => readFileSync(join(outDir, `tbk-${role}.html`), 'utf8');
    const help = (role: Role, lang: string) => readFileSync(join(outDir, 'locales', lang, `tbk-${role}.html`), 'utf8');
    const catalog = (role: Role, lang: string) => readJson(join(outDir, 'locales', lang, `tbk-${role}.json`));

    it('writes one node-set HTML per role with a literal registerType, a template and an embedded description per type', function () {
      for (const role of ROLES) {
        const page = html(role);
        const registered = [...page.matchAll(/RED\.nodes\.registerType\(\s*'([^']+)'\s*,\s*\{/g)].map((m) => m[1]);
        assert.deepEqual(
          registered.sort(),
          byRole(role)
            .map((s) => s.type)
            .sort(),
          `registerType calls of ${role}`,
        );
        // what Node-RED's loader reads from the file: the template names are the set's types, and no help (it lives in locales/)
        const loaderTypes = [...page.matchAll(/<script (?:[^>]*)data-template-name\s*=\s*['"]([^'"]*)['"]/gi)].map(
          (m) => m[1],
        );
        assert.deepEqual(loaderTypes.sort(), registered.sort());
        assert.doesNotMatch(page, /data-help-name/);
        assert.ok(
          page.includes(`<script type="text/javascript" src="resources/${PACKAGE_NAME}/tbk-editor.js"></script>`),
          'shared editor script tag',
        );
        // the definition script fills each type's template from the set's shared one
        const { elements } = loadDefinitions(page);
        const tags = scripts(page);
        for (const spec of byRole(role)) {
          const template = elements.find((e) => e.attrs['data-template-name'] === spec.type);
          assert.ok(template && template.attrs.type === 'text/html', `template of ${spec.type}`);
          for (const id of [
            'node-input-config',
            'node-input-name',
            `tbk-params-${spec.type}`,
            'node-input-allowExtra',
            'node-input-errorMode',
          ]) {
            assert.ok(template.textContent.includes(`id="${id}"`), `${spec.type}: #${id}`);
          }
          assert.ok(
            template.textContent.includes(`<code class="tbk-method">${spec.method}</code>`),
            `${spec.type}: method`,
          );
          assert.equal(
            template.textContent.includes('id="node-input-paging"'),
            Boolean(spec.paging),
            `${spec.type}: paging row only with spec.paging`,
          );
          assert.equal(
            template.textContent.includes('tbk.editor.writes'),
            spec.writes,
            `${spec.type}: the writes badge`,
          );
          assert.doesNotMatch(template.textContent, /\{\{\w+\}\}|<!--\/?paging-->/);
          const description = tags.find((t) => attr(t, 'data-tbk-spec') === spec.type);
          assert.ok(description && attr(description, 'type') === 'application/json', `description of ${spec.type}`);
          const parsed = JSON.parse(description.body);
          assert.equal(parsed.method, spec.method);
          assert.deepEqual(
            parsed.params.map((p: any) => [p.name, p.kind, p.required]),
            spec.params.map((p) => [p.name, p.kind, p.required]),
          );
          assert.doesNotMatch(description.body, /<\/?script/i);
        }
      }
    });

    it('writes help in en-US and zh-CN for every type, summary and official page first, with inputs, outputs and details', function () {
      for (const role of ROLES) {
        for (const lang of LANGS) {
          const helpFile = help(role, lang);
          assert.equal(
            scripts(helpFile).filter((t) => attr(t, 'data-help-name')).length,
            byRole(role).length,
            `${role} ${lang}: one help per type`,
          );
          // as the editor shows it: the shared sections put in place by the definition script
          const { elements } = loadDefinitions(html(role) + helpFile);
          for (const spec of byRole(role)) {
            const tag = elements.find((e) => e.attrs['data-help-name'] === spec.type);
            assert.ok(tag && tag.attrs.type === 'text/html', `${lang} help of ${spec.type}`);
            const body = tag.textContent.trim();
            assert.doesNotMatch(body, /<!--tbk:|\{\{value\}\}/, `${spec.type} ${lang}: every shared section in place`);
            const first = /^<p>([\s\S]*?)<\/p>/.exec(body);
            assert.ok(
              first && first[1]!.includes(spec.method),
              `${spec.type} ${lang}: first paragraph names the method`,
            );
            if (spec.docId)
              assert.ok(
                first![1]!.includes(
                  `<a href="https://open.taobao.com/api.htm?docId=${spec.docId}&amp;docType=2" target="_blank">`,
                ),
                `${spec.type}: the official page, in the first paragraph`,
              );
            else
              assert.ok(
                body.includes(lang === 'zh-CN' ? '没有该方法的官方文档页' : 'No official document page is known'),
                `${spec.type}: says it has no official page`,
              );
            assert.match(body, /<h3>[^<]+<\/h3><dl class="message-properties"><dt class="optional">payload/);
            assert.match(body, /<ol class="node-ports">/);
            assert.ok(
              body.includes(`<code>${spec.method.replace(/^taobao\./, '').replace(/\./g, '_')}_response</code>`),
              `${spec.type}: the response key`,
            );
            assert.ok(
              body.includes('request_id, attempts, duration_ms') && body.includes('sub_code, sub_msg'),
              'msg.tbk and msg.error shapes',
            );
            assert.doesNotMatch(body, /<script|alert\(1\)<\/script>/i, 'spec text is escaped');
            for (const p of spec.params)
              assert.ok(body.includes(`<tr><td>${p.name}`), `${spec.type} ${lang}: parameter ${p.name}`);
            if (spec.params.some((p) => p.required))
              assert.ok(
                body.includes(lang === 'zh-CN' ? '映射到 msg' : 'mapped from msg'),
                `${spec.type}: how to map a required parameter`,
              );
            if (spec.status === 'method-inferred')
              assert.ok(body.includes(lang === 'zh-CN' ? '未确认' : 'Unconfirmed'), `${spec.type}: unconfirmed note`);
            if (!spec.validate && spec.sibling)
              assert.ok(body.includes(`<code>${spec.sibling}</code>`), `${spec.type}: sibling`);
            if (spec.role === 'provider' || spec.auth === 'required')
              assert.match(body, /<dt class="optional">session/);
            if (spec.paging) assert.ok(body.includes('msg.tbk.partial'), `${spec.type}: paging`);
            for (const e of spec.errors)
              assert.ok(
                body.includes(e.code.replace(/&/g, '&amp;').replace(/</g, '&lt;')),
                `${spec.type}: error ${e.code}`,
              );
          }
        }
      }
    });

    it('node definitions run without errors and match the runtime contract', function () {
      for (const role of ROLES) {
        const { defs } = loadDefinitions(html(role));
        const translated = loadDefinitions(html(role), withSharedScript()).defs;
        assert.deepEqual(
          Object.keys(defs).sort(),
          byRole(role)
            .map((s) => s.type)
            .sort(),
        );
        for (const spec of byRole(role)) {
          const def = defs[spec.type];
          assert.equal(def.category, CATEGORIES[role]);
          assert.equal(def.inputs, 1);
          assert.equal(def.outputs, 2);
          assert.equal(def.icon, 'taobao.svg');
          assert.match(def.color, /^#[0-9A-F]{6}$/i);
          const defaults = plain(
            Object.fromEntries(Object.entries(def.defaults).map(([k, v]: [string, any]) => [k, v.value])),
          );
          assert.deepEqual(defaults, {
            name: '',
            config: '',
            version: spec.version,
            params: {},
            allowExtra: false,
            errorMode: 'auto',
            paging: 'one',
            maxPages: 10,
          });
          assert.equal(def.defaults.config.type, 'tbk-config');
          assert.equal(def.defaults.config.required, true);
          for (const fn of ['oneditprepare', 'oneditsave', 'paletteLabel', 'label', 'outputLabels'])
            assert.equal(typeof def[fn], 'function', `${spec.type}.${fn}`);
          // without the shared script nothing throws and the English label is the fallback
          assert.equal(def.paletteLabel.call(def), spec.label.en || spec.label.zh);
          assert.doesNotThrow(() => def.oneditprepare.call({ type: spec.type, params: {} }));
          assert.doesNotThrow(() => def.oneditsave.call({ type: spec.type, params: {} }));
          assert.equal(
            def.defaults.params.validate.call({ type: spec.type }, { x: { value: '1', type: 'nope' } }, {}),
            true,
            'no shared script: no verdict',
          );
          assert.equal(def.defaults.params.validate.length, 2, 'a validator that can give Node-RED its reason');
          assert.equal(def.inputLabels.call({ type: spec.type }), spec.method);
          // with the shared script (whose text() does every lookup) and Node-RED's translate function: the localized label
          const shown = translated[spec.type];
          for (const lang of LANGS) {
            const _ = translator(catalog(role, lang));
            const expected = lang === 'zh-CN' ? spec.label.zh : spec.label.en;
            assert.equal(shown.paletteLabel.call({ ...shown, _ }), expected || spec.label.en || spec.label.zh);
            assert.equal(
              shown.label.call({ _, type: spec.type, name: '' }),
              expected || spec.label.en || spec.label.zh,
            );
            assert.equal(shown.outputLabels.call({ _ }, 1), lang === 'zh-CN' ? '错误' : 'error');
          }
          assert.equal(def.label.call({ name: 'mine' }), 'mine');
        }
      }
    });

    it('delegates the edit dialog to the shared script and contains its failures', function () {
      for (const role of ROLES) {
        const calls: unknown[][] = [];
        const TbkEditor = {
          prepare: (...args: unknown[]) => calls.push(['prepare', ...args]),
          save: (...args: unknown[]) => calls.push(['save', ...args]),
          paletteAdd: () => {
            throw new Error('boom');
          },
        };
        const { defs } = loadDefinitions(html(role), { TbkEditor });
        for (const spec of byRole(role)) {
          const node = { type: spec.type, params: {} };
          defs[spec.type].oneditprepare.call(node);
          defs[spec.type].oneditsave.call(node);
          assert.doesNotThrow(
            () => defs[spec.type].onpaletteadd.call(defs[spec.type]),
            'a throwing shared script is contained',
          );
          assert.deepEqual(calls.slice(-2), [
            ['prepare', node, spec.type],
            ['save', node, spec.type],
          ]);
        }
      }
    });

    it('has locale entries for every type and the palette categories in en-US and zh-CN', function () {
      for (const role of ROLES) {
        for (const lang of LANGS) {
          const cat = catalog(role, lang);
          for (const spec of byRole(role)) {
            const entry = cat[spec.type];
            assert.ok(entry, `${lang} ${spec.type}`);
            assert.equal(
              entry.paletteLabel,
              (lang === 'zh-CN' ? spec.label.zh : spec.label.en) || spec.label.en || spec.label.zh,
            );
            assert.deepEqual(entry.label, spec.label);
          }
          for (const r of ROLES)
            assert.equal(typeof lookup(cat, `palette.label.${CATEGORIES[r].replace(/ /g, '_')}`), 'string');
          assert.deepEqual(Object.keys(cat.tbk.editor).sort(), Object.keys(UI_STRINGS['en-US'].editor).sort());
          for (const key of i18nKeys(html(role)))
            assert.equal(typeof lookup(cat, key), 'string', `${role} ${lang}: ${key}`);
        }
        assert.equal(
          lookup(catalog(role, 'zh-CN'), `palette.label.tbk_${role}`),
          { promoter: '淘宝客·推广者', provider: '淘宝客·服务商', common: '淘宝客·公用', other: '淘宝客·其他' }[role],
        );
      }
    });

    it('copies the hand-written editor files and the icons beside the node sets', function () {
      for (const file of [
        'tbk-config.html',
        'tbk-api.html',
        'icons/taobao.svg',
        'icons/tbk-config.svg',
        'icons/tbk-api.svg',
      ])
        assert.ok(existsSync(join(outDir, file)), file);
      for (const lang of LANGS)
        for (const name of ['tbk-config', 'tbk-api'])
          for (const ext of ['json', 'html'])
            assert.ok(existsSync(join(outDir, 'locales', lang, `${name}.${ext}`)), `${lang}/${name}.${ext}`);
    });

    it('gives the hand-written catalogues the palette titles of palette.json, and ships no UI strings file as it is', function () {
      for (const lang of LANGS) {
        for (const name of ['tbk-api', 'tbk-link-convert', 'tbk-order-sync']) {
          const cat = readJson(join(outDir, 'locales', lang, `${name}.json`));
          assert.equal(typeof lookup(cat, `${name}.paletteLabel`), 'string', `${lang} ${name}: its own texts`);
          for (const r of ROLES) {
            const title = UI_STRINGS[lang].palette[CATEGORIES[r]];
            assert.equal(
              lookup(cat, `palette.label.${CATEGORIES[r].replace(/ /g, '_')}`),
              title,
              `${lang} ${name}: the title of ${CATEGORIES[r]}`,
            );
          }
        }
        for (const file of ['palette.json', 'method-editor.json', 'method-help.json'])
          assert.ok(!existsSync(join(outDir, 'locales', lang, file)), `${lang}/${file}`);
      }
    });
  });
}

const fixtureDirs: string[] = [];
after(function () {
  for (const dir of fixtureDirs) rmSync(dir, { recursive: true, force: true });
});

checkBuild('fixture specs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tbk-specs-'));
  fixtureDirs.push(dir);
  const specs = sampleSpecs();
  for (const spec of specs) writeFileSync(join(dir, `${spec.method}.json`), JSON.stringify(spec));
  return { specsDir: dir, specs: loadSpecs(dir) };
});

checkBuild('specs/methods', () => {
  const present = existsSync(SPECS_DIR) && readdirSync(SPECS_DIR).some((f) => f.endsWith('.json'));
  return { specsDir: SPECS_DIR, specs: present ? loadSpecs(SPECS_DIR) : [] };
});

describe('editor files: build guards', function () {
  it('refuses palette labels two node types share, or that the palette would show as an entity', function () {
    const [first, , third] = sampleSpecs();
    assert.deepEqual(labelProblems([first!, third!]), []);
    const twin = { ...third!, type: 'tbk-twin', label: { ...first!.label } };
    assert.match(
      labelProblems([first!, twin]).join('\n'),
      /"物料搜索" is the palette label of tbk-dg-material-optional-upgrade, tbk-twin/,
    );
    const entity = { ...third!, label: { zh: '解析&转链', en: 'Parse & convert' } };
    assert.match(labelProblems([entity]).join('\n'), /shows as an HTML entity/);
  });

  it('labels every node type of specs/methods apart, in both languages, without entities', function () {
    assert.deepEqual(labelProblems(loadSpecs(), join(REPO_ROOT, 'nodes', 'locales')), []);
  });

  it('refuses a node type that could break out of the generated script', function () {
    const dir = mkdtempSync(join(tmpdir(), 'tbk-specs-bad-'));
    try {
      const spec = { ...sampleSpecs()[2]!, type: "tbk-x'); alert(1); ('" };
      writeFileSync(join(dir, 'bad.json'), JSON.stringify(spec));
      assert.throws(
        () => buildNodes({ rootDir: REPO_ROOT, specsDir: dir, outDir: join(dir, 'out') }),
        /invalid node type/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shared editor script (resources/tbk-editor.js)', function () {
  function load(descriptions: Record<string, unknown>): any {
    const elements = Object.entries(descriptions).map(([type, body]) => ({
      getAttribute: () => type,
      textContent: JSON.stringify(body),
    }));
    // the strings element as a generated node set writes it
    const page = htmlForRole('common', [], PACKAGE_NAME, UI_STRINGS['en-US'].editor);
    const strings = /<script type="application\/json" data-tbk-editor-strings>(.*?)<\/script>/.exec(page)![1]!;
    const window: Record<string, any> = {};
    const warnings: string[] = [];
    const context = vm.createContext({
      window,
      document: {
        querySelectorAll: (selector: string) =>
          selector.includes('data-tbk-editor-strings') ? [{ textContent: strings }] : elements,
        getElementById: () => null,
      },
      console: { warn: (m: string) => warnings.push(m) },
    });
    vm.runInContext(EDITOR_SCRIPT, context, { timeout: 2000 });
    window.TbkEditor.warnings = warnings;
    return window.TbkEditor;
  }
  const description = {
    type: 'tbk-x',
    method: 'taobao.tbk.x',
    params: [
      { name: 'adzone_id', kind: 'number' },
      { name: 'start_time', kind: 'date' },
    ],
  };

  it('loads without RED or jQuery and never throws from its entry points', function () {
    const editor = load({ 'tbk-x': description });
    assert.equal(editor.version, 1);
    assert.doesNotThrow(() => editor.prepare({ params: {} }, 'tbk-x'));
    assert.doesNotThrow(() => editor.save({ params: {} }, 'tbk-x'));
    assert.doesNotThrow(() => editor.paletteAdd({}, 'tbk-x', 'taobao.tbk.x'));
    assert.ok(editor.warnings.length >= 1, 'failures are reported on the console');
  });

  it('validates saved parameter rows', function () {
    const editor = load({ 'tbk-x': description });
    assert.equal(editor.validateParams({}, 'tbk-x'), true);
    assert.equal(editor.validateParams({ adzone_id: { value: '123', type: 'num' } }, 'tbk-x'), true);
    assert.equal(editor.validateParams({ adzone_id: { value: '${ADZONE}', type: 'num' } }, 'tbk-x'), true);
    assert.equal(editor.validateParams({ adzone_id: { value: 'abc', type: 'num' } }, 'tbk-x'), false);
    assert.equal(
      editor.validateParams({ adzone_id: { value: 'abc', type: 'str' } }, 'tbk-x'),
      false,
      'a number kind given as text must be digits',
    );
    assert.equal(editor.validateParams({ adzone_id: { value: '12345678901234567890', type: 'str' } }, 'tbk-x'), true);
    assert.equal(editor.validateParams({ start_time: { value: '2024-01-02 03:04:05', type: 'date' } }, 'tbk-x'), true);
    assert.equal(editor.validateParams({ start_time: { value: 'tomorrow', type: 'date' } }, 'tbk-x'), false);
    assert.equal(editor.validateParams({ other: { value: '{"a":', type: 'json' } }, 'tbk-x'), false);
    assert.equal(editor.validateParams({ other: { value: 'x', type: 'weird' } }, 'tbk-x'), false);
    assert.equal(editor.validateParams([], 'tbk-x'), false);
  });

  it('marks a node invalid, with the reason, while a required parameter is neither set nor mapped from msg', function () {
    const required = {
      type: 'tbk-r',
      method: 'taobao.tbk.r',
      validate: true,
      params: [
        { name: 'adzone_id', kind: 'number', required: true },
        { name: 'item_id', kind: 'string', required: true },
        { name: 'image', kind: 'file', required: true },
        { name: 'q', kind: 'string', required: false },
      ],
    };
    const editor = load({ 'tbk-r': required, 'tbk-free': { ...required, type: 'tbk-free', validate: false } });
    assert.equal(
      editor.validateParams({}, 'tbk-r'),
      'Required, but neither set nor mapped from msg: adzone_id, item_id',
    );
    assert.equal(
      editor.validateParams(undefined, 'tbk-r'),
      'Required, but neither set nor mapped from msg: adzone_id, item_id',
    );
    assert.equal(
      editor.validateParams({ adzone_id: { value: '123', type: 'num' }, item_id: { value: '', type: 'str' } }, 'tbk-r'),
      'Required, but neither set nor mapped from msg: item_id',
    );
    // mapped from msg (or any other source): valid; a file can only come in msg.payload
    assert.equal(
      editor.validateParams(
        { adzone_id: { value: '123', type: 'num' }, item_id: { value: 'payload.item_id', type: 'msg' } },
        'tbk-r',
      ),
      true,
    );
    assert.equal(
      editor.validateParams(
        { adzone_id: { value: 'ADZONE', type: 'env' }, item_id: { value: 'ids', type: 'flow' } },
        'tbk-r',
      ),
      true,
    );
    assert.equal(
      editor.validateParams({}, 'tbk-free'),
      true,
      'parameters that are not validated are not required either',
    );
  });

  it('looks a text up in the catalog of the owner (node or definition), else gives the fallback', function () {
    const editor = load({});
    const _ = (key: string): string => ({ 'tbk-api.paletteLabel': 'TOP 接口' })[key] ?? key;
    assert.equal(editor.text({ _ }, 'tbk-api.paletteLabel', 'TOP API'), 'TOP 接口');
    assert.equal(
      editor.text({ _ }, 'tbk-api.outputs.error', 'error'),
      'error',
      'Node-RED answers a key it lacks with the key',
    );
    assert.equal(
      editor.text(
        {
          _: () => {
            throw new Error('no catalog');
          },
        },
        'tbk-api.paletteLabel',
        'TOP API',
      ),
      'TOP API',
    );
    assert.equal(editor.text(null, 'tbk-api.paletteLabel', 'TOP API'), 'TOP API');
  });

  it('falls back to the en-US editor strings the generated node sets carry', function () {
    const editor = load({});
    for (const [key, value] of Object.entries(UI_STRINGS['en-US'].editor))
      assert.equal(editor.editorText(null, key), value, key);
  });
});

describe('hand-written editors (tbk-config, tbk-api)', function () {
  const nodesDir = join(REPO_ROOT, 'nodes');

  it('tbk-config: defaults, credentials, validators and a label without secrets', function () {
    const { defs } = loadDefinitions(readFileSync(join(nodesDir, 'tbk-config.html'), 'utf8'));
    const def = defs['tbk-config'];
    assert.equal(def.category, 'config');
    const defaults = plain(
      Object.fromEntries(Object.entries(def.defaults).map(([k, v]: [string, any]) => [k, v.value])),
    );
    assert.deepEqual(defaults, {
      version: 1,
      name: '',
      endpoint: 'https://eco.taobao.com/router/rest',
      signMethod: 'md5',
      timeout: 15000,
      retries: 2,
      retryWrites: false,
      maxBanSeconds: 60,
      rateLimit: 40,
      concurrency: 16,
      partnerId: '',
      targetAppKey: '',
      simplify: false,
      clockOffset: 0,
      maxResponseBytes: 16777216,
      redisUrl: '',
    });
    assert.deepEqual(plain(def.credentials), {
      appKey: { type: 'text' },
      appSecret: { type: 'password' },
      session: { type: 'password' },
      redisUrl: { type: 'password' },
    });
    assert.equal(def.defaults.maxResponseBytes.validate('1048576'), true);
    assert.equal(def.defaults.maxResponseBytes.validate('${TBK_MAX_ANSWER}'), true);
    assert.equal(def.defaults.maxResponseBytes.validate('16 MiB'), false);
    assert.equal(def.defaults.maxResponseBytes.validate('0'), false);
    const timeout = def.defaults.timeout.validate;
    assert.equal(timeout('15000'), true);
    assert.equal(timeout('${TBK_TIMEOUT}'), true);
    assert.equal(timeout('abc'), false);
    assert.equal(timeout('0'), false);
    assert.equal(def.defaults.retries.validate('1.5'), false);
    assert.equal(def.defaults.clockOffset.validate('-30'), true);
    assert.equal(def.defaults.endpoint.validate('http://127.0.0.1:8787/router/rest'), true);
    assert.equal(def.defaults.endpoint.validate('eco.taobao.com'), false);
    const node = {
      name: '',
      signMethod: 'hmac',
      endpoint: 'http://gw.api.taobao.com/router/rest',
      credentials: { appKey: 'k123', appSecret: 's3cret', session: 'sess' },
    };
    assert.equal(def.label.call(node), 'TOP (hmac) gw.api.taobao.com');
    assert.equal(def.label.call({ ...node, name: 'prod' }), 'prod');
    const html = readFileSync(join(nodesDir, 'tbk-config.html'), 'utf8');
    assert.match(html, /<input type="password" id="node-config-input-appSecret"/);
    assert.match(html, /<input type="password" id="node-config-input-session"/);
    // the Redis URL's field is bound to the credential by oneditprepare/oneditsave, never to the legacy property
    assert.match(html, /<input type="password" id="tbk-config-input-redis"/);
    assert.doesNotMatch(html, /id="node-config-input-redisUrl"/);
  });

  it('tbk-config: the Redis URL field edits the credential, and saving moves a URL left in the flow into it', function () {
    /** A jQuery of one field per id: val, on, toggleClass; whatever else oneditprepare asks is inert. */
    const fields = new Map<string, { value: string; error: boolean }>();
    const $ = (selector: string): unknown => {
      const field = fields.get(selector) ?? { value: '', error: false };
      fields.set(selector, field);
      const el: Record<string, unknown> = {
        val: (value?: string) => (value === undefined ? field.value : ((field.value = value), el)),
        on: () => el,
        toggleClass: (_name: string, on: boolean) => ((field.error = on), el),
        find: () => ({ filter: () => ({ length: 0 }) }),
        trigger: () => el,
      };
      return el;
    };
    const { defs } = loadDefinitions(readFileSync(join(nodesDir, 'tbk-config.html'), 'utf8'), {}, { $ });
    const def = defs['tbk-config'];
    const redis = (): { value: string; error: boolean } => fields.get('#tbk-config-input-redis')!;

    // a flow of an earlier version: the URL is a property; the dialog shows it, saving moves it
    const legacy: Record<string, any> = {
      redisUrl: 'redis://u:pw-1@10.0.0.5:6379/0',
      credentials: { has_appSecret: true },
    };
    def.oneditprepare.call(legacy);
    assert.equal(redis().value, 'redis://u:pw-1@10.0.0.5:6379/0');
    def.oneditsave.call(legacy);
    assert.equal(legacy.redisUrl, '', 'nothing of it stays in the flow');
    assert.equal(legacy.credentials.redisUrl, 'redis://u:pw-1@10.0.0.5:6379/0');
    assert.equal(legacy.credentials.has_redisUrl, true);

    // a stored credential is shown as Node-RED shows a password it keeps, and left alone on save
    const stored: Record<string, any> = { redisUrl: '', credentials: { has_redisUrl: true } };
    def.oneditprepare.call(stored);
    assert.equal(redis().value, '__PWRD__');
    assert.equal(redis().error, false);
    def.oneditsave.call(stored);
    assert.deepEqual(stored.credentials, { has_redisUrl: true });

    // the credential wins over a leftover property, and clearing the field removes it
    const both: Record<string, any> = { redisUrl: 'redis://old:6379', credentials: { has_redisUrl: true } };
    def.oneditprepare.call(both);
    assert.equal(redis().value, '__PWRD__');
    redis().value = '';
    def.oneditsave.call(both);
    assert.deepEqual([both.redisUrl, both.credentials.redisUrl, both.credentials.has_redisUrl], ['', '', false]);

    // ${ENV} works; nonsense is flagged
    const fresh: Record<string, any> = { credentials: {} };
    def.oneditprepare.call(fresh);
    assert.equal(redis().value, '');
    for (const [value, valid] of [
      ['${TBK_REDIS_URL}', true],
      ['rediss://:${PW}@host:6380/1', true],
      ['http://host', false],
    ] as const) {
      assert.equal(def.defaults.redisUrl.validate(value), valid, value);
    }
  });

  it('tbk-api: defaults, two outputs, method check', function () {
    const { defs } = loadDefinitions(readFileSync(join(nodesDir, 'tbk-api.html'), 'utf8'));
    const def = defs['tbk-api'];
    const defaults = plain(
      Object.fromEntries(Object.entries(def.defaults).map(([k, v]: [string, any]) => [k, v.value])),
    );
    assert.deepEqual(defaults, {
      version: 1,
      name: '',
      config: '',
      method: '',
      writes: false,
      errorMode: 'auto',
      batch: false,
      batchSize: 20,
    });
    assert.equal(def.defaults.config.type, 'tbk-config');
    assert.equal(def.inputs, 1);
    assert.equal(def.outputs, 2);
    assert.equal(def.defaults.method.validate('taobao.tbk.item.info.get'), true);
    assert.equal(def.defaults.method.validate(''), true);
    assert.equal(def.defaults.method.validate('not a method'), false);
    assert.equal(def.label.call({ method: 'taobao.tbk.item.info.get' }), 'taobao.tbk.item.info.get');
  });

  it('tbk-link-convert: promoter category, defaults, two outputs, id checks', function () {
    const { defs } = loadDefinitions(readFileSync(join(nodesDir, 'tbk-link-convert.html'), 'utf8'));
    const def = defs['tbk-link-convert'];
    assert.equal(def.category, CATEGORIES.promoter);
    const defaults = plain(
      Object.fromEntries(Object.entries(def.defaults).map(([k, v]: [string, any]) => [k, v.value])),
    );
    assert.deepEqual(defaults, {
      name: '',
      config: '',
      adzoneId: '',
      provider: false,
      siteId: '',
      replaceWith: 'tpwd',
      preferCoupon: true,
      relationId: '',
      specialId: '',
      errorMode: 'auto',
      version: 1,
    });
    assert.equal(def.defaults.config.type, 'tbk-config');
    assert.equal(def.inputs, 1);
    assert.equal(def.outputs, 2);
    assert.equal(def.icon, 'tbk-link-convert.svg');
    for (const ok of ['12345678', 'mm_1_2_3', '${TBK_ADZONE_ID}'])
      assert.equal(def.defaults.adzoneId.validate(ok), true, ok);
    for (const bad of ['', 'abc', 'mm_1_2', '12 34']) assert.equal(def.defaults.adzoneId.validate(bad), false, bad);
    assert.equal(def.defaults.relationId.validate(''), true);
    assert.equal(def.defaults.relationId.validate('x'), false);
    assert.equal(
      def.defaults.siteId.validate.call({ provider: true, adzoneId: '1' }, ''),
      false,
      'a provider node needs a site id',
    );
    assert.equal(
      def.defaults.siteId.validate.call({ provider: true, adzoneId: 'mm_1_2_3' }, ''),
      true,
      '... unless adzoneId is a whole PID',
    );
    assert.equal(def.defaults.siteId.validate.call({ provider: false, adzoneId: '1' }, ''), true);
    assert.ok(existsSync(join(REPO_ROOT, 'icons', 'tbk-link-convert.svg')));
    const pkg = readJson(join(REPO_ROOT, 'package.json'));
    assert.equal(pkg['node-red'].nodes['tbk-link-convert'], 'dist/nodes/tbk-link-convert.js');
    for (const lang of LANGS)
      assert.equal(typeof UI_STRINGS[lang].palette[def.category], 'string', `${lang}: the palette category title`);
    const keys = (value: unknown, prefix = ''): string[] =>
      value !== null && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
        : [prefix];
    assert.deepEqual(
      keys(readJson(join(nodesDir, 'locales', 'zh-CN', 'tbk-link-convert.json'))),
      keys(readJson(join(nodesDir, 'locales', 'en-US', 'tbk-link-convert.json'))),
      'the same keys in both languages',
    );
  });

  it('hand-written templates only use keys their en-US and zh-CN catalogs have', function () {
    for (const name of ['tbk-config', 'tbk-api', 'tbk-link-convert']) {
      const keys = i18nKeys(readFileSync(join(nodesDir, `${name}.html`), 'utf8'));
      assert.ok(keys.length > 3);
      for (const lang of LANGS) {
        const cat = readJson(join(nodesDir, 'locales', lang, `${name}.json`));
        for (const key of keys) assert.equal(typeof lookup(cat, key), 'string', `${name} ${lang}: ${key}`);
        assert.equal(typeof lookup(cat, `${name}.paletteLabel`), 'string');
        const help = readFileSync(join(nodesDir, 'locales', lang, `${name}.html`), 'utf8');
        assert.match(help, new RegExp(`<script type="text/html" data-help-name="${name}">\\s*<p>`));
      }
    }
  });

  it('take their texts from the shared editor script, which they load first', function () {
    for (const name of ['tbk-config', 'tbk-api', 'tbk-link-convert', 'tbk-order-sync']) {
      const page = readFileSync(join(nodesDir, `${name}.html`), 'utf8');
      assert.ok(
        page.includes(`<script type="text/javascript" src="resources/${PACKAGE_NAME}/tbk-editor.js"></script>`),
        `${name}: the shared editor script tag`,
      );
      assert.doesNotMatch(page, /function text\(/, `${name}: no text lookup of its own`);
      const english = lookup(readJson(join(nodesDir, 'locales', 'en-US', `${name}.json`)), `${name}.paletteLabel`);
      const shown = loadDefinitions(page, withSharedScript()).defs[name];
      for (const lang of LANGS) {
        const cat = readJson(join(nodesDir, 'locales', lang, `${name}.json`));
        assert.equal(
          shown.paletteLabel.call({ ...shown, _: translator(cat) }),
          lookup(cat, `${name}.paletteLabel`),
          `${name} ${lang}`,
        );
      }
      assert.equal(
        shown.paletteLabel.call({ ...shown, _: translator({}) }),
        english,
        `${name}: no catalog, the English fallback`,
      );
      const alone = loadDefinitions(page).defs[name];
      assert.equal(
        alone.paletteLabel.call({ ...alone, _: translator({}) }),
        english,
        `${name}: no shared script, the English fallback`,
      );
    }
  });
});
