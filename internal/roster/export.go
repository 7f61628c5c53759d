package roster

import (
	"encoding/csv"
	"io"
	"iter"

	"mailer/internal/store"
)

// ExportHeader is the header of mailer's own export, which Read takes back
// as it is.
var ExportHeader = []string{"email", "name", "status", "source", "subscribed_at", "updated_at"}

// WriteExport writes members as mailer's own CSV export, one row each, in
// the order given; a failure of the sequence stops it and is returned.
func WriteExport(out io.Writer, members iter.Seq2[*store.Member, error]) error {
	w := csv.NewWriter(out)
	w.Write(ExportHeader)
	for m, err := range members {
		if err != nil {
			return err
		}
		confirmed := ""
		if m.ConfirmedAt != nil {
			confirmed = m.ConfirmedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		w.Write([]string{csvSafe(m.Address), csvSafe(m.Name), string(m.Status), string(m.Source), confirmed,
			m.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	w.Flush()
	return w.Error()
}

// csvSafe defuses spreadsheet formulas (OWASP's "CSV injection"): a name
// such as =HYPERLINK(...) typed into a subscribe form must not run when an
// owner opens the export.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
