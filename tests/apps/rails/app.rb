# A small Active Record app with mysql2 for poolcheck's proof
# (tests/it/framework_proofs.rs).
#
# Usage: ruby app.rb PORT SETTINGS_JSON IDLE_SECONDS
#
# SETTINGS_JSON holds `poolcheck recommend --framework rails` keys, the
# database.yml keys of the connection (pool, checkout_timeout, idle_timeout,
# reaping_frequency, connect_timeout, read_timeout, write_timeout); "{}" keeps
# the defaults. Each request runs inside an executor whose completion returns
# the connection to the pool, as Rails' executor does for a request
# (Active Record's railtie registers clear_active_connections! there); the
# pool verifies a connection when it checks it out. The app serves one
# request, idles, serves another, and prints one JSON line:
# {"ok": bool, "error": str, "elapsed_s": float}.
require "json"
require "active_record"
require "active_support/executor"

port, settings, idle = ARGV[0].to_i, JSON.parse(ARGV[1]), ARGV[2].to_f

class RequestExecutor < ActiveSupport::Executor; end
RequestExecutor.to_complete { ActiveRecord::Base.clear_active_connections! }

ActiveRecord::Base.logger = nil
ActiveRecord::Base.establish_connection(
  { "adapter" => "mysql2", "host" => "127.0.0.1", "port" => port, "username" => "root" }.merge(settings)
)

def request
  RequestExecutor.wrap { ActiveRecord::Base.connection.select_value("SELECT 1") }
end

request
sleep idle
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
result = begin
  request
  { ok: true, error: "" }
rescue StandardError => e
  { ok: false, error: "#{e.class}: #{e.message}"[0, 400] }
end
result[:elapsed_s] = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
puts JSON.generate(result)
$stdout.flush
exit! 0
