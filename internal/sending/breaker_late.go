package sending

// Hard bounces that arrive as mail. A relay (a smarthost, Postfix on the
// same machine) accepts a message and bounces it minutes later, so the
// send's own results show it delivered; the bounce service ties the report
// to the send by the original's Message-ID or Feedback-ID (store
// send_bounces). The breaker counts those reports in its window as well:
// each count that grew since the last is placed at the attempt it was
// learned at and leaves the window with the attempts around it, so a bad
// stretch reported late still ages out like any other.

// lateBounce is how many reports arrived by the attempt at seq.
type lateBounce struct{ seq, n int }

// lateBounces are the reports in the window, oldest first.
type lateBounces struct {
	seen  []lateBounce
	sum   int  // reports in seen
	last  int  // the send's total when last told
	based bool // last is set: the reports before the run are not this run's
}

// forget drops what was learned at or before the attempt at seq.
func (l *lateBounces) forget(seq int) {
	i := 0
	for i < len(l.seen) && l.seen[i].seq <= seq {
		l.sum -= l.seen[i].n
		i++
	}
	l.seen = l.seen[i:]
}

// LateBounces tells the breaker how many hard bounce reports the send has
// had in all; it reports whether the breaker is tripped. The first call
// only sets the base: a resumed send is judged on what happens after it
// resumed, as its window is.
func (b *Breaker) LateBounces(total int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reason != "" || b.p.BounceRate <= 0 {
		return b.reason != ""
	}
	l := &b.late
	if !l.based || total < l.last {
		l.based, l.last = true, total
		return false
	}
	if n := total - l.last; n > 0 {
		l.seen = append(l.seen, lateBounce{seq: b.seq, n: n})
		l.sum += n
		l.last = total
	}
	return b.judgeBounces()
}
