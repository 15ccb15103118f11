// dash's prettier server (src/edit/prettier.rs starts it with `node -e`): loads the
// project's own prettier once and formats many texts, so a run pays node's start and
// prettier's load once per project instead of once per text.
//
// It does what `prettier --stdin-filepath <path>` does, run in the repository top:
// a file its ignore files (.gitignore and .prettierignore in the top for prettier 3,
// .prettierignore for prettier 2) or node_modules exclude comes back unchanged; otherwise
// the text is formatted with `resolveConfig(path, { editorconfig: true })` (the CLI reads
// .editorconfig by default, the API does not) and `filepath: path`.
//
// Protocol, one JSON object per line:
//   started:  {"ready":true,"version":"3.6.2"} or {"error":"..."} (then it exits)
//   request:  {"path":"/abs/file.ts","top":"/abs/repo","texts":["...","..."],"cleanFirst":true}
//   answers:  one line per text, in order: {"formatted":"..."} or {"error":"..."};
//             with cleanFirst, none after the first when the first is an error or differs
//             from its text (the file was not formatted before: the rest is not needed).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const folder = process.env.DASH_PRETTIER_FOLDER;

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function describe(error) {
  if (error && typeof error.message === 'string') {
    return (error.name && error.name !== 'Error' && !error.message.startsWith(error.name)
      ? error.name + ': '
      : '') + error.message;
  }
  return String(error);
}

// The prettier that `folder` resolves, as the project's own scripts would load it.
async function load() {
  const require = createRequire(path.join(folder, 'dash-prettier-server.js'));
  const main = require.resolve('prettier');
  let dir = path.dirname(main);
  let manifest;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const parsed = JSON.parse(fs.readFileSync(candidate, 'utf8'));
      if (parsed.name === 'prettier') {
        manifest = parsed;
        break;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('no package.json for ' + main);
    dir = up;
  }
  const major = parseInt(manifest.version, 10);
  if (major >= 3) {
    // Prettier 3 is an ES module (its CommonJS entry only forwards to it).
    const exported = manifest.exports && manifest.exports['.'];
    const entry = exported && typeof exported === 'object'
      ? (typeof exported.import === 'string' ? exported.import : exported.default)
      : undefined;
    const file = typeof entry === 'string' ? path.join(dir, entry) : main;
    const module = await import(pathToFileURL(file).href);
    const api = typeof module.format === 'function' ? module : module.default;
    return { api, major, version: manifest.version };
  }
  return { api: require(main), major, version: manifest.version };
}

async function handle(prettier, request) {
  const { api, major } = prettier;
  const texts = request.texts;
  const ignorePath = major >= 3
    ? [path.join(request.top, '.gitignore'), path.join(request.top, '.prettierignore')]
    : path.join(request.top, '.prettierignore');
  let options;
  try {
    const info = await api.getFileInfo(request.path, {
      ignorePath,
      withNodeModules: false,
      resolveConfig: false,
    });
    if (info.ignored) {
      for (const text of texts) send({ formatted: text });
      return;
    }
    const config = await api.resolveConfig(request.path, { editorconfig: true });
    options = { ...config, filepath: request.path };
  } catch (error) {
    // The CLI stops before formatting anything: every text fails alike.
    const message = describe(error);
    const count = request.cleanFirst ? 1 : texts.length;
    for (let i = 0; i < count; i++) send({ error: message });
    return;
  }
  for (let i = 0; i < texts.length; i++) {
    let answer;
    try {
      answer = { formatted: await api.format(texts[i], options) };
    } catch (error) {
      answer = { error: describe(error) };
    }
    send(answer);
    if (request.cleanFirst && i === 0 && answer.formatted !== texts[0]) return;
  }
}

async function main() {
  let prettier;
  try {
    prettier = await load();
  } catch (error) {
    send({ error: 'cannot load prettier from ' + folder + ': ' + describe(error) });
    process.exitCode = 1;
    return;
  }
  send({ ready: true, version: prettier.version });
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // One request at a time, in the order they came.
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      let request;
      try {
        request = JSON.parse(line);
      } catch (error) {
        send({ error: 'bad request: ' + describe(error) });
        return;
      }
      await handle(prettier, request);
    });
  });
}

main();
