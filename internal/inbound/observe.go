package inbound

// Observer is told each command a mail carried, by verb and result (the
// metrics). Verbs are those of Verbs; results those of Results.
type Observer interface {
	Command(verb, result string)
}

// VerbUnknown is the verb of a line that is no command.
const VerbUnknown = "unknown"

// Verbs are the commands an Observer hears of, VerbUnknown included: a
// fixed set, so that a metric's labels never carry what a sender wrote.
var Verbs = []string{"subscribe", "unsubscribe", "confirm", "which", "who", "info", "lists", "help", "end", VerbUnknown}

// The results of a command.
const (
	ResultOK      = "ok"      // done, or answered
	ResultRefused = "refused" // a rule said no: the list is closed, a confirmation went recently...
	ResultInvalid = "invalid" // the line could not be used: no such list, a bad address or code
	ResultError   = "error"   // the store failed; the MTA will bring the mail again
)

// Results are the results an Observer hears of.
var Results = []string{ResultOK, ResultRefused, ResultInvalid, ResultError}

// resultOf sorts an answer line (templates/inbound/results.tmpl) into a
// result.
func resultOf(line string) string {
	switch line {
	case "no-list", "needs-list", "bad-address", "unknown-command", "confirm-failed":
		return ResultInvalid
	case "closed", "blocked", "cannot-send", "confirmation-recent", "who-refused":
		return ResultRefused
	}
	return ResultOK
}

// observe tells the Observer, if any, of one command.
func (s *session) observe(verb, result string) {
	if o := s.h.o.Observer; o != nil {
		o.Command(verb, result)
	}
}
