// Package dbtest gives tests fresh, empty databases on every olelo
// backend: a temporary SQLite file, a temporary db_text directory, and a
// database on a real throwaway MariaDB or PostgreSQL server that the
// test binary starts on a free loopback port the first time it is asked
// for one (one server per test binary; each call creates a new database
// in it).
//
// Call Main from TestMain so the servers stop when the tests end:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// Without it the servers still die with the test binary (they get
// SIGTERM when it exits), only less gracefully.
//
// When the server binaries are missing the test is skipped, with the
// Debian package to install in the message; set OLELO_DBTEST_REQUIRE=1
// (as CI does) to fail instead.
package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// SQLite returns the URL of a new SQLite file in the test's temporary
// directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "olelo.db")
}

// Text returns the URL of a new, empty db_text directory.
func Text(t testing.TB) string {
	t.Helper()
	return "text://" + t.TempDir()
}

// MySQL returns the URL of a new, empty database on the test binary's
// MariaDB server (started on first use).
func MySQL(t testing.TB) string {
	t.Helper()
	s := mariadb.get(t, startMariaDB)
	name := nextName()
	if _, err := s.admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("dbtest: create MariaDB database: %v", err)
	}
	return fmt.Sprintf("mysql://olelo:olelo%%pw@127.0.0.1:%d/%s", s.port, name)
}

