// A small Knex app for poolcheck's proof (tests/it/framework_proofs.rs).
//
// Usage: node app.js PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework knex` keys (flat, as
// recommend's JSON lists them); each goes where the snippet puts it: mysql2's
// options under `connection`, tarn's under `pool`, acquireConnectionTimeout
// at the top. "{}" keeps knex's defaults. Each request runs a query through
// knex, which acquires a connection from its tarn pool and releases it, as an
// HTTP handler would. The app serves one request, idles, serves another, and
// prints one JSON line: {"ok": bool, "error": str, "elapsed_s": float}.
'use strict';

const CONNECTION_KEYS = ['connectTimeout', 'enableKeepAlive', 'keepAliveInitialDelay'];
const TOP_KEYS = ['acquireConnectionTimeout'];

async function main() {
  const [port, settingsJson, idle] = process.argv.slice(2);
  const settings = JSON.parse(settingsJson);
  const connection = { host: '127.0.0.1', port: Number(port), user: 'root' };
  const pool = {};
  const config = { client: 'mysql2', connection };
  for (const [key, value] of Object.entries(settings)) {
    if (CONNECTION_KEYS.includes(key)) connection[key] = value;
    else if (TOP_KEYS.includes(key)) config[key] = value;
    else pool[key] = value;
  }
  if ('keepAliveInitialDelay' in settings) connection.enableKeepAlive = true;
  if (Object.keys(pool).length > 0) config.pool = pool;
  const knex = require('knex')(config);
  const request = async () => (await knex.raw('SELECT 1 AS one'))[0][0].one;
  await request();
  await new Promise((resolve) => setTimeout(resolve, Number(idle) * 1000));
  const started = process.hrtime.bigint();
  let result;
  try {
    await request();
    result = { ok: true, error: '' };
  } catch (e) {
    result = { ok: false, error: `${e.code || e.name || ''}: ${e.message}`.slice(0, 400) };
  }
  result.elapsed_s = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: `setup: ${e.message}`, elapsed_s: 0 })}\n`);
  process.exit(0);
});
