package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"mailer/internal/sending"
	"mailer/internal/store"
)

// progress is one event of a send's stream: the numbers the send page
// shows, under the names its elements carry (data-count="sent").
type progress struct {
	Status     string `json:"status"`
	Total      int    `json:"total"`
	Sent       int    `json:"sent"`
	Deferred   int    `json:"deferred"`
	Failed     int    `json:"failed"`
	Queued     int    `json:"queued"`
	Sending    int    `json:"sending"`
	Skipped    int    `json:"skipped"`
	Bounced    int    `json:"bounced"`
	Complained int    `json:"complained"`
	Done       bool   `json:"done"`
}

func progressOf(st sending.SendStatus) progress {
	c := st.Counts
	status := st.Standing
	if st.State == store.SendDone {
		status = "done"
	}
	return progress{Status: status, Total: st.Total, Sent: c.Sent, Deferred: c.Deferred, Failed: c.Failed, Queued: c.Queued,
		Sending: c.Sending, Skipped: c.Skipped, Bounced: st.BounceReports, Complained: st.Complaints, Done: st.State == store.SendDone}
}

// streamFor is how long one event stream lasts: the browser's EventSource
// reconnects by itself (its retry: field), and a stream that ends keeps
// within the listener's write timeout and lets a shutdown finish.
const streamFor = 25 * time.Second

// sendEvents is /sends/N/events, the send page's live progress as
// server-sent events (HTML Living Standard §9.2): a "progress" event now
// and at every tick, and a last one once the send is done.
func (s *Server) sendEvents(w http.ResponseWriter, r *http.Request) {
	st, err := s.visibleSend(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", (2 * s.o.Tick).Milliseconds())
	tick := time.NewTicker(s.o.Tick)
	defer tick.Stop()
	end := time.After(streamFor)
	for {
		rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		b, _ := json.Marshal(progressOf(st))
		if _, err := fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b); err != nil || rc.Flush() != nil {
			return
		}
		if st.State == store.SendDone {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-end:
			return
		case <-tick.C:
		}
		if st, err = s.visibleSend(r); err != nil {
			return
		}
	}
}
