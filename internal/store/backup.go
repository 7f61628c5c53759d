package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"

	"github.com/mattn/go-sqlite3"

	"mailer/internal/fault"
)

// Backup writes a consistent copy of a SQLite database to file with
// SQLite's online backup API, while others go on reading and writing, and
// checks the copy table by table. PostgreSQL has pg_dump for that.
func (db *DB) Backup(ctx context.Context, file string) ([]TableSum, error) {
	if db.dialect != sqliteDialect {
		return nil, fault.Errorf(fault.Invalid, "%s is PostgreSQL: back it up with pg_dump -Fc (see the README)", db.path)
	}
	if _, err := os.Stat(file); err == nil {
		return nil, fault.Errorf(fault.Conflict, "%s exists; not overwritten", file)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fault.Coded(fault.Invalid, err)
	}
	// Subscriber data: the copy is as private as the database.
	f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, err, "create %s", file)
	}
	f.Close()
	if err := db.backupInto(ctx, file); err != nil {
		os.Remove(file)
		return nil, db.wrap(err, "back up to "+file)
	}
	copied, err := Open(ctx, file, Options{})
	if err != nil {
		return nil, err
	}
	defer copied.Close()
	return db.verifyCopy(ctx, copied)
}

func (db *DB) backupInto(ctx context.Context, file string) error {
	dst, err := sql.Open("sqlite3", dsn(file, 0))
	if err != nil {
		return err
	}
	defer dst.Close()
	dconn, err := dst.Conn(ctx)
	if err != nil {
		return err
	}
	defer dconn.Close()
	sconn, err := db.sql.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer sconn.Close()
	return dconn.Raw(func(d any) error {
		return sconn.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			if _, err := b.Step(-1); err != nil {
				b.Finish()
				return err
			}
			return b.Finish()
		})
	})
}
