package roster

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// record parses the CSV record that starts with line (RFC 4180). A quoted
// field may span lines (a note with line breaks): then the lines after it
// are joined until the quote closes, at most maxSpan of them and
// MaxLineBytes in all; used is how many were taken. A quote that does not
// close within that costs only its own line.
func record(line string, after []string, sep rune) (rec []string, used int, err error) {
	rec, err = splitFields(line, sep)
	if err == nil || !errors.Is(err, csv.ErrQuote) {
		return rec, 0, err
	}
	joined := line
	for k := 0; k < len(after) && k < maxSpan && len(joined) <= MaxLineBytes; k++ {
		joined += "\n" + after[k]
		if strings.Count(joined, `"`)%2 != 0 {
			continue
		}
		if r, e := splitFields(joined, sep); e == nil {
			return r, k + 1, nil
		}
		break
	}
	return nil, 0, err
}

// splitFields parses text as exactly one CSV record.
func splitFields(text string, sep rune) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err == nil {
		if _, more := cr.Read(); more != io.EOF {
			err = errors.New("more than one record")
		}
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &fieldError{fmt.Sprintf("broken CSV: %v (column %d)", pe.Err, pe.Column), pe.Err}
		}
		return nil, fmt.Errorf("broken CSV: %v", err)
	}
	return rec, nil
}

// fieldError is a CSV error worded for a person that still is the
// csv package's error (errors.Is csv.ErrQuote).
type fieldError struct {
	msg   string
	cause error
}

func (e *fieldError) Error() string { return e.msg }
func (e *fieldError) Unwrap() error { return e.cause }
