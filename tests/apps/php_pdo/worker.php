<?php
// A small long-running PHP process on plain PDO (pdo_mysql, mysqlnd) for
// poolcheck's proof (tests/it/framework_proofs.rs).
//
// Usage: php worker.php [--fpm-persistent] PORT SETTINGS_JSON IDLE_SECONDS
//
// --fpm-persistent serves each request as a PHP-FPM child does with
// PDO::ATTR_PERSISTENT on (the app's own setting, which SETTINGS_JSON may
// turn off): a new PDO per request, dropped when the request ends, the
// persistent connection staying in the process and pinged by PDO when the
// next request's new PDO reuses it. The snippet's db() idle check does not
// apply there (nothing outlives a request but the persistent connection).
//
// SETTINGS_JSON holds `poolcheck recommend --framework php-pdo` keys:
// PDO::ATTR_* go into the PDO options, mysqlnd.* into ini_set(),
// idle_reconnect_s into the snippet's db() idle check; "{}" keeps PHP's
// defaults (one PDO for the process). The process serves a request (a
// query), idles, serves another, and prints one JSON line:
// {"ok": bool, "error": str, "elapsed_s": float}.

$args = array_slice($argv, 1);
$fpmPersistent = ($args[0] ?? '') === '--fpm-persistent';
if ($fpmPersistent) {
    array_shift($args);
}
[$port, $settingsJson, $idle] = $args;
$settings = json_decode($settingsJson, true, 8, JSON_THROW_ON_ERROR);

$options = [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_PERSISTENT => $fpmPersistent];
$idleReconnect = INF;
foreach ($settings as $key => $value) {
    if (str_starts_with($key, 'PDO::')) {
        $options[constant($key)] = $value;
    } elseif (str_starts_with($key, 'mysqlnd.')) {
        ini_set($key, (string) $value);
    } elseif ($key === 'idle_reconnect_s') {
        $idleReconnect = $value;
    } else {
        fwrite(STDERR, "unknown setting $key\n");
        exit(2);
    }
}

// The snippet's db(), with the settings above.
function db(): PDO
{
    global $port, $options, $idleReconnect;
    static $pdo = null;
    static $last = 0.0;
    if ($pdo === null || microtime(true) - $last > $idleReconnect) {
        $pdo = null;
        $pdo = new PDO("mysql:host=127.0.0.1;port=$port", 'root', '', $options);
    }
    $last = microtime(true);
    return $pdo;
}

function request(): void
{
    global $fpmPersistent, $port, $options;
    if ($fpmPersistent) {
        // One request: its own PDO, gone when the request ends.
        $pdo = new PDO("mysql:host=127.0.0.1;port=$port", 'root', '', $options);
        $pdo->query('SELECT 1')->fetchAll();
        return;
    }
    db()->query('SELECT 1')->fetchAll();
}

try {
    request();
} catch (Throwable $e) {
    echo json_encode(['ok' => false, 'error' => 'setup: ' . substr($e->getMessage(), 0, 400), 'elapsed_s' => 0]), "\n";
    exit(0);
}
sleep((int) $idle);
$started = hrtime(true);
try {
    request();
    $result = ['ok' => true, 'error' => ''];
} catch (Throwable $e) {
    $result = ['ok' => false, 'error' => substr(get_class($e) . ': ' . $e->getMessage(), 0, 400)];
}
$result['elapsed_s'] = (hrtime(true) - $started) / 1e9;
echo json_encode($result), "\n";
