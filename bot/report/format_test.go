package report

import (
	"testing"
	"time"
)

func TestDurationsReadAsPeopleWriteThem(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 12 * time.Minute: "12m", 12*time.Minute + 5*time.Second: "12m 5s",
		3*time.Hour + 5*time.Minute: "3h 5m", 3 * time.Hour: "3h", 48 * time.Hour: "2d", 97*time.Hour + 35*time.Minute + 10*time.Second: "4d 1h 35m",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestTheReportSectionIsReplacedInPlace(t *testing.T) {
	once := WithSection("notes\n", "report A")
	if once != "notes\n\n<!-- shipgate:report -->\nreport A\n<!-- /shipgate:report -->\n" {
		t.Fatalf("first: %q", once)
	}
	if again := WithSection(once, "report A"); again != once {
		t.Fatalf("the same section again changed the body: %q", again)
	}
	edited := once + "\nA line people added later.\n"
	if got := WithSection(edited, "report B"); got != "notes\n\n<!-- shipgate:report -->\nreport B\n<!-- /shipgate:report -->\n\nA line people added later.\n" {
		t.Fatalf("replaced: %q", got)
	}
	if got := WithSection("", "report A"); got != "<!-- shipgate:report -->\nreport A\n<!-- /shipgate:report -->\n" {
		t.Fatalf("empty notes: %q", got)
	}
}
