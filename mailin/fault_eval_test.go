package mailin

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// faultCase is one labelled mail of testdata/faults/cases.tsv.
type faultCase struct {
	line                     int
	label, language, subject string
	body                     string
}

// faultClasses are the categories in the order the confusion matrix shows them.
var faultClasses = []string{FaultHardware, FaultSoftware, FaultAccount, FaultOther}

// loadFaultCases reads an evaluation set of testdata/faults: one mail a line, label, language, subject
// and body separated by tabs, "\n" in the body standing for a line break, "#" starting a comment line.
func loadFaultCases(t testing.TB, file string) []faultCase {
	t.Helper()
	name := filepath.Join("testdata", "faults", file)
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	valid := map[string]bool{}
	for _, c := range faultClasses {
		valid[c] = true
	}
	var cases []faultCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("%s:%d: %d columns, want 4 (label, language, subject, body)", name, n, len(cols))
		}
		if !valid[cols[0]] {
			t.Fatalf("%s:%d: unknown label %q", name, n, cols[0])
		}
		cases = append(cases, faultCase{
			line: n, label: cols[0], language: cols[1], subject: cols[2],
			body: strings.ReplaceAll(cols[3], `\n`, "\n"),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return cases
}

// TestFaultEvaluation runs ClassifyFault over the labelled sets the way intake does (quoted history
// stripped) and holds it to the precision, recall and accuracy it reached. cases.tsv is the set the
// keyword rules were developed on; holdout.tsv was written after them and never tuned on, so its
// figures are the honest estimate for real mail. A rule change that costs accuracy fails here; one
// that gains should raise the thresholds, never above what is reached.
func TestFaultEvaluation(t *testing.T) {
	tests := []struct {
		file     string
		minCases int
		// minimums, each what the classifier reached when last measured, rounded down.
		hardwarePrecision, hardwareRecall, accuracy float64
	}{
		{"cases.tsv", 80, 0.95, 0.95, 0.95},
		{"holdout.tsv", 40, 0.90, 0.85, 0.90},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cases := loadFaultCases(t, tt.file)
			if len(cases) < tt.minCases {
				t.Fatalf("only %d cases; the set must keep at least %d", len(cases), tt.minCases)
			}
			precision, recall, accuracy := evaluateFaults(t, tt.file, cases)
			minimum := []struct {
				name      string
				got, want float64
			}{
				{"hardware precision", precision[FaultHardware], tt.hardwarePrecision},
				{"hardware recall", recall[FaultHardware], tt.hardwareRecall},
				{"accuracy", accuracy, tt.accuracy},
			}
			for _, m := range minimum {
				if m.got < m.want {
					t.Errorf("%s %.2f, want at least %.2f", m.name, m.got, m.want)
				}
			}
		})
	}
}

// evaluateFaults classifies cases, logs every miss, the confusion matrix and the per-class figures,
// and returns precision and recall by class and the overall accuracy.
func evaluateFaults(t *testing.T, file string, cases []faultCase) (precision, recall map[string]float64, accuracy float64) {
	t.Helper()
	// confusion[want][got] counts mails labelled want that were classified got.
	confusion := map[string]map[string]int{}
	for _, c := range faultClasses {
		confusion[c] = map[string]int{}
	}
	correct := 0
	for _, c := range cases {
		got, matches := ClassifyFault(c.subject, StripQuoted(c.body))
		confusion[c.label][got]++
		if got == c.label {
			correct++
			continue
		}
		t.Logf("miss %s:%d (%s): want %s, got %s, matched: %s; subject %q",
			file, c.line, c.language, c.label, got, strings.Join(matches, ", "), c.subject)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s: confusion matrix (rows: label, columns: classified as)\n%-10s", file, "")
	for _, c := range faultClasses {
		fmt.Fprintf(&b, "%10s", c)
	}
	for _, want := range faultClasses {
		fmt.Fprintf(&b, "\n%-10s", want)
		for _, got := range faultClasses {
			fmt.Fprintf(&b, "%10d", confusion[want][got])
		}
	}
	t.Log(b.String())

	precision, recall = map[string]float64{}, map[string]float64{}
	for _, class := range faultClasses {
		truePos, labelled, predicted := confusion[class][class], 0, 0
		for _, other := range faultClasses {
			labelled += confusion[class][other]
			predicted += confusion[other][class]
		}
		precision[class], recall[class] = ratio(truePos, predicted), ratio(truePos, labelled)
		t.Logf("%-8s precision %.2f (%d/%d)  recall %.2f (%d/%d)",
			class, precision[class], truePos, predicted, recall[class], truePos, labelled)
	}
	accuracy = ratio(correct, len(cases))
	t.Logf("accuracy %.2f (%d/%d)", accuracy, correct, len(cases))
	return precision, recall, accuracy
}

func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// BenchmarkClassifyFault classifies every mail of both evaluation sets once per iteration.
func BenchmarkClassifyFault(b *testing.B) {
	cases := append(loadFaultCases(b, "cases.tsv"), loadFaultCases(b, "holdout.tsv")...)
	bodies := make([]string, len(cases))
	for i, c := range cases {
		bodies[i] = StripQuoted(c.body)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, c := range cases {
			ClassifyFault(c.subject, bodies[i])
		}
	}
}
