// Package migrations carries mailer's database schema as numbered SQL files,
// embedded so that the binary can create and upgrade a database by itself.
package migrations

import "embed"

// FS holds the files NNNN_name.sql, applied in numeric order.
//
//go:embed *.sql
var FS embed.FS
