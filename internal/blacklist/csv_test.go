package blacklist

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

func TestCSVRoundTrip(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	src := openStore(t, testkit.TempDB(t), newFake(), Options{Now: clock.Now})
	for _, e := range []Entry{
		{Number: "0509999999", Reason: `spam, "very" persistent`},
		{Number: "400*", Reason: "premium rate", Expires: clock.Now().Add(24 * time.Hour)},
		{Number: "+4930123", Reason: "Überweisung-Betrug"},
		{Number: "#31#"},
	} {
		if err := src.AddEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	var buf bytes.Buffer
	if err := src.ExportCSV(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "number,reason,expires,added\n") {
		t.Errorf("export starts %q, want the header", buf.String())
	}

	f := newFake()
	dst := openStore(t, testkit.TempDB(t), f, Options{Now: clock.Now})
	n, err := dst.ImportCSV(ctx, bytes.NewReader(buf.Bytes()))
	if err != nil || n != 4 {
		t.Fatalf("ImportCSV() = %d, %v; want 4", n, err)
	}
	want, _ := src.Entries(ctx)
	if got, _ := dst.Entries(ctx); !slices.Equal(got, want) {
		t.Errorf("after the round trip:\n got %+v\nwant %+v", got, want)
	}
	if err := dst.flushPending(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, dst, f)
}

func TestImportCSVForms(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := openStore(t, testkit.TempDB(t), newFake(), Options{Now: clock.Now})
	if err := s.AddEntry(ctx, Entry{Number: "111", Reason: "old"}); err != nil {
		t.Fatal(err)
	}
	firstAdded := clock.Now()
	clock.Advance(time.Hour)
	in := "Expires, Number ,reason\n" + // any order, any case
		",111,new reason\n" + // updates
		"2026-11-21T11:00:00Z,222,already expired\n" + // skipped
		",333,first\n" +
		",333,second\n" // last wins
	if n, err := s.ImportCSV(ctx, strings.NewReader(in)); n != 2 || err != nil {
		t.Fatalf("ImportCSV() = %d, %v; want 2", n, err)
	}
	e, _, _ := s.Lookup(ctx, "111")
	if e.Reason != "new reason" || !e.Added.Equal(firstAdded) {
		t.Errorf("111 = %+v, want the new reason and its first added time", e)
	}
	if e, _, _ := s.Lookup(ctx, "333"); e.Reason != "second" {
		t.Errorf("333 = %+v, want reason second", e)
	}
	// No header: number[,reason[,expires]].
	if n, err := s.ImportCSV(ctx, strings.NewReader("444\n555,five\n666*,six,2027-01-01T00:00:00+01:00\n")); n != 3 || err != nil {
		t.Fatalf("ImportCSV() without header = %d, %v; want 3", n, err)
	}
	if e, _, _ := s.Lookup(ctx, "6660"); !e.Expires.Equal(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("666* = %+v", e)
	}
	if got, want := mustList(t, s), []string{"111", "333", "444", "555", "666*"}; !slices.Equal(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
}

// TestImportCSVBadLines: one bad line and nothing is imported; every bad
// line is named.
func TestImportCSVBadLines(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testkit.TempDB(t), newFake(), Options{})
	in := "number,reason,expires\n" +
		"111,fine,\n" +
		"12a,bad number,\n" + // line 3
		"222,fine,\n" +
		"333,,tomorrow\n" + // line 5
		"\n" +
		"444,fine,,extra\n" // line 7
	n, err := s.ImportCSV(ctx, strings.NewReader(in))
	var ce *CSVError
	if n != 0 || !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("ImportCSV() = %d, %v; want a *CSVError", n, err)
	}
	var lines []int
	for _, l := range ce.Lines {
		lines = append(lines, l.Line)
	}
	if want := []int{3, 5, 7}; !slices.Equal(lines, want) {
		t.Errorf("bad lines %v, want %v (%v)", lines, want, err)
	}
	for _, frag := range []string{"nothing imported", `line 3: number "12a" contains 'a'`, "line 5: expires \"tomorrow\" is not an RFC 3339 time"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error %q does not say %q", err, frag)
		}
	}
	if got := mustList(t, s); len(got) != 0 {
		t.Errorf("List() = %q after a failed import, want nothing", got)
	}

	for name, in := range map[string]string{
		"unknown column": "number,colour\n111,red\n",
		"bare quote":     "111,\"spam\n",
	} {
		if _, err := s.ImportCSV(ctx, strings.NewReader(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ImportCSV() = %v, want ErrInvalid", name, err)
		}
	}
}

func TestImportCSVOverCap(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, testkit.TempDB(t), newFake(), Options{MaxEntries: 3})
	if err := s.Add(ctx, "111"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportCSV(ctx, strings.NewReader("222\n333\n444\n")); !errors.Is(err, ErrFull) {
		t.Fatalf("ImportCSV over the cap = %v, want ErrFull", err)
	}
	if _, err := s.ImportCSV(ctx, strings.NewReader("1\n2\n3\n4\n5\n")); !errors.Is(err, ErrFull) {
		t.Fatalf("ImportCSV of more rows than the cap = %v, want ErrFull", err)
	}
	if _, err := s.ImportCSV(ctx, strings.NewReader(strings.Repeat("9", 5*maxCSVRowBytes))); !errors.Is(err, ErrFull) {
		t.Fatalf("ImportCSV of a huge file = %v, want ErrFull", err)
	}
	if got := mustList(t, s); !slices.Equal(got, []string{"111"}) {
		t.Errorf("List() = %q, want only 111", got)
	}
}
