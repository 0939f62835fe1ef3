// A small Go database/sql app with go-sql-driver/mysql for poolcheck's proof
// (tests/it/framework_proofs.rs).
//
// Usage: app PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework go` keys: the DSN
// parameters timeout, readTimeout, writeTimeout and the pool's
// ConnMaxLifetime, ConnMaxIdleTime (Go durations), MaxOpenConns, MaxIdleConns;
// "{}" keeps the defaults. Test-only keys: host, user and password (default
// root@127.0.0.1), and dialKeepAlive (a Go duration): dial with
// net.Dialer{KeepAlive: it} (negative: no keepalive probes of its own)
// registered with mysql.RegisterDialContext, instead of the driver's default
// dialer (keepalive every 15 s). Each request runs a query on the pool, as an HTTP
// handler would. The app serves one request, idles, serves another, and
// prints one JSON line: {"ok": bool, "error": str, "elapsed_s": float}.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
)

func main() {
	port, idle := os.Args[1], os.Args[3]
	var settings map[string]interface{}
	if err := json.Unmarshal([]byte(os.Args[2]), &settings); err != nil {
		panic(err)
	}
	params := url.Values{}
	for _, k := range []string{"timeout", "readTimeout", "writeTimeout", "checkConnLiveness"} {
		if v, ok := settings[k]; ok {
			params.Set(k, fmt.Sprint(v))
		}
	}
	text := func(k, def string) string {
		if v, ok := settings[k].(string); ok {
			return v
		}
		return def
	}
	userinfo := text("user", "root")
	if pw := text("password", ""); pw != "" {
		userinfo += ":" + pw
	}
	network := "tcp"
	if v, ok := settings["dialKeepAlive"].(string); ok {
		keepAlive, err := time.ParseDuration(v)
		if err != nil {
			panic(err)
		}
		network = "keepalive"
		mysql.RegisterDialContext(network, func(ctx context.Context, addr string) (net.Conn, error) {
			d := net.Dialer{KeepAlive: keepAlive}
			return d.DialContext(ctx, "tcp", addr)
		})
	}
	dsn := fmt.Sprintf("%s@%s(%s)/?%s", userinfo, network, net.JoinHostPort(text("host", "127.0.0.1"), port), params.Encode())
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		panic(err)
	}
	duration := func(k string) (time.Duration, bool) {
		v, ok := settings[k].(string)
		if !ok {
			return 0, false
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			panic(err)
		}
		return d, true
	}
	if d, ok := duration("ConnMaxLifetime"); ok {
		db.SetConnMaxLifetime(d)
	}
	if d, ok := duration("ConnMaxIdleTime"); ok {
		db.SetConnMaxIdleTime(d)
	}
	if n, ok := settings["MaxOpenConns"].(float64); ok {
		db.SetMaxOpenConns(int(n))
	}
	if n, ok := settings["MaxIdleConns"].(float64); ok {
		db.SetMaxIdleConns(int(n))
	}
	request := func() error {
		var one int
		return db.QueryRow("SELECT 1").Scan(&one)
	}
	if err := request(); err != nil {
		panic(err)
	}
	secs, _ := strconv.ParseFloat(idle, 64)
	time.Sleep(time.Duration(secs * float64(time.Second)))
	started := time.Now()
	result := map[string]interface{}{"ok": true, "error": ""}
	if err := request(); err != nil {
		result["ok"], result["error"] = false, err.Error()
	}
	result["elapsed_s"] = time.Since(started).Seconds()
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}
