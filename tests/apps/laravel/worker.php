<?php
// A small Laravel queue worker for poolcheck's proof (tests/it/framework_proofs.rs),
// on Illuminate's own components (Debian's php-laravel-framework) outside a
// full app: the database through Capsule (its DatabaseManager, the DB facade),
// and the queue's before-job hook registered with QueueManager::before() and
// fired by the JobProcessing event, as queue:work's Worker fires it.
//
// Usage: php worker.php PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework laravel` keys:
// PDO::ATTR_* go into the connection's 'options', mysqlnd.* into ini_set(),
// idle_reconnect_s into the snippet's Queue::before hook; "{}" keeps
// Laravel's defaults (no hook). The worker runs a job (a query), idles, runs
// another, and prints one JSON line: {"ok": bool, "error": str, "elapsed_s": float}.
require_once 'Illuminate/autoload.php';

use Illuminate\Container\Container;
use Illuminate\Database\Capsule\Manager as Capsule;
use Illuminate\Events\Dispatcher;
use Illuminate\Queue\Events\JobProcessing;
use Illuminate\Queue\QueueManager;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Facade;
use Illuminate\Support\Facades\Queue;

[, $port, $settingsJson, $idle] = $argv;
$settings = json_decode($settingsJson, true, 8, JSON_THROW_ON_ERROR);

$options = [];
$idleReconnect = null;
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

$app = new Container();
$events = new Dispatcher($app);
$app->instance('events', $events);
$capsule = new Capsule($app);
$capsule->addConnection([
    'driver' => 'mysql',
    'host' => '127.0.0.1',
    'port' => (int) $port,
    'database' => '',
    'username' => 'root',
    'password' => '',
    'options' => $options,
]);
$capsule->setEventDispatcher($events);
$capsule->setAsGlobal();
$app->instance('db', $capsule->getDatabaseManager());
$app->instance('queue', new QueueManager($app));
Facade::setFacadeApplication($app);

if ($idleReconnect !== null) {
    // The snippet's hook, as recommend prints it.
    Queue::before(function () use ($idleReconnect) {
        static $last = null;
        if ($last !== null && microtime(true) - $last > $idleReconnect) {
            DB::disconnect();
        }
        $last = microtime(true);
    });
}

function job(Dispatcher $events): void
{
    $events->dispatch(new JobProcessing('redis', null));
    DB::select('SELECT 1');
}

try {
    job($events);
} catch (Throwable $e) {
    echo json_encode(['ok' => false, 'error' => 'setup: ' . substr($e->getMessage(), 0, 400), 'elapsed_s' => 0]), "\n";
    exit(0);
}
sleep((int) $idle);
$started = hrtime(true);
try {
    job($events);
    $result = ['ok' => true, 'error' => ''];
} catch (Throwable $e) {
    $result = ['ok' => false, 'error' => substr(get_class($e) . ': ' . $e->getMessage(), 0, 400)];
}
$result['elapsed_s'] = (hrtime(true) - $started) / 1e9;
echo json_encode($result), "\n";
