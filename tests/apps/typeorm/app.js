// A small TypeORM app for poolcheck's proof (tests/it/framework_proofs.rs).
//
// Usage: node app.js PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework typeorm` keys, all
// options under the DataSource's `extra` (handed to mysql2's createPool);
// "{}" keeps TypeORM's and mysql2's defaults. Each request runs
// dataSource.query(), which takes a connection from the pool through a
// QueryRunner and releases it, as an HTTP handler would. The app serves one
// request, idles, serves another, and prints one JSON line:
// {"ok": bool, "error": str, "elapsed_s": float}.
'use strict';
const { DataSource } = require('typeorm');

async function main() {
  const [port, settingsJson, idle] = process.argv.slice(2);
  const extra = JSON.parse(settingsJson);
  const dataSource = new DataSource({
    type: 'mysql',
    host: '127.0.0.1',
    port: Number(port),
    username: 'root',
    logging: false,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  });
  await dataSource.initialize();
  const request = async () => (await dataSource.query('SELECT 1 AS one'))[0].one;
  await request();
  await new Promise((resolve) => setTimeout(resolve, Number(idle) * 1000));
  const started = process.hrtime.bigint();
  let result;
  try {
    await request();
    result = { ok: true, error: '' };
  } catch (e) {
    const code = e.code || (e.driverError && e.driverError.code) || e.name || '';
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
