package bounces_test

import (
	"testing"

	"mailer/internal/store"
)

// A report naming the recipient in two forms (Postfix's Original- and
// Final-Recipient, a real message of Mail::DeliveryStatus::BounceParser's
// corpus) scores the form that is a member, whichever it is, and only it.
func TestBounceScoresTheFormThatIsAMember(t *testing.T) {
	for _, member := range []string{"original@dest.example.com", "final@dest.example.com"} {
		t.Run(member, func(t *testing.T) {
			e := newEnv(t, store.BouncePolicy{Threshold: 5, Window: 7 * day})
			e.join("news", member, store.Active)
			out, _ := e.bounceMail("news", "", "../bounceparser/postfix-orig.msg")
			if len(out) != 1 || out[0].Address != member || !out[0].Update.Member || out[0].Update.Score != 1 {
				t.Fatalf("scored %+v, want %s", out, member)
			}
			if got := e.score("news", member); got != 1 {
				t.Fatalf("score %v", got)
			}
		})
	}
}
