/**
 * Preload (`node -r ./scripts/scorecard-preload.js …node-red-dev validate`) for machines that cannot
 * reach the Node-RED catalogue: node-red-dev fetches https://catalogue.nodered.org/catalogue.json for
 * P08 (similar package names) and N01 (node types already taken) and stops without a scorecard when
 * that fails. This answers that one URL with a small stub catalogue; every other request (the npm
 * registry for P06, P07, D02, D03) goes out as usual.
 *
 * The stub lists one unrelated module and this package itself (N01 ignores a package's own entry),
 * so the checks still run their matching code. Set TBK_SCORECARD_CATALOGUE to a JSON file to use a
 * real copy of the catalogue instead.
 */
'use strict';

const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const CATALOGUE_URL = /^https?:\/\/catalogue\.nodered\.org\/catalogue\.json(?:[?#].*)?$/;

function stubCatalogue() {
  if (process.env.TBK_SCORECARD_CATALOGUE) return JSON.parse(readFileSync(process.env.TBK_SCORECARD_CATALOGUE, 'utf8'));
  const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  return {
    name: 'Node-RED catalogue (stub: the real one is not reachable from here)',
    updated_at: new Date(0).toISOString(),
    modules: [
      { id: 'node-red-node-example-stub', version: '1.0.0', types: ['example-stub'], keywords: ['node-red'] },
      { id: pkg.name, version: pkg.version, types: ['tbk-config', 'tbk-api'], keywords: ['node-red'] },
    ],
  };
}

// node-red-dev ships its own axios (0.21); patch that copy, the one its libs require.
const nodeRedDevDir = dirname(require.resolve('node-red-dev/package.json', { paths: [process.cwd(), __dirname] }));
const axios = require(require.resolve('axios', { paths: [nodeRedDevDir] }));

axios.interceptors.request.use((config) => {
  if (!CATALOGUE_URL.test(String(config.url))) return config;
  const data = stubCatalogue();
  config.adapter = () =>
    Promise.resolve({
      data,
      status: 200,
      statusText: 'OK',
      headers: { 'content-type': 'application/json' },
      config,
      request: {},
    });
  process.stderr.write(
    `scorecard-preload: answered ${config.url} with a stub catalogue (${data.modules.length} modules)\n`,
  );
  return config;
});
