package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mailer/internal/auth"
	"mailer/internal/pgtest"
	"mailer/internal/store"
)

// BenchmarkLogin is the cost of a login at the default argon2id costs: a
// wrong password and an address without a login should cost the same
// (compare the two), the right one a little more (the session).
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(b, "mailer.db"), store.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	svc := auth.New(db, auth.Options{Idle: time.Hour, Max: 2 * time.Hour})
	if err := svc.SetPassword(ctx, "alex@example.org", pw, nil, operator); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, email, password string }{
		{"right", "alex@example.org", pw}, {"wrong-password", "alex@example.org", "wrong"}, {"unknown-address", "nobody@example.org", pw},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				// A client of its own each time, and the address's failures
				// cleared, so that the throttle never answers for the hash.
				svc.Login(ctx, c.email, c.password, fmt.Sprint("client-", i))
				db.ClearLoginFailures(ctx, c.email)
			}
		})
	}
}
