// Package roster reads member files: mailer's own export, the member
// exports of other tools (Mailchimp, Substack, Buttondown, Ghost, Kit,
// beehiiv, Sendy, MailerLite, Mailman 2 and 3, listmonk; see formats.go),
// and plain CSV or "Name <address>" lists. Columns are found by their
// header names; a file without a header is address[,name]. Every row is
// checked; a bad one is a Problem with its line number, never a silent
// skip, and a status the reader does not know is a Problem, never active.
package roster

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"mailer/internal/address"
	"mailer/internal/store"
)

// Row is one member read from a file, as the store imports it.
type Row = store.ImportRow

// Problem is a line that cannot be imported.
type Problem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// File is what was read.
type File struct {
	Format   string // "mailer", "mailchimp", "listmonk", ..., "csv with header", "address list"
	Rows     []Row
	Problems []Problem
	// Repeats are lines naming an address an earlier line named.
	Repeats []Problem
	// Data is how many lines held something other than a header, a
	// comment or nothing: a file with data and no Rows was not understood.
	Data int
}

// Hints are what is known of a file besides its text.
type Hints struct {
	// Name is the file's name: Mailchimp's export says the status of
	// everyone in it there (unsubscribed_members_export_*.csv).
	Name string
	// Status is a status for every row (the command's --status); a row
	// the file marks as further from mailable keeps its own.
	Status store.Status
}

// MaxLineBytes bounds one line: a member's line is short, and a file with
// a line of megabytes is not a member list.
const MaxLineBytes = 64 << 10

// maxSpan bounds the lines one quoted field may span (a note with line
// breaks); a quote left open costs its own line, not the rest of the file.
const maxSpan = 50

// Read reads a member file. Only reading the input can fail; everything
// wrong inside the file is a Problem.
func Read(r io.Reader) (*File, error) { return ReadWith(r, Hints{}) }

// ReadWith reads a member file, with what is known of it besides its text.
func ReadWith(r io.Reader, hints Hints) (*File, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	f := &File{}
	var cols *columns
	seen := map[string]int{}
	for i := 0; i < len(lines); i++ {
		n, line := i+1, lines[i]
		if i == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if cols == nil {
			var isHeader bool
			cols, isHeader = detect(line)
			cols.fixed = stricter(nameStatus(hints.Name), hints.Status)
			cols.statusGiven = hints.Status != "" || nameStatus(hints.Name) != ""
			cols.sendyAll = strings.HasSuffix(strings.ToLower(hints.Name), "-all.csv")
			f.Format = cols.format
			if isHeader {
				continue
			}
		}
		f.Data++
		row, used, err := cols.read(n, line, lines[i+1:])
		i += used
		if err != nil {
			f.Problems = append(f.Problems, Problem{Line: n, Reason: err.Error()})
			continue
		}
		if first, dup := seen[row.Address.Key()]; dup {
			f.Repeats = append(f.Repeats, Problem{Line: n, Reason: fmt.Sprintf("%s again (first on line %d)", row.Address, first)})
			continue
		}
		seen[row.Address.Key()] = n
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// read reads the record that starts with line, taking as many of the
// lines after it as a quoted field spans; used is how many it took.
func (c *columns) read(n int, line string, after []string) (row Row, used int, err error) {
	if t := strings.TrimSpace(line); c.width == 0 && strings.HasSuffix(t, ">") && strings.Contains(t, "<") {
		// "Name <address>", as Mailman's member lists write it; the name
		// may hold commas and quotes.
		a, err := address.Parse(t)
		return Row{Line: n, Address: a, Status: stricter(store.Active, c.fixed)}, 0, err
	}
	rec, used, err := record(line, after, c.sep)
	if err != nil {
		return Row{}, 0, err
	}
	row, err = c.row(n, rec)
	return row, used, err
}

// readLines splits r into lines ending in LF, CRLF or a lone CR (old Mac
// and some spreadsheets' CSV).
func readLines(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	sc.Split(scanAnyEOL)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, fmt.Errorf("a line is longer than %d bytes: this is not a member list", MaxLineBytes)
		}
		return nil, err
	}
	return lines, nil
}

// scanAnyEOL is bufio.ScanLines that also ends a line at a lone CR.
func scanAnyEOL(data []byte, atEOF bool) (int, []byte, error) {
	i := bytes.IndexAny(data, "\r\n")
	switch {
	case i < 0 && atEOF && len(data) > 0:
		return len(data), data, nil
	case i < 0:
		return 0, nil, nil
	case data[i] == '\n':
		return i + 1, data[:i], nil
	case i+1 < len(data):
		if data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		return i + 1, data[:i], nil
	case atEOF:
		return i + 1, data[:i], nil
	}
	return 0, nil, nil // a CR at the end of the buffer: is an LF next?
}
