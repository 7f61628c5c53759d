// Package roster reads member files: mailer's own export, the member
// exports of Mailman 3 (Postorius' Subscribers.csv, `mailman members`),
// Mailman 2 (`list_members -f`) and listmonk, and plain CSV or
// "Name <address>" lists. Columns are found by their header names; a file
// without a header is address[,name]. Every row is checked; a bad one is a
// Problem with its line number, never a silent skip.
package roster

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

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
	Format   string // "mailer", "listmonk", "csv with header", "address list"
	Rows     []Row
	Problems []Problem
	// Repeats are lines naming an address an earlier line named.
	Repeats []Problem
}

// MaxLineBytes bounds one line: a member's line is short, and a file with
// a line of megabytes is not a member list.
const MaxLineBytes = 64 << 10

// Read reads a member file. Only reading the input can fail; everything
// wrong inside the file is a Problem.
func Read(r io.Reader) (*File, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	f := &File{}
	var cols *columns
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if cols == nil {
			var isHeader bool
			cols, isHeader = detect(line)
			f.Format = cols.format
			if isHeader {
				continue
			}
		}
		row, err := cols.row(n, line)
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
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, fmt.Errorf("a line is longer than %d bytes: this is not a member list", MaxLineBytes)
		}
		return nil, err
	}
	return f, nil
}

// splitFields parses one line as CSV. Each line is parsed alone: a member
// file has no field that spans lines, and a stray quote must cost one
// line, not swallow the rest of the file.
func splitFields(line string, sep rune) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(line))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err != nil {
		if pe, ok := err.(*csv.ParseError); ok {
			return nil, fmt.Errorf("broken CSV: %v (column %d)", pe.Err, pe.Column)
		}
		return nil, fmt.Errorf("broken CSV: %v", err)
	}
	return rec, nil
}
