package importing

import (
	"fmt"
	"io"

	"mailer/internal/roster"
	"mailer/internal/store"
)

// Report says what an import read and did; its JSON is what
// `subscribers import --json` prints, and what any other edge returns.
type Report struct {
	File    string           `json:"file"`
	Format  string           `json:"format"`
	Invalid []roster.Problem `json:"invalid"`
	Repeats []roster.Problem `json:"repeats"`
	// ImportReport is what applying did; nil for a file refused before.
	*store.ImportReport
}

// WriteInvalid writes the bad lines as FILE:LINE: reason, the GNU Coding
// Standards' error format, which editors and terminals jump to.
func (r Report) WriteInvalid(w io.Writer) {
	for _, p := range r.Invalid {
		fmt.Fprintf(w, "%s:%d: %s\n", r.File, p.Line, p.Reason)
	}
}

// WriteSummary writes an applied report for a person: one line of counts
// for list, then each skipped and each repeated line.
func (r Report) WriteSummary(w io.Writer, list string) {
	applied := r.ImportReport
	if applied == nil {
		applied = &store.ImportReport{}
	}
	verb := "Imported into"
	if applied.DryRun {
		verb = "Dry run, nothing changed; importing would give"
	}
	fmt.Fprintf(w, "%s %s (%s, %s): %d added, %d already there, %d recorded as not to be mailed, %d skipped, %d bad line(s) left out\n",
		verb, list, r.File, r.Format, applied.Added, applied.Already, applied.Suppressed, len(applied.Skipped), len(r.Invalid))
	if applied.Renamed > 0 {
		fmt.Fprintf(w, "  %d member(s) renamed as the file names them\n", applied.Renamed)
	}
	for _, p := range applied.Skipped {
		fmt.Fprintf(w, "  %s:%d: skipped: %s\n", r.File, p.Line, p.Reason)
	}
	for _, p := range r.Repeats {
		fmt.Fprintf(w, "  %s:%d: %s\n", r.File, p.Line, p.Reason)
	}
}
