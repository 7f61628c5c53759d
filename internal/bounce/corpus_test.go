package bounce

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusCase is one real message of testdata/*/expected.tsv: what it must
// yield, as labelled by the people who published it (see testdata/README).
type corpusCase struct {
	dir, file string
	expect    string // failed, delay or none
	// addrs are the failed recipients; "a|b" is one recipient the report
	// names in two forms (Original- and Final-Recipient, an alias and
	// where it led), either of which counts.
	addrs []string
	kind  string // the kind of MTA, for the per-kind table
}

func loadCorpus(t testing.TB, dirs ...string) []corpusCase {
	var cases []corpusCase
	for _, dir := range dirs {
		f, err := os.Open(filepath.Join("testdata", dir, "expected.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			cols := strings.Split(line, "\t")
			if len(cols) != 3 && len(cols) != 4 {
				t.Fatalf("%s: bad line %q", dir, line)
			}
			c := corpusCase{dir, cols[0], cols[1], strings.Fields(strings.ToLower(cols[2])), kindOfServer(cols[0])}
			if len(cols) == 4 {
				c.kind = cols[3]
			}
			cases = append(cases, c)
		}
		f.Close()
	}
	return cases
}

// kindOfServer groups files by the name their publishers gave them.
func kindOfServer(file string) string {
	name := strings.TrimSuffix(file, filepath.Ext(file))
	if i := strings.LastIndexAny(name, "_-"); i > 0 {
		name = name[:i]
	}
	return name
}

type tally struct{ want, found, wrong, files, scoredDelays int }

// The sets measured: dev is what the parser was fixed against; heldout
// are real reports labelled first and only measured after (README).
var (
	devSets     = []string{"flufl", "sisimai", "bounceparser", "sisimai2", "sisimai3"}
	heldoutSets = []string{"bounceparser-heldout", "sisimai2-heldout", "sisimai3-heldout"}
)

// TestRealBounces measures the parser on real bounces published by
// others: at least 95% of failed addresses found, no wrong address, no
// warning scored as a failure, no non-bounce read as one.
func TestRealBounces(t *testing.T) { measure(t, devSets...) }

// TestHeldOutBounces is the same measure on the held-out sets.
func TestHeldOutBounces(t *testing.T) { measure(t, heldoutSets...) }

func measure(t *testing.T, sets ...string) {
	per := map[string]*tally{}
	for _, c := range loadCorpus(t, sets...) {
		k := per[c.kind]
		if k == nil {
			k = &tally{}
			per[c.kind] = k
		}
		scoreCase(t, c, k)
	}
	total := logTallies(t, per)
	recall := float64(total.found) / float64(total.want)
	t.Logf("TOTAL files %d: found %d of %d failed addresses (%.1f%%), wrong %d", total.files, total.found, total.want, 100*recall, total.wrong)
	if recall < 0.95 {
		t.Errorf("recall %.1f%% < 95%%", 100*recall)
	}
}

// wanted maps each form of each expected recipient to its group, so that
// a failure naming either form of "a|b" counts once.
func wanted(addrs []string) map[string]int {
	want := map[string]int{}
	for i, a := range addrs {
		for _, form := range strings.Split(a, "|") {
			want[form] = i
		}
	}
	return want
}

// group is the expected recipient a failure stands for, by any of its
// forms, or -1.
func group(want map[string]int, f Failure) int {
	for _, a := range f.Forms() {
		if g, ok := want[a]; ok {
			return g
		}
	}
	return -1
}

// scoreCase parses one message of the corpus and counts what the parser
// made of it into k, failing the test on a wrong address, a delay scored as
// a failure or a failure read as something else.
func scoreCase(t *testing.T, c corpusCase, k *tally) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", c.dir, c.file))
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(raw)
	k.files++
	want, found := wanted(c.addrs), map[int]bool{}
	for _, f := range r.Failures {
		g := group(want, f)
		switch {
		case g < 0 && f.Kind != Hard && f.Kind != Soft:
			// A delay or an auto-reply for someone else scores nobody.
		case g < 0:
			k.wrong++
			t.Errorf("%s/%s: wrong address %q (%s: %s)", c.dir, c.file, f.Recipient, f.Kind, f.Diagnostic)
		case c.expect != "failed" && f.Kind != Delay && f.Kind != AutoReply:
			k.scoredDelays++
			t.Errorf("%s/%s: a %s read as %s for %s", c.dir, c.file, c.expect, f.Kind, f.Recipient)
		case c.expect == "failed" && f.Kind != Hard && f.Kind != Soft:
			t.Errorf("%s/%s: %s read as %s, want a failure", c.dir, c.file, f.Recipient, f.Kind)
		default:
			found[g] = true
		}
	}
	if c.expect == "failed" {
		k.want += len(c.addrs)
		k.found += len(found)
		if len(found) < len(c.addrs) {
			t.Logf("%s/%s: found %d of %v (report kind %q: %s)", c.dir, c.file, len(found), c.addrs, r.Kind, r.Diagnostic)
		}
	} else if c.expect != "none" && r.Failed() {
		t.Errorf("%s/%s: a %s read as a failure (%s)", c.dir, c.file, c.expect, r.Kind)
	}
}

// logTallies logs each kind of server's tally, by name, and returns the
// sum.
func logTallies(t *testing.T, per map[string]*tally) tally {
	t.Helper()
	var names []string
	for n := range per {
		names = append(names, n)
	}
	sort.Strings(names)
	var total tally
	for _, n := range names {
		k := per[n]
		total.want += k.want
		total.found += k.found
		total.wrong += k.wrong
		total.files += k.files
		t.Logf("%-14s files %3d  failed addresses %3d  found %3d  wrong %d", n, k.files, k.want, k.found, k.wrong)
	}
	return total
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ExampleParse() {
	raw, _ := os.ReadFile("testdata/flufl/postfix_02.txt")
	r := Parse(raw)
	for _, f := range r.Failures {
		fmt.Println(f.Recipient, f.Kind)
	}
	// Output: yyyyy@digicool.com hard
}
