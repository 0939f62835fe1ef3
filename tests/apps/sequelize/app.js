// A small Sequelize app for poolcheck's proof (tests/it/framework_proofs.rs).
//
// Usage: node app.js PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework sequelize` keys (flat,
// as recommend's JSON lists them); each goes where the snippet puts it:
// mysql2's options under `dialectOptions`, the pool's under `pool`. "{}" keeps
// Sequelize's defaults. Each request runs sequelize.query(), which acquires a
// connection from Sequelize's pool and releases it, as an HTTP handler would.
// The app serves one request, idles, serves another, and prints one JSON
// line: {"ok": bool, "error": str, "elapsed_s": float}.
'use strict';
const { Sequelize, QueryTypes } = require('sequelize');

const DIALECT_KEYS = ['connectTimeout', 'enableKeepAlive', 'keepAliveInitialDelay'];

async function main() {
  const [port, settingsJson, idle] = process.argv.slice(2);
  const settings = JSON.parse(settingsJson);
  const options = { dialect: 'mysql', host: '127.0.0.1', port: Number(port), logging: false };
  const dialectOptions = {};
  const pool = {};
  for (const [key, value] of Object.entries(settings)) {
    if (DIALECT_KEYS.includes(key)) dialectOptions[key] = value;
    else pool[key] = value;
  }
  if ('keepAliveInitialDelay' in settings) dialectOptions.enableKeepAlive = true;
  if (Object.keys(dialectOptions).length > 0) options.dialectOptions = dialectOptions;
  if (Object.keys(pool).length > 0) options.pool = pool;
  const sequelize = new Sequelize('', 'root', '', options);
  const request = async () =>
    (await sequelize.query('SELECT 1 AS one', { type: QueryTypes.SELECT }))[0].one;
  await request();
  await new Promise((resolve) => setTimeout(resolve, Number(idle) * 1000));
  const started = process.hrtime.bigint();
  let result;
  try {
    await request();
    result = { ok: true, error: '' };
  } catch (e) {
    const code = e.code || (e.parent && e.parent.code) || e.name || '';
    result = { ok: false, error: `${code}: ${e.message}`.slice(0, 400) };
  }
  result.elapsed_s = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: `setup: ${e.message}`, elapsed_s: 0 })}\n`);
  process.exit(0);
});
