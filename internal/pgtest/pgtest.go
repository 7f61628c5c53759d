// Package pgtest starts a throwaway PostgreSQL cluster for the tests: made
// with initdb in a temporary directory, listening only on a Unix socket
// there, started once per test binary and stopped at its end. As root it
// runs the server as the postgres user (PostgreSQL refuses to run as
// root). A missing PostgreSQL fails loudly: the tests never skip it.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"mailer/internal/fault"
)

// Cluster is a running throwaway server.
type Cluster struct {
	dir    string // data directory, socket and log
	bin    string // directory of initdb and pg_ctl
	runAs  []string
	admin  *sql.DB
	nextDB atomic.Int64
}

// port names the socket file; nothing listens on TCP.
const port = 5432

var (
	mu      sync.Mutex
	current *Cluster
)

// binDir finds initdb: on PATH, else Debian's /usr/lib/postgresql/N/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): run .ci/deps, or apt-get install postgresql")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start makes and starts a cluster.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	reapOrphans(bin)
	dir, err := os.MkdirTemp("", "mailer-pg-")
	if err != nil {
		return nil, err
	}
	// Whose cluster it is: a test binary that was killed leaves its server
	// running, and the next one stops it (reapOrphans).
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	// Others may enter (a mail system's pipe runs mailer as its own user)
	// and use the socket; the data directory stays 0700.
	if err := os.Chmod(dir, 0o755); err != nil {
		c.cleanup()
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, PostgreSQL needs a user to run as: %v (the postgresql package makes one)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "mailer", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		c.cleanup()
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -p %d -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", dir, port)
	if out, err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		c.cleanup()
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	c.admin, err = sql.Open("pgx", c.dsn("postgres"))
	if err == nil {
		err = c.admin.PingContext(context.Background())
	}
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("connect to the test cluster: %v", err)
	}
	return c, nil
}

// reapOrphans stops and removes the clusters of test binaries that died
// without stopping theirs (killed by a timeout, say).
func reapOrphans(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "mailer-pg-*"))
	for _, d := range dirs {
		raw, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // its owner runs (or cannot be told)
		}
		c := &Cluster{dir: d, bin: bin}
		if os.Geteuid() == 0 {
			c.runAs = []string{"runuser", "-u", "postgres", "--"}
		}
		c.Stop()
	}
}

func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	argv := append(append(append([]string(nil), c.runAs...), filepath.Join(c.bin, prog)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *Cluster) dsn(db string) string {
	return fmt.Sprintf("postgres://mailer@/%s?host=%s&port=%d&sslmode=disable", db, c.dir, port)
}

// NewDatabase creates an empty database and returns its URL.
func (c *Cluster) NewDatabase() (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.nextDB.Add(1))
	if _, err := c.admin.Exec("CREATE DATABASE " + name); err != nil {
		return "", err
	}
	return c.dsn(name), nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() {
	if c.admin != nil {
		c.admin.Close()
	}
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	c.cleanup()
}

func (c *Cluster) cleanup() { os.RemoveAll(c.dir) }

// Database returns the URL of a new, empty database in the cluster of
// this test binary (see Main).
func Database(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	c := current
	mu.Unlock()
	if c == nil {
		tb.Fatal("pgtest: no cluster running: call pgtest.Main from TestMain")
	}
	dsn, err := c.NewDatabase()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// Backend is the store the tests of this run use: "sqlite" or "postgres".
var Backend = "sqlite"

// Main runs the package's tests twice, on SQLite and then on PostgreSQL in
// a cluster started for the purpose, and returns the exit code for
// os.Exit. Tests ask Backend which one they are on, and Database for a
// PostgreSQL database.
//
// MAILER_TEST_BACKEND=postgres (or sqlite) runs one pass only: for long
// benchmarks on one backend, never for the test suite (make test runs both).
func Main(m *testing.M) int { return failOnPanics(runBoth(m)) }

// Plain is the main of a test binary that needs no PostgreSQL: it runs
// the tests and fails the run when a panic was recovered (fault.Recovered).
func Plain(m *testing.M) int { return failOnPanics(m.Run()) }

// failOnPanics turns a passing run with recovered panics into a failure:
// a recovered panic is still a bug.
func failOnPanics(code int) int {
	if n := fault.RecoveredPanics(); n > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "pgtest: %d panic(s) were recovered during the tests: a recovered panic is still a bug\n", n)
		return 1
	}
	return code
}

// runBoth runs the tests on SQLite, then on PostgreSQL.
func runBoth(m *testing.M) int {
	only := os.Getenv("MAILER_TEST_BACKEND")
	if only != "postgres" {
		fmt.Println("=== tests on SQLite")
		if code := m.Run(); code != 0 || only == "sqlite" {
			return code
		}
	}
	c, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer c.Stop()
	mu.Lock()
	current, Backend = c, "postgres"
	mu.Unlock()
	fmt.Println("=== the same tests on PostgreSQL")
	return m.Run()
}

// Location is where a test's new, empty database is on this run's
// backend: a SQLite file named name in a temporary directory, or a new
// PostgreSQL database.
func Location(tb testing.TB, name string) string {
	tb.Helper()
	if Backend == "postgres" {
		return Database(tb)
	}
	return filepath.Join(tb.TempDir(), name)
}