// Postgres returns the URL of a new, empty database on the test binary's
// PostgreSQL server (started on first use).
func Postgres(t testing.TB) string {
	t.Helper()
	s := postgres.get(t, startPostgres)
	name := nextName()
	if _, err := s.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("dbtest: create PostgreSQL database: %v", err)
	}
	return fmt.Sprintf("postgres://olelo:olelo%%pw@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

// Main runs the tests and stops the servers they started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the servers started so far (Main calls it).
func Stop() {
	for _, s := range []*serverOnce{&mariadb, &postgres} {
		s.mu.Lock()
		if s.srv != nil {
			s.srv.stop()
		}
		s.mu.Unlock()
	}
}

var counter atomic.Int64

func nextName() string {
	return fmt.Sprintf("olelo_t%d_%d", os.Getpid(), counter.Add(1))
}

// server is a running database server.
type server struct {
	port  int
	dir   string
	cmd   *exec.Cmd
	done  chan struct{}
	admin *sql.DB
}

func (s *server) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// serverOnce starts one server per test binary.
type serverOnce struct {
	mu   sync.Mutex
	srv  *server
	err  error
	skip string
	done bool
}

var mariadb, postgres serverOnce

func (o *serverOnce) get(t testing.TB, start func() (*server, string, error)) *server {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.done {
		o.srv, o.skip, o.err = start()
		o.done = true
	}
	if o.skip != "" {
		if os.Getenv("OLELO_DBTEST_REQUIRE") != "" {
			t.Fatalf("dbtest: %s (OLELO_DBTEST_REQUIRE is set)", o.skip)
		}
		t.Skipf("dbtest: %s", o.skip)
	}
	if o.err != nil {
		t.Fatalf("dbtest: %v", o.err)
	}
	return o.srv
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startDetached starts cmd so that it gets SIGTERM when the test binary
// dies. Pdeathsig fires when the thread that started the child exits, so
// it is started from a goroutine locked to its thread that never returns.
func startDetached(cmd *exec.Cmd) (chan struct{}, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	cmd.SysProcAttr.Setpgid = true
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		errc <- cmd.Start()
		select {}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	return done, nil
}

// waitSQL opens and pings until the server answers, it exits, or 60 s.
func waitSQL(driver, dsn string, done chan struct{}, logf string) (*sql.DB, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return db, nil
		}
		select {
		case <-done:
			db.Close()
			return nil, fmt.Errorf("server exited: %v; log: %s", err, tail(logf))
		default:
		}
		if time.Now().After(deadline) {
			db.Close()
			return nil, fmt.Errorf("server not ready after 60 s: %v; log: %s", err, tail(logf))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func findBinary(names ...string) string {
	for _, n := range names {
		if strings.Contains(n, "/") {
			if _, err := os.Stat(n); err == nil {
				return n
			}
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin"} {
			if _, err := os.Stat(filepath.Join(d, n)); err == nil {
				return filepath.Join(d, n)
			}
		}
	}
	return ""
}

// newServerDir makes the temporary directory of a server, noting the
// test binary's pid in it, and first removes the directories of test
// binaries that died without Main's cleanup (their servers got SIGTERM).
func newServerDir(prefix string) (string, error) {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range old {
		b, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// startMariaDB initialises a data directory and starts mariadbd on a free
// loopback port, then creates the user olelo (password "olelo%pw", to
// exercise escaping) with every privilege.
func startMariaDB() (*server, string, error) {
	mysqld := findBinary("mariadbd", "mysqld")
	install := findBinary("mariadb-install-db", "mysql_install_db")
	if mysqld == "" || install == "" {
		return nil, "MariaDB not installed (apt-get install mariadb-server)", nil
	}
	dir, err := newServerDir("olelo-mariadb-")
	if err != nil {
		return nil, "", err
	}
	data := filepath.Join(dir, "data")
	logf := filepath.Join(dir, "server.log")
	isRoot := os.Geteuid() == 0
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if isRoot {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("mariadb-install-db: %v: %s", err, out)
	}
	sock := filepath.Join(dir, "mysqld.sock")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		sargs := []string{"--no-defaults", "--datadir=" + data, "--socket=" + sock, "--port=" + strconv.Itoa(port),
			"--bind-address=127.0.0.1", "--skip-name-resolve", "--log-error=" + logf, "--pid-file=" + filepath.Join(dir, "mysqld.pid"),
			"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--skip-log-bin", "--max-connections=200",
			"--innodb-flush-log-at-trx-commit=2", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"}
		if isRoot {
			sargs = append(sargs, "--user=root")
		}
		cmd := exec.Command(mysqld, sargs...)
		done, err := startDetached(cmd)
		if err != nil {
			os.RemoveAll(dir)
			return nil, "", fmt.Errorf("start mariadbd: %w", err)
		}
		cfg := mysql.NewConfig()
		cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
		admin, err := waitSQL("mysql", cfg.FormatDSN(), done, logf)
		if err != nil {
			lastErr = err
			cmd.Process.Kill()
			<-done
			continue
		}
		s := &server{port: port, dir: dir, cmd: cmd, done: done, admin: admin}
		for _, q := range []string{
			"CREATE USER IF NOT EXISTS 'olelo'@'127.0.0.1' IDENTIFIED BY 'olelo%pw'",
			"GRANT ALL PRIVILEGES ON *.* TO 'olelo'@'127.0.0.1'",
		} {
			if _, err := admin.Exec(q); err != nil {
				s.stop()
				return nil, "", fmt.Errorf("mariadb setup %q: %w", q, err)
			}
		}
		return s, "", nil
	}
	os.RemoveAll(dir)
	return nil, "", fmt.Errorf("mariadbd did not start: %w", lastErr)
}

// startPostgres runs initdb and postgres (as nobody when we are root:
// PostgreSQL refuses to run as root) on a free loopback port with the
// socket in the temporary directory.
func startPostgres() (*server, string, error) {
	bin := ""
	for _, v := range []string{"17", "16", "15", "14", "13"} {
		if p := filepath.Join("/usr/lib/postgresql", v, "bin"); findBinary(filepath.Join(p, "postgres")) != "" {
			bin = p
			break
		}
	}
	if bin == "" {
		if p := findBinary("postgres"); p != "" {
			bin = filepath.Dir(p)
		}
	}
	if bin == "" || findBinary(filepath.Join(bin, "initdb")) == "" {
		return nil, "PostgreSQL not installed (apt-get install postgresql)", nil
	}
	dir, err := newServerDir("olelo-postgres-")
	if err != nil {
		return nil, "", err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			os.RemoveAll(dir)
			return nil, "", fmt.Errorf("postgres must not run as root and there is no user nobody: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, "", err
		}
	}
	data := filepath.Join(dir, "data")
	logf := filepath.Join(dir, "server.log")
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte("olelo%pw\n"), 0o600); err != nil {
		return nil, "", err
	}
	if cred != nil {
		os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "olelo", "--pwfile="+pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		lf, err := os.Create(logf)
		if err != nil {
			return nil, "", err
		}
		cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-h", "127.0.0.1",
			"-k", dir, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=200", "-c", "shared_buffers=32MB")
		cmd.Stdout, cmd.Stderr = lf, lf
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		done, err := startDetached(cmd)
		lf.Close()
		if err != nil {
			os.RemoveAll(dir)
			return nil, "", fmt.Errorf("start postgres: %w", err)
		}
		dsn := fmt.Sprintf("postgres://olelo:olelo%%25pw@127.0.0.1:%d/postgres?sslmode=disable", port)
		admin, err := waitSQL("pgx", dsn, done, logf)
		if err != nil {
			lastErr = err
			cmd.Process.Kill()
			<-done
			continue
		}
		return &server{port: port, dir: dir, cmd: cmd, done: done, admin: admin}, "", nil
	}
	os.RemoveAll(dir)
	return nil, "", errors.Join(errors.New("postgres did not start"), lastErr)
}
