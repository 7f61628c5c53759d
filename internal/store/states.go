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

// HookEventState is where an outgoing webhook event stands (migration 0023).
type HookEventState string

// Hook event states.
const (
	HookQueued     HookEventState = "queued"     // waiting for its next attempt
	HookDelivered  HookEventState = "delivered"  // the receiver answered 2xx
	HookSuperseded HookEventState = "superseded" // a newer event for the same member or send took its place
	HookFailed     HookEventState = "failed"     // given up: a day of retries, or 410 Gone
)

// HookEventStates lists every hook event state.
var HookEventStates = []HookEventState{HookQueued, HookDelivered, HookSuperseded, HookFailed}

var hookEventMoves = map[HookEventState][]HookEventState{
	"":         {HookQueued},                                // a trigger, or QueueHookEvent
	HookQueued: {HookDelivered, HookSuperseded, HookFailed}, // RecordHookAttempt, or a newer event
	// A request already out when a newer event came may still deliver it.
	HookSuperseded: {HookDelivered},
}

// CanBecome reports whether a hook event in state s may move to next.
func (s HookEventState) CanBecome(next HookEventState) bool { return allowed(hookEventMoves, s, next) }
