// Package migrations carries mailer's database schema as numbered SQL files,
// one set per dialect, embedded so that the binary can create and upgrade a
// database by itself. The two sets are versioned in step: each version
// exists in both, under the same name (a test checks it).
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// SQLite and Postgres hold the files NNNN_name.sql of each dialect,
// applied in numeric order.
var (
	SQLite   = sub("sqlite")
	Postgres = sub("postgres")
)

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directories are embedded above
	}
	return f
}
