package bounces

import (
	"context"

	"mailer/internal/store"
)

// Row is one membership's bounce record as `mailer bounces ls` and the
// API show it: the list, the address, its status, the score and when and
// why it last bounced.
type Row = store.BounceInfo

// Lister reads bounce records (package store).
type Lister interface {
	Bounces(ctx context.Context, l *store.List) ([]store.BounceInfo, error)
}

// Listing is the memberships an owner has to look at: those with a bounce
// score, or stopped by bounces even once the score was cleared by hand, on
// l (nil: every list), highest score first. Never nil, so that JSON shows
// an empty list as [].
func Listing(ctx context.Context, db Lister, l *store.List) ([]Row, error) {
	rows, err := db.Bounces(ctx, l)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []Row{}
	}
	return rows, nil
}
