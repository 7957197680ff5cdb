package io.cohort.examples.crawl;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The crawl's database, as the session sees it: it creates the tables before the workers start, and
 * reads what they stored. The workers write with their own SQL (CrawlWorker.java); both sides keep to
 * what SQLite and PostgreSQL have in common, so any JDBC URL of either works.
 *
 * <pre>
 * pages(url PRIMARY KEY, outcome 'ok'|'redirect'|'failed' ('pending' while a worker fetches it), depth, status, content_type, title, text, links,
 *       redirect_to, error, tries, worker, fetched_at, fetch_ms)    -- one row per URL the crawl settled
 * links(from_url, to_url, PRIMARY KEY (from_url, to_url))          -- the outgoing links of stored pages
 * </pre>
 */
public final class PageStore implements AutoCloseable {
    static final String[] SCHEMA = {
        """
        CREATE TABLE IF NOT EXISTS pages (
            url          TEXT PRIMARY KEY,
            outcome      TEXT NOT NULL,
            depth        INTEGER NOT NULL,
            status       INTEGER,
            content_type TEXT,
            title        TEXT,
            text         TEXT,
            links        INTEGER NOT NULL,
            redirect_to  TEXT,
            error        TEXT,
            tries        INTEGER NOT NULL,
            worker       TEXT NOT NULL,
            fetched_at   TEXT NOT NULL,
            fetch_ms     BIGINT NOT NULL
        )""",
        """
        CREATE TABLE IF NOT EXISTS links (
            from_url TEXT NOT NULL,
            to_url   TEXT NOT NULL,
            PRIMARY KEY (from_url, to_url)
        )""",
        "CREATE INDEX IF NOT EXISTS pages_outcome ON pages (outcome)",
    };

    /** One row of the pages table (without the text). */
    public record Row(String url, String outcome, int depth, Integer status, String title, int links, String redirectTo,
                      String error, int tries, String worker) {
    }

    private final String url;
    private final Connection c;

    private PageStore(String url, Connection c) {
        this.url = url;
        this.c = c;
    }

    /** Opens the database and creates the tables if they are not there. */
    public static PageStore open(String jdbcUrl, String user, String password) throws SQLException {
        Properties props = new Properties();
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            props.setProperty("busy_timeout", "60000");
            props.setProperty("journal_mode", "WAL");
        }
        Connection c = DriverManager.getConnection(jdbcUrl, props);
        try (Statement st = c.createStatement()) {
            for (String ddl : SCHEMA) {
                st.execute(ddl);
            }
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return new PageStore(jdbcUrl, c);
    }

    public String url() {
        return url;
    }

    /** How many rows have each outcome. */
    public Map<String, Long> countByOutcome() throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        query("SELECT outcome, COUNT(*) FROM pages GROUP BY outcome", rs -> out.put(rs.getString(1), rs.getLong(2)));
        return out;
    }

    /** Stored pages per worker. */
    public Map<String, Long> pagesByWorker() throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        query("SELECT worker, COUNT(*) FROM pages WHERE outcome = 'ok' GROUP BY worker", rs -> out.put(rs.getString(1), rs.getLong(2)));
        return out;
    }

    /** Failures by reason, most frequent first. */
    public Map<String, Long> failureReasons() throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        query("SELECT error, COUNT(*) FROM pages WHERE outcome = 'failed' GROUP BY error ORDER BY COUNT(*) DESC, error",
                rs -> out.put(rs.getString(1), rs.getLong(2)));
        return out;
    }

    /** Every row, by URL. */
    public Map<String, Row> rows() throws SQLException {
        Map<String, Row> out = new TreeMap<>();
        query("SELECT url, outcome, depth, status, title, links, redirect_to, error, tries, worker FROM pages", rs -> {
            int status = rs.getInt(4);
            Integer s = rs.wasNull() ? null : status;
            out.put(rs.getString(1), new Row(rs.getString(1), rs.getString(2), rs.getInt(3), s, rs.getString(5),
                    rs.getInt(6), rs.getString(7), rs.getString(8), rs.getInt(9), rs.getString(10)));
        });
        return out;
    }

    /** The first n stored pages, nearest the start first. */
    public List<Row> sample(int n) throws SQLException {
        List<Row> out = new ArrayList<>();
        query("SELECT url, outcome, depth, status, title, links, redirect_to, error, tries, worker FROM pages"
                + " WHERE outcome = 'ok' ORDER BY depth, url LIMIT " + Math.max(0, n), rs -> out.add(new Row(rs.getString(1),
                rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getString(5), rs.getInt(6), rs.getString(7), rs.getString(8),
                rs.getInt(9), rs.getString(10))));
        return out;
    }

    /** URLs that have more than one row: none, ever (the primary key); a check for databases made by hand. */
    public List<String> duplicates() throws SQLException {
        List<String> out = new ArrayList<>();
        query("SELECT url FROM pages GROUP BY url HAVING COUNT(*) > 1", rs -> out.add(rs.getString(1)));
        return out;
    }

    /** The outgoing links stored for a page. */
    public List<String> linksOf(String pageUrl) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT to_url FROM links WHERE from_url = ? ORDER BY to_url")) {
            ps.setString(1, pageUrl);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The text stored for a page, or null. */
    public String textOf(String pageUrl) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT text FROM pages WHERE url = ?")) {
            ps.setString(1, pageUrl);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    private void query(String sql, RowReader reader) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                reader.read(rs);
            }
        }
    }

    @Override
    public void close() throws SQLException {
        c.close();
    }
}
