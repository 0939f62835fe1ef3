// A small HikariCP app with MariaDB Connector/J for poolcheck's proof
// (tests/it/framework_proofs.rs).
//
// Usage: java App PORT SETTINGS_JSON IDLE_SECONDS
//
// SETTINGS_JSON holds `poolcheck recommend --framework hikaricp` keys, a flat
// object of numbers and booleans: the driver's connectTimeout, socketTimeout
// and tcpKeepAlive go into the JDBC URL, every other key into the
// HikariConfig properties exactly as a pasted hikari.properties would (a key
// this HikariCP does not know fails at start); "{}" keeps the defaults. Each
// request borrows a connection, runs a query and returns it. The app serves
// one request, idles, serves another, and prints one JSON line:
// {"ok": bool, "error": str, "elapsed_s": float}.
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class App {
    static final java.util.Set<String> URL_KEYS =
            java.util.Set.of("connectTimeout", "socketTimeout", "tcpKeepAlive");

    public static void main(String[] args) throws Exception {
        String port = args[0];
        double idle = Double.parseDouble(args[2]);
        Properties props = new Properties();
        StringBuilder url = new StringBuilder("jdbc:mariadb://127.0.0.1:" + port + "/?user=root");
        // The settings are flat {"key": number|boolean}: no JSON library needed.
        Matcher m = Pattern.compile("\"(\\w+)\"\\s*:\\s*([^,}\\s]+)").matcher(args[1]);
        while (m.find()) {
            String key = m.group(1), value = m.group(2).replace("\"", "");
            if (URL_KEYS.contains(key)) {
                url.append('&').append(key).append('=').append(value);
            } else {
                props.setProperty(key, value);
            }
        }
        props.setProperty("jdbcUrl", url.toString());
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(new HikariConfig(props));
            request(ds);
        } catch (Exception e) {
            print(false, "setup: " + e, 0);
            System.exit(0);
            return;
        }
        Thread.sleep((long) (idle * 1000));
        long started = System.nanoTime();
        boolean ok = true;
        String error = "";
        try {
            request(ds);
        } catch (Exception e) {
            ok = false;
            error = e.toString();
        }
        print(ok, error, (System.nanoTime() - started) / 1e9);
        System.exit(0);
    }

    static void request(HikariDataSource ds) throws Exception {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT 1")) {
            r.next();
        }
    }

    static void print(boolean ok, String error, double elapsed) {
        String e = error.length() > 400 ? error.substring(0, 400) : error;
        e = e.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ").replace("\t", " ");
        System.out.println("{\"ok\": " + ok + ", \"error\": \"" + e + "\", \"elapsed_s\": " + elapsed + "}");
        System.out.flush();
    }
}
