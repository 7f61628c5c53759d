package store

// The moves the store's SQL makes, watched on a real database (SQLite,
// then PostgreSQL, whose claims and records run other statements): every
// state change must be one the tables in states.go allow, and every move
// the tables allow must be one the store makes.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/fault"
	"mailer/internal/pgtest"
)

// watch runs store operations on a real database and checks every state
// change they make against the tables, remembering which moves it saw.
type watch struct {
	t    *testing.T
	db   *DB
	list *List
	rows map[string]string // "table id" → state
	seen map[string]bool   // "table from>to"
}

func newWatch(t *testing.T) *watch {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.Location(t, "states.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := db.CreateList(ctx, "news", ListSettings{})
	if err != nil {
		t.Fatal(err)
	}
	w := &watch{t: t, db: db, list: l, rows: map[string]string{}, seen: map[string]bool{}}
	for _, a := range []string{"a", "b", "c", "d", "e", "f"} {
		w.member(a+"@example.org", Active)
	}
	return w
}

func (w *watch) member(addr string, st Status) {
	w.t.Helper()
	a, err := address.Parse(addr)
	if err == nil {
		_, err = w.db.SetStatus(context.Background(), w.list, a, st, Evidence{Source: SourceAdmin})
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *watch) newSend() NewSend {
	return NewSend{Issue: "issue-01", ListID: w.list.ID, Subject: "S", ContentHash: "h", MsgIDNonce: "n", MsgIDDomain: "example.org"}
}

// movers says, for each table with a state, whether a move is allowed.
var movers = map[string]func(from, to string) bool{
	"sends":      func(f, t string) bool { return SendState(f).CanBecome(SendState(t)) },
	"deliveries": func(f, t string) bool { return DeliveryState(f).CanBecome(DeliveryState(t)) },
	"schedules":  func(f, t string) bool { return ScheduleState(f).CanBecome(ScheduleState(t)) },
}

// step runs one store operation and checks the state changes it made.
func (w *watch) step(name string, op func() error) {
	w.t.Helper()
	if err := op(); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
	for key, to := range w.snapshot() {
		from := w.rows[key]
		if from == to {
			continue
		}
		var table string
		var id int64
		fmt.Sscan(key, &table, &id)
		if !movers[table](from, to) {
			w.t.Errorf("%s: %s #%d went %q → %q, which states.go does not allow", name, table, id, from, to)
		}
		w.seen[table+" "+from+">"+to] = true
		w.rows[key] = to
	}
}

func (w *watch) snapshot() map[string]string {
	w.t.Helper()
	out := map[string]string{}
	for table := range movers {
		rows, err := w.db.sql.QueryContext(context.Background(), `SELECT id, state FROM `+table)
		if err != nil {
			w.t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var state string
			if err := rows.Scan(&id, &state); err != nil {
				w.t.Fatal(err)
			}
			out[fmt.Sprintf("%s %d", table, id)] = state
		}
		rows.Close()
	}
	return out
}

// exchange records results and claims up to want jobs at now, as a lone worker.
func (w *watch) exchange(sendID int64, results []delivery.Result, want int, now time.Time) []delivery.Job {
	w.t.Helper()
	jobs, err := w.db.Queue(sendID).Exchange(context.Background(), results, want, now)
	if err != nil {
		w.t.Fatal(err)
	}
	return jobs
}

func result(j delivery.Job, o delivery.Outcome, next time.Time) delivery.Result {
	return delivery.Result{JobID: j.ID, Outcome: o, Reply: "reply", NextAttempt: next, At: time.Now()}
}

// allMoves lists the moves of the tables, as step records them.
func allMoves() []string {
	var out []string
	add := func(table string, from string, tos []string) {
		for _, to := range tos {
			out = append(out, table+" "+from+">"+to)
		}
	}
	for from, tos := range sendMoves {
		add("sends", string(from), strs(tos))
	}
	for from, tos := range deliveryMoves {
		add("deliveries", string(from), strs(tos))
	}
	for from, tos := range scheduleMoves {
		add("schedules", string(from), strs(tos))
	}
	return out
}

// unseen fails for each move of table the tables allow that no step made.
func (w *watch) unseen(table string) {
	w.t.Helper()
	for _, m := range allMoves() {
		if m[:len(table)+1] == table+" " && !w.seen[m] {
			w.t.Errorf("%s: no store operation made this move; is it still one?", m)
		}
	}
}

// TestSendMovesInSQL walks one send through every move its rows make:
// claims, each recorded outcome, recovery both ways, skips of readers who
// left, the finish, --resend-failed and a cancel.
func TestSendMovesInSQL(t *testing.T) {
	ctx := context.Background()
	w := newWatch(t)
	var s *Send
	w.step("start", func() (err error) { s, err = w.db.StartSend(ctx, w.newSend()); return err })
	w.member("f@example.org", Unsubscribed)
	now := time.Now()
	var jobs []delivery.Job
	w.step("claim, skipping who left", func() error { jobs = w.exchange(s.ID, nil, 6, now); return nil })
	if len(jobs) != 5 {
		t.Fatalf("claimed %d, want 5", len(jobs))
	}
	w.step("record each outcome", func() error {
		w.exchange(s.ID, []delivery.Result{result(jobs[0], delivery.Sent, now), result(jobs[1], delivery.Deferred, now.Add(-time.Second)),
			result(jobs[2], delivery.Failed, now), result(jobs[3], delivery.Requeue, now)}, 0, now)
		return nil
	})
	w.step("recover in flight, resending", func() error { _, err := w.db.RecoverInFlight(ctx, s.ID, true, nil); return err })
	w.step("claim the due retry", func() error { w.exchange(s.ID, nil, 1, now); return nil })
	w.step("recover in flight, skipping", func() error { _, err := w.db.RecoverInFlight(ctx, s.ID, false, nil); return err })
	sendMovesRest(w, s, now)
	w.unseen("sends")
	w.unseen("deliveries")
}

// sendMovesRest: a retry whose reader left, the finish, --resend-failed
// and a cancel.
func sendMovesRest(w *watch, s *Send, now time.Time) {
	ctx := context.Background()
	var j []delivery.Job
	w.step("claim one", func() error { j = w.exchange(s.ID, nil, 1, now); return nil })
	w.step("defer it", func() error {
		w.exchange(s.ID, []delivery.Result{result(j[0], delivery.Deferred, now)}, 0, now)
		return nil
	})
	w.member(j[0].Address, Unsubscribed)
	var last []delivery.Job
	w.step("skip the retry of who left, claim the last", func() error { last = w.exchange(s.ID, nil, 1, now); return nil })
	if len(last) != 1 {
		w.t.Fatalf("claimed %d, want the last queued one", len(last))
	}
	w.step("send the last", func() error {
		w.exchange(s.ID, []delivery.Result{result(last[0], delivery.Sent, now)}, 0, now)
		return nil
	})
	w.step("finish", func() error {
		if done, err := w.db.FinishSend(ctx, s.ID); err != nil || !done {
			return fmt.Errorf("finished %v, %v", done, err)
		}
		return nil
	})
	w.step("resend failed", func() error { _, err := w.db.RequeueFailed(ctx, s.ID); return err })
	w.step("claim again", func() error { j = w.exchange(s.ID, nil, 1, now); return nil })
	w.step("defer it till later", func() error {
		w.exchange(s.ID, []delivery.Result{result(j[0], delivery.Deferred, now.Add(time.Hour))}, 0, now)
		return nil
	})
	w.step("cancel", func() error { _, err := w.db.CancelSend(ctx, s.ID, "test"); return err })
	if c, _ := w.db.Queue(s.ID).Counts(ctx); c.Pending() != 0 || c.Skipped != 4 || c.Sent != 2 {
		w.t.Fatalf("counts at the end %+v", c)
	}
}

// TestScheduleMovesInSQL: scheduling again with replace cancels the earlier schedule;
// EndSchedule makes each of its moves, once, and refuses a move the table
// does not allow without touching the row.
func TestScheduleMovesInSQL(t *testing.T) {
	ctx := context.Background()
	w := newWatch(t)
	at := w.db.Now().Add(time.Hour)
	schedule := func(issue string) (s *Schedule) {
		w.step("schedule "+issue, func() (err error) {
			s, err = w.db.ScheduleSend(ctx, Schedule{Issue: issue, ListID: w.list.ID, ContentHash: "h", DueAt: at}, true)
			return err
		})
		return s
	}
	schedule("issue-01")
	for i, to := range []ScheduleState{ScheduleStarted, ScheduleRefused, ScheduleCancelled} {
		s := schedule("issue-01") // again, replacing: the one before, if still scheduled, is cancelled
		w.step(fmt.Sprintf("end #%d as %s", i, to), func() error { return w.db.EndSchedule(ctx, s.ID, to, 0, "why") })
		if err := w.db.EndSchedule(ctx, s.ID, to, 0, "again"); fault.CodeOf(err) != fault.Conflict {
			t.Fatalf("ending #%d twice: %v, want a conflict", s.ID, err)
		}
	}
	s := schedule("issue-02")
	w.step("refuse a move not in the table", func() error {
		if err := w.db.EndSchedule(ctx, s.ID, ScheduleScheduled, 0, ""); fault.CodeOf(err) != fault.Internal {
			return fmt.Errorf("EndSchedule to scheduled: %v, want an internal error", err)
		}
		return nil
	})
	if got, _ := w.db.GetSchedule(ctx, s.ID); got.State != ScheduleScheduled {
		t.Fatalf("schedule after a refused move: %+v", got)
	}
	w.unseen("schedules")
}
