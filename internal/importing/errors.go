package importing

import (
	"errors"
	"fmt"

	"mailer/internal/roster"
)

// ErrBadLines is what a file refused for its bad lines is (errors.Is);
// errors.As gives the *BadLinesError with the lines.
var ErrBadLines = errors.New("bad lines in the file")

// BadLinesError refuses a whole file: one bad line and nothing is
// imported, for a file half imported is worse than one not imported (the
// owner fixes it and imports it again). Each edge words its own way out
// (the command line's --skip-invalid).
type BadLinesError struct {
	Name  string
	Lines []roster.Problem
	// Good is how many members the other lines hold.
	Good int
	// Report is what was read: the format, the bad and the repeated
	// lines; nothing was applied (Report.ImportReport is nil).
	Report Report
}

func (e *BadLinesError) Error() string {
	return fmt.Sprintf("%d bad line(s) in %s; nothing imported", len(e.Lines), e.Name)
}

// Is makes errors.Is(err, ErrBadLines) true.
func (e *BadLinesError) Is(target error) bool { return target == ErrBadLines }
