package store

import (
	"context"
	"database/sql"
	"errors"

	"mailer/internal/fault"
)

// Asset is one of an issue's own files.
type Asset struct {
	Path        string // relative to the issue, as its links name it
	ContentType string
	Data        []byte
}

// SaveAssets publishes an issue's files, replacing earlier copies, in one
// transaction.
func (db *DB) SaveAssets(ctx context.Context, listID int64, slug string, assets []Asset) error {
	return db.inTx(ctx, "publish the files of "+slug, func(tx *txn) error {
		for _, a := range assets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO archive_assets (list_id, slug, path, content_type, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (list_id, slug, path) DO UPDATE SET content_type = excluded.content_type, data = excluded.data, updated_at = excluded.updated_at`,
				listID, slug, a.Path, a.ContentType, a.Data, db.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetAsset returns a published file.
func (db *DB) GetAsset(ctx context.Context, l *List, slug, path string) (*Asset, error) {
	a := Asset{Path: path}
	err := db.sql.QueryRowContext(ctx, `SELECT content_type, data FROM archive_assets
		WHERE list_id = ? AND slug = ? AND path = ?`, l.ID, slug, path).Scan(&a.ContentType, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Errorf(fault.NotFound, "no file %s for %s", path, slug)
	}
	return &a, db.wrap(err, "read file")
}
