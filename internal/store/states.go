package store

import "slices"

// The states of a send, of a delivery (a row of a send's queue) and of a
// schedule, spelt as the schema stores them (migrations 0003, 0007 and
// 0011 check the same lists), each with the moves it may make in one
// table. The empty state is a row not yet created. Staying in a state is
// not a move: the tables list only changes. The SQL of this package makes
// exactly these moves (states_test.go watches it do so); the literals in
// the SQL stay literals, since SQLite uses a partial index such as
// deliveries_queued only when the query names its state as a literal.

// SendState is where a send stands.
type SendState string

// Send states.
const (
	SendSending SendState = "sending" // messages left to deliver, or being delivered
	SendDone    SendState = "done"    // finished or cancelled; archived when finished
)

// SendStates lists every send state.
var SendStates = []SendState{SendSending, SendDone}

var sendMoves = map[SendState][]SendState{
	"":          {SendSending}, // StartSend
	SendSending: {SendDone},    // FinishSend, CancelSend
	SendDone:    {SendSending}, // RequeueFailed: --resend-failed
}

// CanBecome reports whether a send in state s may move to next.
func (s SendState) CanBecome(next SendState) bool { return allowed(sendMoves, s, next) }

// DeliveryState is where one message of a send stands.
type DeliveryState string

// Delivery states. Sent, deferred, failed and queued are also the
// outcomes delivery records (delivery.Outcome), spelt alike.
const (
	DeliveryQueued   DeliveryState = "queued"   // waiting for its turn
	DeliverySending  DeliveryState = "sending"  // claimed by a worker: being handed to the server
	DeliverySent     DeliveryState = "sent"     // the server took it
	DeliveryDeferred DeliveryState = "deferred" // a 4xx: tried again at next_attempt_at
	DeliveryFailed   DeliveryState = "failed"   // given up, or in flight at a crash with send.in_flight = "skip"
	DeliverySkipped  DeliveryState = "skipped"  // the reader left, or the send was cancelled
)

// DeliveryStates lists every delivery state.
var DeliveryStates = []DeliveryState{DeliveryQueued, DeliverySending, DeliverySent, DeliveryDeferred, DeliveryFailed, DeliverySkipped}

var deliveryMoves = map[DeliveryState][]DeliveryState{
	"": {DeliveryQueued}, // StartSend's snapshot
	// A claim, or a skip when the reader left or the send is cancelled.
	DeliveryQueued: {DeliverySending, DeliverySkipped},
	// A recorded outcome (queued: not attempted), or RecoverInFlight.
	DeliverySending:  {DeliverySent, DeliveryDeferred, DeliveryFailed, DeliveryQueued},
	DeliveryDeferred: {DeliverySending, DeliverySkipped}, // a due retry is claimed or skipped
	DeliveryFailed:   {DeliveryQueued},                   // RequeueFailed
}

// CanBecome reports whether a delivery in state s may move to next.
func (s DeliveryState) CanBecome(next DeliveryState) bool { return allowed(deliveryMoves, s, next) }

// ScheduleState is where a scheduled send stands.
type ScheduleState string

// Schedule states.
const (
	ScheduleScheduled ScheduleState = "scheduled" // waiting for its time
	ScheduleStarted   ScheduleState = "started"   // its send began
	ScheduleCancelled ScheduleState = "cancelled" // by a person, or scheduled again
	ScheduleRefused   ScheduleState = "refused"   // the daemon would not send it, with the reason
)

// ScheduleStates lists every schedule state.
var ScheduleStates = []ScheduleState{ScheduleScheduled, ScheduleStarted, ScheduleCancelled, ScheduleRefused}

var scheduleMoves = map[ScheduleState][]ScheduleState{
	"":                {ScheduleScheduled},                                   // ScheduleSend
	ScheduleScheduled: {ScheduleStarted, ScheduleCancelled, ScheduleRefused}, // EndSchedule, or ScheduleSend again
}

// CanBecome reports whether a schedule in state s may move to next.
func (s ScheduleState) CanBecome(next ScheduleState) bool { return allowed(scheduleMoves, s, next) }

func allowed[S ~string](moves map[S][]S, from, to S) bool { return slices.Contains(moves[from], to) }
