package fault

import "testing"

// A recovered panic is counted and answered as an Internal error that
// names it.
func TestRecovered(t *testing.T) {
	before := RecoveredPanics()
	err := Recovered("index out of range")
	if RecoveredPanics() != before+1 || err.Code != Internal || err.Error() != "internal error (a bug): index out of range" {
		t.Fatalf("%d -> %d, %v", before, RecoveredPanics(), err)
	}
}
