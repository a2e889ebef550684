package ical

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEncodeWritesACalendarClientsRead(t *testing.T) {
	c := Calendar{ProdID: "-//Shipgate//calendar//EN", Name: "acme/api releases", Events: []Event{{
		UID:         "train-20261208T090000Z@acme/api",
		Stamp:       time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
		Start:       time.Date(2026, 12, 8, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
		End:         time.Date(2026, 12, 8, 10, 30, 0, 0, time.FixedZone("CET", 3600)),
		Summary:     "Release train v1.4.0",
		Description: "PRs: #12, #14\nchange records: CHG-1",
		Categories:  []string{"train", "a,b"},
	}}}
	var b bytes.Buffer
	if err := c.Encode(&b); err != nil {
		t.Fatal(err)
	}
	want := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Shipgate//calendar//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n" +
		"X-WR-CALNAME:acme/api releases\r\nBEGIN:VEVENT\r\nUID:train-20261208T090000Z@acme/api\r\n" +
		"DTSTAMP:20261201T120000Z\r\nDTSTART:20261208T090000Z\r\nDTEND:20261208T093000Z\r\n" +
		"SUMMARY:Release train v1.4.0\r\nDESCRIPTION:PRs: #12\\, #14\\nchange records: CHG-1\r\n" +
		"CATEGORIES:train,a\\,b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if b.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", b.String(), want)
	}
}

func TestTextEscapesWhatRFC5545Reserves(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"backslash first, so escapes are not doubled", `a\b`, `a\\b`},
		{"semicolon and comma", "a;b,c", `a\;b\,c`},
		{"LF and CRLF become \\n", "a\nb\r\nc", `a\nb\nc`},
		{"a colon needs no escape in a value", "a:b", "a:b"},
		{"control characters are dropped, tab kept", "a\x00b\x1bc\td", "abc\td"},
		{"invalid UTF-8 is replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEncodeFoldsLinesAt75OctetsWithoutSplittingACharacter(t *testing.T) {
	for _, summary := range []string{
		strings.Repeat("x", 200),
		strings.Repeat("ä", 100),        // 2 octets each
		strings.Repeat("ab€", 60),       // 3-octet runes at every offset
		strings.Repeat("🚂", 40) + "end", // 4 octets each
		strings.Repeat("y", 66),         // "SUMMARY:" + 66 = 74: no fold
		strings.Repeat("y", 67),         // 75: still none
		strings.Repeat("y", 68),         // 76: folds
	} {
		c := Calendar{ProdID: "p", Events: []Event{{UID: "u", Stamp: time.Unix(0, 0), Start: time.Unix(0, 0), Summary: summary}}}
		var b bytes.Buffer
		if err := c.Encode(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("output does not end in CRLF")
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(line) > 75 {
				t.Errorf("line of %d octets: %q", len(line), line)
			}
			if !utf8.ValidString(line) {
				t.Errorf("line splits a character: %q", line)
			}
			if strings.Contains(line, "\n") {
				t.Errorf("bare LF in %q", line)
			}
		}
		unfolded := strings.ReplaceAll(out, "\r\n ", "")
		if !strings.Contains(unfolded, "\r\nSUMMARY:"+summary+"\r\n") {
			t.Errorf("unfolding does not restore the summary %q:\n%s", summary, out)
		}
		folds := strings.Count(out, "\r\n ")
		if wantFold := len("SUMMARY:"+summary) > 75; (folds > 0) != wantFold {
			t.Errorf("summary of %d octets: %d folds", len(summary), folds)
		}
	}
}

func TestEncodeRefusesEventsAClientCannotPlace(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, e := range map[string]Event{
		"no UID":               {Start: at},
		"no start":             {UID: "u", Stamp: at},
		"no stamp":             {UID: "u", Start: at},
		"an end before start":  {UID: "u", Stamp: at, Start: at, End: at.Add(-time.Hour)},
		"a URL with a newline": {UID: "u", Stamp: at, Start: at, URL: "https://x\r\nDTSTART:1"},
	} {
		c := Calendar{ProdID: "p", Events: []Event{e}}
		var b bytes.Buffer
		if err := c.Encode(&b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: wrote %q before failing", name, b.String())
		}
	}
}

func TestASummaryCannotInjectAProperty(t *testing.T) {
	// A PR title lands in a summary: its line breaks must not start a
	// property of their own.
	c := Calendar{ProdID: "p", Events: []Event{{UID: "u", Stamp: time.Unix(0, 0), Start: time.Unix(0, 0), Summary: "x\r\nEND:VEVENT\r\nBEGIN:VEVENT"}}}
	var b bytes.Buffer
	if err := c.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\r\nBEGIN:VEVENT"); n != 1 {
		t.Errorf("%d VEVENTs:\n%s", n, b.String())
	}
}
