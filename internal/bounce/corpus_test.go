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
	addrs     []string
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
			if len(cols) != 3 {
				t.Fatalf("%s: bad line %q", dir, line)
			}
			cases = append(cases, corpusCase{dir, cols[0], cols[1], strings.Fields(strings.ToLower(cols[2]))})
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

// TestRealBounces measures the parser on real bounces published by
// others: at least 95% of failed addresses found, no wrong address, no
// warning scored as a failure, no non-bounce read as one.
func TestRealBounces(t *testing.T) {
	per := map[string]*tally{}
	for _, c := range loadCorpus(t, "flufl", "sisimai") {
		k := per[kindOfServer(c.file)]
		if k == nil {
			k = &tally{}
			per[kindOfServer(c.file)] = k
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
	want := map[string]bool{}
	for _, a := range c.addrs {
		want[a] = true
	}
	for _, f := range r.Failures {
		switch {
		case !want[f.Recipient]:
			k.wrong++
			t.Errorf("%s/%s: wrong address %q (%s: %s)", c.dir, c.file, f.Recipient, f.Kind, f.Diagnostic)
		case c.expect == "delay" && f.Kind != Delay:
			k.scoredDelays++
			t.Errorf("%s/%s: a delay warning read as %s for %s", c.dir, c.file, f.Kind, f.Recipient)
		case c.expect == "failed" && f.Kind != Hard && f.Kind != Soft:
			t.Errorf("%s/%s: %s read as %s, want a failure", c.dir, c.file, f.Recipient, f.Kind)
		default:
			k.found++
			delete(want, f.Recipient)
		}
	}
	if c.expect == "failed" {
		k.want += len(c.addrs)
		if len(want) > 0 {
			t.Logf("%s/%s: missed %v (report kind %q: %s)", c.dir, c.file, keys(want), r.Kind, r.Diagnostic)
		}
	} else {
		k.found -= len(c.addrs) - len(want) // only failed rows count towards recall
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
