// A small node mysql2 app for poolcheck's proof (tests/it/framework_proofs.rs).
//
// Usage: node app.js PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework node-mysql2` keys, all
// createPool() options (connectionLimit, maxIdle, idleTimeout, ...); "{}" keeps
// mysql2's defaults. Each request runs a query on the pool (which checks a
// connection out and releases it), as an HTTP handler would. The app serves
// one request, idles, serves another, and prints one JSON line:
// {"ok": bool, "error": str, "elapsed_s": float}.
'use strict';
const mysql = require('mysql2/promise');

async function main() {
  const [port, settingsJson, idle] = process.argv.slice(2);
  const pool = mysql.createPool({
    host: '127.0.0.1',
    port: Number(port),
    user: 'root',
    ...JSON.parse(settingsJson),
  });
  // A pooled connection's late error (the reset of an idle one) must not
  // crash the app; mysql2 removes that connection from the pool itself.
  pool.pool.on('connection', (conn) => conn.on('error', () => {}));
  const request = async () => (await pool.query('SELECT 1 AS one'))[0][0].one;
  await request();
  await new Promise((resolve) => setTimeout(resolve, Number(idle) * 1000));
  const started = process.hrtime.bigint();
  let result;
  try {
    await request();
    result = { ok: true, error: '' };
  } catch (e) {
    result = { ok: false, error: `${e.code || ''}: ${e.message}`.slice(0, 400) };
  }
  result.elapsed_s = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: `setup: ${e.message}`, elapsed_s: 0 })}\n`);
  process.exit(0);
});
